"""The request reader's head: token features of a frozen sentence encoder → a
structured request.

Input: the last hidden states of all-MiniLM-L6-v2 for every token of one line
(``[B, T, feat_dim]``) and its attention mask.  Output logits for

- the act (``n_acts``: edit, describe, can't, chat, other),
- the degree (``n_degrees``: half, one, two steps),
- every attribute slot (``slot_sizes``: "untouched" first, then the slot's values or
  up / down), padded to the largest slot and masked.

``encoder="bigru"``: a projection, one bidirectional GRU over the tokens, then one
learned attention query per output (act, degree, each slot), so each slot reads the
tokens that concern it ("not a fan of *the glasses*") and the GRU carries negation
and degree words to them.  ``encoder="pooled"``: the measured baseline, logistic heads
on the mean-pooled features (no token-level reading).

``members`` > 1: an ensemble of that many heads of the same shape (trained side by side
from different initialisations); its output is the log of the members' mean
probabilities, so a softmax of it is their average (steadier readings, fewer confident
mistakes than one head).

Only the network lives here; the labels and corpus are in ``dialogue.reader_corpus``,
training in ``dialogue.reader_train``, inference in ``dialogue.reader``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

ARCH_VERSION = 1


@dataclass(frozen=True)
class ReaderConfig:
    feat_dim: int = 384
    hidden: int = 96  # per GRU direction
    n_acts: int = 5
    n_degrees: int = 3
    slot_sizes: tuple[int, ...] = field(default_factory=tuple)
    encoder: str = "bigru"  # "bigru" | "pooled"
    dropout: float = 0.1
    members: int = 1  # heads averaged (an ensemble)

    def __post_init__(self) -> None:
        object.__setattr__(self, "slot_sizes", tuple(int(s) for s in self.slot_sizes))
        if self.encoder not in ("bigru", "pooled"):
            raise ValueError(f"unknown reader encoder {self.encoder!r}")
        if self.members < 1:
            raise ValueError("members must be at least 1")


class RequestReader(nn.Module):
    valid: torch.Tensor  # buffer: which word slots each slot has

    def __init__(self, cfg: ReaderConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.members > 1:
            self.heads = nn.ModuleList(
                RequestReader(replace(cfg, members=1)) for _ in range(cfg.members)
            )
            return
        n_slots = len(cfg.slot_sizes)
        width = max(cfg.slot_sizes) if cfg.slot_sizes else 1
        self.drop = nn.Dropout(cfg.dropout)
        if cfg.encoder == "bigru":
            d = 2 * cfg.hidden
            self.proj = nn.Linear(cfg.feat_dim, d)
            self.gru = nn.GRU(d, cfg.hidden, batch_first=True, bidirectional=True)
            # queries: act, degree, then one per slot
            self.queries = nn.Parameter(torch.randn(2 + n_slots, d) * d**-0.5)
        else:
            d = cfg.feat_dim
        self.act = nn.Linear(d, cfg.n_acts)
        self.degree = nn.Linear(d, cfg.n_degrees)
        self.slot_w = nn.Parameter(torch.randn(n_slots, width, d) * d**-0.5)
        self.slot_b = nn.Parameter(torch.zeros(n_slots, width))
        valid = torch.zeros(n_slots, width, dtype=torch.bool)
        for i, s in enumerate(cfg.slot_sizes):
            valid[i, :s] = True
        self.register_buffer("valid", valid, persistent=False)

    def forward_members(
        self, feats: torch.Tensor, mask: torch.Tensor
    ) -> list[dict[str, torch.Tensor]]:
        """Each member's logits (one entry for a single head): what training fits."""
        if self.cfg.members > 1:
            return [h(feats, mask) for h in self.heads]
        return [self(feats, mask)]

    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """``feats`` [B, T, F], ``mask`` [B, T] (1 for tokens) → logits by head (for an
        ensemble: log mean probability)."""
        if self.cfg.members > 1:
            outs = [h(feats, mask) for h in self.heads]
            return {
                k: torch.stack([o[k].softmax(-1) for o in outs]).mean(0).clamp_min(1e-12).log()
                for k in outs[0]
            }
        m = mask.to(feats.dtype)
        if self.cfg.encoder == "pooled":
            pooled = (feats * m[..., None]).sum(1) / m.sum(1, keepdim=True).clamp_min(1)
            pooled = self.drop(pooled)
            act_v = deg_v = pooled
            slot_v = pooled[:, None, :].expand(-1, self.slot_w.shape[0], -1)
        else:
            h = torch.tanh(self.proj(self.drop(feats)))
            lengths = mask.sum(1).clamp_min(1).cpu()
            if bool((lengths < h.shape[1]).any()):  # padding never read
                packed = nn.utils.rnn.pack_padded_sequence(
                    h, lengths, batch_first=True, enforce_sorted=False
                )
                h, _ = self.gru(packed)
                h, _ = nn.utils.rnn.pad_packed_sequence(
                    h, batch_first=True, total_length=feats.shape[1]
                )
            else:
                h, _ = self.gru(h)  # [B, T, d]
            h = self.drop(h)
            scores = torch.einsum("btd,qd->bqt", h, self.queries) * h.shape[-1] ** -0.5
            scores = scores.masked_fill(m[:, None, :] == 0, -1e4)
            att = scores.softmax(-1)
            pooled = torch.einsum("bqt,btd->bqd", att, h)  # [B, Q, d]
            act_v, deg_v, slot_v = pooled[:, 0], pooled[:, 1], pooled[:, 2:]
        slots = torch.einsum("bsd,swd->bsw", slot_v, self.slot_w) + self.slot_b
        slots = slots.masked_fill(~self.valid[None], -1e4)
        return {"act": self.act(act_v), "degree": self.degree(deg_v), "slots": slots}
