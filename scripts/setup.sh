#!/usr/bin/env bash
# Idempotent set-up on Debian 12: system packages (QGIS and the geo stack that shares its GDAL/GEOS/PROJ),
# then a venv from QGIS's own Python with the ML packages, then the engine in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(qgis python3-qgis xvfb xauth python3-venv python3-pip
  python3-rasterio python3-geopandas python3-shapely python3-fiona python3-pyproj python3-gdal
  qttools5-dev-tools x11-utils xdotool imagemagick)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# QGIS's Python is Debian's /usr/bin/python3: the venv must use it and see its site-packages (qgis, PyQt5, GDAL).
if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
# Debian's pyproj looks for proj.db under sys.prefix: give the venv the system's PROJ data.
if [ ! -e .venv/share/proj ] && [ -f /usr/share/proj/proj.db ]; then
  mkdir -p .venv/share && ln -s /usr/share/proj .venv/share/proj
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
# numpy stays the system's (the one its GDAL, rasterio and scipy were built for: 1.x on Debian 12, 2.x on Debian 13).
system_numpy=$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')
echo "numpy==$system_numpy" > .venv/.segearth-system-constraints.txt
stamp=.venv/.segearth-requirements
want=$(cat requirements.txt constraints.txt engine/pyproject.toml .venv/.segearth-system-constraints.txt | sha256sum \
  | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "${PIP[@]}" install -q -c constraints.txt -c .venv/.segearth-system-constraints.txt -r requirements.txt
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    # onnxruntime and onnxruntime-gpu install the same module: keep exactly one.
    "${PIP[@]}" uninstall -q -y onnxruntime || true
    "${PIP[@]}" install -q -c constraints.txt -c .venv/.segearth-system-constraints.txt "onnxruntime-gpu[cuda,cudnn]"
  fi
  "${PIP[@]}" install -q --no-deps -e engine
  echo "$want" > "$stamp"
fi
SYSTEM_NUMPY=$system_numpy .venv/bin/python - <<'PY'
import os, numpy, torch, transformers, onnxruntime, rasterio, osgeo.gdal as gdal
assert numpy.__version__ == os.environ["SYSTEM_NUMPY"], \
    f"numpy {numpy.__version__}: QGIS's GDAL was built for the system's numpy {os.environ['SYSTEM_NUMPY']}"
assert rasterio.__gdal_version__ == gdal.__version__, "rasterio must use QGIS's GDAL (Debian python3-rasterio)"
print(f"setup: ok (numpy {numpy.__version__}, torch {torch.__version__}, transformers {transformers.__version__}, "
      f"onnxruntime {onnxruntime.__version__} {onnxruntime.get_available_providers()}, GDAL {gdal.__version__})")
PY
