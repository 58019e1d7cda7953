#!/usr/bin/env python3
"""Download every wheel the plugin's install button needs, for this platform and Python, into one folder.

Copy the folder to an offline machine of the same OS, architecture and QGIS Python version and pick it with
"Use a folder of wheels…" in the installer. Same requirements, constraints and torch choice as the button.
Usage: build_wheelhouse.py [DIR] (default dist/wheelhouse)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from segearth_qgis.packages.installer import make_plan  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    out = Path(args[0] if args else ROOT / "dist" / "wheelhouse").resolve()
    out.mkdir(parents=True, exist_ok=True)
    plan = make_plan(target=out / ".plan" / "deps", proxy_settings={})
    print(f"wheelhouse: torch {plan.torch.build.upper()}: {plan.torch.reason}")
    install = plan.command
    constraints = install[install.index("--constraint") + 1]
    command = [plan.python, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary", ":all:",
               "--dest", str(out), "--constraint", constraints, *plan.torch.index_args, *plan.packages]
    print(" ".join(command))
    done = subprocess.run(command, check=False)  # noqa: S603
    wheels = sorted(out.glob("*.whl"))
    print(f"wheelhouse: {len(wheels)} wheels, {sum(w.stat().st_size for w in wheels) / 1e6:.0f} MB in {out}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
