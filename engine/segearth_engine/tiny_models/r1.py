"""Tiny, randomly initialised SegEarth-R1 models for tests and CI.

Same architecture, tensor names, ranks, dtypes (bf16 floats, int64 Swin index buffers) and file layout as the
released checkpoint, only narrower. Their masks mean nothing: they exist to exercise loading, export and plumbing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import OutputExistsError
from segearth_engine.models.r1.config import SegEarthConfig, tiny_config

if TYPE_CHECKING:
    import torch

README = """# Tiny SegEarth-R1 test model (random weights)

Written by `segearth make-tiny-model` with seed {seed}. It has the layout of the released SegEarth-R1 checkpoint
(tensor names, ranks, bf16 dtype, tokenizer files) at small widths, and RANDOM weights: its masks are meaningless.
It exists to test loading, ONNX export and the pipeline. Never use it to segment anything.
"""


def make_tiny_model(out_dir: str | Path, seed: int = 0, cfg: SegEarthConfig | None = None,
                    overwrite: bool = False) -> Path:
    import torch

    from segearth_engine.models.r1.checkpoint import to_checkpoint_state
    from segearth_engine.models.r1.loading import build_model
    from segearth_engine.tiny_models.tokenizer import build_tokenizer_files
    from segearth_engine.weights.checkpoint import sha256_of
    from segearth_engine.weights.hub import write_manifest

    out = Path(out_dir)
    if (out / "model.safetensors").exists() and not overwrite:
        raise OutputExistsError(f"{out} already holds a model; pass --overwrite to replace it")
    out.mkdir(parents=True, exist_ok=True)
    cfg = cfg or tiny_config()
    torch.manual_seed(seed)
    model = build_model(cfg, "cpu")
    generator = torch.Generator().manual_seed(seed)
    redraw_parameters(model, generator)
    state = to_checkpoint_state(model.state_dict(), cfg.llm.num_attention_heads)
    state["lm_head.weight"] = torch.randn(cfg.llm.vocab_size, cfg.llm.hidden_size, generator=generator) * 0.02
    save_weights(state, out / "model.safetensors", torch.bfloat16)
    (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2), encoding="utf-8")
    generation = {"bos_token_id": 1, "eos_token_id": 2}  # nosec B105 # token ids of the tokenizer, not passwords
    (out / "generation_config.json").write_text(json.dumps(generation), encoding="utf-8")
    (out / "README.md").write_text(README.format(seed=seed), encoding="utf-8")
    build_tokenizer_files(out)
    write_manifest(out, f"tiny-random-seed{seed}", "local",
                   {"model.safetensors": sha256_of(out / "model.safetensors")})
    return out


def redraw_parameters(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draw every parameter from `generator` so that none keeps a constant init (zeros, ones): a wrong name
    mapping must show. Norm weights stay near 1, other tensors are scaled by their fan-in (at most 0.2)."""
    import torch

    norms = (torch.nn.LayerNorm, torch.nn.GroupNorm)
    with torch.no_grad():
        for module in model.modules():
            for name, param in module.named_parameters(recurse=False):
                noise = torch.randn(param.shape, generator=generator)
                if isinstance(module, norms) and name == "weight":
                    param.copy_(1 + 0.1 * noise)
                else:
                    param.copy_(noise * min(0.2, param.shape[-1] ** -0.5))


def save_weights(state: Mapping[str, torch.Tensor], path: Path, dtype: torch.dtype) -> None:
    """Write a checkpoint-named state dict as one safetensors file, floats in the release's `dtype`.

    Written beside and renamed into place: a process that has the old file's embedding table mapped keeps reading
    the old file, where truncating it in place would crash that process (SIGBUS).
    """
    from safetensors.torch import save_file

    tensors = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(tensors, str(tmp), metadata={"format": "pt"})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def is_test_model(model_dir: str | Path) -> bool:
    """True for models written by make_tiny_model (their config carries explicit small widths)."""
    from segearth_engine.models.families import is_test_config, read_folder_config

    return is_test_config(read_folder_config(model_dir))
