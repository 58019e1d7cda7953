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
