"""The multi-turn dialogue corpus (tests/data/dialogues/*.jsonl, issue #22).

Each session is a few lines typed as a person would (typos, mixed case),
written apart from the grammar, with the final state it should end in (only
the attributes that matter) and, for some, words the last reply must hold.
They run through the dialogue manager with the studio renderer; at least 95 %
must end as expected, and the failures are reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dialogue.manager import DialogueManager

DATA = Path(__file__).parent / "data" / "dialogues"
SESSIONS = [json.loads(line) for p in sorted(DATA.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
BAR = 0.95


def run_session(s: dict) -> str | None:
    """None when the session ends as expected, else what went wrong."""
    m = DialogueManager(s["domain"], seed=11, generator="studio", log=False, size=32)
    m.start()
    replies = []
    for line in s["turns"]:
        replies.append(m.turn(line).reply)
    got = m.state.attributes
    wrong = []
    for k, want in s["expect"].items():
        have = got[k]
        if isinstance(want, float) and not isinstance(have, (bool, str)):
            if abs(float(have) - want) > 1e-6:
                wrong.append(f"{k}={have} (want {want})")
        elif have != want:
            wrong.append(f"{k}={have} (want {want})")
    if "reply_contains" in s and s["reply_contains"].lower() not in replies[-1].lower():
        wrong.append(f"last reply lacks {s['reply_contains']!r}")
    if not wrong:
        return None
    trace = " | ".join(f"{t!r} → {r[:70]!r}" for t, r in zip(s["turns"], replies))
    return f"{s['id']} [{s['category']}]: {', '.join(wrong)}\n    {trace}"


def test_the_corpus_is_big_and_varied():
    assert len(SESSIONS) >= 150
    assert {s["domain"] for s in SESSIONS} == {"faces", "chairs"}
    assert sum(3 <= len(s["turns"]) <= 8 for s in SESSIONS) >= 150
    assert all(2 <= len(s["turns"]) <= 8 for s in SESSIONS)
    assert len({s["id"] for s in SESSIONS}) == len(SESSIONS)
    cats = {s["category"] for s in SESSIONS}
    assert {"ellipsis", "anaphora", "correction", "reverse", "view", "question", "unsupported",
            "social", "meta", "mixed"} <= cats


@pytest.mark.slow
def test_multi_turn_sessions_end_where_the_person_meant(monkeypatch, tmp_path):
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(tmp_path))
    failures = [f for f in map(run_session, SESSIONS) if f]
    rate = 1 - len(failures) / len(SESSIONS)
    print(f"\ndialogue corpus: {len(SESSIONS) - len(failures)}/{len(SESSIONS)} "
          f"({rate:.1%}) end as expected")
    for f in failures:
        print("  " + f)
    assert rate >= BAR, f"{len(failures)} of {len(SESSIONS)} failed:\n" + "\n".join(failures)
