#!/bin/sh
# A one-node Slurm cluster on this machine, for trying and testing Slurm sweeps:
#   scripts/slurm_local.sh start    munge key, slurm.conf for this host's cores and memory,
#                                   then munged, slurmctld and slurmd (each unless running)
#   scripts/slurm_local.sh stop     cancels every job, stops the three daemons and any
#                                   slurmstepd of this cluster: nothing left running
#   scripts/slurm_local.sh status   what runs (exit 0 when all three daemons do, else 3)
#   scripts/slurm_local.sh env      prints the line that points Slurm's commands here:
#                                   eval "$(scripts/slurm_local.sh env)"
# Everything lives in one folder, $LINTRAIN_SLURM_DIR (default: build/slurm of this
# repository): the key, slurm.conf, state, spool, logs, pid files and the munge socket.
# The controller listens on 127.0.0.1:$LINTRAIN_SLURM_PORT (default 6817), slurmd on the
# next port. The daemons run as root (SlurmUser=root), as `make test-slurm` and CI do.
# Debian's munge, slurmctld, slurmd and slurm-client (22.05) are installed when missing.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LINTRAIN_SLURM_DIR:-$REPO/build/slurm}
PORT=${LINTRAIN_SLURM_PORT:-6817}
PKGS="munge slurmctld slurmd slurm-client"
CONF=$DIR/slurm.conf
RUN=$DIR/run
NODE=$(hostname -s 2>/dev/null || hostname)
export SLURM_CONF="$CONF"
# The daemons, and so every slurmstepd they start, carry MARK in their environment: stop
# finds leftovers by it, not by name.
MARK="LINTRAIN_SLURM_CLUSTER=$DIR"

say() { echo "slurm_local: $*"; }
die() { echo "slurm_local: $*" >&2; exit 1; }

# The pid in a pid file when that process is alive and is the named daemon.
pid_of() {
    pidfile=$RUN/$1.pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q "$1" || return 1
    echo "$pid"
}

# Waits up to $2 tenths of a second for the command $1 to succeed.
wait_for() {
    n=0
    until eval "$1" >/dev/null 2>&1; do
        n=$((n + 1))
        [ "$n" -le "$2" ] || return 1
        sleep 0.1
    done
}

install_packages() {
    for b in munged slurmctld slurmd sbatch; do
        if ! command -v "$b" >/dev/null 2>&1; then
            say "installing Slurm and munge from Debian ($PKGS)"
            "$REPO/scripts/deps.sh" $PKGS
            return
        fi
    done
}

# MiB of memory Slurm may hand out: 90% of MemTotal, the rest for the system.
real_memory() {
    awk '/^MemTotal:/ { printf "%d\n", $2 / 1024 * 0.9 }' /proc/meminfo
}

write_conf() {
    cpus=$(nproc)
    mem=$(real_memory)
    cat > "$CONF.tmp" <<EOF
# Written by scripts/slurm_local.sh start for this machine ($cpus CPUs, $mem MiB for jobs).
ClusterName=lintrain
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$RUN/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# No cgroups: processes tracked by their parents, tasks not bound to cores.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
# A node that was down comes back when its slurmd registers; trust this file's sizes.
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.tmp" "$CONF"
}

start_munged() {
    if pid_of munged >/dev/null; then return; fi
    key=$DIR/munge/munge.key
    if [ ! -s "$key" ]; then
        # 1024 random bytes; munged wants the key readable by its user alone.
        (umask 077 && head -c 1024 /dev/urandom > "$key.tmp" && mv "$key.tmp" "$key")
    fi
    chmod 0400 "$key"
    rm -f "$RUN/munge.socket" "$RUN/munge.socket.lock"
    env "$MARK" munged --key-file="$key" --socket="$RUN/munge.socket" --pid-file="$RUN/munged.pid" \
        --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" \
        || die "munged did not start; see $DIR/log/munged.log"
    wait_for "munge -S '$RUN/munge.socket' -n" 50 \
        || die "munged does not answer; see $DIR/log/munged.log"
}

start_slurmctld() {
    if pid_of slurmctld >/dev/null; then return; fi
    # -c: start clean; the jobs of a previous start died with its slurmd.
    env "$MARK" slurmctld -c -f "$CONF" || die "slurmctld did not start; see $DIR/log/slurmctld.log"
    wait_for "scontrol ping | grep -q UP" 200 \
        || die "slurmctld does not answer; see $DIR/log/slurmctld.log"
}

start_slurmd() {
    if pid_of slurmd >/dev/null; then return; fi
    env "$MARK" slurmd -f "$CONF" -N "$NODE" || die "slurmd did not start; see $DIR/log/slurmd.log"
    wait_for "sinfo -h -n '$NODE' -o %t | grep -Eq '^(idle|mix|alloc)'" 300 \
        || die "node $NODE is not up ($(sinfo -h -o '%t %E' 2>&1)); see $DIR/log/slurmd.log"
}

start() {
    install_packages
    mkdir -p "$DIR/munge" "$RUN" "$DIR/state" "$DIR/spool" "$DIR/log"
    chmod 0700 "$DIR/munge"
    chmod 0755 "$DIR" "$RUN"   # munged's socket must be reachable by every user
    if ! pid_of slurmctld >/dev/null; then write_conf; fi
    start_munged
    start_slurmctld
    start_slurmd
    status
    say "point Slurm's commands at it: export SLURM_CONF=$CONF"
}

# Processes whose environment holds this cluster's mark (the daemons and their slurmstepd).
marked_pids() {
    for env in /proc/[0-9]*/environ; do
        pid=${env#/proc/}
        pid=${pid%/environ}
        if { tr '\0' '\n' < "$env"; } 2>/dev/null | grep -qxF "$MARK"; then
            echo "$pid"
        fi
    done
}

# Sends SIGTERM to the pids given, then SIGKILL to those alive 10 s later.
end_pids() {
    [ $# -gt 0 ] || return 0
    kill "$@" 2>/dev/null || true
    for _ in $(seq 100); do
        alive=""
        for p in "$@"; do if kill -0 "$p" 2>/dev/null; then alive="$alive $p"; fi; done
        [ -n "$alive" ] || return 0
        sleep 0.1
    done
    # shellcheck disable=SC2086 # a list of pids
    kill -9 $alive 2>/dev/null || true
}

stop() {
    if pid_of slurmctld >/dev/null && [ -f "$CONF" ]; then
        # Every job of the cluster: its tasks get SIGTERM (lintrain checkpoints), then
        # SIGKILL after KillWait.
        scancel --partition=local 2>/dev/null || true
        wait_for "[ -z \"\$(squeue -h -o %i 2>/dev/null)\" ]" 200 \
            || say "jobs still listed after 20 s: $(squeue -h -o '%i %T' | tr '\n' ' ')"
    fi
    for d in slurmd slurmctld munged; do
        if pid=$(pid_of "$d"); then end_pids "$pid"; fi
        rm -f "$RUN/$d.pid"
    done
    # shellcheck disable=SC2046 # a list of pids
    end_pids $(marked_pids)
    rm -f "$RUN/munge.socket" "$RUN/munge.socket.lock"
    status || true
}

status() {
    up=0
    for d in munged slurmctld slurmd; do
        if pid=$(pid_of "$d"); then
            say "$d running (pid $pid)"
            up=$((up + 1))
        else
            say "$d not running"
        fi
    done
    left=$(marked_pids | tr '\n' ' ')
    [ "$up" -gt 0 ] || [ -z "$left" ] || say "processes of this cluster still running: $left"
    if [ "$up" = 3 ]; then
        nodes=$(sinfo -h -o '%D node(s) %t, %c CPUs, %m MiB' 2>&1)
        say "cluster $DIR: $nodes, $(squeue -h 2>/dev/null | wc -l) job(s) queued"
        return 0
    fi
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
