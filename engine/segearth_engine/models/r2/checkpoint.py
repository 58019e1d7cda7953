"""Strict loading of SegEarth-R2 checkpoints (safetensors only) into our modules.

Upstream's `SegEarthR2` state dict (merged LoRA, `save_pretrained`) and ours differ only by prefixes:
- `model.` holds the Phi body *and* both vision towers; ours: `llm.model.` (Phi body), `siglip.` (SigLIP, whose
  transformers 5 class has no `vision_model.` level), `mm_projector.`, `vision_tower_mask.` (Swin-B);
- `lm_head.weight` is ours `llm.lm_head.weight` (R2 generates text, so unlike R1 it is loaded);
- `pixel_decoder.`, `predictor.`, `SEG_token_projector.` are the same.
transformers 4.38.2 (upstream's pin) already stores Phi's q/k/v separately, so no tensor is split. Every name must
match in both directions; a missing, unexpected or misshapen tensor is an error that names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import ModelFilesError
from segearth_engine.weights.checkpoint import (
    check_all_loaded,
    check_layout,
    checkpoint_layout,
    load_targets,
    place_tensor,
    weight_files,
)

if TYPE_CHECKING:
    import torch

    from segearth_engine.models.r2.modeling.model import SegEarthR2

# (checkpoint prefix, our prefix), most specific first
PREFIXES = (
    ("model.vision_tower.vision_model.", "siglip."),
    ("model.vision_tower_mask.", "vision_tower_mask."),
    ("model.mm_projector.", "mm_projector."),
    ("model.", "llm.model."),
    ("lm_head.", "llm.lm_head."),
)
VISION_PARTS = ("siglip", "mm_projector", "vision_tower_mask", "pixel_decoder", "predictor", "SEG_token_projector")


def to_ours(name: str) -> str:
    for theirs, ours in PREFIXES:
        if name.startswith(theirs):
            return ours + name[len(theirs):]
    return name


def to_checkpoint(name: str) -> str:
    for theirs, ours in PREFIXES:
        if name.startswith(ours):
            return theirs + name[len(ours):]
    return name


def expected_layout(model: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    """Checkpoint names and shapes our model needs (persistent tensors only)."""
    return {to_checkpoint(k): tuple(v.shape) for k, v in model.state_dict().items()}


def build_model(cfg, device: str = "meta") -> SegEarthR2:
    import torch

    from segearth_engine.models.r2.modeling.model import SegEarthR2

    with torch.device(device):
        return SegEarthR2(cfg).eval()


def _restore_computed_buffers(model: SegEarthR2) -> None:
    """Buffers computed at construction, not stored (rotary frequencies, SigLIP position ids), after a meta build."""
    import torch

    rotary = model.llm.model.rotary_emb
    if any(b.is_meta for b in rotary.buffers()):
        model.llm.model.rotary_emb = type(rotary)(config=model.llm.config)
    embeddings = model.siglip.embeddings
    if embeddings.position_ids.is_meta:
        embeddings.position_ids = torch.arange(embeddings.num_positions).expand((1, -1))


def load_model(model_dir: str | Path, dtype: torch.dtype | Callable[[str], torch.dtype] | None = None,
               parts: Iterable[str] | None = None) -> SegEarthR2:
    """Our model with the folder's weights (all, or only the top-level modules in `parts`), float32 by default.

    The whole file is checked against the whole model first; tensors are then read one at a time, converted and
    assigned, so the peak is the runtime model plus one tensor. Modules not in `parts` stay on the meta device.
    """
    import torch

    from segearth_engine.models.r2.config import R2Config
    from segearth_engine.weights.safetensors_reader import SafetensorsFile

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelFilesError(f"model folder {model_dir} does not exist")
    cfg = R2Config.from_file(model_dir / "config.json")
    model = build_model(cfg, "meta")
    files = weight_files(model_dir)
    check_layout(checkpoint_layout(files), expected_layout(model), family="SegEarth-R2", unused=())
    targets = load_targets(model, parts)
    modules = dict(model.named_modules())
    dtype = dtype or torch.float32
    for path in files:
        reader = SafetensorsFile(path)
        for stored in reader.keys():
            name = to_ours(stored)
            if name not in targets:
                continue
            place_tensor(modules, name, reader.read(stored), dtype)
            del targets[name]
    check_all_loaded(targets)
    _restore_computed_buffers(model)
    return model.eval()
