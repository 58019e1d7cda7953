"""What a model load needs before it runs, for callers that choose where it happens (the QGIS plugin exports the
graphs in a child process it can kill, and imports the heavy modules in its worker thread)."""

from __future__ import annotations

from pathlib import Path

from segearth_engine.models.families import R2, model_family


# The plugin exports a model's missing ONNX graphs in a child process, which a cancel kills at once and
# which holds no lock of QGIS's Python while it runs (an in-process export stalls QGIS's main thread for seconds).
def graphs_to_export(model_dir: str | Path) -> Path | None:
    """The folder into which loading `model_dir` (Segmenter.from_pretrained, backend and device "auto") would first
    export its ONNX graphs, or None when they are there or no graphs are needed (onnxruntime missing: PyTorch runs
    the whole model). Checks the files against the manifest first, as loading does (ModelFilesError). Cheap unless
    the weights must be hashed (an unwritable folder without a manifest)."""
    import importlib.util

    from segearth_engine.models.r1.onnx_export import DECODER_FILE, ENCODER_FILE, default_export_dir, graphs_folder
    from segearth_engine.weights.hub import check_manifest

    if importlib.util.find_spec("onnxruntime") is None:
        return None
    model_dir = Path(model_dir)
    check_manifest(model_dir)
    if model_family(model_dir) == R2:  # R2's graphs live beside the model (or in the unkeyed cache folder)
        folder = default_export_dir(model_dir, "")
        return None if (folder / ENCODER_FILE).is_file() and (folder / DECODER_FILE).is_file() else folder
    folder, missing = graphs_folder(model_dir)
    return folder if missing else None


def export_graphs(model_dir: str | Path, folder: str | Path) -> None:
    """Export `model_dir`'s ONNX graphs (SegEarth-R1 or -R2) into `folder`, replacing what is there."""

    if model_family(model_dir) == R2:
        from segearth_engine.models.r2.onnx_export import export_r2_onnx

        export_r2_onnx(model_dir, folder, overwrite=True)
    else:
        from segearth_engine.models.r1.onnx_export import export_onnx

        export_onnx(model_dir, folder, overwrite=True)


# The plugin imports what a model load needs before loading, in its worker thread with Python's cyclic
# GC paused (a full collection over ~350,000 fresh objects holds the GIL and stalls QGIS's main thread).
RUNTIME_MODULES = ("torch", "onnxruntime", "transformers", "segearth_engine.runtime.llm_precision",
                   "segearth_engine.runtime.onnx_runtime", "segearth_engine.models.r1.prompt",
                   "segearth_engine.models.r1.modeling.segearth_r1")


def import_runtime() -> None:
    """Import the modules that loading and running a model imports lazily (those installed: onnxruntime may be
    missing), so that a caller can choose when and where that happens."""
    import importlib
    import importlib.util

    for name in RUNTIME_MODULES:
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            importlib.import_module(name)
    from transformers import AutoTokenizer, PhiForCausalLM  # noqa: F401 - transformers imports these lazily
