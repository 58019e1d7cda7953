"""Our deformable-attention pixel decoder against upstream's golden outputs, by hand, in the release layout, in ONNX."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from segearth_engine.models.r1.config import PixelDecoderConfig, SegEarthConfig
from segearth_engine.models.r1.modeling.pixel_decoder import MSDeformAttn, MSDeformAttnPixelDecoder, reference_points
from tests.engine.models.r1.modeling.upstream import load_fixture, max_diff, release_shapes

TOL = 1e-4
CHANNELS = (16, 32, 64, 128)


def _config(meta: dict) -> PixelDecoderConfig:
    args = meta["constructor_args"]
    return PixelDecoderConfig(conv_dim=args["conv_dim"], mask_dim=args["mask_dim"], nheads=args["transformer_nheads"],
                              dim_feedforward=args["transformer_dim_feedforward"],
                              enc_layers=args["transformer_enc_layers"])


@pytest.fixture(scope="module")
def upstream():
    return load_fixture("pixel_decoder")


def _loaded(upstream) -> MSDeformAttnPixelDecoder:
    channels = tuple(upstream.meta["input_shape"][f"res{i}"]["channel"] for i in range(2, 6))
    assert channels == CHANNELS
    model = MSDeformAttnPixelDecoder(channels, _config(upstream.meta)).eval()
    model.load_state_dict(upstream.weights, strict=True)
    return model


def test_matches_upstream_fixture(upstream):
    model = _loaded(upstream)
    inputs = [upstream.inputs[f"res{i}"] for i in range(2, 6)]
    with torch.no_grad():
        mask_features, levels = model(*inputs)
    diffs = {"mask_features": max_diff(mask_features, upstream.outputs["mask_features"])}
    for i, level in enumerate(levels):
        diffs[f"multi_scale_{i}"] = max_diff(level, upstream.outputs[f"multi_scale_{i}"])
    scale = max(t.abs().max().item() for t in upstream.outputs.values())
    assert scale > 1, "the fixture's outputs should be far from zero"
    assert max(diffs.values()) <= TOL, diffs


def test_zeroed_level_embedding_changes_the_output(upstream):
    """The fixture is sensitive to each ingredient: dropping the level embedding must show."""
    model = _loaded(upstream)
    with torch.no_grad():
        model.transformer.level_embed.zero_()
        mask_features, _ = model(*(upstream.inputs[f"res{i}"] for i in range(2, 6)))
    assert max_diff(mask_features, upstream.outputs["mask_features"]) > 100 * TOL


def test_release_names_shapes_and_output_sizes():
    cfg = SegEarthConfig()
    with torch.device("meta"):
        model = MSDeformAttnPixelDecoder(cfg.swin.channels, cfg.pixel_decoder)
        outs = model(*(torch.empty(1, c, 1024 // s, 1024 // s) for c, s in zip(cfg.swin.channels, (4, 8, 16, 32),
                                                                                 strict=True)))
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == release_shapes("pixel_decoder.")
    mask_features, (ms0, ms1, ms2) = outs
    assert mask_features.shape == (1, 256, 256, 256)
    assert [tuple(m.shape) for m in (ms0, ms1, ms2)] == [(1, 256, 32, 32), (1, 256, 64, 64), (1, 256, 128, 128)]


def _identity_attention(offset_xy: tuple[float, float]) -> MSDeformAttn:
    """One level, head and point; identity projections; every query samples its own centre + offset (pixels)."""
    attn = MSDeformAttn(dim=2, n_levels=1, n_heads=1, n_points=1)
    with torch.no_grad():
        for linear in (attn.value_proj, attn.output_proj):
            linear.weight.copy_(torch.eye(2))
            linear.bias.zero_()
        attn.sampling_offsets.weight.zero_()
        attn.sampling_offsets.bias.copy_(torch.tensor(offset_xy))
        attn.attention_weights.weight.zero_()
        attn.attention_weights.bias.zero_()
    return attn


@pytest.mark.parametrize("offset", [(1.0, 0.0), (0.0, -1.0), (0.5, 0.0), (0.0, 0.0)])
def test_deformable_sampling_by_hand(offset):
    """grid_sample conventions: pixel centres at (i + 0.5) / n, bilinear between centres, zeros outside the map."""
    height, width = 3, 4
    image = torch.arange(2 * height * width, dtype=torch.float32).view(1, 2, height, width) + 1
    tokens = image.flatten(2).transpose(1, 2)
    shapes = [(height, width)]
    with torch.no_grad():
        out = _identity_attention(offset)(tokens, reference_points(shapes), tokens, shapes)
    padded = nn.functional.pad(image, (1, 2, 1, 2))  # zeros around the map; index + 1
    dx, dy = offset
    expected = torch.empty_like(image)
    for y in range(height):
        for x in range(width):
            sx, sy = x + dx, y + dy
            x0, fx = int(np.floor(sx)), sx - np.floor(sx)
            value = (1 - fx) * padded[0, :, int(sy) + 1, x0 + 1] + fx * padded[0, :, int(sy) + 1, x0 + 2]
            expected[0, :, y, x] = value
    assert max_diff(out.transpose(1, 2).view(1, 2, height, width), expected) <= 1e-5


def test_batch_of_two_equals_two_singles(upstream):
    model = _loaded(upstream)
    torch.manual_seed(0)
    inputs = [torch.randn(2, *upstream.inputs[f"res{i}"].shape[1:]) for i in range(2, 6)]
    with torch.no_grad():
        both = model(*inputs)
        singles = [model(*(x[i:i + 1] for x in inputs)) for i in range(2)]
    for i in range(2):
        assert max_diff(both[0][i:i + 1], singles[i][0]) <= TOL
        for level in range(3):
            assert max_diff(both[1][level][i:i + 1], singles[i][1][level]) <= TOL


@pytest.mark.filterwarnings("ignore")
def test_onnx_export_matches_torch(upstream, tmp_path):
    """GridSample and the rest trace into ONNX and run in ONNX Runtime with the same results."""
    ort = pytest.importorskip("onnxruntime")
    model = _loaded(upstream)
    inputs = tuple(upstream.inputs[f"res{i}"] for i in range(2, 6))
    path = tmp_path / "pixel_decoder.onnx"
    names = ["mask_features", "ms0", "ms1", "ms2"]
    with torch.no_grad():
        torch.onnx.export(model, inputs, str(path), opset_version=17, dynamo=False,
                          input_names=["res2", "res3", "res4", "res5"], output_names=names)
        mask_features, levels = model(*inputs)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(names, {f"res{i}": x.numpy() for i, x in zip(range(2, 6), inputs, strict=True)})
    for name, g, w in zip(names, got, (mask_features, *levels), strict=True):
        assert float(np.abs(g - w.numpy()).max()) <= TOL, name
