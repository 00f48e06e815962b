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

from .contracts import (
    RESAVE,
    DataValidationError,
    _read_text_frame,
    check_ranks,
    csv_header,
    decode_text,
    describe_ranks,
    read_humans,
    validate_frame,
)

__all__ = ["read_export", "apply_exclusions", "pseudonymise", "import_survey", "EXCLUSION_RULES",
           "EXCLUSION_LABELS", "describe_exclusion", "import_survey_tables"]


def pseudonymise(ids, salt: str) -> list[str]:
    """Stable pseudonyms ``P`` + 12 hex digits of sha256(salt | platform id)."""
    return ["P" + hashlib.sha256(f"{salt}|{x}".encode()).hexdigest()[:12] for x in ids]


def _read_qualtrics(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None,
                                  fix="check humans.export in config.yaml")
    if path.stat().st_size == 0:
        raise DataValidationError(path, "file is empty", header_lines=None)
    text = decode_text(path)
    csv_header(path, text)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(path, f"not a readable CSV table: {exc}", header_lines=None,
                                  fix=RESAVE) from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) < 2:
        raise DataValidationError(path, "a Qualtrics export needs three header rows", header_lines=None)
    import_row = df.iloc[1]
    if not all(str(v).startswith("{") and "ImportId" in str(v) for v in import_row.iloc[:3]):
        raise DataValidationError(
            path, "third header row must hold Qualtrics import ids ({\"ImportId\": ...}); "
            "is this a Qualtrics CSV export with 'Use choice text' off and three header rows?",
            row=None, header_lines=None, line=3,
            fix="export again from Qualtrics as CSV (numeric values), or set humans.layout: tidy",
        )
    data = df.iloc[2:].reset_index(drop=True)
    if data.empty:
        raise DataValidationError(path, "export has header rows but no responses", header_lines=None)
    return data


def _shown(v: str):
    """A cell value safe to show in a message: a short number, never text (it may be personal)."""
    try:
        float(v)
    except ValueError:
        return None
    return v if len(v) <= 12 else None


def _numeric(df, col, file, header_lines, lo=None, hi=None, integer=True, what="an answer"):
    s = df[col].astype(str).str.strip()
    empty = s == ""
    num = pd.to_numeric(s.where(~empty, None), errors="coerce")
    bad = np.flatnonzero((num.isna() & ~empty).to_numpy())
    if bad.size:
        raise DataValidationError(
            file, f"text where a number is expected ({what}; the text is not shown)",
            int(bad[0]) + 1, col, None, header_lines,
            fix="export numeric values (Qualtrics: 'Use numeric values'), or correct the cell")
    if integer:
        bad = np.flatnonzero((~empty & (num != np.floor(num))).to_numpy())
        if bad.size:
            raise DataValidationError(file, f"not an integer ({what})", int(bad[0]) + 1, col,
                                      _shown(s.iloc[bad[0]]), header_lines)
    if lo is not None:
        bad = np.flatnonzero((~empty & ((num < lo) | (num > hi))).to_numpy())
        if bad.size:
            raise DataValidationError(file, f"out of range {lo}..{hi} ({what})", int(bad[0]) + 1,
                                      col, _shown(s.iloc[bad[0]]), header_lines,
                                      fix="correct the value or leave the cell empty (unanswered)")
    return num.astype("float64")


def _first_bad_rank(ranks: np.ndarray, n_targets: int) -> int:
    """Position of the first rank that is missing, repeated or outside 1..T."""
    seen = set()
    for k, v in enumerate(ranks):
        if np.isnan(v) or v in seen or not 1 <= v <= n_targets:
            return k
        seen.add(v)
    return 0


def _check_ranking(wide, instrument, file, header_lines, rows_of, who, source_cols):
    targets = instrument.targets("ranking")
    cols = [f"ranking:{t}" for t in targets]
    if not all(c in wide.columns for c in cols):
        return
    bad, _ = check_ranks(wide[cols].to_numpy(dtype=float), len(targets))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        ranks = wide[cols].iloc[i].to_numpy(dtype=float)
        col = source_cols.get(targets[_first_bad_rank(ranks, len(targets))])
        raise DataValidationError(
            file, f"the ranking answer{who(i)} is not a permutation of 1..{len(targets)}: "
            f"{describe_ranks(ranks)} (a rank-order question cannot produce this: the export "
            "is corrupt)", rows_of(i), col, None, header_lines,
            fix="export the responses again; an unanswered ranking question has all ranks empty")


def _check_exclusion_columns(wide, rules, file, header_lines):
    """Exclusion inputs must mean what the rules assume: numbers, durations >= 0."""
    for n, rule in enumerate(rules):
        col = rule.get("column")
        if rule.get("rule") == "attention_check" and col in wide.columns:
            _numeric(wide, col, file, header_lines, integer=False, what="the attention check")
        if rule.get("rule") == "too_fast" and col in wide.columns:
            secs = _numeric(wide, col, file, header_lines, integer=False, what="a duration")
            bad = np.flatnonzero((secs < 0).to_numpy())
            if bad.size:
                raise DataValidationError(
                    file, "negative duration", int(bad[0]) + 1, col, _shown(str(secs.iloc[bad[0]])),
                    header_lines, fix="durations are seconds >= 0: check the column named in "
                    f"humans.exclusions[{n}].column")


def _check_incomplete_rule(wide, cfg, file, rows_of, who):
    cols = [c for c in wide.columns if c.startswith(("rating:", "ranking:"))]
    missing = wide[cols].isna().any(axis=1).to_numpy()
    rules = [r.get("rule") for r in cfg.get("exclusions", [])]
    if missing.any() and "incomplete" not in rules:
        i = int(np.flatnonzero(missing)[0])
        raise DataValidationError(
            file, f"{int(missing.sum())} respondent(s) left questions unanswered (first: "
            f"row {rows_of(i)}{who(i)}) and no exclusion rule handles unanswered questions",
            key="humans.exclusions",
            fix="add '- rule: incomplete' to humans.exclusions in config.yaml")


def read_export(cfg: dict, instrument) -> tuple[pd.DataFrame, Path]:
    """Read the survey export into a wide frame.

    Columns of the result: ``_platform_id`` (dropped before output),
    ``format:item_id`` answer columns, and every column any exclusion rule or
    demographic names (by its source name). Every value is checked against
    its format's range, each ranking answer is a permutation of 1..T or
    entirely empty, and errors name the row and the respondent's pseudonym,
    never a platform id, IP address, e-mail or free text.
    """
    path = Path(cfg["export"])
    layout = cfg.get("layout", "qualtrics")
    salt = str(cfg.get("pseudonym_salt", ""))
    passthrough = set(cfg.get("demographics", {}).values())
    for rule in cfg.get("exclusions", []):
        if rule.get("column"):
            passthrough.add(rule["column"])
        if rule.get("order_by"):
            passthrough.add(rule["order_by"])
    if layout == "qualtrics":
        data = _read_qualtrics(path)
        header_lines = 3
        idcol = cfg["id_column"]
        if idcol not in data.columns:
            raise DataValidationError(path, "respondent id column named in config is missing",
                                      column=idcol, header_lines=None, key="humans.id_column",
                                      fix="name the export's respondent id column in "
                                      "humans.id_column")
        ids = data[idcol].astype(str)
        pid = pseudonymise(ids, salt)

        def who(i):
            return f" of respondent {pid[i]}"

        def rows_of(i):
            return i + 1

        empty_id = np.flatnonzero((ids.str.strip() == "").to_numpy())
        if empty_id.size:
            raise DataValidationError(path, "empty respondent id", int(empty_id[0]) + 1, idcol,
                                      None, header_lines)
        d = ids.duplicated(keep=False).to_numpy()
        if d.any():
            first = int(np.flatnonzero(d)[0])
            second = int(np.flatnonzero(d & (ids == ids.iloc[first]).to_numpy())[1])
            raise DataValidationError(
                path, f"duplicate respondent id: rows {first + 1} and {second + 1} have the same "
                f"{idcol} (pseudonym {pid[first]}; the id itself is not shown)", second + 1, idcol,
                None, header_lines, fix="remove the repeated response from the export")
        wide = pd.DataFrame({"_platform_id": ids})
        for fmt in ("rating", "ranking"):
            mapping = cfg.get("items", {}).get(fmt, {})
            if not mapping:
                continue
            targets = instrument.targets(fmt)
            unknown = [k for k in mapping if k not in targets]
            if unknown:
                raise DataValidationError(
                    path, f"names {fmt} id(s) not in the instrument: {unknown}", header_lines=None,
                    key=f"humans.items.{fmt}.{unknown[0]}",
                    fix=f"the instrument's {fmt} ids are {', '.join(targets)}")
            missing_t = [t for t in targets if t not in mapping]
            if missing_t:
                raise DataValidationError(
                    path, f"no export column for {fmt} id(s) {missing_t}", header_lines=None,
                    key=f"humans.items.{fmt}", fix=f"map every {fmt} id of the instrument to "
                    "an export column")
            lo, hi = instrument.value_range(fmt)
            for t in targets:
                col = mapping[t]
                if col not in data.columns:
                    raise DataValidationError(
                        path, f"column mapped to {fmt} item {t} is missing", column=col,
                        header_lines=None, key=f"humans.items.{fmt}.{t}",
                        fix="correct the column name in config.yaml or export the question")
                wide[f"{fmt}:{t}"] = _numeric(data, col, path, header_lines, lo, hi,
                                              what=f"{fmt} of {t}")
        _check_ranking(wide, instrument, path, header_lines, rows_of, who,
                       cfg.get("items", {}).get("ranking", {}))
        for col in sorted(passthrough):
            if col not in data.columns:
                raise DataValidationError(
                    path, "column named in config (exclusions or demographics) is missing",
                    column=col, header_lines=None, fix="correct the column name in config.yaml")
            wide[col] = data[col].astype(str)
        _check_exclusion_columns(wide, cfg.get("exclusions", []), path, header_lines)
        _check_incomplete_rule(wide, cfg, path, rows_of, who)
        return wide, path
    if layout == "tidy":
        resp_path = Path(cfg["respondents"])

        def pseudonym(x):
            return pseudonymise([x], salt)[0]

        tidy = read_humans(path, instrument, pseudonym=pseudonym)
        rdf, _ = _read_text_frame(resp_path)
        validate_frame(rdf, {"properties": {"respondent_id": {
            "type": "string", "minLength": 1, "x-identifier": True}},
            "required": ["respondent_id"], "x-primary-key": ["respondent_id"]}, resp_path)
        rids = rdf["respondent_id"].astype(str).str.strip()
        for col in sorted(passthrough):
            if col not in rdf.columns:
                raise DataValidationError(
                    resp_path, "column named in config (exclusions or demographics) is missing",
                    column=col, header_lines=None, fix="correct the column name in config.yaml")
        known = set(rids)
        orphan = np.flatnonzero(~tidy["respondent_id"].isin(known).to_numpy())
        if orphan.size:
            i = int(orphan[0])
            raise DataValidationError(
                path, f"respondent {pseudonym(tidy['respondent_id'].iloc[i])} (pseudonym) has "
                f"answers but no row in the respondents table {resp_path}", i + 1,
                "respondent_id", fix="add the respondent to the respondents table or remove "
                "their answers")
        answered = set(tidy["respondent_id"])
        silent = np.flatnonzero(~rids.isin(answered).to_numpy())
        if silent.size:
            i = int(silent[0])
            raise DataValidationError(
                resp_path, f"respondent {pseudonym(rids.iloc[i])} (pseudonym) has no answers in "
                f"{path}", i + 1, "respondent_id",
                fix="add their answers (empty values for unanswered items) or remove the row")
        wide = tidy.assign(key=tidy["format"] + ":" + tidy["item_id"]).pivot(
            index="respondent_id", columns="key", values="value")
        rdf = rdf.assign(respondent_id=rids)
        wide = rdf.set_index("respondent_id").join(wide, how="left").reset_index()
        wide = wide.rename(columns={"respondent_id": "_platform_id"})
        for fmt in ("rating", "ranking"):
            for t in instrument.targets(fmt):
                key = f"{fmt}:{t}"
                if key not in wide.columns and (tidy["format"] == fmt).any():
                    raise DataValidationError(path, f"no answers for {fmt} item {t}",
                                              column="item_id", header_lines=None,
                                              fix=f"add rows for {fmt} item {t}")
                if key not in wide.columns:
                    continue
        pid = pseudonymise(wide["_platform_id"], salt)

        def who(i):
            return f" of respondent {pid[i]}"

        def rows_of(i):
            return i + 1

        _check_exclusion_columns(wide, cfg.get("exclusions", []), resp_path, 1)
        _check_incomplete_rule(wide, cfg, resp_path, rows_of, who)
        return wide, path
    raise DataValidationError(f"humans.layout must be 'qualtrics' or 'tidy', not {layout!r}")


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


EXCLUSION_LABELS = {
    "attention_check": "attention check",
    "too_fast": "too fast",
    "straightlining": "straight-lining",
    "duplicate": "repeat participation",
    "incomplete": "incomplete answers",
}


def _num_text(v) -> str:
    x = float(v)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def describe_exclusion(rule: dict) -> str:
    """One exclusion rule from config, in words for a table (no config syntax)."""
    name = rule.get("rule")
    if name == "attention_check":
        return (f"Failed an attention check (answer to {rule['column']} other than "
                f"{_num_text(rule['expected'])})")
    if name == "too_fast":
        return f"Completed the survey in under {_num_text(rule['min_seconds'])} seconds"
    if name == "straightlining":
        sd = float(rule.get("max_sd", 0.0))
        if sd == 0:
            return "Gave the same answer to every rating item"
        return f"Rating answers varied too little (SD at most {_num_text(sd)})"
    if name == "duplicate":
        keep = (f"the earliest by {rule['order_by']} kept" if rule.get("order_by")
                else "the first in the file kept")
        return f"Took part more than once (same {rule['column']}; {keep})"
    if name == "incomplete":
        return "Left a rating or ranking question unanswered"
    return str(name)


def apply_exclusions(wide: pd.DataFrame, rules: list[dict]) -> tuple[np.ndarray, list, pd.DataFrame]:
    """Apply ``rules`` in order. Return (included mask, reasons, flow table).

    Each rule is evaluated on everyone, but a respondent is charged to the
    first rule (in config order) that removes them, so the flow counts add
    up: collected - sum(excluded) = analysed. The flow's ``step`` names the
    rule (``excluded: <rule>``), its ``rule`` column describes it in words
    (:func:`describe_exclusion`).
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
        desc = describe_exclusion(rule)
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


def import_survey_tables(humans: dict, export, respondents, instrument) -> dict:
    """The survey step of the workflow: :func:`import_survey` plus the analysed humans' scores.

    ``humans`` is config ``humans`` without ``export``; ``export`` the survey export and
    ``respondents`` the respondents file of a tidy layout (a list of 0 or 1 path). Returns
    the tables ``humans``, ``respondents``, ``flow`` and ``scores`` (theme scores of the
    included respondents, per response format answered) and ``meta`` (counts).
    """
    from .instrument import FORMATS
    from .profiles import theme_scores

    cfg = dict(humans)
    cfg["export"] = export
    if cfg.get("layout") == "tidy":
        cfg["respondents"] = list(respondents)[0]
    out = import_survey(cfg, instrument)
    included = set(out["respondents"].loc[out["respondents"]["included"], "respondent_id"])
    analysed = out["humans"][out["humans"]["respondent_id"].isin(included)]
    out["scores"] = pd.concat(
        [theme_scores(analysed, instrument, ["respondent_id"], fmt) for fmt in FORMATS
         if (analysed["format"] == fmt).any()],
        ignore_index=True,
    )
    return out
