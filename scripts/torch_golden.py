#!/usr/bin/python3
"""torch_golden.py — golden trajectories from PyTorch for lintrain's optimizer tests.

Writes tests/fixtures/torch_golden.json: what torch.optim (an implementation that
shares no code with lintrain) does on small problems, so that tests/test_optim.c,
test_schedule.c and test_lbfgs.c can check lintrain against it without PyTorch.

  - first-order optimizers on the quadratic f(w) = ½wᵀAw − cᵀw (6 weights, the first
    4 playing W and the last 2 playing b), each with a learning-rate schedule, driven
    by torch.optim.lr_scheduler.LambdaLR stepped once per update;
  - learning-rate schedules alone: LambdaLR's rate at every update;
  - L-BFGS (line_search_fn="strong_wolfe") on the Rosenbrock function and on the
    quadratic, step() by step(): the point, the loss and the evaluation count.

Everything runs in float64. Each case carries the --set lines that give lintrain the
same hyperparameters, so the C tests build their config with lt_config_load.

Debian: apt-get install python3-torch. Run from the repository root:
    /usr/bin/python3 scripts/torch_golden.py
(the Debian interpreter: a python3 earlier on PATH may not see Debian's torch).
"""
import json
import math
import os
import sys

import torch

torch.set_default_dtype(torch.float64)

# The quadratic: A symmetric positive definite, with dyadic entries (exact in float).
A = torch.tensor([
    [4.0, 1.0, 0.5, 0.0, 0.25, 0.0],
    [1.0, 3.0, 0.0, 0.5, 0.0, 0.25],
    [0.5, 0.0, 2.0, 0.25, 0.5, 0.0],
    [0.0, 0.5, 0.25, 1.5, 0.0, 0.5],
    [0.25, 0.0, 0.5, 0.0, 1.0, 0.0],
    [0.0, 0.25, 0.0, 0.5, 0.0, 0.75],
])
C = torch.tensor([1.0, -2.0, 0.5, 1.5, -1.0, 0.25])
W0 = [0.5, -0.25, 1.0, -1.5, 2.0, 0.75]
N_DECAY = 4  # the first 4 weights are "W" (weight decay), the last 2 are "b"


# ---- the lecture's schedules, written here from the formulas -------------------
def schedule_lambda(s, steps_per_epoch, epochs):
    """k -> factor of lr0, for a schedule described as lintrain's config keys."""
    name = s.get("name", "constant")
    unit = s.get("unit", "epoch")
    total = steps_per_epoch * epochs
    warm = s.get("warmup_steps", 0)

    def f(k):
        if unit == "epoch":
            p, T = k // steps_per_epoch, epochs
        else:
            p, T = k, total
        if name == "constant":
            v = 1.0
        elif name == "step":
            v = s.get("gamma", 0.1) ** sum(1 for m in s.get("milestones", []) if m <= p)
        elif name == "cosine":
            v = 0.5 * (1 + math.cos(math.pi * p / T))
        elif name == "linear":
            v = 1 - p / T
        elif name == "inverse_sqrt":
            v = 1 / math.sqrt(p + 1)
        else:
            raise ValueError(name)
        if warm > 0:
            v *= min(1.0, (k + 1) / warm)
        return v
    return f


def base_lr(lr, s, batch_size):
    base = s.get("lr_scaling_base_batch", 0)
    return lr * batch_size / base if base > 0 else lr


def schedule_sets(s):
    return ["schedule.%s=%s" % (k, json.dumps(v)) for k, v in s.items()]


# ---- first-order optimizers on the quadratic --------------------------------------------
def make_torch_optimizer(name, hp, lr, w, b):
    """torch.optim's counterpart of each lintrain optimizer (W = w, b = b)."""
    if name == "sgd":
        return torch.optim.SGD([w, b], lr=lr)
    if name == "momentum":  # both of lintrain's forms, at a constant rate
        return torch.optim.SGD([w, b], lr=lr, momentum=hp["rho"], dampening=0)
    if name == "nesterov":  # lintrain's change-of-variables form, at a constant rate
        return torch.optim.SGD([w, b], lr=lr, momentum=hp["rho"], nesterov=True)
    if name == "adagrad":
        return torch.optim.Adagrad([w, b], lr=lr, eps=hp["eps"], lr_decay=0,
                                   initial_accumulator_value=0)
    if name == "rmsprop":
        return torch.optim.RMSprop([w, b], lr=lr, alpha=hp["decay_rate"], eps=hp["eps"])
    if name == "adam":
        return torch.optim.Adam([w, b], lr=lr, betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"])
    if name == "adamw":  # decay on W only: b in a group of its own without it
        return torch.optim.AdamW([{"params": [w]}, {"params": [b], "weight_decay": 0.0}],
                                 lr=lr, betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                                 weight_decay=hp["weight_decay"])
    raise ValueError(name)


def optimizer_case(label, name, hp, lr, schedule, steps, steps_per_epoch, batch_size=32):
    epochs = -(-steps // steps_per_epoch)
    lr0 = base_lr(lr, schedule, batch_size)
    w = torch.tensor(W0[:N_DECAY], requires_grad=True)
    b = torch.tensor(W0[N_DECAY:], requires_grad=True)
    opt = make_torch_optimizer(name, hp, lr0, w, b)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule_lambda(schedule, steps_per_epoch, epochs))
    traj, lrs = [], []
    for _ in range(steps):
        opt.zero_grad()
        x = torch.cat([w, b])
        loss = 0.5 * x @ A @ x - C @ x
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        traj.append(torch.cat([w, b]).tolist())
    sets = ["optimizer.name=" + name, "optimizer.lr=%r" % lr]
    sets += ["optimizer.%s=%s" % (k, json.dumps(v)) for k, v in hp.items()]
    sets += schedule_sets(schedule)
    return {"label": label, "sets": sets, "steps": steps, "steps_per_epoch": steps_per_epoch,
            "epochs": epochs, "batch_size": batch_size, "lr": lrs, "w": traj}


def optimizer_cases():
    mom = {"rho": 0.9}
    adam = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    return [
        optimizer_case("sgd, constant", "sgd", {}, 0.05, {}, 30, 10),
        optimizer_case("sgd, cosine by step, warmup 5", "sgd", {}, 0.1,
                       {"name": "cosine", "unit": "step", "warmup_steps": 5}, 30, 10),
        optimizer_case("momentum, step decay by epoch", "momentum", mom, 0.02,
                       {"name": "step", "milestones": [1, 2], "gamma": 0.5}, 30, 10),
        optimizer_case("momentum velocity form, constant", "momentum",
                       dict(mom, form="velocity"), 0.02, {}, 30, 10),
        optimizer_case("nesterov, constant", "nesterov", mom, 0.02, {}, 30, 10),
        optimizer_case("nesterov rho 0.5, constant", "nesterov", {"rho": 0.5}, 0.05, {}, 30, 10),
        optimizer_case("adagrad, linear by epoch", "adagrad", {"eps": 1e-7}, 0.1,
                       {"name": "linear"}, 30, 10),
        optimizer_case("rmsprop, inverse_sqrt by step", "rmsprop",
                       {"decay_rate": 0.99, "eps": 1e-7}, 0.01,
                       {"name": "inverse_sqrt", "unit": "step"}, 30, 10),
        optimizer_case("rmsprop decay 0.9, constant", "rmsprop", {"decay_rate": 0.9, "eps": 1e-7},
                       0.01, {}, 30, 10),
        optimizer_case("adam, cosine by epoch, warmup 4", "adam", adam, 0.05,
                       {"name": "cosine", "warmup_steps": 4}, 30, 10),
        optimizer_case("adam beta2 0.9", "adam", dict(adam, beta2=0.9, eps=1e-6), 0.02, {}, 30, 10),
        optimizer_case("adamw, constant", "adamw", dict(adam, weight_decay=0.1), 0.05, {}, 30, 10),
        optimizer_case("adamw, linear by step, scaled batch", "adamw",
                       dict(adam, weight_decay=0.5), 0.05,
                       {"name": "linear", "unit": "step", "lr_scaling_base_batch": 64}, 30, 10,
                       batch_size=32),
    ]


# ---- schedules alone -----------------------------------------------------------------------
def schedule_case(schedule, lr, steps_per_epoch, epochs, batch_size):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr(lr, schedule, batch_size))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule_lambda(schedule, steps_per_epoch, epochs))
    lrs = []
    for _ in range(steps_per_epoch * epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return {"sets": ["optimizer.lr=%r" % lr] + schedule_sets(schedule),
            "steps_per_epoch": steps_per_epoch, "epochs": epochs, "batch_size": batch_size,
            "lr": lrs}


def schedule_cases():
    S = []
    for unit in ("epoch", "step"):
        S.append(schedule_case({"name": "step", "unit": unit, "milestones": [2, 5, 5, 9],
                                "gamma": 0.3}, 0.1, 4, 12, 8))
        S.append(schedule_case({"name": "cosine", "unit": unit}, 0.1, 5, 8, 8))
        S.append(schedule_case({"name": "linear", "unit": unit}, 0.2, 3, 10, 8))
        S.append(schedule_case({"name": "inverse_sqrt", "unit": unit}, 0.3, 4, 6, 8))
        S.append(schedule_case({"name": "cosine", "unit": unit, "warmup_steps": 7}, 0.1, 4, 5, 8))
    S.append(schedule_case({"name": "constant", "warmup_steps": 10}, 0.05, 3, 5, 8))
    S.append(schedule_case({"name": "constant", "lr_scaling_base_batch": 256}, 0.1, 3, 2, 1024))
    S.append(schedule_case({"name": "step", "milestones": [1], "warmup_steps": 3,
                            "lr_scaling_base_batch": 32}, 0.1, 2, 3, 8))
    return S


# ---- L-BFGS ---------------------------------------------------------------------------------
def rosenbrock(x):
    return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def quadratic(x):
    return 0.5 * x @ A @ x - C @ x


def lbfgs_case(fn_name, x0, history, max_iter, lr, tol_grad, tol_change, calls):
    fn = {"rosenbrock": rosenbrock, "quadratic": quadratic}[fn_name]
    x = torch.tensor(x0, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=lr, history_size=history, max_iter=max_iter,
                            tolerance_grad=tol_grad, tolerance_change=tol_change,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    out = []
    for _ in range(calls):
        opt.step(closure)
        state = opt.state[x]
        with torch.no_grad():
            out.append({"x": x.tolist(), "loss": float(fn(x)), "n_iter": state["n_iter"],
                        "func_evals": state["func_evals"]})
    return {"function": fn_name, "x0": x0, "history": history, "max_iter": max_iter, "lr": lr,
            "tolerance_grad": tol_grad, "tolerance_change": tol_change, "calls": out}


def lbfgs_cases():
    return [
        lbfgs_case("rosenbrock", [-1.2, 1.0], 10, 20, 1.0, 1e-7, 1e-9, 3),
        lbfgs_case("rosenbrock", [-1.2, 1.0, -1.2, 1.0, 0.5, -0.5], 3, 7, 1.0, 1e-7, 1e-9, 6),
        lbfgs_case("rosenbrock", [2.0, 2.0, -1.0], 5, 4, 0.5, 1e-7, 1e-9, 8),
        lbfgs_case("quadratic", W0, 10, 20, 1.0, 1e-7, 1e-9, 2),
    ]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = {
        "generator": "scripts/torch_golden.py with torch %s, float64" % torch.__version__,
        "quadratic": {"A": A.tolist(), "c": C.tolist(), "w0": W0, "n_decay": N_DECAY},
        "optimizers": optimizer_cases(),
        "schedules": schedule_cases(),
        "lbfgs": lbfgs_cases(),
    }
    path = os.path.join(root, "tests", "fixtures", "torch_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote %s: %d optimizer, %d schedule and %d L-BFGS cases"
          % (os.path.relpath(path), len(out["optimizers"]), len(out["schedules"]),
             len(out["lbfgs"])), file=sys.stderr)


if __name__ == "__main__":
    main()
