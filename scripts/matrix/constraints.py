"""Constraints for a test venv made from another QGIS's Python (make test-matrix): the pins the plugin's installer
derives from what that Python ships (numpy, the geo stack, Qt), plus constraints.txt's pins of everything else.

constraints.txt itself is written for Debian 12 (numpy<2, its rasterio/shapely/pyproj); on a numpy-2 system those
lines would make pip replace the packages the system's GDAL was built with.
Usage: /usr/bin/python3 constraints.py OUT   (run by the system Python, not by a venv)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from segearth_qgis.packages.pip_plan import PROTECTED, constraints_text, normalise  # noqa: E402
from segearth_qgis.packages.private_site import system_distributions  # noqa: E402


def repository_pins(text: str) -> list[str]:
    """constraints.txt's lines for what the system does not decide."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [line for line in lines if normalise(re.split(r"[<>=!~;\[ ]", line)[0]) not in PROTECTED]


def main(out: str) -> None:
    pins = constraints_text(system_distributions()).splitlines()
    pins += repository_pins((ROOT / "constraints.txt").read_text(encoding="utf-8"))
    Path(out).write_text("\n".join(pins) + "\n", encoding="utf-8")
    print("\n".join(pins))


if __name__ == "__main__":
    main(sys.argv[1])
