"""Answer generation through transformers' `generate`, and the hidden state of every generated [SEG].

As upstream's `inference`: the LLM generates from the spliced prompt with hidden states on; the last layer's
(final-norm) hidden state at each position where [SEG] was *fed in* is that target's query. A [SEG] fed in at step k
has its hidden state computed at step k+1, so a [SEG] that is the very last token (max_new_tokens reached) has
none; upstream silently drops it, we run that one extra step on the KV cache instead, so every [SEG] in the
answer gets a mask.

Deliberate differences: greedy decoding by default (upstream samples at temperature 0.2); ids the embedding table
does not have (upstream's lm_head has 51,200 rows, the embeddings about 50,296) are never chosen, where upstream
would fail on the next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEFAULT_MAX_NEW_TOKENS = 128
MAX_NEW_TOKENS_LIMIT = 512


@dataclass
class Generation:
    token_ids: list[int]  # generated ids (EOS excluded)
    seg_hidden: torch.Tensor  # [N, hidden], one row per [SEG] in token_ids, in order


def _vocab_limit(rows: int):
    from transformers import LogitsProcessor

    class OnlyEmbeddedIds(LogitsProcessor):
        def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
            scores[:, rows:] = -float("inf")
            return scores

    return OnlyEmbeddedIds()


def generate_answer(llm, inputs_embeds: torch.Tensor, seg_id: int, eos_id: int,
                    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, do_sample: bool = False,
                    temperature: float = 0.2) -> Generation:
    """Run `llm.generate` (a PhiForCausalLM) on inputs_embeds [1, S, H]; grad mode is the caller's."""
    import torch
    from transformers import LogitsProcessorList

    if not 1 <= max_new_tokens <= MAX_NEW_TOKENS_LIMIT:
        raise ValueError(f"max_new_tokens must be within 1..{MAX_NEW_TOKENS_LIMIT}")
    rows = llm.model.embed_tokens.weight.shape[0]
    mask = torch.ones(inputs_embeds.shape[:2], dtype=torch.long, device=inputs_embeds.device)
    sampling = {"do_sample": True, "temperature": temperature} if do_sample else {"do_sample": False}
    out = llm.generate(inputs_embeds=inputs_embeds, attention_mask=mask, max_new_tokens=max_new_tokens,
                       eos_token_id=eos_id, pad_token_id=eos_id, output_hidden_states=True,
                       return_dict_in_generate=True, use_cache=True,
                       logits_processor=LogitsProcessorList([_vocab_limit(rows)]), **sampling)
    ids = [int(t) for t in out.sequences[0]]
    # hidden_states[step][-1]: last layer after the final norm; step 0 covers the prompt, step k>0 the token k-1.
    per_step = [step[-1][0, -1] for step in out.hidden_states[1:]]
    rows_out = [per_step[k] for k, token in enumerate(ids[:len(per_step)]) if token == seg_id]
    if ids and ids[-1] == seg_id and len(per_step) < len(ids):
        last = torch.tensor([[seg_id]], device=inputs_embeds.device)
        step = llm(input_ids=last, past_key_values=out.past_key_values, use_cache=True, output_hidden_states=True,
                   attention_mask=torch.ones(1, mask.shape[1] + len(ids), dtype=torch.long, device=mask.device))
        rows_out.append(step.hidden_states[-1][0, -1])
    if ids and ids[-1] == eos_id:
        ids = ids[:-1]
    hidden = torch.stack(rows_out) if rows_out else inputs_embeds.new_zeros(0, inputs_embeds.shape[-1])
    return Generation(token_ids=ids, seg_hidden=hidden)
