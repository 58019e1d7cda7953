"""Model folders checked before anything heavy: config ranges, tokenizer files, manifest paths, the weights digest."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from segearth_engine.errors import ModelFilesError
from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.models.r1.onnx_export import weights_fingerprint
from segearth_engine.models.r1.prompt import load_tokenizer
from segearth_engine.weights.hub import MANIFEST_NAME, check_manifest


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder, ignore=shutil.ignore_patterns("onnx"))
    return folder


def _edit_config(folder, change) -> None:
    path = folder / "config.json"
    raw = json.loads(path.read_text())
    path.write_text(json.dumps(change(raw)))


def _set(key, value):
    return lambda raw: {**raw, key: value}


@pytest.mark.parametrize("change,message", [
    (_set("num_attention_heads", 0), r"num_attention_heads must be an integer from 1 to 256, not 0"),
    (_set("hidden_size", 10**9), r"hidden_size must be an integer from 1 to 16384, not 1000000000"),
    (_set("num_hidden_layers", 10**6), r"num_hidden_layers must be an integer from 1 to 256, not 1000000"),
    (_set("hidden_size", "64"), r"hidden_size must be an integer from 1 to 16384, not the text '64'"),
    (_set("layer_norm_eps", -1), r"layer_norm_eps must be a number from 1e-12 to 0.1, not -1"),
    (lambda raw: [raw], r"must hold a JSON object \(\{...\}\), not a list"),
    (lambda raw: {**raw, "segearth_engine": {**raw["segearth_engine"], "image_size": "big"}},
     r"image_size must be an integer from 1 to 4096, not the text 'big'"),
    (lambda raw: {**raw, "segearth_engine": {**raw["segearth_engine"], "swin": {"depths": [2, 2, 0, 2]}}},
     r"swin.depths\[2\] must be an integer from 1 to 64, not 0"),
    (lambda raw: {**raw, "segearth_engine": {**raw["segearth_engine"], "mask_decoder": [1]}},
     r"segearth_engine.mask_decoder must be a JSON object"),
])
def test_config_values_are_range_checked_naming_the_key(model_copy, change, message):
    _edit_config(model_copy, change)
    with pytest.raises(ModelFilesError, match=message):
        SegEarthConfig.from_file(model_copy / "config.json")


def test_r2_config_values_are_range_checked(tmp_path):
    from segearth_engine.models.r2.config import R2Config, tiny_r2_config

    raw = tiny_r2_config().to_dict()
    raw["vision_config"]["vision_tower"]["num_attention_heads"] = 0
    with pytest.raises(ModelFilesError, match=r"siglip.num_attention_heads must be an integer from 1 to 256, not 0"):
        R2Config.from_dict(raw)
    raw = tiny_r2_config().to_dict()
    raw["vision_config"] = ["not", "an", "object"]
    with pytest.raises(ModelFilesError, match="vision_config must be a JSON object"):
        R2Config.from_dict(raw)


def test_garbage_vocab_is_a_model_files_error(model_copy):
    (model_copy / "vocab.json").write_bytes(b"\x00garbage{[")
    (model_copy / "tokenizer.json").unlink(missing_ok=True)
    with pytest.raises(ModelFilesError, match="tokenizer files"):
        load_tokenizer(model_copy)


@pytest.mark.parametrize("name", ["../outside.bin", "/etc/hostname", "sub/../../x", ""])
def test_manifest_paths_outside_the_folder_are_refused(model_copy, name):
    path = model_copy / MANIFEST_NAME
    manifest = json.loads(path.read_text())
    manifest["files"][name] = {"sha256": "0" * 64, "size": 1}
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelFilesError, match="outside the model folder|not a file name"):
        check_manifest(model_copy, full=True)


def test_manifest_link_leaving_the_folder_is_refused(model_copy, tmp_path):
    (tmp_path / "secret.bin").write_bytes(b"x")
    (model_copy / "link.bin").symlink_to(tmp_path / "secret.bin")
    path = model_copy / MANIFEST_NAME
    manifest = json.loads(path.read_text())
    manifest["files"]["link.bin"] = {"sha256": "0" * 64, "size": 1}
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelFilesError, match="resolves outside"):
        check_manifest(model_copy)


def test_fingerprint_comes_from_the_bytes_and_is_cached(model_copy, monkeypatch):
    """A same-size weight file from another model (mtime copied too) must change the fingerprint, though the
    manifest still lists the old digest; an unchanged file is not hashed twice."""
    from segearth_engine.models.r1.onnx_export import GRAPH_FORMAT, check_graph_metadata
    from segearth_engine.weights import checkpoint, digest_cache
    from segearth_engine.weights.digest_cache import weights_stamp

    weights = model_copy / "model.safetensors"
    before = weights_fingerprint(model_copy)
    # what an export of these weights records in its graphs
    exported = {"segearth.graph": "vision_encoder", "segearth.graph_format": GRAPH_FORMAT,
                "segearth.weights_stamp": json.dumps(weights_stamp(model_copy)), "segearth.weights_sha256": before}
    check_graph_metadata(exported, model_copy, "vision_encoder")
    calls = []
    monkeypatch.setattr(digest_cache, "sha256_of", lambda p: calls.append(p) or checkpoint.sha256_of(p))
    assert weights_fingerprint(model_copy) == before and calls == []
    stat = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-8:] = bytes(8 - i for i in range(8))  # other weights, same size
    other = model_copy / "other.tmp"
    other.write_bytes(bytes(data))
    os.replace(other, weights)
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `cp -p` would leave it
    assert weights.stat().st_size == stat.st_size
    after = weights_fingerprint(model_copy)
    assert after != before and len(calls) == 1
    assert after == checkpoint.sha256_of(weights)
    with pytest.raises(ModelFilesError, match="other weights"):  # the old graphs never run with the new weights
        check_graph_metadata(exported, model_copy, "vision_encoder")
