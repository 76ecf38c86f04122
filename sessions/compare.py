"""Side-by-side sheets: the states of one script rendered by several
generators, one row per generator and one column per turn, captioned with
the command (``holochat compare``; docs/faces.md).

The states come from a run of the script (the caller parses and applies
it): one studio run whose states every attribute-driven generator renders
again, so those columns show the same attributes, identity and z; a
generator whose edits are latent moves (the dcgan) gets its own run."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from generators import registry


def render_rows(states: Sequence, generators: Sequence[str]) -> list[list[np.ndarray]]:
    """For each generator, every state rendered by it (state.generator replaced)."""
    rows = []
    for name in generators:
        gen = registry.get_generator(name, states[0].domain)
        rows.append(
            [np.ascontiguousarray(gen.render(s.evolve(generator=name)), np.uint8) for s in states]
        )
    return rows


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines or [""]


def compare_sheet(
    rows: Sequence[Sequence[np.ndarray]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    scale: int = 2,
    flags: Sequence[Sequence[bool]] | None = None,
) -> np.ndarray:
    """A captioned grid: one row per ``row_labels`` entry (left), one column
    per ``col_labels`` entry (the command, above).  ``flags[r][c]`` True
    frames that cell in red (its turn's change did not read back)."""
    from PIL import Image, ImageDraw, ImageFont

    from generators.files import to_pil

    font = ImageFont.load_default()
    h, w = rows[0][0].shape[:2]
    cw, ch = w * scale, h * scale
    pad, left = 6, 92
    chars = max(6, cw // 6)
    heads = [_wrap(t, chars)[:3] for t in col_labels]
    top = 12 * max(len(x) for x in heads) + 6
    W = left + len(col_labels) * (cw + pad) + pad
    H = top + len(rows) * (ch + pad) + pad
    sheet = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(sheet)
    for c, lines in enumerate(heads):
        x = left + pad + c * (cw + pad)
        for i, line in enumerate(lines):
            draw.text((x, 3 + 12 * i), line, fill="black", font=font)
    for r, (label, imgs) in enumerate(zip(row_labels, rows)):
        y = top + pad + r * (ch + pad)
        for i, line in enumerate(_wrap(label, 14)[:3]):
            draw.text((4, y + ch // 2 - 6 + 12 * i), line, fill="black", font=font)
        for c, img in enumerate(imgs):
            x = left + pad + c * (cw + pad)
            sheet.paste(to_pil(img, scale), (x, y))
            if flags is not None and flags[r][c]:
                draw.rectangle([x - 3, y - 3, x + cw + 2, y + ch + 2], outline=(220, 0, 0), width=3)
    return np.asarray(sheet)


def flag_misses(
    states: Sequence, rows: Sequence[Sequence[np.ndarray]], check: Callable
) -> tuple[list[list[bool]], list[list[dict | None]]]:
    """For each cell, whether ``check(before_state, state, image)`` (the
    per-turn verification) found a change that does not read back."""
    flags: list[list[bool]] = []
    records: list[list[dict | None]] = []
    for imgs in rows:
        f: list[bool] = [False]
        rec: list[dict | None] = [None]
        for i in range(1, len(states)):
            v = check(states[i - 1], states[i], imgs[i])
            rec.append(None if v is None else v.record())
            f.append(bool(v is not None and v.missed))
        flags.append(f)
        records.append(rec)
    return flags, records
