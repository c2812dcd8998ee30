#!/usr/bin/env python3
"""make_cifar100_standin.py — a STAND-IN for CIFAR-100, built from CIFAR-10 records, in
CIFAR-100's official binary layout. It is not CIFAR-100: its images are CIFAR-10's and
its labels are made up. It exists so that the CIFAR-100 reader, the 100- and 20-class
training path and the benchmarks can run where the real data is not available (get the
real one with scripts/get_cifar100.sh).

Layout written (as https://www.cs.toronto.edu/~kriz/cifar.html describes the binary
version): OUT/train.bin and OUT/test.bin, records of <coarse label byte><fine label
byte><3072 pixel bytes>, and OUT/fine_label_names.txt, OUT/coarse_label_names.txt, one
name a line. Record i of the CIFAR-10 files, label c, gets the fine label
10*c + (i mod 10) and the coarse label fine // 5 (100 fine classes in 20 groups of 5,
as in CIFAR-100). Names: "<cifar-10 name>_<k>" and "group_<g>".

    python3 scripts/make_cifar100_standin.py [--cifar10 data/cifar-10-batches-bin]
        [--out data/cifar-100-standin] [--train-records N] [--test-records N]
"""
import argparse
import os
import sys

RECORD10 = 3073
NAMES10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
           "ship", "truck"]


def convert(sources, dest, limit):
    """Copies up to limit records of the CIFAR-10 files sources into dest; returns the count."""
    n = 0
    with open(dest + ".tmp", "wb") as out:
        for src in sources:
            with open(src, "rb") as f:
                data = f.read()
            if len(data) % RECORD10:
                sys.exit("%s: not a CIFAR-10 batch file (size %d)" % (src, len(data)))
            for at in range(0, len(data), RECORD10):
                if limit is not None and n >= limit:
                    break
                fine = 10 * data[at] + n % 10
                out.write(bytes([fine // 5, fine]))
                out.write(data[at + 1:at + RECORD10])
                n += 1
    os.replace(dest + ".tmp", dest)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cifar10", default="data/cifar-10-batches-bin")
    ap.add_argument("--out", default="data/cifar-100-standin")
    ap.add_argument("--train-records", type=int, default=None)
    ap.add_argument("--test-records", type=int, default=None)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    train = [os.path.join(a.cifar10, "data_batch_%d.bin" % k) for k in range(1, 6)]
    train = [p for p in train if os.path.exists(p)]
    if not train:
        sys.exit("%s: no data_batch_*.bin (run scripts/get_cifar10.sh)" % a.cifar10)
    ntrain = convert(train, os.path.join(a.out, "train.bin"), a.train_records)
    ntest = convert([os.path.join(a.cifar10, "test_batch.bin")],
                    os.path.join(a.out, "test.bin"), a.test_records)
    with open(os.path.join(a.out, "fine_label_names.txt"), "w") as f:
        f.write("".join("%s_%d\n" % (NAMES10[k // 10], k % 10) for k in range(100)))
    with open(os.path.join(a.out, "coarse_label_names.txt"), "w") as f:
        f.write("".join("group_%d\n" % g for g in range(20)))
    print("wrote %s: %d training and %d test records (a stand-in built from CIFAR-10)"
          % (a.out, ntrain, ntest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
