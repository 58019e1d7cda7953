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
stamp=.venv/.segearth-requirements
want=$(cat requirements.txt constraints.txt engine/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "${PIP[@]}" install -q -c constraints.txt -r requirements.txt
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    # onnxruntime and onnxruntime-gpu install the same module: keep exactly one.
    "${PIP[@]}" uninstall -q -y onnxruntime || true
    "${PIP[@]}" install -q -c constraints.txt "onnxruntime-gpu[cuda,cudnn]"
  fi
  "${PIP[@]}" install -q --no-deps -e engine
  echo "$want" > "$stamp"
fi
.venv/bin/python - <<'PY'
import numpy, torch, transformers, onnxruntime, rasterio, osgeo.gdal as gdal
assert numpy.__version__.split(".")[0] == "1", f"numpy {numpy.__version__}: QGIS's GDAL needs numpy 1.x"
assert rasterio.__gdal_version__ == gdal.__version__, "rasterio must use QGIS's GDAL (Debian python3-rasterio)"
print(f"setup: ok (numpy {numpy.__version__}, torch {torch.__version__}, transformers {transformers.__version__}, "
      f"onnxruntime {onnxruntime.__version__} {onnxruntime.get_available_providers()}, GDAL {gdal.__version__})")
PY
