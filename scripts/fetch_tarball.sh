# fetch_tarball.sh — the part of get_cifar10.sh and get_cifar100.sh that is the same:
# sourced (not run) after the caller has set
#   URL, MD5        the official tarball and its md5
#   DIR             the folder the tarball holds, unpacked to data/$DIR
#   FILES           the files of $DIR that must be there
#   TARBALL_VAR     the name of the variable that may point to a local tarball
# and defined first_bad DIR, which prints the first file of DIR that is missing or
# wrong (nothing when all are right), and whole_text, which says what a whole set is.
# fetch_main then does the work: nothing when data/$DIR is whole; else the local
# tarball (its listing checked: a re-pack has another md5) or a download (md5
# checked), unpacked beside data/$DIR and moved in whole.

me=$(basename "$0")
die() { echo "$me: error: $*" >&2; exit 1; }
say() { echo "$me: $*"; }

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
        die "neither curl nor wget is installed; install one or set $TARBALL_VAR=/path/to/$(basename "$URL")"
    fi
    mv "$part" "$1"
}

# The local tarball named by $TARBALL_VAR, as an absolute path (a relative one is taken
# from where the user ran us), or nothing. Call before fetch_main moves to the root.
local_tarball() {
    eval "t=\${$TARBALL_VAR:-}"
    case "$t" in
        "" | /*) printf '%s' "$t" ;;
        *) here=$(pwd); printf '%s' "${here%/}/$t" ;;
    esac
}

fetch_main() {
    tarball=$(local_tarball)
    cd "$(dirname "$0")/.." || die "cannot cd to the repository root"
    if [ -d "data/$DIR" ] && [ -z "$(first_bad "data/$DIR")" ]; then
        say "data/$DIR/ is already there and whole ($(whole_text)); nothing to do"
        exit 0
    fi
    mkdir -p data
    if [ -n "$tarball" ]; then
        [ -f "$tarball" ] || die "$TARBALL_VAR=$tarball: no such file"
        listing=$(tar -tzf "$tarball" 2>/dev/null) || die "$tarball: not a readable .tar.gz"
        for f in $FILES; do
            printf '%s\n' "$listing" | grep -qx "$DIR/$f" || die "$tarball: does not contain $DIR/$f"
        done
        say "using local $tarball (structure checked; md5 not checked: local copies may be re-packed)"
    else
        tarball="data/$(basename "$URL")"
        if [ ! -f "$tarball" ]; then
            download "$tarball"
        fi
        sum=$(md5_of "$tarball")
        [ "$sum" = "$MD5" ] || die "$tarball: md5 $sum is not the official $MD5 (delete it to download again, or set $TARBALL_VAR for a re-packed copy)"
        say "$tarball: md5 matches the official release"
    fi
    # Unpack beside the target and move it in whole, so an interrupted run never
    # leaves a half-written data/$DIR/ that looks complete.
    tmp=$(mktemp -d "data/.unpack.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    tar -xzf "$tarball" -C "$tmp" "$DIR" || die "$tarball: unpacking failed"
    bad=$(first_bad "$tmp/$DIR")
    [ -z "$bad" ] || die "$tarball: $DIR/$bad is missing or has the wrong size ($(whole_text))"
    if [ -e "data/$DIR" ]; then
        say "replacing the incomplete data/$DIR/"
        rm -rf "data/$DIR"
    fi
    mv "$tmp/$DIR" "data/$DIR"
    say "unpacked data/$DIR/: $(whole_text)"
}
