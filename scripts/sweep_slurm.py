"""sweep_slurm — the Slurm side of scripts/sweep (docs/sweeps.md, "On a cluster").

  --slurm                    writes DIR/sweep.sbatch, a job array of the trials still to
                             run (DIR/slurm_trials.txt, one trial per task), and runs nothing
  --slurm --submit           also submits it with sbatch (DIR/slurm_job.json: its job id)
  --slurm --submit --wait    and returns when the array has ended; a task that ended
                             without recording its trial (cancelled, timed out, node lost)
                             gets a status.json saying how it ended. The sweep then writes
                             the leaderboard, as a local sweep does.

With an Optuna spec (a tpe sampler or a pruner) each array task is instead a worker
(scripts/sweep --worker DIR) that asks the shared study for trials until the budget is
spent; --jobs J gives the array J tasks. What a stopped array left unfinished in the
study is put back here, before the array is written, while none of its workers lives.

Slurm does the scheduling; this module only writes the script and calls sbatch, sinfo,
squeue and scontrol. Python 3 standard library (Optuna through sweep_optuna).
"""

import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import sweep_optuna
import sweeplib
from sweeplib import Failure, UsageError

# What to do when no cluster answers: the one-node cluster of this repository.
LOCAL_HINT = ("for a one-node cluster on this machine: scripts/slurm_local.sh start, "
              'then eval "$(scripts/slurm_local.sh env)" (sets SLURM_CONF)')
# Seconds a Slurm command may take before the controller counts as not answering.
COMMAND_TIMEOUT = 60
# Where Slurm's commands read slurm.conf when SLURM_CONF is not set: Debian's file, or
# the copy a configless slurmd keeps.
DEFAULT_CONF = "/etc/slurm/slurm.conf"
CONFIGLESS_CONF = "/run/slurm/conf/slurm.conf"
# Node states (sinfo %t) in which a node takes jobs.
USABLE_NODE_STATES = ("idle", "mix", "alloc", "comp")
# Array tasks (workers) of an Optuna sweep when --jobs is not given, fewer when fewer
# trials are left: TPE and the pruners decide from the trials that have reported, and a
# budget whose trials all start at once leaves them nothing to decide from.
DEFAULT_WORKERS = 4

SBATCH = """#!/bin/bash
# A Slurm job array that runs the pending trials of the sweep {out}, one trial per
# array task, {max_running} at a time. Submit it from anywhere:
#     sbatch {script}
# (options given to sbatch override these lines, e.g. --cpus-per-task=4 --time=1:00:00;
# each trial gets --cpus-per-task OpenBLAS threads). When the array is done:
#     {leaderboard} {out_q}
# or chain it: sbatch --dependency=afterany:JOBID --wrap '{leaderboard} {out_q}'
# A task whose trial is complete exits at once, so resubmitting reruns only the
# trials that failed; scripts/sweep ... --slurm again writes an array of those alone.
#SBATCH --job-name=lintrain-sweep
#SBATCH --array=0-{last}%{max_running}
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --output={logs}/%A_%a.out
set -euo pipefail
cd {cwd}
trial=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {pending})
[ -n "$trial" ] || {{ echo "no trial for array task $SLURM_ARRAY_TASK_ID in {pending}" >&2; exit 1; }}
exec {sweep} --trial "$trial" --threads "${{SLURM_CPUS_PER_TASK:-1}}" --lintrain {lintrain}
"""

SBATCH_WORKERS = """#!/bin/bash
# A Slurm job array of {workers} of the Optuna sweep {out}: each task asks the
# study for a trial, runs it, and again until the budget is spent (a task that starts
# when nothing is left exits at once). The study: {storage}
# Write and submit this file with
#     scripts/sweep ... --slurm --submit
# which first puts back in the study the trials that a stopped array left unfinished
# (they resume from their checkpoints): sbatch this file again after an array was
# cancelled and those trials stay out. Options given to sbatch override these lines,
# e.g. --cpus-per-task=4 (each trial gets that many OpenBLAS threads). When it is done:
#     {leaderboard} {out_q}
#SBATCH --job-name=lintrain-sweep
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --output={logs}/%A_%a.out
set -euo pipefail
cd {cwd}
exec {sweep} --worker {out_q} --threads "${{SLURM_CPUS_PER_TASK:-1}}" --lintrain {lintrain}{storage_opt}
"""


def plural(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def quoted_abspath(path):
    return shlex.quote(os.path.abspath(path))


def write_slurm(args, pending, lintrain):
    """Writes DIR/slurm_trials.txt and DIR/sweep.sbatch; returns the script's path."""
    out = args.out
    logs = os.path.join(out, "slurm")
    os.makedirs(logs, exist_ok=True)
    pending_file = os.path.join(out, "slurm_trials.txt")
    sweeplib.write_atomic(pending_file, "".join(d + "\n" for d in pending))
    script = os.path.join(out, "sweep.sbatch")
    q = quoted_abspath
    sweeplib.write_atomic(script, SBATCH.format(
        out=os.path.abspath(out), out_q=q(out), script=q(script), last=len(pending) - 1,
        max_running=args.jobs or len(pending), logs=q(logs), cwd=q(os.getcwd()),
        pending=q(pending_file), sweep=q(os.path.join(sweeplib.SCRIPTS, "sweep")),
        leaderboard=q(os.path.join(sweeplib.SCRIPTS, "leaderboard")),
        lintrain=shlex.quote(lintrain)))
    os.chmod(script, 0o755)
    if not args.submit:
        print(f"sweep: {script}: a job array of {len(pending)} trials; submit it with "
              f"sbatch {script}, then run scripts/leaderboard {out}")
    return script


def write_workers(args, tasks, lintrain):
    """Writes DIR/sweep.sbatch, an array of tasks workers; returns the script's path."""
    out = args.out
    logs = os.path.join(out, "slurm")
    os.makedirs(logs, exist_ok=True)
    stale = os.path.join(out, "slurm_trials.txt")  # a grid array's, if the spec was one
    if os.path.exists(stale):
        os.remove(stale)
    script = os.path.join(out, "sweep.sbatch")
    q = quoted_abspath
    storage = args.storage or os.path.join(os.path.abspath(out), sweep_optuna.JOURNAL)
    sweeplib.write_atomic(script, SBATCH_WORKERS.format(
        workers=plural(tasks, "worker"), out=os.path.abspath(out), out_q=q(out), storage=storage,
        leaderboard=q(os.path.join(sweeplib.SCRIPTS, "leaderboard")), last=tasks - 1,
        logs=q(logs), cwd=q(os.getcwd()), sweep=q(os.path.join(sweeplib.SCRIPTS, "sweep")),
        lintrain=shlex.quote(lintrain),
        storage_opt=f" --storage {shlex.quote(args.storage)}" if args.storage else ""))
    os.chmod(script, 0o755)
    if not args.submit:
        print(f"sweep: {script}: a job array of {plural(tasks, 'worker')}; "
              f"submit it once with sbatch {script}, then run scripts/leaderboard {out}")
    return script


# ---- talking to the cluster ----------------------------------------------------------

def slurm(argv):
    """Runs a Slurm command; returns (exit status, stdout, stderr's last line)."""
    if not shutil.which(argv[0]):
        raise Failure(f"{argv[0]} not found: Slurm's commands are not installed here; "
                      + LOCAL_HINT)
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              errors="replace", timeout=COMMAND_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(argv)}: no answer from the Slurm controller in "
                      f"{COMMAND_TIMEOUT} s; {LOCAL_HINT}") from None
    return proc.returncode, proc.stdout, sweeplib.last_line(proc.stderr) or ""


def check_options(args):
    if args.submit and not args.slurm:
        raise UsageError("--submit: needs --slurm (it submits the job array --slurm writes)")
    if args.wait and not args.submit:
        raise UsageError("--wait: needs --slurm --submit")


def configured():
    """Whether Slurm's commands have a slurm.conf to read (without one they retry for a
    minute before they fail)."""
    conf = os.environ.get("SLURM_CONF") or DEFAULT_CONF
    return os.path.isfile(conf) or os.path.isfile(CONFIGLESS_CONF)


def check_cluster():
    """Fails unless sbatch is installed, a controller answers and a node takes jobs."""
    if not shutil.which("sbatch"):
        raise Failure("sbatch not found: Slurm's commands are not installed here; " + LOCAL_HINT)
    conf = os.environ.get("SLURM_CONF") or DEFAULT_CONF
    if not configured():
        # Slurm's commands would retry for a minute before saying so.
        raise Failure(f"no Slurm configuration: {conf} does not exist"
                      f"{'' if os.environ.get('SLURM_CONF') else ' and SLURM_CONF is not set'}; "
                      + LOCAL_HINT)
    rc, out, err = slurm(["sinfo", "-h", "-o", "%t"])
    if rc != 0:
        raise Failure(f"no Slurm cluster answers (sinfo: {err or f'exit {rc}'}); {LOCAL_HINT}")
    states = sorted(set(out.split()))
    if not any(s.rstrip("*~#!%$@^-") in USABLE_NODE_STATES for s in states):
        raise Failure(f"no node of the Slurm cluster takes jobs (node states: "
                      f"{', '.join(states) or 'none'}); sinfo -R says why")


def queued_tasks(job):
    """The states of the job's tasks still queued or running ([] once it has ended)."""
    rc, out, err = slurm(["squeue", "-h", "-r", "-j", str(job), "-o", "%T"])
    if rc != 0:
        if "Invalid job id" in err:
            return []  # ended so long ago that the controller forgot it
        raise Failure(f"squeue -j {job}: {err or f'exit {rc}'}")
    return out.split()


def job_file(out):
    return os.path.join(out, "slurm_job.json")


def refuse_if_running(out):
    """A rerun must not rewrite the array file while an earlier array still reads it."""
    earlier = sweeplib.read_json_or_none(job_file(out))
    if isinstance(earlier, dict) and sweeplib.is_int(earlier.get("job")):
        if queued_tasks(earlier["job"]):
            raise Failure(f"the array {earlier['job']} of this sweep is still queued or "
                          f"running: wait for it (squeue -j {earlier['job']}) or cancel it "
                          f"(scancel {earlier['job']}), then run this again")


def submit(script, out, count, what=None):
    """sbatch script (an array of count tasks, each a trial, or what they are)."""
    rc, stdout, err = slurm(["sbatch", "--parsable", script])
    job = stdout.strip().split(";")[0]
    if rc != 0 or not job.isdigit():
        raise Failure(f"sbatch {script}: {err or f'exit {rc}'}")
    job = int(job)
    record = {"job": job, "tasks": count}
    if what is None:
        record["trials"] = os.path.join(out, "slurm_trials.txt")
    record["submitted"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    sweeplib.write_atomic(job_file(out), sweeplib.dumps(record))
    what = what or plural(count, "trial")
    print(f"sweep: submitted job array {job} ({what}): squeue -j {job} shows it, "
          f"scancel {job} cancels it", flush=True)
    return job


def wait(job, out):
    """Polls squeue until the array has ended, printing the task states as they change."""
    t0 = time.monotonic()
    shown = None
    try:
        while True:
            states = queued_tasks(job)
            if not states:
                break
            tally = ", ".join(f"{states.count(s)} {s.lower()}" for s in sorted(set(states)))
            if tally != shown:
                print(f"sweep: array {job}: {tally}", flush=True)
                shown = tally
            time.sleep(min(10, 1 + (time.monotonic() - t0) // 30))
    except KeyboardInterrupt:
        print(f"\nsweep: stopped waiting; the array {job} goes on (scancel {job} cancels it). "
              f"Run the same command again, or scripts/leaderboard {out}, once it has ended.",
              file=sys.stderr)
        raise SystemExit(130) from None
    print(f"sweep: array {job} ended after {time.monotonic() - t0:.0f}s", flush=True)


def task_states(job):
    """{array task id: final state} from scontrol, while the controller remembers the job."""
    rc, out, _ = slurm(["scontrol", "-o", "show", "job", str(job)])
    states = {}
    if rc != 0:
        return states
    for line in out.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields.get("ArrayTaskId", "").isdigit():
            states[int(fields["ArrayTaskId"])] = fields.get("JobState", "")
    return states


def record_ended(job, pending):
    """Gives status.json to each trial whose task ended before the trial could write one."""
    for task, state in sorted(task_states(job).items()):
        if state == "COMPLETED" or task >= len(pending):
            continue
        trial = pending[task]
        if sweeplib.is_complete(trial) or os.path.exists(os.path.join(trial, "status.json")):
            continue
        record_killed(trial, f"{job}_{task}", state)


def record_killed(folder, task, state):
    """Records in folder/status.json that its trial's array task ended in state."""
    status_path = os.path.join(folder, "status.json")
    record = sweeplib.read_json_or_none(status_path)
    record = record if isinstance(record, dict) else {"id": os.path.basename(folder), "exit": None}
    error = f"Slurm array task {task} ended {state}"
    record.update({"status": "killed", "error": error, "slurm_job": task})
    sweeplib.write_atomic(status_path, sweeplib.dumps(record))
    print(f"{os.path.basename(folder)}  killed        {error}")


def record_ended_workers(args, manifest, job):
    """Gives a status.json to each trial that a worker of the array was running when
    its task ended otherwise than by finishing (cancelled, timed out, node lost): the
    worker stopped by a signal recorded it as killed, one killed outright could not."""
    states = task_states(job)
    for t in sweep_optuna.sweep_study(args, manifest).get_trials(deepcopy=False):
        task, tid = t.user_attrs.get("slurm_task", ""), t.user_attrs.get("trial")
        if (not tid or task.split("_")[0] != str(job) or t.state.name not in ("RUNNING", "FAIL")
                or t.user_attrs.get("status") not in (None, "interrupted")):
            continue
        folder = os.path.join(args.out, "trials", tid)
        if not sweeplib.is_complete(folder):
            record_killed(folder, task, states.get(int(task.split("_")[1]), "UNKNOWN"))


def run_workers(args, manifest, lintrain):
    """--slurm with an Optuna spec: puts back what a stopped array left (refusing while
    an array of the sweep is queued or running) and writes an array of workers; with
    --submit submits it, with --wait waits for it to end."""
    if args.submit or (os.path.exists(job_file(args.out)) and shutil.which("squeue")
                       and configured()):
        refuse_if_running(args.out)
    queued, left = sweep_optuna.prepare_study(args, manifest)
    if not left:
        print("sweep: the study has every trial's result: nothing to submit")
        return
    tasks = min(args.jobs or DEFAULT_WORKERS, left)
    print(f"sweep: Optuna study {sweep_optuna.STUDY} in "
          f"{args.storage or os.path.join(args.out, sweep_optuna.JOURNAL)}: "
          f"{plural(queued, 'trial')} queued, {left} to run", flush=True)
    script = write_workers(args, tasks, lintrain)
    if not args.submit:
        return
    job = submit(script, args.out, tasks, f"{plural(tasks, 'worker')} for {plural(left, 'trial')}")
    if args.wait:
        wait(job, args.out)
        record_ended_workers(args, manifest, job)
        print(f"sweep: the trials' folders hold {sweep_optuna.epochs_run(args.out)} epochs")


def run(args, pending, lintrain):
    """--slurm: writes the array of the pending trials; with --submit submits it, with
    --wait waits for it to end."""
    if not pending:
        print("sweep: nothing to submit")
        return
    if args.submit:
        refuse_if_running(args.out)
    script = write_slurm(args, pending, lintrain)
    if not args.submit:
        return
    job = submit(script, args.out, len(pending))
    if args.wait:
        wait(job, args.out)
        record_ended(job, pending)
