"""The connector's shapes, names, and a hand computation of what it should output."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.models.r1.modeling.connector import CompressionConnector


def _whole_map_layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """LayerNorm over all of [C, H, W] per sample, written out (biased variance, eps 1e-5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * weight + bias


def test_release_shapes_and_names():
    cfg = SegEarthConfig()
    assert cfg.connector_grid == (16, 8)
    with torch.device("meta"):
        connector = CompressionConnector(cfg.swin.channels[3], cfg.llm.hidden_size, cfg.connector_grid)
    shapes = {k: tuple(v.shape) for k, v in connector.state_dict().items()}
    assert shapes == {
        "proj1.weight": (2048, 1024, 3, 3), "proj1.bias": (2048,),
        "norm1.weight": (2048, 16, 16), "norm1.bias": (2048, 16, 16),
        "proj2.weight": (2048, 2048, 3, 3), "proj2.bias": (2048,),
        "norm2.weight": (2048, 8, 8), "norm2.bias": (2048, 8, 8),
        "fc.weight": (2048, 2048, 1, 1), "fc.bias": (2048,),
    }
    out = connector(torch.empty(1, 1024, 32, 32, device="meta"))
    assert out.shape == (1, 64, 2048)


def test_output_equals_hand_computation():
    torch.manual_seed(0)
    connector = CompressionConnector(12, 10, (4, 2)).eval()
    with torch.no_grad():
        for p in connector.parameters():
            p.normal_(std=0.3)
    res5 = torch.randn(2, 12, 8, 8)
    p = dict(connector.named_parameters())

    x = F.conv2d(res5, p["proj1.weight"], p["proj1.bias"], stride=2, padding=1)
    x = _whole_map_layer_norm(x, p["norm1.weight"], p["norm1.bias"])
    x = F.conv2d(x, p["proj2.weight"], p["proj2.bias"], stride=2, padding=1)
    x = _whole_map_layer_norm(x, p["norm2.weight"], p["norm2.bias"])
    # 1x1 conv as a per-pixel matrix product.
    x = torch.einsum("oc,bchw->bohw", p["fc.weight"][:, :, 0, 0], x) + p["fc.bias"][None, :, None, None]

    with torch.no_grad():
        tokens = connector(res5)
    assert tokens.shape == (2, 4, 10)
    for h in range(2):
        for w in range(2):
            diff = (tokens[:, h * 2 + w] - x[:, :, h, w]).abs().max().item()
            assert diff <= 1e-5, f"token ({h},{w}): max abs diff {diff:.3g}"
