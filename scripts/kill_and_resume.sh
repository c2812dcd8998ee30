#!/bin/sh
# Kills a run with SIGKILL once its metrics.jsonl shows N epochs, resumes it with
# --resume, trains the same config uninterrupted, and compares the two run folders:
# weights.npy and bias.npy byte for byte, metrics.jsonl and summary.json but for their
# "seconds". Exit 0 when identical.
#   scripts/kill_and_resume.sh CONFIG N [--set key=VALUE]...
# Run folders: runs/kill-resume/{killed,reference}. Uses ./lintrain.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 CONFIG N [--set key=VALUE]..." >&2; exit 2; }
config=$1
after=$2
shift 2
out=runs/kill-resume
rm -rf "$out"
mkdir -p "$out"
epochs() {
    if [ -f "$out/killed/metrics.jsonl" ]; then
        grep -c '"type":"epoch"' "$out/killed/metrics.jsonl" || true
    else
        echo 0
    fi
}

./lintrain --config "$config" "$@" --out "$out/killed" --quiet &
pid=$!
while kill -0 "$pid" 2>/dev/null && [ "$(epochs)" -lt "$after" ]; do sleep 0.05; done
kill -KILL "$pid" 2>/dev/null || { echo "the run ended before the kill: raise N's margin" >&2; exit 1; }
wait "$pid" || true
echo "killed after $(epochs) epoch lines; checkpoint: $(ls -l "$out/killed/checkpoint.bin" | awk '{print $5}') bytes"
./lintrain --resume "$out/killed" --quiet
./lintrain --config "$config" "$@" --out "$out/reference" --quiet
cmp "$out/killed/weights.npy" "$out/reference/weights.npy"
cmp "$out/killed/bias.npy" "$out/reference/bias.npy"
for f in metrics.jsonl summary.json; do
    strip() { sed 's/"seconds":[^,}]*//' "$1"; }
    strip "$out/killed/$f" > "$out/a" && strip "$out/reference/$f" > "$out/b"
    cmp "$out/a" "$out/b"
done
echo "identical: weights.npy, bias.npy, metrics.jsonl and summary.json (but for seconds)"
