"""``holochat train reader`` (the request reader's head) and ``holochat eval parser``
(the whole parse cascade on the held-out request corpus and the command corpus)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELDOUT = REPO / "tests" / "data" / "requests_heldout.jsonl"
COMMANDS = REPO / "tests" / "data" / "commands.jsonl"


def configure_train(p: argparse.ArgumentParser) -> None:
    from dialogue.reader_train import TrainSettings

    d = TrainSettings()
    p.add_argument("--examples", type=int, default=d.examples, help="generated training lines")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--batch", type=int, default=d.batch)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--hidden", type=int, default=d.hidden, help="GRU width per direction")
    p.add_argument(
        "--encoder",
        choices=["bigru", "pooled"],
        default=d.encoder,
        help="token-level BiGRU head, or logistic heads on mean-pooled features",
    )
    p.add_argument(
        "--members",
        type=int,
        default=d.members,
        help="heads trained side by side and averaged (an ensemble)",
    )
    p.add_argument("--dev", type=int, default=d.dev, help="generated lines held back for dev")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--out",
        default=None,
        help="weights folder (default: the shipped generators/weights/reader-requests)",
    )


def run_train(args: argparse.Namespace) -> int:
    import torch

    from dialogue import reader
    from dialogue.reader_train import TrainSettings, heldout_texts, train
    from generators.files import cache_dir

    torch.set_num_threads(max(1, args.threads))
    settings = TrainSettings(
        examples=args.examples,
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        hidden=args.hidden,
        encoder=args.encoder,
        members=args.members,
        dev=args.dev,
        seed=args.seed,
    )
    out = Path(args.out) if args.out else reader.weights_dir()
    _, info = train(
        settings,
        out,
        cache_dir() / "reader",
        exclude=heldout_texts(HELDOUT),
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    print(
        f"saved {out}: dev accuracy {info['dev_accuracy']}, "
        f"{info['feature_seconds']} s features, {info['train_seconds']} s training"
    )
    return 0


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", default=str(HELDOUT), help="request corpus (JSONL)")
    p.add_argument("--commands", default=str(COMMANDS), help="command corpus (JSONL)")
    p.add_argument(
        "--no-reader",
        action="store_true",
        help="the cascade without the learned reader (the earlier fallback only)",
    )
    p.add_argument(
        "--reader",
        metavar="DIR",
        default=None,
        help="read with these reader weights instead of the shipped ones",
    )
    p.add_argument("--misses", action="store_true", help="list what was not right")
    p.add_argument("--json", action="store_true")


def run_eval(args: argparse.Namespace) -> int:
    import json

    import torch

    from dialogue import corpus_eval, reader

    torch.set_num_threads(1)
    for f in (args.corpus, args.commands):
        if not Path(f).exists():
            print(f"error: no corpus at {f}", file=sys.stderr)
            return 2
    if args.no_reader:
        reader._STATE["error"] = "disabled (--no-reader)"
        reader.read = _disabled
    elif args.reader:
        reader.weights_dir = lambda: Path(args.reader)
    res = {}
    for name, path in (("requests", args.corpus), ("commands", args.commands)):
        r = corpus_eval.grade(corpus_eval.load(path))
        if not args.misses:
            r.pop("misses")
        res[name] = r
    if args.json:
        print(json.dumps(res))
        return 0
    for name, r in res.items():
        print(
            f"{name}: {r['n']} lines, right {r['right_rate']:.1%}, asked {r['asked_rate']:.1%}, "
            f"wrong {r['wrong_rate']:.1%}"
        )
        if name == "requests":
            for cat, c in r["by_category"].items():
                print(
                    f"  {cat:14s} right {c['right']:3d}  asked {c['asked']:3d}  "
                    f"wrong {c['wrong']:3d}"
                )
        for m in r.get("misses", []):
            print(
                f"    {m['outcome']:5s} [{m['source']}] {m['text']!r} -> {m['ops']} "
                f"{m['reply'] or ''}"
            )
    return 0


def _disabled(*a, **k):
    raise RuntimeError("reader disabled")
