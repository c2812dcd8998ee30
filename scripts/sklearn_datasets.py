#!/usr/bin/python3
"""sklearn_datasets.py — scikit-learn's small data sets as lintrain npy data sets, and
scikit-learn's softmax + L2 on them as the reference lintrain is held to.

For each of digits, wine, breast_cancer and iris: a fixed 70/30 split
(train_test_split, test_size=0.3, stratified, random_state=0), the features
standardized with the training split's mean and standard deviation (a constant feature
is left at 0), stored as float32, labels as int64, and the class names, under
OUT/<name>/: train_x.npy, train_y.npy, test_x.npy, test_y.npy, class_names.txt.
Both solvers see exactly these float32 values, and lintrain takes them with
data.preprocess "none".

Then LogisticRegression(C=1, multinomial, lbfgs, tol 1e-12) is fitted on the training
split. Its objective Σ CE + ½‖W‖², divided by N, is lintrain's
J = (1/N) Σ CE + λ‖W‖² at λ = 1/(2N) (penalty.c: l2 is λ·ΣW², the bias free).
OUT/reference.json gets, per data set, N, D, C, λ, scikit-learn's J and test accuracy,
and the command that wrote it. With --lintrain, each set is also trained with ./lintrain
(softmax, l2 at that λ, lbfgs, full batch) and both are printed side by side.

Needs python3-sklearn and python3-numpy (Debian); not a make test dependency: the
arrays and reference.json it writes are committed. Run from the repository root:

    /usr/bin/python3 scripts/sklearn_datasets.py [--out tests/fixtures/sklearn] [--lintrain]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

SETS = {
    "digits": datasets.load_digits,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "iris": datasets.load_iris,
}
COMMAND = "/usr/bin/python3 scripts/sklearn_datasets.py"


def objective(X, y, W, b, lam):
    s = X @ W + b
    s -= s.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean() + lam * np.sum(W * W))


def write_set(out, name):
    """Writes the split; returns float64 copies of the float32 arrays both solvers see."""
    bunch = SETS[name]()
    X_tr, X_te, y_tr, y_te = train_test_split(bunch.data, bunch.target, test_size=0.3,
                                              stratify=bunch.target, random_state=0)
    mean = X_tr.mean(axis=0)
    std = X_tr.std(axis=0)
    std[std == 0] = 1.0
    X_tr = ((X_tr - mean) / std).astype(np.float32)
    X_te = ((X_te - mean) / std).astype(np.float32)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "train_x.npy"), X_tr)
    np.save(os.path.join(d, "train_y.npy"), y_tr.astype(np.int64))
    np.save(os.path.join(d, "test_x.npy"), X_te)
    np.save(os.path.join(d, "test_y.npy"), y_te.astype(np.int64))
    names = [str(n) for n in getattr(bunch, "target_names", range(y_tr.max() + 1))]
    with open(os.path.join(d, "class_names.txt"), "w") as f:
        f.write("".join("%s\n" % n for n in names))
    return (X_tr.astype(np.float64), y_tr, X_te.astype(np.float64), y_te, len(names))


def sklearn_reference(X_tr, y_tr, X_te, y_te, C):
    N = len(y_tr)
    lam = 1.0 / (2.0 * N)
    clf = LogisticRegression(C=1.0, solver="lbfgs", multi_class="multinomial", tol=1e-12,
                             max_iter=100000)
    clf.fit(X_tr, y_tr)
    W, b = clf.coef_.T, clf.intercept_
    if C == 2:  # binary: coef_ is class 1's column; predict_proba is softmax([-d, d])
        W, b = np.hstack([-W, W]), np.array([-b[0], b[0]])
    return {
        "n_train": N, "n_test": len(y_te), "D": X_tr.shape[1], "C": C, "lambda": lam,
        "sklearn_objective": objective(X_tr, y_tr, W, b, lam),
        "sklearn_test_accuracy": float((clf.predict(X_te) == y_te).mean()),
        "sklearn_iterations": int(clf.n_iter_[0]),
    }


def run_lintrain(out, name, ref, run_dir):
    d = os.path.join(out, name)
    sets = {
        "data.format": "npy", "data.dir": d, "data.train_x": "train_x.npy",
        "data.train_y": "train_y.npy", "data.test_x": "test_x.npy",
        "data.test_y": "test_y.npy", "data.class_names": "class_names.txt",
        "data.val_size": 0, "data.preprocess": "none",
        "model.loss": "softmax", "model.init": "zeros",
        "regularization.type": "l2", "regularization.lambda": ref["lambda"],
        "optimizer.name": "lbfgs", "optimizer.max_iter": 200,
        "optimizer.tolerance_grad": 0, "optimizer.tolerance_change": 0,
        "train.batch_size": 0, "train.epochs": 5, "train.log_every": 0,
    }
    cmd = ["./lintrain", "--quiet", "--force", "--out", run_dir]
    for k, v in sets.items():
        cmd += ["--set", "%s=%s" % (k, json.dumps(v))]
    subprocess.run(cmd, check=True)
    W = np.load(os.path.join(run_dir, "weights.npy")).astype(np.float64)
    b = np.load(os.path.join(run_dir, "bias.npy")).astype(np.float64)
    X_tr = np.load(os.path.join(d, "train_x.npy")).astype(np.float64)
    y_tr = np.load(os.path.join(d, "train_y.npy"))
    X_te = np.load(os.path.join(d, "test_x.npy")).astype(np.float64)
    y_te = np.load(os.path.join(d, "test_y.npy"))
    J = objective(X_tr, y_tr, W, b, ref["lambda"])
    acc = float(((X_te @ W + b).argmax(1) == y_te).mean())
    return J, acc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/sklearn")
    ap.add_argument("--lintrain", action="store_true", help="also train each with ./lintrain")
    a = ap.parse_args()
    refs = {}
    for name in SETS:
        X_tr, y_tr, X_te, y_te, C = write_set(a.out, name)
        refs[name] = sklearn_reference(X_tr, y_tr, X_te, y_te, C)
    refs["command"] = COMMAND
    with open(os.path.join(a.out, "reference.json"), "w") as f:
        json.dump(refs, f, indent=2, sort_keys=True)
        f.write("\n")
    print("| data set | N train / test | D | C | sklearn J | lintrain J | rel. diff "
          "| sklearn test acc | lintrain test acc |")
    for name in SETS:
        r = refs[name]
        row = "| %s | %d / %d | %d | %d | %.8f" % (name, r["n_train"], r["n_test"], r["D"],
                                                  r["C"], r["sklearn_objective"])
        if a.lintrain:
            J, acc = run_lintrain(a.out, name, r, os.path.join("runs", "sklearn_" + name))
            rel = (J - r["sklearn_objective"]) / abs(r["sklearn_objective"])
            row += " | %.8f | %.2g | %.4f | %.4f |" % (J, rel, r["sklearn_test_accuracy"], acc)
        else:
            row += " | | | %.4f | |" % r["sklearn_test_accuracy"]
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
