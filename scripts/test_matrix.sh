#!/usr/bin/env bash
# make test-matrix: the QGIS versions our users run, for real. This machine's QGIS (Debian 12, 3.22) and, in Debian
# chroots made by scripts/matrix/chroot.sh, Debian 13 trixie (3.40) and unstable sid (3.44). On each
# (scripts/matrix/suite.sh): the zip-only user install with a question, the engine and plugin suites on that QGIS's own
# Python/numpy/GDAL/PyQt, the desktop smoke test with its screenshot. Prints one row per QGIS and writes
# artifacts/test-matrix.md. Needs root (debootstrap, chroot); long (the chroots, CUDA torch: GBs, the first time).
# Env: SEGEARTH_MATRIX="host trixie sid" (which to run), SEGEARTH_MATRIX_PARALLEL=1 (all at once),
#      SEGEARTH_MATRIX_CACHE (the chroots with their venvs and the wheels downloaded for them, default
#      /var/cache/segearth-matrix, outside the repository), SEGEARTH_MATRIX_TIMEOUT (scripts/matrix/suite.sh).
set -uo pipefail
here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
export SEGEARTH_MATRIX_CACHE="${SEGEARTH_MATRIX_CACHE:-/var/cache/segearth-matrix}"
out="$root/artifacts/matrix"
in_chroot=/work/segearth  # where the checkout is copied inside a chroot
mkdir -p "$out" "$SEGEARTH_MATRIX_CACHE"
free_gb=$(df -Pk "$SEGEARTH_MATRIX_CACHE" | awk 'NR == 2 {print int($4 / 1048576)}')
echo "test-matrix: cache $SEGEARTH_MATRIX_CACHE (${free_gb} GB free there)"

one() {  # one TARGET: its suite (in its chroot), its folder under artifacts/matrix
    local target="$1" system
    if [ "$target" = host ]; then
        bash "$here/matrix/suite.sh" "$out/host"
        return
    fi
    system="$(bash "$here/matrix/chroot.sh" build "$target")" || return 1
    mkdir -p "$system$in_chroot"
    rsync -a --delete --exclude=/.git --exclude=/.venv --exclude=/artifacts --exclude=/dist --exclude=/models \
        --exclude=__pycache__ --exclude=.pytest_cache --exclude=.ruff_cache "$root/" "$system$in_chroot/" || return 1
    local status=0
    bash "$here/matrix/chroot.sh" run "$target" bash "$in_chroot/scripts/matrix/suite.sh" --make-venv \
        "$in_chroot/artifacts/matrix/$target" || status=1
    rsync -a --delete "$system$in_chroot/artifacts/matrix/$target/" "$out/$target/"
    return $status
}

rc=0 folders=() jobs=()
for target in ${SEGEARTH_MATRIX:-host trixie sid}; do
    folders+=("$out/$target")
    if [ "${SEGEARTH_MATRIX_PARALLEL:-0}" = 1 ]; then  # each QGIS at once: more of a shared machine's CPU, noisier times
        mkdir -p "$out/$target"
        one "$target" >"$out/$target.log" 2>&1 &
        jobs+=("$!:$target")
        echo "test-matrix: $target started (log: artifacts/matrix/$target.log)"
    else
        echo "test-matrix: == $target =="
        one "$target" || rc=1
    fi
done
for job in "${jobs[@]}"; do
    wait "${job%%:*}" || rc=1
    echo "test-matrix: == ${job#*:} =="; cat "$out/${job#*:}.log"
done
echo
/usr/bin/python3 "$here/matrix/table.py" "$root/artifacts/test-matrix.md" "${folders[@]}"
echo "test-matrix: table in artifacts/test-matrix.md; logs and screenshots under artifacts/matrix/"
exit $rc
