"""sweep_optuna — the sweeps that Optuna drives: TPE sampling, pruning a running lintrain,
and the study that local workers share. scripts/sweep comes here when a spec says
"sampler": "tpe" or names a "pruner"; every other spec runs through GNU parallel as
before (scripts/sweeplib.py) and never imports Optuna.

Optuna is Debian's python3-optuna (3.1; make deps installs it). Nothing here samples or
prunes: TPESampler, MedianPruner, SuccessiveHalvingPruner (ASHA) and HyperbandPruner
decide, with the spec's "sampler_args" and "pruner_args" passed to their constructors.

The study is named "sweep" and lives in DIR/study.journal (JournalStorage over
JournalFileStorage: one append-only file, locked, safe on a shared file system) or at
--storage URL (an RDB URL such as sqlite:///DIR/study.db or postgresql://...).

  scripts/sweep --config BASE --spec SPEC --out DIR [--jobs J] [--storage URL]
      the coordinator: makes the study, puts back the trials a stopped run left
      unfinished, starts J workers and writes the leaderboard when they are done.
  scripts/sweep --worker DIR [--threads T] [--storage URL]
      one worker: asks the study for a trial, writes its folder DIR/trials/ID/ (as any
      sweep does), runs lintrain on it, reports the metric of each epoch line of its
      metrics.jsonl as it is written, stops lintrain with SIGTERM when the pruner says
      so, tells the study how the trial ended; and again, until no trial is left.

With tpe a new trial is asked for while fewer than "trials" trials were drawn; with grid
or random the coordinator enqueues the trials the spec expands to (their folders and
ids as without a pruner) and the workers only take those. Which worker takes the next
trial is decided under a lock (DIR/study.lock, flock), so that J workers never draw more
than the budget between them.
"""

import ctypes
import fcntl
import inspect
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import warnings

import sweeplib as sl

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "asha", "hyperband")
# Metrics written on every epoch line of metrics.jsonl (docs/run-folder.md): the ones a
# pruner can follow.
EPOCH_METRICS = ("val_acc", "val_data_loss", "train_acc", "train_loss", "train_data_loss",
                 "train_penalty")
# Constructor arguments the sweep sets itself (seed) or that JSON cannot give (functions).
RESERVED_ARGS = ("self", "seed", "gamma", "weights", "constraints_func")
STUDY = "sweep"
JOURNAL = "study.journal"
LOCK = "study.lock"
# Debian's interpreter, which holds python3-optuna when the python3 on PATH does not.
SYSTEM_PYTHON = "/usr/bin/python3"
REEXEC = "LINTRAIN_SWEEP_REEXEC"
# How often a worker looks at a running trial's metrics.jsonl, in seconds.
POLL = 0.01
# A worker in a Slurm array task passes a signal on to its lintrain only when lintrain
# still runs this many seconds later: Slurm (scancel, a time limit) signals every
# process of the task, lintrain too, and a second SIGTERM would kill lintrain in its
# checkpoint instead of letting it finish it.
SLURM_GRACE = 3.0


# ---- Optuna itself -------------------------------------------------------------------------

def import_optuna():
    """Optuna, quiet. When the python3 running this cannot import it but Debian's
    can, the same command starts again under Debian's (once, before anything is written)."""
    try:
        import optuna  # pylint: disable=import-outside-toplevel
    except ImportError:
        here = os.path.realpath(sys.executable)
        if (REEXEC not in os.environ and os.path.exists(SYSTEM_PYTHON)
                and here != os.path.realpath(SYSTEM_PYTHON)):
            os.environ[REEXEC] = "1"
            sys.stdout.flush()
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
        raise sl.Failure(f"Optuna is not installed for {sys.executable} (Debian: "
                         "apt-get install python3-optuna; make deps installs it)") from None
    # Imported: processes started from here (a Slurm array submitted with this
    # environment) may start themselves again under Debian's python3 when they need to.
    os.environ.pop(REEXEC, None)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def uses_optuna(spec):
    return spec.get("sampler") == "tpe" or spec.get("pruner", "none") != "none"


def pruner_class(optuna, name):
    return {"median": optuna.pruners.MedianPruner,
            "asha": optuna.pruners.SuccessiveHalvingPruner,
            "hyperband": optuna.pruners.HyperbandPruner}[name]


def construct(where, cls, args, defaults=None):
    """cls(**defaults, **args), with args checked against cls's parameters first: an
    unknown name or a value the constructor refuses is a spec error."""
    if not isinstance(args, dict):
        raise sl.UsageError(f"{where}: must be an object of argument -> value")
    names = [n for n in inspect.signature(cls.__init__).parameters if n not in RESERVED_ARGS]
    for name, value in args.items():
        if name not in names:
            raise sl.UsageError(f'{where}: unknown argument "{name}" of {cls.__name__}'
                                f"{sl.suggest(name, names)} (arguments: {', '.join(names)})")
        if isinstance(value, (list, dict)):
            raise sl.UsageError(f"{where}.{name}: must be a number, string, boolean or null")
    try:
        return cls(**{**(defaults or {}), **args})
    except (TypeError, ValueError) as e:
        raise sl.UsageError(f"{where}: {cls.__name__}: {e}") from None


def make_sampler(optuna, spec, salt=0):
    """TPE seeded by the spec's seed and salt (the trial's number: each trial's draw
    has its own stream, whatever worker draws it and however often the sweep restarted);
    for grid and random, whose values the sweep draws itself, a sampler never asked."""
    if spec.get("sampler") == "tpe":
        seed = (spec["seed"] * 1000003 + salt) % 2**32
        return construct("sampler_args", optuna.samplers.TPESampler,
                         spec.get("sampler_args", {}), {"seed": seed})
    return optuna.samplers.RandomSampler(seed=spec["seed"])


def make_pruner(optuna, spec, epochs=None):
    """The spec's pruner; Hyperband's max_resource defaults to the trials' epochs when
    they are all the same (epochs), instead of Optuna's guess from the first trial."""
    name = spec.get("pruner", "none")
    if name == "none":
        return optuna.pruners.NopPruner()
    defaults = {"max_resource": epochs} if name == "hyperband" and epochs else {}
    return construct("pruner_args", pruner_class(optuna, name), spec.get("pruner_args", {}),
                     defaults)


def fixed_epochs(base, spec):
    """train.epochs of every trial when it is the same for all, else None."""
    grid = spec["grid"].get("train.epochs")
    if grid is not None:
        return grid[0] if len(grid) == 1 and sl.is_int(grid[0]) else None
    if "train.epochs" in spec["random"]:
        return None
    epochs = (base.get("train") or {}).get("epochs") if isinstance(base, dict) else None
    return epochs if sl.is_int(epochs) else None


# ---- the spec ------------------------------------------------------------------------------

def check_choice(where, dist, key, sampler):
    choices = dist.get("choice")
    if sampler == "tpe" and choices is not None:
        for value in choices:
            if not (value is None or isinstance(value, (bool, int, float, str))):
                raise sl.UsageError(f"{where}: random.{key}.choice: tpe takes numbers, "
                                    f"strings, booleans and null, got {json.dumps(value)}")


def check_spec(spec, path, checked):
    """Checks the Optuna keys of spec ("sampler", "sampler_args", "pruner", "pruner_args")
    against checked (the rest, defaults filled in) and returns them: only the keys the
    spec gives, so that a spec without them keeps its manifest."""
    sampler = spec.get("sampler")
    if sampler is not None and sampler not in SAMPLERS:
        raise sl.UsageError(f'{path}: sampler: unknown "{sampler}"{sl.suggest(str(sampler), SAMPLERS)}'
                            f" (choices: {', '.join(SAMPLERS)})")
    pruner = spec.get("pruner", "none")
    if pruner not in PRUNERS:
        raise sl.UsageError(f'{path}: pruner: unknown "{pruner}"{sl.suggest(str(pruner), PRUNERS)}'
                            f" (choices: {', '.join(PRUNERS)})")
    if "sampler_args" in spec and sampler != "tpe":
        raise sl.UsageError(f'{path}: sampler_args: only for "sampler": "tpe"')
    if "pruner_args" in spec and pruner == "none":
        raise sl.UsageError(f"{path}: pruner_args: no pruner to pass them to")
    if sampler == "grid" and checked["random"]:
        raise sl.UsageError(f'{path}: sampler grid: the random section needs "random" or "tpe"')
    if sampler == "tpe":
        if not checked["random"]:
            raise sl.UsageError(f"{path}: sampler tpe: needs a random section (its "
                                "distributions are the space TPE searches)")
        for key, values in checked["grid"].items():
            if len(values) != 1:
                raise sl.UsageError(f"{path}: grid.{key}: with tpe, grid keys are pinned values "
                                    "(one each); search it in random, e.g. as a choice")
        for key, dist in checked["random"].items():
            check_choice(path, dist, key, sampler)
    if pruner != "none" and checked["metric"] not in EPOCH_METRICS:
        raise sl.UsageError(f"{path}: metric: a pruner follows the epoch lines of metrics.jsonl, "
                            f"which have no {checked['metric']} (choices: {', '.join(EPOCH_METRICS)})")
    out = {k: spec[k] for k in ("sampler", "sampler_args", "pruner", "pruner_args") if k in spec}
    if uses_optuna(spec):
        optuna = import_optuna()
        full = {**checked, **out}
        try:
            make_sampler(optuna, full)
            make_pruner(optuna, full)
        except sl.UsageError as e:
            raise sl.UsageError(f"{path}: {e}") from None
    return out


# ---- the study ------------------------------------------------------------------------------

def open_study(optuna, sweep_dir, storage_url, spec, epochs, salt=0):
    if storage_url:
        storage = storage_url
    else:
        journal = optuna.storages.JournalFileStorage(os.path.join(sweep_dir, JOURNAL))
        storage = optuna.storages.JournalStorage(journal)
    direction = "maximize" if spec["mode"] == "max" else "minimize"
    try:
        return optuna.create_study(study_name=STUDY, storage=storage, direction=direction,
                                   sampler=make_sampler(optuna, spec, salt),
                                   pruner=make_pruner(optuna, spec, epochs), load_if_exists=True)
    except Exception as e:  # a bad URL, a missing database driver: say which
        raise sl.Failure(f"study storage {storage_url or os.path.join(sweep_dir, JOURNAL)}: "
                         f"{type(e).__name__}: {e}") from None


def clear_stale_lock(sweep_dir, age=60):
    """Removes the journal's lock file (Optuna's, held for the milliseconds of one write)
    when it is older than age seconds: a worker killed outright (SIGKILL) in a write left
    it, and every later writer would wait for it forever."""
    path = os.path.join(sweep_dir, JOURNAL + ".lock")
    try:
        if time.time() - os.lstat(path).st_mtime > age:
            os.unlink(path)
            print(f"sweep: removed {path}, a lock left {age}+ s ago by a killed worker")
    except OSError:
        pass


class StudyLock:
    """flock on DIR/study.lock: one worker at a time decides what to run next."""

    def __init__(self, sweep_dir):
        self.path = os.path.join(sweep_dir, LOCK)
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing drops the lock


def result_of(trial):
    """A trial's result as the sweep counts it: ok, pruned, diverged, or None (none yet)."""
    state = trial.state.name
    if state == "COMPLETE":
        return "ok"
    if state == "PRUNED":
        return "pruned"
    if state == "FAIL" and trial.user_attrs.get("status") == "diverged":
        return "diverged"
    return None


def put_back(study, sweep_dir, expected):
    """Called before any worker runs: marks the trials that a stopped run left RUNNING
    as failed, then enqueues once every trial folder without a result in the study: those
    of expected (the ids of the grid/random trials: their folders hold their values) and
    those a stopped run left, with their values. Returns how many were enqueued."""
    trials = study.get_trials(deepcopy=False)
    for t in trials:
        if t.state.name == "RUNNING":
            study.tell(t.number, state=study_state("FAIL"))
    trials = study.get_trials(deepcopy=False)
    done, waiting, params = set(), set(), {}
    for t in trials:
        tid = t.user_attrs.get("trial")
        if tid is None:
            continue
        params[tid] = t.params
        if result_of(t):
            done.add(tid)
        elif t.state.name == "WAITING":
            waiting.add(tid)
    todo = [(tid, p) for tid, p in params.items()]
    todo += [(tid, {}) for tid in expected if tid not in params]
    n = 0
    for tid, p in todo:
        if tid in done or tid in waiting:
            continue
        retry = tid in params
        study.enqueue_trial(p, user_attrs={"trial": tid, "retry": retry})
        waiting.add(tid)
        n += 1
    return n


def study_state(name):
    optuna = import_optuna()
    return getattr(optuna.trial.TrialState, name)


def suggest(trial, key, dist):
    """TPE's value of key in the spec's distribution; a float keeps the 4 significant
    digits of the random sampler's draws (the study keeps TPE's own)."""
    (kind, arg), = dist.items()
    if kind == "choice":
        return trial.suggest_categorical(key, arg)
    if kind == "int_uniform":
        return trial.suggest_int(key, arg[0], arg[1])
    lo, hi = arg
    x = trial.suggest_float(key, float(lo), float(hi), log=kind == "log_uniform")
    return min(max(float(f"{x:.{sl.DRAW_DIGITS}g}"), lo), hi)


def drawn_trials(sweep_dir):
    """The trials that the workers of a tpe sweep drew so far (sweep.json), or []."""
    manifest = sl.read_json_or_none(os.path.join(sweep_dir, "sweep.json"))
    trials = manifest.get("trials") if isinstance(manifest, dict) else None
    return trials if isinstance(trials, list) else []


def record_trial(sweep_dir, values):
    """Writes the folder of a trial TPE drew (trial_config.json, as any sweep writes it)
    and adds it to sweep.json and trials.txt; the caller holds the study lock. Returns
    the trial's id."""
    path = os.path.join(sweep_dir, "sweep.json")
    manifest = sl.load_json(path)
    config = sl.trial_config(manifest.get("trial_base", manifest["base"]), values)
    tid = sl.trial_id(config)
    folder = os.path.join(sweep_dir, "trials", tid)
    os.makedirs(folder, exist_ok=True)
    config.setdefault("output", {})["dir"] = folder
    sl.write_atomic(os.path.join(folder, "trial_config.json"), sl.dumps(config))
    if all(t["id"] != tid for t in manifest["trials"]):
        manifest["trials"].append({"id": tid, "params": values})
        sl.write_atomic(path, sl.dumps(manifest))
        dirs = [os.path.join(sweep_dir, "trials", t["id"]) for t in manifest["trials"]]
        sl.write_atomic(os.path.join(sweep_dir, "trials.txt"), "".join(d + "\n" for d in dirs))
    return tid


def trials_left(trials, spec):
    """How many trials the workers have still to take: the enqueued ones, and (tpe) the
    new draws while fewer than "trials" were drawn (retries of unfinished trials are not
    new draws)."""
    waiting = sum(1 for t in trials if t.state.name == "WAITING")
    if spec.get("sampler") != "tpe":
        return waiting
    drawn = sum(1 for t in trials if not t.user_attrs.get("retry"))
    return waiting + max(0, spec["trials"] - drawn)


def work_left(trials, spec):
    """Whether a worker has a trial to take."""
    return trials_left(trials, spec) > 0


def next_trial(optuna, study, sweep_dir, spec):
    """The next (trial, id) to run, or None when the budget is spent. Enqueued trials
    come first (optuna's ask pops them)."""
    with StudyLock(sweep_dir):
        trials = study.get_trials(deepcopy=False)
        if not work_left(trials, spec):
            return None
        tpe = spec.get("sampler") == "tpe"
        if tpe:
            study.sampler = make_sampler(optuna, spec, len(trials))
        trial = study.ask()
        tid = trial.user_attrs.get("trial")
        if tpe:
            values = {key: vals[0] for key, vals in spec["grid"].items()}
            for key, dist in spec["random"].items():
                values[key] = suggest(trial, key, dist)
            tid = record_trial(sweep_dir, values)
            trial.set_user_attr("trial", tid)
        if slurm_task():
            trial.set_user_attr("slurm_task", slurm_task())
        return trial, tid


def slurm_task():
    """JOB_TASK of the Slurm array task this worker is, or None outside an array."""
    job, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    return f"{job}_{task}" if job and task else None


# ---- following a running lintrain ----------------------------------------------------------

class Follower:
    """Reads the epoch lines of a trial's metrics.jsonl as lintrain writes them and
    reports the metric of each to the Optuna trial, once per epoch (a resumed run cuts
    the file back and writes the same epochs again: they are not reported twice)."""

    def __init__(self, folder, trial, metric):
        self.path = os.path.join(folder, "metrics.jsonl")
        self.trial, self.metric = trial, metric
        self.offset, self.partial = 0, b""
        self.epoch, self.value = None, None   # the last epoch reported, and its value

    def new_lines(self):
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < self.offset:  # cut back (a resume) or replaced (--force)
                    self.offset, self.partial = 0, b""
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return []
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        return lines

    def grew(self):
        """Whether metrics.jsonl holds bytes not read yet."""
        try:
            return os.stat(self.path).st_size != self.offset
        except OSError:
            return False

    def epoch_values(self):
        """(epoch, value) of the epoch lines not seen yet."""
        out = []
        for line in self.new_lines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rec, dict) or rec.get("type") != "epoch":
                continue
            epoch, value = rec.get("epoch"), rec.get(self.metric)
            if not sl.is_int(epoch) or (self.epoch is not None and epoch <= self.epoch):
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            out.append((epoch, float(value)))
        return out

    def poll(self, prune, upto=None):
        """Reports the new epochs (up to epoch upto). With prune, asks the pruner after
        each and returns True, reporting no further, as soon as it says to stop."""
        for epoch, value in self.epoch_values():
            if upto is not None and epoch > upto:
                break
            self.trial.report(value, epoch)
            self.epoch, self.value = epoch, value
            if prune and self.trial.should_prune():
                return True
        return False


class Interrupt:
    """SIGINT and SIGTERM set a flag instead of raising, so that no Optuna write is cut
    in the middle; the worker then stops its lintrain (once) and ends the trial."""

    def __init__(self):
        self.signal = None
        self.at = None  # when it came (time.monotonic())

    def install(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.on_signal)

    def on_signal(self, sig, frame):  # pylint: disable=unused-argument
        self.signal, self.at = sig, time.monotonic()

    def to_forward(self):
        """Whether to pass the signal on to lintrain now (see SLURM_GRACE)."""
        if not self.signal:
            return False
        return not slurm_task() or time.monotonic() - self.at >= SLURM_GRACE


def die_with_worker():
    """Run in lintrain's process before it starts: SIGTERM (a checkpoint and exit) when
    the worker dies, even killed outright (Linux's prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_lintrain(cmd, log, follower, stop):
    """Runs cmd (its output appended to log) in a session of its own, so that only
    this worker signals it: SIGTERM when the pruner says so, the signal the worker got
    when it is stopped. Returns (exit status, pruned)."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=die_with_worker)  # pylint: disable=subprocess-popen-preexec-fn
    pruned = signalled = False
    while True:
        done = proc.poll() is not None
        # lintrain is held (SIGSTOP) while the pruner looks at its new epochs, so that a
        # fast run cannot finish before a decision to stop it lands; SIGTERM then waits
        # for SIGCONT, and lintrain checkpoints in the epoch after the one reported.
        held = not done and not pruned and follower.grew()
        if held:
            proc.send_signal(signal.SIGSTOP)
        if not pruned and follower.poll(prune=True):
            pruned = True
            if not done:
                proc.send_signal(signal.SIGTERM)
        if held:
            proc.send_signal(signal.SIGCONT)
        if done:
            return proc.returncode, pruned
        if stop.to_forward() and not signalled and not pruned:
            proc.send_signal(stop.signal)
            signalled = True
        time.sleep(POLL)


def last_epoch(folder):
    """The last epoch line's epoch in folder/metrics.jsonl: the epochs lintrain ran."""
    follower = Follower(folder, None, "epoch")
    values = follower.epoch_values()
    return values[-1][0] if values else 0


def epochs_run(sweep_dir):
    """The epochs that the trials of sweep.json ran, in all."""
    trials = sl.load_json(os.path.join(sweep_dir, "sweep.json"))["trials"]
    return sum(last_epoch(os.path.join(sweep_dir, "trials", t["id"])) for t in trials)


def replay(folder, follower, record):
    """A trial folder that holds a result already (a repeated draw, or a grid trial run
    before the study knew it): its epochs are reported, nothing is run."""
    status = record.get("status") if record else None
    if status != "pruned":
        summary = sl.read_json_or_none(os.path.join(folder, "summary.json")) or {}
        status = summary.get("status")
    follower.poll(prune=False, upto=record.get("epoch") if status == "pruned" else None)
    return status


def run_trial(folder, follower, stop, threads, lintrain):
    """Runs a trial folder (resumed from its checkpoint, or afresh; as sweeplib's
    run_trial) while following it. Returns the status.json record."""
    tid = os.path.basename(folder)
    status_path = os.path.join(folder, "status.json")
    if os.path.exists(status_path):
        os.remove(status_path)
    config = os.path.join(folder, "trial_config.json")
    fresh = [lintrain, "--config", config, "--force", "--quiet", "--set", f"train.threads={threads}"]
    cmds = [fresh]
    if os.path.exists(os.path.join(folder, "checkpoint.bin")):
        cmds.insert(0, [lintrain, "--resume", folder, "--quiet"])
    t0 = time.monotonic()
    log_path = os.path.join(folder, "log.txt")
    with open(log_path, "w", encoding="utf-8") as log:
        for cmd in cmds:
            start = log.tell()
            rc, pruned = run_lintrain(cmd, log, follower, stop)
            if pruned or stop.signal or rc not in (1, 2):
                break
    seconds = time.monotonic() - t0
    with open(log_path, encoding="utf-8", errors="replace") as f:
        f.seek(start)
        error = sl.last_line(f.read().split("\n", 1)[-1])
    summary = sl.read_json_or_none(os.path.join(folder, "summary.json")) or {}
    status = sl.STATUS_OF_EXIT.get(rc, "killed" if rc < 0 else "failed")
    if status in sl.FINISHED and summary.get("status") != status:
        status = "failed"
    if pruned:
        status, error = "pruned", f"pruned by the pruner after epoch {follower.epoch}"
    elif stop.signal:
        status, error = "killed", f"interrupted by signal {stop.signal}: the next run goes on"
    elif rc < 0:
        error = f"killed by signal {-rc}"
    elif status == "ok":
        error = None
    record = {"id": tid, "status": status, "exit": rc, "error": error,
              "epoch": follower.epoch, "value": follower.value,
              "epochs_run": last_epoch(folder), "seconds": round(seconds, 3),
              "threads": threads, "host": socket.gethostname()}
    sl.write_atomic(status_path, sl.dumps(record))
    print(sl.describe(folder, status, summary, seconds, error), flush=True)
    return record


def tell(study, trial, status, folder, metric):
    """Ends the Optuna trial as the trial folder ended."""
    trial.set_user_attr("status", status)
    summary = sl.read_json_or_none(os.path.join(folder, "summary.json")) or {}
    value = summary.get(metric)
    if status == "ok" and sl.is_number(value):
        study.tell(trial, value)
    elif status == "pruned":
        study.tell(trial, state=study_state("PRUNED"))
    else:
        study.tell(trial, state=study_state("FAIL"))


def worker(sweep_dir, threads, lintrain, storage_url):
    """One worker's loop (scripts/sweep --worker). Returns its exit status: 0, or 130
    when it was stopped by a signal."""
    stop = Interrupt()
    stop.install()
    optuna = import_optuna()
    manifest = sl.load_json(os.path.join(sweep_dir, "sweep.json"))
    spec = manifest["spec"]
    study = open_study(optuna, sweep_dir, storage_url, spec, fixed_epochs(manifest.get("trial_base", manifest["base"]), spec))
    while not stop.signal:
        got = next_trial(optuna, study, sweep_dir, spec)
        if got is None:
            break
        trial, tid = got
        folder = os.path.join(sweep_dir, "trials", tid)
        follower = Follower(folder, trial, spec["metric"])
        if sl.is_complete(folder):
            status = replay(folder, follower, sl.read_json_or_none(
                os.path.join(folder, "status.json")) or {})
            print(f"{tid}  complete ({status}), reported to the study", flush=True)
        else:
            task = slurm_task()
            print(f"{tid}  running" + (f" (Slurm array task {task})" if task else ""), flush=True)
            status = run_trial(folder, follower, stop, threads, lintrain)["status"]
        if stop.signal and status not in sl.FINISHED + ("pruned",):
            trial.set_user_attr("status", "interrupted")
            study.tell(trial, state=study_state("FAIL"))
            break
        tell(study, trial, status, folder, spec["metric"])
    return 130 if stop.signal else 0


# ---- the coordinator ------------------------------------------------------------------------

def sweep_study(args, manifest):
    """The study of the sweep folder args.out (at args.storage when given)."""
    spec = manifest["spec"]
    return open_study(import_optuna(), args.out, args.storage, spec,
                      fixed_epochs(manifest.get("trial_base", manifest["base"]), spec))


def prepare_study(args, manifest):
    """Opens (or makes) the study of a prepared sweep folder and puts back what a stopped
    run left: only while no worker of the sweep is alive. Returns (the trials queued,
    the trials left to take)."""
    out, spec = args.out, manifest["spec"]
    if not args.storage:
        clear_stale_lock(out)
    study = sweep_study(args, manifest)
    expected = [] if spec.get("sampler") == "tpe" else [t["id"] for t in manifest["trials"]]
    with StudyLock(out):
        n = put_back(study, out, expected)
        left = trials_left(study.get_trials(deepcopy=False), spec)
    return n, left


def run(args, manifest, lintrain):
    """Runs the Optuna sweep of a prepared sweep folder: puts back what a stopped run
    left, starts the workers and waits for them. Returns the number of epochs the
    trials ran, or None when the sweep was stopped by a signal."""
    out = args.out
    n, left = prepare_study(args, manifest)
    if not left:
        print("sweep: the study has every trial's result: nothing to run")
        return epochs_run(out)
    cores = sl.usable_cores()
    jobs = min(args.jobs or cores, cores)
    threads = max(1, cores // jobs)
    print(f"sweep: Optuna study {STUDY} in {args.storage or os.path.join(out, JOURNAL)}: "
          f"{n} trials queued; {jobs} worker{'s' if jobs > 1 else ''} with {threads} thread"
          f"{'s' if threads > 1 else ''} each", flush=True)
    stop = Interrupt()
    stop.install()
    cmd = [sys.executable, os.path.join(sl.SCRIPTS, "sweep"), "--worker", out,
           "--threads", str(threads), "--lintrain", lintrain]
    if args.storage:
        cmd += ["--storage", args.storage]
    procs = [subprocess.Popen(cmd) for _ in range(jobs)]
    forwarded = False
    while any(p.poll() is None for p in procs):
        if stop.signal and not forwarded:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(stop.signal)
            forwarded = True
        time.sleep(0.1)
    if stop.signal:
        return None
    bad = [p.returncode for p in procs if p.returncode != 0]
    if bad:
        print(f"sweep: {len(bad)} workers failed (exit {', '.join(map(str, bad))})",
              file=sys.stderr)
    return epochs_run(out)


def worker_main(args):
    """scripts/sweep --worker DIR."""
    return worker(args.worker, args.threads, sl.find_lintrain(args.lintrain), args.storage)
