#!/usr/bin/env python3
"""Assemble the installable plugin: segearth_qgis/ + metadata.txt + LICENSE + resources/ + i18n/*.qm + the engine
(pure Python, vendored as segearth_qgis/_vendor/segearth_engine with its Apache-2.0 LICENSE), as a folder and a zip,
check the zip against the official plugin repository's rules and write plugins.xml for a custom repository.

Usage: package_plugin.py [ZIP_PATH] [--out dist] [--no-zip] [--no-translations] [--base-url URL]
(ZIP_PATH, e.g. dist/segearth_qgis.zip, names the zip; the folder and plugins.xml are written next to it.)
"""

from __future__ import annotations

import argparse
import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_zip_checks import check_zip  # noqa: E402
from plugins_xml import write_plugins_xml  # noqa: E402
from security_scan import scan_zip  # noqa: E402

PLUGIN = "segearth_qgis"
REQUIRED_KEYS = ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository")
SKIP = ("__pycache__", ".pyc", ".pyo", ".ts", ".pro")


def metadata_version() -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep qgisMinimumVersion's case
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    missing = [key for key in REQUIRED_KEYS if not general.get(key)]
    if missing:
        raise SystemExit(f"metadata.txt lacks {', '.join(missing)}")
    return general["version"]


def compile_translations() -> None:
    script = ROOT / "scripts" / "compile_translations.sh"
    subprocess.run(["bash", str(script)], check=True)


def assemble(out_dir: Path) -> Path:
    """Build out_dir/segearth_qgis in the layout QGIS expects (metadata.txt inside the plugin folder)."""
    target = out_dir / PLUGIN
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / PLUGIN, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    shutil.copy2(ROOT / "metadata.txt", target / "metadata.txt")
    for license_name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        if (ROOT / license_name).is_file():
            shutil.copy2(ROOT / license_name, target / license_name)
    shutil.copytree(ROOT / "resources", target / "resources", ignore=shutil.ignore_patterns("*.pro", "*.qrc"))
    vendor = target / "_vendor"
    shutil.copytree(ROOT / "engine" / "segearth_engine", vendor / "segearth_engine",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    shutil.copy2(ROOT / "engine" / "LICENSE", vendor / "segearth_engine" / "LICENSE")
    (target / "i18n").mkdir()
    for qm in sorted((ROOT / "i18n").glob("*.qm")):
        shutil.copy2(qm, target / "i18n" / qm.name)
    return target


def make_zip(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(part in SKIP or path.name.endswith(SKIP) for part in path.parts):
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip_path", nargs="?", type=Path, help="zip to write (default: OUT/segearth_qgis-VERSION.zip)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--no-zip", action="store_true", help="only assemble the folder")
    parser.add_argument("--no-translations", action="store_true", help="do not run lrelease first")
    parser.add_argument("--base-url", help="where the zip will be served, for plugins.xml (default: its file:// URL)")
    args = parser.parse_args(argv)
    version = metadata_version()
    if args.zip_path is not None:
        args.out = args.zip_path.parent
    if not args.no_translations:
        compile_translations()
    args.out.mkdir(parents=True, exist_ok=True)
    folder = assemble(args.out)
    print(folder)
    if not args.no_zip:
        zip_path = make_zip(folder, args.zip_path or args.out / f"{PLUGIN}-{version}.zip")
        print(zip_path)
        problems = check_zip(zip_path)
        if problems:
            print("package: the zip breaks the plugin repository's rules:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        findings = scan_zip(zip_path)
        if findings:
            print("package: the plugin repository's security scan would flag (explain each where it stands, "
                  "`# nosec BXXX # why`, or fix it):\n  " + "\n  ".join(findings), file=sys.stderr)
            return 1
        print(write_plugins_xml(ROOT / "metadata.txt", zip_path, zip_path.parent / "plugins.xml", args.base_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
