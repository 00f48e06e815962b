"""Per-model work in a bounded number of jobs: stable shards of the model list.

A model's shard is a stable hash of its id modulo the shard count (:func:`shard_of`), so
adding or removing a model moves no other model, and the number of shard jobs does not
grow with the number of models. One shard job runs the per-model steps (parse, Study 1
answers, Study 2 within-model, Study 3 per model) of each of its models in one process
(:func:`run_shard`). Each step is the rule script of that step, run with a per-model
job object (:class:`StepJob`) that has the inputs, outputs, params, wildcards and log a
per-model job would have, so each model's outputs, log and lineage record are the same
files with the same bytes, whatever the shard and however many shards there are. Every
random stream of a step is keyed by the model id (:mod:`valueaudit.seeds`), never by the
model's position.

Each shard job also writes one table per kind of per-model output (:data:`SHARD_TABLES`):
the rows of its models' files, header once, bytes unchanged (:func:`write_shard_tables`),
with a lineage record that names every per-model file it holds. The aggregate rules read
these tables, a few per shard whatever the number of models, and take each model's rows
back out in the models' order (:func:`model_parts`), so they compute on the same rows in
the same order as from the per-model files.
"""

from __future__ import annotations

import hashlib
import logging
import runpy
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .smk import Namedlist

__all__ = ["shard_of", "assign_shards", "STEPS", "model_steps", "shard_steps", "StepJob",
           "run_shard", "step_job_of", "SHARD_TABLES", "concat_tables", "write_shard_tables",
           "model_parts"]

log = logging.getLogger("valueaudit.shards")

#: the per-model steps, in dependency order
STEPS = ("parse_model", "study1_answers", "study2_within", "study3_model")


def model_steps(model: str, layout: Mapping, live: bool = False) -> list[dict]:
    """The per-model steps of ``model`` in dependency order, one dict per step: ``rule``,
    ``script``, ``model`` and the ``input``, ``output`` (with its ``lineage`` record),
    ``log`` and ``params`` a per-model job of that step has.

    ``layout`` holds what is the same for every model (the workflow builds it from the
    config): ``results`` (the results folder), ``instrument``, ``humans`` (the human
    scores table), ``raw_dir`` and ``live_raw_dir`` (raw records of table and of live
    models), ``scripts`` (step -> its rule script) and ``params`` (step -> its params).
    A ``live`` model's raw records are in ``live_raw_dir`` and its collection manifest is an
    input of the steps that read them.

    Examples
    --------
    >>> lay = {"results": "results", "instrument": "ins.yaml", "humans": "h.csv",
    ...        "raw_dir": "raw", "live_raw_dir": "live", "scripts": {s: f"{s}.py" for s in STEPS},
    ...        "params": {s: {} for s in STEPS}}
    >>> [s["rule"] for s in model_steps("m1", lay)] == list(STEPS)
    True
    >>> model_steps("m1", lay)[0]["output"]["responses"]
    'results/data/responses/m1.csv'
    >>> model_steps("m1", lay, live=True)[0]["input"]["raw"]
    'live/m1.jsonl'
    """
    res = layout["results"]
    raw = f"{layout['live_raw_dir'] if live else layout['raw_dir']}/{model}.jsonl"
    collected = [f"{res}/collect/manifest/{model}.json"] if live else []
    ins = layout["instrument"]
    responses = f"{res}/data/responses/{model}.csv"
    status = f"{res}/data/status/{model}.csv"
    s3 = f"{res}/study3/models/{model}"

    def step(rule, input, output, log):
        return {
            "rule": rule,
            "script": layout["scripts"][rule],
            "model": model,
            "input": input,
            "output": {**output, "lineage": f"{res}/provenance/lineage/{rule}/{model}.json"},
            "log": log,
            "params": dict(layout["params"][rule]),
        }

    return [
        step("parse_model", {"raw": raw, "collected": collected, "instrument": ins},
             {"responses": responses, "status": status}, f"{res}/logs/parse/{model}.log"),
        step("study1_answers", {"raw": raw, "collected": collected},
             {"answers": f"{res}/study1/answers/{model}.csv"},
             f"{res}/logs/study1/answers/{model}.log"),
        step("study2_within", {"responses": responses, "status": status, "instrument": ins},
             {"within": f"{res}/study2/within/{model}.csv"},
             f"{res}/logs/study2/within/{model}.log"),
        step("study3_model", {"responses": responses, "humans": layout["humans"],
                              "instrument": ins},
             {"fidelity": f"{s3}/fidelity.csv", "sessions": f"{s3}/sessions.csv",
              "profile": f"{s3}/profile.csv"},
             f"{res}/logs/study3/model/{model}.log"),
    ]


def shard_steps(models: Iterable[str], layout: Mapping, live: Iterable[str] = ()) -> list[dict]:
    """The steps of every model of a shard (:func:`model_steps`), model by model."""
    live = set(live)
    return [s for m in models for s in model_steps(m, layout, m in live)]


#: the tables of a shard: kind -> (step, output of the step whose per-model files it holds)
SHARD_TABLES: dict[str, tuple[str, str]] = {
    "responses": ("parse_model", "responses"),
    "status": ("parse_model", "status"),
    "answers": ("study1_answers", "answers"),
    "within": ("study2_within", "within"),
    "fidelity": ("study3_model", "fidelity"),
    "sessions": ("study3_model", "sessions"),
    "profile": ("study3_model", "profile"),
}


def shard_of(model_id: str, n_shards: int) -> int:
    """The shard (0 .. n_shards - 1) of a model: sha256 of its id modulo the shard count.

    The shard depends on the id alone, not on the other models or their order.

    Examples
    --------
    >>> shard_of("model-a", 8) == shard_of("model-a", 8)
    True
    >>> sorted({shard_of(f"m{i}", 3) for i in range(50)})
    [0, 1, 2]
    >>> shard_of("any", 1)
    0
    """
    if n_shards < 1:
        raise ValueError(f"the shard count must be at least 1, not {n_shards}")
    digest = hashlib.sha256(model_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_shards


def assign_shards(models: Iterable[str], n_shards: int) -> dict[int, list[str]]:
    """The models of each non-empty shard, in the given order of ``models``.

    Examples
    --------
    >>> parts = assign_shards(["a", "b", "c", "d"], 2)
    >>> sorted(m for ms in parts.values() for m in ms)
    ['a', 'b', 'c', 'd']
    >>> assign_shards(["a"], 4) == {shard_of("a", 4): ["a"]}
    True
    """
    out: dict[int, list[str]] = {}
    for m in models:
        out.setdefault(shard_of(m, n_shards), []).append(m)
    return dict(sorted(out.items()))


def _named(groups: Mapping[str, object]) -> Namedlist:
    """Files (or values) with names, as Snakemake gives a script: each name one item.

    A name whose value is an empty list is left out and a one-item list counts as its
    item, as in Snakemake's own lists; a step takes at most one file per name.
    """
    items: list = []
    names: dict[str, int] = {}
    for name, value in groups.items():
        values = list(value) if isinstance(value, list | tuple) else [value]
        if len(values) > 1:
            raise ValueError(f"a model step takes one file per name; {name!r} has {len(values)}")
        if values:
            names[name] = len(items)
            items.extend(values)
    return Namedlist(items, names)


class StepJob:
    """The ``snakemake`` object of one model's step inside a shard job.

    ``spec`` is one entry of the shard rule's ``jobs`` param: ``rule`` (the step's name),
    ``script`` (the step's rule script), ``model``, and the ``input``, ``output`` and
    ``params`` mappings and ``log`` path of that model's step.
    """

    def __init__(self, spec: Mapping, config: Mapping | None = None, threads: int = 1):
        self.rule = spec["rule"]
        self.step_script = spec["script"]
        self.input = _named(spec["input"])
        self.output = _named(spec["output"])
        self.params = _named(spec["params"])
        self.wildcards = _named({"model": spec["model"]})
        self.log = Namedlist([spec["log"]])
        self.threads = threads
        self.config = dict(config or {})
        self.resources = None


class StepFailed(SystemExit):
    """A model's step stopped; its message names the model, the step and the step's log."""


def _log_tail(path: str, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def run_shard(jobs: list[Mapping], config: Mapping | None = None,
              threads: int = 1) -> dict[str, int]:
    """Run the steps of one shard's models (``jobs``) in this process.

    ``jobs`` lists one entry per model and step (see :class:`StepJob`, :func:`shard_steps`). A
    step's script runs as it would in its own job: it writes its outputs, its log and its
    lineage record. A step that stops on bad input (exit code 1) or fails stops the shard
    with a message naming the model, the step and the step's log, and the tail of that log;
    every output of every step of ``jobs`` (the per-model files and lineage records, not
    the logs) is then removed, and the workflow removes the shard's tables, so nothing of
    the failed shard is kept.

    The steps run step by step (every model's parse, then every model's next step, ...),
    which keeps each model's order; before the first model's step of a kind that has a
    joint form (:data:`PREFETCH`), that form computes the step for all the shard's models
    at once (e.g. one Study 3 bootstrap for all), and each model's step then writes the
    result computed for its inputs. The joint form gives the numbers of the separate
    steps; if it cannot run, each model's step computes its own.

    Returns the number of steps run per step name.
    """
    done: dict[str, int] = {}
    root = logging.getLogger()
    rank = {rule: i for i, rule in enumerate(STEPS)}
    jobs = sorted(jobs, key=lambda spec: rank.get(spec["rule"], len(STEPS)))  # stable
    try:
        return _run_steps(jobs, config, threads, root, done)
    except BaseException:
        _remove_outputs(jobs)
        raise


def _remove_outputs(jobs: Sequence[Mapping]) -> None:
    for spec in jobs:
        for f in spec["output"].values():
            for p in (f if isinstance(f, list | tuple) else [f]):
                Path(p).unlink(missing_ok=True)


def _run_steps(jobs: list[Mapping], config: Mapping | None, threads: int,
               root: logging.Logger, done: dict[str, int]) -> dict[str, int]:
    prefetched: set[str] = set()
    for spec in jobs:
        if spec["rule"] in PREFETCH and spec["rule"] not in prefetched:
            prefetched.add(spec["rule"])
            _prefetch(spec["rule"], [s for s in jobs if s["rule"] == spec["rule"]], config,
                      threads)
        job = StepJob(spec, config, threads)
        where = f"model {spec['model']}, step {spec['rule']}"
        shard_handlers = root.handlers[:]  # the step logs to its own log only
        for h in shard_handlers:
            root.removeHandler(h)
        try:
            runpy.run_path(str(spec["script"]), init_globals={"snakemake": job},
                           run_name="__valueaudit_step__")
            code = 0
        except SystemExit as exc:
            code = exc.code
        except Exception:
            _restore(root, shard_handlers)
            log.error("%s failed; its log is %s", where, spec["log"])
            raise
        _restore(root, shard_handlers)
        if code not in (None, 0):
            log.error("%s stopped; its log is %s:\n%s", where, spec["log"], _log_tail(spec["log"]))
            raise StepFailed(1)
        done[spec["rule"]] = done.get(spec["rule"], 0) + 1
    return done


#: steps with a joint form for many models: step -> "module:function" taking the steps'
#: job objects (:class:`StepJob`); it keeps results that the steps then use
PREFETCH = {"study3_model": "valueaudit.study3.steps:prefetch_step_jobs"}


def _prefetch(rule: str, specs: list[Mapping], config: Mapping | None, threads: int) -> None:
    import importlib

    module, _, name = PREFETCH[rule].partition(":")
    try:
        kept = getattr(importlib.import_module(module), name)(
            [StepJob(s, config, threads) for s in specs])
    except Exception as exc:  # the steps then compute one model at a time, and say why
        log.info("%s: joint form not used (%s: %s); each model computes its own", rule,
                 type(exc).__name__, exc)
        return
    log.info("%s: computed jointly for %d of %d models", rule, kept, len(specs))


def _restore(root: logging.Logger, handlers: list[logging.Handler]) -> None:
    for h in handlers:
        root.addHandler(h)


def step_job_of(jobs: Iterable[Mapping], rule: str, model: str,
                config: Mapping | None = None) -> StepJob | None:
    """The :class:`StepJob` of step ``rule`` of ``model`` among a shard's ``jobs``, or None."""
    for spec in jobs:
        if spec["rule"] == rule and spec["model"] == model:
            return StepJob(spec, config)
    return None


def concat_tables(files: Sequence[str | Path], out: str | Path) -> None:
    """Write the CSV files ``files`` as one table ``out``: the header once, then the rows
    of each file in order, byte for byte (quoted fields with line breaks stay intact).

    Every file must have the header of the first; ``out`` is written atomically.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text("model_id,x\\na,1\\n")
    >>> _ = (d / "b.csv").write_text("model_id,x\\nb,2\\nb,3\\n")
    >>> concat_tables([d / "a.csv", d / "b.csv"], d / "all.csv")
    >>> print((d / "all.csv").read_text(), end="")
    model_id,x
    a,1
    b,2
    b,3
    """
    from .contracts import atomic_path

    if not files:
        raise ValueError(f"{out}: no tables to combine")
    header = None
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        for f in files:
            data = Path(f).read_bytes()
            head, _, body = data.partition(b"\n")
            if header is None:
                header = head
                fh.write(head + b"\n")
            elif head != header:
                raise ValueError(f"{f}: its columns differ from those of {files[0]}; the "
                                 f"tables of one kind cannot be combined into {out}")
            if body and not body.endswith(b"\n"):
                body += b"\n"
            fh.write(body)


def write_shard_tables(jobs: Sequence[Mapping], tables: Mapping[str, str], lineage: str,
                       rule: str, script: str | None = None) -> dict[str, int]:
    """Write the shard's tables ``tables`` (kind -> path; kinds of :data:`SHARD_TABLES`)
    from the per-model outputs of the shard's ``jobs``, and their lineage record
    ``lineage``: the per-model files of each kind (with their sha256) as inputs, the tables
    as outputs. Returns the number of models per table.
    """
    from .smk import write_lineage

    sources: dict[str, list[str]] = {}
    for kind in tables:
        step, name = SHARD_TABLES[kind]
        sources[kind] = [str(spec["output"][name]) for spec in jobs if spec["rule"] == step]
        concat_tables(sources[kind], tables[kind])
    kinds = list(tables)
    job = _TablesJob(rule, script,
                     Namedlist([sources[k] for k in kinds], {k: i for i, k in enumerate(kinds)}),
                     Namedlist([tables[k] for k in kinds] + [lineage],
                               {**{k: i for i, k in enumerate(kinds)}, "lineage": len(kinds)}))
    write_lineage(job, write_shard_tables)
    return {k: len(v) for k, v in sources.items()}


class _TablesJob:
    """The job object of a shard's tables, for their lineage record."""

    def __init__(self, rule: str, script: str | None, inputs: Namedlist, outputs: Namedlist):
        self.rule = rule
        self.step_script = script
        self.input = inputs
        self.output = outputs
        self.params = Namedlist()
        self.wildcards = Namedlist()


def model_parts(frames: Iterable, models: Sequence[str], column: str = "model_id") -> list:
    """The rows of each of ``models``, in that order, one frame each (index from 0), from
    tables that each hold the rows of several models (a model without rows gets an empty
    frame with the tables' columns).

    A table's row of a model that is not in ``models`` is an error: the tables and the
    list of models disagree.

    Examples
    --------
    >>> import pandas as pd
    >>> t1 = pd.DataFrame({"model_id": ["b", "b", "c"], "x": [1, 2, 3]})
    >>> t2 = pd.DataFrame({"model_id": ["a"], "x": [4]})
    >>> [p["x"].tolist() for p in model_parts([t1, t2], ["a", "b", "c", "d"])]
    [[4], [1, 2], [3], []]
    """
    frames = list(frames)
    if not frames:
        raise ValueError("no tables to take the models' rows from")
    by_model = {}
    for frame in frames:
        for mid, rows in frame.groupby(column, sort=False):
            if str(mid) in by_model:
                raise ValueError(f"the tables hold rows of model {str(mid)!r} in more than one "
                                 "table")
            by_model[str(mid)] = rows.reset_index(drop=True)
    if sum(len(r) for r in by_model.values()) != sum(len(f) for f in frames):
        raise ValueError(f"the tables hold rows without a {column}")
    unknown = sorted(set(by_model) - set(models))
    if unknown:
        raise ValueError(f"the tables hold rows of {len(unknown)} model(s) that are not in the "
                         f"models list, e.g. {unknown[0]!r}")
    empty = frames[0].iloc[0:0].reset_index(drop=True)
    return [by_model[m] if m in by_model else empty.copy() for m in models]
