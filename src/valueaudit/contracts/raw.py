"""Raw LLM records (JSONL): each record against its schema and its meaning, every model's
file, and a cache of the files that passed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .errors import DataValidationError, warn_input
from .files import atomic_path
from .schema import SCHEMA_DIR, load_schema

__all__ = ["read_raw_records", "check_raw_files", "check_raw_records"]


def _utc(text):
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def read_raw_records(path: str | Path, model_id: str | None = None, instrument=None,
                     torn_ok: bool = False) -> list[dict]:
    """Read a JSONL file of raw LLM records, validating each against its schema and meaning.

    Every record must belong to the file's model (``model_id``, by default the
    file name without ``.jsonl``: ``<raw_dir>/<model_id>.jsonl``); ``record_id``
    is unique, and so is (task, session, attempt); a record does not finish
    before it starts. With ``instrument``, the item order of a rating or
    ranking record names each of the task's targets once, and a record made
    with another version of the instrument is reported with :func:`warn_input`.
    Errors name the file, the line and the JSON path of the broken field.
    With ``torn_ok``, an unreadable last line without a newline (a write the
    collection was interrupted in, which it repairs) is left out.
    """
    import jsonschema

    path = Path(path)
    model_id = path.name.removesuffix(".jsonl") if model_id is None else model_id
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None)

    def err(rule, n, field=None, value=None, fix=None):
        return DataValidationError(path, rule, n, field, value, header_lines=0, fix=fix)

    validator = jsonschema.Draft202012Validator(load_schema("raw_record"))
    records = []
    seen_id: dict[str, int] = {}
    seen_key: dict[tuple, int] = {}
    other_version: dict[str, int] = {}
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            if n == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise err("the file is UTF-16 encoded, not UTF-8", n,
                          fix="re-save it as UTF-8 JSON lines")
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                if torn_ok and not raw.endswith(b"\n"):
                    break
                raise err(f"line is not valid UTF-8 JSON ({exc})", n,
                          fix="each line must hold one complete JSON object") from None
            errs = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
            if errs:
                e = errs[0]
                field = "/".join(str(p) for p in e.path) or "(record)"
                raise err(e.message, n, field,
                          fix="correct the field (see src/valueaudit/schemas/raw_record.schema.yaml)")
            if rec["model_id"] != model_id:
                raise err(f"record of another model in the file of model '{model_id}'", n,
                          "model_id", rec["model_id"],
                          fix=f"move the record to {rec['model_id']}.jsonl or correct its model_id")
            rid = rec["record_id"]
            if rid in seen_id:
                raise err(f"duplicate record_id: lines {seen_id[rid]} and {n} have the same "
                          f"record_id {rid!r}", n, "record_id",
                          fix="raw files are append-only: remove the copied line")
            seen_id[rid] = n
            key = (rec["task"], rec["session"], rec["attempt"])
            if key in seen_key:
                raise err(f"lines {seen_key[key]} and {n} claim the same model, task, session and "
                          f"attempt ({model_id}, {key[0]}, session {key[1]}, attempt {key[2]})",
                          n, "attempt", fix="remove the duplicated record or correct its attempt")
            seen_key[key] = n
            t0, t1 = _utc(rec["started_utc"]), _utc(rec["finished_utc"])
            if t0 is None or t1 is None:
                field = "started_utc" if t0 is None else "finished_utc"
                raise err("not an ISO 8601 UTC timestamp", n, field, rec[field])
            if t1 < t0:
                raise err("negative duration: finished_utc is before started_utc", n,
                          "finished_utc", rec["finished_utc"])
            if instrument is not None:
                if rec["task"] in ("rating", "ranking"):
                    targets = instrument.targets(rec["task"])
                    order = rec["item_order"]
                    unknown = [x for x in order if x not in targets]
                    if unknown:
                        raise err(f"item_order names {unknown[0]!r}, which is not a "
                                  f"{rec['task']} id of the instrument {instrument.path.name}",
                                  n, "item_order",
                                  fix="the record was made with another instrument: configure "
                                  "that instrument or remove the record")
                    if sorted(order) != sorted(targets):
                        raise err(f"item_order must name each of the {len(targets)} "
                                  f"{rec['task']} ids once", n, "item_order")
                if rec["instrument_sha256"] != instrument.sha256:
                    other_version.setdefault(rec["instrument_sha256"], n)
            records.append(rec)
    if not records:
        raise DataValidationError(path, "no records in file", header_lines=None)
    for sha, n in sorted(other_version.items(), key=lambda kv: kv[1]):
        count = sum(r["instrument_sha256"] == sha for r in records)
        warn_input(f"{path}, line {n}: {count} record(s) made with another version of the "
                   f"instrument (sha256 {sha[:12]}..., configured {instrument.path.name} has "
                   f"{instrument.sha256[:12]}...); their answers are parsed with the configured "
                   "version")
    return records


def check_raw_files(model_ids, raw_dir: str | Path, table: str | Path,
                    live_ids=()) -> None:
    """Every model of the metadata table has a raw file, and every raw file a model."""
    raw_dir = Path(raw_dir)
    ids = list(model_ids)
    for n, m in enumerate(ids, start=1):
        if m in set(live_ids):
            continue
        if not (raw_dir / f"{m}.jsonl").is_file():
            raise DataValidationError(
                table, f"model '{m}' has no raw records ({raw_dir / (m + '.jsonl')} does not "
                "exist)", n, "model_id",
                fix="add the raw file, remove the model from the table, or collect it live")
    if raw_dir.is_dir():
        for f in sorted(raw_dir.glob("*.jsonl")):
            if f.stem not in set(ids) | set(live_ids):
                raise DataValidationError(
                    f, f"raw file for model '{f.stem}', which is not in the models table {table}",
                    1, "model_id", header_lines=0,
                    fix=f"add a row for '{f.stem}' to {table}, or move the file out of {raw_dir}")


class _Collect(logging.Handler):
    """A logging handler that keeps the messages it is given."""

    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _validator_version() -> str:
    """Hash of the code (every module of this package) and schema that validate raw records
    (a cache key)."""
    import hashlib

    h = hashlib.sha256()
    for module in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(module.read_bytes())
    h.update((SCHEMA_DIR / "raw_record.schema.yaml").read_bytes())
    return h.hexdigest()


def check_raw_records(paths: dict[str, str | Path], instrument, cache: str | Path | None = None,
                      torn_ok=()) -> None:
    """Validate the raw records of every model (``{model_id: path}``) with :func:`read_raw_records`.

    With ``cache`` (a JSON file), a file whose bytes, model, instrument and
    validating code are unchanged since it last passed is not parsed again;
    its warnings are repeated from the cache. Models in ``torn_ok`` (collected
    live) may end in a torn line, which their collection repairs.
    """
    import hashlib

    cache = None if cache is None else Path(cache)
    seen: dict = {}
    if cache is not None and cache.is_file():
        try:
            seen = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seen = {}
    version = _validator_version()
    out: dict = {}
    for model, path in paths.items():
        path = Path(path)
        if not path.is_file():
            continue
        key = hashlib.sha256(
            path.read_bytes() + f"|{model}|{instrument.sha256}|{version}".encode()).hexdigest()
        entry = seen.get(str(path))
        if entry and entry.get("key") == key:
            for w in entry.get("warnings", []):
                warn_input(w)
            out[str(path)] = entry
            continue
        handler = _Collect()
        log = logging.getLogger("valueaudit.input")
        log.addHandler(handler)
        try:
            read_raw_records(path, model, instrument, torn_ok=model in set(torn_ok))
        finally:
            log.removeHandler(handler)
        out[str(path)] = {"key": key, "warnings": handler.messages}
    if cache is not None and out != seen:
        with atomic_path(cache) as tmp:
            tmp.write_text(json.dumps(out, indent=1, sort_keys=True), encoding="utf-8")
