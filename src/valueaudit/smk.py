"""Helpers that let the thin rule scripts run inside and outside Snakemake.

Inside a rule, Snakemake injects a ``snakemake`` object. Outside, a script
calls :func:`snakemake_or_cli` which builds the same interface from the
command line, so every script can be run by hand. ``--rule`` alone takes the
job's inputs, outputs, params, log and wildcards from the workflow (the
Snakefile in the current directory and its config), as the rule would get them::

    python scripts/data_summary.py --rule data_summary
    python scripts/parse_model.py --rule parse_model --wildcards model=m

or every file and param is given by name::

    python scripts/parse_model.py --input raw=resources/demo/raw/m.jsonl \
        instrument=resources/instrument/optimal_ai_v1.yaml \
        --output responses=/tmp/m.csv --params model_id=m --log /tmp/m.log
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "snakemake_or_cli",
    "job_from_workflow",
    "log_to",
    "usage_line",
    "parse_usage",
    "Namedlist",
    "write_lineage",
    "function_name",
    "sha256_file",
]


class Namedlist(list):
    """A list whose entries can also be read by name (like Snakemake's)."""

    def __init__(self, items=(), names=None):
        super().__init__(items)
        self._names = dict(names or {})

    def __getattr__(self, name):
        try:
            return self[self._names[name]]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name, default=None):
        return self[self._names[name]] if name in self._names else default

    def keys(self):
        return self._names.keys()


def _kv(pairs, parse_json=False):
    items, names = [], {}
    for n, p in enumerate(pairs or []):
        k, _, v = p.partition("=")
        if parse_json:
            try:
                v = json.loads(v)
            except json.JSONDecodeError:
                pass
        items.append(v)
        names[k] = n
    return Namedlist(items, names)


class _CLI:
    def __init__(self, args):
        self.input = _kv(args.input)
        self.output = _kv(args.output)
        self.params = _kv(args.params, parse_json=True)
        self.wildcards = _kv(args.wildcards)
        self.log = Namedlist([args.log] if args.log else [])
        self.threads = args.threads
        self.config = {}
        self.rule = args.rule or Path(sys.argv[0]).stem


def snakemake_or_cli(namespace: dict):
    """Return the injected ``snakemake`` object, or one built from argv.

    With ``--rule NAME`` and no ``--input``/``--output``/``--params``, the job is resolved from
    the workflow (:func:`job_from_workflow`); otherwise the named files and params are used.
    """
    if "snakemake" in namespace:
        return namespace["snakemake"]
    doc = (namespace.get("__doc__") or "").strip()
    ap = argparse.ArgumentParser(
        description=(doc + "\n\n" if doc else "") + "Run this rule script outside Snakemake: "
        "`--rule NAME [--wildcards k=v ...] [--configfile F ...]` takes the job from the "
        "workflow in the current directory; --input/--output/--params give it by hand.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--input", nargs="*", metavar="NAME=PATH")
    ap.add_argument("--output", nargs="*", metavar="NAME=PATH")
    ap.add_argument("--params", nargs="*", metavar="NAME=JSON")
    ap.add_argument("--wildcards", nargs="*", metavar="NAME=VALUE")
    ap.add_argument("--log", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rule", default=None,
                    help="the rule whose job to run (alone: resolved from the workflow)")
    ap.add_argument("--configfile", nargs="*", default=[], metavar="FILE",
                    help="config files over the Snakefile's, as for `snakemake --configfile`")
    ap.add_argument("--snakefile", default="Snakefile", help="the workflow (default: %(default)s)")
    args = ap.parse_args()
    if args.rule and not (args.input or args.output or args.params):
        wildcards = {k: v for k, _, v in (w.partition("=") for w in args.wildcards or [])}
        try:
            return job_from_workflow(args.rule, wildcards, args.configfile, args.snakefile)
        except LookupError as exc:
            ap.exit(2, f"{ap.prog}: {exc.args[0]}\n")
    return _CLI(args)


def job_from_workflow(rule: str, wildcards: dict[str, str] | None = None,
                      configfiles=(), snakefile: str | Path = "Snakefile"):
    """The ``snakemake`` object Snakemake would give the job of ``rule`` with ``wildcards``.

    Loads the workflow (``snakefile``, relative to the current directory, which is the
    workflow's working directory, plus ``configfiles``), builds the rule's job and returns
    its input, output, params, wildcards, threads, resources, log and config as the script
    sees them inside Snakemake (paths relative to the working directory). The output and
    log directories are created. Raises ``LookupError`` naming the rules or wildcards when
    ``rule`` is unknown or a wildcard is missing.
    """
    from snakemake.api import Workflow  # snakemake.api first: it resolves the import cycle
    from snakemake.dag import DAG
    from snakemake.iocontainers import Snakemake
    from snakemake.jobs import Job
    from snakemake.logging import LoggerManager
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
        WorkflowSettings,
    )

    path = Path(snakefile)
    if not path.is_file():
        raise LookupError(f"no workflow at {path.resolve()}: run from the workflow's directory "
                          "or give --snakefile")
    workflow = Workflow(
        config_settings=ConfigSettings(configfiles=[Path(f) for f in configfiles]),
        resource_settings=ResourceSettings(),
        workflow_settings=WorkflowSettings(),
        storage_settings=StorageSettings(),
        dag_settings=DAGSettings(rerun_triggers=[]),
        storage_provider_settings={},
        logger_manager=LoggerManager(logging.getLogger("snakemake.job_from_workflow"),
                                     OutputSettings()),
    )
    workflow.include(path.resolve(), overwrite_default_target=True)
    names = sorted(r.name for r in workflow.rules)
    wildcards = dict(wildcards or {})
    if rule not in names and rule in MODEL_STEPS:
        return _model_step_job(workflow, rule, wildcards, names)
    if rule not in names:
        raise LookupError(f"no rule {rule!r} in {path}; rules: {', '.join(names)}")
    target = workflow.get_rule(rule)
    missing = sorted(set(target.wildcard_names) - set(wildcards))
    if missing:
        raise LookupError(f"rule {rule!r} needs --wildcards " + " ".join(f"{w}=..." for w in missing))
    job = Job(target, DAG(workflow, rules=[target]), wildcards)
    smk = Snakemake(job.input, job.output, job.params, job.wildcards, job.threads, job.resources,
                    job.log, workflow.config, target.name, None)
    for f in [*smk.output, *smk.log]:
        Path(f).parent.mkdir(parents=True, exist_ok=True)
    return smk


# the per-model steps that run inside the shard jobs (valueaudit.shards)
MODEL_STEPS = ("parse_model", "study1_answers", "study2_within", "study3_model")


def _model_step_job(workflow, rule: str, wildcards: dict[str, str], names: list[str]):
    """The per-model step ``rule`` of one model, as its shard job would run it."""
    from snakemake.dag import DAG
    from snakemake.jobs import Job

    from .shards import shard_of, shard_steps, step_job_of

    model = wildcards.get("model")
    if not model:
        raise LookupError(f"rule {rule!r} needs --wildcards model=...")
    shard = f"models_shard_{shard_of(model, int(workflow.config['models']['shards']))}"
    spec = None
    if shard in names:
        target = workflow.get_rule(shard)
        job = Job(target, DAG(workflow, rules=[target]), {})
        p = job.params
        spec = step_job_of(shard_steps(p.models, p.layout, p.live), rule, model, workflow.config)
    if spec is None:
        raise LookupError(f"no model {model!r} in the workflow's models")
    for f in [*spec.output, *spec.log]:
        Path(f).parent.mkdir(parents=True, exist_ok=True)
    return spec


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _files(named) -> dict[str, list[str]]:
    """The files of a job's inputs or outputs by name; a name that covers several files (a
    named list) keeps all of them, unnamed files are keyed by their position."""
    out: dict[str, list[str]] = {}
    owner: dict[int, str] = {}
    for k, (start, end) in _ranges_of(named).items():
        for i in range(start, end):
            owner.setdefault(i, k)
    for i, v in enumerate(named):
        key = owner.get(i, str(i))
        vals = v if isinstance(v, list | tuple) else [v]
        out.setdefault(key, []).extend(str(x) for x in vals)
    return out


def _ranges_of(named) -> dict[str, tuple[int, int]]:
    """Name -> (first, last + 1) index of the entries it names."""
    if isinstance(named, Namedlist):
        return {k: (i, i + 1) for k, i in named._names.items()}
    try:  # snakemake.io.Namedlist: (index, None) for one entry, (start, end) for a list
        return {k: (i, i + 1) if isinstance(i, int) else (i[0], i[0] + 1 if i[1] is None else i[1])
                for k, i in named._names.items()}
    except AttributeError:
        return {}


def _names_of(named) -> dict[str, int]:
    if isinstance(named, Namedlist):
        return dict(named._names)
    try:  # snakemake.io.Namedlist
        return {k: (i if isinstance(i, int) else i[0]) for k, i in named._names.items()}
    except AttributeError:
        return {}


def _script_path() -> str | None:
    """The repository path of the running rule script (Snakemake runs a temp copy)."""
    main = sys.modules.get("__main__")
    f = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else None)
    if not f:
        return None
    base = Path(f).name
    m = re.match(r"^tmp[A-Za-z0-9_]+\.(.+)$", base)
    if m:
        return f"scripts/{m.group(1)}"
    try:
        return str(Path(f).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return f


def function_name(function) -> str:
    """The importable dotted name of a library function (``module.qualname``)."""
    return f"{function.__module__}.{function.__qualname__}"


def write_lineage(smk, function=None) -> Path | None:
    """Write the job's lineage record to its ``lineage`` output, if it declares one.

    The record names the rule, the script (and its sha256), the library function
    the script calls to compute the job's numbers (``function``), the wildcards,
    the params (the config values the job used), and every input and output
    file with its sha256. It holds no timestamps, so two runs of the same
    job on the same inputs write the same bytes.
    """
    names = _names_of(smk.output)
    if "lineage" not in names:
        return None
    target = Path(smk.output[names["lineage"]])
    outputs = {k: v for k, v in _files(smk.output).items() if k != "lineage"}
    script = getattr(smk, "step_script", None) or _script_path()

    def hashed(group):
        return {k: [{"path": p, "sha256": sha256_file(p) if Path(p).is_file() else None} for p in v]
                for k, v in group.items()}

    params = {}
    for k, i in _names_of(smk.params).items():
        params[k] = smk.params[i]
    record = {
        "rule": getattr(smk, "rule", None),
        "script": script,
        "script_sha256": sha256_file(script) if script and Path(script).is_file() else None,
        "function": function_name(function) if function is not None else None,
        "wildcards": {k: smk.wildcards[i] for k, i in _names_of(smk.wildcards).items()},
        "params": json.loads(json.dumps(params, default=str)),
        "inputs": hashed(_files(smk.input)),
        "outputs": hashed(outputs),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    lineage_dir = _lineage_dir(smk)
    if lineage_dir is not None and lineage_dir.resolve() in _LINEAGE_INDEX:
        _index_record(_LINEAGE_INDEX[lineage_dir.resolve()], record, target)
    return target


# output path -> (sha256, rule, record path) of the lineage records below a lineage folder,
# read once per process; records this process writes are added as they are written
_LINEAGE_INDEX: dict[Path, dict[str, tuple[str, str, str]]] = {}


def _lineage_dir(smk) -> Path | None:
    names = _names_of(smk.output)
    if "lineage" not in names:
        return None
    lineage_dir = Path(smk.output[names["lineage"]]).parent
    return lineage_dir if lineage_dir.name == "lineage" else lineage_dir.parent


def _index_record(index: dict, rec: dict, rec_path: Path) -> None:
    for files in rec.get("outputs", {}).values():
        for f in files:
            if f.get("sha256"):
                index[f["path"]] = (f["sha256"], rec.get("rule"), str(rec_path))


def _lineage_index(lineage_dir: Path) -> dict[str, tuple[str, str, str]]:
    key = lineage_dir.resolve()
    if key not in _LINEAGE_INDEX:
        index: dict[str, tuple[str, str, str]] = {}
        for rec_path in sorted(lineage_dir.rglob("*.json")) if lineage_dir.is_dir() else []:
            try:
                rec = json.loads(rec_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            _index_record(index, rec, rec_path)
        _LINEAGE_INDEX[key] = index
    return _LINEAGE_INDEX[key]


def check_inputs_against_lineage(smk) -> None:
    """Stop if an input the workflow made no longer has the bytes its lineage record holds.

    A table edited by hand after the job that made it is not used to compute
    anything further. The lineage records are found beside the job's own
    ``lineage`` output (read once per process); a job without one is not checked.
    """
    from .contracts import DataValidationError

    lineage_dir = _lineage_dir(smk)
    if lineage_dir is None:
        return
    index = _lineage_index(lineage_dir)
    wanted = sorted({p for files in _files(smk.input).values() for p in files if p in index})
    for p in wanted:
        sha, rule, rec_path = index[p]
        if Path(p).is_file() and sha256_file(p) != sha:
            raise DataValidationError(
                p, f"bytes no longer match the lineage record of rule '{rule}' ({rec_path}): the "
                "file was edited after the workflow wrote it", header_lines=None,
                fix=f"run `snakemake --forcerun {p}` to remake it from its inputs")


USAGE_PREFIX = "resources used:"


def usage_line(smk, wall_s: float) -> str:
    """One log line with what the job used and what its rule declared.

    ``peak_rss_mb`` is the process's maximum resident set size and ``cpu_s`` its user + system
    CPU time, both for the whole script process (imports included); ``wall_s`` is the wall time
    of the rule's work (inside :func:`log_to`). ``mem_mb`` and ``runtime_min`` are the rule's
    declared ``resources`` (absent outside Snakemake). ``scripts/bench/bench_resources.py``
    collects these lines from ``results/logs/`` to check the declared resources against use.
    """
    ru = resource.getrusage(resource.RUSAGE_SELF)
    fields = {
        "peak_rss_mb": f"{ru.ru_maxrss / 1024:.0f}",  # Linux reports KiB
        "cpu_s": f"{ru.ru_utime + ru.ru_stime:.2f}",
        "wall_s": f"{wall_s:.2f}",
    }
    res = getattr(smk, "resources", None)
    for key, name in (("mem_mb", "mem_mb"), ("runtime", "runtime_min")):
        val = getattr(res, key, None) if res is not None else None
        if isinstance(val, int | float):
            fields[name] = f"{val:g}"
    rule = re.sub(r"\s", "_", str(getattr(smk, "rule", None) or "?"))
    return f"{USAGE_PREFIX} rule={rule} " + " ".join(f"{k}={v}" for k, v in fields.items())


def parse_usage(line: str) -> dict[str, str | float] | None:
    """The fields of a :func:`usage_line` found in ``line`` (``rule`` a string, the rest floats).

    Returns None when the line holds no usage record.
    """
    _, sep, rest = line.partition(f"{USAGE_PREFIX} ")
    if not sep:
        return None
    fields: dict[str, str | float] = {}
    for kv in rest.split():
        k, _, v = kv.partition("=")
        fields[k] = v if k == "rule" else float(v)
    return fields


TRACEBACK_SUFFIX = ".traceback"


@contextmanager
def log_to(smk, name: str = "valueaudit", function=None):
    """Send logging (and warnings) to the rule's log file; on success write the lineage record.

    ``function`` is the one library function the script calls to compute its outputs;
    the lineage record names it (:func:`function_name`).

    Warnings of the ``valueaudit`` loggers also go to stderr, so they reach the
    terminal. An input that breaks its contract
    (:class:`~valueaudit.contracts.DataValidationError`) ends the script with
    exit code 1 and its short block (file, where, rule, what to do) in the log,
    without a Python traceback; the traceback goes beside the log, to
    ``<log>.traceback``. Any other error is logged with its traceback and
    re-raised. Either way Snakemake deletes the job's outputs, so nothing
    half-written is left.
    """
    from .contracts import DataValidationError

    path = smk.log[0] if len(smk.log) else None
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    handler: logging.Handler
    handlers: list[logging.Handler] = []
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="w", encoding="utf-8")
        to_terminal = logging.StreamHandler(sys.stderr)
        to_terminal.setLevel(logging.WARNING)
        to_terminal.addFilter(lambda r: r.name.split(".")[0] == "valueaudit")
        to_terminal.setFormatter(logging.Formatter(f"%(levelname)s ({path}) %(message)s"))
        handlers.append(to_terminal)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handlers.insert(0, handler)
    root = logging.getLogger()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    start = time.perf_counter()
    tb_path = Path(f"{path}{TRACEBACK_SUFFIX}") if path else None
    try:
        check_inputs_against_lineage(smk)
        yield logger
        write_lineage(smk, function)
        logger.info("%s", usage_line(smk, time.perf_counter() - start))
        if tb_path is not None and tb_path.exists():
            tb_path.unlink()
    except DataValidationError as exc:
        stream = handler.stream if path else sys.stderr
        stream.write(exc.block() + "\n")
        stream.flush()
        if tb_path is not None:
            import traceback

            tb_path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        raise SystemExit(1) from None
    except Exception:
        logger.exception("rule %s failed", getattr(smk, "rule", "?"))
        raise
    finally:
        for h in handlers:
            root.removeHandler(h)
        handler.close()
