"""Low-memory mode: the LLM is released after each question and the encoder session after each encoding, both are
reloaded on demand, and the answers are the same as without it."""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.models.r1.segmenter import Segmenter


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    image[60:160, 90:250] = (30, 140, 200)
    return image


def test_releases_reloads_and_gives_the_same_mask(tiny_model_dir, tiny_onnx_segmenter, scene):
    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32",
                                    low_memory=True)
    assert seg.device.endswith("low memory)")
    assert seg.model is None and seg.llm_loads == 0, "the LLM should wait for the first question"
    encoded = seg.encode(scene)
    assert seg.sessions[0] is None, "the encoder session should be released after encoding"
    first = seg.segment(encoded, "the blue pond")
    assert seg.model is None, "the LLM should be released after the question"
    second = seg.segment(encoded, "the blue pond")
    assert seg.llm_loads == 2 and seg.model is None
    again = seg.encode(scene)  # the encoder session comes back on demand
    assert seg.encoder_calls == 2 and seg.sessions[0] is None
    for name, value in encoded.tensors.items():
        np.testing.assert_array_equal(again.tensors[name], value)

    plain = tiny_onnx_segmenter.segment(tiny_onnx_segmenter.encode(scene), "the blue pond")
    assert 0 < plain.mask.mean() < 1
    for got in (first, second):
        np.testing.assert_allclose(got.logits, plain.logits, atol=1e-5)
        np.testing.assert_array_equal(got.mask, plain.mask)


def test_release_on_demand_keeps_working(tiny_model_dir, scene):
    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32")
    encoded = seg.encode(scene)
    before = seg.segment(encoded, "the blue pond")
    seg.release()
    assert seg.model is None and seg.sessions[0] is None
    after = seg.segment(seg.encode(scene), "the blue pond")
    np.testing.assert_array_equal(after.mask, before.mask)


def test_torch_backend_refuses_low_memory(tiny_model_dir):
    with pytest.raises(InputError, match="low_memory"):
        Segmenter.from_pretrained(tiny_model_dir, backend="torch", device="cpu", low_memory=True)


def test_auto_precision_follows_the_low_memory_order(tiny_model_dir):
    """Low memory reloads the LLM for every question: `auto` then prefers native bf16 (a cheap reload) over int8
    (quantised anew each time), where this CPU has it."""
    from segearth_engine.runtime.llm_precision import choose_precision

    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", low_memory=True)
    expected = choose_precision("auto", False, low_memory=True)
    assert seg.llm_precision == expected.precision and f"LLM {expected.label}" in seg.device
