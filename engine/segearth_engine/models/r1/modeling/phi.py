"""The Phi-1.5 body of SegEarth-R1 on top of transformers' own `PhiModel`, and the checkpoint name mapping.

Why a mapping at all: the release was written by transformers 4.36.2, whose Phi attention stores one fused
`query_key_value` projection, interleaved per head (rows ordered head, then q/k/v, then head_dim). transformers 5.x
has separate `q_proj`/`k_proj`/`v_proj`. Splitting must follow that interleaving; a plain `chunk(3)` mixes heads and
silently gives wrong hidden states. Every other name is the same in both versions.

Only the body is built (`PhiModel`, no `lm_head`): SegEarth-R1 runs one forward pass and reads hidden states.
Attention maps are never requested (upstream forces them on and discards them).

Rotary tables: transformers 5.x computes cos/sin in fp32 on each call and casts them to the activation dtype.
Upstream's tables were fp16-rounded at construction (an artefact of loading in fp16); we do not reproduce that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from segearth_engine.errors import CheckpointKeyError

if TYPE_CHECKING:
    import torch
    from transformers import PhiModel

    from segearth_engine.models.r1.config import LLMConfig

ATTN_IMPLEMENTATIONS = ("sdpa", "eager")
_LAYER_KEY = re.compile(r"layers\.(\d+)\.(.+)")
# Per-layer tensors whose names agree between the checkpoint and transformers 5.x.
_SHARED_LAYER_KEYS = tuple(
    f"{module}.{kind}"
    for module in ("self_attn.dense", "mlp.fc1", "mlp.fc2", "input_layernorm")
    for kind in ("weight", "bias")
)
_TOP_KEYS = ("embed_tokens.weight", "final_layernorm.weight", "final_layernorm.bias")
_FUSED = "self_attn.query_key_value"
_SPLIT = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj")


def build_phi(cfg: LLMConfig, attn_implementation: str = "sdpa") -> PhiModel:
    """A randomly initialised `PhiModel` with SegEarth-R1's widths (build under `torch.device("meta")` to skip init)."""
    from transformers import PhiConfig, PhiModel

    if attn_implementation not in ATTN_IMPLEMENTATIONS:
        raise ValueError(f"attn_implementation {attn_implementation!r} is not one of {ATTN_IMPLEMENTATIONS}")
    config = PhiConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_attention_heads,
        hidden_act=cfg.hidden_act,
        max_position_embeddings=cfg.max_position_embeddings,
        layer_norm_eps=cfg.layer_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": cfg.rope_theta,
                         "partial_rotary_factor": cfg.partial_rotary_factor},
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attention_dropout=0.0,
        qk_layernorm=False,
        tie_word_embeddings=False,
        use_cache=False,  # one pass over the whole prompt: a KV cache would only cost memory
        output_attentions=False,
        attn_implementation=attn_implementation,
    )
    return PhiModel(config).eval()


def hidden_states(phi: PhiModel, inputs_embeds: torch.Tensor,
                  attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """last_hidden_state of one forward pass with positions 0..S-1 (as upstream); grad mode is the caller's choice."""
    import torch

    batch, length = inputs_embeds.shape[:2]
    positions = torch.arange(length, device=inputs_embeds.device).unsqueeze(0).expand(batch, length)
    out = phi(inputs_embeds=inputs_embeds, attention_mask=attention_mask, position_ids=positions, use_cache=False)
    return out.last_hidden_state


# --- fused attention ----------------------------------------------------------------------------------------------
Pair = tuple["torch.Tensor", "torch.Tensor | None"]


def split_fused_qkv(weight: torch.Tensor, bias: torch.Tensor | None,
                    num_heads: int) -> tuple[Pair, Pair, Pair]:
    """((wq, bq), (wk, bk), (wv, bv)) from 4.36.2's fused projection: `W.view(heads, 3, head_dim, hidden)[:, i]`."""
    rows, hidden = weight.shape
    if rows % (3 * num_heads):
        raise ValueError(f"fused qkv weight has {rows} rows, not a multiple of 3 x {num_heads} heads")
    head_dim = rows // (3 * num_heads)
    w = weight.reshape(num_heads, 3, head_dim, hidden)
    b = None if bias is None else bias.reshape(num_heads, 3, head_dim)
    return tuple(  # type: ignore[return-value]
        (w[:, i].reshape(num_heads * head_dim, hidden), None if b is None else b[:, i].reshape(num_heads * head_dim))
        for i in range(3)
    )


def fuse_qkv(q: Pair, k: Pair, v: Pair, num_heads: int) -> Pair:
    """The exact inverse of `split_fused_qkv`: (weight [3*out, hidden], bias [3*out] or None)."""
    import torch

    weights = [p[0] for p in (q, k, v)]
    out, hidden = weights[0].shape
    head_dim = out // num_heads
    weight = torch.stack([w.reshape(num_heads, head_dim, hidden) for w in weights], dim=1).reshape(3 * out, hidden)
    biases = [p[1] for p in (q, k, v)]
    if any(b is None for b in biases):
        if not all(b is None for b in biases):
            raise ValueError("q/k/v must all have a bias or none")
        return weight, None
    bias = torch.stack([b.reshape(num_heads, head_dim) for b in biases], dim=1).reshape(3 * out)  # type: ignore[union-attr]
    return weight, bias


def phi_tensors_from_checkpoint(name: str, tensor: torch.Tensor, num_heads: int) -> list[tuple[str, torch.Tensor]]:
    """One checkpoint tensor (name below `model.`) -> our `PhiModel` tensors; the fused qkv is split per head.

    The streaming counterpart of `phi_state_from_checkpoint`, so the loader never holds the whole state at once.
    Names and shapes are checked against the whole model before streaming starts (checkpoint.check_layout).
    """
    match = _LAYER_KEY.fullmatch(name)
    if not match or match.group(2) not in (f"{_FUSED}.weight", f"{_FUSED}.bias"):
        return [(name, tensor)]
    layer, kind = match.group(1), match.group(2).rsplit(".", 1)[1]
    rows = tensor.shape[0]
    if rows % (3 * num_heads):
        raise CheckpointKeyError(f"{name} has {rows} rows, not a multiple of 3 x {num_heads} heads")
    if kind == "weight":
        parts = [w for w, _ in split_fused_qkv(tensor, None, num_heads)]
    else:
        per_head = tensor.reshape(num_heads, 3, rows // (3 * num_heads))
        parts = [per_head[:, i].reshape(-1) for i in range(3)]
    return [(f"layers.{layer}.{target}.{kind}", part.contiguous()) for target, part in zip(_SPLIT, parts, strict=True)]


# --- state dict mapping -------------------------------------------------------------------------------------------
def _layer_indices(names: Mapping[str, object], side: str) -> list[int]:
    found = set()
    for name in names:
        match = _LAYER_KEY.fullmatch(name)
        if match:
            found.add(int(match.group(1)))
    if not found:
        raise CheckpointKeyError(f"no Phi layers found among the {side} tensors (expected layers.0.*)")
    return list(range(max(found) + 1))


def _take(tensors: Mapping[str, torch.Tensor], name: str, side: str) -> torch.Tensor:
    try:
        return tensors[name]
    except KeyError:
        raise CheckpointKeyError(f"Phi tensor {name!r} is missing from the {side} tensors") from None


def _check_no_leftovers(tensors: Mapping[str, object], used: set[str], side: str) -> None:
    unexpected = sorted(set(tensors) - used)
    if unexpected:
        shown = ", ".join(unexpected[:5]) + (" ..." if len(unexpected) > 5 else "")
        raise CheckpointKeyError(f"unexpected Phi tensors among the {side} tensors: {shown}")


def phi_state_from_checkpoint(tensors: Mapping[str, torch.Tensor], num_heads: int) -> dict[str, torch.Tensor]:
    """Checkpoint names below `model.` (fused qkv) -> transformers 5.x `PhiModel` names (q/k/v split per head)."""
    side = "checkpoint"
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    for name in _TOP_KEYS:
        out[name] = _take(tensors, name, side)
        used.add(name)
    for i in _layer_indices(tensors, side):
        for key in _SHARED_LAYER_KEYS:
            name = f"layers.{i}.{key}"
            out[name] = _take(tensors, name, side)
            used.add(name)
        w_name, b_name = f"layers.{i}.{_FUSED}.weight", f"layers.{i}.{_FUSED}.bias"
        weight, bias = _take(tensors, w_name, side), _take(tensors, b_name, side)
        used.update((w_name, b_name))
        if weight.ndim != 2 or weight.shape[0] != 3 * weight.shape[1] or weight.shape[0] % (3 * num_heads):
            raise CheckpointKeyError(f"{w_name} has shape {list(weight.shape)}; expected [3*hidden, hidden] with "
                                     f"hidden divisible by {num_heads} heads")
        if bias.shape != (weight.shape[0],):
            raise CheckpointKeyError(f"{b_name} has shape {list(bias.shape)}; expected [{weight.shape[0]}]")
        for target, (w, b) in zip(_SPLIT, split_fused_qkv(weight, bias, num_heads), strict=True):
            out[f"layers.{i}.{target}.weight"] = w
            out[f"layers.{i}.{target}.bias"] = b  # type: ignore[assignment]
    _check_no_leftovers(tensors, used, side)
    return out


def phi_state_to_checkpoint(state: Mapping[str, torch.Tensor], num_heads: int) -> dict[str, torch.Tensor]:
    """transformers 5.x `PhiModel` names -> checkpoint names below `model.` (q/k/v fused, interleaved per head)."""
    side = "PhiModel"
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    for name in _TOP_KEYS:
        out[name] = _take(state, name, side)
        used.add(name)
    for i in _layer_indices(state, side):
        for key in _SHARED_LAYER_KEYS:
            name = f"layers.{i}.{key}"
            out[name] = _take(state, name, side)
            used.add(name)
        pairs = []
        for target in _SPLIT:
            names = (f"layers.{i}.{target}.weight", f"layers.{i}.{target}.bias")
            pairs.append(tuple(_take(state, n, side) for n in names))
            used.update(names)
        weight, bias = fuse_qkv(*pairs, num_heads=num_heads)  # type: ignore[misc]
        out[f"layers.{i}.{_FUSED}.weight"] = weight
        out[f"layers.{i}.{_FUSED}.bias"] = bias  # type: ignore[assignment]
    _check_no_leftovers(state, used, side)
    return out
