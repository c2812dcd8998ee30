#!/usr/bin/env python3
"""make_sample.py — cuts the committed, class-balanced CIFAR-10 sample.

Reads the full set in data/cifar-10-batches-bin/ (get it with scripts/get_cifar10.sh)
and writes data/cifar-10-sample/ in the same layout:

  data_batch_k.bin  400 records: the first 40 records of each class in the full
                    data_batch_k.bin (k = 1..5), in the order they appear there
  test_batch.bin    500 records: the first 50 of each class in the full test_batch.bin
  batches.meta.txt  copied as is

The selection depends only on the input bytes, so two runs give identical files.
Python 3 standard library only.
"""
import os
import shutil
import sys

RECORD = 3073          # 1 label byte + 3 x 32 x 32 pixel bytes
CLASSES = 10
FULL_RECORDS = 10000   # records in each full batch
PLAN = [("data_batch_%d.bin" % k, 40) for k in range(1, 6)] + [("test_batch.bin", 50)]
META = "batches.meta.txt"


def fail(msg):
    sys.exit("make_sample.py: error: " + msg)


def cut(src, per_class):
    """The first per_class records of each class in src, in file order, as bytes."""
    with open(src, "rb") as f:
        data = f.read()
    if len(data) != FULL_RECORDS * RECORD:
        fail("%s: %d bytes, expected %d (%d records); rerun scripts/get_cifar10.sh"
             % (src, len(data), FULL_RECORDS * RECORD, FULL_RECORDS))
    taken = [0] * CLASSES
    out = bytearray()
    for i in range(FULL_RECORDS):
        rec = data[i * RECORD:(i + 1) * RECORD]
        label = rec[0]
        if label >= CLASSES:
            fail("%s: record %d (0-based): label %d is out of range 0..9" % (src, i, label))
        if taken[label] < per_class:
            taken[label] += 1
            out += rec
    short = [c for c in range(CLASSES) if taken[c] < per_class]
    if short:
        fail("%s: classes %s have fewer than %d records" % (src, short, per_class))
    return bytes(out)


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    full = os.path.join(root, "data", "cifar-10-batches-bin")
    sample = os.path.join(root, "data", "cifar-10-sample")
    if not os.path.isdir(full):
        fail("%s does not exist; run scripts/get_cifar10.sh first" % full)
    os.makedirs(sample, exist_ok=True)
    total = 0
    for name, per_class in PLAN:
        data = cut(os.path.join(full, name), per_class)
        write_atomically(os.path.join(sample, name), data)
        total += len(data)
        print("%s: %d records (%d per class), %d bytes"
              % (os.path.join("data", "cifar-10-sample", name), len(data) // RECORD,
                 per_class, len(data)))
    meta = os.path.join(full, META)
    if not os.path.isfile(meta):
        fail("%s does not exist" % meta)
    shutil.copyfile(meta, os.path.join(sample, META))
    total += os.path.getsize(meta)
    print("data/cifar-10-sample/: %d bytes in all" % total)


if __name__ == "__main__":
    main()
