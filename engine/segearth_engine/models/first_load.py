"""What a model's first load writes beside it, computed from its config and its checkpoint's size, so that a
download can check the disk for both before it starts (weights/hub.py: download_model's `first_load`).

The first load exports the image side to ONNX in fp32, derives fp16 variants of those graphs on a CUDA GPU, and,
for SegEarth-R1 on the CPU, stores the language model prepared in bf16 (llm_bf16.safetensors). The language model's
parameters follow from the config (Phi: embedding, then per layer q/k/v/dense, fc1/fc2 and a LayerNorm, each with
biases; a final LayerNorm); the image side is the rest of the bf16 checkpoint, less the unused lm_head. So:
graphs = 2 x image-side checkpoint bytes + the constants the export adds (GRAPH_CONSTANTS), fp16 graphs = 1 x +
the constants, prepared LLM = 2 bytes per LLM parameter. No torch is needed (a QGIS whose packages are not
installed yet can download).

Measured on the full-size SegEarth-R1 architecture (random weights in the release layout, this engine's first load
on the CPU): checkpoint 3,181,087,448 bytes; vision_encoder.onnx 703,730,681 + mask_decoder.onnx 97,864,253 =
801,594,934 bytes of graphs, of which 695,978,336 are the parameters in fp32 and 105.6 MB constants (Swin's
shifted-window masks at 1024 px, the pixel decoder's sampling grids); llm_bf16.safetensors 2,623,062,136 bytes
(2 x 1,311,512,576 parameters + its header). The tiny test model's graphs hold 53.8 MB of constants.
"""

from __future__ import annotations

import json
from pathlib import Path

from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.models.r2.config import R2Config, is_r2_config

GRAPHS = "ONNX graphs"
FP16_GRAPHS = "their fp16 variants (CUDA GPU only)"
PREPARED_LLM = "the prepared language model"
#: bytes of constants the ONNX export writes into the graphs beyond the parameters (measured: 105.6 MB at full size)
GRAPH_CONSTANTS = 110_000_000


def llm_parameters(llm) -> int:
    """Parameters of a Phi language model (llm: the config's LLMConfig), lm_head not included."""
    h, i = llm.hidden_size, llm.intermediate_size
    per_layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * h
    return llm.vocab_size * h + llm.num_hidden_layers * per_layer + 2 * h


def first_load_parts(model_dir: str | Path, checkpoint_bytes: int) -> list[tuple[str, int]]:
    """(what, bytes) for each file the first load of `model_dir` writes beside it, from its config.json and the
    size of its bf16 checkpoint (which may still be on its way: the download passes the hub's figure)."""
    return parts_for_config(json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8")),
                            checkpoint_bytes)


def released_first_load(repo_id: str) -> list[tuple[str, int]]:
    """first_load_parts of a released model before anything is downloaded (the release's full-size config)."""
    from segearth_engine.weights.hub import RELEASED_MODELS

    return parts_for_config(SegEarthConfig().to_dict(), RELEASED_MODELS[repo_id].download_bytes)


def parts_for_config(raw: dict, checkpoint_bytes: int) -> list[tuple[str, int]]:
    r2 = is_r2_config(raw)
    llm = (R2Config if r2 else SegEarthConfig).from_dict(raw).llm
    lm_head = llm.vocab_size * llm.hidden_size
    image_side = max(0, checkpoint_bytes - 2 * (llm_parameters(llm) + lm_head))
    parts = [(GRAPHS, 2 * image_side + GRAPH_CONSTANTS), (FP16_GRAPHS, image_side + GRAPH_CONSTANTS)]
    return parts if r2 else parts + [(PREPARED_LLM, 2 * llm_parameters(llm))]


def download_model(repo_id: str, revision: str | None = None, dest: str | Path | None = None,
                   local_files_only: bool = False, **options) -> Path:
    """weights.hub.download_model with room checked for the first load as well (the front's download)."""
    from segearth_engine.weights.hub import download_model as download

    return download(repo_id, revision, Path(dest) if dest is not None else None, local_files_only,
                    first_load=first_load_parts, **options)


def resolve_model_dir(model: str | Path, revision: str | None = None) -> Path:
    """A local folder as it is; a repo id downloaded (weights.hub.resolve_model_dir) with room for the first load."""
    from segearth_engine.weights.hub import resolve_model_dir as resolve

    return resolve(model, revision, first_load=first_load_parts)
