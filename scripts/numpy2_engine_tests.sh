#!/usr/bin/env bash
# The engine's test suite (tests/engine, no QGIS) on numpy 2, in a throwaway venv of this machine's Python 3.11 with
# PyPI's numpy 2, rasterio, shapely 2, pyproj and fiona wheels (scripts/numpy2_requirements.txt). The engine is
# installed from engine/ with its declared dependencies, so a `numpy<2` there fails here. Extra pytest arguments pass on.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SEGEARTH_NUMPY2_VENV:-artifacts/numpy2-venv}
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
stamp="$VENV/.segearth-requirements"
want=$(cat scripts/numpy2_requirements.txt engine/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "${PIP[@]}" install -q -r scripts/numpy2_requirements.txt -e "engine[torch]"
  echo "$want" > "$stamp"
fi
"$VENV/bin/python" -c 'import numpy, shapely, rasterio, affine; assert numpy.__version__[0] == "2", numpy.__version__;
print(f"numpy {numpy.__version__}, shapely {shapely.__version__}, rasterio {rasterio.__version__} (GDAL \
{rasterio.__gdal_version__}), affine {affine.__version__}")'
# a (Pending)DeprecationWarning raised from the engine's own code (affine 3's `*`, numpy 2's deprecations) is an error
# (ini filters match the module as a prefix regex; -W would need the exact module name)
filters=$'filterwarnings=ignore::DeprecationWarning\nerror::DeprecationWarning:segearth_engine\nerror::PendingDeprecationWarning:segearth_engine'
PYTHONPATH="$PWD/engine:$PWD" "$VENV/bin/python" -m pytest -q -p no:cacheprovider -o addopts="" -o "$filters" \
  tests/engine "$@"
