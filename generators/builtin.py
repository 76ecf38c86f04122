"""Registers the built-in generators with the registry (imported lazily)."""

from __future__ import annotations

from generators.registry import COMPLETION, LATENT_EDITS, Entry, register


def _studio(domain: str):
    from generators.studio import StudioGenerator

    return StudioGenerator(domain)


register(
    Entry(
        "studio",
        ("faces", "chairs"),
        _studio,
        lambda d: True,
        "procedural ground-truth renderer (numpy)",
    )
)


def _convdeconv(domain: str):
    from generators.convdeconv_gen import ConvDeconvGenerator

    return ConvDeconvGenerator(domain)


def _convdeconv_available(domain: str) -> bool:
    from generators.convdeconv_gen import available

    return available(domain)


def _convdeconv_accepted(domain: str) -> bool:
    from generators.weights import accepted

    return accepted("convdeconv", domain)


register(
    Entry(
        "convdeconv",
        ("chairs", "faces"),
        _convdeconv,
        _convdeconv_available,
        "conv-deconv network (Dosovitskiy et al.; deconvfaces for faces)",
        default_ok=_convdeconv_accepted,
    )
)


def _textgan(domain: str):
    from generators.textgan_gen import TextGANGenerator

    return TextGANGenerator(domain)


def _textgan_available(domain: str) -> bool:
    from generators.textgan_gen import available

    return available(domain)


def _textgan_accepted(domain: str) -> bool:
    from generators.weights import accepted

    return accepted("textgan", domain)


register(
    Entry(
        "textgan",
        ("faces",),
        _textgan,
        _textgan_available,
        "text-conditioned GAN (GAN-CLS, Reed et al.)",
        default_ok=_textgan_accepted,
    )
)


def _dcgan(domain: str):
    from generators.dcgan_gen import DCGANGenerator

    return DCGANGenerator(domain)


def _dcgan_available(domain: str) -> bool:
    from generators.dcgan_gen import available

    return available(domain)


def _dcgan_personal(domain: str) -> list[str]:
    from generators.dcgan_gen import personal_models

    return personal_models() if domain == "faces" else []


def _dcgan_variant(domain: str, name: str):
    from generators.dcgan_gen import DCGANGenerator

    return DCGANGenerator(domain, personal=name)


# an unconditional GAN draws whoever its z gives: never the default
register(
    Entry(
        "dcgan",
        ("faces",),
        _dcgan,
        _dcgan_available,
        "unconditional DCGAN with attribute directions (Radford et al.)",
        default_ok=lambda d: False,
        variants=_dcgan_personal,
        variant_factory=_dcgan_variant,
        capabilities=frozenset({LATENT_EDITS, COMPLETION}),
    )
)


def _pix2pix(domain: str):
    from generators.pix2pix_gen import Pix2PixGenerator

    return Pix2PixGenerator(domain)


def _pix2pix_available(domain: str) -> bool:
    from generators.pix2pix_gen import available

    return available(domain)


# renders a state from its studio line drawing; a sketch has no colours: never the default
register(
    Entry(
        "pix2pix",
        ("faces", "chairs"),
        _pix2pix,
        _pix2pix_available,
        "sketch-to-picture U-Net + PatchGAN (pix2pix, Isola et al.)",
        default_ok=lambda d: False,
    )
)
