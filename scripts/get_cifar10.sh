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
TARBALL_VAR=CIFAR10_TARBALL

# Prints the name of the first batch in $1 that is missing or has the wrong size.
first_bad() {
    for f in $FILES; do
        if [ ! -f "$1/$f" ] || [ "$(wc -c < "$1/$f" | tr -d ' ')" != "$BATCH_BYTES" ]; then
            echo "$f"
            return 0
        fi
    done
}

whole_text() { echo "six batches of $BATCH_BYTES bytes each"; }

. "$(dirname "$0")/fetch_tarball.sh"
fetch_main
