"""The table of `make test-matrix`: one row per QGIS from what scripts/matrix/suite.sh left in its folder.

Usage: python3 table.py OUT_MD DIR...   prints the table and writes it (with the date) to OUT_MD.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PROGRESS = re.compile(r"([.FEsxX]+)(?:\s*\[\s*\d+%\])?")  # a line of pytest -q's progress
COLUMNS = ("QGIS", "Python", "numpy", "GDAL", "torch", "onnxruntime", "install", "answer", "tests passed / failed "
           "/ skipped", "our warnings in QGIS's log")


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def progress(log: Path) -> str:
    """An unfinished run (stopped, killed): what pytest -q's progress lines had shown."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "not run"
    marks = "".join(match.group(1) for match in map(PROGRESS.fullmatch, lines) if match)
    failed = marks.count("F") + marks.count("E")
    return f"not finished: {marks.count('.')} / {failed} / {marks.count('s')} so far"


def test_counts(junit: Path) -> str:
    """passed / failed / skipped from pytest's JUnit XML (errors count as failed)."""
    try:
        suites = ET.parse(junit).getroot().iter("testsuite")
    except (OSError, ET.ParseError):
        return progress(junit.with_name("pytest.log"))
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return f"{total - failed - skipped} / {failed} / {skipped}"


def row(folder: Path) -> list[str]:
    system = read_json(folder / "system.json")
    install = read_json(folder / "install" / "test_install.json")
    seconds, megabytes = install.get("pip_seconds"), install.get("installed_mb")
    installed = f"{round(seconds)} s, {megabytes} MB" if install.get("install_ok") and seconds else "failed"
    answer = f"{install['feature_count']} polygons" if install.get("ok") else f"failed: {install.get('error')}"
    warnings = install.get("our_warnings")  # "ResourceWarning graph_export.py:86", ... (None: no report)
    return [system.get("qgis", "?"), system.get("python", "?"), system.get("numpy", "?"), system.get("gdal", "?"),
            str(install.get("torch") or "?"), str(install.get("onnxruntime") or "?"), installed,
            answer.replace("\n", " ")[:120], test_counts(folder / "junit.xml"),
            "?" if warnings is None else ", ".join(sorted(set(warnings))) or "none"]


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in rows])


def main(out: str, folders: list[str]) -> None:
    table = markdown([row(Path(folder)) for folder in folders])
    today = datetime.date.today().isoformat()
    Path(out).write_text(f"`make test-matrix`, {today}:\n\n{table}\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
