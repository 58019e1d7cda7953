"""Vision encoder + mask decoder in bf16/fp16 against float32 on the tiny model (CUDA variants skip without a GPU).

Random tiny weights are a harsh case (features change from pixel to pixel, so a slightly moved deformable sample
changes a lot); real weights agree more closely. The thresholds still catch a dtype mistake, which gives IoU ~0.5.
"""

from __future__ import annotations

import pytest
import torch

from segearth_engine.models.r1.loading import load_model
from segearth_engine.models.r1.modeling.segearth_r1 import DECODER_INPUTS
from segearth_engine.models.r1.onnx_export import VISION_PARTS

CUDA = torch.cuda.is_available()


def _logits(model_dir, dtype: torch.dtype, device: str) -> torch.Tensor:
    model = load_model(model_dir, dtype, parts=VISION_PARTS)  # the LLM stays unloaded (meta)
    for part in VISION_PARTS:
        getattr(model, part).to(device)
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randn(1, 3, model.cfg.image_size, model.cfg.image_size, generator=generator)
    pooled = torch.randn(1, model.cfg.llm.hidden_size, generator=generator)
    with torch.no_grad():
        features = model.encode(pixels.to(device, dtype))
        logits = model.decode(pooled.to(device, dtype), *(features[name] for name in DECODER_INPUTS[1:]))
    assert logits.dtype == dtype
    return logits.float().cpu()


@pytest.fixture(scope="module")
def reference(tiny_model_dir):
    return _logits(tiny_model_dir, torch.float32, "cpu")


def _compare(got: torch.Tensor, want: torch.Tensor) -> tuple[float, float]:
    a, b = got > 0, want > 0
    iou = float((a & b).sum() / (a | b).sum())
    return float((got - want).abs().max() / want.abs().max()), iou


def test_bf16_on_cpu(tiny_model_dir, reference):
    rel, iou = _compare(_logits(tiny_model_dir, torch.bfloat16, "cpu"), reference)
    assert 0.02 < float((reference > 0).float().mean()) < 0.98, "the tiny model should give a non-trivial mask"
    assert rel < 0.2 and iou > 0.9, (rel, iou)


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="no CUDA GPU on this machine (CI never has one)")
@pytest.mark.parametrize("dtype, min_iou", [(torch.float32, 0.999), (torch.float16, 0.98), (torch.bfloat16, 0.9)])
def test_cuda_dtypes(tiny_model_dir, reference, dtype, min_iou):
    rel, iou = _compare(_logits(tiny_model_dir, dtype, "cuda"), reference)
    print(f"CUDA {dtype}: max relative logit diff {rel:.3g}, mask IoU {iou:.4f}")
    assert iou >= min_iou, (rel, iou)
