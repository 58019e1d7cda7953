"""Our masked-attention decoder against upstream's golden outputs (final and earlier predictions), and in ONNX."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segearth_engine.models.r1.config import MaskDecoderConfig, SegEarthConfig
from segearth_engine.models.r1.modeling.mask_decoder import MaskedAttentionDecoder, attention_bias
from segearth_engine.models.r1.modeling.position import sine_position_encoding
from tests.engine.models.r1.modeling.upstream import load_fixture, max_diff, release_shapes

TOL = 1e-4


@pytest.fixture(scope="module")
def upstream():
    return load_fixture("mask_decoder")


def _loaded(upstream) -> MaskedAttentionDecoder:
    args = upstream.meta["constructor_args"]
    cfg = MaskDecoderConfig(hidden_dim=args["hidden_dim"], nheads=args["nheads"],
                            dim_feedforward=args["dim_feedforward"], dec_layers=args["dec_layers"],
                            num_queries=args["num_queries"])
    model = MaskedAttentionDecoder(cfg, args["mask_dim"]).eval()
    model.load_state_dict(upstream.weights, strict=True)
    return model


def _inputs(upstream):
    levels = [upstream.inputs[f"multi_scale_{i}"] for i in range(3)]
    return levels, upstream.inputs["mask_features"], upstream.inputs["query"]


def test_matches_upstream_fixture_final_and_earlier_predictions(upstream):
    model = _loaded(upstream)
    with torch.no_grad():
        logits, earlier = model(*_inputs(upstream))
    want_earlier = upstream.outputs["aux_pred_masks"]
    assert len(earlier) == want_earlier.shape[0] == model.num_layers
    diffs = [max_diff(got, want) for got, want in zip(earlier, want_earlier, strict=True)]
    diffs.append(max_diff(logits, upstream.outputs["pred_masks"]))
    assert max(diffs) <= TOL, diffs
    # the fixture exercises the masking: about half of every earlier prediction is background
    fractions = [float((p > 0).float().mean()) for p in earlier]
    assert fractions == pytest.approx(upstream.meta["foreground_fraction_of_each_aux_prediction"], abs=5e-3)


def test_the_attention_masks_matter(upstream):
    """Without masks (every bias zero) the outputs differ clearly: the fixture would catch a masking mistake."""
    model = _loaded(upstream)
    levels, mask_features, query = _inputs(upstream)
    with torch.no_grad():
        unmasked = query
        for i in range(model.num_layers):
            level = levels[i % 3]
            memory = (level.flatten(2) + model.level_embed.weight[i % 3][None, :, None]).transpose(1, 2)
            pos = sine_position_encoding(level.shape[-2], level.shape[-1], level.shape[1]).flatten(2).transpose(1, 2)
            unmasked = model.transformer_cross_attention_layers[i](unmasked, memory + pos, memory, None)
            unmasked = model.transformer_ffn_layers[i](model.transformer_self_attention_layers[i](unmasked))
        logits = model.predict(unmasked, mask_features)
    assert max_diff(logits, upstream.outputs["pred_masks"]) > 100 * TOL


def test_attention_bias_rules():
    logits = torch.tensor([[[[-1.0, 2.0], [3.0, -4.0]]], [[[-1.0, -2.0], [-3.0, -4.0]]]])  # [2, 1, 2, 2]
    bias = attention_bias(logits, (2, 2))
    assert bias.shape == (2, 1, 1, 4)
    assert torch.equal(torch.isinf(bias[0, 0, 0]), torch.tensor([True, False, False, True]))
    assert torch.equal(bias[1], torch.zeros(1, 1, 4)), "a query that would see nothing sees everything"
    # 8x8 -> 2x2 is plain bilinear at half-pixel centres (no antialiasing): output (0, 0) samples source (1.5, 1.5),
    # i.e. the mean of cells 1..2 x 1..2 only; an area average over 0..3 x 0..3 would be negative here
    fine = torch.full((1, 1, 8, 8), -10.0)
    fine[0, 0, 1:3, 1:3] = 1.0
    assert torch.isinf(attention_bias(fine, (2, 2))[0, 0, 0]).tolist() == [False, True, True, True]


def test_unused_tables_do_not_change_the_output(upstream):
    model = _loaded(upstream)
    with torch.no_grad():
        before, _ = model(*_inputs(upstream))
        for table in (model.query_feat, model.query_embed, model.SEG_query_embed, model.new_query_embed):
            table.weight.normal_()
        for mlp in (model.SEG_proj, model.CLASS_proj):
            for layer in mlp.layers:
                layer.weight.normal_()
        after, _ = model(*_inputs(upstream))
    assert torch.equal(before, after)


def test_release_names_and_shapes():
    cfg = SegEarthConfig()
    with torch.device("meta"):
        model = MaskedAttentionDecoder(cfg.mask_decoder, cfg.pixel_decoder.mask_dim)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == release_shapes("predictor.")


def test_batch_of_two_equals_two_singles(upstream):
    model = _loaded(upstream)
    levels, mask_features, query = _inputs(upstream)
    torch.manual_seed(0)
    other = [torch.randn_like(x) for x in (*levels, mask_features, query)]
    pairs = [torch.cat((a, b)) for a, b in zip((*levels, mask_features, query), other, strict=True)]
    with torch.no_grad():
        both, _ = model(pairs[:3], pairs[3], pairs[4])
        first, _ = model(levels, mask_features, query)
        second, _ = model(other[:3], other[3], other[4])
    assert max_diff(both[:1], first) <= TOL and max_diff(both[1:], second) <= TOL


class _Graph(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ms0, ms1, ms2, mask_features, query):
        logits, earlier = self.model([ms0, ms1, ms2], mask_features, query)
        return (logits, *earlier)


@pytest.mark.filterwarnings("ignore")
def test_onnx_masks_follow_the_input_not_the_trace(upstream, tmp_path):
    """Traced with one query, run with others: the data-dependent attention masks must be computed in the graph."""
    ort = pytest.importorskip("onnxruntime")
    model = _loaded(upstream)
    levels, mask_features, query = _inputs(upstream)
    path = tmp_path / "mask_decoder.onnx"
    names = ["ms0", "ms1", "ms2", "mask_features", "query"]
    outputs = ["logits"] + [f"earlier{i}" for i in range(model.num_layers)]
    with torch.no_grad():
        torch.onnx.export(_Graph(model), (*levels, mask_features, query), str(path), opset_version=17, dynamo=False,
                          input_names=names, output_names=outputs)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    torch.manual_seed(1)
    for trial in range(3):
        q = query if trial == 0 else torch.randn_like(query) * 3
        feeds = dict(zip(names, (x.numpy() for x in (*levels, mask_features, q)), strict=True))
        got = session.run(outputs, feeds)
        with torch.no_grad():
            want = _Graph(model)(*levels, mask_features, q)
        for name, g, w in zip(outputs, got, want, strict=True):
            diff = float(np.abs(g - w.numpy()).max())
            assert diff <= TOL, f"trial {trial} {name}: {diff}"
            assert ((g > 0) == (w.numpy() > 0)).all(), f"trial {trial} {name}: masks differ"
