"""Safetensors checkpoints, whatever the model family: files, layouts checked against a model, streaming
placement of tensors, sha256 integrity. Each family maps its checkpoint's names to its modules in its own room
(models/r1/checkpoint.py, models/r2/checkpoint.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import CheckpointKeyError, ModelFilesError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

WEIGHTS_NAME = "model.safetensors"
INDEX_NAME = "model.safetensors.index.json"


DtypeFor = Callable[[str], "torch.dtype"]
ModuleReady = Callable[["torch.nn.Module", str, "torch.nn.Module"], None]
MapIf = Callable[[str], bool]



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


def check_layout(found: Mapping[str, tuple[tuple[int, ...], str]], expected: Mapping[str, tuple[int, ...]],
                 family: str, unused: Iterable[str] = ()) -> None:
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
