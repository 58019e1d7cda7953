"""The offline side of the download: a model found in Hugging Face's cache (snapshot layout, pinned revision,
sha256 from the manifest). The online side runs against a real local hub in test_download.py."""

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


def test_a_ref_or_a_commit_prefix_finds_the_snapshot(hub_cache):
    assert download_model("org/tiny", revision="main", local_files_only=True) == hub_cache
    assert download_model("org/tiny", revision=COMMIT[:7], local_files_only=True) == hub_cache
    with pytest.raises(ModelFilesError, match="was not downloaded on this machine"):
        download_model("org/tiny", revision="fedcba9", local_files_only=True)


def test_download_into_the_cache_writes_the_snapshot_layout(local_hub, tmp_path, monkeypatch):
    from segearth_engine.weights.hub_access import HubAccess

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    folder = download_model("org/tiny", local_hub.commit[:8], access=HubAccess(local_hub.url))
    assert folder == tmp_path / "hub" / "models--org--tiny" / "snapshots" / local_hub.commit
    assert (folder.parents[1] / "refs" / local_hub.commit[:8]).read_text() == local_hub.commit
    assert download_model("org/tiny", local_hub.commit[:8], local_files_only=True) == folder


def test_released_models_are_pinned_and_others_ask_for_a_revision():
    for model in RELEASED_MODELS.values():
        assert model.revision and len(model.revision) >= 7, model.repo_id
    with pytest.raises(ModelFilesError, match="--revision"):
        download_model("someone/unknown-segearth-finetune")
