"""The text GAN's "convdeconv" generator (issue 29): a learned text head over
phrase token features into the conv-deconv faces decoder, fine-tuned in the
GAN-CLS game.  Tiny seeded models, hashed text features (no MiniLM)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from generators.checkpoint import save_pretrained
from generators.datasets import make_dataset, sample_attributes
from generators.nets.convdeconv import ConvDeconv, ConvDeconvConfig, encode
from generators.nets.textgan import (
    ARCH_VERSION,
    TextGANConfig,
    TextHead,
    build,
    class_names,
    encode_extra,
    one_hot_codes,
)
from generators.schema import FACES
from generators.text.embedding import hash_phrase_tokens, split_phrases
from generators.textgan_gen import TextGANGenerator
from generators.training.textgan import (
    TextGANTrainOptions,
    _class_loss,
    category_codes,
    token_captions,
    train_textgan,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = dict(decoder_group_width=16, decoder_shared=32, decoder_channels=(16, 8, 8, 8, 8))
TINY = TextGANConfig(decoder="convdeconv", embed_dim=768, head_dim=16, ndf=8, cond_dim=16,
                     **SMALL)


def _cd_config() -> ConvDeconvConfig:
    return ConvDeconvConfig(domain="faces", group_width=16, shared=32,
                            channels=(16, 8, 8, 8, 8), mask=False)


@pytest.fixture(scope="module")
def faces():
    return make_dataset("faces", 16, seed=1, workers=1)


def _opts(**kw):
    base = dict(steps=4, batch=4, log_every=1, progress=False, sample_every=100,
                checkpoint_every=100, warmup=2, feature_weight=4.0, ema=0.9, rec_loss="l1")
    return TextGANTrainOptions(**{**base, **kw})


def test_config_validates_and_old_configs_read_as_the_dcgan_body():
    with pytest.raises(ValueError, match="decoder must be one of"):
        TextGANConfig(decoder="unet")
    with pytest.raises(ValueError, match="needs use_geometry"):
        TextGANConfig(decoder="convdeconv", use_identity_params=False)
    old_cfg = {"z_dim": 100, "embed_dim": 384, "cond_dim": 128, "ngf": 64, "ndf": 64,
               "output": "compose", "aux_classifier": True, "lr": 0.001}
    cfg = TextGANConfig.from_dict(old_cfg)
    assert cfg.decoder == "dcgan" and not cfg.tokens
    assert TextGANConfig.from_dict(TINY.to_dict()) == TINY          # lists → tuples
    assert TextGANConfig.from_dict(json.loads(json.dumps(TINY.to_dict()))) == TINY


def test_shapes_of_the_head_and_the_generator():
    pair = build(TINY, seed=0)
    attrs = [FACES.defaults(s) for s in range(3)]
    tokens = torch.from_numpy(hash_phrase_tokens(["a person, wearing glasses", "a face",
                                                  "someone, bearded, with red hair"]))
    assert tokens.shape[0] == 3 and tokens.shape[2] == 768
    logits = pair.generator.head(tokens)
    assert [lg.shape for lg in logits] == [(3, k) for k in pair.generator.head.sizes]
    extra = encode_extra(TINY, attrs)
    img = pair.generator(torch.zeros(3, 100), tokens, extra)
    assert img.shape == (3, 3, 64, 64) and img.min() >= -1 and img.max() <= 1
    codes = torch.cat(one_hot_codes(torch.from_numpy(category_codes(attrs))), 1)
    assert pair.discriminator(img, codes, extra).shape == (3,)
    # padding (zero rows) does not change what the head reads
    padded = torch.cat([tokens, torch.zeros(3, 5, 768)], 1)
    for a, b in zip(pair.generator.head(tokens), pair.generator.head(padded)):
        assert torch.allclose(a, b, atol=1e-6)


def test_decoder_with_the_true_code_draws_what_the_conv_deconv_draws():
    """Round trip: the attribute code + geometry / identity numbers assemble
    exactly the conv-deconv's input groups, so the same decoder weights give
    the same image."""
    torch.manual_seed(0)
    cd = ConvDeconv(_cd_config()).eval()
    pair = build(TINY, seed=1)
    pair.generator.decoder.load_state_dict(cd.state_dict())
    rng = np.random.default_rng(0)
    attrs = [sample_attributes("faces", rng, 9000 + i) for i in range(6)]
    with torch.no_grad():
        want, _ = cd(encode("faces", attrs))
        probs = one_hot_codes(torch.from_numpy(category_codes(attrs)))
        got = pair.generator(torch.zeros(6, 100), torch.zeros(6, 1, 768),
                             encode_extra(TINY, attrs), probs)
    assert torch.allclose(got, want * 2 - 1, atol=1e-5)


def test_the_head_reads_negations_and_unmentioned_defaults():
    """Trained on training-template captions only (hashed words: no context
    from an encoder), the head tells "without glasses" from "with glasses"
    and "with no beard" from "with a full beard", and reads a caption that
    says nothing of glasses, hats or beards as none."""
    rng = np.random.default_rng(0)
    attrs = [sample_attributes("faces", rng, i) for i in range(300)]
    texts, index = token_captions(attrs, 2, 0, drop_defaults=0.5)
    tokens = torch.from_numpy(hash_phrase_tokens(texts))
    cats = torch.from_numpy(category_codes(attrs))
    labels = torch.zeros(len(texts), cats.shape[1], dtype=torch.long)
    for i in range(len(attrs)):
        labels[index[i]] = cats[i]
    head = TextHead(TINY)
    opt = torch.optim.Adam(head.parameters(), 3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(250):
        idx = torch.randint(len(texts), (32,), generator=g)
        loss = _class_loss(head(tokens[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    names = class_names()

    def read(text: str) -> dict:
        with torch.no_grad():
            lg = head(torch.from_numpy(hash_phrase_tokens([text])))
        return {n: int(x.argmax()) for n, x in zip(names, lg)}

    no = read("a person, without glasses, with no beard, bareheaded")
    yes = read("a person, wearing glasses, with a full beard, wearing a hat")
    silent = read("a person, with red hair")
    assert no["eyewear"] == 0 and yes["eyewear"] == 1 and silent["eyewear"] == 0
    assert no["beard"] == 0 and yes["beard"] == 1 and silent["beard"] == 0
    assert no["hat"] == 0 and yes["hat"] == 1 and silent["hat"] == 0
    assert silent["hair_color"] == FACES.get("hair_color").values.index("red")


def test_captions_leave_out_default_phrases_but_never_use_heldout_templates():
    from generators.studio.captions import FACE_SUBJECTS_HELDOUT

    rng = np.random.default_rng(1)
    attrs = [dict(sample_attributes("faces", rng, i), eyewear="none") for i in range(40)]
    texts, index = token_captions(attrs, 2, 0, drop_defaults=0.5)
    assert index.shape == (40, 2)
    said = sum("without glasses" in t for t in texts)
    assert 0 < said < len(texts)                                    # both ways
    assert not any(split_phrases(t)[0] in FACE_SUBJECTS_HELDOUT for t in texts)
    same, _ = token_captions(attrs, 2, 0, drop_defaults=0.5)
    assert same == texts                                            # deterministic


def test_vocabulary_captions_add_the_dialogues_synonyms_but_no_heldout_word():
    from generators.studio.captions import (captions, heldout_only_words,
                                            vocabulary_templates)

    banned = heldout_only_words("faces")
    assert {"headwear", "whiskers", "joyful", "annoyed", "stunned"} <= banned
    assert not {"hat", "beard", "glasses", "happy", "a", "an", "with"} & banned
    extra = vocabulary_templates("faces")
    assert {"expression", "eyewear", "hat", "beard", "hair_color", "skin_tone"} <= set(extra)
    rng = np.random.default_rng(3)
    attrs = [sample_attributes("faces", rng, i) for i in range(200)]
    said = " ".join(t for a in attrs for t in captions("faces", a, rng, 4, vocabulary=True))
    words = set(said.replace(",", " ").split())
    assert not words & banned                                       # nothing held out
    assert {"beanie", "goatee", "glad", "ginger"} <= words          # the records' words
    # the vocabulary phrase of a value is said only for that value
    a = dict(attrs[0], hat=False, beard=False, eyewear="none", expression="sad")
    plain = " ".join(captions("faces", a, np.random.default_rng(0), 50, vocabulary=True))
    assert "beanie" not in plain and "goatee" not in plain and "glad" not in plain
    # off by default: the shipped head's training captions are unchanged
    r0, r1 = np.random.default_rng(5), np.random.default_rng(5)
    assert captions("faces", a, r0, 8) == captions("faces", a, r1, 8, vocabulary=False)
    texts, _ = token_captions(attrs[:20], 2, 0, vocabulary=True)
    assert texts != token_captions(attrs[:20], 2, 0)[0]


def test_the_trainer_option_puts_the_vocabulary_into_the_heads_captions(faces):
    from generators.studio.captions import captions

    rng = np.random.default_rng(9)
    default_words = {w for i in range(200)
                     for c in captions("faces", sample_attributes("faces", rng, i), rng, 8)
                     for w in c.replace(",", " ").split()}
    runs = {v: train_textgan(_opts(steps=1, vocab_captions=v), TINY, faces,
                             embedder=hash_phrase_tokens) for v in (False, True)}
    new = {v: {w for t in tr.data.texts for w in t.replace(",", " ").split()} - default_words
           for v, tr in runs.items()}
    assert new[True] and not new[False]     # only the option brings the records' words


def test_training_warms_up_the_head_then_plays_gan_cls_with_the_anchor(faces, tmp_path):
    tr = train_textgan(_opts(out=str(tmp_path / "run")), TINY, faces,
                       embedder=hash_phrase_tokens)
    first, last = tr.log[0], tr.log[-1]
    assert first["head"] > 0 and first["rec"] == 0 and first["loss_d"] == 0   # head alone
    for k in ("loss_d", "d_real_right", "d_real_wrong", "d_fake_right", "rec", "head"):
        assert last[k] > 0 and np.isfinite(last[k]), k
    # resumable: two more steps continue the run exactly as one run of 6 does
    more = train_textgan(_opts(steps=6, out=str(tmp_path / "run"), resume=True), TINY, faces,
                         embedder=hash_phrase_tokens)
    straight = train_textgan(_opts(steps=6), TINY, faces, embedder=hash_phrase_tokens)
    assert more.log[-1]["rec"] == pytest.approx(straight.log[-1]["rec"], rel=1e-4)


def test_the_decoder_starts_from_conv_deconv_weights(faces, tmp_path):
    torch.manual_seed(0)
    cd = ConvDeconv(_cd_config())
    save_pretrained(cd, cd.cfg, tmp_path / "cd", model_name="convdeconv", code_version=3)
    tr = train_textgan(_opts(steps=1, decoder_init=str(tmp_path / "cd")), TINY, faces,
                       embedder=hash_phrase_tokens)   # one warm-up step: the head alone
    for k, v in cd.state_dict().items():
        assert torch.equal(tr.G.decoder.state_dict()[k], v), k


def test_the_generator_renders_a_saved_convdeconv_textgan(tmp_path):
    pair = build(TINY, seed=0)
    save_pretrained(pair, TINY, tmp_path / "w", model_name="textgan", code_version=ARCH_VERSION)
    gen = TextGANGenerator("faces", tmp_path / "w", embedder=hash_phrase_tokens)
    a = FACES.defaults(3)
    s = SimpleNamespace(domain="faces", attributes=a, z=tuple(np.zeros(100)), offsets={},
                        text="", size=64)
    img = gen.render(s)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert np.array_equal(img, gen.render(s))
    batch = gen.render_batch([a, a], np.zeros((2, 100)), ["", ""])
    assert np.array_equal(batch[0], img) and np.array_equal(batch[1], img)


def test_text_head_accuracy_reads_captions_without_images(tmp_path):
    from generators.evaluation.textgan import text_head_accuracy

    pair = build(TINY, seed=0)
    save_pretrained(pair, TINY, tmp_path / "w", model_name="textgan", code_version=ARCH_VERSION)
    gen = TextGANGenerator("faces", tmp_path / "w", embedder=hash_phrase_tokens)
    res = text_head_accuracy(gen, n=12, seed=0)
    assert res["n"] == 12
    for name in ("train_templates", "heldout_templates"):
        per = res[f"{name}_per_attribute"]
        assert set(per) == set(class_names())
        assert all(0.0 <= v <= 1.0 for v in per.values())
        assert res[name] == pytest.approx(np.mean(list(per.values())))
