"""A plain-text environment report for bug reports: installation trouble is the first support topic."""

from __future__ import annotations

import importlib
import platform

from .interpreter import describe_interpreter

LIBRARIES = ("numpy", "torch", "onnxruntime", "transformers", "shapely", "rasterio", "qtpy", "segearth_engine")


def _version(name: str) -> str:
    """Version of an importable module, or why not (imports are only attempted on demand, never at plugin load)."""
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - a broken install is exactly what the report must show
        return f"not importable ({type(exc).__name__}: {exc})"
    return str(getattr(module, "__version__", "unknown"))


def _gdal() -> str:
    try:
        from osgeo import gdal

        return gdal.__version__
    except ImportError:
        return "osgeo missing"


def _providers() -> tuple[str, str]:
    try:
        import onnxruntime

        return ", ".join(onnxruntime.get_available_providers()), onnxruntime.get_device()
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({exc})", ""


def _gpu() -> str:
    try:
        import torch
    except Exception:  # noqa: BLE001
        return "torch missing"
    if torch.cuda.is_available():
        return f"CUDA {torch.version.cuda}: {torch.cuda.get_device_name(0)}"
    return "no CUDA device visible to torch"


def build_report(device: str = "", model: str = "") -> str:
    """Markdown-ish report: QGIS, Python, libraries, GDAL, ONNX Runtime providers, GPU, loaded model."""
    from qgis.core import Qgis

    from ..common.paths import read_metadata

    lines = [
        "SegEarth diagnostics",
        f"plugin: {read_metadata().get('version', '?')}",
        f"QGIS: {Qgis.QGIS_VERSION}",
        f"Python: {describe_interpreter()}",
        f"platform: {platform.platform()}",
        f"Qt: {_qt_version()}",
        f"GDAL (osgeo): {_gdal()}",
    ]
    lines += [f"{name}: {_version(name)}" for name in LIBRARIES]
    try:
        import rasterio

        lines.append(f"rasterio GDAL: {rasterio.__gdal_version__}")
    except Exception:  # noqa: BLE001 # nosec B110 # rasterio is optional in the report; its absence is listed above
        pass
    providers, ort_device = _providers()
    lines.append(f"ONNX Runtime providers: {providers}")
    if ort_device:
        lines.append(f"ONNX Runtime device: {ort_device}")
    lines.append(f"GPU: {_gpu()}")
    lines.append(f"model: {model or 'not loaded'}")
    lines.append(f"execution device: {device or 'not loaded'}")
    from .dependencies import check_dependencies, private_site_dir

    status = check_dependencies()
    lines.append(f"missing: {', '.join(status.missing) or 'nothing'}")
    lines.append(f"private package folder: {private_site_dir()}")
    return "\n".join(lines)


def _qt_version() -> str:
    from qtpy import API_NAME, QT_VERSION

    return f"{QT_VERSION} ({API_NAME})"


def copy_to_clipboard(text: str) -> None:
    from qtpy.QtWidgets import QApplication

    QApplication.clipboard().setText(text)


def copy_diagnostics(device: str, model_dir: str, message) -> str:
    """The model panel's "Copy diagnostics": the report on the clipboard, said in the message bar; returns it."""
    from ..common.translation import tr

    report = build_report(device, model_dir)
    copy_to_clipboard(report)
    message(tr("Diagnostics copied to the clipboard"), "info")
    return report
