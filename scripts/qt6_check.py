"""Qt5-only forms in our Python code, which QGIS 4 (Qt6, PyQt6) cannot run. `make test` runs it (tests/plugin/
test_qt6_forms.py); by hand: `QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/qt6_check.py [PATH ...]`.

Two checkers:
- flake8-qgis (PyPI, maintained by OSGeo Finland), its import and Qt6 rules: PyQt imported directly instead of
  through qgis.PyQt (QGS103/104), `exec_()` (QGS107), `qApp`, `QVariant.X` types, renamed enums, QFontMetrics.width,
  activated[str], QRegExp, QDesktopWidget, compiled resources, addAction, QDateTime forms (QGS401-412).
- ours, for what a name list cannot know: every `Class.Member` whose Member is an enum value of the real PyQt5/QGIS
  class (PyQt6 and QGIS 4 only have `Class.Enum.Member`), checked by introspecting the classes, not a list; and imports
  of PyQt5 modules that PyQt6 does not have (QtWebKit, QtXmlPatterns, QtScript, the platform extras, ...).
A line that must keep a Qt5 form (for QGIS < 3.38 only, say) carries `# noqa: QGSxxx` or `# qt5-only: why`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess  # nosec B404 # runs flake8 with this Python; a development tool, not shipped
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("segearth_qgis", "scripts", "tests/plugin")
#: the stand-in qgis.PyQt of the PyQt6 test venv is the binding itself
EXCLUDE = ("shim",)
#: flake8-qgis rules about imports and Qt6 (QGS105 iface-as-argument, QGS108-110 processing strings and QGS201/202
#: unchecked return values are style, not Qt6)
FLAKE8_SELECT = "QGS101,QGS102,QGS103,QGS104,QGS106,QGS107,QGS111,QGS4"
#: PyQt5 modules with no PyQt6 counterpart
QT5_ONLY_MODULES = ("QtWebKit", "QtWebKitWidgets", "QtXmlPatterns", "QtScript", "QtScriptTools", "QtX11Extras",
                    "QtWinExtras", "QtMacExtras", "QtAndroidExtras", "QtGamepad", "QtPurchasing", "Enginio")
BINDINGS = ("qgis.PyQt", "qtpy", "PyQt5", "PyQt6")
NAMESPACES = ("qgis.PyQt.QtCore", "qgis.PyQt.QtGui", "qgis.PyQt.QtWidgets", "qgis.PyQt.QtNetwork", "qgis.core",
              "qgis.gui")
EXEMPT = re.compile(r"#\s*qt5-only:\s*\S")


def flake8_findings(paths: list[Path]) -> list[str]:
    if importlib.util.find_spec("flake8_qgis") is None:
        raise RuntimeError("flake8-qgis is not installed (`make setup` installs requirements.txt)")
    done = subprocess.run(  # nosec B603 # argv list, no shell: flake8 of this Python on our own files
        [sys.executable, "-m", "flake8", "--isolated", f"--select={FLAKE8_SELECT}",
         f"--extend-exclude={','.join(EXCLUDE)}", *map(str, paths)],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"flake8 failed: {done.stderr[-600:]}")
    return [line for line in done.stdout.splitlines() if line.strip()]


def _namespaces() -> list:
    found = []
    for name in NAMESPACES:
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


def short_enum_findings(path: Path, source: str, namespaces: list) -> list[str]:
    """`Class.Member` where Member is an enum value of the real class (a scoped `Class.Enum.Member` passes)."""
    lines, findings = source.splitlines(), []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        owner = next((getattr(ns, node.value.id) for ns in namespaces if hasattr(ns, node.value.id)), None)
        value = getattr(owner, node.attr, None) if isinstance(owner, type) else None
        enum_value = isinstance(value, int) and type(value) not in (int, bool, owner)
        if enum_value and not EXEMPT.search(lines[node.lineno - 1]):
            scoped = f"{node.value.id}.{type(value).__name__}.{node.attr}"
            findings.append(f"{path}:{node.lineno}:{node.col_offset + 1}: QT601 short enum form "
                            f"{node.value.id}.{node.attr} is Qt5-only: write {scoped}")
    return findings


def module_findings(path: Path, source: str) -> list[str]:
    """Imports of PyQt5 modules that PyQt6 (QGIS 4) does not have, through any binding."""
    findings = []
    for node in ast.walk(ast.parse(source)):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if any(name.startswith(b) for b in BINDINGS) and any(part in QT5_ONLY_MODULES for part in parts):
                findings.append(f"{path}:{node.lineno}:{node.col_offset + 1}: QT602 {name} does not exist in "
                                "PyQt6 (QGIS 4)")
    return findings


def python_files(paths: list[Path]) -> list[Path]:
    files = (f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py")))
    return sorted(f for f in files if "__pycache__" not in f.parts and not set(EXCLUDE) & set(f.parts))


def check(paths: list[Path]) -> list[str]:
    """Every Qt5-only form found in `paths` (files or folders), one line each; empty when all run on Qt6."""
    namespaces = _namespaces()
    findings = flake8_findings(paths)
    for path in python_files(paths):
        source = path.read_text(encoding="utf-8")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        findings += short_enum_findings(shown, source, namespaces) + module_findings(shown, source)
    return findings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a).resolve() for a in args] or [ROOT / p for p in PATHS]
    findings = check(paths)
    print("\n".join(findings) if findings else f"qt6 check: no Qt5-only form in {', '.join(map(str, args or PATHS))}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
