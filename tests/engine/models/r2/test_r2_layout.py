"""The R2 architecture against the state-dict table derived from upstream's classes; config; strict loading."""

from __future__ import annotations

import json

import pytest
import torch

from segearth_engine.errors import CheckpointKeyError
from segearth_engine.models.r2.checkpoint import build_model, expected_layout, load_model, to_checkpoint, to_ours
from segearth_engine.models.r2.config import R2Config, is_r2_config, tiny_r2_config
from tests.conftest import FIXTURES


def _table() -> dict[str, tuple[tuple[int, ...], str]]:
    rows = {}
    for line in (FIXTURES / "r2_checkpoint_keys.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        name, shape, dtype, _ = line.split("\t")
        rows[name] = (tuple(int(s) for s in shape.split("x")), dtype)
    return rows


def test_full_size_architecture_matches_the_derived_table():
    table = _table()
    ours = expected_layout(build_model(R2Config(), "meta"))
    assert sorted(set(table) - set(ours)) == [] and sorted(set(ours) - set(table)) == []
    assert {k: v for k, v in ours.items() if v != table[k][0]} == {}
    assert len(table) == 1561


def test_name_mapping_round_trips_and_touches_only_prefixes():
    for name in _table():
        assert to_checkpoint(to_ours(name)) == name
    assert to_ours("model.vision_tower.vision_model.head.probe") == "siglip.head.probe"
    assert to_ours("model.layers.3.self_attn.q_proj.weight") == "llm.model.layers.3.self_attn.q_proj.weight"
    assert to_ours("lm_head.weight") == "llm.lm_head.weight"
    assert to_ours("predictor.mask_embed.layers.0.bias") == "predictor.mask_embed.layers.0.bias"


def test_tiny_checkpoint_has_the_release_names_ranks_and_dtypes(tiny_r2_dir):
    from segearth_engine.weights.checkpoint import checkpoint_layout, weight_files

    table = _table()
    found = checkpoint_layout(weight_files(tiny_r2_dir))
    assert set(found) == set(table)
    for name, (shape, dtype) in found.items():
        assert len(shape) == len(table[name][0]), name
        assert dtype == ("F16" if table[name][1] == "float16" else "I64"), name


def test_config_round_trip_and_dispatch_marker():
    cfg = tiny_r2_config()
    raw = cfg.to_dict()
    assert is_r2_config(raw) and R2Config.from_dict(json.loads(json.dumps(raw))) == cfg
    release = R2Config().to_dict()
    assert "segearth_engine" not in release and R2Config.from_dict(release) == R2Config()
    assert not is_r2_config({"architectures": ["SegEarthR1"], "model_type": "llava_phi"})


def test_loading_is_strict_about_missing_and_extra_tensors(tiny_r2_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(tiny_r2_dir / "model.safetensors"))
    for name in ("config.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((tiny_r2_dir / name).read_bytes())
    missing = dict(tensors)
    del missing["SEG_token_projector.bias"]
    save_file(missing, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointKeyError, match="missing tensors: SEG_token_projector.bias"):
        load_model(tmp_path)
    extra = dict(tensors, **{"predictor.CLASS_proj.layers.0.bias": torch.zeros(32, dtype=torch.float16)})
    save_file(extra, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointKeyError, match="unexpected tensors: predictor.CLASS_proj"):
        load_model(tmp_path)
    wrong = dict(tensors, **{"lm_head.weight": tensors["lm_head.weight"][:100]})
    save_file(wrong, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointKeyError, match="lm_head.weight has shape"):
        load_model(tmp_path)


def test_loaded_weights_equal_the_file(tiny_r2_dir):
    from safetensors.torch import load_file

    model = load_model(tiny_r2_dir)
    tensors = load_file(str(tiny_r2_dir / "model.safetensors"))
    state = model.state_dict()
    for name in ("lm_head.weight", "model.vision_tower.vision_model.encoder.layers.26.mlp.fc2.weight",
                 "model.layers.31.self_attn.dense.bias", "model.vision_tower_mask.layers.2.blocks.17.attn.qkv.weight",
                 "predictor.level_embed.weight", "model.mm_projector.2.weight"):
        assert torch.equal(state[to_ours(name)], tensors[name].float()), name
