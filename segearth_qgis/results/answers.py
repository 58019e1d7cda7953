"""How a multi-target (SegEarth-R2) answer reads in the UI: the text with numbered targets, and legend labels."""

from __future__ import annotations

import re
from collections.abc import Sequence


def format_answer(answer: str) -> str:
    """The model's answer with each [SEG] shown as the number of its target ("runway [1] and taxiways [2]").

    Only an engine's answer is formatted, so the engine is there to say what marks a target."""
    from segearth_engine.api import SEG_TOKEN

    pieces = answer.split(SEG_TOKEN)
    out = pieces[0]
    for number, piece in enumerate(pieces[1:], start=1):
        out = f"{out.rstrip()} [{number}]{piece}"
    return re.sub(r"[ \t]+", " ", out).strip()


def target_labels(targets: Sequence[str]) -> list[str]:
    """One legend label per target: its phrase, numbered where the same phrase names several targets."""
    counts: dict[str, int] = {}
    for phrase in targets:
        counts[phrase] = counts.get(phrase, 0) + 1
    return [f"{phrase} [{i + 1}]" if counts[phrase] > 1 else phrase for i, phrase in enumerate(targets)]
