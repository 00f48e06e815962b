"""The check of every input a run reads, done when the workflow loads."""

from __future__ import annotations

import re
from pathlib import Path

from .answers import read_codebook, read_coding
from .errors import DataValidationError
from .files import atomic_path
from .raw import _validator_version

__all__ = ["check_inputs"]


def _cache_key(paths, *extra) -> str:
    import hashlib

    h = hashlib.sha256(_validator_version().encode())
    for p in paths:
        h.update(Path(p).read_bytes() if p and Path(p).is_file() else b"-")
        h.update(b"\0")
    h.update("|".join(map(str, extra)).encode())
    return h.hexdigest()


def check_inputs(cfg: dict, cache_dir: str | Path | None = None) -> None:
    """Validate the inputs every run reads (the workflow calls this when it loads).

    The instrument, the human survey (either layout, with every check of
    :func:`valueaudit.survey.read_export`), the Study 1 codebook and coded
    data (every coded segment against its answer and the codebook). Raw
    records: :func:`check_raw_records`. With ``cache_dir``, coded data that
    passed before with the same bytes are not checked again.
    """
    from ..instrument import load_instrument
    from ..survey import read_export

    ins = load_instrument(cfg["instrument"])
    read_export(cfg["humans"], ins)
    coding = cfg.get("coding", {})
    if coding.get("codebook"):
        codebook = read_codebook(coding["codebook"], ins)
        if coding.get("format") == "csv":
            read_coding(coding["source"], codebook)
            answers = coding.get("answers")
        else:
            answers = None
        if coding.get("format") == "qdpx" or (answers and Path(answers).is_file()):
            files = [coding["source"], coding["codebook"], answers, cfg["instrument"]]
            key = _cache_key(files, coding["format"])
            stamp = None if cache_dir is None else Path(cache_dir) / "coding_validated.txt"
            if stamp is None or not stamp.is_file() or stamp.read_text().strip() != key:
                _check_coding(coding["source"], coding["format"], codebook, answers)
                if stamp is not None:
                    with atomic_path(stamp) as tmp:
                        tmp.write_text(key + "\n", encoding="utf-8")


_CODING_WHERE = re.compile(r"^(?P<file>.+?), (?P<label>row|coding) (?P<row>\d+): (?P<rule>.*)$",
                           re.S)


def _check_coding(source, fmt, codebook, answers) -> None:
    """Every coded segment refers to a known answer, code and position (Study 1 import)."""
    from ..study1 import CodingError, load_coding

    try:
        load_coding(source, fmt, codebook, answers=answers)
    except DataValidationError:
        raise
    except CodingError as exc:
        if isinstance(exc.__context__, DataValidationError):  # a QdpxError, re-worded
            raise exc.__context__ from None
        m = _CODING_WHERE.match(str(exc))
        if m is None:
            raise DataValidationError(source, str(exc), header_lines=None) from None
        row = int(m["row"])
        if m["label"] == "row":  # study1 counts CSV rows by their line
            row -= 1
        raise DataValidationError(
            m["file"], m["rule"], row, "code", header_lines=1 if m["label"] == "row" else None,
            fix="correct the coding or the codebook") from None
