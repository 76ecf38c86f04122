"""Measurements of generators and judges (``holochat eval``)."""
