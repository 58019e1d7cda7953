"""A tiny SegEarth-R2 model with the scripted answer (see segearth_engine.tiny_models.r2), built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_r2_dir(tmp_path_factory) -> Path:
    from segearth_engine.tiny_models.r2 import make_tiny_r2_model

    return make_tiny_r2_model(tmp_path_factory.mktemp("r2") / "tiny", seed=0)


@pytest.fixture(scope="session")
def r2_torch(tiny_r2_dir):
    from segearth_engine.models.r2.segmenter import R2Segmenter
    from segearth_engine.tiny_models.r2 import scripted_max_new_tokens

    seg = R2Segmenter.from_pretrained(tiny_r2_dir, backend="torch")
    # the folder's generation_config.json carries the budget that ends the scripted answer after two [SEG]
    assert seg.max_new_tokens == scripted_max_new_tokens(seg.tokenizer)
    return seg


@pytest.fixture(scope="session")
def r2_onnx(tiny_r2_dir):
    from segearth_engine.api import load_segmenter
    from segearth_engine.tiny_models.r2 import scripted_max_new_tokens

    seg = load_segmenter(tiny_r2_dir, backend="onnx", device="cpu")  # the family is read from config.json
    assert seg.max_new_tokens == scripted_max_new_tokens(seg.tokenizer)
    return seg
