"""A cancelled ONNX Runtime run stops in the middle (RunOptions.terminate), not after its last node."""

from __future__ import annotations

import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from segearth_engine.errors import Cancelled
from segearth_engine.runtime import onnx_runtime
from segearth_engine.runtime.onnx_runtime import create_session

SIZE, STEPS = 768, 40  # a chain of matrix products: long enough to be stopped in the middle


@pytest.fixture(scope="module")
def chain_session(tmp_path_factory):
    weight = np.random.default_rng(0).standard_normal((SIZE, SIZE)).astype(np.float32) / SIZE
    nodes = [helper.make_node("MatMul", ["x" if i == 0 else f"h{i - 1}", "w"], [f"h{i}"]) for i in range(STEPS)]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [SIZE, SIZE])],
                              [helper.make_tensor_value_info(f"h{STEPS - 1}", TensorProto.FLOAT, [SIZE, SIZE])],
                              [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path_factory.mktemp("chain") / "chain.onnx"
    onnx.save(model, str(path))
    return create_session(path, "cpu")


def _feeds():
    return {"x": np.random.default_rng(1).standard_normal((SIZE, SIZE)).astype(np.float32)}


def test_uncancelled_run_is_the_plain_run(chain_session):
    plain = chain_session.run(_feeds())
    watched = chain_session.run(_feeds(), is_cancelled=lambda: False)
    assert np.array_equal(plain[f"h{STEPS - 1}"], watched[f"h{STEPS - 1}"])


def test_cancel_stops_the_run_in_the_middle(chain_session, monkeypatch):
    monkeypatch.setattr(onnx_runtime, "CANCEL_POLL_S", 0.001)
    start = time.perf_counter()
    chain_session.run(_feeds())
    full = time.perf_counter() - start
    asked = []

    def is_cancelled() -> bool:  # not cancelled when the run starts, cancelled from the watcher's first look
        asked.append(True)
        return len(asked) > 1

    start = time.perf_counter()
    with pytest.raises(Cancelled):
        chain_session.run(_feeds(), is_cancelled=is_cancelled)
    stopped = time.perf_counter() - start
    assert len(asked) >= 2
    assert stopped < full / 3, f"cancelled run took {stopped:.3f} s of a {full:.3f} s run: not interrupted"
    assert chain_session.run(_feeds(), is_cancelled=lambda: False)  # the session still runs afterwards


def test_cancelled_before_the_run_does_not_start_it(chain_session):
    with pytest.raises(Cancelled):
        chain_session.run(_feeds(), is_cancelled=lambda: True)
