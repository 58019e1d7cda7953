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
        prefix_rows = next(iter(encoded.llm_prefix))[3]
        head = _head_rows(seg, "reasoning")
        # first question: the text before the image, the rest of the prefix, its own rows; second: its own rows only
        # (then the one-pass reference)
        own = whole - prefix_rows
        expected = [head, prefix_rows - head, own] if question == QUESTIONS[0] else [own]
        assert lengths[before:before + len(expected)] == expected
    assert len(encoded.llm_prefix) == 1  # one prefix for the task, whatever the question
    ((state, size),) = encoded.llm_prefix.values()
    kept = sum(t.nbytes for layer in state.layers for t in (layer.keys, layer.values))
    assert size == kept and encoded.nbytes == kept + sum(t.nbytes for t in encoded.tensors.values())
    seg.pooled_description(encoded, QUESTIONS[0], "referring")
    assert len(encoded.llm_prefix) == 2  # the instruction names the task: another prefix


def _head_rows(seg, task: str) -> int:
    from segearth_engine.models.r1.prompt import IMAGE_ID

    return seg._prompt(task).index(IMAGE_ID)


def test_the_text_before_the_image_runs_once_for_every_view(tiny_model_dir, image):
    """The system text is the same for every view and task: a second view's prefix starts after it, and the
    description equals one pass over the whole prompt."""
    from segearth_engine.models.r1.segmenter import Segmenter

    seg = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32")
    first, second = seg.encode(image), seg.encode(np.ascontiguousarray(image[::-1]))
    seg.prepare_question(first, "reasoning")
    lengths = _llm_lengths(seg)
    for encoded, task in ((second, "reasoning"), (second, "referring")):
        before = len(lengths)
        pooled = seg.pooled_description(encoded, QUESTIONS[1], task)
        torch.testing.assert_close(pooled, _one_pass(seg, encoded, QUESTIONS[1], task), rtol=1e-5, atol=1e-5)
        with torch.inference_mode():
            whole = seg._llm_inputs(encoded, QUESTIONS[1], task)[0].shape[1]
        prefix_rows = [key[3] for key in encoded.llm_prefix if key[0] == task][0]
        head = _head_rows(seg, task)
        assert head > 0 and lengths[before:before + 2] == [prefix_rows - head, whole - prefix_rows]
    assert len(seg._heads) == 1  # both tasks' prompts share the text before the image


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
