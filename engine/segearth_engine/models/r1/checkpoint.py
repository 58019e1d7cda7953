"""Strict loading of SegEarth-R1 checkpoints (safetensors only) into our modules.

Our module tree differs from upstream's in three places, all mapped here and nowhere else:
- upstream's `model.` prefix holds the Phi body *and* the vision side; ours splits them into `llm.`,
  `vision_tower.` and `mm_projector.`;
- the Phi attention is stored fused and interleaved per head (transformers 4.36.2) and split when loading;
- the five description-projection modules live at the checkpoint's top level and under `description.` here.

`lm_head.weight` is stored but never used by SegEarth-R1 inference (one forward pass, hidden states only), so it is
deliberately left out of our model and never read from disk (103 M parameters saved). Every other name must match
exactly, in both directions: a missing, unexpected or misshapen tensor is an error that names it.

Weights go from the file's bf16 straight to the runtime dtype. Upstream goes bf16 -> fp16 -> fp32 (it loads in fp16
and casts); we skip the fp16 step, which only changes weights below 2**-17 in magnitude and is closer to the trained
values (upstream_behaviour.md, item 2).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import CheckpointKeyError
from segearth_engine.models.r1.modeling.phi import (
    phi_state_from_checkpoint,
    phi_state_to_checkpoint,
    phi_tensors_from_checkpoint,
)
from segearth_engine.weights.checkpoint import (
    DtypeFor,
    MapIf,
    ModuleReady,
    check_all_loaded,
    check_layout,
    checkpoint_layout,
    load_targets,
    place_tensor,
    weight_files,
)

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

UNUSED_CHECKPOINT_KEYS = frozenset({"lm_head.weight"})
DESCRIPTION_MODULES = ("text_projector", "origin_SEG_token_projector", "local_project", "SEG_token_projector",
                       "d_layers")
_VISION_PREFIXES = {"model.vision_tower.": "vision_tower.", "model.mm_projector.": "mm_projector."}


# --- names --------------------------------------------------------------------------------------------------------
def _map_non_llm(name: str) -> str | None:
    """Our name for a checkpoint name outside the Phi body, or None if it belongs to the Phi body."""
    for theirs, ours in _VISION_PREFIXES.items():
        if name.startswith(theirs):
            return ours + name[len(theirs):]
    if name.startswith("model."):
        return None
    head = name.split(".", 1)[0]
    if head in DESCRIPTION_MODULES:
        return "description." + name
    return name


def _to_checkpoint_name(name: str) -> str | None:
    """Checkpoint name for one of our non-Phi names (None for `llm.` names, mapped by phi.py)."""
    for theirs, ours in _VISION_PREFIXES.items():
        if name.startswith(ours):
            return theirs + name[len(ours):]
    if name.startswith("llm."):
        return None
    if name.startswith("description."):
        return name[len("description."):]
    return name


def to_checkpoint_state(state: Mapping[str, torch.Tensor], num_heads: int) -> dict[str, torch.Tensor]:
    """Our state dict in the checkpoint's names and layout (fused qkv). Used to write files and to compare layouts."""
    out: dict[str, torch.Tensor] = {}
    llm: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        mapped = _to_checkpoint_name(name)
        if mapped is None:
            llm[name[len("llm."):]] = tensor
        else:
            out[mapped] = tensor
    out.update({"model." + k: v for k, v in phi_state_to_checkpoint(llm, num_heads).items()})
    return out


def from_checkpoint_state(tensors: Mapping[str, torch.Tensor], num_heads: int) -> dict[str, torch.Tensor]:
    """Checkpoint tensors (already read) in our names; the fused Phi attention split per head."""
    out: dict[str, torch.Tensor] = {}
    llm: dict[str, torch.Tensor] = {}
    for name, tensor in tensors.items():
        if name in UNUSED_CHECKPOINT_KEYS:
            continue
        mapped = _map_non_llm(name)
        if mapped is None:
            llm[name[len("model."):]] = tensor
        else:
            out[mapped] = tensor
    if llm:  # empty when a partial load read no Phi tensor (the layout was checked as a whole before)
        out.update({"llm." + k: v for k, v in phi_state_from_checkpoint(llm, num_heads).items()})
    return out


def expected_layout(model: torch.nn.Module, num_heads: int) -> dict[str, tuple[int, ...]]:
    """Checkpoint names and shapes our model needs (lm_head excluded), computed on the meta device."""
    import torch

    meta = {k: torch.empty(v.shape, dtype=v.dtype, device="meta") for k, v in model.state_dict().items()}
    return {k: tuple(v.shape) for k, v in to_checkpoint_state(meta, num_heads).items()}


def our_prefix(checkpoint_name: str) -> str:
    """Top-level module of ours that a checkpoint tensor belongs to ("llm", "vision_tower", ...)."""
    mapped = _map_non_llm(checkpoint_name)
    return "llm" if mapped is None else mapped.split(".", 1)[0]


def iter_checkpoint_tensors(model_dir: Path, num_heads: int, parts: Iterable[str] | None = None,
                            mapped: MapIf | None = None) -> Iterator[tuple[str, torch.Tensor]]:
    """(our name, tensor in its stored dtype) one checkpoint tensor at a time; `lm_head` and unwanted parts skipped.

    Checkpoint tensors for which `mapped(name)` is true come memory-mapped from the file instead of read
    (SafetensorsFile.map).
    """
    from segearth_engine.weights.safetensors_reader import SafetensorsFile

    wanted = set(parts) if parts is not None else None
    for path in weight_files(model_dir):
        reader = SafetensorsFile(path)
        for name in reader.keys():
            if name in UNUSED_CHECKPOINT_KEYS or (wanted is not None and our_prefix(name) not in wanted):
                continue
            tensor = reader.map(name) if mapped is not None and mapped(name) else reader.read(name)
            ours = _map_non_llm(name)
            if ours is not None:
                yield ours, tensor
                continue
            for llm_name, piece in phi_tensors_from_checkpoint(name[len("model."):], tensor, num_heads):
                yield "llm." + llm_name, piece


def load_weights(model: torch.nn.Module, model_dir: Path, num_heads: int, dtype: torch.dtype | DtypeFor,
                 parts: Iterable[str] | None = None, on_module_ready: ModuleReady | None = None,
                 mapped: MapIf | None = None) -> None:
    """Fill `model` (built on the meta device) from the snapshot's safetensors, streaming tensor by tensor.

    The whole file is always checked against the whole model first; `parts` (our top-level module names) limits what
    is read, e.g. only the LLM when the vision side runs in ONNX Runtime; modules not read stay on the meta device.
    Each tensor is read, converted to `dtype` (or `dtype(name)`) and assigned before the next is read, so the peak
    is the runtime model plus one tensor. `on_module_ready(model, name, module)` is called as soon as all of a
    module's own tensors are in place (the int8 LLM quantises each linear layer there, before the next layer is read).
    `mapped(checkpoint name)`: memory-map that tensor rather than read it (it stays mapped, not copied, when `dtype`
    keeps its stored dtype and it is not split).
    """
    check_layout(checkpoint_layout(weight_files(model_dir)), expected_layout(model, num_heads), "SegEarth-R1",
                 UNUSED_CHECKPOINT_KEYS)
    targets = load_targets(model, parts)
    modules = dict(model.named_modules())
    pending: dict[str, int] = {}
    for name in targets:
        owner = name.rpartition(".")[0]
        pending[owner] = pending.get(owner, 0) + 1
    for name, tensor in iter_checkpoint_tensors(model_dir, num_heads, parts, mapped):
        slot = targets.pop(name, None)
        if slot is None:
            raise CheckpointKeyError(f"checkpoint tensor maps to {name!r}, which the model does not have or got twice")
        if tuple(slot.shape) != tuple(tensor.shape):
            raise CheckpointKeyError(f"tensor {name} has shape {list(tensor.shape)}, expected {list(slot.shape)}")
        owner = place_tensor(modules, name, tensor, dtype)
        del tensor
        pending[owner] -= 1
        if pending[owner] == 0 and on_module_ready is not None:
            on_module_ready(model, owner, modules[owner])
    check_all_loaded(targets)


