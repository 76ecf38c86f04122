"""Latent-space tools for the DCGAN: interpolation, vector arithmetic,
attribute directions and image completion (inpainting by optimising ``z``)."""
