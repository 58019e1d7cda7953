"""The prepared LLM store: bit-identical to a fresh preparation, mapped, and prepared again when stale or corrupt."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from segearth_engine.models.r1 import prepared_llm
from segearth_engine.models.r1.loading import prepare_llm
from segearth_engine.models.r1.prepared_llm import load_llm, load_prepared, prepared_path, save_prepared
from segearth_engine.runtime.llm_precision import supported
from segearth_engine.weights.safetensors_reader import SafetensorsFile

# bf16 loads on any CPU (only its speed needs native support); int8 needs a quantised engine.
PRECISIONS = ["bf16", *(["int8"] if supported("int8") is None else [])]


def _hidden(model, precision: str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    embeds = torch.randn(1, 23, model.cfg.llm.hidden_size, generator=generator).to(dtype)
    with torch.inference_mode():
        return model.llm(inputs_embeds=embeds).last_hidden_state


def _rewrite_metadata(path, changes: dict[str, str], drop: str | None = None) -> None:
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), framework="pt") as handle:
        metadata = {**handle.metadata(), **changes}
        tensors = {k: handle.get_tensor(k) for k in handle.keys() if k != drop}
    save_file(tensors, str(path), metadata=metadata)


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    """A private copy of the tiny model, so that touching its weights affects no other test."""
    return shutil.copytree(tiny_model_dir, tmp_path / "model")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_stored_llm_is_bit_identical_and_mapped(model_copy, tmp_path, precision):
    store = tmp_path / "store"
    fresh = load_llm(model_copy, precision, store=store)  # nothing stored yet: prepared, then stored
    path = prepared_path(store, precision)
    assert path.is_file()
    stored = load_prepared(model_copy, store, precision)
    assert stored is not None
    assert torch.equal(_hidden(fresh, precision), _hidden(stored, precision))
    if precision == "int8":
        q_fresh, q_stored = fresh.llm.layers[0].mlp.fc1.weight(), stored.llm.layers[0].mlp.fc1.weight()
        assert torch.equal(q_fresh.int_repr(), q_stored.int_repr())
        assert torch.equal(q_fresh.q_per_channel_scales(), q_stored.q_per_channel_scales())
    # mapped, not read: the embedding table's storage lies in a mapping of the stored file
    address = stored.llm.embed_tokens.weight.untyped_storage().data_ptr()
    spans = [line.split()[0] for line in open("/proc/self/maps").read().splitlines() if line.endswith(str(path))]
    assert any(int(lo, 16) <= address < int(hi, 16) for lo, hi in (s.split("-") for s in spans))
    assert not any(t.is_meta for t in [*stored.llm.parameters(), *stored.llm.buffers()])
    assert torch.equal(stored.llm.rotary_emb.inv_freq, fresh.llm.rotary_emb.inv_freq)


def test_load_uses_the_store_without_preparing(model_copy, tmp_path, monkeypatch):
    store = tmp_path / "store"
    load_llm(model_copy, "bf16", store=store)
    calls = []
    monkeypatch.setattr(prepared_llm, "save_prepared", lambda *a, **k: calls.append("saved"))
    load_llm(model_copy, "bf16", store=store)
    assert calls == []  # current store: mapped, not prepared again nor written


@pytest.mark.parametrize("change", ["weights", "format", "precision", "torch"])
def test_stale_store_is_prepared_again(model_copy, tmp_path, monkeypatch, change):
    store = tmp_path / "store"
    first = load_llm(model_copy, "bf16", store=store)
    path = prepared_path(store, "bf16")
    if change == "weights":  # other LLM weights, same size: the stamp and the digest both differ
        weights = model_copy / "model.safetensors"
        reader = SafetensorsFile(weights)
        _, _, begin, _ = reader.entries["model.final_layernorm.weight"]
        data = bytearray(weights.read_bytes())
        at = reader._data_start + begin
        data[at:at + 2] = b"\x40\x40" if data[at:at + 2] != b"\x40\x40" else b"\x80\x3f"  # bf16 3.0 (or 1.0)
        (model_copy / "segearth_manifest.json").unlink(missing_ok=True)  # its sha256 would describe the old file
        replacement = model_copy / "new.safetensors"
        replacement.write_bytes(bytes(data))
        replacement.replace(weights)  # replaced, not rewritten in place: `first` maps the old file
    elif change == "format":
        monkeypatch.setattr(prepared_llm, "PREPARED_FORMAT", "0-test")
    elif change == "torch":  # written by another torch (whose quantisation may round otherwise)
        _rewrite_metadata(path, {"segearth.torch_version": "0.0-test"})
    else:  # a bf16 file renamed into the int8 slot says it is bf16
        shutil.copy(path, prepared_path(store, "int8"))
        path = prepared_path(store, "int8")
    precision = "int8" if change == "precision" else "bf16"
    assert load_prepared(model_copy, store, precision) is None
    if change == "precision" and supported("int8") is not None:
        return
    before = path.stat().st_mtime_ns
    again = load_llm(model_copy, precision, store=store)
    assert path.stat().st_mtime_ns != before  # replaced by a fresh preparation
    assert load_prepared(model_copy, store, precision) is not None
    if change == "weights":
        assert not torch.equal(_hidden(first, "bf16"), _hidden(again, "bf16"))
        assert torch.equal(_hidden(again, "bf16"), _hidden(prepare_llm(model_copy, "bf16"), "bf16"))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing tensor"])
def test_corrupt_store_is_prepared_again(model_copy, tmp_path, damage):
    store = tmp_path / "store"
    load_llm(model_copy, "bf16", store=store)
    path = prepared_path(store, "bf16")
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x10" + b"\xff" * 63)
    else:  # a valid file of the right identity that lacks a tensor
        _rewrite_metadata(path, {}, drop="llm.final_layernorm.weight")
    assert load_prepared(model_copy, store, "bf16") is None
    model = load_llm(model_copy, "bf16", store=store)
    assert torch.equal(_hidden(model, "bf16"), _hidden(prepare_llm(model_copy, "bf16"), "bf16"))
    assert load_prepared(model_copy, store, "bf16") is not None  # the damaged file was replaced


def test_unwritable_store_still_loads(model_copy, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store folder would be")
    model = load_llm(model_copy, "bf16", store=blocker / "store")
    assert not any(t.is_meta for t in model.llm.parameters())
    assert "could not be stored" in caplog.text


def test_store_records_identity(model_copy, tmp_path):
    store = tmp_path / "store"
    model = prepare_llm(model_copy, "bf16")
    path = save_prepared(model, model_copy, store, "bf16")
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    assert metadata["segearth.precision"] == "bf16"
    assert metadata["segearth.prepared_format"] == prepared_llm.PREPARED_FORMAT
    assert set(json.loads(metadata["segearth.weights_stamp"])) == {"model.safetensors"}
    assert len(metadata["segearth.weights_sha256"]) == 64


def test_segmenter_stores_beside_its_graphs(model_copy):
    from segearth_engine.models.r1.segmenter import Segmenter

    precision = "int8" if supported("int8") is None else "bf16"
    seg = Segmenter.from_pretrained(model_copy, backend="onnx", device="cpu", llm_precision=precision)
    assert prepared_path(seg._graph_dir, precision).is_file()


@pytest.mark.skipif("int8" not in PRECISIONS, reason="no fast int8 kernels on this CPU/torch")
def test_int8_linears_packed_in_row_blocks_are_bit_identical(model_copy, tmp_path, monkeypatch):
    """Large linears are packed as row blocks at load (runtime/int8_linear.py): same outputs, same stored file."""
    from segearth_engine.runtime import int8_linear

    store = tmp_path / "store"
    fresh = load_llm(model_copy, "int8", store=store)
    whole = load_prepared(model_copy, store, "int8")
    monkeypatch.setattr(int8_linear, "BLOCK_WEIGHTS", 16 * fresh.cfg.llm.hidden_size)  # fc1 etc. in blocks
    blocked = load_prepared(model_copy, store, "int8")
    assert isinstance(blocked.llm.layers[0].mlp.fc1, int8_linear.RowBlocks)
    assert not isinstance(whole.llm.layers[0].mlp.fc1, int8_linear.RowBlocks)
    assert torch.equal(_hidden(blocked, "int8"), _hidden(whole, "int8"))
    assert torch.equal(_hidden(blocked, "int8"), _hidden(fresh, "int8"))
    again = tmp_path / "again"
    save_prepared(blocked, model_copy, again, "int8")
    first, second = SafetensorsFile(prepared_path(store, "int8")), SafetensorsFile(prepared_path(again, "int8"))
    assert first.keys() == second.keys()
    assert all(torch.equal(first.read(key), second.read(key)) for key in first.keys())


def test_cpu_fp32_llm_keeps_bf16_weights_and_gives_the_same_numbers(model_copy, tmp_path):
    """fp32 on the CPU: the prepared bf16 copy, linears widened per call: bit-identical to weights widened at load."""
    from segearth_engine.runtime.widened_linear import WidenedLinear

    widened_at_load = prepare_llm(model_copy, "fp32", "cpu")
    per_call = load_llm(model_copy, "fp32", store=tmp_path / "store")
    assert prepared_path(tmp_path / "store", "bf16").is_file()  # mapped from the bf16 copy next time
    fc1 = per_call.llm.layers[0].mlp.fc1
    assert isinstance(fc1, WidenedLinear) and fc1.weight.dtype == torch.bfloat16 and fc1.bias.dtype == torch.float32
    assert widened_at_load.llm.layers[0].mlp.fc1.weight.dtype == torch.float32
    assert per_call.llm.embed_tokens.weight.dtype == torch.bfloat16  # looked-up rows are widened by the caller
    assert torch.equal(_hidden(per_call, "fp32"), _hidden(widened_at_load, "fp32"))
