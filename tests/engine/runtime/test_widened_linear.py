"""bf16 weights widened per call, in cache-sized tiles for a call on few rows: the numbers of weights widened whole."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from segearth_engine.runtime import widened_linear
from segearth_engine.runtime.widened_linear import WidenedLinear


def _layer(out_features: int, in_features: int, bias: bool = True) -> WidenedLinear:
    generator = torch.Generator().manual_seed(out_features + in_features)
    weight = (torch.randn(out_features, in_features, generator=generator) * 0.05).bfloat16()
    return WidenedLinear(weight, torch.randn(out_features, generator=generator) if bias else None)


def _shapes_of_calls(monkeypatch) -> list[tuple[int, ...]]:
    """The weight shape of every F.linear call the layer makes (the real F.linear runs)."""
    shapes: list[tuple[int, ...]] = []
    real = F.linear

    def recording(x, weight, bias=None):
        shapes.append(tuple(weight.shape))
        return real(x, weight, bias)

    monkeypatch.setattr(widened_linear.F, "linear", recording)
    return shapes


@pytest.mark.parametrize(("out_features", "bias"), [(8192, True), (2048 + 96, True), (8192, False)])
def test_tiles_give_the_numbers_of_the_whole_widened_matrix(monkeypatch, out_features, bias):
    layer = _layer(out_features, 2048, bias)
    x = torch.randn(1, 10, 2048, generator=torch.Generator().manual_seed(3))
    whole = F.linear(x, layer.weight.float(), layer.bias)
    shapes = _shapes_of_calls(monkeypatch)
    with torch.inference_mode():
        tiled = layer(x)
    rows = widened_linear.TILE_BYTES // (4 * 2048)
    assert len(shapes) == -(-out_features // rows) and shapes[0] == (rows, 2048)  # tiles, a short last one
    assert tiled.shape == whole.shape
    torch.testing.assert_close(tiled, whole, rtol=1e-6, atol=1e-6)  # each column: one fp32 dot product


def test_many_rows_and_small_matrices_widen_whole(monkeypatch):
    big, small = _layer(8192, 2048), _layer(256, 512)
    shapes = _shapes_of_calls(monkeypatch)
    with torch.inference_mode():
        many = big(torch.randn(1, widened_linear.FEW_ROWS + 1, 2048))
        small(torch.randn(1, 4, 512))
    assert shapes == [(8192, 2048), (256, 512)] and many.shape == (1, widened_linear.FEW_ROWS + 1, 8192)


def test_weights_stay_bf16():
    layer = _layer(8192, 2048)
    assert layer.weight.dtype == torch.bfloat16 and layer.bias.dtype == torch.float32
