"""The prompt before the question is run once per encoded image and task, and each question only adds its own
tokens: the same description as one pass over the whole prompt (fp32), and nothing of it for int8."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segearth_engine.runtime.llm_precision import supported

QUESTIONS = ("where could a small plane land", "the yellow field")


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    rng = np.random.default_rng(5)
    picture = rng.integers(0, 256, (300, 420, 3), dtype=np.uint8)
    picture[60:200, 100:300] = (200, 180, 40)
    return picture


def _llm_lengths(seg) -> list[int]:
    """Records the sequence length of every LLM forward pass (its inputs_embeds)."""
    lengths: list[int] = []
    seg.model.llm.register_forward_pre_hook(lambda _m, _a, kw: lengths.append(kw["inputs_embeds"].shape[1]),
                                            with_kwargs=True)
    return lengths


def _one_pass(seg, encoded, question: str, task: str) -> torch.Tensor:
    with torch.inference_mode():
        embeds, rows = seg._llm_inputs(encoded, question, task)
        return seg.model.reason(embeds, rows).float()


def test_questions_reuse_the_prompt_prefix_and_match_one_pass(tiny_model_dir, image):
    from segearth_engine.models.r1.segmenter import Segmenter

    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32")
    encoded = seg.encode(image)
    lengths = _llm_lengths(seg)
    for question in QUESTIONS:
        with torch.inference_mode():
            whole = seg._llm_inputs(encoded, question, "reasoning")[0].shape[1]
        before = len(lengths)
        pooled = seg.pooled_description(encoded, question, "reasoning")
        reference = _one_pass(seg, encoded, question, "reasoning")
        torch.testing.assert_close(pooled, reference, rtol=1e-5, atol=1e-5)
        question_rows = whole - next(iter(encoded.llm_prefix))[3]
        # first question: prefix + its own rows; second: its own rows only (then the one-pass reference)
        expected = [whole - question_rows, question_rows] if question == QUESTIONS[0] else [question_rows]
        assert lengths[before:before + len(expected)] == expected
    assert len(encoded.llm_prefix) == 1  # one prefix for the task, whatever the question
    ((state, size),) = encoded.llm_prefix.values()
    kept = sum(t.nbytes for layer in state.layers for t in (layer.keys, layer.values))
    assert size == kept and encoded.nbytes == kept + sum(t.nbytes for t in encoded.tensors.values())
    seg.pooled_description(encoded, QUESTIONS[0], "referring")
    assert len(encoded.llm_prefix) == 2  # the instruction names the task: another prefix


def test_prepare_question_leaves_only_the_question_to_run(tiny_model_dir, image):
    from segearth_engine.models.r1.segmenter import Segmenter

    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32")
    encoded = seg.encode(image)
    seg.prepare_question(encoded, "referring")
    lengths = _llm_lengths(seg)
    seg.segment(encoded, QUESTIONS[1], "referring")
    (key,) = encoded.llm_prefix
    with torch.inference_mode():
        whole = seg._llm_inputs(encoded, QUESTIONS[1], "referring")[0].shape[1]
    assert lengths == [whole - key[3]]


@pytest.mark.skipif(supported("int8") is not None, reason="no fast int8 kernels on this CPU/torch")
def test_int8_runs_the_whole_prompt_in_one_pass(tiny_model_dir, image):
    """int8 quantises activations per call: splitting the prompt would change its numbers."""
    from segearth_engine.models.r1.segmenter import Segmenter

    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="int8")
    encoded = seg.encode(image)
    seg.prepare_question(encoded, "reasoning")
    lengths = _llm_lengths(seg)
    pooled = seg.pooled_description(encoded, QUESTIONS[0], "reasoning")
    assert encoded.llm_prefix == {} and len(lengths) == 1
    assert torch.equal(pooled, _one_pass(seg, encoded, QUESTIONS[0], "reasoning"))
