#!/bin/sh
# get_cifar100.sh — fetches the CIFAR-100 binary release and unpacks it into
# data/cifar-100-binary/ (git-ignored), checking what it got.
#
#   scripts/get_cifar100.sh                        download from cs.toronto.edu
#   CIFAR100_TARBALL=/path/x.tar.gz scripts/get_cifar100.sh   use a local copy
#
# A downloaded tarball must match the official md5. A local tarball may be a
# re-pack, so its listing is checked instead. Either way train.bin must be exactly
# 50000 records of 3074 bytes (coarse label, fine label, 3072 pixels), test.bin 10000,
# and both name files must be there. Running it again when the set is already there
# and whole does nothing. (Without network access and without the tarball,
# scripts/make_cifar100_standin.py builds a stand-in of the same layout from CIFAR-10
# records, for tests and benchmarks only: it is not CIFAR-100.)
set -eu

URL="https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
MD5="03b5dce01913d631647c71ecec9e9cb8"
TRAIN_BYTES=153700000   # 50000 records x 3074 bytes
TEST_BYTES=30740000     # 10000 records x 3074 bytes
DIR="cifar-100-binary"
FILES="train.bin test.bin fine_label_names.txt coarse_label_names.txt"
TARBALL_VAR=CIFAR100_TARBALL

# Prints the name of the first file in $1 that is missing or has the wrong size.
first_bad() {
    for f in $FILES; do
        case "$f" in
            train.bin) want=$TRAIN_BYTES ;;
            test.bin) want=$TEST_BYTES ;;
            *) want="" ;;
        esac
        if [ ! -f "$1/$f" ] || { [ -n "$want" ] && [ "$(wc -c < "$1/$f" | tr -d ' ')" != "$want" ]; }; then
            echo "$f"
            return 0
        fi
    done
}

whole_text() { echo "train.bin of $TRAIN_BYTES bytes, test.bin of $TEST_BYTES, the label names"; }

. "$(dirname "$0")/fetch_tarball.sh"
fetch_main
