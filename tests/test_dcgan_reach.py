"""Issue #24's two fixes to the DCGAN's edits and completion, on tiny seeded
models and stand-in judges: the *reach* of a yes/no direction (one calibrated
unit turns most faces that lack the attribute; generators/latent/directions.py)
and the completion search's pool of starts and search in w
(generators/latent/completion.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generators.latent import completion as C
from generators.latent import directions as Dn
from generators.nets.dcgan import DCGANConfig, build, critic, to_uint8

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LATENT_GAN = DCGANConfig(z_dim=8, ndf=4, mapping=2, mbstd_group=2, synthesis="convdeconv",
                         decoder_width=8, decoder_shared=16, decoder_channels=(8, 8, 4, 4, 4),
                         code_hidden=16)


# -- reach --------------------------------------------------------------------------------------
def _one_direction(gap: float = 1.0) -> Dn.Directions:
    info = Dn.DirectionInfo("hat", "hat", True, "binary",
                            {"mean_diff": gap, "interfacegan": gap, "projected": gap},
                            n_pos=50, n_neg=50)
    e0 = np.eye(4)[:1]
    return Dn.Directions("faces", 4, [info], {k: e0.copy() for k in Dn.SETS})


def _hat_reader(threshold: float):
    """A judge that reads a hat where the latent's first number (the "image"
    is the latent itself here) passes ``threshold``."""
    return lambda x: [{"hat": bool(v > threshold)} for v in np.asarray(x)[:, 0]]


@pytest.fixture
def latents_are_images(monkeypatch):
    monkeypatch.setattr(Dn, "render_space", lambda G, x, space, batch=256: np.asarray(x))


def _negatives(n: int = 64) -> tuple[np.ndarray, list[dict]]:
    x = np.zeros((n, 4))
    x[:, 0] = np.linspace(-2.0, 0.0, n, endpoint=False)  # the hat's score, all without one
    return x, [{"hat": False}] * n


def test_reach_is_the_smallest_multiple_that_turns_enough(latents_are_images, tmp_path):
    x, readings = _negatives()
    d = Dn.calibrate_reach(_one_direction(), None, _hat_reader(0.5), x, readings, "w", rate=0.9)
    info = d.info("hat")
    # moved by m·gap, a negative at s shows the hat when s + m > 0.5: (m − 0.5) / 2 of them
    assert info.reach == 2.5
    assert info.reach_rates == pytest.approx({"1": 0.25, "1.25": 0.375, "1.5": 0.5,
                                              "2": 0.75, "2.5": 1.0}, abs=1 / 64)  # stops there
    assert d.scale("hat") == pytest.approx(2.5)                      # the used set's unit
    assert d.scale("hat", "interfacegan") == pytest.approx(1.0)       # the others keep the gap
    assert d.meta["reach"] == {"rate": 0.9, "samples": Dn.REACH_SAMPLES}
    d.save(tmp_path)
    back = Dn.Directions.load(tmp_path)
    assert back.info("hat").reach == 2.5 and back.scale("hat") == pytest.approx(2.5)


def test_an_unreachable_target_takes_the_multiple_that_turns_the_most(latents_are_images):
    x, readings = _negatives()
    d = Dn.calibrate_reach(_one_direction(), None, _hat_reader(2.0), x, readings, "w", rate=0.9)
    info = d.info("hat")
    assert info.reach == 3.0 and set(info.reach_rates) == {"1", "1.25", "1.5", "2", "2.5", "3"}
    assert max(info.reach_rates.values()) == info.reach_rates["3"] < 0.9


def test_reach_leaves_numeric_directions_and_old_files_alone(latents_are_images, tmp_path):
    d = _one_direction()
    d.infos[0].kind = "numeric"
    d.infos[0].step = 15.0
    x, readings = _negatives()
    Dn.calibrate_reach(d, None, _hat_reader(0.5), x, readings, "w")
    assert d.infos[0].reach == 1.0 and d.scale("hat") == pytest.approx(15.0)
    # a directions file written before reach existed loads with reach 1
    old = _one_direction()
    old.save(tmp_path)
    import json
    meta = json.loads((tmp_path / Dn.META_FILE).read_text())
    for rec in meta["directions"]:
        rec.pop("reach"), rec.pop("reach_rates")
    (tmp_path / Dn.META_FILE).write_text(json.dumps(meta))
    assert Dn.Directions.load(tmp_path).info("hat").reach == 1.0
    with pytest.raises(ValueError, match="rate"):
        Dn.calibrate_reach(_one_direction(), None, _hat_reader(0.5), x, readings, "w", rate=0)


# -- completion: pool of starts, search in w ----------------------------------------------------
@pytest.fixture(scope="module")
def latent_gan():
    return build(LATENT_GAN, seed=0).eval()


def test_search_space_is_w_for_the_latent_gan_only(latent_gan):
    pixel = build(DCGANConfig(ngf=8, ndf=8), seed=0).generator
    assert C.search_space(latent_gan.generator) == "w"
    assert C.search_space(pixel) == "z" and C.search_space(latent_gan.generator, "z") == "z"
    with pytest.raises(C.CompletionError, match="mapping network"):
        C.search_space(pixel, "w")
    with pytest.raises(C.CompletionError, match="'z', 'w' or 'auto'"):
        C.search_space(pixel, "x")
    # the latent GAN's completion prior is its code discriminator (the pixel one is untrained)
    assert critic(latent_gan) is latent_gan.code_discriminator
    assert critic(build(DCGANConfig(ngf=8, ndf=8), seed=0)).__class__.__name__ == "Discriminator"


def test_a_search_in_w_returns_a_w_that_renders_the_generated_picture(latent_gan):
    G, D = latent_gan.generator, critic(latent_gan)
    with torch.no_grad():
        image = to_uint8(G(torch.randn(1, 8, generator=torch.Generator().manual_seed(5))))[0]
    res = C.complete(G, D, image.numpy(), C.region_mask("center"), steps=5, restarts=2,
                     pool=8, seed=1)
    assert res.space == "w" and res.z.shape == (8,) and np.isfinite(res.prior)
    with torch.no_grad():
        again = to_uint8(G.synthesis(torch.from_numpy(res.z)[None]))[0].numpy()
    assert np.abs(again.astype(int) - res.generated.astype(int)).max() <= 1
    missing = C.region_mask("center")
    np.testing.assert_array_equal(res.blended[~missing], image.numpy()[~missing])
    res2 = C.complete(G, D, image.numpy(), missing, steps=5, restarts=2, pool=8, seed=1)
    np.testing.assert_array_equal(res.z, res2.z)                      # deterministic


def test_a_pool_starts_the_search_nearer_the_known_pixels(latent_gan):
    G, D = latent_gan.generator, critic(latent_gan)
    with torch.no_grad():
        image = to_uint8(G(torch.randn(1, 8, generator=torch.Generator().manual_seed(9))))[0]
    missing = C.region_mask("left")
    # one step at a negligible rate: the contextual loss is the start's
    plain = [C.complete(G, D, image.numpy(), missing, steps=1, restarts=1, lr=1e-9, pool=0,
                        seed=s).contextual for s in range(16)]
    pooled = C.complete(G, D, image.numpy(), missing, steps=1, restarts=1, lr=1e-9, pool=64,
                        seed=0).contextual
    assert pooled <= float(np.median(plain))
    assert pooled <= min(plain) + 1e-6 or pooled < np.percentile(plain, 25)


def test_the_apps_repair_searches_z_through_a_shifted_latent_gan(latent_gan):
    """dialogue/latent.py repairs through ``Shifted`` (the state's offsets in w)
    with the code critic as the prior; the result is a z the state can hold."""
    from generators.nets.dcgan import Shifted
    G, D = latent_gan.generator, critic(latent_gan)
    shift = np.zeros(8, np.float32)
    shift[0] = 0.5
    net = Shifted(G, shift, "w")
    with torch.no_grad():
        z = torch.randn(2, 8, generator=torch.Generator().manual_seed(2))
        assert torch.equal(net(z), G.synthesis(G.to_w(z) + torch.from_numpy(shift)))
        assert torch.equal(net.codes(z), G.main.codes(G.to_w(z) + torch.from_numpy(shift)))
        image = to_uint8(net(z[:1]))[0].numpy()
    z_found, before, after = C.complete_state_z(net, D, image, "left", seed=0, steps=3,
                                                restarts=2, pool=4)
    assert len(z_found) == 8 and before.shape == after.shape == (64, 64, 3)
    with torch.no_grad():
        again = to_uint8(net(torch.tensor([z_found])))[0].numpy()
    assert np.abs(again.astype(int) - after.astype(int)).max() <= 1
    # a code critic with a generator that has no codes: a clear error, not a crash
    pixel = build(DCGANConfig(ngf=8, ndf=8), seed=0).generator.eval()
    with pytest.raises(C.CompletionError, match="codes"):
        C.complete(lambda_free(pixel), D, image, C.region_mask("left"), steps=1, restarts=1)


def lambda_free(g):
    """A module z → image with no ``codes`` (a wrapped pixel generator)."""
    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.g, self.cfg = g, g.cfg

        def forward(self, z):
            return self.g(z)
    return Plain()
