"""The security scan plugins.qgis.org runs on every upload (since QGIS 4), run on our zip before release.

The plugin repository (qgis/QGIS-Plugins-Website, plugins/security_scanner.py) unpacks the zip and runs bandit
(`bandit -r DIR -f json`) and detect-secrets (`detect-secrets scan --all-files --exclude-files metadata\\.txt`), and
flags executable .py files, hidden files and shell/binary files. We run the same tools (pinned in requirements.txt),
at every bandit severity (the site defaults to medium and up), and fail on any finding that is not explained where it
stands: a `# nosec BXXX # reason` (bandit; the second `#` keeps bandit from reading the reason as rule ids) or
`# pragma: allowlist secret - reason` (detect-secrets) comment naming the rule and saying why. A bare `# nosec`, one
without a rule id or one without a reason is itself a finding.

Usage: python scripts/security_scan.py dist/segearth_qgis.zip   (exit status 1 with the findings on stderr)
"""

from __future__ import annotations

import json
import re
import subprocess  # nosec B404 # runs bandit and detect-secrets, pinned tools of this repository
import sys
import tempfile
import zipfile
from pathlib import Path

#: a justified bandit marker: `# nosec B603, B607 # reason` (or a dash or colon before the reason)
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
JUSTIFIED_NOSEC = re.compile(r"^\s+(B\d{3})(\s*,\s*B\d{3})*\s*[#:–—-]\s*\S.{7,}")
ALLOWLIST = re.compile(r"pragma:\s*allowlist[ -]secret(?P<rest>.*)$")
JUSTIFIED_ALLOWLIST = re.compile(r"^\s*[-–—:]\s*\S.{7,}")
SUSPICIOUS_SUFFIXES = (".exe", ".dll", ".so", ".dylib", ".bat", ".sh", ".ps1", ".cmd")


def _tool(module: str, *args: str, cwd: Path) -> dict:
    done = subprocess.run(  # nosec B603 # argv list, no shell: this Python running a pinned tool
        [sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"{module} gave no report (is it installed? `make setup`): {done.stderr[-600:]}") from exc


def bandit_findings(folder: Path) -> list[str]:
    """bandit at every severity and confidence; `# nosec BXXX` markers are honoured (checked for a reason below)."""
    report = _tool("bandit", "-r", ".", "-f", "json", "--quiet", cwd=folder)
    findings = [f"{item['filename'].removeprefix('./')}:{item['line_number']}: bandit {item['test_id']} "
                f"({item['issue_severity'].lower()}): {item['issue_text']}" for item in report.get("results", [])]
    findings += [f"bandit could not read {item['filename']}: {item['reason']}" for item in report.get("errors", [])]
    return findings


def secret_findings(folder: Path) -> list[str]:
    """detect-secrets with every plugin, as the plugin repository runs it (metadata.txt excluded there too)."""
    report = _tool("detect_secrets", "scan", "--all-files", "--exclude-files", r"metadata\.txt", ".", cwd=folder)
    return [f"{name}:{secret['line_number']}: detect-secrets: {secret['type']}"
            for name, secrets in report.get("results", {}).items() for secret in secrets]


def marker_findings(folder: Path) -> list[str]:
    """Every suppression in the zip names its rule and gives a reason; the reviewers read them."""
    findings = []
    for path in sorted(folder.rglob("*.py")):
        name = path.relative_to(folder).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            nosec = NOSEC.search(line)
            if nosec and not JUSTIFIED_NOSEC.match(nosec["rest"]):
                findings.append(f"{name}:{number}: `# nosec` without a rule id and a reason (`# nosec B603 # why`)")
            allow = ALLOWLIST.search(line)
            if allow and not JUSTIFIED_ALLOWLIST.match(allow["rest"]):
                findings.append(f"{name}:{number}: `pragma: allowlist secret` without a reason (`... - why`)")
    return findings


def file_findings(archive: Path) -> list[str]:
    """The site's file checks: executable .py files, hidden files, shell scripts and binaries."""
    findings = []
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if info.filename.endswith(".py") and (info.external_attr >> 16) & 0o111:
                findings.append(f"{info.filename}: executable Python file")
            if base.startswith(".") and base not in (".gitignore", ".gitattributes"):
                findings.append(f"{info.filename}: hidden file")
            if info.filename.lower().endswith(SUSPICIOUS_SUFFIXES):
                findings.append(f"{info.filename}: shell script or binary")
    return findings


def scan_zip(archive: Path) -> list[str]:
    """All unexplained findings in the plugin zip; empty when it would pass the plugin repository's scan."""
    with tempfile.TemporaryDirectory(prefix="segearth-scan-") as tmp:
        folder = Path(tmp)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(folder)
        return file_findings(archive) + marker_findings(folder) + bandit_findings(folder) + secret_findings(folder)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    findings = scan_zip(Path(args[0]))
    if findings:
        print("security scan: findings not explained where they stand:\n  " + "\n  ".join(findings), file=sys.stderr)
        return 1
    print(f"security scan: {args[0]}: bandit and detect-secrets clean (explained suppressions only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
