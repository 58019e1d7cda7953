#!/usr/bin/env bash
# A cached Debian chroot with QGIS for `make test-matrix`, built with debootstrap from Debian's archive.
# Usage: chroot.sh build SUITE        make (or reuse) $SEGEARTH_MATRIX_CACHE/SUITE/root; prints its path
#        chroot.sh run SUITE CMD...   run CMD inside it with /proc, /dev, /sys, /tmp and the folder of wheels mounted
# The chroot is made only when missing; when the package list below changes (a stamp holds its hash), that list is
# installed into it again (delete the folder for a build from scratch).
# Env: SEGEARTH_MATRIX_CACHE (default /var/cache/segearth-matrix), SEGEARTH_MATRIX_MIRROR (default deb.debian.org).
set -euo pipefail
cache="${SEGEARTH_MATRIX_CACHE:-/var/cache/segearth-matrix}"
mirror="${SEGEARTH_MATRIX_MIRROR:-http://deb.debian.org/debian}"
# QGIS and the geo stack that shares its GDAL/GEOS/PROJ (as scripts/setup.sh), Xvfb, and what the scripts call
# (python3-scipy: the engine's; fonts-open-sans: QGIS 3.40+ would try to download it and say it failed)
PACKAGES=(qgis python3-qgis xvfb xauth python3-venv python3-pip python3-rasterio python3-geopandas python3-shapely
  python3-fiona python3-pyproj python3-gdal python3-scipy x11-utils xdotool imagemagick unzip ca-certificates procps
  fonts-open-sans)
# unstable's Release file may have outlived its Valid-Until on the mirror
APT_OPTS=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -q)

die() { echo "matrix chroot: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"

mounted=()
unmount_all() {  # in reverse order, lazily when something still holds a mount
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || true
    done
    mounted=()
}
trap unmount_all EXIT
trap 'exit 130' INT TERM  # through the EXIT trap

bind() {  # bind SRC TARGET (a folder, or an existing file)
    [ -e "$2" ] || mkdir -p "$2"
    mount --bind "$1" "$2"; mounted+=("$2")
}

mount_system() {  # mount_system ROOT
    local root="$1"
    mkdir -p "$root/proc" "$root/sys" "$root/dev"
    mount -t proc proc "$root/proc"; mounted+=("$root/proc")
    mount -t sysfs sys "$root/sys"; mounted+=("$root/sys")
    bind /dev "$root/dev"
    mount -t devpts devpts "$root/dev/pts" -o newinstance,ptmxmode=0666 2>/dev/null && mounted+=("$root/dev/pts") || true
    mkdir -p "$root/dev/shm"; mount -t tmpfs shm "$root/dev/shm"; mounted+=("$root/dev/shm")
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}

stamp_of() { printf '%s\n' "$1" "${PACKAGES[@]}" "$mirror" | sha256sum | cut -d' ' -f1; }

install_packages() {  # install_packages SUITE ROOT: the list, with apt-get inside ROOT
    echo "matrix chroot: apt-get install ${#PACKAGES[@]} packages (QGIS and its geo stack) into $1" >&2
    mount_system "$2"
    chroot "$2" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        bash -c "apt-get ${APT_OPTS[*]} update && apt-get ${APT_OPTS[*]} install -y ${PACKAGES[*]} && apt-get clean" \
        >"$cache/$1/apt.log" 2>&1 || { unmount_all; tail -30 "$cache/$1/apt.log" >&2; die "apt-get in $1 failed"; }
    unmount_all
}

build() {  # a missing chroot is made from scratch; one whose package list changed gets the new list installed
    local suite="$1" root="$cache/$1/root" want; want="$(stamp_of "$suite")"
    mkdir -p "$cache/$suite"
    if [ -f "$cache/$suite/stamp" ] && [ "$(cat "$cache/$suite/stamp")" = "$want" ] && [ -x "$root/usr/bin/qgis" ]; then
        echo "$root"; return
    fi
    if [ -x "$root/usr/bin/qgis" ]; then
        install_packages "$suite" "$root"
    else
        local tmp="$cache/$suite/root.new"
        rm -rf "$tmp"; mkdir -p "$tmp"
        echo "matrix chroot: debootstrap $suite into $tmp" >&2
        debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/$suite/debootstrap.log" 2>&1 \
            || { tail -20 "$cache/$suite/debootstrap.log" >&2; die "debootstrap $suite failed"; }
        echo "deb $mirror $suite main" > "$tmp/etc/apt/sources.list"
        printf 'APT::Install-Recommends "false";\nAcquire::Check-Valid-Until "false";\n' \
            > "$tmp/etc/apt/apt.conf.d/90segearth"
        install_packages "$suite" "$tmp"
        rm -rf "$root"; mv "$tmp" "$root"
    fi
    echo "$want" > "$cache/$suite/stamp"
    echo "$root"
}

run() {  # run SUITE CMD...: the host's /tmp is shared (Xvfb display numbers and their sockets stay unique)
    local suite="$1" root; shift
    root="$(build "$suite")"
    mount_system "$root"
    bind /tmp "$root/tmp"
    # this machine's trust store (it may hold a CA of its own that pip's HTTPS needs)
    bind /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$cache/wheels"; bind "$cache/wheels" "$root/var/cache/segearth-wheels"
    chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
        SEGEARTH_MATRIX_WHEELS=/var/cache/segearth-wheels PIP_DISABLE_PIP_VERSION_CHECK=1 \
        ${SEGEARTH_MATRIX_TIMEOUT:+SEGEARTH_MATRIX_TIMEOUT="$SEGEARTH_MATRIX_TIMEOUT"} "$@"
}

case "${1:-}" in
    build) [ $# -eq 2 ] || die "usage: chroot.sh build SUITE"; build "$2" ;;
    run) [ $# -ge 3 ] || die "usage: chroot.sh run SUITE CMD..."; run "${@:2}" ;;
    *) die "usage: chroot.sh build SUITE | run SUITE CMD..." ;;
esac
