"""sweep_plot — DIR/sweep.png, the picture of a sweep, drawn with gnuplot (Debian package
gnuplot-nox) as scripts/plot_curves draws a run's curves.png. The leaderboard draws it
(at the end of every sweep, and scripts/leaderboard DIR).

Left: the CS231n assignment's plot. The two most important swept keys are the axes,
each trial a point coloured by the spec's metric (darker is better), pruned trials
drawn as triangles, trials without a result as grey crosses, the best trial circled.
"Most important": among the swept keys that take two numeric values or more, the two
whose values have the largest rank correlation (|Spearman rho|) with the metric over
the finished trials; ties, or fewer than 3 finished trials, go to the key with more
distinct values, then to the spec's order. An axis is logarithmic for a log_uniform
key, and for a grid or choice key whose values are all positive and span a factor of
10 or more. With one such key the y axis is the metric; with none, x is the trial's
number too.

Right: each finished or pruned trial's validation curve over epochs from its
metrics.jsonl (the spec's metric when the epoch lines have it, else its validation
counterpart: best_val_acc, test_acc -> val_acc, test_data_loss -> val_data_loss),
coloured as on the left; pruned trials dashed, ending with a cross where they stopped.

LINTRAIN_GNUPLOT names the gnuplot to run; without one, a line says so and no picture
is drawn (not a failure).
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

# The quantities of metrics.jsonl's epoch lines (docs/run-folder.md).
EPOCH_FIELDS = ("val_acc", "val_data_loss", "train_acc", "train_loss", "train_data_loss",
                "train_penalty")
# Worst (light) to best (dark): viridis reversed, so that good trials stand out.
PALETTE = "0 '#fde725', 0.25 '#5ec962', 0.5 '#21918c', 0.75 '#3b528b', 1 '#440154'"


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def curve_field(metric):
    if metric in EPOCH_FIELDS:
        return metric
    guess = metric.replace("best_", "").replace("test_", "val_")
    return guess if guess in EPOCH_FIELDS else "val_acc"


def read_curve(folder, field):
    """[(epoch, value)] of the epoch lines of folder/metrics.jsonl (the last line of
    an epoch when a resumed run wrote it twice)."""
    points = {}
    try:
        with open(os.path.join(folder, "metrics.jsonl"), encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill
                if isinstance(rec, dict) and rec.get("type") == "epoch" \
                        and _number(rec.get("epoch")) and _number(rec.get(field)):
                    points[rec["epoch"]] = rec[field]
    except OSError:
        pass
    return sorted(points.items())


def _ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(xs, ys):
    """Spearman's rank correlation (ties share their mean rank); 0 when a side is flat."""
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


def important_keys(keys, trials):
    """The swept keys with two numeric values or more, most important first (the rule
    of the module's docstring). trials: dicts with "params" and "value" (None unless
    finished ok)."""
    scored = []
    for order, key in enumerate(keys):
        values = [t["params"].get(key) for t in trials]
        if not all(_number(v) for v in values) or len(set(values)) < 2:
            continue
        done = [(t["params"][key], t["value"]) for t in trials
                if t["status"] == "ok" and t["value"] is not None]
        rho = abs(spearman(*zip(*done))) if len(done) >= 3 else 0.0
        scored.append((-round(rho, 12), -len(set(values)), order, key, rho))
    return [(s[3], s[4]) for s in sorted(scored)]


def log_axis(spec, key, values):
    dist = spec.get("random", {}).get(key)
    if isinstance(dist, dict) and "log_uniform" in dist:
        return True
    return dist is None and min(values) > 0 and max(values) >= 10 * min(values)


def log_tics(axis, values):
    """A log axis, with tics at 1, 2 and 5 times the powers of ten when the values span
    less than 4 decades (gnuplot's own decades would leave one tic or none)."""
    lo, hi = min(values), max(values)
    if math.log10(hi / lo) >= 4:
        return f"set logscale {axis}\nset {axis}tics autofreq"
    tics = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)) - 1,
                                         math.ceil(math.log10(hi)) + 1) for m in (1, 2, 5)]
    shown = [f'"{t:g}" {t!r}' for t in tics if lo / 1.5 <= t <= hi * 1.5]
    return f"set logscale {axis}\nset {axis}tics ({', '.join(shown)})"


def _trial_points(sweep_dir, manifest, rows, field):
    metric = manifest["metric"]
    out = []
    for number, row in enumerate(rows, 1):
        folder = os.path.join(sweep_dir, "trials", row["trial"])
        curve = read_curve(folder, field) if row["status"] in ("ok", "pruned") else []
        value = row["summary"].get(metric) if row["status"] == "ok" else None
        if row["status"] == "pruned" and metric == field and curve:
            value = curve[-1][1]  # a pruned trial's last metric
        out.append({"trial": row["trial"], "status": row["status"], "number": number,
                    "params": row["params"], "value": value if _number(value) else None,
                    "curve": curve})
    return out


def _write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def _scatter_files(tmp, trials, x, y):
    files = {"ok": [], "pruned": [], "other": [], "best": []}
    for t in trials:
        xy = _xy(t, x, y)
        if t["value"] is None or t["status"] not in ("ok", "pruned"):
            if y is not None:  # the metric axis has no place for a trial without one
                files["other"].append(f"{xy[0]!r} {xy[1]!r}")
            continue
        files[t["status"]].append(f"{xy[0]!r} {xy[1]!r} {t['value']!r}")
    for name, lines in files.items():
        _write(os.path.join(tmp, f"pts_{name}.tsv"), lines)
    return files


def _curve_files(tmp, trials):
    ok, pruned, ends = [], [], []
    for t in trials:
        if not t["curve"] or t["value"] is None:
            continue
        block = ok if t["status"] == "ok" else pruned
        block += [f"{e!r} {v!r} {t['value']!r}" for e, v in t["curve"]] + [""]
        if t["status"] == "pruned":
            e, v = t["curve"][-1]
            ends.append(f"{e!r} {v!r} {t['value']!r}")
    for name, lines in (("ok", ok), ("pruned", pruned), ("ends", ends)):
        _write(os.path.join(tmp, f"curve_{name}.tsv"), lines)
    return {"ok": ok, "pruned": pruned, "ends": ends}


def _plot_items(tmp, files, kinds, empty):
    """gnuplot plot items for the data files that have lines; a note when none has."""
    items = [item.format(f=os.path.join(tmp, name)) for name, item in kinds
             if files.get(name.split("_", 1)[1].split(".")[0])]
    if not items:
        return (f'set label 1 "{empty}" at graph 0.5, 0.5 center\n'
                "plot [0:1] [0:1] NaN notitle\nunset label 1")
    return "plot " + ", \\\n     ".join(items)


def _script(out, manifest, name, trials, x, y, rho, field, tmp, files, curve_files):
    metric, mode = manifest["metric"], manifest["mode"]
    axis = {}
    for which, key in (("x", x), ("y", y)):
        shown = [t for t in trials if y is not None or t["value"] is not None] or trials
        values = [t["params"][key] for t in shown] if key else []
        axis[which] = (log_tics(which, values) if key and log_axis(manifest["spec"], key, values)
                       else f"unset logscale {which}\nset {which}tics autofreq")
    n_ok = sum(t["status"] == "ok" for t in trials)
    n_pruned = sum(t["status"] == "pruned" for t in trials)
    shown = [f"{a}: {k}" + (f" (|rho| {r:.2f})" if rho else "")
             for a, k, r in zip("xy", [x, y], rho or [0, 0]) if k]
    title = ", ".join(shown) if x else "no numeric swept key: trials in leaderboard order"
    max_epoch = max((t["curve"][-1][0] for t in trials if t["curve"]), default=0)
    scatter = _plot_items(tmp, files, [
        ("pts_ok.tsv", "'{f}' using 1:2:3 with points pt 7 ps 1.8 lc palette notitle"),
        ("pts_ok.tsv", "'{f}' using 1:2 with points pt 6 ps 1.8 lc rgb '#333333' title "
                       "'finished'"),
        ("pts_pruned.tsv", "'{f}' using 1:2:3 with points pt 9 ps 1.8 lc palette notitle"),
        ("pts_pruned.tsv", "'{f}' using 1:2 with points pt 8 ps 1.8 lc rgb '#333333' title "
                           "'pruned'"),
        ("pts_other.tsv", "'{f}' using 1:2 with points pt 2 ps 1.4 lc rgb '#999999' "
                          "title 'no result'"),
        ("pts_best.tsv", "'{f}' using 1:2 with points pt 6 ps 4 lw 2 lc rgb '#d62728' "
                         "title 'best'")], "no trial to show")
    curves = _plot_items(tmp, curve_files, [
        ("curve_ok.tsv", "'{f}' using 1:2:3 with lines lw 2 lc palette notitle"),
        ("curve_ok.tsv", "NaN with lines lw 2 lc rgb '#333333' title 'finished'"),
        ("curve_pruned.tsv", "'{f}' using 1:2:3 with lines lw 2 dt 2 lc palette notitle"),
        ("curve_pruned.tsv", "NaN with linespoints lw 2 dt 2 pt 2 lc rgb '#333333' "
                             "title 'pruned (stopped at the cross)'"),
        ("curve_ends.tsv", "'{f}' using 1:2:3 with points pt 2 ps 2 lw 2 lc palette notitle")],
        "no epoch finished yet")
    return f"""set terminal pngcairo size 1500,620 font "sans,11" noenhanced
set output "{out}.tmp"
set multiplot layout 1,2 title "sweep {name}: {len(trials)} trials ({n_ok} finished, \
{n_pruned} pruned), colour: {metric} ({mode}; darker is better)" font "sans,14"
set palette defined ({PALETTE})
{"set palette negative" if mode == "min" else ""}
set grid lc rgb "#dddddd"
set bmargin 5
set key below horizontal maxrows 1
set format x "%g"
set format y "%g"
{axis["x"]}
{axis["y"]}
set title "{title}"
set xlabel "{x or 'trial (leaderboard rank)'}"
set ylabel "{y or metric}"
set autoscale xfix
set autoscale yfix
set offsets graph 0.06, graph 0.06, graph 0.06, graph 0.06
{scatter}
unset logscale x
unset logscale y
set offsets 0, 0, graph 0.03, graph 0.03
set autoscale x
set autoscale yfix
unset colorbox
set ytics autofreq
{"set xtics 1" if max_epoch <= 20 else "set xtics autofreq"}
set title "validation curves: {field} per epoch"
set xlabel "epoch"
set ylabel "{field}"
{curves}
unset multiplot
"""


def draw(sweep_dir, manifest, rows):
    """Writes sweep_dir/sweep.png from the leaderboard's rows (best first) and prints
    one line; returns True when written. Never raises for gnuplot's sake."""
    out = os.path.join(sweep_dir, "sweep.png")
    gnuplot = os.environ.get("LINTRAIN_GNUPLOT", "gnuplot")
    if not shutil.which(gnuplot):
        print(f"sweep: gnuplot not found: install Debian's gnuplot-nox (apt-get install "
              f"gnuplot-nox); {out} not written", file=sys.stderr)
        return False
    field = curve_field(manifest["metric"])
    trials = _trial_points(sweep_dir, manifest, rows, field)
    keys = important_keys(manifest["keys"], trials)
    x, y = [k for k, _ in keys[:2]] + [None] * (2 - len(keys[:2]))
    rho = [r for _, r in keys[:2]] if sum(t["value"] is not None for t in trials) >= 3 else []
    name = os.path.basename(os.path.abspath(sweep_dir))
    with tempfile.TemporaryDirectory(prefix="sweep-plot-") as tmp:
        files = _scatter_files(tmp, trials, x, y)
        best = [t for t in trials[:1] if t["status"] == "ok" and t["value"] is not None]
        files["best"] = best
        _write(os.path.join(tmp, "pts_best.tsv"),
               [" ".join(repr(c) for c in _xy(b, x, y)) for b in best])
        curve_files = _curve_files(tmp, trials)
        script = _script(out, manifest, name, trials, x, y, rho, field, tmp, files, curve_files)
        proc = subprocess.run([gnuplot], input=script, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0 or not os.path.isfile(out + ".tmp"):
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        print(f"sweep: gnuplot failed ({lines[-1] if lines else proc.returncode}); "
              f"{out} not written", file=sys.stderr)
        return False
    os.replace(out + ".tmp", out)
    print(f"sweep: wrote {out}")
    return True


def _xy(t, x, y):
    return [t["number"] if x is None else t["params"][x],
            t["value"] if y is None else t["params"][y]]

