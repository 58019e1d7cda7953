"""Int8 linears packed in row blocks compute exactly what one packed matrix computes, and give back their parts."""

from __future__ import annotations

import pytest
import torch

from segearth_engine.runtime import int8_linear
from segearth_engine.runtime.int8_linear import RowBlocks, int8_parts, pack_int8_linear
from segearth_engine.runtime.llm_precision import int8_engine, supported

pytestmark = pytest.mark.skipif(supported("int8") is not None, reason="no fast int8 kernels on this CPU/torch")


def _parts(out_features: int, in_features: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(out_features, in_features, generator=generator) * 0.05
    scales = (weight.abs().amax(1) / 127).double()
    values = torch.round(weight / scales[:, None].float()).clamp(-127, 127).to(torch.int8)
    bias = torch.randn(out_features, generator=generator)
    return values, scales, torch.zeros(out_features, dtype=torch.long), bias


@pytest.fixture(autouse=True)
def _engine():
    torch.backends.quantized.engine = int8_engine()


@pytest.mark.parametrize("out_features", [96, 100])  # blocks of 32 rows: even, and a short last block
def test_row_blocks_equal_one_packed_matrix(monkeypatch, out_features):
    parts = _parts(out_features, 64)
    whole = pack_int8_linear(*parts)
    monkeypatch.setattr(int8_linear, "BLOCK_WEIGHTS", 32 * 64)
    blocked = pack_int8_linear(*parts)
    assert isinstance(blocked, RowBlocks) and not isinstance(whole, RowBlocks)
    assert len(blocked.blocks) == -(-out_features // 32)
    assert (blocked.in_features, blocked.out_features) == (64, out_features)
    x = torch.randn(3, 17, 64, generator=torch.Generator().manual_seed(1)) * 3
    with torch.inference_mode():
        assert torch.equal(blocked(x), whole(x))  # bit for bit, not approximately
        reference = torch.nn.functional.linear(x, parts[0].float() * parts[1].float()[:, None], parts[3])
        assert torch.allclose(blocked(x), reference, rtol=0.05, atol=0.05 * reference.abs().max().item())


def test_parts_round_trip_through_blocks(monkeypatch):
    parts = _parts(100, 64, seed=2)
    monkeypatch.setattr(int8_linear, "BLOCK_WEIGHTS", 32 * 64)
    back = int8_parts(pack_int8_linear(*parts))
    assert back is not None
    for given, returned in zip(parts, back, strict=True):
        assert torch.equal(given.to(returned.dtype), returned)


def test_other_modules_have_no_int8_parts():
    assert int8_parts(torch.nn.Linear(4, 4)) is None
