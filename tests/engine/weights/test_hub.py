"""The real download path (huggingface_hub snapshot layout, pinned revision, sha256) exercised offline."""

import shutil

import pytest

from segearth_engine.errors import ModelFilesError
from segearth_engine.weights.hub import RELEASED_MODELS, download_model, read_manifest

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch, tiny_model_dir):
    """A Hugging Face cache holding the tiny model as org/tiny at COMMIT, as snapshot_download leaves it."""
    cache = tmp_path / "hub"
    repo = cache / "models--org--tiny"
    snapshot = repo / "snapshots" / COMMIT
    shutil.copytree(tiny_model_dir, snapshot, ignore=shutil.ignore_patterns("onnx"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    return snapshot


def test_offline_snapshot_is_found_and_verified(hub_cache):
    folder = download_model("org/tiny", revision=COMMIT, local_files_only=True)
    assert folder.resolve() == hub_cache.resolve()
    assert read_manifest(folder)["files"]["model.safetensors"]["sha256"]


def test_offline_snapshot_with_corrupt_weights_is_refused(hub_cache):
    with open(hub_cache / "model.safetensors", "r+b") as handle:
        handle.seek(100)
        handle.write(b"\xff\xff\xff\xff")
    with pytest.raises(ModelFilesError, match="sha256"):
        download_model("org/tiny", revision=COMMIT, local_files_only=True)


def test_snapshot_without_any_known_digest_is_refused(hub_cache):
    (hub_cache / "segearth_manifest.json").unlink()
    with pytest.raises(ModelFilesError, match="unverified"):
        download_model("org/tiny", revision=COMMIT, local_files_only=True)


def test_unreachable_hub_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelFilesError, match="could not get earth-insights/SegEarth-R1-EarthReason"):
        download_model("earth-insights/SegEarth-R1-EarthReason")


def test_released_models_are_pinned_and_others_ask_for_a_revision():
    for model in RELEASED_MODELS.values():
        assert model.revision and len(model.revision) >= 7, model.repo_id
    with pytest.raises(ModelFilesError, match="--revision"):
        download_model("someone/unknown-segearth-finetune")
