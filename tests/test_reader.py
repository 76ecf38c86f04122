"""The learned request reader: its head (shapes, learning, checkpoint), the generated
corpus, polarity-safe clarification, the honest replies, and the whole cascade on the
held-out request corpus (tests/data/requests_heldout.jsonl) with the shipped weights."""

import json
import pathlib

import numpy as np
import pytest

from dialogue import clarify, corpus_eval, reader_corpus as C, reader_replies
from sessions.ops import Describe, NewSeed, Reset, Set
from generators.schema import get_schema

DATA = pathlib.Path(__file__).parent / "data"
HELDOUT = corpus_eval.load(DATA / "requests_heldout.jsonl")
COMMANDS = corpus_eval.load(DATA / "commands.jsonl")

#: measured with the shipped weights (docs/phrasing.md); the test fails on a regression
RIGHT_AT_LEAST = 0.95        # measured 0.955 (424 / 444), wrong 0.002 (1)
WRONG_AT_MOST = 0.02


# -- the head ---------------------------------------------------------------------------------
def _tiny(encoder):
    import torch
    from generators.nets.reader import ReaderConfig, RequestReader
    torch.manual_seed(0)
    cfg = ReaderConfig(feat_dim=16, hidden=8, slot_sizes=(3, 4, 2), encoder=encoder)
    return cfg, RequestReader(cfg)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("encoder", ["bigru", "pooled"])
def test_head_shapes_and_masked_slots(encoder):
    import torch
    cfg, net = _tiny(encoder)
    x, m = torch.randn(2, 5, 16), torch.tensor([[1] * 5, [1, 1, 0, 0, 0]])
    net.eval()
    with torch.no_grad():
        out = net(x, m)
    assert out["act"].shape == (2, 5) and out["degree"].shape == (2, 3)
    assert out["slots"].shape == (2, 3, 4)
    p = out["slots"].softmax(-1)
    assert float(p[:, 0, 3].max()) < 1e-6 and float(p[:, 2, 2:].sum()) < 1e-6   # padded labels
    # padding tokens do not change the reading of the shorter line
    x2 = x.clone()
    x2[1, 2:] = 100.0
    with torch.no_grad():
        assert torch.allclose(net(x, m)["slots"][1], net(x2, m)["slots"][1], atol=1e-5)


@pytest.mark.usefixtures("one_torch_thread")
def test_one_step_lowers_the_loss_and_checkpoint_round_trips(tmp_path):
    import torch
    from dialogue.reader_train import loss_of
    from generators.checkpoint import from_pretrained, save_pretrained
    from generators.nets.reader import ReaderConfig, RequestReader
    cfg, net = _tiny("bigru")
    x, m = torch.randn(8, 6, 16), torch.ones(8, 6, dtype=torch.long)
    labels = {"act": np.arange(8) % 5, "degree": np.arange(8) % 3,
              "slots": np.stack([np.arange(8) % 3, np.arange(8) % 4, np.arange(8) % 2], 1)}
    idx = np.arange(8)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    net.train()
    torch.manual_seed(1)
    before = float(loss_of(net(x, m), labels, idx).detach())
    for _ in range(5):
        loss = loss_of(net(x, m), labels, idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    assert float(loss_of(net(x, m), labels, idx).detach()) < before
    save_pretrained(net, cfg, tmp_path, model_name="reader", code_version=1)
    back = from_pretrained(RequestReader, ReaderConfig, tmp_path, model_name="reader",
                           code_version=1, retrain_hint="x")
    assert torch.allclose(back(x, m)["slots"], net(x, m)["slots"])


# -- the corpus ---------------------------------------------------------------------------------
def test_generated_corpus_covers_acts_slots_degrees_and_skips_excluded():
    exs = list(C.generate(3000, seed=3))
    assert {e.act for e in exs} == set(C.ACTS)
    assert {e.domain for e in exs} == {"faces", "chairs"}
    assert {e.degree for e in exs} == set(C.DEGREES)
    seen = {(k, v) for e in exs for k, v in e.labels.items()}
    for s in C.vocabulary():
        for lab in s.labels[1:]:
            assert (s.key, lab) in seen, (s.key, lab)
    for e in exs:                       # every label is one the slot has
        for k, v in e.labels.items():
            assert k.startswith(e.domain + ".")
            assert v in next(s for s in C.vocabulary() if s.key == k).labels
    again = list(C.generate(50, seed=3))
    assert [e.text for e in again] == [e.text for e in exs[:50]]
    skip = {e.text.lower() for e in exs[:20]}
    assert not skip & {e.text.lower() for e in C.generate(20, seed=3, exclude=skip)}


def test_generated_corpus_shares_no_line_with_the_heldout_corpus():
    held = {r["text"].lower() for r in HELDOUT}
    gen = {e.text.lower() for e in C.generate(20000, seed=0, exclude=held)}
    assert not held & gen


# -- the held-out corpus itself ---------------------------------------------------------------------
WHY = ("honestly I'm not a fan of those glasses", "I'd love to see him with a beard",
       "she looks too grumpy, cheer her up a little", "ok the grin is a bit much, tone it down",
       "I think the hair would look nicer in red, thank you",
       "hmm, could she wear some shades? that would be cool",
       "can you make him look a bit older", "perfect, that's all for now, thanks",
       "I want a beaming face",
       "He wears dark sunglasses and has a short beard. He is grinning.",
       "The man in the picture has a thick beard and looks angry.")


def test_heldout_corpus_is_broad():
    assert len(HELDOUT) >= 400
    assert {r["domain"] for r in HELDOUT} == {"faces", "chairs"}
    cats = {r["category"] for r in HELDOUT}
    assert cats >= {"why", "preferences", "should_be", "questions", "hedges", "degrees",
                    "negation", "typos", "descriptions", "out_of_schema", "chat"}
    texts = {r["text"] for r in HELDOUT}
    assert set(WHY) <= texts
    for r in HELDOUT:
        e = r["expect"]
        assert e in corpus_eval.NO_CHANGE or (isinstance(e, dict) and e), r


# -- clarification and replies ------------------------------------------------------------------------
def test_clarification_never_offers_only_opposites_nor_destructive_options():
    q = clarify.make([("remove glasses", (Set("eyewear", "none"),)),
                      ("add glasses", (Set("eyewear", "glasses"),))])
    assert len(q.options) == 1 and q.question == "Did you mean 'remove glasses'?"
    assert clarify.make([("another person", (NewSeed(),)), ("start over", (Reset(),))]) is None
    q = clarify.make([("another person", (NewSeed(),)), ("add a beard", (Set("beard", True),))])
    assert [label for label, _ in q.options] == ["add a beard"]
    q = clarify.make([("add sunglasses", (Set("eyewear", "sunglasses"),)),
                      ("add a hat", (Set("hat", True),))])
    assert len(q.options) == 2
    ask = clarify.ask(clarify.label_of([Set("eyewear", "none")], "faces"),
                      (Set("eyewear", "none"),))
    assert ask.question == "Remove the glasses?"


def test_cant_reply_names_nearest_things_and_chat_replies():
    r = reader_replies.cant_reply("can you make him look a bit older", "faces")
    assert "age" in r and "gray hair" in r
    assert "hair colour" in reader_replies.cant_reply("give her bangs", "faces")
    assert "colour" in reader_replies.cant_reply("make the chair purple", "chairs")
    assert reader_replies.chat_reply("perfect, that's all for now, thanks").startswith("Glad")
    assert reader_replies.chat_reply("thanks!") == "You're welcome."


# -- the shipped reader through the cascade --------------------------------------------------------------
@pytest.fixture(scope="module")
def loaded():
    import torch
    from dialogue import reader
    torch.set_num_threads(1)
    reader._reset_for_tests()
    reader.warm_up()
    yield reader
    reader._reset_for_tests()


def _parse(text, domain="faces", **attrs):
    from dialogue.parser import parse
    from dialogue.types import ParseContext
    from sessions.state import ImageState
    state = ImageState.new(domain, seed=0).set_attributes(**attrs)
    return parse(text, ParseContext(domain=domain, attributes=dict(state.attributes)))


def test_why_examples_end_as_meant(loaded):
    rows = [r for r in HELDOUT if r["category"] == "why"]
    res = corpus_eval.grade(rows)
    assert res["wrong"] == 0, res["misses"]
    assert res["right"] >= len(rows) - 1, res["misses"]
    older = _parse("can you make him look a bit older")
    assert older.source == "cant" and not older.ops and "age" in older.message


def test_descriptions_and_nothing_described(loaded):
    r = _parse("She is not wearing any glasses and she has red hair.", eyewear="glasses")
    assert len(r.ops) == 1 and isinstance(r.ops[0], Describe)
    assert dict(r.ops[0].attributes) == {"eyewear": "none", "hair_color": "red"}
    r = _parse("a person from the future")
    assert not r.ops and "nothing I can change" in (r.message or "")
    r = _parse("hello!")
    assert r.source == "chat" and not r.ops


@pytest.mark.slow
def test_heldout_requests_right_and_wrong(loaded):
    res = corpus_eval.grade(HELDOUT)
    n = res["n"]
    print(f"held-out requests: right {res['right_rate']:.1%}, asked {res['asked_rate']:.1%}, "
          f"wrong {res['wrong_rate']:.1%} of {n}")
    assert res["wrong"] / n <= WRONG_AT_MOST, json.dumps(res["misses"], indent=1)
    assert res["right"] / n >= RIGHT_AT_LEAST, json.dumps(res["misses"], indent=1)


def test_every_why_example_ends_as_meant(loaded):
    """The issue's own examples: each ends in the state meant (age: an honest
    reply naming what can change), none is asked back."""
    rows = [r for r in HELDOUT if r["text"] in WHY]
    assert len(rows) == len(WHY)
    res = corpus_eval.grade(rows)
    assert res["right"] == len(rows), json.dumps(res["misses"], indent=1)


def test_a_request_after_a_complaint_is_taken_when_both_readings_agree():
    """'she looks too grumpy, cheer her up a little': the reader reads the whole
    line below its threshold; the grammar reads the last clause alone as the same
    edit, so the line is taken.  A last clause that reads otherwise changes nothing."""
    from dialogue import reader_step

    attrs = get_schema("faces").defaults(seed=3)
    happy = (Set("expression", "happy"),)
    assert reader_step.last_clause_agrees("she looks too grumpy, cheer her up", "faces", attrs,
                                          happy)
    assert not reader_step.last_clause_agrees("she looks too grumpy, add a hat", "faces", attrs,
                                              happy)
    assert not reader_step.last_clause_agrees("cheer her up", "faces", attrs, happy)


# -- ensemble, resuming, decoding rules, pre-stripping (issue 30, second pass) ---------------------
@pytest.mark.usefixtures("one_torch_thread")
def test_ensemble_head_averages_member_probabilities():
    import torch
    from generators.nets.reader import ReaderConfig, RequestReader
    torch.manual_seed(0)
    net = RequestReader(ReaderConfig(feat_dim=16, hidden=8, slot_sizes=(3, 4, 2), members=3))
    net.eval()
    x, m = torch.randn(2, 5, 16), torch.tensor([[1] * 5, [1, 1, 1, 0, 0]])
    with torch.no_grad():
        each = net.forward_members(x, m)
        whole = net(x, m)
    assert len(each) == 3
    for k in ("act", "degree", "slots"):
        mean = torch.stack([o[k].softmax(-1) for o in each]).mean(0)
        assert torch.allclose(whole[k].softmax(-1), mean, atol=1e-5)
    assert float(whole["slots"].softmax(-1)[:, 0, 3].max()) < 1e-6         # padded labels
    with pytest.raises(ValueError):
        ReaderConfig(slot_sizes=(3,), members=0)


@pytest.mark.usefixtures("one_torch_thread")
def test_training_resumes_where_it_stopped(tmp_path, monkeypatch):
    """A run stopped after its checkpoint ends with the same head as one never stopped."""
    import torch
    from dialogue import reader_train as T

    def fake_features(examples, cache=None, progress=None):
        rng = np.random.default_rng(len(examples))
        lens = [3 + len(e.text) % 5 for e in examples]
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        return rng.standard_normal((int(offsets[-1]), 12)).astype(np.float16), offsets

    monkeypatch.setattr(T, "features", fake_features)
    s = T.TrainSettings(examples=60, dev=10, steps=260, batch=8, hidden=4, members=2)
    whole, _ = T.train(s, None, tmp_path / "a", progress=lambda m: None)

    calls = {"n": 0}
    real = T.loss_of

    def failing(*a, **k):
        calls["n"] += 1
        if calls["n"] > 2 * 255:                # two members a step: stop after step 255
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(T, "loss_of", failing)
    with pytest.raises(KeyboardInterrupt):
        T.train(s, None, tmp_path / "b", progress=lambda m: None)
    assert list((tmp_path / "b").glob("run-*.pt"))
    monkeypatch.setattr(T, "loss_of", real)
    said = []
    again, _ = T.train(s, None, tmp_path / "b", progress=said.append)
    assert any("resumed at step 250" in m for m in said)
    assert not list((tmp_path / "b").glob("run-*.pt"))        # removed when done
    for (k, a), (_, b) in zip(whole.state_dict().items(), again.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), k


def _reading(act="edit", act_probs=None, **slots):
    from dialogue import reader
    full = {s.attr: (C.NONE, 0.99) for s in C.slots("faces")}
    full.update(slots)
    return reader.Reading(act, 0.9, "one", 1.0, full,
                          {a: {lab: p} for a, (lab, p) in full.items()}, act_probs or {})


def test_more_expression_on_a_neutral_face_sets_the_named_expression():
    from dialogue import reader
    r = _reading(expression_strength=("up", 0.9))
    ops = reader.ops_of(r, "faces", {"expression": "neutral"}, "make her smile way more")
    assert ops == [Set("expression", "happy")]
    ops = reader.ops_of(r, "faces", {"expression": "happy"}, "make her smile way more")
    assert [o.attr for o in ops] == ["expression_strength"]          # a smile to strengthen
    assert C.expression_named("he scowls a lot") == "angry"
    assert C.expression_named("more expression") is None


def test_edit_and_describe_count_together_in_the_confidence():
    r = _reading("describe", {"edit": 0.45, "describe": 0.53, "cant": 0.02},
                 expression=("happy", 0.99))
    assert r.confidence == pytest.approx(0.98)
    r = _reading("cant", {"edit": 0.45, "cant": 0.55})         # other acts: their own p
    assert r.confidence == pytest.approx(0.9)


def test_grammar_strips_the_causative_and_the_in_before_grayscale():
    from dialogue import grammar
    assert grammar.parse_ops("make her look at the camera", "faces") == \
        [Set("yaw", 0.0), Set("pitch", 0.0)]
    assert grammar.parse_ops("have him turn left", "faces") == \
        grammar.parse_ops("turn left", "faces")
    assert grammar.parse_ops("I'd like it in black and white", "chairs") == \
        [Set("saturation", 0.0)]
    assert grammar.parse_ops("zoom in", "chairs") == grammar.parse_ops("zoom in please", "chairs")


def test_generated_corpus_covers_the_second_pass_kinds():
    exs = list(C.generate(6000, seed=11))
    texts = [e.text.lower() for e in exs]
    strength = [e for e in exs if e.labels.get("faces.expression_strength") == "down"]
    assert any(" too " in e.text.lower() for e in strength)
    assert any(e.labels.get("faces.eyewear") == "glasses"
               and any(k in e.text.lower() for k in C.EYEWEAR_KINDS["glasses"]) for e in exs)
    assert any(e.labels.get("chairs.legs") == "four" and "pedestal" in e.text.lower()
               for e in exs)                                  # "no pedestal": four legs
    assert any(e.act == "cant" and any(p in e.text.lower() for p in C.OOS_PARTS) for e in exs)
    assert any(e.act == "other" and any(t in e.text.lower() for t in C.OFF_TOPIC_THINGS)
               for e in exs)
    assert any("don't mind" in t for t in texts)


def test_respelling_prefers_one_edit_and_the_domains_words():
    from dialogue import reader_step
    from dialogue.parser import _vocabulary
    assert reader_step._edits("hta", "hat") == 1 and reader_step._edits("hta", "tan") == 2
    assert reader_step._closest("blak", _vocabulary(), "chairs") == "black"
    assert reader_step._closest("hta", _vocabulary(), "faces") == "hat"


def test_a_line_with_typos_is_read_respelled(loaded):
    r = _parse("zom in", "chairs")
    assert [o.attr for o in r.ops] == ["zoom"] and r.ops[0].delta > 0
    assert _parse("make it blak", "chairs").ops == (Set("color", "black"),)
    assert _parse("put a hta on her").ops == (Set("hat", True),)
    r = _parse("asdfgh")
    assert not r.ops


def test_the_other_value_is_never_one_the_line_refuses(loaded):
    assert C.refused("chairs", "legs", "pedestal", "I don't want a pedestal")
    assert not C.refused("faces", "hair_color", "brown", "I don't love the black hair, try brown")
    assert not C.refused("faces", "eyewear", "glasses", "not sunglasses, regular glasses")
    r = _parse("I don't want a pedestal", "chairs", legs="four")
    assert not r.ops and r.clarification is None
    assert _parse("I don't want a pedestal", "chairs", legs="pedestal").ops in (
        (), (Set("legs", "four"),))
