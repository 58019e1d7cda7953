"""Our Swin against upstream's golden outputs, its checkpoint names, and its ONNX export."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from segearth_engine.models.r1.config import SwinConfig
from segearth_engine.models.r1.modeling.swin import SwinTransformer, relative_position_index, shifted_window_mask
from segearth_engine.models.r1.onnx_export import _share_constants

FIXTURE = Path(__file__).resolve().parents[4] / "fixtures" / "upstream_r1" / "swin.safetensors"
SMALL = SwinConfig(embed_dim=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4), window_size=12)
TOL = 1e-4


def _fixture() -> tuple[dict[str, torch.Tensor], torch.Tensor, list[torch.Tensor]]:
    with safe_open(str(FIXTURE), "pt") as f:
        weights = {k.removeprefix("weights."): f.get_tensor(k) for k in f.keys() if k.startswith("weights.")}
        image = f.get_tensor("inputs.image")
        outputs = [f.get_tensor(f"outputs.res{i}") for i in range(2, 6)]
    return weights, image, outputs


def _random_small(seed: int = 0, cfg: SwinConfig = SMALL) -> SwinTransformer:
    torch.manual_seed(seed)
    model = SwinTransformer(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(std=0.2)
    return model


def test_matches_upstream_fixture():
    weights, image, expected = _fixture()
    model = SwinTransformer(SMALL).eval()
    constructed = {k: v.clone() for k, v in model.state_dict().items() if k.endswith("relative_position_index")}
    model.load_state_dict(weights, strict=True)
    with torch.inference_mode():
        outputs = model(image)
    for name, got, want in zip(("res2", "res3", "res4", "res5"), outputs, expected, strict=True):
        assert got.shape == want.shape, name
        diff = (got - want).abs().max().item()
        assert diff <= TOL, f"{name}: max abs diff {diff:.3g} (outputs up to {want.abs().max().item():.3g})"
    assert len(constructed) == sum(SMALL.depths)
    for key, index in constructed.items():
        assert weights[key].dtype == torch.int64
        assert torch.equal(weights[key], index), key


def test_state_dict_is_the_checkpoint_layout():
    with torch.device("meta"):
        model = SwinTransformer(SwinConfig())
    sd = model.state_dict()
    # 333 parameters + 24 persistent relative_position_index buffers under model.vision_tower. in the release.
    assert len(sd) == 357
    assert sum(1 for _ in model.parameters()) == 333
    assert sd["patch_embed.proj.weight"].shape == (128, 3, 4, 4)
    assert sd["layers.2.blocks.17.attn.relative_position_bias_table"].shape == (529, 16)
    assert sd["layers.3.blocks.1.attn.relative_position_index"].shape == (144, 144)
    assert sd["layers.2.downsample.reduction.weight"].shape == (1024, 2048)
    assert "layers.2.downsample.reduction.bias" not in sd
    assert "layers.3.downsample.norm.weight" not in sd
    assert [sd[f"norm{i}.weight"].shape[0] for i in range(4)] == [128, 256, 512, 1024]
    weights, _, _ = _fixture()
    assert set(SwinTransformer(SMALL).state_dict()) == set(weights)


def test_relative_position_index_and_mask_by_hand():
    index = relative_position_index(3)
    # Query (0,0) against key (2,1): offsets (-2, -1) -> ((-2+2) * 5 + (-1+2)) = 1.
    assert index[0, 2 * 3 + 1].item() == 1
    assert index.diagonal().unique().tolist() == [2 * 5 + 2]
    mask = shifted_window_mask(6, 6, window=3, shift=1)
    assert mask.shape == (4, 9, 9)
    assert not mask[0].any()  # the top-left window holds one region only
    # Bottom-right window: rows/cols {3,4} are one region, {5} another on each axis -> 4 regions.
    last = mask[3].view(3, 3, 3, 3)
    assert last[0, 0, 1, 1] == 0 and last[0, 0, 0, 2] == -100 and last[2, 2, 2, 2] == 0 and last[2, 0, 0, 0] == -100


def test_batch_of_two_equals_two_singles():
    model = _random_small()
    torch.manual_seed(1)
    images = torch.randn(2, 3, 100, 76)
    with torch.inference_mode():
        both = model(images)
        singles = [model(images[i : i + 1]) for i in range(2)]
    for level, out in enumerate(both):
        for i in range(2):
            diff = (out[i] - singles[i][level][0]).abs().max().item()
            assert diff <= TOL, f"res{level + 2} image {i}: {diff:.3g}"


def _attention_constants(graph) -> list[tuple[int, ...]]:
    """Shapes of the graph's 4-D window-sized constants (masks/biases over [N, N] = [144, 144])."""
    n = SMALL.window_size**2
    tensors = [a.t for node in graph.node if node.op_type == "Constant" for a in node.attribute] + list(
        graph.initializer)
    return [tuple(t.dims) for t in tensors if len(t.dims) == 4 and tuple(t.dims[2:]) == (n, n)]


@pytest.mark.filterwarnings("ignore")
def test_onnx_export_matches_torch(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    cfg = replace(SMALL, depths=(2, 2, 4, 2))  # stage 3 has two shifted blocks sharing one mask
    model = _random_small(cfg=cfg)
    torch.manual_seed(2)
    image = torch.randn(1, 3, 100, 140)  # every stage padded, odd sizes merged
    path = tmp_path / "swin.onnx"
    names = ["res2", "res3", "res4", "res5"]
    torch.onnx.export(model, (image,), str(path), opset_version=17, dynamo=False, input_names=["image"],
                      output_names=names)
    proto = onnx.load(str(path))
    assert _share_constants(proto.graph, min_bytes=1024) > 0  # the exporter repeats the stage mask per block
    # One [nW, 1, N, N] mask per stage, none combined with the heads: each block keeps only its [heads, N, N] bias.
    with torch.inference_mode():
        want = model(image)
    w, n = cfg.window_size, cfg.window_size**2
    windows = [-(-out.shape[2] // w) * -(-out.shape[3] // w) for out in want]
    got = _attention_constants(proto.graph)  # equal masks of two stages (here the 1-window ones) are kept once
    assert set(got) == {(nw, 1, n, n) for nw in windows} and len(got) <= len(windows)
    onnx.save(proto, str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(names, {"image": image.numpy()})
    for name, g, w in zip(names, got, want, strict=True):
        assert g.shape == tuple(w.shape), name
        diff = float(np.abs(g - w.numpy()).max())
        assert diff <= TOL, f"{name}: max abs diff {diff:.3g}"
