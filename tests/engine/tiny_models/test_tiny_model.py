"""Tiny models: official layout, strict reload, and clear errors for every kind of broken model folder."""

import json
import shutil

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from segearth_engine.errors import CheckpointKeyError, ModelFilesError, OutputExistsError
from segearth_engine.models.r1.loading import load_model
from segearth_engine.tiny_models.r1 import is_test_model, make_tiny_model
from segearth_engine.weights.checkpoint import sha256_of
from segearth_engine.weights.hub import check_manifest
from tests.engine.models.r1.test_checkpoint_layout import read_release_table

DTYPES = {"BF16": "bfloat16", "I64": "int64"}


def test_tiny_model_has_release_names_ranks_and_dtypes(tiny_model_dir):
    release = read_release_table()
    with safe_open(str(tiny_model_dir / "model.safetensors"), "pt") as handle:
        got = {k: (len(handle.get_slice(k).get_shape()), DTYPES[handle.get_slice(k).get_dtype()])
               for k in handle.keys()}
    assert set(got) == set(release)
    assert {k: v for k, v in got.items() if (len(release[k][0]), release[k][1]) != v} == {}
    assert is_test_model(tiny_model_dir)


def test_reload_is_strict_and_exact(tiny_model_dir):
    model = load_model(tiny_model_dir)
    stored = load_file(str(tiny_model_dir / "model.safetensors"))
    # spot checks through the name mapping: vision, description, predictor and a split Phi attention
    torch.testing.assert_close(model.vision_tower.patch_embed.proj.weight, stored[
        "model.vision_tower.patch_embed.proj.weight"].float(), rtol=0, atol=0)
    torch.testing.assert_close(model.description.d_layers.norm.weight, stored["d_layers.norm.weight"].float(),
                               rtol=0, atol=0)
    fused = stored["model.layers.1.self_attn.query_key_value.weight"].float()
    heads, hidden = model.cfg.llm.num_attention_heads, model.cfg.llm.hidden_size
    k_rows = fused.view(heads, 3, hidden // heads, hidden)[:, 1].reshape(hidden, hidden)
    torch.testing.assert_close(model.llm.layers[1].self_attn.k_proj.weight, k_rows, rtol=0, atol=0)
    assert not any(t.is_meta for t in model.state_dict().values())


def test_same_seed_gives_the_same_files(tmp_path, tiny_model_dir):
    again = make_tiny_model(tmp_path / "again", seed=0)
    assert sha256_of(again / "model.safetensors") == sha256_of(tiny_model_dir / "model.safetensors")
    other = make_tiny_model(tmp_path / "other", seed=1)
    assert sha256_of(other / "model.safetensors") != sha256_of(tiny_model_dir / "model.safetensors")


def test_existing_model_is_not_overwritten(tiny_model_dir):
    with pytest.raises(OutputExistsError):
        make_tiny_model(tiny_model_dir, seed=3)


def _copy(tiny_model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target, ignore=shutil.ignore_patterns("onnx"))
    (target / "segearth_manifest.json").unlink()
    return target


def test_renamed_key_is_named(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["predictor.decoder_norm.gamma"] = tensors.pop("predictor.decoder_norm.weight")
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointKeyError) as err:
        load_model(folder)
    assert "predictor.decoder_norm.weight" in str(err.value) and "predictor.decoder_norm.gamma" in str(err.value)


def test_wrong_shape_is_named(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["local_project.bias"] = tensors["local_project.bias"][:-1].clone()
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(CheckpointKeyError, match="local_project.bias has shape"):
        load_model(folder)


def test_truncated_weights_are_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFilesError, match="safetensors"):
        load_model(folder)


def test_manifest_catches_a_replaced_file(tiny_model_dir, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(tiny_model_dir, folder, ignore=shutil.ignore_patterns("onnx"))
    with open(folder / "model.safetensors", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelFilesError, match="download the model again"):
        check_manifest(folder)


def test_missing_files_and_pickles(tiny_model_dir, tmp_path):
    with pytest.raises(ModelFilesError, match="does not exist"):
        load_model(tmp_path / "nowhere")
    folder = _copy(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(ModelFilesError, match="pickled weights are never loaded"):
        load_model(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelFilesError):
        load_model(folder)


def test_wrong_projector_type_is_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    raw = json.loads((folder / "config.json").read_text())
    raw["mm_projector_type"] = "swin_conv"
    (folder / "config.json").write_text(json.dumps(raw))
    with pytest.raises(ModelFilesError, match="SparseConv_1"):
        load_model(folder)


def test_cli_writes_the_same_model_and_verifies_it(tiny_model_dir, tmp_path, capsys):
    from segearth_engine.cli import main

    assert main(["make-tiny-model", str(tmp_path / "cli"), "--seed", "0"]) == 0
    assert "RANDOM" in capsys.readouterr().out
    assert sha256_of(tmp_path / "cli" / "model.safetensors") == sha256_of(tiny_model_dir / "model.safetensors")
    assert main(["make-tiny-model", str(tmp_path / "cli"), "--seed", "1"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "cli")]) == 0
    assert "layout matches SegEarth-R1" in capsys.readouterr().out


def test_cli_verify_names_a_renamed_key(tiny_model_dir, tmp_path, capsys):
    from segearth_engine.cli import EXIT_MODEL, main

    folder = _copy(tiny_model_dir, tmp_path)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["pixel_decoder.transformer.level_embeds"] = tensors.pop("pixel_decoder.transformer.level_embed")
    save_file(tensors, str(folder / "model.safetensors"))
    assert main(["verify", str(folder)]) == EXIT_MODEL
    err = capsys.readouterr().err
    assert "missing tensors: pixel_decoder.transformer.level_embed" in err
    assert "unexpected tensors: pixel_decoder.transformer.level_embeds" in err
