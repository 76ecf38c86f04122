"""Text conditioning: sentence embeddings of captions (all-MiniLM-L6-v2, 384-d)."""

from generators.text.embedding import (EMBED_DIM, EmbeddingCache, EmbeddingUnavailable,
                                       embed, embedding_model_name, hash_embedder)

__all__ = ["EMBED_DIM", "EmbeddingCache", "EmbeddingUnavailable", "embed",
           "embedding_model_name", "hash_embedder"]
