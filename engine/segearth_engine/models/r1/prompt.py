"""The SegEarth-R1 prompt, token ids and LLM input sequence, built exactly as upstream's evaluation builds them.

Upstream renders a LLaMA-2 style conversation with `<|endoftext|>` separators, tokenizes the text between the
placeholders `<image>`, `<seg>`, `<refer>` and `<answer>` chunk by chunk (so no merge crosses a placeholder, and no BOS
is added), and splices embeddings in place of the placeholders. The mask depends only on the hidden states of the
`<refer>` rows; the LLM is causal, so by default we cut the prompt right after `<refer>` and never compute the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segearth_engine.errors import InputError, ModelFilesError

if TYPE_CHECKING:
    import torch

IMAGE_ID, SEG_ID, REFER_ID, ANSWER_ID = -200, -201, -204, -205
PLACEHOLDERS = {"<image>": IMAGE_ID, "<seg>": SEG_ID, "<refer>": REFER_ID, "<answer>": ANSWER_ID}
_SPLIT = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")

SEPARATOR = "<|endoftext|>"
SYSTEM = ("You are a helpful language and vision assistant. You are able to understand the visual content that the "
          "user provides, and assist the user with a variety of tasks using natural language.")
INSTRUCTION = ("This is an image <image>, Please doing {kind} Segmentation according to the following "
               "instruction:\n<refer>")
# What the assistant turn holds in upstream's evaluation sets (EarthReason / RRSIS-D).
ANSWER_PART = {"reasoning": "Sure, It is <seg>. \n<answer>.", "referring": "\nSure."}
KINDS = {"reasoning": "Reasoning", "referring": "Referring"}
# Upstream's answer text for EarthReason samples without one; only used with truncate=False.
FALLBACK_ANSWER = "There is no target object in the image."
MAX_QUESTION_TOKENS = 512  # keeps the sequence (~150 fixed rows + question) far below Phi's 2048 positions


def build_prompt(task: str, truncate: bool = True) -> str:
    """The prompt for `task` ("reasoning" | "referring"); truncate=False gives upstream's full string."""
    if task not in KINDS:
        raise InputError(f"task {task!r} is not one of {', '.join(KINDS)}")
    user = INSTRUCTION.format(kind=KINDS[task])
    head = f"[INST] <<SYS>>\n{SYSTEM}\n<</SYS>>\n\n{user}"
    if truncate:
        return head
    return f"{head} [/INST] {ANSWER_PART[task]} {SEPARATOR}"


def tokenize_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids with placeholders as negative ids; text between placeholders encoded chunk by chunk, no BOS."""
    ids: list[int] = []
    for chunk in _SPLIT.split(prompt):
        if chunk in PLACEHOLDERS:
            ids.append(PLACEHOLDERS[chunk])
        elif chunk:
            ids.extend(tokenizer.encode(chunk, add_special_tokens=False))
    return ids


def _reserved_tokens(tokenizer: Any) -> list[str]:
    return [t for t in getattr(tokenizer, "all_special_tokens", []) + ["[SEG]"] if t]


def refer_ids(tokenizer: Any, question: str, seg_token_id: int, max_tokens: int = MAX_QUESTION_TOKENS) -> list[int]:
    """tokenize(" " + question) + [SEG], the ids that replace `<refer>` (surrounding whitespace is dropped first)."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty: type what to segment, e.g. 'the lake on the left'")
    question = question.strip()
    for token in _reserved_tokens(tokenizer):
        if token in question:
            raise InputError(f"the question contains {token!r}, a reserved token of the model; remove it")
    ids = tokenizer.encode(" " + question, add_special_tokens=False)
    if len(ids) > max_tokens:
        raise InputError(f"the question is too long ({len(ids)} tokens; at most {max_tokens} are accepted): "
                         "shorten it")
    return [*ids, seg_token_id]


def answer_ids(tokenizer: Any, answer: str, seg_token_id: int) -> list[int]:
    """tokenize(answer) + [SEG] (no leading space), what upstream splices at `<answer>`; only for the full prompt."""
    return [*tokenizer.encode(answer, add_special_tokens=False), seg_token_id]


def assemble(ids: Sequence[int], embed_fn: Callable[[list[int]], torch.Tensor], visual_tokens: torch.Tensor,
             refer_ids: Sequence[int], answer_ids: Sequence[int] | None = None) -> tuple[torch.Tensor, list[int]]:
    """(inputs_embeds [1, S, H], rows of the `<refer>` ids in it): `<image>` -> visual tokens [N, H],
    `<refer>` -> embed(refer_ids), `<seg>` dropped (upstream's use_seg_query=False), `<answer>` -> embed(answer_ids).

    Both id lists are complete, [SEG] included: build them with the functions of the same names.
    """
    import torch

    if visual_tokens.ndim != 2:
        raise ValueError(f"visual_tokens must be [N, H], got shape {list(visual_tokens.shape)}")
    counts = {p: list(ids).count(v) for p, v in PLACEHOLDERS.items()}
    if counts["<image>"] != 1 or counts["<refer>"] != 1 or counts["<answer>"] > 1:
        raise ValueError(f"the prompt needs one <image>, one <refer> and at most one <answer>: {counts}")
    if counts["<answer>"] and not answer_ids:
        raise ValueError("the prompt has an <answer> placeholder but no answer ids were given")
    if not refer_ids:
        raise ValueError("refer ids are empty")

    pieces: list[torch.Tensor] = []
    refer_rows: list[int] = []
    length = 0
    text: list[int] = []

    def add(piece: torch.Tensor) -> None:
        nonlocal length
        pieces.append(piece)
        length += piece.shape[0]

    def flush() -> None:
        if text:
            add(embed_fn(list(text)))
            text.clear()

    for token in ids:
        if token >= 0:
            text.append(int(token))
            continue
        flush()
        if token == IMAGE_ID:
            add(visual_tokens)
        elif token == REFER_ID:
            refer_rows = list(range(length, length + len(refer_ids)))
            add(embed_fn(list(refer_ids)))
        elif token == ANSWER_ID:
            add(embed_fn(list(answer_ids)))  # type: ignore[arg-type]
        elif token != SEG_ID:
            raise ValueError(f"unknown placeholder id {token}")
    flush()
    reference = next(p for p in pieces if p is not visual_tokens)
    merged = torch.cat([p.to(device=reference.device, dtype=reference.dtype) for p in pieces], dim=0)
    return merged.unsqueeze(0), refer_rows


def load_tokenizer(path: str | Path, pad_token_id: int = 50295, seg_token_id: int = 50296) -> Any:
    """The model folder's tokenizer (fast, no remote code, local files only), checked for the ids the model expects."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    # AutoTokenizer reads config.json, whose model_type (llava_phi) it does not know, and warns about it; the
    # tokenizer itself is a plain CodeGen/GPT-2 one, so that warning would only confuse users.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        tokenizer = AutoTokenizer.from_pretrained(  # nosec B615 # a local folder only (local_files_only), no hub
            str(path), use_fast=True, trust_remote_code=False, local_files_only=True,
            clean_up_tokenization_spaces=False)
    except Exception as exc:  # noqa: BLE001 - tokenizers raises its own untyped Exception for garbage files
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelFilesError(f"{path}: the tokenizer files (vocab.json, merges.txt, tokenizer.json) cannot be "
                              f"loaded ({detail})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    checks = {"[PAD]": pad_token_id, "[SEG]": seg_token_id}
    for token, expected in checks.items():
        found = tokenizer.encode(token, add_special_tokens=False)
        if found != [expected]:
            raise ModelFilesError(f"{path}: the tokenizer maps {token} to {found}, but the model expects "
                                  f"[{expected}]; the tokenizer files do not belong to this model")
    if len(tokenizer.encode(SEPARATOR, add_special_tokens=False)) != 1:
        raise ModelFilesError(f"{path}: the tokenizer does not treat {SEPARATOR} as one special token")
    return tokenizer
