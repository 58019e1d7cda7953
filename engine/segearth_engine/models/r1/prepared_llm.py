"""The LLM as prepared for the CPU (qkv split per head; int8 or bf16), stored once beside the ONNX graphs.

Why: preparing Phi-1.5 from the checkpoint at every start cost most of the load (int8: quantising 1.3 B weights,
~20 s on 2 cores). The prepared tensors are written once to `llm_<precision>.safetensors` in the graphs' folder and
memory-mapped on later loads; an int8 linear is rebuilt from its stored int8 values and per-channel scales/zero points
and packed for torch's kernels (runtime/int8_linear.py: in row blocks, on every core, while transformers imports), so
the model is bit-identical to a freshly prepared one. The file records the weights' identity (size/mtime stamp and
sha256), the precision, the torch version (the quantisation's rounding is torch's) and `PREPARED_FORMAT`; a file that
disagrees, or cannot be read, is prepared again and replaced.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import ModelFilesError

if TYPE_CHECKING:
    import torch

    from segearth_engine.models.r1.modeling.segearth_r1 import SegEarthR1

log = logging.getLogger(__name__)

# Bumped whenever what is stored, or how it is named, changes: files of another format are prepared again.
PREPARED_FORMAT = "1"
PREPARED_PRECISIONS = ("int8", "bf16")  # fp32 on the CPU: the bf16 copy, widened per call (load_llm)
# Stored per int8 linear module: its int8 weight values, per-output-channel scales and zero points, and fp32 bias.
QUANTISED = ("qweight", "qscales", "qzero_points", "qbias")


def prepared_path(folder: Path, precision: str) -> Path:
    return Path(folder) / f"llm_{precision}.safetensors"


def _identity(model_dir: Path, precision: str, fingerprint: str | None) -> dict[str, str]:
    import torch

    from segearth_engine.weights.digest_cache import weights_fingerprint, weights_stamp

    return {"segearth.prepared_format": PREPARED_FORMAT, "segearth.precision": precision,
            "segearth.torch_version": torch.__version__,
            "segearth.weights_stamp": json.dumps(weights_stamp(model_dir)),
            "segearth.weights_sha256": fingerprint or weights_fingerprint(model_dir)}


def stale_reason(metadata: dict[str, str], model_dir: Path, precision: str) -> str | None:
    """None when a stored file with `metadata` can serve `precision` for the weights in `model_dir`, else why not."""
    import torch

    from segearth_engine.weights.digest_cache import weights_fingerprint, weights_stamp

    if metadata.get("segearth.prepared_format") != PREPARED_FORMAT:
        return f"format {metadata.get('segearth.prepared_format')!r}, this engine writes {PREPARED_FORMAT!r}"
    if metadata.get("segearth.precision") != precision:
        return f"precision {metadata.get('segearth.precision')!r}, {precision!r} wanted"
    if metadata.get("segearth.torch_version") != torch.__version__:
        return f"prepared by torch {metadata.get('segearth.torch_version')}, this is {torch.__version__}"
    if json.loads(metadata.get("segearth.weights_stamp", "{}")) == weights_stamp(model_dir):
        return None
    if metadata.get("segearth.weights_sha256") == weights_fingerprint(model_dir):
        return None
    return "prepared from other weights"


def _metadata(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata() or {}


def stored_tensors(model: SegEarthR1) -> dict[str, torch.Tensor]:
    """The LLM's tensors as they are at run time, int8 linears as (values, scales, zero points, bias)."""
    from segearth_engine.runtime.int8_linear import int8_parts

    out: dict[str, torch.Tensor] = {}
    for name, module in model.llm.named_modules(prefix="llm"):
        if ".blocks." in name:  # the row blocks of an int8 linear, stored with their parent
            continue
        try:
            parts = int8_parts(module)
        except ValueError as exc:
            raise ModelFilesError(f"{name}: {exc}") from exc
        if parts is not None:
            out.update({f"{name}.{key}": tensor.contiguous() for key, tensor in zip(QUANTISED, parts, strict=True)})
            continue
        for attr, tensor in [*module._parameters.items(), *module._buffers.items()]:
            if tensor is not None and attr not in module._non_persistent_buffers_set:
                out[f"{name}.{attr}"] = tensor.detach().contiguous()
    return out


def save_prepared(model: SegEarthR1, model_dir: Path, folder: Path, precision: str,
                  fingerprint: str | None = None) -> Path | None:
    """Write the prepared LLM to `folder` (atomically); None, with a warning, when the folder cannot take it."""
    from safetensors.torch import save_file

    path = prepared_path(folder, precision)
    start = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=path.name, suffix=".tmp")
        os.close(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as any file written beside the graphs, not mkstemp's owner-only mode
        try:
            save_file(stored_tensors(model), tmp, metadata=_identity(model_dir, precision, fingerprint))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.warning("the prepared LLM could not be stored in %s (%s): it is prepared again at every load", folder, exc)
        return None
    log.info("prepared LLM (%s) stored in %s in %.1f s", precision, path, time.perf_counter() - start)
    return path


def load_prepared(model_dir: Path, folder: Path, precision: str) -> SegEarthR1 | None:
    """The stored prepared LLM, memory-mapped; None when there is none, or it is stale or unreadable (logged)."""
    path = prepared_path(folder, precision)
    if not path.is_file():
        return None
    try:
        why = stale_reason(_metadata(path), model_dir, precision)
        if why:
            log.info("stored prepared LLM %s is stale (%s): preparing it again", path, why)
            return None
        return _build(model_dir, path, precision)
    except Exception as exc:  # noqa: BLE001 - any unreadable or inconsistent file is prepared again, not fatal
        log.warning("stored prepared LLM %s cannot be used (%s): preparing it again", path, exc)
        return None


def load_or_prepare(model_dir: Path, folder: Path, precision: str, prepare: Callable[[], SegEarthR1]) -> SegEarthR1:
    """The stored prepared LLM when it is current, else `prepare()` (from the checkpoint), stored for next time."""
    model = load_prepared(model_dir, folder, precision)
    if model is not None:
        return model
    model = prepare()
    save_prepared(model, model_dir, folder, precision)
    return model


def _build(model_dir: Path, path: Path, precision: str) -> SegEarthR1:
    """SegEarth-R1 with only the LLM filled, every tensor mapped from `path` (int8 linears packed from it).

    The int8 linears are packed for torch's kernels (most of this load; the GIL is released) on one thread per core
    from the start, while this thread imports transformers and builds the model (the GIL held)."""
    import torch

    from segearth_engine.runtime.llm_precision import int8_engine
    from segearth_engine.runtime.onnx_runtime import physical_cores
    from segearth_engine.weights.safetensors_reader import SafetensorsFile

    reader = SafetensorsFile(path)
    quantised: dict[str, dict[str, torch.Tensor]] = {}
    plain = []
    for key in reader.keys():
        owner, _, attr = key.rpartition(".")
        if attr in QUANTISED:
            quantised.setdefault(owner, {})[attr] = reader.map(key)
        else:
            plain.append(key)
    if quantised and precision != "int8":
        raise ModelFilesError(f"{path.name}: int8 linears in a {precision} file")
    for name, parts in quantised.items():
        if set(parts) != set(QUANTISED):
            raise ModelFilesError(f"stored int8 linear {name} does not fit the model")
    if quantised:
        torch.backends.quantized.engine = int8_engine()
    pool = ThreadPoolExecutor(max_workers=physical_cores())
    try:
        packing = {name: pool.submit(_pack, parts) for name, parts in quantised.items()}
        quantised.clear()  # each job holds its parts, released once packed: the peak is the packed model
        return _fill(model_dir, path, reader, plain, packing)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _fill(model_dir: Path, path: Path, reader, plain: list[str], packing: dict) -> SegEarthR1:
    """The model built on the meta device, its LLM filled with `plain` tensors mapped from `reader` and the packed
    int8 linears of `packing` (name -> future)."""
    from segearth_engine.models.r1.config import SegEarthConfig
    from segearth_engine.models.r1.loading import _restore_computed_buffers, build_model
    from segearth_engine.weights.checkpoint import place_tensor

    model = build_model(SegEarthConfig.from_file(model_dir / "config.json"), "meta")
    modules = dict(model.named_modules())
    slots = {n: t for n, t in model.state_dict(keep_vars=True).items() if n.startswith("llm.")}
    for key in plain:
        slot = slots.pop(key, None)
        tensor = reader.map(key)
        if slot is None or tuple(slot.shape) != tuple(tensor.shape):
            raise ModelFilesError(f"{path.name}: tensor {key} {list(tensor.shape)} does not fit the model")
        place_tensor(modules, key, tensor, tensor.dtype)
    for name, job in packing.items():
        _place_quantised(model, modules, name, job.result(), slots)
    _restore_computed_buffers(model)
    if slots:
        raise ModelFilesError(f"{path.name}: tensors missing: {', '.join(sorted(slots)[:5])}")
    return model.eval()


def _pack(parts: dict[str, torch.Tensor]) -> torch.nn.Module:
    """A stored int8 linear's parts packed into a module; the parts (file mappings) are let go of at once, so each
    mapping is released as soon as its layer is packed."""
    from segearth_engine.runtime.int8_linear import pack_int8_linear

    try:
        return pack_int8_linear(*(parts[key] for key in QUANTISED))
    finally:
        parts.clear()


def _place_quantised(model: SegEarthR1, modules: dict, name: str, packed: torch.nn.Module,
                     slots: dict[str, torch.Tensor]) -> None:
    """Put the packed int8 linear `packed` in place of the (meta) Linear `name`."""
    import torch

    linear = modules.get(name)
    if type(linear) is not torch.nn.Linear:
        raise ModelFilesError(f"stored int8 linear {name} does not fit the model")
    if (packed.out_features, packed.in_features) != (linear.out_features, linear.in_features):
        raise ModelFilesError(f"stored int8 linear {name} has shape {[packed.out_features, packed.in_features]}")
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent), attr, packed)
    for kind in ("weight", "bias"):
        slots.pop(f"{name}.{kind}", None)


def load_llm(model_dir: Path, precision: str, device: str = "cpu", store: Path | None = None) -> SegEarthR1:
    """SegEarth-R1 with only the LLM loaded (the vision side stays on the meta device), in `precision`.

    `store` (the ONNX graphs' folder): on the CPU, an int8 or bf16 LLM is mapped from the prepared copy stored there,
    prepared from the checkpoint and stored first when that copy is missing or stale (this module). An fp32 LLM on the
    CPU is the bf16 one computing in fp32 (runtime/widened_linear.py: the same numbers at half the memory)."""
    from segearth_engine.models.r1.loading import EMBEDDING, prepare_llm

    if device == "cpu" and precision == "fp32":
        from segearth_engine.runtime.widened_linear import widen_to_fp32

        model = load_llm(model_dir, "bf16", device, store)
        widen_to_fp32(model.llm, keep_bf16=lambda name: f"llm.{name}" == EMBEDDING)
        return model
    if store is not None and device == "cpu" and precision in PREPARED_PRECISIONS:
        return load_or_prepare(Path(model_dir), Path(store), precision,
                               lambda: prepare_llm(model_dir, precision, device))
    return prepare_llm(model_dir, precision, device)
