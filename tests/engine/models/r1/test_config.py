"""config.json round trips and refuses widths that no SegEarth-R1 checkpoint can have."""

from dataclasses import replace

import pytest

from segearth_engine.errors import ModelFilesError
from segearth_engine.models.r1.config import ENGINE_CONFIG_KEY, ConfigError, SegEarthConfig, tiny_config


def test_round_trips():
    for cfg in (SegEarthConfig(), tiny_config()):
        assert SegEarthConfig.from_dict(cfg.to_dict()) == cfg
    assert ENGINE_CONFIG_KEY not in SegEarthConfig().to_dict(), "the release's config carries no width block"
    assert ENGINE_CONFIG_KEY in tiny_config().to_dict()


def test_tiny_keeps_the_release_depths():
    tiny, release = tiny_config(), SegEarthConfig()
    assert tiny.swin.depths == release.swin.depths
    assert tiny.llm.num_hidden_layers == release.llm.num_hidden_layers
    assert tiny.pixel_decoder.enc_layers == release.pixel_decoder.enc_layers
    assert tiny.mask_decoder.dec_layers == release.mask_decoder.dec_layers
    assert tiny.description.depth == release.description.depth


@pytest.mark.parametrize("change, message", [
    (lambda c: replace(c, mask_decoder=replace(c.mask_decoder, hidden_dim=64)), "differs from mask decoder"),
    (lambda c: replace(c, pixel_decoder=replace(c.pixel_decoder, conv_dim=48),
                       mask_decoder=replace(c.mask_decoder, hidden_dim=48)), "multiple of 32"),
    (lambda c: replace(c, mask_decoder=replace(c.mask_decoder, nheads=3)), "numbers of heads"),
    (lambda c: replace(c, image_size=1000), "multiple of 32"),
])
def test_impossible_widths_are_refused(change, message):
    raw = change(tiny_config()).to_dict()
    with pytest.raises(ConfigError, match=message) as err:
        SegEarthConfig.from_dict(raw)
    assert isinstance(err.value, ModelFilesError)
