"""The CUDA path end to end on the tiny model: features stay on the GPU between encoder, LLM and decoder, the mask
agrees with fp32 PyTorch on the CPU, the cache keeps GPU entries, batches match single tiles, and running out of
GPU memory ends on the CPU with an answer instead of an error. Skipped (with the reason) without a CUDA GPU."""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.models.r1.segmenter import Segmenter
from segearth_engine.pipeline.raster import SegmentationRequest, auto_batch_size, segment_raster
from segearth_engine.runtime.feature_cache import FeatureCache
from segearth_engine.runtime.gpu_memory import is_out_of_memory
from segearth_engine.runtime.llm_precision import FIDELITY_BOUNDS
from tests.engine.geo.rasters import write_tif

from .cuda import needs_cuda

pytestmark = needs_cuda
QUESTION = "Where could a small plane land near the yellow field?"


@pytest.fixture(scope="module")
def gpu_segmenter(tiny_model_dir):
    return Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cuda")


@pytest.fixture(scope="module")
def scene():
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (300, 420, 3), dtype=np.uint8)
    image[100:200, 150:300] = (200, 180, 40)
    return image


def _iou(a, b):
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else np.logical_and(a, b).sum() / union


def test_features_stay_on_the_gpu_and_the_mask_matches_fp32(gpu_segmenter, tiny_torch_segmenter, scene):
    assert gpu_segmenter.device.startswith("CUDA") and gpu_segmenter.on_cuda
    assert all(s.provider == "CUDAExecutionProvider" for s in gpu_segmenter.sessions)
    encoded = gpu_segmenter.encode(scene)
    assert encoded.on_device and all(t.is_cuda for t in encoded.tensors.values())
    assert encoded.nbytes == gpu_segmenter.feature_nbytes() > 0
    got = gpu_segmenter.segment(encoded, QUESTION)
    ref = tiny_torch_segmenter.segment(tiny_torch_segmenter.encode(scene), QUESTION)
    assert got.logits.shape == ref.logits.shape == scene.shape[:2]
    assert _iou(got.mask, ref.mask) >= FIDELITY_BOUNDS[gpu_segmenter.llm_precision]
    host = encoded.to_host()
    assert not host.on_device
    for name, value in host.tensors.items():
        assert np.array_equal(value, encoded.tensors[name].cpu().numpy())


def test_gpu_cache_entries_answer_without_the_encoder(gpu_segmenter, scene):
    cache = FeatureCache(max_mb=512, gpu_max_mb=512)
    encoded = gpu_segmenter.encode(scene)
    assert cache.put("scene", encoded) and cache.on_gpu("scene")
    calls = gpu_segmenter.encoder_calls
    a = gpu_segmenter.segment(cache.get("scene"), QUESTION)
    b = gpu_segmenter.segment(encoded.to_host(), QUESTION)  # a host copy feeds the CUDA decoder too
    assert gpu_segmenter.encoder_calls == calls and np.abs(a.logits - b.logits).max() < 1e-5


def test_batched_tiles_on_the_gpu(gpu_segmenter, tmp_path):
    rng = np.random.default_rng(1)
    path = write_tif(tmp_path / "wide.tif", rng.integers(1, 255, (3, 300, 3000), dtype=np.uint8))
    request = SegmentationRequest("fields", mode="tiled")
    assert auto_batch_size(gpu_segmenter, request) > 1  # the tiny model's tiles fit many at a time
    with RasterioSource(path) as src:
        single = segment_raster(src, gpu_segmenter, request, batch_size=1)
        batched = segment_raster(src, gpu_segmenter, request)
    assert np.array_equal(single.mask, batched.mask)


def test_out_of_gpu_memory_finishes_on_the_cpu(tiny_model_dir, scene, tmp_path):
    import torch

    starved = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cuda")  # weights on the GPU
    torch.cuda.empty_cache()
    free, _ = torch.cuda.mem_get_info()
    hog = torch.empty(max(free - (16 << 20), 0), dtype=torch.uint8, device="cuda")  # leave 16 MB: too little
    try:
        with pytest.raises(Exception) as failure:  # noqa: PT011 - ONNX Runtime's own exception type
            starved.encode(scene)
        assert is_out_of_memory(failure.value), str(failure.value)
        path = write_tif(tmp_path / "small.tif", np.moveaxis(scene, 2, 0))
        with RasterioSource(path) as src:
            result = segment_raster(src, starved, SegmentationRequest(QUESTION))
    finally:
        del hog
        torch.cuda.empty_cache()
    assert result.device.startswith("CPU") and "out of GPU memory" in result.device
    assert not starved.on_cuda and result.mask is not None
