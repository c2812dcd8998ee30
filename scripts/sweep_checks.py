"""sweep_checks — what scripts/sweep verifies before it writes or runs anything:

  --set KEY=VALUE   overrides of the base config, parsed as lintrain's own --set parses
                    them (set_value, apply_sets);
  lintrain check    every trial config validated by lintrain itself (check_configs), so
                    a typo in a swept key is one spec error, not N failed trials;
  the rerun guard   a sweep folder made with another spec, base config or --set is
                    refused key by key, unless the new spec only adds grid values or
                    trials (compare_manifest).

Python 3 standard library only; errors are raised as the UsageError given by the caller
(sweeplib's), so that they exit 2 with one message.
"""

import concurrent.futures
import itertools
import json
import os
import re
import subprocess
import tempfile

# A number as cJSON reads one (lintrain's --set): it starts with "-" or a digit, takes
# the longest run of these characters, and strtod must read the whole run.
CJSON_NUMBER_CHARS = re.compile(r"[-0-9][-+0-9eE.]*")
STRTOD_DECIMAL = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
# Spec keys whose change only re-ranks the trials: no trial's config depends on them.
RANKING_KEYS = ("metric", "mode", "description")


# ---- --set -----------------------------------------------------------------------------

def _reject_constant(name):
    raise ValueError(name)


def _cjson_number(text):
    """The number cJSON reads from text, or None when cJSON reads no number there."""
    run = CJSON_NUMBER_CHARS.match(text)
    if not run or run.end() != len(text):
        return None
    token = STRTOD_DECIMAL.match(run.group())
    if not token or token.end() != len(text):
        return None  # strtod stops early: cJSON finds text after the value
    s = token.group()
    return int(s) if not any(c in s for c in ".eE") else float(s)


def set_value(text):
    """VALUE of KEY=VALUE as lintrain reads it (jsonconf_read.c, apply_set): JSON when
    the text parses as JSON (cJSON, surrounding white space allowed), else the text
    itself as a string. Returns (is_null, value); null removes the key."""
    s = text.strip("".join(chr(c) for c in range(33)))  # cJSON skips bytes <= 32
    if s[:1] == "-" or s[:1].isdigit():
        number = _cjson_number(s)
        return (False, text) if number is None else (False, number)
    try:
        value = json.loads(s, parse_constant=_reject_constant) if s else text
    except ValueError:
        return False, text
    return value is None, value


def parse_sets(sets, error):
    """[(key, is_null, value)] of the --set texts; error(message) raises."""
    out = []
    for text in sets:
        key, eq, value = text.partition("=")
        if not eq:
            raise error(f'--set "{text}": expected KEY.PATH=VALUE')
        if any(part == "" for part in key.split(".")):
            raise error(f'--set "{text}": empty key name in "{key}"')
        out.append((key,) + set_value(value))
    return out


def _overlaps(a, b):
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def apply_sets(base, sets, swept, reserved, set_path, error):
    """A copy of base with the --set overrides applied in order (null removes the key).
    A key the spec sweeps (or one inside or around it) or one the sweep sets is refused."""
    config = json.loads(json.dumps(base))
    for key, is_null, value in parse_sets(sets, error):
        for other in reserved:
            if _overlaps(key, other):
                raise error(f"--set {key}: {other} is set by the sweep for each trial")
        for other, section in swept:
            if _overlaps(key, other):
                raise error(f"--set {key}: {other} is also swept by the spec "
                            f"({section}.{other}); give it one value or sweep it, not both")
        if is_null:
            _remove_path(config, key)
        else:
            set_path(config, key, value)
    return config


def _remove_path(config, key):
    node = config
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


# ---- lintrain check --------------------------------------------------------------------

def _check_one(lintrain, path):
    proc = subprocess.run([lintrain, "check", "--config", path], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, errors="replace", check=False)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return proc.returncode, lines[-1] if lines else f"exit status {proc.returncode}"


def to_check(spec, trials, make_config):
    """[(label, config)]: the configs lintrain must accept for every trial to be valid.
    Trials that differ only in draws of continuous keys (uniform, log_uniform) are
    covered by the corners of those keys' box (every key at lo or hi) when the corners
    are fewer than the draws: lintrain's rules on numbers are bounds and comparisons,
    which hold on a whole box when they hold at its corners."""
    continuous = [k for k, d in spec["random"].items()
                  if next(iter(d)) in ("uniform", "log_uniform")]
    groups = {}
    for t in trials:
        rest = {k: v for k, v in t["params"].items() if k not in continuous}
        groups.setdefault(json.dumps(rest), (rest, []))[1].append(t["params"])
    out = []
    for rest, draws in groups.values():
        if len(draws) <= 2 ** len(continuous):
            out += [(_label(p), make_config(p)) for p in draws]
            continue
        for corner in itertools.product(*(next(iter(spec["random"][k].values()))
                                          for k in continuous)):
            values = dict(rest, **dict(zip(continuous, corner)))
            out.append((_label(values) + " (a corner of the random ranges)",
                        make_config(values)))
    return out


def _label(values):
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in values.items())


def check_configs(lintrain, trials, workers):
    """Runs `lintrain check` on each (label, config), workers at a time. Returns the
    refusals as [(label, message)] in the trials' order, lintrain's file name replaced
    by "trial config". lintrain check reads no pixels (it stats the data files)."""
    refused = []
    with tempfile.TemporaryDirectory(prefix="sweep-check-") as tmp:
        paths = []
        for i, (_, config) in enumerate(trials):
            paths.append(os.path.join(tmp, f"{i}.json"))
            with open(paths[-1], "w", encoding="utf-8") as f:
                json.dump(config, f)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = list(pool.map(lambda p: _check_one(lintrain, p), paths))
        for (label, _), path, (rc, message) in zip(trials, paths, results):
            if rc != 0:
                message = message.replace("lintrain: ", "", 1).replace(path + ": ", "", 1)
                message = message.replace(path, "the trial config")
                refused.append((label, message))
    return refused


def refusal_message(refused, total):
    label, message = refused[0]
    more = (f" (all {total} configs checked refused)" if len(refused) == total > 1
            else f" ({len(refused)} of {total} configs checked refused)" if total > 1 else "")
    return f"lintrain check refuses the config {label}: {message}{more}"


# ---- reruns into a sweep folder ------------------------------------------------------

def _show(value):
    return json.dumps(value)


def _flatten(obj, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}: one entry per leaf (lists are leaves)."""
    if not isinstance(obj, dict) or not obj and prefix:
        return {prefix: obj}
    out = {}
    for key, value in obj.items():
        out.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    return out


def _diff_leaves(old, new, where):
    lines = []
    for key in list(old) + [k for k in new if k not in old]:
        if key not in new:
            lines.append(f"{where}{key}: was {_show(old[key])}, now absent")
        elif key not in old:
            lines.append(f"{where}{key}: was absent, now {_show(new[key])}")
        elif old[key] != new[key]:
            lines.append(f"{where}{key}: was {_show(old[key])}, now {_show(new[key])}")
    return lines


def _diff_spec(old, new):
    """(refusals, notes): what the new spec changes that the old trials depend on, and
    the changes that are allowed (added grid values, more trials, another ranking)."""
    refusals, notes = [], []
    old_grid, new_grid = old.get("grid", {}), new.get("grid", {})
    for key in list(old_grid) + [k for k in new_grid if k not in old_grid]:
        a, b = old_grid.get(key), new_grid.get(key)
        if a is not None and b is not None and all(v in b for v in a):
            added = [v for v in b if v not in a]
            if added:
                notes.append(f"grid.{key}: adds {_show(added)}")
        else:
            refusals += _diff_leaves({key: a} if a is not None else {},
                                     {key: b} if b is not None else {}, "spec grid.")
    refusals += _diff_leaves(old.get("random", {}), new.get("random", {}), "spec random.")
    if old.get("trials", 1) < new.get("trials", 1):
        notes.append(f"trials: {old.get('trials', 1)} -> {new['trials']}")
        old = dict(old, trials=new["trials"])
    rest = [k for k in dict.fromkeys(list(old) + list(new)) if k not in ("grid", "random")]
    for key in rest:
        lines = _diff_leaves({key: old[key]} if key in old else {},
                             {key: new[key]} if key in new else {}, "spec ")
        if key in RANKING_KEYS:
            notes += [f"{line} (only the ranking changes)" for line in lines]
        else:
            refusals += lines
    return refusals, notes


def _sets_dict(sets, error):
    out = {}
    for key, is_null, value in parse_sets(sets, error):
        out[key] = None if is_null else value
    return out


def compare_manifest(old, new, error):
    """(refusals, notes) between the sweep.json of a folder and the one a rerun would
    write. A folder written before sweep.json recorded "base" and "set" is compared on
    its spec alone (its trials' ids still say whether the base was the same)."""
    refusals, notes = _diff_spec(old.get("spec", {}), new["spec"])
    if "base" in old:
        refusals += _diff_leaves(_flatten(old["base"]), _flatten(new["base"]), "base config ")
    refusals += _diff_leaves(_sets_dict(old.get("set", []), error),
                             _sets_dict(new.get("set", []), error), "--set ")
    return refusals, notes
