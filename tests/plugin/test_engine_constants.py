"""What the plugin must know before the engine is importable is the engine's own: family names, the family rule, the
tiny-test-model key, tasks and modes. Everything else the plugin imports from segearth_engine.api when it runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segearth_qgis.model import model_manager
from segearth_qgis.running import request


def test_family_names_and_test_key_are_the_engines(engine_available):
    from segearth_engine import api

    assert (model_manager.R1, model_manager.R2) == (api.R1, api.R2)
    assert model_manager.TEST_MODEL_KEY == api.ENGINE_CONFIG_KEY


def test_tasks_and_modes_are_the_engines(engine_available):
    from segearth_engine import api

    assert request.TASKS == api.TASKS and request.MODES == api.MODES


@pytest.mark.parametrize("config", [
    {}, {"architectures": ["SegEarthR2"]}, {"model_type": "mipha_phi"}, {"architectures": None},
    {"architectures": ["LlavaPhiForCausalLM"], "model_type": "llava_phi"}, {"architectures": ["SegEarthR1"]},
])
def test_fallback_family_rule_is_the_engines(engine_available, config):
    from segearth_engine import api

    assert model_manager.is_r2_config(config) == api.is_r2_config(config)


def test_fallback_family_rule_on_real_tiny_configs(engine_available, tiny_model, tiny_r2_model):
    from segearth_engine import api

    for folder, family in ((tiny_model, api.R1), (tiny_r2_model, api.R2)):
        raw = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
        assert model_manager.is_r2_config(raw) == (family == api.R2) == api.is_r2_config(raw)
        assert model_manager.TEST_MODEL_KEY in raw and api.is_test_config(raw)


def test_result_layer_base_fields_are_attributes_the_engine_writes(engine_available):
    """layers.BASE_FIELDS types an empty result layer's fields; each is an attribute of the engine's polygons."""
    from segearth_engine import api
    from segearth_qgis.results.layers import BASE_FIELDS
    from tests.conftest import DATA
    from tests.engine.geo.rasters import BrightnessSegmenter

    with api.RasterioSource(DATA / "rgbn.tif") as source:
        result = api.segment_raster(source, BrightnessSegmenter(), api.SegmentationRequest("bright?"))
    assert result.features
    for _, attrs in result.features:
        assert set(BASE_FIELDS) <= set(attrs)
        assert all(isinstance(attrs[k], type(v)) for k, v in BASE_FIELDS.items())
