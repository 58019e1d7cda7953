"""Real ONNX Runtime allocation failures on the CPU, for the out-of-memory tests (no GPU needed)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

ARENA_LIMIT = 1 << 20


def make_limited_session():
    """A real ORT session whose CPU arena may hold at most 1 MB: the same BFC arena (and error) as the CUDA provider
    with gpu_mem_limit. Only sessions that opt in (session.use_env_allocators) use this allocator."""
    import onnxruntime as ort

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "double", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    try:
        ort.create_and_register_allocator(info, ort.OrtArenaCfg({"max_mem": ARENA_LIMIT, "arena_extend_strategy": 1}))
    except Exception as exc:  # noqa: BLE001 - registered already by an earlier module in this process
        if "already" not in str(exc).lower():
            raise
    options = ort.SessionOptions()
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def ort_oom(session) -> Exception:
    try:
        session.run(None, {"x": np.ones(4 * ARENA_LIMIT, np.float32)})
    except Exception as exc:  # noqa: BLE001 - whatever ORT raises is what we classify
        return exc
    pytest.fail("the 16 MB run fitted a 1 MB arena")
