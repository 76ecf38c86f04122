"""Dialogue: the parse cascade (grammar, embedding fallback, clarification)
and the dialogue manager that runs a turn.  Imports sessions and generators."""
