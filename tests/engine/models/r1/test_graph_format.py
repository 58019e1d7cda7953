"""Graphs of an older engine: exported again where the engine manages the folder, refused where the user chose it."""

from __future__ import annotations

import shutil

import onnx
import pytest

from segearth_engine.errors import StaleGraphError
from segearth_engine.models.r1.onnx_export import DECODER_FILE, ENCODER_FILE, GRAPH_FORMAT
from segearth_engine.models.r1.segmenter import Segmenter


def _age(path, fmt: str = "1") -> None:
    """Rewrite a graph's metadata as an engine of format `fmt` wrote it (format 1 had no key)."""
    proto = onnx.load(str(path))
    entries = [(p.key, p.value) for p in proto.metadata_props if p.key != "segearth.graph_format"]
    del proto.metadata_props[:]
    for key, value in entries + ([] if fmt == "1" else [("segearth.graph_format", fmt)]):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))


@pytest.fixture()
def model_copy(tiny_model_dir, tmp_path, tiny_onnx_segmenter):
    """The tiny model with its current graphs (made by the session fixture) in a folder of its own."""
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


def test_managed_graphs_of_an_older_format_are_exported_again(model_copy):
    encoder = model_copy / "onnx" / ENCODER_FILE
    _age(encoder)
    seg = Segmenter.from_pretrained(model_copy, backend="onnx", device="cpu", llm_precision="fp32")
    assert seg.sessions[0].metadata["segearth.graph_format"] == GRAPH_FORMAT
    formats = {p.key: p.value for p in onnx.load(str(encoder), load_external_data=False).metadata_props}
    assert formats["segearth.graph_format"] == GRAPH_FORMAT


def test_graphs_in_a_folder_the_user_named_are_refused_with_what_to_do(model_copy, tmp_path):
    graphs = tmp_path / "mine"
    graphs.mkdir()
    for name in (ENCODER_FILE, DECODER_FILE):
        shutil.copy(model_copy / "onnx" / name, graphs / name)
    _age(graphs / DECODER_FILE, "0")
    before = (graphs / DECODER_FILE).read_bytes()
    with pytest.raises(StaleGraphError, match="export the model again"):
        Segmenter.from_pretrained(model_copy, backend="onnx", device="cpu", export_dir=graphs)
    assert (graphs / DECODER_FILE).read_bytes() == before  # nothing of the user's was replaced
