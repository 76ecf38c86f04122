"""The vocabulary as data (generators/vocabulary/*.toml, issue #22): the schema,
the grammar's words, the fallback's exemplars, the replies and the captions of
an attribute all come from its one record."""

from __future__ import annotations

import numpy as np

from dialogue import grammar, replies
from dialogue.exemplars import bank
from dialogue.resolve import Facts, resolve
from dialogue.context import DialogueContext
from generators import vocabulary as V
from generators.schema import SCHEMAS, get_schema
from generators.studio.captions import captions
from sessions import ops as O
from sessions.session import Session
from sessions.state import ImageState

TOY = """
[attributes.scarf]
kind = "bool"
default = false
names = ["scarf", "muffler"]
object = true
[attributes.scarf.reply]
noun = "the scarf"
thing = "a scarf"
on = "wrapped a scarf around their neck"
off = "took off the scarf"
[attributes.scarf.caption]
true = ["wearing a scarf", "with a woolly scarf"]

[attributes.blur]
kind = "float"
range = [0, 1]
default = 0.0
step = 0.25
names = ["blur", "softness"]
pos = ["blurrier", "softer focus"]
neg = ["sharper", "crisper"]
[attributes.blur.reply]
noun = "the blur"

[[unsupported]]
name = "monocles"
words = ["monocle"]
nearest = ["add a scarf"]
"""


def test_schemas_are_built_from_the_records():
    for domain, schema in SCHEMAS.items():
        voc = V.vocabulary(domain)
        assert schema.names == tuple(r.name for r in voc.records)
        assert schema.seed_attribute == voc.seed_attribute and schema.subject == voc.subject
        for r in voc.records:
            a = schema.get(r.name)
            assert (a.kind, a.values, a.step) == (r.kind, r.values, r.step)


def test_a_new_attribute_is_one_record():
    with V.extended("faces", TOY):
        schema = get_schema("faces")
        assert "scarf" in schema and schema.get("blur").step == 0.25
        # parsing: the record's names and direction words
        assert grammar.parse_ops("add a muffler", "faces") == [O.Set("scarf", True)]
        assert grammar.parse_ops("remove the scarf", "faces") == [O.Set("scarf", False)]
        assert grammar.parse_ops("make it a bit blurrier", "faces") == [O.Adjust("blur", 0.125)]
        assert grammar.parse_ops("sharper", "faces") == [O.Adjust("blur", -0.25)]
        # the fallback's exemplars
        commands = {e.command for e in bank("faces")}
        assert {"add scarf", "no scarf", "increase blur", "decrease blur"} <= commands
        assert all(grammar.parse_ops(c, "faces") for c in ("add scarf", "increase blur"))
        # replies, from the record's wording
        s = Session(ImageState.new("faces", 3, "studio"))
        out = s.play([O.Set("scarf", True), O.Adjust("blur", 0.5)])
        text = replies.reply_for("faces", out)
        assert "Wrapped a scarf around their neck" in text and "blurrier (blur 0.5)" in text
        assert replies.reply_for("faces", s.play([O.Set("scarf", True)])) == \
            "They already have a scarf."
        # captions
        got = captions("faces", dict(s.state.attributes), np.random.default_rng(0), n=8)
        assert any("scarf" in c for c in got)
        # anaphora and an honest "can't", from the same data
        facts = Facts("faces", dict(s.state.attributes), s.step, 2, s.history.state_at)
        ctx = DialogueContext(domain="faces", object="scarf", attr="scarf")
        res = resolve("take it off", ctx, facts)
        assert res is not None and res.ops == (O.Set("scarf", False),)
        res = resolve("give her a monocle", ctx, facts)
        assert res.kind == "unsupported" and "'add a scarf'" in res.reply
    assert "scarf" not in get_schema("faces")             # the record is gone again
    assert grammar.parse_ops("add a muffler", "faces") is None


def test_out_of_schema_requests_name_the_nearest_things():
    voc = V.vocabulary("faces")
    u, word = voc.out_of_schema("make her look older")
    assert u.name == "age" and word == "older" and "gray hair" in u.nearest
    assert V.vocabulary("chairs").out_of_schema("add wheels")[0].nearest
    assert voc.out_of_schema("add sunglasses") is None
