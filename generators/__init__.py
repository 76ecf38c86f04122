"""Generators: attribute schemas, the procedural studio, networks, training,
judges and shipped weights.  Imports nothing from the other holochat layers."""
