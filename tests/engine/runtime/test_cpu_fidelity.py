"""Each CPU variant of the LLM against our fp32 PyTorch reference on the same tiny weights and inputs.

The bounds are the ones `llm_precision.FIDELITY_BOUNDS` promises and "auto" relies on: a variant that misses its
bound here must leave `AUTO_ORDER`. Max abs logit differences are printed (pytest -s) for the record.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segearth_engine.models.r1.segmenter import Segmenter
from segearth_engine.runtime.llm_precision import AUTO_ORDER, FIDELITY_BOUNDS, native_bf16

QUESTION = "Where could a small plane land near the yellow field?"


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, (360, 500, 3), dtype=np.uint8)
    image[80:220, 120:380] = (200, 180, 40)
    return image


@pytest.fixture(scope="module")
def reference(tiny_torch_segmenter, scene):
    assert tiny_torch_segmenter.llm_precision == "fp32"
    prediction = tiny_torch_segmenter.segment(tiny_torch_segmenter.encode(scene), QUESTION)
    assert 0.02 < prediction.mask.mean() < 0.98, "the tiny model should give a non-trivial mask on this input"
    return prediction


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def test_every_auto_variant_has_a_bound():
    assert set(AUTO_ORDER) <= set(FIDELITY_BOUNDS)
    assert FIDELITY_BOUNDS["fp32"] >= 0.999 and FIDELITY_BOUNDS["int8"] >= 0.98


@pytest.mark.parametrize("precision", ["fp32", "int8", "bf16"])
def test_variant_is_faithful(tiny_model_dir, reference, scene, precision):
    if precision == "bf16" and not native_bf16():
        pytest.skip("this CPU has no native bf16, so the bf16 variant is not offered here")
    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision=precision)
    assert seg.llm_precision == precision and f"LLM {precision}" in seg.device
    layer = seg.model.llm.layers[0]
    if precision == "int8":
        assert "quantized" in type(layer.mlp.fc1).__module__ and "quantized" in type(layer.self_attn.q_proj).__module__
    elif precision == "fp32":  # bf16 weights as released, widened per call (runtime/widened_linear.py)
        assert type(layer.mlp.fc1).__name__ == "WidenedLinear" and layer.mlp.fc1.weight.dtype == torch.bfloat16
        assert layer.input_layernorm.weight.dtype == torch.float32
    else:
        assert layer.mlp.fc1.weight.dtype == torch.bfloat16
    got = seg.segment(seg.encode(scene), QUESTION)
    diff = float(np.abs(got.logits - reference.logits).max())
    score = iou(got.mask, reference.mask)
    print(f"\n{precision}: max abs logit diff {diff:.5f}, mask IoU {score:.5f} (bound {FIDELITY_BOUNDS[precision]})")
    assert score >= FIDELITY_BOUNDS[precision], (diff, score)
    if precision == "fp32":
        assert diff < 1e-3
