"""The paper bundle: every table and figure in one folder, the macros, and a generated summary.

:func:`bundle_name` decides where each result lands in ``results/paper/``;
:func:`merge_macros` joins the studies' macro files (a name defined twice is
an error; alias lines of renamed macros are kept and read as their target's
value); the summary (``summary.md``, :func:`summary_markdown`) is built from
the merged macros, never typed in. :func:`bundle_step` does all of it for the
``paper_bundle`` rule.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .contracts import atomic_path

__all__ = ["bundle_name", "is_paper_file", "copy_into_bundle", "merge_macros", "read_macros",
           "is_simulated", "Bundle", "bundle_step", "summary_markdown", "theme_label",
           "mark_incomplete", "unmark_incomplete"]

log = logging.getLogger(__name__)

_BANNER_START = "<!-- valueaudit: incomplete run -->\n"
_BANNER_END = "<!-- /valueaudit: incomplete run -->\n\n"


def mark_incomplete(summary: str | Path, marker: str | Path) -> bool:
    """Put a banner on top of ``summary.md`` saying the run is incomplete (see ``marker``).

    :func:`unmark_incomplete` removes it again, restoring the exact bytes the
    paper bundle wrote. Returns False when there is no summary.
    """
    p = Path(summary)
    if not p.is_file():
        return False
    text = p.read_text(encoding="utf-8")
    if text.startswith(_BANNER_START):
        text = text[text.index(_BANNER_END) + len(_BANNER_END):]
    banner = (f"{_BANNER_START}> **INCOMPLETE RUN.** The last run of the workflow failed: "
              f"`{marker}` lists the failed jobs and the outputs that are stale or missing. "
              "Numbers below may come from earlier inputs; do not report them before a "
              f"complete run.\n{_BANNER_END}")
    with atomic_path(p) as tmp:
        tmp.write_text(banner + text, encoding="utf-8")
    return True


def unmark_incomplete(summary: str | Path) -> bool:
    """Remove the banner of :func:`mark_incomplete`; True if there was one."""
    p = Path(summary)
    if not p.is_file():
        return False
    text = p.read_text(encoding="utf-8")
    if not text.startswith(_BANNER_START) or _BANNER_END not in text:
        return False
    with atomic_path(p) as tmp:
        tmp.write_text(text[text.index(_BANNER_END) + len(_BANNER_END):], encoding="utf-8")
    return True

PAPER_EXT = {".csv", ".tex", ".md", ".pdf", ".png"}


def is_paper_file(path: str) -> bool:
    """Tables and figures of the studies (not macros, data or logs)."""
    p = Path(path)
    return p.suffix in PAPER_EXT and p.parent.name in ("tables", "figures")


def bundle_name(path: str, paper_dir: str) -> str:
    """``results/study3/tables/leaderboard.tex`` -> ``<paper>/tables/study3_leaderboard.tex``."""
    p = Path(path)
    kind = p.parent.name
    owner = p.parent.parent.name
    prefix = "" if owner in ("results", "") or owner == Path(paper_dir).parent.name else f"{owner}_"
    return str(Path(paper_dir) / kind / f"{prefix}{p.name}")


def copy_into_bundle(sources: list[str], targets: list[str], lineage: dict | None = None) -> None:
    """Copy each table or figure into the bundle.

    With ``lineage`` (output path -> job record with its ``sha256``, as from
    :func:`valueaudit.provenance.lineage_index`), every source must have a
    record and its bytes must match it; otherwise nothing is copied and
    :class:`~valueaudit.contracts.DataValidationError` names the file.
    """
    from .contracts import DataValidationError
    from .smk import sha256_file

    if lineage is not None:
        for src in sources:
            job = lineage.get(str(src))
            if job is None:
                raise DataValidationError(
                    src, "no lineage record: the workflow did not make this file",
                    header_lines=None, fix="remove it and run the workflow again")
            if sha256_file(src) != job["sha256"]:
                raise DataValidationError(
                    src, f"bytes no longer match the lineage record of rule '{job['rule']}' "
                    f"({job['lineage_file']}): the file was edited after the workflow wrote it",
                    header_lines=None,
                    fix=f"run `snakemake --forcerun {job['rule']}` to remake it from its inputs")
    for src, dst in zip(sources, targets, strict=True):
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)


_MACRO = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}\s*$")
_ALIAS = re.compile(r"^\\([A-Za-z]+)$")


def _definitions(path: str | Path) -> list[tuple[str, str]]:
    """``(name, body)`` of every ``\\newcommand`` line of a macro file, in file order.

    A name defined twice raises ``ValueError`` naming the file and both lines.
    """
    out: list[tuple[str, str]] = []
    line_of: dict[str, int] = {}
    for k, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        m = _MACRO.match(line)
        if not m:
            continue
        name = m.group(1)
        if name in line_of:
            raise ValueError(f"{path}: macro \\{name} defined twice (lines {line_of[name]} "
                             f"and {k})")
        line_of[name] = k
        out.append((name, m.group(2)))
    return out


def _resolve(defs: dict[str, str], where: str) -> dict[str, str]:
    """Every macro's value, an alias (a body that is exactly ``\\name`` of another macro
    in ``defs``) replaced by the value of the macro it stands for."""
    out = {}
    for name in defs:
        seen = [name]
        body = defs[name]
        while (m := _ALIAS.match(body)) is not None:
            target = m.group(1)
            if target not in defs:
                raise ValueError(f"{where}: macro \\{seen[-1]} is an alias of \\{target}, "
                                 "which is not defined")
            if target in seen:
                raise ValueError(f"{where}: macro aliases form a cycle: "
                                 + " -> ".join(f"\\{n}" for n in [*seen, target]))
            seen.append(target)
            body = defs[target]
        out[name] = body
    return out


def read_macros(path: str | Path) -> dict[str, str]:
    """The macros of one file, name -> value, in file order.

    An alias line ``\\newcommand{\\former}{\\current}`` (as
    :func:`valueaudit.tables.write_macros` writes for a renamed macro) reads as the
    value of ``\\current``; an alias of a macro the file does not define, or a name
    defined twice, raises ``ValueError``.
    """
    return _resolve(dict(_definitions(path)), str(path))


def merge_macros(paths: list[str | Path], out: str | Path) -> dict[str, str]:
    """Concatenate macro files into one and return every macro's value (aliases resolved).

    Each file's lines are kept as they are, alias lines included, so a document written
    against a former name still compiles; a macro defined in two files (or twice in one)
    is an error, as is an alias of a macro no file defines.
    """
    defs: dict[str, str] = {}
    owner: dict[str, str] = {}
    lines = ["% Key numbers of the valueaudit run; \\input{macros} in the manuscript.",
             "% Generated from the results; do not edit."]
    for p in paths:
        lines.append(f"% from {p}")
        for name, body in _definitions(p):
            if name in defs:
                raise ValueError(f"macro \\{name} defined in both {owner[name]} and {p}")
            defs[name], owner[name] = body, str(p)
            lines.append(rf"\newcommand{{\{name}}}{{{body}}}")
    values = _resolve(defs, " + ".join(map(str, paths)))
    with atomic_path(out) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return values


def is_simulated(raw_files: list[str | Path]) -> bool:
    """Whether the raw records come from the embedded simulated data set (the first record
    of a file says so in its ``provenance``)."""
    for path in raw_files:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        if first.strip() and json.loads(first).get("provenance", "").startswith("SIMULATED"):
            return True
    return False


@dataclass
class Bundle:
    """What :func:`bundle_step` made: the merged macros, whether the data are simulated,
    and the text of ``summary.md``."""

    macros: dict[str, str]
    simulated: bool
    summary: str


def bundle_step(sources: list[str], targets: list[str], lineage_dir: str | Path,
                macro_files: list[str | Path], macros_out: str | Path,
                preamble_out: str | Path, raw_files: list[str | Path]) -> Bundle:
    """Rule paper_bundle: copy every table and figure into the bundle (checked against the
    lineage records in ``lineage_dir``, :func:`copy_into_bundle`), merge the macro files
    (:func:`merge_macros`), write the LaTeX preamble, and build the summary
    (:func:`summary_markdown`) for the script to write."""
    from .provenance import lineage_index
    from .tables import write_preamble

    copy_into_bundle(list(sources), list(targets), lineage_index(lineage_dir))
    macros = merge_macros(list(macro_files), macros_out)
    write_preamble(preamble_out)
    simulated = is_simulated(list(raw_files))
    log.info("bundled %d files and %d macros (simulated data: %s)", len(targets), len(macros),
             simulated)
    return Bundle(macros, simulated, summary_markdown(macros, simulated))


# ---------------------------------------------------------------------------
# summary.md: each headline finding, with its numbers, from the macros
# ---------------------------------------------------------------------------
def _md(v: str) -> str:
    return v.replace("$<$", "<").replace("\\%", "%").replace("$", "").replace("\\", "")


def _num(v: str) -> float:
    """Parse an APA-formatted number ('.045', '< .001', '79.7%') for a verdict."""
    t = _md(v).strip()
    if t.startswith("<"):
        return float(t[1:].strip()) / 2
    if t.endswith("%"):
        return float(t[:-1]) / 100
    try:
        return float(t)
    except ValueError:
        return float("nan")


class _NA(dict):
    """A macro a study could not compute (e.g. too few models for OLS) reads as NA."""

    def __missing__(self, key):
        return "NA"


def theme_label(m: dict[str, str], key: str) -> str:
    """The theme label of a Study 1 prevalence macro ``studyOnePrev<Theme>``.

    Its ``...Label`` macro (the instrument's label); without one, the macro's
    theme part with a space before each inner capital ("AdaptiveCapacity" ->
    "Adaptive Capacity").
    """
    if key + "Label" in m:
        return str(m[key + "Label"])
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.removeprefix("studyOnePrev"))


def summary_markdown(m: dict[str, str], simulated: bool, alpha: float = 0.05) -> str:
    """The headline findings as Markdown, every number taken from the macros ``m``.

    Each finding gets a verdict ("supported" / "not supported") computed from
    the numbers, so the same text can show or refute the paper's findings on
    any data set.
    """
    g = _NA({k: _md(v) for k, v in m.items()})
    m = _NA(m)

    def verdict(ok: bool) -> str:
        return "**supported**" if ok else "**not supported**"

    lines = ["# Summary of findings", ""]
    if simulated:
        lines += ["> These results come from the embedded SIMULATED data set: model names are synthetic "
                  "and no number is a claim about a real product or person.", ""]
    lines += [
        f"Human reference: {g['studyThreeHumanN']} respondents analysed ({g['studyThreeHumanCollected']} collected, "
        f"{g['studyThreeHumanExcluded']} excluded by the exclusion rules); {g['studyThreeModelsN']} of {g['studyThreeModelsTotal']} models "
        f"analysed ({g['studyThreeModelsNotAnalysed']} with too few valid sessions); {g['studyThreeNThemes']} themes; profiles "
        f"from the {g['studyThreeResponseFormat']} format; bootstrap B = {g['studyThreeBootstrapB']}.",
        "",
        "## Study 3: the fidelity benchmark",
        "",
    ]
    ordered = _num(m["studyThreeOrderedShare"]) > 0.5
    lines.append(
        f"1. Most models reproduce the human ordering of priorities: {verdict(ordered)}. "
        f"{g['studyThreeOrderedN']} of {g['studyThreeModelsN']} models ({g['studyThreeOrderedShare']}) reach Spearman rho >= "
        f"{g['studyThreeOrderingCrit']} with the human profile (the one-sided .05 critical value for "
        f"{g['studyThreeNThemes']} themes). Median fidelity {g['studyThreeFidelityMedian']} (range {g['studyThreeFidelityMin']} to "
        f"{g['studyThreeFidelityMax']}); the human noise ceiling (random halves) is {g['studyThreeCeilingFidelity']} "
        f"[{g['studyThreeCeilingLow']}, {g['studyThreeCeilingHigh']}]."
    )
    exag = int(float(g["studyThreeExaggeratingN"])) > 0
    lines.append(
        f"2. Some models exaggerate the differences between priorities: {verdict(exag)}. "
        f"{g['studyThreeExaggeratingN']} models ({g['studyThreeExaggeratingShare']}) exaggerate (95% CI of ln k above 0, "
        f"not within the margin {g['studyThreeCalibrationMargin']}), {g['studyThreeFlatteningN']} ({g['studyThreeFlatteningShare']}) "
        f"flatten, {g['studyThreeCalibratedN']} ({g['studyThreeCalibratedShare']}) are calibrated (CI of k within "
        f"[1/{g['studyThreeCalibrationMargin']}, {g['studyThreeCalibrationMargin']}]) and {g['studyThreeInconclusiveN']} "
        f"({g['studyThreeInconclusiveShare']}) are inconclusive; "
        f"{g['studyThreeOrderedExaggeratingN']} ({g['studyThreeOrderedExaggeratingShare']}) are ordered but exaggerated."
    )
    ps = [_num(m["studyThreeSizeP"]), _num(m["studyThreeRecencyP"]), _num(m["studyThreeTierP"])]
    no_scale = all(p >= alpha for p in ps)
    lines.append(
        f"3. Fidelity does not scale with size, recency or capability tier: {verdict(no_scale)}. "
        f"Log size: Spearman rho = {g['studyThreeSizeRho']}, p = {g['studyThreeSizeP']} (n = {g['studyThreeSizeN']}; "
        f"{g['studyThreeSizeMissing']} models without a disclosed size left out, not imputed); release date: "
        f"rho = {g['studyThreeRecencyRho']}, p = {g['studyThreeRecencyP']} (n = {g['studyThreeRecencyN']}); tier: Kruskal-Wallis "
        f"H({g['studyThreeTierDf']}) = {g['studyThreeTierH']}, p = {g['studyThreeTierP']}. OLS with HC3 errors: size b = "
        f"{g['studyThreeOlsSizeB']}, p = {g['studyThreeOlsSizeP']}; recency b = {g['studyThreeOlsRecencyB']}, p = {g['studyThreeOlsRecencyP']}; "
        f"tier F = {g['studyThreeOlsTierF']}, p = {g['studyThreeOlsTierP']}."
    )
    agency = _num(m["studyThreeAgencyHumanRank"]) == _num(m["studyThreeNThemes"]) and _num(m["studyThreeAgencyModelsLastShare"]) > 0.5
    lines.append(
        f"4. Humans and models deprioritise {g['studyThreeAgencyLabel']}: {verdict(agency)}. Humans rank it "
        f"{g['studyThreeAgencyHumanRank']} of {g['studyThreeNThemes']}; {g['studyThreeAgencyModelsLastN']} models "
        f"({g['studyThreeAgencyModelsLastShare']}) rank it last (binomial test against 1/{g['studyThreeNThemes']}: "
        f"p {g['studyThreeAgencyBinomP'] if g['studyThreeAgencyBinomP'].startswith('<') else '= ' + g['studyThreeAgencyBinomP']}); "
        f"median model rank {g['studyThreeAgencyModelMedianRank']}."
    )
    lines.append(
        f"5. Reference points: single sessions reach a median fidelity of {g['studyThreeSessionFidelity']} "
        f"[{g['studyThreeSessionLow']}, {g['studyThreeSessionHigh']}] against single humans' {g['studyThreeLooFidelity']} "
        f"[{g['studyThreeLooLow']}, {g['studyThreeLooHigh']}] (leave-one-out); the median model sits at the "
        f"{g['studyThreeHumanPercentileMedian']}th percentile of humans; the shuffled-label null gives a median "
        f"fidelity of {g['studyThreeNullMedian']}, beaten by {g['studyThreeNullBeatenN']} models."
    )
    lines.append(
        f"6. Robustness: Kendall's tau between the fidelity leaderboard and the leaderboards under "
        f"Lin's CCC {g['studyThreeTauCcc']}, Pearson r {g['studyThreeTauPearson']}, D^2 {g['studyThreeTauDTwo']}, the other response "
        f"format {g['studyThreeTauOtherFormat']}."
    )
    lines += ["", "## Study 2: stability and convergence", ""]
    stable = _num(m["studyTwoStabIccMedian"]) >= 0.75
    lines.append(
        f"1. Profiles are stable within a model: {verdict(stable)}. Median ICC(A,1) "
        f"{g['studyTwoStabIccMedian']} [IQR {g['studyTwoStabIccQLow']}, {g['studyTwoStabIccQHigh']}], median ICC(A,k) "
        f"{g['studyTwoStabIcckMedian']}, median Kendall's W across sessions {g['studyTwoStabWMedian']} "
        f"({g['studyTwoStabEstimated']} of {g['studyTwoStabModels']} models estimated; {g['studyTwoStabNa']} NA with a reason)."
    )
    conv = _num(m["studyTwoConvP"]) < alpha
    lines.append(
        f"2. Models converge on a common structure: {verdict(conv)}. Kendall's W = {g['studyTwoConvW']}, "
        f"chi2({g['studyTwoConvDf']}) = {g['studyTwoConvChi']}, p {g['studyTwoConvP'] if g['studyTwoConvP'].startswith('<') else '= ' + g['studyTwoConvP']}; "
        f"mean pairwise Spearman {g['studyTwoConvRho']}; Krippendorff's alpha (interval) {g['studyTwoConvAlpha']}. "
        f"Consensus ordering: {g['studyTwoConsensusOrder']}. Ward clustering of centred profiles: k = "
        f"{g['studyTwoClustK']} (silhouette {g['studyTwoClustSil']})."
    )
    lines += ["", "## Study 1: themes in the models' own words", ""]
    lines.append(
        f"1. {g['studyOneResponses']} answers of {g['studyOneModels']} models coded by "
        f"{g['studyOneCoders']} coders into {g['studyOneCodes']} codes ({g['studyOneSegments']} coded "
        f"segments). Inter-coder reliability of theme presence: kappa = {g['studyOneKappa']} "
        f"{g['studyOneKappaCi']}, Krippendorff's alpha = {g['studyOneAlpha']} {g['studyOneAlphaCi']}. "
        f"95% of codes appear after {g['studyOneSaturationN']} answers on average."
    )
    prev = sorted(k for k in m if k.startswith("studyOnePrev") and not k.endswith(("Ci", "Label")))
    if prev:
        parts = [f"{theme_label(g, k)} {g[k]} {g.get(k + 'Ci', '')}".strip() for k in prev]
        lines.append("2. Theme prevalence (share of answers): " + "; ".join(parts) + ".")
    lines += ["", "Every number above is read from `results/paper/macros.tex`, which the studies "
              "write from their result tables; see `results/provenance/lineage.json` for where each "
              "comes from."]
    return "\n".join(lines) + "\n"
