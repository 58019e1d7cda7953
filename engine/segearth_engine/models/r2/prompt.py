"""SegEarth-R2's prompt and the reading of its answer.

Upstream's evaluation (eval/eval.py) puts the question after a fixed instruction in a one-turn conversation of
template "llava_phi" with an empty assistant turn, tokenizes chunk by chunk around `<image>` (no BOS) and lets the
LLM generate. `segearth_r2/utils/conversation.py` is not in the code snapshot we could read; "llava_phi" is taken to
be the R1/PSALM `conv_llava_phi` (LLaMA-2 style, `<|endoftext|>` separators), which renders an empty assistant turn
as nothing: the prompt ends at " [/INST]".

Each [SEG] in the answer is one target; its label is the phrase the model wrote since the previous [SEG].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from segearth_engine.errors import InputError
from segearth_engine.models.r1.prompt import SYSTEM

if TYPE_CHECKING:
    import torch

IMAGE_ID = -200
SEG_TOKEN = "[SEG]"  # nosec B105 # the mask token of the tokenizer, not a password
INSTRUCTION = ("This is an image \n<image>\n. If the instruction is a question, provide segmentation result + "
               "explanation; if it's a declarative phrase, provide only the segmentation result\n. Please doing "
               "Referring or Reasoning Segmentation according to the following instruction:")
MAX_QUESTION_TOKENS = 512
_CONNECTIVES = re.compile(r"^(?:and|or|as well as|plus|also|then)(?:\s+|$)", re.IGNORECASE)
_LEADING = re.compile(r"^[\s,;:.\-]+")


def build_prompt(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty: type what to segment, e.g. 'the runway and the taxiways'")
    user = f"{INSTRUCTION}\n{question.strip()}"
    return f"[INST] <<SYS>>\n{SYSTEM}\n<</SYS>>\n\n{user} [/INST]"


def tokenize_prompt(tokenizer: Any, question: str) -> list[int]:
    """Token ids of the prompt with `<image>` as IMAGE_ID; reserved tokens in the question are refused."""
    for token in [t for t in getattr(tokenizer, "all_special_tokens", []) if t] + [SEG_TOKEN]:
        if token in question:
            raise InputError(f"the question contains {token!r}, a reserved token of the model; remove it")
    if len(tokenizer.encode(question.strip(), add_special_tokens=False)) > MAX_QUESTION_TOKENS:
        raise InputError(f"the question is too long (more than {MAX_QUESTION_TOKENS} tokens): shorten it")
    ids: list[int] = []
    for chunk in re.split("(<image>)", build_prompt(question)):
        if chunk == "<image>":
            ids.append(IMAGE_ID)
        elif chunk:
            ids.extend(tokenizer.encode(chunk, add_special_tokens=False))
    return ids


def assemble(ids: Sequence[int], embed_fn: Callable[[list[int]], torch.Tensor],
             image_tokens: torch.Tensor) -> torch.Tensor:
    """inputs_embeds [1, S, H]: text chunks embedded, the single `<image>` replaced by the image tokens [T, H]."""
    import torch

    if list(ids).count(IMAGE_ID) != 1:
        raise ValueError("the prompt needs exactly one <image>")
    at = list(ids).index(IMAGE_ID)
    pieces = [embed_fn(list(ids[:at])), image_tokens, embed_fn(list(ids[at + 1:]))]
    reference = pieces[0]
    return torch.cat([p.to(reference.device, reference.dtype) for p in pieces if p.shape[0]], 0)[None]


def clean_phrase(text: str) -> str:
    """The label of one target: the words before its [SEG], without leading connectives or punctuation."""
    phrase = " ".join(text.split())
    for _ in range(3):
        phrase = _CONNECTIVES.sub("", _LEADING.sub("", phrase))
    return phrase.strip(" ,;:")


def split_answer(tokenizer: Any, token_ids: Sequence[int], seg_id: int) -> tuple[str, list[str]]:
    """(answer text with [SEG] marks, one phrase per [SEG]); a phrase left empty becomes "target N"."""
    phrases: list[str] = []
    pieces: list[str] = []
    current: list[int] = []
    for token in token_ids:
        if token == seg_id:
            text = tokenizer.decode(current, skip_special_tokens=True)
            pieces.append(text)
            phrases.append(clean_phrase(text) or f"target {len(phrases) + 1}")
            current = []
        else:
            current.append(int(token))
    tail = tokenizer.decode(current, skip_special_tokens=True)
    answer = SEG_TOKEN.join(pieces + [tail]) if pieces else tail
    return " ".join(answer.split()), phrases
