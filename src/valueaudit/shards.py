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
"""

from __future__ import annotations

import hashlib
import logging
import runpy
from collections.abc import Iterable, Mapping
from pathlib import Path

from .smk import Namedlist

__all__ = ["shard_of", "assign_shards", "StepJob", "run_shard", "step_job_of"]

log = logging.getLogger("valueaudit.shards")


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
    """Run each model's steps of one shard in this process, in the order of ``jobs``.

    ``jobs`` lists one entry per model and step (see :class:`StepJob`); the entries of a
    model come in dependency order (parse before the steps that read its responses). A
    step's script runs as it would in its own job: it writes its outputs, its log and its
    lineage record. A step that stops on bad input (exit code 1) or fails stops the shard
    with a message naming the model, the step and the step's log, and the tail of that log;
    the workflow then removes every output of the shard, so nothing half-written is kept.

    Returns the number of steps run per step name.
    """
    done: dict[str, int] = {}
    root = logging.getLogger()
    for spec in jobs:
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
