"""Import the human survey and apply the exclusion rules.

Two input layouts, chosen in config (``humans.layout``):

``qualtrics``
    A Qualtrics "CSV export": three header rows (column ids, question texts,
    import ids ``{"ImportId": ...}``), one row per respondent, the platform
    metadata columns (ResponseId, IP address, durations, panel ids, ...).
``tidy``
    A humans table (respondent_id, format, item_id, value; METHODS 3) plus a
    respondents file with one row per respondent holding the columns the
    exclusion rules and demographics name.

Both are turned into one wide frame, the exclusion rules from config are
applied in their listed order (each respondent is charged to the first rule
that removes them), and only pseudonymised ids, the mapped answers and the
named demographics leave this module: platform ids, IP addresses, e-mail,
locations and free text never reach results/.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from .contracts import DataValidationError, read_table, validate_frame

__all__ = ["read_export", "apply_exclusions", "pseudonymise", "import_survey", "EXCLUSION_RULES"]


def pseudonymise(ids, salt: str) -> list[str]:
    """Stable pseudonyms ``P`` + 12 hex digits of sha256(salt | platform id)."""
    return ["P" + hashlib.sha256(f"{salt}|{x}".encode()).hexdigest()[:12] for x in ids]


def _read_qualtrics(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None)
    if path.stat().st_size == 0:
        raise DataValidationError(path, "file is empty", header_lines=None)
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(path, f"not valid UTF-8 at byte {exc.start} (line {line})",
                                  header_lines=None) from None
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if len(df) < 2:
        raise DataValidationError(path, "a Qualtrics export needs three header rows", header_lines=None)
    import_row = df.iloc[1]
    if not all(str(v).startswith("{") and "ImportId" in str(v) for v in import_row.iloc[:3]):
        raise DataValidationError(
            path, "third header row must hold Qualtrics import ids ({\"ImportId\": ...}); "
            "is this a Qualtrics CSV export with 'Use choice text' off and three header rows?",
            row=None, header_lines=None,
        )
    data = df.iloc[2:].reset_index(drop=True)
    if data.empty:
        raise DataValidationError(path, "export has header rows but no responses", header_lines=None)
    return data


def _numeric(df, col, file, header_lines, lo=None, hi=None, integer=True):
    s = df[col].astype(str).str.strip()
    empty = s == ""
    num = pd.to_numeric(s.where(~empty, None), errors="coerce")
    bad = np.flatnonzero((num.isna() & ~empty).to_numpy())
    if bad.size:
        raise DataValidationError(file, "not a number", int(bad[0]) + 1, col, s.iloc[bad[0]], header_lines)
    if integer:
        bad = np.flatnonzero((~empty & (num != np.floor(num))).to_numpy())
        if bad.size:
            raise DataValidationError(file, "not an integer", int(bad[0]) + 1, col, s.iloc[bad[0]], header_lines)
    if lo is not None:
        bad = np.flatnonzero((~empty & ((num < lo) | (num > hi))).to_numpy())
        if bad.size:
            raise DataValidationError(file, f"out of range {lo}..{hi}", int(bad[0]) + 1, col,
                                      s.iloc[bad[0]], header_lines)
    return num.astype("float64")


def read_export(cfg: dict, instrument) -> tuple[pd.DataFrame, Path]:
    """Read the survey export into a wide frame.

    Columns of the result: ``_platform_id`` (dropped before output),
    ``format:item_id`` answer columns, and every column any exclusion rule or
    demographic names (by its source name).
    """
    path = Path(cfg["export"])
    layout = cfg.get("layout", "qualtrics")
    if layout == "qualtrics":
        data = _read_qualtrics(path)
        header_lines = 3
        idcol = cfg["id_column"]
        if idcol not in data.columns:
            raise DataValidationError(path, "respondent id column named in config is missing", column=idcol)
        wide = pd.DataFrame({"_platform_id": data[idcol].astype(str)})
        for fmt in ("rating", "ranking"):
            mapping = cfg.get("items", {}).get(fmt, {})
            if not mapping:
                continue
            targets = instrument.targets(fmt)
            unknown = [k for k in mapping if k not in targets]
            if unknown:
                raise DataValidationError(path, f"config humans.items.{fmt} names ids not in the instrument: "
                                          f"{unknown}", header_lines=None)
            missing_t = [t for t in targets if t not in mapping]
            if missing_t:
                raise DataValidationError(path, f"config humans.items.{fmt} lacks a column for {missing_t}",
                                          header_lines=None)
            lo, hi = instrument.value_range(fmt)
            for t in targets:
                col = mapping[t]
                if col not in data.columns:
                    raise DataValidationError(path, f"column mapped to {fmt} item {t} is missing", column=col)
                wide[f"{fmt}:{t}"] = _numeric(data, col, path, header_lines, lo, hi)
        passthrough = set(cfg.get("demographics", {}).values())
        for rule in cfg.get("exclusions", []):
            if rule.get("column"):
                passthrough.add(rule["column"])
            if rule.get("order_by"):
                passthrough.add(rule["order_by"])
        for col in sorted(passthrough):
            if col not in data.columns:
                raise DataValidationError(path, "column named in config (exclusions or demographics) is missing",
                                          column=col)
            wide[col] = data[col].astype(str)
        d = wide.duplicated("_platform_id")
        if d.any():
            i = int(np.flatnonzero(d.to_numpy())[0])
            raise DataValidationError(path, "duplicate respondent id", i + 1, idcol, wide["_platform_id"].iloc[i],
                                      header_lines)
        return wide, path
    if layout == "tidy":
        tidy = read_table(path, "humans")
        resp_path = Path(cfg["respondents"])
        rdf = pd.read_csv(resp_path, dtype=str, keep_default_na=False)
        if "respondent_id" not in rdf.columns:
            raise DataValidationError(resp_path, "missing required column", column="respondent_id")
        wide = tidy.assign(key=tidy["format"] + ":" + tidy["item_id"]).pivot(
            index="respondent_id", columns="key", values="value")
        wide = rdf.set_index("respondent_id").join(wide, how="left").reset_index()
        wide = wide.rename(columns={"respondent_id": "_platform_id"})
        for fmt in ("rating", "ranking"):
            for t in instrument.targets(fmt):
                key = f"{fmt}:{t}"
                if key not in wide.columns and (tidy["format"] == fmt).any():
                    raise DataValidationError(path, f"no answers for {fmt} item {t}", column="item_id")
        validate_frame(wide[["_platform_id"]].rename(columns={"_platform_id": "respondent_id"}),
                       {"properties": {"respondent_id": {"type": "string", "minLength": 1}},
                        "x-primary-key": ["respondent_id"]}, resp_path)
        return wide, path
    raise ValueError(f"humans.layout must be 'qualtrics' or 'tidy', not {layout!r}")


# ---------------------------------------------------------------------------
# exclusion rules
# ---------------------------------------------------------------------------
def _rule_attention(wide, rule, **_):
    vals = pd.to_numeric(wide[rule["column"]], errors="coerce")
    return ~np.isclose(vals.to_numpy(dtype=float), float(rule["expected"]))


def _rule_too_fast(wide, rule, **_):
    secs = pd.to_numeric(wide[rule["column"]], errors="coerce").to_numpy(dtype=float)
    return ~(secs >= float(rule["min_seconds"]))


def _rule_straightlining(wide, rule, **_):
    cols = [c for c in wide.columns if c.startswith("rating:")]
    x = wide[cols].to_numpy(dtype=float)
    sd = np.nanstd(x, axis=1)
    return sd <= float(rule.get("max_sd", 0.0))


def _rule_duplicate(wide, rule, **_):
    key = wide[rule["column"]].astype(str)
    order = wide[rule["order_by"]].astype(str) if rule.get("order_by") else pd.Series(np.arange(len(wide)))
    ranked = pd.DataFrame({"key": key, "order": order, "pos": np.arange(len(wide))})
    ranked = ranked.sort_values(["order", "pos"], kind="mergesort")
    dup = ranked.duplicated("key", keep="first") & (ranked["key"] != "")
    out = np.zeros(len(wide), dtype=bool)
    out[ranked["pos"].to_numpy()[dup.to_numpy()]] = True
    return out


def _rule_incomplete(wide, rule, **_):
    cols = [c for c in wide.columns if c.startswith(("rating:", "ranking:"))]
    return wide[cols].isna().any(axis=1).to_numpy()


EXCLUSION_RULES = {
    "attention_check": _rule_attention,
    "too_fast": _rule_too_fast,
    "straightlining": _rule_straightlining,
    "duplicate": _rule_duplicate,
    "incomplete": _rule_incomplete,
}


def apply_exclusions(wide: pd.DataFrame, rules: list[dict]) -> tuple[np.ndarray, list, pd.DataFrame]:
    """Apply ``rules`` in order. Return (included mask, reasons, flow table).

    Each rule is evaluated on everyone, but a respondent is charged to the
    first rule (in config order) that removes them, so the flow counts add
    up: collected - sum(excluded) = analysed.
    """
    n = len(wide)
    included = np.ones(n, dtype=bool)
    reason: list = [None] * n
    flow = [{"step": "collected", "rule": "", "excluded": 0, "remaining": n}]
    for rule in rules:
        name = rule["rule"]
        if name not in EXCLUSION_RULES:
            raise ValueError(f"unknown exclusion rule {name!r}; known: {sorted(EXCLUSION_RULES)}")
        hit = EXCLUSION_RULES[name](wide, rule) & included
        for i in np.flatnonzero(hit):
            reason[i] = name
        included &= ~hit
        desc = ", ".join(f"{k}={v}" for k, v in rule.items() if k != "rule")
        flow.append({"step": f"excluded: {name}", "rule": desc, "excluded": int(hit.sum()),
                     "remaining": int(included.sum())})
    flow.append({"step": "analysed", "rule": "", "excluded": int(n - included.sum()),
                 "remaining": int(included.sum())})
    return included, reason, pd.DataFrame(flow)


def import_survey(cfg: dict, instrument) -> dict[str, pd.DataFrame]:
    """Read, exclude and pseudonymise. Returns humans, respondents and flow tables."""
    wide, path = read_export(cfg, instrument)
    included, reason, flow = apply_exclusions(wide, cfg.get("exclusions", []))
    pid = pseudonymise(wide["_platform_id"], str(cfg.get("pseudonym_salt", "")))
    respondents = pd.DataFrame({"respondent_id": pid, "included": included, "exclusion_reason": reason})
    for name, col in cfg.get("demographics", {}).items():
        respondents[name] = wide[col].to_numpy()
    rows = []
    for fmt in ("rating", "ranking"):
        cols = [c for c in wide.columns if c.startswith(f"{fmt}:")]
        if not cols:
            continue
        long = pd.DataFrame(wide[cols].to_numpy(dtype=float), columns=[c.split(":", 1)[1] for c in cols])
        long.insert(0, "respondent_id", pid)
        long = long.melt(id_vars="respondent_id", var_name="item_id", value_name="value")
        long.insert(1, "format", fmt)
        rows.append(long)
    humans = pd.concat(rows, ignore_index=True)
    order = {r: n for n, r in enumerate(pid)}
    humans = humans.sort_values(["format", "respondent_id", "item_id"],
                                key=lambda s: s.map(order) if s.name == "respondent_id" else s,
                                kind="mergesort").reset_index(drop=True)
    meta = {"file": str(path), "layout": cfg.get("layout", "qualtrics"), "n_collected": int(len(wide)),
            "n_analysed": int(included.sum())}
    return {"humans": humans, "respondents": respondents, "flow": flow, "meta": pd.Series(meta)}
