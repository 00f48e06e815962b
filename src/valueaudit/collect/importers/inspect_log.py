"""inspect_ai evaluation logs: the ``.eval`` zip and the ``.json`` log.

Both hold one evaluation of one model: ``eval.model`` (e.g. ``openai/gpt-4o``;
the part after the provider prefix is the model name ``select`` matches, the
full name matches too) and samples with ``id``, ``epoch``, ``input`` (a
string or chat messages), ``messages``, ``output`` (``completion``,
``choices[0].message.content``, ``stop_reason``, ``model``, ``usage``),
``metadata`` and possibly ``error``. The ``.eval`` file is a zip with
``header.json`` (the eval spec) and one ``samples/<id>_epoch_<n>.json`` per
sample; inspect_ai compresses its members with zstd (older versions with
deflate). Deflate and stored members are read with the standard library;
zstd members need the ``zstandard`` package, and without it the error says
how to convert the log (``inspect log convert --to json``).

A sample's session is ``metadata.session`` when the task recorded one, else
the samples are numbered per task in file order (id, epoch).
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zipfile
from pathlib import Path

from ...contracts import DataValidationError
from . import SourceAnswer

__all__ = ["read_inspect_log"]

_ZSTD = 93
_SAMPLE = re.compile(r"^samples/(.+)_epoch_(\d+)\.json$")


def _bad(path, rule, fix=None):
    return DataValidationError(path, rule, header_lines=None, fix=fix)


def _member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.compress_type != _ZSTD:
        return zf.read(info)
    try:
        import zstandard
    except ImportError:
        raise _bad(path, f"member {info.filename} is zstd-compressed (inspect_ai's current .eval "
                   "format) and the zstandard package is not installed",
                   fix="convert the log with `inspect log convert --to json <file>` and import "
                   "the .json, or pip install zstandard") from None
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(30)
        if head[:4] != b"PK\x03\x04":
            raise _bad(path, f"member {info.filename}: broken zip local header")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        raw = fh.read(info.compress_size)
    return zstandard.ZstdDecompressor().decompressobj().decompress(raw)


def _load(path: Path, data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"{what} is not valid UTF-8 JSON ({exc})") from None


def _read_eval_zip(path: Path) -> tuple[dict, list[dict]]:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _bad(path, "not a zip file (an inspect_ai .eval log is a zip)",
                   fix="give format: inspect_ai a .eval or .json log written by inspect_ai") \
            from None
    with zf:
        names = {i.filename: i for i in zf.infolist()}
        head_name = "header.json" if "header.json" in names else "_journal/start.json"
        if head_name not in names:
            raise _bad(path, "no header.json in the .eval zip (not an inspect_ai log?)")
        header = _load(path, _member(path, zf, names[head_name]), head_name)
        samples = []
        keyed = []
        for name, info in names.items():
            m = _SAMPLE.match(name)
            if m:
                keyed.append((m.group(1), int(m.group(2)), info))
        for _, _, info in sorted(keyed, key=lambda k: (k[0], k[1])):
            samples.append(_load(path, _member(path, zf, info), info.filename))
    return header, samples


def _text(content) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [b.get("text", "") for b in content
                 if isinstance(b, dict) and b.get("type") == "text"]
        return "".join(parts) if parts else None
    return None


def _prompt(sample: dict) -> tuple[str | None, str | None]:
    """(user prompt, system prompt or None) of a sample's input."""
    inp = sample.get("input")
    if isinstance(inp, str):
        return inp, None
    if not isinstance(inp, list):
        return None, None
    users = [m for m in inp if isinstance(m, dict) and m.get("role") == "user"]
    systems = [m for m in inp if isinstance(m, dict) and m.get("role") == "system"]
    user = _text(users[-1].get("content")) if users else None
    system = "\n\n".join(_text(m.get("content")) or "" for m in systems) if systems else None
    return user, system


def read_inspect_log(path: Path) -> list[SourceAnswer]:
    if path.suffix == ".eval":
        header, samples = _read_eval_zip(path)
    else:
        doc = _load(path, path.read_bytes(), "the log")
        if not isinstance(doc, dict) or "eval" not in doc:
            raise _bad(path, "not an inspect_ai JSON log (no 'eval' key)")
        header, samples = doc, doc.get("samples") or []
    spec = header.get("eval") if isinstance(header, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("model"), str):
        raise _bad(path, "the log has no eval.model")
    if not samples:
        raise _bad(path, "the log holds no samples (written with header_only?)")
    full = spec["model"]
    name = full.split("/", 1)[1] if "/" in full else full
    created = spec.get("created")
    out = []
    for n, smp in enumerate(samples, start=1):
        if not isinstance(smp, dict):
            raise DataValidationError(path, "a sample is not a JSON object", n, header_lines=None)
        user, system = _prompt(smp)
        output = smp.get("output") or {}
        text = output.get("completion") if isinstance(output.get("completion"), str) else None
        choices = output.get("choices") or []
        finish = None
        if choices and isinstance(choices[0], dict):
            finish = choices[0].get("stop_reason")
            if not text:
                text = _text((choices[0].get("message") or {}).get("content"))
        meta = smp.get("metadata") if isinstance(smp.get("metadata"), dict) else {}
        session = meta.get("session")
        if session is not None and (not isinstance(session, int) or isinstance(session, bool)):
            raise DataValidationError(path, "metadata.session must be an integer >= 1", n,
                                      "metadata.session", header_lines=None)
        err = smp.get("error")
        blob = json.dumps([smp.get("id"), smp.get("epoch"), user, system, text], sort_keys=True)
        out.append(SourceAnswer(
            row=n, column="input", model=name, user=user, text=text, system=system,
            session=session, model_version=output.get("model") or None,
            usage=output.get("usage") if isinstance(output.get("usage"), dict) else None,
            finish_reason=finish, collected_utc=created,
            key=hashlib.sha256(blob.encode("utf-8")).hexdigest(),
            where=f"sample {smp.get('id')} epoch {smp.get('epoch')}",
            error=(err.get("message") if isinstance(err, dict) else str(err)) if err else None,
            aliases=(full,)))
    return out
