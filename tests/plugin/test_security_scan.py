"""`make package`'s security scan (scripts/security_scan.py): the real zip passes; an unexplained bandit finding, a bare
or reasonless `# nosec`, a secret or a hidden/shell file each fail it. The scan runs the real bandit and
detect-secrets on the real zip."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import security_scan  # noqa: E402

sys.path.remove(str(REPO / "scripts"))

SHELL_CALL = ("import subprocess{import_marker}\n\n\ndef run(name):\n"
              "    return subprocess.call('ls ' + name, shell=True){marker}\n")
EXPLAINED = "  # nosec B602 # the name comes from our own constant list"
KEY = "AKIA" + "Q3EGRIQ7" + "HJPLMNAB"  # an AWS access key id pattern, built so that this file holds none


@pytest.fixture(scope="module")
def real_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package") / "segearth_qgis.zip"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "package_plugin.py"), "--no-translations", str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr  # package_plugin runs the same scan: the real zip passes it
    assert "security scan" not in done.stderr
    return out


def _with(source: Path, dest: Path, files: dict[str, tuple[str, int]]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item, old.read(item.filename))
        for name, (text, mode) in files.items():
            info = zipfile.ZipInfo(f"segearth_qgis/{name}")
            info.external_attr = mode << 16
            new.writestr(info, text)
    return dest


def test_real_zip_passes_and_each_unexplained_finding_fails(real_zip, tmp_path):
    bare = "".join(SHELL_CALL.format(import_marker="  # nosec B404 # a test of the scan itself", marker=m)
                   for m in ("  # nosec", "  # nosec B602", "  # nosec # because"))
    explained = SHELL_CALL.format(import_marker="  # nosec B404 # a test of the scan itself", marker=EXPLAINED)
    bad = _with(real_zip, tmp_path / "bad.zip", {
        "tool.py": (SHELL_CALL.format(import_marker="", marker=""), 0o644),
        "bare.py": (bare, 0o644),
        "explained.py": (explained, 0o644),
        "keys.py": (f'AWS_KEY = "{KEY}"\n', 0o644),
        ".env": ("X=1\n", 0o644),
        "setup.sh": ("echo hi\n", 0o755),
    })
    findings = security_scan.scan_zip(bad)
    expected = ["segearth_qgis/tool.py:1: bandit B404", "segearth_qgis/tool.py:5: bandit B602",
                "bare.py:5: `# nosec` without a rule id and a reason", "bare.py:10: `# nosec` without",
                "bare.py:15: `# nosec` without", "keys.py:1: detect-secrets: AWS Access Key",
                "segearth_qgis/.env: hidden file", "segearth_qgis/setup.sh: shell script or binary"]
    for text in expected:
        assert any(text in finding for finding in findings), (text, findings)
    assert not any("explained.py" in finding for finding in findings), findings
    assert not any("_vendor" in finding or "segearth_qgis/cancellable" in finding for finding in findings), findings
