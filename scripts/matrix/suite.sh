#!/usr/bin/env bash
# One QGIS of `make test-matrix`, run on that system (inside its chroot, or on this machine for its own QGIS):
#   1. (with --make-venv) .venv from that system's /usr/bin/python3 with its site-packages (QGIS, PyQt, numpy, GDAL,
#      Debian's geo stack) and the ML packages from PyPI, pinned by scripts/matrix/constraints.py;
#   2. the zip-only user path (scripts/test_install.sh: fresh HOME and profile, Install, restart, a question);
#   3. the engine and plugin suites (the desktop smoke test with its screenshot among them) on that venv.
# Writes OUT/system.json, OUT/install/, OUT/suite/ (artefacts), OUT/junit.xml and logs. Exit 0 when all passed.
# Usage: suite.sh [--make-venv] OUT     (from anywhere; works on the checkout it lies in)
set -uo pipefail
cd "$(dirname "$0")/../.."
make_venv=0; [ "${1:-}" = "--make-venv" ] && { make_venv=1; shift; }
out="$(mkdir -p "$1" && cd "$1" && pwd)"
rm -rf "$out"/{install,suite,junit.xml,*.log}

venv_setup() {  # the same venv layout as scripts/setup.sh, on this system's Python and numpy
    [ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv || return 1
    if [ ! -e .venv/share/proj ] && [ -f /usr/share/proj/proj.db ]; then
        mkdir -p .venv/share && ln -s /usr/share/proj .venv/share/proj
    fi
    /usr/bin/python3 scripts/matrix/constraints.py .venv/matrix-constraints.txt >/dev/null || return 1
    local stamp=.venv/.segearth-matrix want pip=(.venv/bin/python -m pip)
    want=$(cat requirements.txt .venv/matrix-constraints.txt engine/pyproject.toml "$0" | sha256sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
    local pins=(-c .venv/matrix-constraints.txt -r requirements.txt)
    if [ -n "${SEGEARTH_MATRIX_WHEELS:-}" ]; then  # pip's HTTP cache keeps nothing the index sends without cache
        "${pip[@]}" download -q -d "$SEGEARTH_MATRIX_WHEELS" "${pins[@]}" || return 1  # headers; a folder of wheels does
        "${pip[@]}" install -q --no-index --find-links "$SEGEARTH_MATRIX_WHEELS" "${pins[@]}" || return 1
    else
        "${pip[@]}" install -q "${pins[@]}" || return 1
    fi
    "${pip[@]}" install -q --no-deps -e engine || return 1
    # the desktop smoke test puts this venv on QGIS's path: what the plugin's installer keeps out of QGIS goes here too
    # (PyPI's Linux torch pulls in triton, whose LLVM segfaults QGIS)
    local never; never=$(/usr/bin/python3 -c 'from segearth_qgis.packages.private_site import NEVER_IN_QGIS; print(*NEVER_IN_QGIS)')
    "${pip[@]}" uninstall -q -y $never && echo "$want" > "$stamp"
}

if [ "$make_venv" = 1 ]; then
    echo "matrix: venv from $(/usr/bin/python3 -V)${SEGEARTH_MATRIX_WHEELS:+, wheels kept in $SEGEARTH_MATRIX_WHEELS}"
    venv_setup >"$out/venv.log" 2>&1 || { tail -30 "$out/venv.log"; exit 2; }
fi
# QGIS, Python, numpy and GDAL of this system, as QGIS's own Python sees them
/usr/bin/python3 - "$out/system.json" <<'PY'
import json, sys
import numpy
from osgeo import gdal
from qgis.core import Qgis
json.dump({"qgis": Qgis.QGIS_VERSION.split("-")[0], "python": sys.version.split()[0], "numpy": numpy.__version__,
           "gdal": gdal.__version__}, open(sys.argv[1], "w"))
PY
# a machine shared with other work can be several times slower than the defaults expect (the question, the desktop
# smoke test: SEGEARTH_MATRIX_TIMEOUT seconds; a test: 600 more); the run is not a benchmark
slow="${SEGEARTH_MATRIX_TIMEOUT:-1200}"
rc=0
echo "matrix: the zip-only user path (scripts/test_install.sh)"
SEGEARTH_ARTIFACTS="$out/install" SEGEARTH_QUESTION_TIMEOUT="$slow" bash scripts/test_install.sh >"$out/install.log" 2>&1 \
    || rc=1
echo "matrix: engine and plugin suites (log: $out/pytest.log)"
SEGEARTH_ARTIFACTS="$out/suite" SEGEARTH_SMOKE_TIMEOUT="$slow" PYTHONPATH="$PWD/engine:$PWD" \
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -rfE -p no:cacheprovider --timeout="$((slow + 600))" \
    --junitxml="$out/junit.xml" tests >"$out/pytest.log" 2>&1 || rc=1
tail -3 "$out/pytest.log"
exit $rc
