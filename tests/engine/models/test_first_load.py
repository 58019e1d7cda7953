"""The room a first load needs, computed from the config (models/first_load.py), against what first loads wrote."""

from __future__ import annotations

import json

from segearth_engine.models.first_load import FP16_GRAPHS, GRAPHS, PREPARED_LLM, first_load_parts, llm_parameters
from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.weights.hub import RELEASED_MODELS

#: measured on the full-size architecture (random weights in the release layout), this engine's first load on the CPU
FULL_CHECKPOINT = 3_181_087_448
FULL_GRAPHS = 703_730_681 + 97_864_253  # vision_encoder.onnx + mask_decoder.onnx
FULL_PREPARED_LLM = 2_623_062_136  # llm_bf16.safetensors


def full_config_folder(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(SegEarthConfig().to_dict()), encoding="utf-8")
    return tmp_path


def test_llm_parameters_follow_the_config_as_the_model_has_them():
    from segearth_engine.models.r1.config import tiny_config
    from segearth_engine.models.r1.loading import build_model

    for cfg in (SegEarthConfig(), tiny_config()):
        model = build_model(cfg)  # meta device: no memory
        assert llm_parameters(cfg.llm) == sum(p.numel() for n, p in model.named_parameters() if n.startswith("llm."))


def test_full_size_estimate_covers_the_measured_first_load(tmp_path):
    parts = dict(first_load_parts(full_config_folder(tmp_path), FULL_CHECKPOINT))
    assert FULL_GRAPHS <= parts[GRAPHS] < 1.02 * FULL_GRAPHS
    assert abs(parts[PREPARED_LLM] - FULL_PREPARED_LLM) < 1e5  # all but the file's header
    assert parts[FP16_GRAPHS] < parts[GRAPHS]


def test_released_download_size_is_the_full_size_checkpoint():
    for model in RELEASED_MODELS.values():
        assert FULL_CHECKPOINT < model.download_bytes < 1.001 * FULL_CHECKPOINT


def test_tiny_estimate_covers_what_its_first_load_wrote(tiny_onnx_segmenter, tiny_model_dir):
    """The session's tiny model was loaded (graphs exported, LLM prepared in bf16) by the fixture."""
    written = {p.name: p.stat().st_size for p in (tiny_model_dir / "onnx").iterdir() if p.is_file()}
    checkpoint = (tiny_model_dir / "model.safetensors").stat().st_size
    parts = dict(first_load_parts(tiny_model_dir, checkpoint))
    assert written["vision_encoder.onnx"] + written["mask_decoder.onnx"] <= parts[GRAPHS]
    assert abs(written["llm_bf16.safetensors"] - parts[PREPARED_LLM]) < 0.01 * parts[PREPARED_LLM]
