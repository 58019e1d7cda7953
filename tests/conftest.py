"""Shared fixtures: tiny random models in the official layout, built once per session with a fixed seed."""

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
DATA = TESTS / "data"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from segearth_engine.tiny_models.r1 import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_onnx_segmenter(tiny_model_dir):
    from segearth_engine.models.r1.segmenter import Segmenter

    return Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", llm_precision="fp32")


@pytest.fixture(scope="session")
def tiny_torch_segmenter(tiny_model_dir):
    from segearth_engine.models.r1.segmenter import Segmenter

    return Segmenter.from_pretrained(tiny_model_dir, backend="torch", device="cpu")


#: the repo id the local hub serves the tiny model under in the download tests
TINY_REPO = "org/tiny"


@pytest.fixture(scope="session")
def release_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model's files as a released repo holds them (no manifest, no graphs)."""
    from tests.local_hub import release_copy

    return release_copy(tiny_model_dir, tmp_path_factory.mktemp("release") / "tiny")


@pytest.fixture()
def local_hub(release_dir):
    """A model hub on 127.0.0.1 serving the tiny model as TINY_REPO (tests/local_hub.py); `.commit` is its commit."""
    from tests.local_hub import LocalHub

    with LocalHub() as hub:
        hub.commit = hub.add_repo(TINY_REPO, release_dir)
        yield hub
