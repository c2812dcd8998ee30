"""sweeplib — hyperparameter sweeps of lintrain, run by GNU parallel on one machine or
by a Slurm job array on a cluster, and the leaderboard that ranks their trials.

Python 3 standard library only. The commands are thin wrappers:
  scripts/sweep --config BASE --spec SPEC --out DIR [--set KEY=VALUE]... [--jobs J]
                [--slurm [--submit [--wait]]] [--force]
  scripts/sweep --trial DIR/trials/ID [--threads T]     (one trial; what parallel and
                                                           Slurm run)
  scripts/leaderboard DIR

A sweep folder DIR holds:
  sweep.json          the manifest: base config, spec, metric, the trials in order
  trials.txt          every trial folder, one a line
  trials/ID/          one trial. ID is "t" + 10 hex digits of the SHA-256 of the trial's
                      config (base + overrides, output.dir left out), so the same
                      hyperparameters always land in the same folder.
    trial_config.json the config the sweep wrote (base + this trial's values)
    config.json, metrics.jsonl, summary.json, weights.npy, ...   lintrain's run folder
    log.txt           lintrain's stdout and stderr
    status.json       exit status, status, error line, wall seconds (the runner's)
  leaderboard.csv, leaderboard.md
  sweep.sbatch        with --slurm: the job-array script (scripts/sweep_slurm.py)
  slurm_job.json      with --submit: the array's job id
  joblog.txt          GNU parallel's job log (appended by every local run)

A trial is complete when its summary.json reads as JSON with status "ok" or "diverged"
(lintrain writes it last and atomically; a diverged run diverges again if rerun).
Anything else (no summary, a config error, a crash, a kill) is run again: resumed with
lintrain --resume when its folder has a checkpoint.bin, else (or when the resume fails)
trained afresh with --force, which replaces lintrain's files of the unfinished run
(lintrain refuses to train over a run without it) and keeps the sweep's.
"""

import argparse
import csv
import datetime
import difflib
import hashlib
import io
import itertools
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

import sweep_checks
import sweep_plot
import sweep_optuna  # imports this module back, and uses it only at call time

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(SCRIPTS)

SPEC_KEYS = ("description", "grid", "random", "trials", "seed", "metric", "mode",
             "sampler", "sampler_args", "pruner", "pruner_args")
DISTRIBUTIONS = ("log_uniform", "uniform", "int_uniform", "choice")
# Numbers of summary.json a sweep can rank by (docs/run-folder.md: train_loss is
# train_data_loss + train_penalty; val_ and test_data_loss are data losses only).
METRICS = ("val_acc", "test_acc", "train_acc", "best_val_acc", "best_test_acc",
           "val_data_loss", "test_data_loss", "train_loss", "train_data_loss", "train_penalty")
# Names summary.json used before each quantity had one name: a spec that says one is
# refused with the new name (val_loss was the data loss alone, beside a train_loss that
# meant data + penalty).
RENAMED = {"val_loss": "val_data_loss", "test_loss": "test_data_loss"}
# Keys the sweep itself sets: a spec may not sweep them.
RESERVED = ("output.dir", "train.threads")
KEY_PATH = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
# Significant digits kept of a continuous draw, so that configs stay readable.
DRAW_DIGITS = 4

# Exit statuses of lintrain -> trial status.
STATUS_OF_EXIT = {0: "ok", 1: "failed", 2: "config_error", 3: "diverged"}
FINISHED = ("ok", "diverged")


class UsageError(Exception):
    """A bad command line, config or spec: exit status 2."""


class Failure(Exception):
    """Something missing from the machine or the folder: exit status 1."""


# ---- small helpers -------------------------------------------------------------------

def suggest(name, choices):
    close = difflib.get_close_matches(name, choices, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f'duplicate key "{key}"')
        seen[key] = value
    return seen


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def load_json(path):
    """Strict JSON: duplicate keys, NaN and Infinity are errors (lintrain's rules)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, object_pairs_hook=no_duplicates, parse_constant=reject_constant)
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from None


def read_json_or_none(path):
    """The JSON in path, or None when it is missing or not whole."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_atomic(path, text):
    """Writes text to path.tmp and renames it over path (unless path holds it already)."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def dumps(obj):
    return json.dumps(obj, indent=2) + "\n"


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


# ---- the spec --------------------------------------------------------------------------

def check_key_path(where, key):
    if not KEY_PATH.match(key):
        raise UsageError(f'{where}: "{key}" is not a key path like "optimizer.lr"')
    if key in RESERVED:
        raise UsageError(f"{where}: {key} is set by the sweep for each trial; it cannot be swept")


def check_distribution(where, dist):
    if not isinstance(dist, dict) or len(dist) != 1:
        raise UsageError(f"{where}: must be an object with one key of {', '.join(DISTRIBUTIONS)}, "
                         f'e.g. {{"log_uniform": [1e-7, 1e-5]}}')
    (kind, arg), = dist.items()
    if kind not in DISTRIBUTIONS:
        raise UsageError(f'{where}: unknown distribution "{kind}"{suggest(kind, DISTRIBUTIONS)} '
                         f"(choices: {', '.join(DISTRIBUTIONS)})")
    where = f"{where}.{kind}"
    if kind == "choice":
        if not isinstance(arg, list) or not arg:
            raise UsageError(f"{where}: must be a non-empty list of values")
        return
    check = is_int if kind == "int_uniform" else is_number
    if not isinstance(arg, list) or len(arg) != 2 or not all(check(x) for x in arg):
        what = "integers" if kind == "int_uniform" else "finite numbers"
        raise UsageError(f"{where}: must be [lo, hi], two {what}, got {json.dumps(arg)}")
    lo, hi = arg
    if lo > hi:
        raise UsageError(f"{where}: lo {lo} is above hi {hi}")
    if kind == "log_uniform" and lo <= 0:
        raise UsageError(f"{where}: lo must be > 0, got {lo}")


def check_spec(spec, path):
    """Validates a spec and returns it with every default filled in."""
    if not isinstance(spec, dict):
        raise UsageError(f"{path}: must be a JSON object")
    for key in spec:
        if key not in SPEC_KEYS:
            raise UsageError(f'{path}: unknown key "{key}"{suggest(key, SPEC_KEYS)} '
                             f"(keys: {', '.join(SPEC_KEYS)})")
    if not isinstance(spec.get("description", ""), str):
        raise UsageError(f"{path}: description: must be a string")
    grid = spec.get("grid", {})
    rand = spec.get("random", {})
    for name, section in (("grid", grid), ("random", rand)):
        if not isinstance(section, dict):
            raise UsageError(f"{path}: {name}: must be an object of key path -> "
                             + ("list of values" if name == "grid" else "distribution"))
    for key, values in grid.items():
        check_key_path(f"{path}: grid", key)
        if not isinstance(values, list) or not values:
            raise UsageError(f"{path}: grid.{key}: must be a non-empty list of values")
    for key, dist in rand.items():
        check_key_path(f"{path}: random", key)
        if key in grid:
            raise UsageError(f"{path}: random.{key}: already in grid; sweep a key one way only")
        check_distribution(f"{path}: random.{key}", dist)
    if not grid and not rand:
        raise UsageError(f"{path}: nothing to sweep: give grid and/or random")
    trials = spec.get("trials", 1)
    if not is_int(trials) or trials < 1:
        raise UsageError(f"{path}: trials: must be an integer >= 1, got {json.dumps(trials)}")
    if trials > 1 and not rand and spec.get("sampler") != "tpe":
        raise UsageError(f"{path}: trials: {trials} draws need a random section "
                         "(without one every draw of a grid point is the same run)")
    seed = spec.get("seed", 0)
    if not is_int(seed) or seed < 0:
        raise UsageError(f"{path}: seed: must be an integer >= 0, got {json.dumps(seed)}")
    metric = spec.get("metric", "val_acc")
    if isinstance(metric, str) and metric in RENAMED:
        raise UsageError(f'{path}: metric: "{metric}" is now called "{RENAMED[metric]}" '
                         "(the mean data loss, without the penalty); write that")
    if metric not in METRICS:
        raise UsageError(f'{path}: metric: unknown "{metric}"{suggest(str(metric), METRICS)} '
                         f"(choices: {', '.join(METRICS)})")
    mode = spec.get("mode", "max")
    if mode not in ("max", "min"):
        raise UsageError(f'{path}: mode: must be "max" or "min", got {json.dumps(mode)}')
    checked = {"grid": grid, "random": rand, "trials": trials, "seed": seed,
               "metric": metric, "mode": mode}
    # sampler and pruner: scripts/sweep_optuna.py (kept out of the manifest when absent)
    return {**checked, **sweep_optuna.check_spec(spec, path, checked)}


def draw(rng, dist):
    """One value of a distribution. Only rng.random() is used: its sequence for a seed is
    the one thing Python promises to keep across versions."""
    (kind, arg), = dist.items()
    u = rng.random()
    if kind == "choice":
        return arg[min(int(u * len(arg)), len(arg) - 1)]
    lo, hi = arg
    if kind == "int_uniform":
        return min(lo + int(u * (hi - lo + 1)), hi)
    if kind == "uniform":
        x = lo + u * (hi - lo)
    else:
        x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    return min(max(float(f"{x:.{DRAW_DIGITS}g}"), lo), hi)


def expand(spec):
    """The trials' values, in order: every grid point (the first key slowest) combined
    with spec["trials"] random draws, the random keys drawn in spec order. Each grid
    point draws from its own generator, seeded by the seed and the point's values, so a
    point's k-th trial stays the same when grid values or trials are added."""
    keys = list(spec["grid"])
    points = itertools.product(*(spec["grid"][k] for k in keys)) if keys else [()]
    draws = spec["trials"] if spec["random"] else 1
    out = []
    for point in points:
        # A str seed is hashed with SHA-512 by Python (version 2 seeding): stable.
        rng = random.Random(f"{spec['seed']}:{json.dumps(list(point))}")
        for _ in range(draws):
            values = dict(zip(keys, point))
            for key, dist in spec["random"].items():
                values[key] = draw(rng, dist)
            out.append(values)
    return out


def set_path(config, key, value):
    node = config
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(f"{key}: {'.'.join(parts[:i + 1])} is not a section in the base config")
        node = child
    node[parts[-1]] = value


def trial_config(base, values):
    """The base config with values set and output.dir removed (the sweep sets it)."""
    config = json.loads(json.dumps(base))
    for key, value in values.items():
        set_path(config, key, value)
    output = config.get("output")
    if isinstance(output, dict):
        output.pop("dir", None)
        if not output:
            del config["output"]
    return config


def trial_id(config):
    canon = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return "t" + hashlib.sha256(canon.encode()).hexdigest()[:10]


# ---- one trial ------------------------------------------------------------------------

def is_complete(trial_dir):
    """Finished (summary.json) or pruned (status.json): a result, not run again."""
    summary = read_json_or_none(os.path.join(trial_dir, "summary.json"))
    if isinstance(summary, dict) and summary.get("status") in FINISHED:
        return True
    record = read_json_or_none(os.path.join(trial_dir, "status.json"))
    return isinstance(record, dict) and record.get("status") == "pruned"


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


def find_lintrain(given):
    path = given or os.environ.get("LINTRAIN") or os.path.join(REPO, "lintrain")
    if not os.path.isfile(path) and os.sep not in path:
        path = shutil.which(path) or path
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise Failure(f"{path}: no lintrain binary here (build it with make, "
                         "or give --lintrain PATH or LINTRAIN=PATH)")
    return os.path.abspath(path)


def describe(trial, status, summary, seconds, error):
    line = f"{os.path.basename(trial)}  {status:<12}"
    if status == "ok":
        for key in ("val_acc", "test_acc"):
            if is_number(summary.get(key)):
                line += f"  {key} {summary[key]:.4f}"
    line += f"  {seconds:.1f}s"
    if error and status != "ok":
        line += f"  {error}"
    return line


def run_trial(trial, threads, lintrain):
    """Runs one trial unless it is complete, and records how it went in status.json.
    Returns 0 once the outcome is recorded, whatever it was."""
    if is_complete(trial):
        print(f"{os.path.basename(trial)}  complete, skipped")
        return 0
    config = os.path.join(trial, "trial_config.json")
    if not os.path.isfile(config):
        raise Failure(f"{config}: missing (is {trial} a trial folder of a sweep?)")
    status_path = os.path.join(trial, "status.json")
    if os.path.exists(status_path):
        os.remove(status_path)
    fresh = [lintrain, "--config", config, "--force", "--quiet", "--set", f"train.threads={threads}"]
    cmds = [fresh]
    if os.path.exists(os.path.join(trial, "checkpoint.bin")):
        # An interrupted trial goes on from its checkpoint (with the threads it started
        # with: --resume takes the folder's config.json); one that cannot is retrained.
        cmds.insert(0, [lintrain, "--resume", trial, "--quiet"])
    t0 = time.monotonic()
    log = ""
    for cmd in cmds:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              errors="replace", check=False)
        log += f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
        if proc.returncode not in (1, 2):
            break
    seconds = time.monotonic() - t0
    with open(os.path.join(trial, "log.txt"), "w", encoding="utf-8") as f:
        f.write(log)
    rc = proc.returncode
    status = STATUS_OF_EXIT.get(rc, "killed" if rc < 0 else "failed")
    summary = read_json_or_none(os.path.join(trial, "summary.json")) or {}
    if status in FINISHED and summary.get("status") != status:
        status = "failed"  # an exit status that the run folder does not bear out
    error = last_line(proc.stderr)
    if rc < 0:
        error = f"killed by signal {-rc}"
    record = {"id": os.path.basename(trial), "status": status, "exit": rc, "error": error,
              "seconds": round(seconds, 3), "threads": threads, "host": socket.gethostname(),
              "finished": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
    write_atomic(status_path, dumps(record))
    print(describe(trial, status, summary, seconds, error), flush=True)
    return 0


# ---- the leaderboard -----------------------------------------------------------------

def fmt(x, kind):
    if x is None:
        return ""
    if kind == "acc":
        return f"{x:.4f}"
    if kind == "seconds":
        return f"{x:.1f}"
    if isinstance(x, float):
        return f"{x:.4g}"
    return x if isinstance(x, str) else json.dumps(x)


def trial_row(sweep_dir, trial, metric):
    """A trial's leaderboard row. A pruned trial shows the last metric reported and its
    epoch, as the study saw them (status.json "value" and "epoch")."""
    folder = os.path.join(sweep_dir, "trials", trial["id"])
    summary = read_json_or_none(os.path.join(folder, "summary.json"))
    record = read_json_or_none(os.path.join(folder, "status.json"))
    summary = summary if isinstance(summary, dict) else {}
    record = record if isinstance(record, dict) else {}
    if record.get("status") == "pruned":
        status, summary = "pruned", {metric: record.get("value"), "epochs": record.get("epoch")}
    elif summary.get("status") in FINISHED:
        status = summary["status"]
    else:
        status = record.get("status", "pending")
    seconds = record.get("seconds", summary.get("seconds"))
    config = os.path.join(folder, "config.json")
    return {"trial": trial["id"], "status": status, "summary": summary,
            "seconds": seconds if is_number(seconds) else None,
            "error": None if status == "ok" else record.get("error"),
            "params": trial["params"],
            "config": config if os.path.isfile(config) else os.path.join(folder, "trial_config.json")}


def rank(rows, metric, mode):
    """ok trials with the metric, best first (ties keep the trials' order); then the
    pruned ones, latest pruned first and by their last metric; then the rest."""
    scored, pruned, rest = [], [], []
    for r in rows:
        has = is_number(r["summary"].get(metric))
        if r["status"] == "ok" and has:
            scored.append(r)
        elif r["status"] == "pruned" and has and is_int(r["summary"].get("epochs")):
            pruned.append(r)
        else:
            rest.append(r)
    sign = -1 if mode == "max" else 1
    scored.sort(key=lambda r: sign * r["summary"][metric])
    pruned.sort(key=lambda r: (-r["summary"]["epochs"], sign * r["summary"][metric]))
    return scored + pruned + rest


# The summary.json numbers every leaderboard shows.
SUMMARY_COLUMNS = ("val_acc", "test_acc", "best_epoch", "best_val_acc", "best_test_acc", "epochs")


def leaderboard(sweep_dir):
    """Writes leaderboard.csv and leaderboard.md; prints the counts and, last, the path
    of the best trial's config. Returns 0, or 1 when no trial finished ok."""
    manifest = load_json(os.path.join(sweep_dir, "sweep.json"))
    if not isinstance(manifest, dict) or "trials" not in manifest:
        raise UsageError(f"{sweep_dir}/sweep.json: not a sweep manifest")
    metric, mode, keys = manifest["metric"], manifest["mode"], manifest["keys"]
    rows = rank([trial_row(sweep_dir, t, metric) for t in manifest["trials"]], metric, mode)
    stats = ([metric] if metric not in SUMMARY_COLUMNS else []) + list(SUMMARY_COLUMNS)
    header = ["rank", "trial", "status"] + stats + ["seconds"] + keys + ["error", "config"]

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for i, r in enumerate(rows, 1):
        writer.writerow([i, r["trial"], r["status"]]
                        + ["" if r["summary"].get(s) is None else r["summary"][s] for s in stats]
                        + ["" if r["seconds"] is None else r["seconds"]]
                        + [json.dumps(r["params"].get(k)) if not isinstance(r["params"].get(k), str)
                           else r["params"][k] for k in keys]
                        + [r["error"] or "", r["config"]])
    write_atomic(os.path.join(sweep_dir, "leaderboard.csv"), buf.getvalue())

    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    md = [f"# Leaderboard: {os.path.basename(os.path.abspath(sweep_dir))}", "",
          f"{len(rows)} trials ({tally}), ranked by {metric} ({mode}). "
          f"Base config `{manifest['base_config']}`, spec `{manifest['spec_file']}`.", "",
          "| " + " | ".join(header[:-1]) + " |", "|" + "---|" * (len(header) - 1)]
    for i, r in enumerate(rows, 1):
        cells = [str(i), f"`{r['trial']}`", r["status"]]
        cells += [fmt(r["summary"].get(s), "acc" if s.endswith(("acc", "loss", "penalty")) else "")
                  for s in stats]
        cells += [fmt(r["seconds"], "seconds")] + [fmt(r["params"].get(k), "") for k in keys]
        cells += [(r["error"] or "").replace("|", "\\|")]
        md.append("| " + " | ".join(cells) + " |")
    write_atomic(os.path.join(sweep_dir, "leaderboard.md"), "\n".join(md) + "\n")
    sweep_plot.draw(sweep_dir, manifest, rows)

    print(f"leaderboard: {os.path.join(sweep_dir, 'leaderboard.csv')}, "
          f"{os.path.join(sweep_dir, 'leaderboard.md')}: {len(rows)} trials ({tally})")
    best = rows[0] if rows else None
    if not best or best["status"] != "ok" or not is_number(best["summary"].get(metric)):
        print("leaderboard: no trial finished ok", file=sys.stderr)
        return 1
    s = best["summary"]
    shown = "  ".join(f"{k} {s[k]:.4f}" for k in dict.fromkeys((metric, "val_acc", "test_acc"))
                      if is_number(s.get(k)))
    print(f"best: {best['trial']}  {shown}")
    print(best["config"])
    return 0


# ---- the sweep ------------------------------------------------------------------------

def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def prepare(args, lintrain):
    """Writes the trial folders, sweep.json and trials.txt; returns the trial folders.
    Every trial's config is made, and checked by lintrain, before anything is written."""
    base = load_json(args.config)
    if not isinstance(base, dict):
        raise UsageError(f"{args.config}: must be a JSON object")
    spec = check_spec(load_json(args.spec), args.spec)
    swept = [(k, "grid") for k in spec["grid"]] + [(k, "random") for k in spec["random"]]
    with_sets = sweep_checks.apply_sets(base, args.set, swept, RESERVED, set_path, UsageError)
    optuna = sweep_optuna.uses_optuna(spec)
    tpe = spec.get("sampler") == "tpe"
    planned = [] if tpe else expand(spec)  # tpe: the workers draw the trials
    trials, configs = [], {}
    for values in planned:
        config = trial_config(with_sets, values)
        tid = trial_id(config)
        if tid not in configs:
            configs[tid] = config
            trials.append({"id": tid, "params": values})
    manifest = {"base_config": args.config, "spec_file": args.spec, "spec": spec,
                "metric": spec["metric"], "mode": spec["mode"],
                "keys": list(spec["grid"]) + list(spec["random"]), "trials": trials,
                "base": base, "set": args.set}
    if optuna:  # what the workers make the trials' configs from: base with --set
        manifest["trial_base"] = with_sets
        os.makedirs(args.out, exist_ok=True)
    if tpe:  # the trials that its workers drew so far
        manifest["trials"] = trials = sweep_optuna.drawn_trials(args.out)
    guard_rerun(args, manifest)
    # tpe draws its trials later: check draws of the same space (random's) instead.
    sample = [{"params": v} for v in expand(spec)] if tpe else trials
    checked = sweep_checks.to_check(spec, sample, lambda v: trial_config(with_sets, v))
    refused = sweep_checks.check_configs(lintrain, checked, usable_cores())
    if refused:
        raise UsageError(f"{args.spec}: {sweep_checks.refusal_message(refused, len(checked))}")
    for tid, config in configs.items():
        folder = os.path.join(args.out, "trials", tid)
        os.makedirs(folder, exist_ok=True)
        config.setdefault("output", {})["dir"] = folder
        write_atomic(os.path.join(folder, "trial_config.json"), dumps(config))
    write_atomic(os.path.join(args.out, "sweep.json"), dumps(manifest))
    dirs = [os.path.join(args.out, "trials", t["id"]) for t in trials]
    write_atomic(os.path.join(args.out, "trials.txt"), "".join(d + "\n" for d in dirs))
    if len(planned) > len(trials):
        print(f"sweep: {len(planned) - len(trials)} draws repeat an earlier trial's values "
              "and run once")
    return dirs


def guard_rerun(args, manifest):
    """Refuses to rerun into a sweep folder of another spec, base config or --set
    (unless --force); grid values and trials may be added."""
    old = read_json_or_none(os.path.join(args.out, "sweep.json"))
    if not isinstance(old, dict):
        return
    refusals, notes = sweep_checks.compare_manifest(old, manifest, UsageError)
    if refusals and not args.force:
        raise UsageError(f"{args.out} holds a sweep of another spec, base config or --set "
                         "(rerun with the same ones, add only grid values or trials, or give "
                         "--force to replace it):\n  " + "\n  ".join(refusals))
    for line in notes + (["--force: " + r for r in refusals] if refusals else []):
        print(f"sweep: {line}")


def run_local(args, pending, lintrain):
    parallel = shutil.which("parallel")
    if not parallel:
        raise Failure("GNU parallel is not installed (Debian: apt-get install parallel)")
    cores = usable_cores()
    jobs = args.jobs or cores
    if jobs > cores:
        print(f"sweep: --jobs {jobs} is more than the {cores} cores: running {cores} at a time")
        jobs = cores
    threads = max(1, cores // jobs)
    print(f"sweep: running {len(pending)} trials, {jobs} at a time with {threads} "
          f"thread{'s' if threads > 1 else ''} each", flush=True)
    pending_file = os.path.join(args.out, "pending.txt")
    write_atomic(pending_file, "".join(d + "\n" for d in pending))
    cmd = [parallel, "--will-cite", "--halt", "never", "-j", str(jobs), "-q",
           "--joblog", "+" + os.path.join(args.out, "joblog.txt"), "-a", pending_file,
           os.path.join(SCRIPTS, "sweep"), "--trial", "{}", "--threads", str(threads),
           "--lintrain", lintrain]
    rc = subprocess.run(cmd, check=False).returncode
    os.remove(pending_file)
    if rc != 0:
        print(f"sweep: GNU parallel exited with {rc}: some trial runners failed "
              f"(see {os.path.join(args.out, 'joblog.txt')})", file=sys.stderr)


def sweep(args):
    t0 = time.monotonic()
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs: must be >= 1, got {args.jobs}")
    import sweep_slurm  # here, not at the top: it imports this module
    sweep_slurm.check_options(args)
    lintrain = find_lintrain(args.lintrain)
    if args.submit:
        sweep_slurm.check_cluster()  # before anything is written
    dirs = prepare(args, lintrain)
    pending = [d for d in dirs if not is_complete(d)]
    manifest = load_json(os.path.join(args.out, "sweep.json"))
    budget = manifest["spec"]["trials"] if manifest["spec"].get("sampler") == "tpe" else None
    print(f"sweep: {len(dirs)} trials in {args.out}" + (f" (of {budget} for TPE)" if budget else "")
          + f": {len(dirs) - len(pending)} complete, {len(pending)} to run", flush=True)
    if sweep_optuna.uses_optuna(manifest["spec"]) and args.slurm:
        sweep_slurm.run_workers(args, manifest, lintrain)  # an array of workers
        return leaderboard(args.out) if args.wait else 0
    if sweep_optuna.uses_optuna(manifest["spec"]):
        epochs = sweep_optuna.run(args, manifest, lintrain)
        if epochs is None:
            print("sweep: stopped; the same command goes on where it stopped", file=sys.stderr)
            return 130
        print(f"sweep: {time.monotonic() - t0:.1f}s wall; the trials' folders hold {epochs} epochs")
        return leaderboard(args.out)
    if args.slurm:
        sweep_slurm.run(args, pending, lintrain)
        if not args.wait:
            return 0
        return leaderboard(args.out)
    if pending:
        run_local(args, pending, lintrain)
        print(f"sweep: {len(pending)} trials run in {time.monotonic() - t0:.1f}s wall")
    return leaderboard(args.out)


def guarded(fn, *args):
    """Runs fn; an error is one line on stderr and exit status 2 (usage) or 1."""
    try:
        return fn(*args)
    except (UsageError, Failure) as e:
        print(f"{os.path.basename(sys.argv[0])}: {e}", file=sys.stderr)
        return 2 if isinstance(e, UsageError) else 1


def sweep_main(argv=None):
    p = argparse.ArgumentParser(
        prog="sweep", description="Runs a lintrain hyperparameter sweep: locally through "
        "GNU parallel, or writes a Slurm job array with --slurm. See docs/sweeps.md.")
    p.add_argument("--config", metavar="BASE", help="the base config (JSON)")
    p.add_argument("--spec", metavar="SPEC", help="the sweep spec (JSON): grid, random, trials, seed, metric, mode")
    p.add_argument("--out", metavar="DIR", help="the sweep folder")
    p.add_argument("--jobs", "-j", type=int, metavar="J", help="trials at a time (default: the number of cores); "
                   "with --slurm, the array's limit of running tasks "
                   "(with Optuna: its workers, default 4)")
    p.add_argument("--slurm", action="store_true", help="write DIR/sweep.sbatch instead of running")
    p.add_argument("--submit", action="store_true", help="with --slurm: submit the array with sbatch")
    p.add_argument("--wait", action="store_true", help="with --submit: wait for the array to end, "
                   "then write the leaderboard")
    p.add_argument("--lintrain", metavar="PATH", help="the lintrain binary (default: $LINTRAIN, else ./lintrain "
                   "of this repository)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key of the base config for every trial, as lintrain's "
                   "--set does; repeatable")
    p.add_argument("--force", action="store_true", help="rerun into DIR even when its sweep "
                   "had another spec, base config or --set")
    p.add_argument("--storage", metavar="URL", help="with an Optuna sampler or pruner: the "
                   "study's RDB URL (default: the journal file DIR/study.journal)")
    p.add_argument("--trial", help=argparse.SUPPRESS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return guarded(sweep_optuna.worker_main, args)
    if args.trial:
        return guarded(lambda: run_trial(args.trial, args.threads, find_lintrain(args.lintrain)))
    missing = [o for o in ("config", "spec", "out") if getattr(args, o) is None]
    if missing:
        p.error("missing " + ", ".join("--" + o for o in missing))
    return guarded(sweep, args)


def leaderboard_main(argv=None):
    p = argparse.ArgumentParser(
        prog="leaderboard", description="Collects a sweep's trials into DIR/leaderboard.csv "
        "and DIR/leaderboard.md, ranked by the spec's metric, and prints the best config's path.")
    p.add_argument("dir", metavar="DIR", help="the sweep folder (holding sweep.json)")
    args = p.parse_args(argv)
    return guarded(leaderboard, args.dir)
