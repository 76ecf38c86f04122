"""Generators: attribute schemas, the procedural studio, networks, training,
judges and shipped weights.  Imports nothing from the other holochat layers."""

from generators.schema import (CHAIRS, DOMAINS, FACES, SCHEMAS, Attribute, Clamp,
                               InvalidValueError, Schema, UnknownAttributeError,
                               UnknownDomainError, get_schema)

__all__ = ["CHAIRS", "DOMAINS", "FACES", "SCHEMAS", "Attribute", "Clamp",
           "InvalidValueError", "Schema", "UnknownAttributeError", "UnknownDomainError",
           "get_schema"]
