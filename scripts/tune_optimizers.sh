#!/bin/sh
# tune_optimizers.sh — the validation grid behind the optimizer configs
# (docs/optimizers.md, "How the shipped configs' rates were chosen"): 49 runs of
# configs/softmax_sgd.json (20 epochs, batch 256, L2 λ 1e2, mean_image) with one
# optimizer's keys overridden, each printed as
#   NAME  val_acc  test_acc  train_loss
# Needs the full data set (scripts/get_cifar10.sh) and ./lintrain (make). About 15
# minutes on 2 idle cores; JOBS runs in parallel (default 2, one OpenBLAS thread each).
# Run folders go to runs/tune/NAME/.
set -u
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.." || exit 1
[ -x ./lintrain ] || { echo "tune_optimizers.sh: build ./lintrain first (make)" >&2; exit 1; }

run() {  # NAME SETS...
    name=$1; shift
    ./lintrain --config configs/softmax_sgd.json --quiet --force --out "runs/tune/$name" \
        --set train.threads=1 "$@" >/dev/null 2>&1
    s="runs/tune/$name/summary.json"
    field() { grep -o "\"$1\":[^,]*" "$s" 2>/dev/null | cut -d: -f2 | tr -d ' \t'; }
    printf '%-26s %-8s %-8s %s\n' "$name" "$(field val_acc)" "$(field test_acc)" "$(field train_loss)"
}

case "${1:-}" in
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
esac
if [ "${1:-}" = "--one" ]; then
    shift
    run "$@"
    exit 0
fi

grid() {
    for lr in 1e-7 3e-7 1e-6; do for o in momentum nesterov; do
        echo "$o-$lr --set optimizer.name=$o --set optimizer.lr=$lr"; done; done
    for lr in 1e-7 3e-7; do for o in momentum nesterov; do
        echo "$o-$lr-cos --set optimizer.name=$o --set optimizer.lr=$lr --set schedule.name=cosine"; done; done
    for lr in 1e-5 3e-5 1e-4 3e-4 1e-3; do for o in adagrad rmsprop adam; do
        echo "$o-$lr --set optimizer.name=$o --set optimizer.lr=$lr"; done; done
    for lr in 3e-5 1e-4; do
        echo "adagrad-$lr-cos --set optimizer.name=adagrad --set optimizer.lr=$lr --set schedule.name=cosine"; done
    for lr in 1e-6 3e-6 1e-5; do for o in adam rmsprop; do
        [ "$lr" = 1e-5 ] || echo "$o-$lr --set optimizer.name=$o --set optimizer.lr=$lr"
        echo "$o-$lr-cos --set optimizer.name=$o --set optimizer.lr=$lr --set schedule.name=cosine"; done; done
    for lr in 1e-6 3e-6; do
        echo "sgd-$lr-cos --set optimizer.lr=$lr --set schedule.name=cosine"; done
    for wd in 1 10 30 100; do
        echo "adamw-3e-6-wd$wd --set optimizer.name=adamw --set optimizer.lr=3e-6 --set optimizer.weight_decay=$wd --set regularization.type=none --set schedule.name=cosine"; done
    for wd in 1 10 100 300; do
        echo "adamw-1e-5-wd$wd --set optimizer.name=adamw --set optimizer.lr=1e-5 --set optimizer.weight_decay=$wd --set regularization.type=none --set schedule.name=cosine"; done
}

printf '%-26s %-8s %-8s %s\n' NAME val_acc test_acc train_loss
grid | xargs -P "${JOBS:-2}" -L 1 "$self" --one
# L-BFGS: full batch, 3 epochs of 100 iterations, two threads, one at a time.
for lam in 1e2 1e3; do
    run "lbfgs-$lam" --set optimizer='{"name": "lbfgs", "max_iter": 100}' \
        --set train.batch_size=0 --set train.epochs=3 --set regularization.lambda="$lam" \
        --set train.threads=2
done
