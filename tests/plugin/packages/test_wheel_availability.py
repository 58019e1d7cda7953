"""Before anything downloads, the installer asks the index whether each binary package has a wheel for this Python.

The index is real: a PEP 503 simple index served over HTTP on 127.0.0.1, listing wheel file names (the files
themselves are never fetched, so their content does not matter). Python 3.14 is asked for where torch has wheels only
up to 3.13, as on the day a new Python ships."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest
from packaging.tags import platform_tags

from segearth_qgis.packages.install_preflight import with_checks
from segearth_qgis.packages.pip_plan import build_plan
from segearth_qgis.packages.python_layout import PythonLayout
from segearth_qgis.packages.torch_choice import TORCH, TorchChoice
from segearth_qgis.packages.wheel_availability import index_lister, indexes_for, missing_wheels
from segearth_qgis.packages.windows_paths import FolderChoice

PLATFORM = next(iter(platform_tags()))  # this machine's most specific platform tag, e.g. manylinux_2_36_x86_64
FILES = {
    "torch": [f"torch-2.13.0-cp{v}-cp{v}-{PLATFORM}.whl" for v in (310, 311, 312, 313)]
    + [f"torch-2.15.0-cp314-cp314-{PLATFORM}.whl", "torch-2.13.0-cp314-cp314-win_amd64.whl"],
    "onnxruntime": [f"onnxruntime-1.32.0-cp{v}-cp{v}-{PLATFORM}.whl" for v in (311, 312, 313, 314)],
    "tokenizers": [f"tokenizers-0.23.3-cp39-abi3-{PLATFORM}.whl", "tokenizers-0.23.3.tar.gz"],
    "safetensors": [f"safetensors-0.8.0-cp38-abi3-{PLATFORM}.whl"],
}
WANTED = (TORCH, "onnxruntime", "tokenizers", "safetensors", "onnx>=1.16", "transformers>=5.0,<6")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """http://127.0.0.1:PORT/simple/ with one page per project (onnx absent: the index has no such project)."""
    root = tmp_path_factory.mktemp("index")
    for name, files in FILES.items():
        page = root / "simple" / name
        page.mkdir(parents=True)
        links = "".join(f'<a href="../../files/{f}#sha256=00">{f}</a><br>' for f in files)
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def test_new_python_names_the_missing_wheels(index):
    missing = missing_wheels(WANTED, index_lister([index]), index, (3, 14))
    assert [m.requirement for m in missing] == [TORCH, "onnx>=1.16"]  # torch 2.15 for 3.14 is outside <2.14
    torch = missing[0]
    assert torch.python == "3.14" and torch.pythons_seen == ("3.10", "3.11", "3.12", "3.13")
    text = torch.message("linux x86_64")
    assert text.startswith("No torch wheel for Python 3.14 on linux x86_64 at http://127.0.0.1:")
    assert "3.10, 3.11, 3.12, 3.13" in text
    assert missing[1].pythons_seen == ()  # onnx: the index has no such project (404)


def test_supported_python_finds_every_wheel(index):
    """Each Python the stand-in index has every wheel for (3.11-3.13; not the running one: on QGIS 3.44's Python 3.14
    this index is the case of a missing wheel, tested below)."""
    for python in ((3, 11), (3, 12), (3, 13)):
        assert missing_wheels(WANTED[:4], index_lister([index]), index, python) == [], python


def test_unreachable_index_is_not_a_verdict(index):
    dead = index_lister(["http://127.0.0.1:9/simple"])  # the discard port: nothing listens
    assert missing_wheels(WANTED, dead, "x", (3, 14)) == []
    both = index_lister(["http://127.0.0.1:9/simple", index])  # pip would use the one that answers
    assert [m.requirement for m in missing_wheels(WANTED, both, "x", (3, 14))] == [TORCH, "onnx>=1.16"]


def test_indexes_are_those_pip_will_use():
    assert indexes_for(("--index-url", "https://d/cpu", "--extra-index-url", "https://pypi.org/simple"), {}) == \
        ["https://d/cpu", "https://pypi.org/simple"]
    assert indexes_for((), {}) == ["https://pypi.org/simple"]
    assert indexes_for((), {"PIP_INDEX_URL": "https://m/simple", "PIP_EXTRA_INDEX_URL": "https://x https://y"}) == \
        ["https://m/simple", "https://x", "https://y"]


def test_dialog_says_so_before_anything_downloads(qgis_app, index, tmp_path):
    from segearth_qgis.packages.installer_dialog import InstallerDialog

    layout = PythonLayout("linux", "x86_64", (3, 14), Path(sys.executable), Path(sys.exec_prefix))
    choice = TorchChoice("cpu", (TORCH, "onnxruntime"), reason="test")
    plan = build_plan(sys.executable, tmp_path / "deps", choice, tmp_path / "c.txt")
    plan = with_checks(plan, layout, FolderChoice(tmp_path / "deps"), tmp_path / "deps", None, None,
                       lister=index_lister([index]))
    assert "No torch wheel for Python 3.14" in plan.blockers[0]  # and onnx: this index has none at all
    dialog = InstallerDialog(lambda wheelhouse: plan)
    assert "No torch wheel for Python 3.14" in dialog.summary.text()
    assert not dialog.install.isEnabled() and dialog.state == "ready" and dialog.process is None
    assert not (tmp_path / "deps.staging").exists()


def test_windows_choice_reaches_the_plan(tmp_path):
    layout = PythonLayout("win32", "AMD64", (3, 12), Path("C:/QGIS/bin/qgis-bin.exe"), Path("C:/QGIS/apps/Python312"))
    plan = build_plan(sys.executable, tmp_path / "short", TorchChoice("cpu", (TORCH,)), tmp_path / "c.txt")
    choice = FolderChoice(tmp_path / "short", tmp_path / "tmp", "packages go to a shorter folder")
    plan = with_checks(plan, layout, choice, tmp_path / "usual", None, None, lister=lambda name: None)
    assert plan.env["TEMP"] == plan.env["TMP"] == str(tmp_path / "tmp")
    assert plan.notes == ("packages go to a shorter folder",) and plan.usual_target == tmp_path / "usual"
