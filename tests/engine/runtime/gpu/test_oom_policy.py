"""Out-of-memory handling: real allocation failures of ONNX Runtime and torch are recognised (other errors are not),
and the policy halves the batch, then moves to the CPU, then gives up, in that order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segearth_engine.runtime.gpu_memory import (
    OomOutcome,
    choose_batch_size,
    is_out_of_memory,
    run_with_oom_fallback,
    tile_bytes,
)

from .oom_source import ARENA_LIMIT, ort_oom


def test_real_allocation_failures_are_recognised(limited_session):
    assert limited_session.run(None, {"x": np.ones(8, np.float32)})[0].tolist() == [2.0] * 8
    assert is_out_of_memory(ort_oom(limited_session))
    with pytest.raises(RuntimeError) as torch_cpu:
        torch.empty(1 << 62, dtype=torch.uint8)
    assert is_out_of_memory(torch_cpu.value)
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(MemoryError())


def test_other_errors_are_not_out_of_memory(limited_session):
    with pytest.raises(Exception) as wrong_rank:  # noqa: PT011 - ORT's own exception types
        limited_session.run(None, {"x": np.ones((2, 2), np.float32)})
    assert not is_out_of_memory(wrong_rank.value)
    with pytest.raises(RuntimeError) as shapes:
        torch.ones(2, 3) @ torch.ones(2, 3)
    assert not is_out_of_memory(shapes.value)
    assert not is_out_of_memory(ValueError("bad question"))


@pytest.mark.parametrize("message", [
    # ONNX Runtime's CUDA provider and BFC arena, and cuBLAS/cuDNN allocation failures, as they are worded.
    "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running Conv node. "
    "Status Message: CUDA failure 2: out of memory ; GPU=0 ; hostname=h ; expr=cudaMalloc((void**)&p, size);",
    "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : bfc_arena.cc:376 Failed to allocate memory for requested "
    "buffer of size 67108864",
    "CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED ; GPU=0",
])
def test_documented_gpu_messages_are_recognised(message):
    assert is_out_of_memory(RuntimeError(message))


def test_batch_is_halved_until_it_fits(limited_session):
    sizes = []

    def step(batch: int) -> int:
        sizes.append(batch)
        # a batch needs `batch` x 256 KB (input and output): 8 and 4 do not fit the 1 MB arena, 2 does
        limited_session.run(None, {"x": np.ones(batch * (ARENA_LIMIT // 16), np.float32)})
        return batch

    outcome = OomOutcome(8)
    assert run_with_oom_fallback(step, 8, outcome=outcome) == 2
    assert sizes == [8, 4, 2] and outcome.batch == 2 and outcome.retries == 2 and not outcome.on_cpu


def test_one_tile_out_of_memory_moves_to_the_cpu_with_a_message(limited_session):
    where, messages = ["gpu"], []

    def step(batch: int) -> str:
        if where[0] == "gpu":
            _raise(ort_oom(limited_session))
        return where[0]

    outcome = OomOutcome(2)
    result = run_with_oom_fallback(step, 2, to_cpu=lambda: where.__setitem__(0, "cpu"), notify=messages.append,
                                   outcome=outcome)
    assert result == "cpu" and outcome.on_cpu and outcome.batch == 1
    assert len(messages) == 1 and "CPU" in messages[0]


def test_out_of_memory_with_nowhere_to_go_and_other_errors_propagate(limited_session):
    calls = []

    def oom(batch: int):
        calls.append(batch)
        _raise(ort_oom(limited_session))

    with pytest.raises(Exception, match="smaller than requested"):
        run_with_oom_fallback(oom, 1)
    assert calls == [1]

    def broken(batch: int):
        calls.append(batch)
        raise ValueError("not a memory problem")

    with pytest.raises(ValueError):
        run_with_oom_fallback(broken, 4, to_cpu=lambda: pytest.fail("moved to the CPU for a non-memory error"))
    assert calls == [1, 4]


def test_batch_size_from_free_memory():
    gib = 1 << 30
    assert choose_batch_size(None, tile_bytes(90 << 20)) == 1  # no GPU
    assert choose_batch_size(80 * gib, tile_bytes(90 << 20)) == 8  # capped
    assert choose_batch_size(3 * gib, 540 << 20) == 3
    assert choose_batch_size(gib // 2, 540 << 20) == 1  # never zero: the OOM policy takes over from there
    assert choose_batch_size(4 * gib, 0) == 1


def _raise(exc: Exception):
    raise exc
