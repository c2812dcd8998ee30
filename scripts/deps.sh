#!/bin/sh
# Installs lintrain's build and test dependencies from Debian's archive (python3-numpy:
# test_features' reference), plus any
# package named as an argument (make fuzz and make memcheck name theirs).
# A no-op when every package is already installed.
set -eu
PKGS="make gcc pkg-config libopenblas-dev libcjson-dev libcmocka-dev libpng-dev python3 python3-numpy parallel python3-optuna gnuplot-nox $*"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "deps: missing packages:$missing; run as root: apt-get install$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Try without refreshing the index first; a fresh machine's index may be empty or stale.
$SUDO apt-get install -y -q $missing || { $SUDO apt-get update -q && $SUDO apt-get install -y -q $missing; }
