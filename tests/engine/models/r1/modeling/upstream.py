"""Reading the upstream golden fixtures (tests/fixtures/upstream_r1) and the release table, for the module tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures"
UPSTREAM = FIXTURES / "upstream_r1"


@dataclass
class Fixture:
    weights: dict[str, torch.Tensor]
    inputs: dict[str, torch.Tensor]
    outputs: dict[str, torch.Tensor]
    meta: dict


def load_fixture(name: str) -> Fixture:
    groups: dict[str, dict[str, torch.Tensor]] = {"weights": {}, "inputs": {}, "outputs": {}}
    with safe_open(str(UPSTREAM / f"{name}.safetensors"), "pt") as handle:
        for key in handle.keys():
            group, rest = key.split(".", 1)
            groups[group][rest] = handle.get_tensor(key)
    meta = json.loads((UPSTREAM / f"{name}.json").read_text(encoding="utf-8"))
    return Fixture(groups["weights"], groups["inputs"], groups["outputs"], meta)


def release_shapes(prefix: str) -> dict[str, tuple[int, ...]]:
    """name (without `prefix`) -> shape of the released checkpoint's tensors under `prefix`."""
    out = {}
    for line in (FIXTURES / "checkpoint_keys.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, shape = line.split("\t")[:2]
        if name.startswith(prefix):
            out[name[len(prefix):]] = tuple(int(s) for s in shape.split("x"))
    return out


def max_diff(got: torch.Tensor, want: torch.Tensor) -> float:
    assert tuple(got.shape) == tuple(want.shape), (tuple(got.shape), tuple(want.shape))
    return (got - want).abs().max().item()
