"""Prompt, ids and splicing reproduce upstream's evaluation exactly (fixtures/upstream_r1/prompt.json)."""

import json
from pathlib import Path

import pytest
import torch

from segearth_engine.errors import InputError, ModelFilesError
from segearth_engine.models.r1.prompt import (
    FALLBACK_ANSWER,
    REFER_ID,
    answer_ids,
    assemble,
    build_prompt,
    load_tokenizer,
    refer_ids,
    tokenize_prompt,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "upstream_r1"
CASES = json.loads((FIXTURES / "prompt.json").read_text(encoding="utf-8"))["cases"]
TASKS = ["reasoning", "referring"]
SEG, HIDDEN, VISUAL = 50296, 8, 64


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(FIXTURES / "tokenizer", 50295, SEG)


def _embed(ids):
    """A fake embedding whose rows tell which id they came from."""
    return torch.tensor(ids, dtype=torch.float32)[:, None].expand(len(ids), HIDDEN) + 0.5


def _visual():
    return -torch.arange(1, VISUAL + 1, dtype=torch.float32)[:, None].expand(VISUAL, HIDDEN)


@pytest.mark.parametrize("task,case", zip(TASKS, CASES, strict=True))
def test_full_prompt_matches_upstream(tokenizer, task, case):
    prompt = build_prompt(task, truncate=False)
    assert prompt == case["prompt"]
    ids = tokenize_prompt(tokenizer, prompt)
    assert ids == case["input_ids"]
    refer = refer_ids(tokenizer, case["question"], SEG)
    assert refer == case["token_refer_id"]
    answer = answer_ids(tokenizer, FALLBACK_ANSWER, SEG) if case["answer_text_used"] else None
    embeds, rows = assemble(ids, _embed, _visual(), refer, answer)
    assert rows == case["refer_positions_after_splicing"]
    assert embeds.shape == (1, case["llm_sequence_length"], HIDDEN)
    assert torch.equal(embeds[0, rows, 0], torch.tensor(refer, dtype=torch.float32) + 0.5)
    image_row = ids.index(-200)
    assert torch.equal(embeds[0, image_row:image_row + VISUAL], _visual())


@pytest.mark.parametrize("task,case", zip(TASKS, CASES, strict=True))
def test_truncated_prompt_is_a_prefix(tokenizer, task, case):
    prompt = build_prompt(task)
    assert case["prompt"].startswith(prompt) and prompt.endswith("<refer>")
    ids = tokenize_prompt(tokenizer, prompt)
    assert ids == case["input_ids"][:case["input_ids"].index(REFER_ID) + 1]
    embeds, rows = assemble(ids, _embed, _visual(), case["token_refer_id"])
    assert rows == case["refer_positions_after_splicing"]
    assert embeds.shape[1] == rows[-1] + 1


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(tokenizer, question):
    with pytest.raises(InputError, match="empty"):
        refer_ids(tokenizer, question, SEG)


def test_long_or_reserved_question_is_refused(tokenizer):
    with pytest.raises(InputError, match="too long"):
        refer_ids(tokenizer, "where is the lake " * 200, SEG)
    with pytest.raises(InputError, match="reserved"):
        refer_ids(tokenizer, "the lake [SEG]", SEG)


def test_unknown_task_is_refused():
    with pytest.raises(InputError, match="task"):
        build_prompt("captioning")


def test_tokenizer_with_other_ids_is_refused():
    with pytest.raises(ModelFilesError, match=r"\[SEG\]"):
        load_tokenizer(FIXTURES / "tokenizer", 50295, 50000)
