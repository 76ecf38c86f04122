"""Text conditioning: sentence embeddings of captions (all-MiniLM-L6-v2, 384-d),
in ``generators.text.embedding``."""
