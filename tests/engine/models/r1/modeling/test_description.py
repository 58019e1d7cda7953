"""The description projection against upstream's golden outputs, which upstream computed from ALL refer rows.

Our module takes only the pooled row: matching upstream's output shows that the other rows cannot change the query
(upstream's perceiver returns latent 0, and latent 0 never attends to the other latents).
"""

from __future__ import annotations

import pytest
import torch

from segearth_engine.models.r1.checkpoint import DESCRIPTION_MODULES
from segearth_engine.models.r1.config import DescriptionConfig, SegEarthConfig
from segearth_engine.models.r1.modeling.description import DescriptionProjection
from tests.engine.models.r1.modeling.upstream import load_fixture, max_diff, release_shapes

TOL = 1e-4


@pytest.fixture(scope="module")
def upstream():
    return load_fixture("description")


def _loaded(upstream) -> DescriptionProjection:
    sizes = upstream.meta["sizes"]
    heads, dim_head = 2, 16
    expected = f"dim {sizes['additional_dim']}, depth 1, dim_head {dim_head}, heads {heads}, ff_mult 1"
    assert sizes["d_projector"] == expected
    cfg = DescriptionConfig(additional_dim=sizes["additional_dim"], heads=heads, dim_head=dim_head, depth=1, ff_mult=1)
    model = DescriptionProjection(sizes["llm_hidden"], sizes["res5_channels"], sizes["query_dim"], cfg).eval()
    model.load_state_dict(upstream.weights, strict=True)
    return model


def _run(model, pooled, res5):
    """The query, plus the two halves it is projected from (upstream's seg_a and seg_b)."""
    with torch.no_grad():
        query = model(pooled, res5)
        seg_a = model.origin_SEG_token_projector(pooled[:, None])
        media = model.local_project(res5.flatten(2).transpose(1, 2))
        seg_b = model.d_layers(model.text_projector(pooled[:, None]), media)
    return query, seg_a, seg_b


def test_matches_upstream_from_the_pooled_row_alone(upstream):
    rows, res5 = upstream.inputs["refer_rows"], upstream.inputs["res5"]
    assert rows.shape[0] > 2, "the fixture has several refer rows (question tokens + [SEG])"
    query, seg_a, seg_b = _run(_loaded(upstream), rows.mean(0, keepdim=True), res5)
    diffs = {name: max_diff(got, upstream.outputs[name])
             for name, got in (("query", query), ("seg_a", seg_a), ("seg_b", seg_b))}
    assert max(diffs.values()) <= TOL, diffs
    assert upstream.outputs["query"].abs().max() > 1, "the fixture's query should be far from zero"


@pytest.mark.parametrize("pool", ["first_row", "last_row", "mean_without_seg"])
def test_another_pooling_gives_another_query(upstream, pool):
    """What is pooled matters: the fixture tells the mean of all refer rows from near alternatives."""
    rows, res5 = upstream.inputs["refer_rows"], upstream.inputs["res5"]
    pooled = {"first_row": rows[:1], "last_row": rows[-1:], "mean_without_seg": rows[:-1].mean(0, keepdim=True)}[pool]
    query, _, _ = _run(_loaded(upstream), pooled, res5)
    assert max_diff(query, upstream.outputs["query"]) > 100 * TOL


def test_release_names_and_shapes():
    cfg = SegEarthConfig()
    with torch.device("meta"):
        model = DescriptionProjection(cfg.llm.hidden_size, cfg.swin.channels[3], cfg.mask_decoder.hidden_dim,
                                      cfg.description)
        query = model(torch.empty(1, cfg.llm.hidden_size), torch.empty(1, cfg.swin.channels[3], 32, 32))
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    release = {k: v for k, v in release_shapes("").items() if k.split(".", 1)[0] in DESCRIPTION_MODULES}
    assert shapes == release
    assert query.shape == (1, 1, 256)


def test_batch_of_two_equals_two_singles(upstream):
    model = _loaded(upstream)
    torch.manual_seed(0)
    pooled = torch.randn(2, upstream.inputs["refer_rows"].shape[1])
    res5 = torch.randn(2, *upstream.inputs["res5"].shape[1:])
    with torch.no_grad():
        both = model(pooled, res5)
        singles = [model(pooled[i:i + 1], res5[i:i + 1]) for i in range(2)]
    assert max(max_diff(both[i:i + 1], singles[i]) for i in range(2)) <= TOL
