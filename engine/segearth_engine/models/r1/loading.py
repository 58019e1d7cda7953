"""Building our SegEarth-R1 modules from a model folder without ever holding two copies of the weights."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import InputError, ModelFilesError
from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.runtime.llm_precision import LABELS, compute_dtype, int8_engine

if TYPE_CHECKING:
    import torch

    from segearth_engine.models.r1.modeling.segearth_r1 import SegEarthR1
    from segearth_engine.weights.checkpoint import DtypeFor, MapIf, ModuleReady

EMBEDDING = "llm.embed_tokens.weight"
EMBEDDING_IN_CHECKPOINT = "model.embed_tokens.weight"


def build_model(cfg: SegEarthConfig, device: str = "meta") -> SegEarthR1:
    """The architecture with no weights (meta) or random ones (cpu, for tiny models and benchmarks)."""
    import torch

    from segearth_engine.models.r1.modeling.segearth_r1 import SegEarthR1

    with torch.device(device):
        return SegEarthR1(cfg).eval()


def _restore_computed_buffers(model: SegEarthR1) -> None:
    """Re-create buffers that are computed, not stored (Phi's rotary frequencies), after a meta-device build."""

    rotary = model.llm.rotary_emb
    if any(b.is_meta for b in rotary.buffers()):
        model.llm.rotary_emb = type(rotary)(config=model.llm.config)


def load_model(model_dir: str | Path, dtype: torch.dtype | DtypeFor | None = None,
               parts: Iterable[str] | None = None, on_module_ready: ModuleReady | None = None,
               mapped: MapIf | None = None) -> SegEarthR1:
    """Our model with the folder's weights (all of them, or only `parts`), in `dtype` (float32 by default).

    `dtype` may be a function of the tensor name (e.g. the embedding table kept in bf16); `on_module_ready` is
    passed to `checkpoint.load_weights` (per-module post-processing while streaming, e.g. int8 quantisation), and
    so is `mapped` (which checkpoint tensors to memory-map instead of read).
    """
    import torch

    from segearth_engine.models.r1.checkpoint import load_weights

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelFilesError(f"model folder {model_dir} does not exist")
    cfg = SegEarthConfig.from_file(model_dir / "config.json")
    model = build_model(cfg, "meta")
    load_weights(model, model_dir, cfg.llm.num_attention_heads, dtype or torch.float32, parts, on_module_ready,
                 mapped)
    _restore_computed_buffers(model)
    wanted = set(parts) if parts is not None else None
    leftover = [n for n, t in [*model.named_parameters(), *model.named_buffers()]
                if t.is_meta and (wanted is None or n.split(".", 1)[0] in wanted)]
    if leftover:
        raise ModelFilesError(f"internal error: tensors left without values after loading: {leftover[:5]}")
    return model.eval()


def _quantise_linear():
    """on_module_ready callback: replace each Phi linear by its dynamic int8 version as soon as it is loaded."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
    from torch.ao.quantization import per_channel_dynamic_qconfig

    def ready(root: torch.nn.Module, name: str, module: torch.nn.Module) -> None:
        if not (name.startswith("llm.layers.") and type(module) is torch.nn.Linear):
            return
        module.qconfig = per_channel_dynamic_qconfig
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch marks eager quantisation as deprecated in favour of torchao
            quantised = DynamicLinear.from_float(module)
        parent_name, _, attr = name.rpartition(".")
        setattr(root.get_submodule(parent_name), attr, quantised)
        module.weight = module.bias = None  # free the fp32 copy now, not at the end of loading

    return ready


def prepare_llm(model_dir: Path, precision: str, device: str = "cpu") -> SegEarthR1:
    """load_llm from the checkpoint itself: the per-head qkv split and, for int8, the quantisation done here."""
    import torch

    if precision not in LABELS:
        raise InputError(f"llm_precision {precision!r} must be resolved (fp32, bf16 or int8) before loading")
    runtime = compute_dtype(precision)

    def dtype_for(name: str) -> torch.dtype:
        return torch.bfloat16 if name == EMBEDDING and device == "cpu" else runtime

    # On the CPU, tensors used as stored are mapped from the file, not copied: the bf16 embedding table always (only
    # the looked-up rows are ever read), and in bf16 every tensor but the split qkv. Mapped pages are the page
    # cache's: loading is a mapping, and under memory pressure the kernel drops them instead of swapping.
    mapped = None
    if device == "cpu":
        mapped = (lambda name: True) if precision == "bf16" else EMBEDDING_IN_CHECKPOINT.__eq__
    if precision != "int8":
        model = load_model(model_dir, dtype_for, parts=("llm",), mapped=mapped)
        return model.to(device) if device != "cpu" else model
    engine = int8_engine()
    if engine is None:
        raise InputError("llm_precision 'int8' needs torch's fbgemm/x86 (AVX2) or qnnpack quantised engine")
    torch.backends.quantized.engine = engine
    return load_model(model_dir, dtype_for, parts=("llm",), on_module_ready=_quantise_linear(), mapped=mapped)
