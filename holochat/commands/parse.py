"""``holochat parse TEXT [--domain D] [--json]``: show how a command is read."""

from __future__ import annotations

import argparse
import json


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="+", help="the command, as you would type it")
    p.add_argument(
        "--domain",
        dest="parse_domain",
        choices=["faces", "chairs"],
        default=None,
        help="domain to read it in (default: faces)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object {source, score, ops, clarification, message, matched}",
    )


def result_json(result) -> dict:
    """The ``--json`` object of a ParseResult."""
    from sessions.ops import op_to_json

    clar = None
    if result.clarification is not None:
        clar = {
            "question": result.clarification.question,
            "options": [
                {"label": label, "ops": [op_to_json(o) for o in ops]}
                for label, ops in result.clarification.options
            ],
        }
    return {
        "source": result.source,
        "score": result.score,
        "ops": [op_to_json(o) for o in result.ops],
        "clarification": clar,
        "message": result.message,
        "matched": result.matched,
    }


def run(args: argparse.Namespace) -> int:
    from dialogue.parser import parse
    from dialogue.types import ParseContext

    domain = args.parse_domain or getattr(args, "domain", None) or "faces"
    text = " ".join(args.text)
    result = parse(text, ParseContext(domain=domain))
    obj = result_json(result)
    if args.json:
        print(json.dumps(obj, ensure_ascii=False))
        return 0
    score = f" (score {result.score:.3f})" if result.score is not None else ""
    print(f"{result.source}{score}")
    for op in obj["ops"]:
        print("  " + json.dumps(op, ensure_ascii=False))
    if result.matched:
        print(f"  matched: {result.matched}")
    if obj["clarification"]:
        print(f"  asks: {obj['clarification']['question']}")
    if result.message:
        print(f"  note: {result.message}")
    return 0
