#!/usr/bin/python3
"""lbfgs_vs_sklearn.py — does lintrain's L-BFGS reach the optimum of softmax + L2?

Trains lintrain's lbfgs on the first N training records of CIFAR-10 (full batch,
mean_image), then solves the same problem with an independent solver,
scikit-learn's LogisticRegression(solver="lbfgs", multinomial), and compares the
objective both reach, evaluated here in float64 on the same features:

    J(W, b) = (1/N) Σ_i −log softmax(x_i·W + b)_{y_i} + λ·ΣW²       (b not penalised)

scikit-learn minimises C·Σ_i CE_i + ½‖W‖² (its lbfgs solver leaves the intercept out
of the penalty). Dividing by C·N gives (1/N)Σ CE + ‖W‖²/(2·C·N), which is J when
C = 1 / (2·N·λ).

Prints the two objectives and their relative difference (docs/optimizers.md wants it
below 1e-5), and draws docs/lbfgs_vs_sklearn.png: lintrain's objective per L-BFGS
iteration, minus scikit-learn's optimum. Not a CI step: it needs the full data set,
python3-sklearn, python3-numpy and python3-matplotlib (Debian packages), and about a
minute. Run from the repository root, after make:

    /usr/bin/python3 scripts/lbfgs_vs_sklearn.py [--n 5000] [--lambda 1e2]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

RECORD = 3073
D = 3072
K = 10


def load_cifar(path, n):
    """The first n records of the training files, in order: (uint8 (n, D), labels (n,))."""
    chunks = []
    for k in range(1, 6):
        raw = np.fromfile(os.path.join(path, "data_batch_%d.bin" % k), dtype=np.uint8)
        chunks.append(raw.reshape(-1, RECORD))
        if sum(len(c) for c in chunks) >= n:
            break
    rec = np.concatenate(chunks)[:n]
    return rec[:, 1:], rec[:, 0].astype(np.int64)


def objective(X, y, W, b, lam):
    s = X @ W + b
    s -= s.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean() + lam * np.sum(W * W)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="data/cifar-10-batches-bin")
    ap.add_argument("--n", type=int, default=5000, help="training records (a subset)")
    ap.add_argument("--lambda", dest="lam", type=float, default=1e2)
    ap.add_argument("--out", default="runs/lbfgs_vs_sklearn")
    ap.add_argument("--figure", default="docs/lbfgs_vs_sklearn.png")
    a = ap.parse_args()

    # 1. lintrain. val_size 0 and limit_train n: the training split is records [0, n).
    sets = {
        "data.dir": a.data, "data.val_size": 0, "data.limit_train": a.n,
        "data.test_file": "", "data.preprocess": "mean_image",
        "model.loss": "softmax", "model.init": "zeros",
        "regularization.type": "l2", "regularization.lambda": a.lam,
        "optimizer.name": "lbfgs", "optimizer.history": 10, "optimizer.max_iter": 100,
        "optimizer.tolerance_grad": 0, "optimizer.tolerance_change": 0,
        "train.batch_size": 0, "train.epochs": 20, "train.log_every": 1, "train.threads": 0,
    }
    cmd = ["./lintrain", "--quiet", "--out", a.out]
    for k, v in sets.items():
        cmd += ["--set", "%s=%s" % (k, json.dumps(v))]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    t_lintrain = time.time() - t0
    W = np.load(os.path.join(a.out, "weights.npy")).astype(np.float64)
    b = np.load(os.path.join(a.out, "bias.npy")).astype(np.float64)
    steps = [json.loads(line) for line in open(os.path.join(a.out, "metrics.jsonl"))]
    trace = [s["loss"] for s in steps if s["type"] == "step"]

    # 2. The same features, rebuilt here: pixels minus the mean training image.
    pixels, y = load_cifar(a.data, a.n)
    mean = pixels.astype(np.float32).mean(axis=0, dtype=np.float64).astype(np.float32)
    X = (pixels.astype(np.float32) - mean).astype(np.float64)

    # 3. scikit-learn, C = 1/(2Nλ), to its tightest tolerance.
    C = 1.0 / (2.0 * a.n * a.lam)
    t0 = time.time()
    clf = LogisticRegression(C=C, solver="lbfgs", multi_class="multinomial", tol=1e-12,
                             max_iter=20000)
    clf.fit(X, y)
    t_sklearn = time.time() - t0
    Ws, bs = clf.coef_.T, clf.intercept_

    J_lt = objective(X, y, W, b, a.lam)
    J_sk = objective(X, y, Ws, bs, a.lam)
    rel = (J_lt - J_sk) / abs(J_sk)
    print("N = %d, lambda = %g, C = %.6g" % (a.n, a.lam, C))
    print("lintrain lbfgs:  J = %.10f  (%d iterations, %.1f s)" % (J_lt, len(trace), t_lintrain))
    print("sklearn lbfgs:   J = %.10f  (%d iterations, %.1f s)" % (J_sk, clf.n_iter_[0], t_sklearn))
    print("relative difference (lintrain - sklearn) / sklearn = %.3g" % rel)
    print("max |W_lintrain - W_sklearn| = %.3g (max |W| = %.3g)"
          % (np.abs(W - Ws).max(), np.abs(Ws).max()))
    print("train accuracy: lintrain %.4f, sklearn %.4f"
          % (((X @ W + b).argmax(1) == y).mean(), ((X @ Ws + bs).argmax(1) == y).mean()))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no matplotlib: no figure", file=sys.stderr)
        return 0 if abs(rel) < 1e-5 else 1
    # |gap|: lintrain's last points can sit below scikit-learn's optimum (it stops at
    # its own tolerance); the title gives the sign of the final one.
    gap = np.maximum(np.abs(np.array(trace) - J_sk), 1e-12) / abs(J_sk)
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    ax.semilogy(np.arange(1, len(gap) + 1), gap, lw=1.5, label="lintrain lbfgs (float32 data)")
    ax.axhline(1e-5, color="gray", ls="--", lw=1, label="1e-5")
    ax.set_xlabel("L-BFGS iteration")
    ax.set_ylabel("|J − J_sklearn| / J_sklearn")
    ax.set_title("softmax + L2 on %d CIFAR-10 images, λ = %g:\nfinal (J − J_sklearn) / J_sklearn "
                 "= %.2g" % (a.n, a.lam, rel), fontsize=10)
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.figure)
    print("wrote %s" % a.figure)
    return 0 if abs(rel) < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
