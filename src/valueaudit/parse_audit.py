"""The parse audit: what each model's answers lost in parsing, and why.

One row per model, response format, status and reason (repaired sessions are
broken down by what was repaired), with the number and share of sessions and
one short excerpt of an answer with that reason. The LaTeX version carries the
counts only; the excerpts (which may hold any script) are in the CSV and
Markdown versions.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .contracts import atomic_path, write_csv
from .parse import STATUSES
from .tables import format_frame, to_html, to_latex, to_markdown

__all__ = ["AUDIT_COLUMNS", "parse_audit", "write_parse_audit"]

AUDIT_COLUMNS = ["model_id", "format", "status", "reason", "repair", "sessions", "share",
                 "excerpt"]


def _text(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str)


def parse_audit(status: pd.DataFrame) -> pd.DataFrame:
    """Counts of sessions by model, format, status and reason, with one excerpt per reason.

    Parameters
    ----------
    status : DataFrame
        Session statuses (``results/data/parse_status.csv``): ``model_id, format,
        session, status`` and the parser's ``reason``, ``repair`` and ``excerpt``.

    Returns
    -------
    DataFrame
        :data:`AUDIT_COLUMNS`. ``repair`` is empty except for ``repaired`` rows,
        which are split by repair (``;``-joined codes). ``share`` is the share of
        the model's sessions in that format. ``excerpt`` is the answer text
        around the problem of the first session (by session number) with that
        reason; empty for ``ok`` and ``repaired``.
    """
    need = {"model_id", "format", "session", "status"}
    missing = need - set(status.columns)
    if missing:
        raise ValueError(f"session statuses lack the columns {sorted(missing)}")
    d = status.copy()
    for c in ("reason", "repair", "excerpt"):
        d[c] = _text(d[c]) if c in d.columns else ""
    d["model_id"] = d["model_id"].astype(str)
    d.loc[d["status"] != "repaired", "repair"] = ""
    d = d.sort_values(["model_id", "format", "session"], kind="mergesort")
    keys = ["model_id", "format", "status", "reason", "repair"]
    total = d.groupby(["model_id", "format"]).size().rename("total")
    counts = d.groupby(keys, sort=False).size().rename("sessions").reset_index()
    first = (d[d["excerpt"] != ""].groupby(keys, sort=False)["excerpt"].first()
             .rename("excerpt").reset_index())
    out = counts.merge(first, on=keys, how="left").merge(total.reset_index(),
                                                         on=["model_id", "format"])
    out["excerpt"] = out["excerpt"].fillna("")
    out["share"] = out["sessions"] / out["total"]
    rank = {s: i for i, s in enumerate(STATUSES)}
    out["_s"] = out["status"].map(rank).fillna(len(rank))
    out = out.sort_values(["model_id", "format", "_s", "reason", "repair"], kind="mergesort")
    out["sessions"] = out["sessions"].astype("int64")
    return out[AUDIT_COLUMNS].reset_index(drop=True)


def write_parse_audit(table: pd.DataFrame, stem: str | Path, caption: str = "",
                      note: str = "") -> list[Path]:
    """``stem``.csv, ``stem``.md and ``stem``.html with excerpts; ``stem``.tex with the
    counts only."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    kinds = {"sessions": "int", "share": "pct"}
    shown = format_frame(table, kinds)
    counts = shown.drop(columns=["excerpt"])
    write_csv(table, stem.with_suffix(".csv"))
    bodies = {".tex": to_latex(counts, caption, "tab:parse-audit", note),
              ".md": to_markdown(shown, caption, note),
              ".html": to_html(shown, caption, note)}
    for suffix, body in bodies.items():
        with atomic_path(stem.with_suffix(suffix)) as tmp:
            tmp.write_text(body, encoding="utf-8")
    return [stem.with_suffix(s) for s in (".csv", ".tex", ".md", ".html")]
