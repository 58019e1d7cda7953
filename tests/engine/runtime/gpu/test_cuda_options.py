"""CUDA provider options and the IO-binding guard, checked without a GPU (the options are plain strings)."""

from __future__ import annotations

import pytest

from segearth_engine.errors import SegEarthError
from segearth_engine.runtime.onnx_runtime import GPU_MEM_LIMIT_ENV, cuda_provider_options


def test_arena_grows_by_request_and_cudnn_searches(monkeypatch):
    monkeypatch.delenv(GPU_MEM_LIMIT_ENV, raising=False)
    options = cuda_provider_options(1)
    assert options["device_id"] == "1" and options["arena_extend_strategy"] == "kSameAsRequested"
    assert options["cudnn_conv_algo_search"] == "EXHAUSTIVE" and "gpu_mem_limit" not in options


def test_memory_limit_from_argument_or_environment(monkeypatch):
    monkeypatch.setenv(GPU_MEM_LIMIT_ENV, "1.5")
    assert cuda_provider_options()["gpu_mem_limit"] == str(int(1.5 * 2**20))
    assert cuda_provider_options(gpu_mem_limit_mb=4096)["gpu_mem_limit"] == str(4096 * 2**20)
    monkeypatch.setenv(GPU_MEM_LIMIT_ENV, "lots")
    with pytest.raises(SegEarthError, match=GPU_MEM_LIMIT_ENV):
        cuda_provider_options()


def test_cpu_sessions_do_not_bind_to_the_device(tiny_onnx_segmenter):
    encoder, decoder = tiny_onnx_segmenter.sessions
    assert not encoder.device_bound and not decoder.device_bound
    with pytest.raises(SegEarthError, match="IO binding"):
        encoder.run_bound({})
    assert tiny_onnx_segmenter.feature_nbytes() > 0
