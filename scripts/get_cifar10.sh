#!/bin/sh
# get_cifar10.sh — fetches the CIFAR-10 binary release and unpacks it into
# data/cifar-10-batches-bin/ (git-ignored), checking what it got.
#
#   scripts/get_cifar10.sh                       download from cs.toronto.edu
#   CIFAR10_TARBALL=/path/x.tar.gz scripts/get_cifar10.sh    use a local copy
#
# A downloaded tarball must match the official md5. A local tarball may be a
# re-pack (ours is: see ../shared/README.md), so its listing is checked instead.
# Either way every batch must be exactly 10000 records of 3073 bytes. Running it
# again when the set is already there and whole does nothing.
set -eu

URL="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
MD5="c32a1d4ab5d03f1284b67883e8d87530"
BATCH_BYTES=30730000   # 10000 records x 3073 bytes
DIR="cifar-10-batches-bin"
FILES="data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin"

me=$(basename "$0")
die() { echo "$me: error: $*" >&2; exit 1; }
say() { echo "$me: $*"; }

# A relative CIFAR10_TARBALL means relative to where the user ran us, so resolve
# it before moving to the repository root.
tarball="${CIFAR10_TARBALL:-}"
if [ -n "$tarball" ]; then
    case "$tarball" in
        /*) ;;
        *) here=$(pwd); tarball="${here%/}/$tarball" ;;
    esac
fi
cd "$(dirname "$0")/.." || die "cannot cd to the repository root"

# Prints the name of the first batch in $1 that is missing or has the wrong size.
first_bad_batch() {
    for f in $FILES; do
        if [ ! -f "$1/$f" ] || [ "$(wc -c < "$1/$f" | tr -d ' ')" != "$BATCH_BYTES" ]; then
            echo "$f"
            return 0
        fi
    done
}

if [ -d "data/$DIR" ] && [ -z "$(first_bad_batch "data/$DIR")" ]; then
    say "data/$DIR/ is already there with all six batches of $BATCH_BYTES bytes; nothing to do"
    exit 0
fi

md5_of() {
    if command -v md5sum >/dev/null 2>&1; then
        md5sum "$1" | cut -d ' ' -f 1
    elif command -v md5 >/dev/null 2>&1; then
        md5 -q "$1"
    else
        die "neither md5sum nor md5 is installed; cannot verify $1"
    fi
}

download() {
    part="$1.part"
    say "downloading $URL"
    if command -v curl >/dev/null 2>&1; then
        curl -fL --retry 3 -o "$part" "$URL" || { rm -f "$part"; die "download failed (curl): $URL"; }
    elif command -v wget >/dev/null 2>&1; then
        wget -O "$part" "$URL" || { rm -f "$part"; die "download failed (wget): $URL"; }
    else
        die "neither curl nor wget is installed; install one or set CIFAR10_TARBALL=/path/to/cifar-10-binary.tar.gz"
    fi
    mv "$part" "$1"
}

mkdir -p data
if [ -n "$tarball" ]; then
    [ -f "$tarball" ] || die "CIFAR10_TARBALL=$tarball: no such file"
    listing=$(tar -tzf "$tarball" 2>/dev/null) || die "$tarball: not a readable .tar.gz"
    for f in $FILES; do
        printf '%s\n' "$listing" | grep -qx "$DIR/$f" || die "$tarball: does not contain $DIR/$f"
    done
    say "using local $tarball (structure checked; md5 not checked: local copies may be re-packed)"
else
    tarball="data/cifar-10-binary.tar.gz"
    if [ ! -f "$tarball" ]; then
        download "$tarball"
    fi
    sum=$(md5_of "$tarball")
    [ "$sum" = "$MD5" ] || die "$tarball: md5 $sum is not the official $MD5 (delete it to download again, or set CIFAR10_TARBALL for a re-packed copy)"
    say "$tarball: md5 matches the official release"
fi

# Unpack beside the target and move it in whole, so an interrupted run never
# leaves a half-written data/$DIR/ that looks complete.
tmp=$(mktemp -d "data/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tarball" -C "$tmp" "$DIR" || die "$tarball: unpacking failed"
bad=$(first_bad_batch "$tmp/$DIR")
[ -z "$bad" ] || die "$tarball: $DIR/$bad is missing or not $BATCH_BYTES bytes"
if [ -e "data/$DIR" ]; then
    say "replacing the incomplete data/$DIR/"
    rm -rf "data/$DIR"
fi
mv "$tmp/$DIR" "data/$DIR"
say "unpacked data/$DIR/: six batches of $BATCH_BYTES bytes each"
