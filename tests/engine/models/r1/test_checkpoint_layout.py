"""Our module tree, mapped to checkpoint names, must be exactly the released SegEarth-R1 checkpoint's layout."""

import pytest

from segearth_engine.models.r1.checkpoint import UNUSED_CHECKPOINT_KEYS, expected_layout
from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.models.r1.loading import build_model
from tests.conftest import FIXTURES


def read_release_table():
    table = {}
    for line in (FIXTURES / "checkpoint_keys.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, shape, dtype = line.split("\t")[:3]
        table[name] = (tuple(int(s) for s in shape.split("x")), dtype)
    return table


@pytest.fixture(scope="module")
def release_table():
    table = read_release_table()
    assert len(table) == 935, "the release table lists 935 tensors"
    return table


def test_full_size_model_on_meta_matches_release_names_and_shapes(release_table):
    cfg = SegEarthConfig()
    model = build_model(cfg, "meta")
    ours = expected_layout(model, cfg.llm.num_attention_heads)
    release = {k: v[0] for k, v in release_table.items()}
    assert sorted(set(release) - set(ours)) == sorted(UNUSED_CHECKPOINT_KEYS), "only lm_head is left out, on purpose"
    assert not set(ours) - set(release), f"names not in the release: {sorted(set(ours) - set(release))[:5]}"
    wrong = {k: (ours[k], release[k]) for k in ours if ours[k] != release[k]}
    assert not wrong, f"shapes differ: {dict(list(wrong.items())[:5])}"


def test_full_size_parameter_count_matches_release(release_table):
    import math

    model = build_model(SegEarthConfig(), "meta")
    ours = sum(p.numel() for p in model.parameters())
    lm_head = math.prod(release_table["lm_head.weight"][0])
    assert ours == 1_588_495_416 - lm_head


def test_buffers_are_exactly_the_int64_relative_position_indices(release_table):
    import torch

    model = build_model(SegEarthConfig(), "meta")
    persistent = {k for k in model.state_dict()} - {k for k, _ in model.named_parameters()}
    assert len(persistent) == 24
    assert all(k.endswith("attn.relative_position_index") for k in persistent)
    assert all(model.state_dict()[k].dtype == torch.int64 for k in persistent)
    int_rows = {k for k, v in release_table.items() if v[1] == "int64"}
    assert {"model." + k for k in persistent} == int_rows
