"""Building our SegEarth-R1 modules from a model folder without ever holding two copies of the weights."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.errors import ModelFilesError

if TYPE_CHECKING:
    import torch

    from segearth_engine.weights.checkpoint import DtypeFor, MapIf, ModuleReady
    from segearth_engine.models.r1.modeling.segearth_r1 import SegEarthR1


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

    from segearth_engine.weights.checkpoint import load_weights

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
