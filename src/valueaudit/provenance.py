"""Provenance a reviewer can check: inputs, environment, lineage, and verification.

Everything here is deterministic except :func:`run_info`, the one place that
records when a run happened, so two runs of the same config on the same
inputs give byte-identical provenance files apart from ``run.json``.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from .contracts import atomic_path
from .smk import sha256_file

__all__ = [
    "input_manifest",
    "environment",
    "merge_lineage",
    "verify",
    "stale_outputs",
    "config_changes",
    "lineage_index",
    "failed_jobs",
    "write_incomplete",
    "remove_incomplete",
    "write_json",
    "session_accounting",
    "provenance_documents",
    "PACKAGES",
    "INCOMPLETE_NAME",
]

#: the file at the top of results/ that marks a failed, incomplete run
INCOMPLETE_NAME = "INCOMPLETE.md"

#: distributions whose versions are recorded (those the package imports)
PACKAGES = ("valueaudit", "snakemake", "numpy", "pandas", "scipy", "statsmodels", "pingouin",
            "krippendorff", "matplotlib", "seaborn", "pyyaml", "jsonschema", "openai", "anthropic",
            "scikit-learn")


def write_json(obj, path: str | Path) -> Path:
    """Write JSON with sorted keys and a final newline, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return Path(path)


def input_manifest(groups: dict[str, list[str]]) -> dict:
    """sha256 and size of every input file, by group (instrument, raw records, ...)."""
    out = {}
    for group, paths in sorted(groups.items()):
        out[group] = [{"path": str(p), "bytes": Path(p).stat().st_size, "sha256": sha256_file(p)}
                      for p in sorted(map(str, paths))]
    return out


def _git(*args: str, cwd: str | Path = ".") -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def environment(cwd: str | Path = ".", exclude_from_dirty: tuple[str, ...] = ("results",)) -> dict:
    """Package versions, Python, platform, and the git commit with a dirty flag."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    commit = _git("rev-parse", "HEAD", cwd=cwd)
    status = _git("status", "--porcelain", "--untracked-files=no", cwd=cwd)
    dirty = None
    if status is not None:
        lines = [ln for ln in status.splitlines() if not any(ln[3:].startswith(e) for e in exclude_from_dirty)]
        dirty = bool(lines)
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(aliased=True, terse=True),
        "machine": platform.machine(),
        "packages": versions,
        "git": {"commit": commit, "dirty": dirty},
    }


def merge_lineage(paths: list[str | Path]) -> dict:
    """One lineage document: output path -> the job that made it.

    Each job names its rule, its script (with its sha256), the library ``function`` the
    script calls to compute the output (None for a record without one), the wildcards,
    the params, its inputs with their hashes, and its lineage record (``lineage_file``).
    """
    by_output = {}
    for p in sorted(map(str, paths)):
        rec = json.loads(Path(p).read_text(encoding="utf-8"))
        job = {k: rec[k] for k in ("rule", "script", "script_sha256", "wildcards", "params")}
        job["function"] = rec.get("function")
        job["inputs"] = rec["inputs"]
        job["lineage_file"] = p
        for files in rec["outputs"].values():
            for f in files:
                by_output[f["path"]] = {**job, "sha256": f["sha256"]}
    return dict(sorted(by_output.items()))


def lineage_index(lineage_dir: str | Path) -> dict:
    """The merged lineage of every per-job record below ``lineage_dir`` ({} if none)."""
    d = Path(lineage_dir)
    return merge_lineage(sorted(d.rglob("*.json"))) if d.is_dir() else {}


class _Hashes(dict):
    def __missing__(self, path):
        p = Path(path)
        val = sha256_file(p) if p.is_file() else None
        self[path] = val
        return val


def _flatten(node, prefix=()):
    """Every node of a nested config: {key path tuple: value} (the root is ())."""
    out = {prefix: node}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(_flatten(v, (*prefix, str(k))))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.update(_flatten(v, (*prefix, i)))
    return out


def _key(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(top level)"


def config_changes(recorded: dict, current: dict) -> list[str]:
    """Key paths whose value differs between two effective configs (leaves, sorted)."""
    old, new = _flatten(json.loads(json.dumps(recorded, default=str))), _flatten(
        json.loads(json.dumps(current, default=str)))
    leaves = set()
    for path in set(old) | set(new):
        a, b = old.get(path, KeyError), new.get(path, KeyError)
        if isinstance(a, dict | list) and isinstance(b, dict | list) and type(a) is type(b):
            continue
        if a != b:
            leaves.add(path)
    return sorted(_key(p) for p in leaves)


def _params_stale(params: dict, recorded: dict, current: dict) -> list[str]:
    """Names of the job's params that were taken from a config value that has changed.

    A param comes from the config node it equals (a scalar must also carry the
    node's key name; a mapping may be a subset of the node's keys); it is stale
    when the current config's node differs. A changed top-level ``seed`` makes
    every seed param stale (the rules derive their seeds from it).
    """
    old = _flatten(json.loads(json.dumps(recorded, default=str)))
    new = _flatten(json.loads(json.dumps(current, default=str)))
    stale = []
    for name, value in params.items():
        if "seed" in name and old.get(("seed",)) != new.get(("seed",)):
            stale.append(name)
            continue
        for path, node in old.items():
            if isinstance(value, dict | list):
                if value == node:
                    hit = new.get(path, KeyError) != node
                elif isinstance(value, dict) and isinstance(node, dict) and value and \
                        set(value) <= set(node) and all(node[k] == value[k] for k in value):
                    cur = new.get(path, {})
                    hit = not isinstance(cur, dict) or any(cur.get(k, KeyError) != value[k]
                                                           for k in value)
                else:
                    continue
            elif path and path[-1] == name and node == value:
                hit = new.get(path, KeyError) != node
            else:
                continue
            if hit:
                stale.append(name)
                break
    return stale


def stale_outputs(lineage: dict, hashes: dict | None = None, recorded_config: dict | None = None,
                  current_config: dict | None = None) -> dict[str, str]:
    """Outputs whose recorded inputs, script or params no longer match: {path: reason}.

    ``lineage`` maps each output to the job that made it (:func:`merge_lineage`).
    An output is stale when an input's bytes differ from those recorded (or the
    input is gone), when the script's bytes differ, when a param came from a
    config value that has changed (with both configs given), or when one of its
    inputs is itself stale.
    """
    hashes = _Hashes() if hashes is None else hashes
    reasons: dict[str, str] = {}
    for path, job in lineage.items():
        why = []
        for files in job.get("inputs", {}).values():
            for f in files:
                if f.get("sha256") is not None and hashes[f["path"]] != f["sha256"]:
                    state = "is missing" if hashes[f["path"]] is None else "changed"
                    why.append(f"input {f['path']} {state}")
        script, want = job.get("script"), job.get("script_sha256")
        if script and want and hashes[script] is not None and hashes[script] != want:
            why.append(f"script {script} changed")
        if recorded_config is not None and current_config is not None:
            for name in _params_stale(job.get("params") or {}, recorded_config, current_config):
                why.append(f"param {name} changed in the config")
        if why:
            reasons[path] = "; ".join(dict.fromkeys(why))
    changed = True
    while changed:
        changed = False
        for path, job in lineage.items():
            if path in reasons:
                continue
            for files in job.get("inputs", {}).values():
                hit = next((f["path"] for f in files if f["path"] in reasons), None)
                if hit:
                    reasons[path] = f"input {hit} is stale"
                    changed = True
                    break
    return dict(sorted(reasons.items()))


def verify(manifest_path: str | Path, lineage_path: str | Path,
           current_config: dict | None = None, recorded_config: str | Path | dict | None = None,
           config_source: str = "configuration") -> pd.DataFrame:
    """Recompute every recorded hash; one row per file (and per changed config key).

    status: ``ok``; ``changed`` (hash differs); ``missing``; ``stale`` (an
    output whose bytes match but whose recorded inputs, script or params no
    longer match the current ones). Inputs come from the input manifest,
    outputs from the lineage document. With ``current_config`` and the
    recorded effective config, every changed key is a ``config`` row with
    status ``changed``. ``detail`` says why.
    """
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    lineage = json.loads(Path(lineage_path).read_text(encoding="utf-8"))
    if isinstance(recorded_config, str | Path):
        recorded_config = yaml.safe_load(Path(recorded_config).read_text(encoding="utf-8"))
    hashes = _Hashes()
    rows = []
    for group, files in manifest.items():
        for f in files:
            rows.append(("input", group, f["path"], f["sha256"]))
    for path, job in lineage.items():
        rows.append(("output", job["rule"], path, job["sha256"]))
    stale = stale_outputs(lineage, hashes, recorded_config, current_config)
    out = []
    for kind, group, path, want in rows:
        have = hashes[path]
        detail = ""
        if have is None:
            status = "missing"
        elif have != want:
            status = "changed"
            detail = "bytes differ from the recorded sha256"
        elif kind == "output" and path in stale:
            status, detail = "stale", stale[path]
        else:
            status = "ok"
        out.append({"kind": kind, "group": group, "path": path, "status": status,
                    "recorded_sha256": want, "current_sha256": have, "detail": detail})
    if current_config is not None and recorded_config is not None:
        for key in config_changes(recorded_config, current_config):
            out.append({"kind": "config", "group": "config", "path": key, "status": "changed",
                        "recorded_sha256": None, "current_sha256": None,
                        "detail": f"{config_source}: {key} differs from the recorded effective "
                        "config"})
    return pd.DataFrame(out, columns=["kind", "group", "path", "status", "recorded_sha256",
                                      "current_sha256", "detail"])


# ---------------------------------------------------------------------------
# incomplete runs
# ---------------------------------------------------------------------------
def _log_files(snakemake_log) -> list[Path]:
    if not snakemake_log:
        return []
    logs = [snakemake_log] if isinstance(snakemake_log, str | Path) else list(snakemake_log)
    return [Path(p) for p in logs if Path(p).is_file()]


def failed_jobs(snakemake_log) -> list[dict]:
    """The failed jobs named in Snakemake's log file(s): rule, outputs and log files of each."""
    jobs: list[dict] = []
    cur: dict | None = None
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in _log_files(snakemake_log))
    for line in text.splitlines():
        if line.startswith("Error in rule "):
            cur = {"rule": line.removeprefix("Error in rule ").rstrip(":"), "output": [], "log": []}
            jobs.append(cur)
        elif cur is not None and line.startswith("    "):
            field, _, val = line.strip().partition(": ")
            if field in ("output", "log", "wildcards"):
                val = val.split(" (check log file")[0]
                cur[field] = val if field == "wildcards" else [v.strip() for v in val.split(",")]
        elif cur is not None and line.strip():
            cur = None
    seen, out = set(), []
    for j in jobs:
        k = (j["rule"], tuple(j["output"]))
        if k not in seen:
            seen.add(k)
            out.append(j)
    return out


def _error_block(log: str) -> str:
    p = Path(log)
    if not p.is_file():
        return ""
    lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    for n, ln in enumerate(lines):
        if ln.startswith("valueaudit: input error"):
            return "\n".join(lines[n:])
    errs = [ln for ln in lines if ln.startswith("ERROR")]
    return errs[-1] if errs else ""


def write_incomplete(results: str | Path, snakemake_log) -> Path:
    """Write ``results/INCOMPLETE.md``: the failed jobs and the outputs now stale or missing.

    ``results/paper/summary.md``, if there is one, gets a banner pointing to it
    (:func:`remove_incomplete` takes it off again).
    """
    results = Path(results)
    jobs = failed_jobs(snakemake_log)
    lineage = lineage_index(results / "provenance" / "lineage")
    stale = stale_outputs(lineage)
    missing = sorted(p for p in lineage if not Path(p).is_file())
    lines = ["# This run is INCOMPLETE", "",
             "The last run of the workflow failed. Results below `results/` are a mix of this "
             "run's and earlier runs' outputs: the files listed under *Stale* were made from "
             "inputs that have changed since, and must not be reported. Fix the errors and run "
             "the workflow again; a run that completes the default target removes this file.", "",
             "Snakemake log: " + ", ".join(f"`{p}`" for p in _log_files(snakemake_log)), "",
             f"## Failed jobs ({len(jobs)})", ""]
    for j in jobs:
        where = f" ({j['wildcards']})" if j.get("wildcards") else ""
        lines.append(f"- rule `{j['rule']}`{where}; log: "
                     + ", ".join(f"`{x}`" for x in j["log"]))
        block = "\n".join(_error_block(x) for x in j["log"]).strip()
        if block:
            lines += ["", "  ```", *[f"  {b}" for b in block.splitlines()], "  ```"]
    lines += ["", f"## Stale outputs from earlier runs ({len(stale)})", ""]
    lines += [f"- `{p}`: {why}" for p, why in stale.items()] or ["(none)"]
    lines += ["", f"## Missing outputs ({len(missing)})", ""]
    lines += [f"- `{p}`" for p in missing] or ["(none)"]
    target = results / INCOMPLETE_NAME
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from .paper import mark_incomplete

    mark_incomplete(results / "paper" / "summary.md", target)
    return target


def remove_incomplete(results: str | Path) -> bool:
    """Remove ``results/INCOMPLETE.md`` and the summary's banner; True if there was a file."""
    from .paper import unmark_incomplete

    unmark_incomplete(Path(results) / "paper" / "summary.md")
    p = Path(results) / INCOMPLETE_NAME
    if p.is_file():
        p.unlink()
        return True
    return False


def effective_config_yaml(config: dict) -> str:
    """The effective configuration (after schema defaults) as YAML."""
    return yaml.safe_dump(json.loads(json.dumps(config, default=str)), sort_keys=True)


def session_accounting(status: pd.DataFrame) -> pd.DataFrame:
    """Sessions per model and format: collected, used (ok or repaired), and excluded by status."""
    status = status.assign(valid=status["status"].isin(["ok", "repaired"]))
    acc = (status.groupby(["model_id", "format"])
           .agg(sessions=("session", "size"), used=("valid", "sum"))
           .reset_index())
    reasons = (status[~status["valid"]].groupby(["model_id", "format", "status"]).size()
               .unstack("status", fill_value=0))
    acc = acc.merge(reasons.add_prefix("excluded_").reset_index(), on=["model_id", "format"],
                    how="left")
    acc = acc.fillna(0)
    for c in acc.columns:
        if c.startswith("excluded_") or c in ("used", "sessions"):
            acc[c] = acc[c].astype(int)
    return acc


def provenance_documents(groups: dict[str, list[str]], lineage_dir: str | Path, models,
                         config: dict, status: pd.DataFrame) -> dict:
    """Everything the provenance rule writes, from its inputs.

    ``manifest`` (:func:`input_manifest` of ``groups``), ``lineage_doc`` (:func:`merge_lineage`
    of the records below ``lineage_dir``; a per-model record of a model not in ``models`` is
    stale and left out), ``environment`` (with the config's seed), ``config`` (the effective
    config as YAML text), ``sessions`` (:func:`session_accounting`) and ``run`` (the finishing
    time: the only timestamp of a run).
    """
    import datetime as dt

    keep = set(models)
    files = [p for p in sorted(Path(lineage_dir).rglob("*.json"))
             if p.parent.name == "lineage" or p.stem in keep]
    env = environment()
    env["snakemake"] = env["packages"]["snakemake"]
    env["seed"] = config["seed"]
    return {
        "manifest": input_manifest(groups),
        "lineage_doc": merge_lineage(files),
        "environment": env,
        "config": effective_config_yaml(config),
        "sessions": session_accounting(status),
        "run": {"finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    }
