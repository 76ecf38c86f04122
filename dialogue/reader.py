"""The learned request reader: one line → a structured request → ops.

It reads the token features of the shipped all-MiniLM-L6-v2 (loaded once, lazily,
through ``transformers``; frozen) with a small trained head
(``generators.nets.reader``, weights in ``generators/weights/reader-requests``), and
returns a ``Reading``: the act (edit / describe / cant / chat / other), a label per
attribute of the domain, a degree and their probabilities.  ``ops_of`` turns a reading
into ops; the parser accepts it above ``ACCEPT`` (``dialogue.parser``).

``warm_up()`` loads everything ahead of time (the app does it in a worker); a missing
model or missing weights make ``available()`` false and the parser goes on without it.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogue import reader_corpus as C
from generators.schema import get_schema
from sessions.ops import Adjust, Describe, Op, Set

MODEL_NAME = "reader"
CODE_VERSION = 1
MAX_TOKENS = 96
#: accept a reading whose weakest part (act, each slot, the degree) is at least this likely
ACCEPT = 0.6

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}


def weights_dir() -> Path:
    from generators.weights import weights_path

    return weights_path("reader", "requests")


def model_input(text: str, domain: str) -> str:
    """What the encoder reads: the domain, then the line."""
    return f"{domain}: {text}"


# -- the frozen encoder ---------------------------------------------------------------------------
def _encoder():
    with _LOCK:
        if "encoder" in _STATE:
            return _STATE["encoder"]
        import os

        from generators.text.embedding import embedding_model_name

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        name = embedding_model_name()
        if Path(name).exists():
            os.environ["HF_HUB_OFFLINE"] = "1"
        import transformers

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        tok = transformers.AutoTokenizer.from_pretrained(name)
        model = transformers.AutoModel.from_pretrained(name)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        _STATE["encoder"] = (tok, model)
        return _STATE["encoder"]


def token_features(texts: Sequence[str]):
    """(features [B, T, 384] float32, mask [B, T]) of the encoder's last layer."""
    import torch

    tok, model = _encoder()
    batch = tok(
        list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
    )
    with torch.inference_mode():
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return out.last_hidden_state, batch["attention_mask"]


def known_word(word: str) -> bool:
    """Whether the encoder's tokenizer has ``word`` as one whole word (typos rarely are)."""
    words = _STATE.get("words")
    if words is None:
        with _LOCK:
            if "encoder" in _STATE:
                tok = _STATE["encoder"][0]
            else:  # the tokenizer alone is quick to load
                import transformers

                from generators.text.embedding import embedding_model_name

                tok = transformers.AutoTokenizer.from_pretrained(embedding_model_name())
            words = _STATE["words"] = frozenset(tok.get_vocab())
    return word in words


# -- the head --------------------------------------------------------------------------------------
def label_space() -> dict[str, Any]:
    """The order of acts, degrees and slots the head's outputs follow."""
    return {
        "acts": list(C.ACTS),
        "degrees": list(C.DEGREES),
        "slots": [[s.key, list(s.labels)] for s in C.vocabulary()],
    }


def _head():
    with _LOCK:
        if "head" in _STATE:
            return _STATE["head"]
        from generators.checkpoint import from_pretrained, read_config
        from generators.nets.reader import ReaderConfig, RequestReader

        path = weights_dir()
        head = from_pretrained(
            RequestReader,
            ReaderConfig,
            path,
            model_name=MODEL_NAME,
            code_version=CODE_VERSION,
            retrain_hint="holochat train reader",
        )
        space = read_config(path).get("extra", {}).get("labels")
        if space != label_space():
            from generators.errors import WeightsError

            raise WeightsError(
                "the reader weights were trained on another vocabulary; "
                "retrain with: holochat train reader"
            )
        _STATE["head"] = head
        return head


def available() -> bool:
    try:
        warm_up()
    except Exception:
        return False
    return True


def warm_up() -> None:
    """Load the encoder and the head now (raises when either is missing)."""
    with _LOCK:
        if "error" in _STATE:
            raise RuntimeError(_STATE["error"])
        try:
            import torch

            _encoder()
            _head()
            if "warm" not in _STATE:
                with torch.inference_mode():
                    read("add a hat", "faces")
                _STATE["warm"] = True
        except Exception as e:
            _STATE["error"] = f"{type(e).__name__}: {e}"
            raise


def _reset_for_tests() -> None:
    with _LOCK:
        _STATE.clear()


# -- reading ---------------------------------------------------------------------------------------
@dataclass
class Reading:
    act: str
    act_p: float
    degree: str
    degree_p: float
    slots: dict[str, tuple[str, float]] = field(default_factory=dict)  # attr -> (label, p)
    probs: dict[str, dict[str, float]] = field(default_factory=dict)  # attr -> label -> p
    act_probs: dict[str, float] = field(default_factory=dict)  # act -> p

    @property
    def touched(self) -> dict[str, str]:
        return {a: lab for a, (lab, _) in self.slots.items() if lab != C.NONE}

    @property
    def confidence(self) -> float:
        """The weakest probability among the act, every slot and (for numbers) the degree.
        For an edit or a description the act counts as sure as "it asks for these changes"
        (edit and describe together): both set the attributes read, so a line between the
        two ("I want to see her laughing") is not asked back for that."""
        act_p = self.act_p
        if self.act in ("edit", "describe") and self.act_probs:
            act_p = self.act_probs.get("edit", 0.0) + self.act_probs.get("describe", 0.0)
        ps = [act_p] + [p for _, p in self.slots.values()]
        if any(lab in ("up", "down") for lab in self.touched.values()):
            ps.append(self.degree_p)
        return min(ps)


def read_many(texts: Sequence[str], domains: Sequence[str]) -> list[Reading]:
    import torch

    head = _head()
    feats, mask = token_features([model_input(t, d) for t, d in zip(texts, domains)])
    with torch.inference_mode():
        out = head(feats, mask)
    act_p = out["act"].softmax(-1)
    deg_p = out["degree"].softmax(-1)
    slot_p = out["slots"].softmax(-1)
    vocab = C.vocabulary()
    readings = []
    for i, domain in enumerate(domains):
        a = int(act_p[i].argmax())
        g = int(deg_p[i].argmax())
        slots, probs = {}, {}
        for j, s in enumerate(vocab):
            if s.domain != domain:
                continue
            k = int(slot_p[i, j].argmax())
            slots[s.attr] = (s.labels[k], float(slot_p[i, j, k]))
            probs[s.attr] = {lab: float(slot_p[i, j, n]) for n, lab in enumerate(s.labels)}
        readings.append(
            Reading(
                C.ACTS[a],
                float(act_p[i, a]),
                C.DEGREES[g],
                float(deg_p[i, g]),
                slots,
                probs,
                {act: float(act_p[i, n]) for n, act in enumerate(C.ACTS)},
            )
        )
    return readings


_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=\S)")
#: read a line of several sentences sentence by sentence (a description in sentences)
BY_SENTENCE = True


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE.split(text.strip())) if s]


def read(text: str, domain: str) -> Reading:
    """The reading of ``text``; a line of several sentences is read sentence by sentence
    and the sentences that ask for changes are merged into one reading (a description
    in sentences is one describe turn; "could she wear shades? that would be cool" one
    edit)."""
    parts = sentences(text) if BY_SENTENCE else [text]
    if len(parts) < 2:
        return read_many([text], [domain])[0]
    readings = read_many([text] + parts, [domain] * (len(parts) + 1))
    whole, each = readings[0], readings[1:]
    kept = [r for r in each if r.act in ("edit", "describe") and r.touched]
    if not kept:
        return whole
    slots: dict[str, tuple[str, float]] = {}
    probs: dict[str, dict[str, float]] = {}
    for r in kept:
        for attr, (lab, p) in r.slots.items():
            if lab != C.NONE and (
                attr not in slots or slots[attr][0] == C.NONE or p > slots[attr][1]
            ):
                slots[attr], probs[attr] = (lab, p), r.probs.get(attr, {})
            elif attr not in slots:
                slots[attr], probs[attr] = (lab, p), r.probs.get(attr, {})
    for attr in list(slots):  # untouched: as sure as the surest sentence
        if slots[attr][0] == C.NONE:
            slots[attr] = (
                C.NONE,
                max(r.slots[attr][1] for r in kept if r.slots[attr][0] == C.NONE),
            )
    act = (
        "describe"
        if (whole.act == "describe" or any(r.act == "describe" for r in kept))
        else "edit"
    )
    best = max(kept, key=lambda r: r.degree_p)
    # each kept sentence asks for changes (edit or describe) this surely
    act_p = min(
        (r.act_probs.get("edit", 0.0) + r.act_probs.get("describe", 0.0))
        if r.act_probs
        else r.act_p
        for r in kept
    )
    return Reading(act, act_p, best.degree, best.degree_p, slots, probs)


_LOOK = re.compile(r"\b(?:look|looks|looking|face|faces|facing|gaze|gazing)\b")
_SIDE = re.compile(r"\b(?:from|on|at) (?:the |her |his |their |its )?(?:left|right)\b")
#: "the hat has to go", "glasses off": a reading that puts something on is doubted
GOING = re.compile(
    r"\b(?:should|has to|have to|must|can|needs? to|got to|gotta) go\b"
    r"|\bgone\b|\boff\b"
)
_MOVE = re.compile(
    r"\b(?:turn\w*|rotat\w*|more|further|bit|little|touch|tad|slightly|"
    r"lot|much|way|degrees?|\d+)\b"
)
#: a category value already shown is rarely what an edit asks for; the next reading
#: is taken when it has at least this share of the probability
ALTERNATIVE = 0.1
#: below this share the other readings are not in doubt (the request is already met and
#: the reply says so); between DOUBT and ALTERNATIVE the parser asks about the other value
DOUBT = 0.02


def _against_state(
    reading: Reading, schema, attributes: Mapping[str, Any], text: str = ""
) -> dict[str, str]:
    """The touched labels of an edit, read against the current state: a category or
    on/off label equal to what is already there ("I'd prefer glasses instead of the
    shades" read as "sunglasses" while wearing sunglasses) is replaced by the best other
    value when that one is likely enough, and dropped otherwise (the attribute is
    already as asked; for the expression the strength may still move).  The other value
    is never one the line refuses ("I don't want a pedestal" on four legs: already so)."""
    out = {}
    for attr, lab in reading.touched.items():
        if lab in ("up", "down") or attr not in attributes:
            out[attr] = lab
            continue
        current = attributes[attr]
        cur = ("true" if current else "false") if isinstance(current, bool) else str(current)
        if lab != cur:
            out[attr] = lab
            continue
        probs = reading.probs.get(attr, {})
        alts = sorted(((p, v) for v, p in probs.items() if v not in (C.NONE, cur)), reverse=True)
        if (
            alts
            and alts[0][0] >= ALTERNATIVE
            and not C.refused(schema.domain, attr, alts[0][1], text)
        ):
            out[attr] = alts[0][1]
    return out


def already(reading: Reading, attributes: Mapping[str, Any]) -> str | None:
    """ "the hat is already off"-style text when every label of an edit is what is shown."""
    parts = []
    for attr, lab in reading.touched.items():
        if lab in ("up", "down") or attr not in attributes:
            return None
        cur = attributes[attr]
        if (("true" if cur else "false") if isinstance(cur, bool) else str(cur)) != lab:
            return None
        name = attr.replace("_", " ")
        verb = "are" if name.endswith("s") else "is"
        parts.append(
            f"the {name} {verb} already {'on' if cur is True else 'off' if cur is False else cur}"
        )
    return "; ".join(parts) or None


def alternative_ops(
    reading: Reading, domain: str, attributes: Mapping[str, Any], text: str = ""
) -> list[Op]:
    """For an edit whose every label equals what is already shown: the ops of the best
    other value of each such slot (on/off flipped), to ask about ("Remove the hat?")."""
    ops: list[Op] = []
    for attr, lab in reading.touched.items():
        if lab in ("up", "down") or attr not in attributes:
            return []
        cur = attributes[attr]
        cur = ("true" if cur else "false") if isinstance(cur, bool) else str(cur)
        probs = reading.probs.get(attr, {})
        alts = sorted(((p, v) for v, p in probs.items() if v not in (C.NONE, cur)), reverse=True)
        if not alts or alts[0][0] < DOUBT or C.refused(domain, attr, alts[0][1], text):
            return []
        v = alts[0][1]
        ops.append(Set(attr, {"true": True, "false": False}.get(v, v)))
    return ops


_NUMBER = re.compile(r"(?<![\w.])[+-]?\d+(?:\.\d+)?(?![\w.])")


def ground(reading: Reading, domain: str, text: str) -> Reading:
    """The reading without category or on/off labels the line never names (no noun,
    value or wearable word for them): "look at the camera" is not read as glasses."""
    ungrounded = {
        a
        for a, lab in reading.touched.items()
        if lab not in ("up", "down") and not C.grounded(domain, a, text)
    }
    if not ungrounded:
        return reading
    return dataclasses.replace(
        reading,
        slots={
            a: ((C.NONE, p) if a in ungrounded else (lab, p))
            for a, (lab, p) in reading.slots.items()
        },
    )


def polarity(reading: Reading, domain: str, text: str) -> Reading:
    """The reading with the direction of a number the line calls "too X" set by the
    vocabulary ("too dark" is brighter, "way too big" is smaller): the inversion a
    small head learns least surely.  The slot is then as sure as "it is touched"."""
    slots = dict(reading.slots)
    changed = False
    for attr, (lab, p) in reading.slots.items():
        if lab not in ("up", "down"):
            continue
        direc = C.too_direction(domain, attr, text)
        if direc is None:
            continue
        probs = reading.probs.get(attr, {})
        slots[attr] = (direc, probs.get("up", 0.0) + probs.get("down", 0.0) or p)
        changed = True
    return dataclasses.replace(reading, slots=slots) if changed else reading


def ops_of(
    reading: Reading, domain: str, attributes: Mapping[str, Any], text: str = ""
) -> list[Op]:
    """The ops a reading asks for (empty for can't / chat / other, or nothing touched)."""
    if reading.act not in ("edit", "describe"):
        return []
    schema = get_schema(domain)
    reading = ground(reading, domain, text)
    touched = reading.touched
    if reading.act == "describe":
        attrs: dict[str, Any] = {}
        for attr, lab in touched.items():
            if lab in ("up", "down"):
                continue
            attrs[attr] = {"true": True, "false": False}.get(lab, lab)
        return [Describe(attrs, text.strip())] if attrs else []
    touched = _against_state(reading, schema, attributes, text)
    if (
        touched.get("expression_strength") == "up"
        and "expression" not in touched
        and attributes.get("expression") == "neutral"
    ):
        # a neutral face has no expression to strengthen: "make her smile way more"
        # asks for the expression its words name
        named = C.expression_named(text)
        if named and named != "neutral":
            touched = {
                ("expression" if a == "expression_strength" else a): (
                    named if a == "expression_strength" else lab
                )
                for a, lab in touched.items()
            }
    ops: list[Op] = []
    factor = C.DEGREE_FACTOR[reading.degree]
    nums = _NUMBER.findall(text)
    numeric = [a for a, lab in touched.items() if lab in ("up", "down")]
    for attr, lab in touched.items():
        a = schema.get(attr)
        if (
            attr == "light_azimuth"
            and lab in ("up", "down")
            and _SIDE.search(text)
            and not _MOVE.search(text)
        ):
            from dialogue.lexicon import LIGHT_AZIMUTH_FROM  # "the lamp on her right"

            ops.append(Set(attr, LIGHT_AZIMUTH_FROM["right" if lab == "up" else "left"]))
        elif (
            attr == "yaw"
            and lab in ("up", "down")
            and _LOOK.search(text)
            and not _MOVE.search(text)
        ):
            from dialogue.lexicon import FACE_SIDE_YAW  # "looking to the left": absolute

            ops.append(Set(attr, FACE_SIDE_YAW if lab == "up" else -FACE_SIDE_YAW))
        elif lab in ("up", "down"):
            amount = a.step_size * factor
            if len(nums) == 1 and len(numeric) == 1 and a.unit == "°":
                amount = abs(float(nums[0]))
            ops.append(Adjust(attr, round(amount if lab == "up" else -amount, 6)))
        elif lab in ("true", "false"):
            ops.append(Set(attr, lab == "true"))
        else:
            ops.append(Set(attr, lab))
    return ops
