"""holochat: a conversational image studio in the terminal (CLI and Textual app)."""

__version__ = "0.1.0"
