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

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import CheckpointKeyError, ModelFilesError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

UNUSED_CHECKPOINT_KEYS = frozenset({"lm_head.weight"})
DESCRIPTION_MODULES = ("text_projector", "origin_SEG_token_projector", "local_project", "SEG_token_projector",
                       "d_layers")
_VISION_PREFIXES = {"model.vision_tower.": "vision_tower.", "model.mm_projector.": "mm_projector."}
WEIGHTS_NAME = "model.safetensors"
INDEX_NAME = "model.safetensors.index.json"


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
    from segearth_engine.models.r1.modeling.phi import phi_state_to_checkpoint

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
    from segearth_engine.models.r1.modeling.phi import phi_state_from_checkpoint

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


# --- files --------------------------------------------------------------------------------------------------------
def weight_files(model_dir: Path) -> list[Path]:
    """The safetensors files of a Hugging Face snapshot folder (single file or sharded with an index)."""
    single, index = model_dir / WEIGHTS_NAME, model_dir / INDEX_NAME
    if single.is_file():
        return [single]
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (ValueError, KeyError) as exc:
            raise ModelFilesError(f"{index} is not a valid safetensors index ({exc})") from None
        files = sorted({model_dir / shard for shard in weight_map.values()})
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise ModelFilesError(f"{model_dir}: shard files missing: {', '.join(missing)}")
        return files
    pickles = [p.name for p in model_dir.glob("*.bin")] + [p.name for p in model_dir.glob("*.pt*")]
    hint = f" (found {', '.join(pickles)}: pickled weights are never loaded; convert to safetensors)" if pickles else ""
    raise ModelFilesError(f"{model_dir}: no {WEIGHTS_NAME} or {INDEX_NAME}{hint}")


def checkpoint_layout(files: Iterable[Path]) -> dict[str, tuple[tuple[int, ...], str]]:
    """name -> (shape, safetensors dtype) for every tensor in the files, without reading the data."""
    from safetensors import SafetensorError, safe_open

    layout: dict[str, tuple[tuple[int, ...], str]] = {}
    for path in files:
        try:
            with safe_open(str(path), framework="pt") as handle:
                for name in handle.keys():
                    if name in layout:
                        raise CheckpointKeyError(f"tensor {name!r} appears in more than one file ({path.name})")
                    piece = handle.get_slice(name)
                    layout[name] = (tuple(piece.get_shape()), piece.get_dtype())
        except (SafetensorError, OSError) as exc:
            raise ModelFilesError(f"{path}: not a readable safetensors file ({exc})") from None
    return layout


def expected_layout(model: torch.nn.Module, num_heads: int) -> dict[str, tuple[int, ...]]:
    """Checkpoint names and shapes our model needs (lm_head excluded), computed on the meta device."""
    import torch

    meta = {k: torch.empty(v.shape, dtype=v.dtype, device="meta") for k, v in model.state_dict().items()}
    return {k: tuple(v.shape) for k, v in to_checkpoint_state(meta, num_heads).items()}


def check_layout(found: Mapping[str, tuple[tuple[int, ...], str]], expected: Mapping[str, tuple[int, ...]],
                 family: str = "SegEarth-R1", unused: Iterable[str] = UNUSED_CHECKPOINT_KEYS) -> None:
    """Raise naming the missing, unexpected (beyond `unused`) and misshapen tensors of `family`'s checkpoint."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected) - set(unused))
    wrong = sorted(k for k in set(expected) & set(found) if tuple(found[k][0]) != tuple(expected[k]))
    problems = []
    if missing:
        problems.append(f"missing tensors: {', '.join(missing[:10])}" + (" ..." if len(missing) > 10 else ""))
    if unexpected:
        problems.append(f"unexpected tensors: {', '.join(unexpected[:10])}" + (" ..." if len(unexpected) > 10 else ""))
    for k in wrong[:10]:
        problems.append(f"tensor {k} has shape {list(found[k][0])}, expected {list(expected[k])}")
    if problems:
        raise CheckpointKeyError(f"checkpoint does not match {family}: " + "; ".join(problems))


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
    from segearth_engine.models.r1.modeling.phi import phi_tensors_from_checkpoint
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


DtypeFor = Callable[[str], "torch.dtype"]
ModuleReady = Callable[["torch.nn.Module", str, "torch.nn.Module"], None]
MapIf = Callable[[str], bool]


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
    check_layout(checkpoint_layout(weight_files(model_dir)), expected_layout(model, num_heads))
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


def load_targets(model: torch.nn.Module, parts: Iterable[str] | None) -> dict[str, torch.Tensor]:
    """our name -> tensor slot for every state-dict entry under the top-level modules `parts` (all when None)."""
    wanted = set(parts) if parts is not None else None
    return {n: t for n, t in model.state_dict(keep_vars=True).items()
            if wanted is None or n.split(".", 1)[0] in wanted}


def place_tensor(modules: Mapping[str, torch.nn.Module], name: str, tensor: torch.Tensor,
                 dtype: torch.dtype | DtypeFor) -> str:
    """Put a read tensor (floats converted to `dtype`) in place of the parameter or buffer `name`; returns its owner.

    Assigning, not copying, is what lets a model built on the meta device be filled one tensor at a time.
    """
    import torch

    if tensor.is_floating_point():
        tensor = tensor.to(dtype(name) if callable(dtype) else dtype)
    owner, _, attr = name.rpartition(".")
    module = modules[owner]
    if attr in module._parameters:
        module._parameters[attr] = torch.nn.Parameter(tensor, requires_grad=False)
    else:
        module._buffers[attr] = tensor
    return owner


def check_all_loaded(targets: Mapping[str, object]) -> None:
    """Raise if loading left any of the wanted tensors without a value."""
    if targets:
        raise CheckpointKeyError(f"tensors left without values after loading: {', '.join(sorted(targets)[:5])}")


# --- integrity ----------------------------------------------------------------------------------------------------
def sha256_of(path: Path, chunk: int = 1 << 24) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(model_dir: Path, expected: Mapping[str, str]) -> None:
    """Raise naming the first file whose sha256 differs from `expected` (file name -> hex digest)."""
    for name, digest in sorted(expected.items()):
        path = model_dir / name
        if not path.is_file():
            raise ModelFilesError(f"{model_dir}: {name} is missing")
        actual = sha256_of(path)
        if actual != digest.lower():
            raise ModelFilesError(f"{path}: sha256 {actual} differs from the expected {digest}; "
                                  "the file is corrupt or not the pinned release: download it again")
