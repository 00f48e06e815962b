"""The paper bundle: every table and figure in one folder, the macros, and a generated summary.

:func:`bundle_name` decides where each result lands in ``results/paper/``;
:func:`merge_macros` joins the studies' macro files (a name defined twice is
an error); the summary (``summary.md``) is written by the ``paper_summary``
rule from the studies' own result tables, never typed in.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .contracts import atomic_path

__all__ = ["bundle_name", "is_paper_file", "copy_into_bundle", "merge_macros", "read_macros",
           "mark_incomplete", "unmark_incomplete"]

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


def read_macros(path: str | Path) -> dict[str, str]:
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = _MACRO.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def merge_macros(paths: list[str | Path], out: str | Path) -> dict[str, str]:
    """Concatenate macro files into one; a macro defined in two files is an error."""
    seen: dict[str, str] = {}
    owner: dict[str, str] = {}
    lines = ["% Key numbers of the valueaudit run; \\input{macros} in the manuscript.",
             "% Generated from the results; do not edit."]
    for p in paths:
        lines.append(f"% from {p}")
        for name, value in read_macros(p).items():
            if name in seen:
                raise ValueError(f"macro \\{name} defined in both {owner[name]} and {p}")
            seen[name], owner[name] = value, str(p)
            lines.append(rf"\newcommand{{\{name}}}{{{value}}}")
    with atomic_path(out) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return seen


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
        f"Human reference: {g['humanN']} respondents analysed ({g['humanCollected']} collected, "
        f"{g['humanExcluded']} excluded by the exclusion rules); {g['modelsN']} of {g['modelsTotal']} models "
        f"analysed ({g['modelsNotAnalysed']} with too few valid sessions); {g['nThemes']} themes; profiles "
        f"from the {g['responseFormat']} format; bootstrap B = {g['bootstrapB']}.",
        "",
        "## Study 3: the fidelity benchmark",
        "",
    ]
    ordered = _num(m["orderedShare"]) > 0.5
    lines.append(
        f"1. Most models reproduce the human ordering of priorities: {verdict(ordered)}. "
        f"{g['orderedN']} of {g['modelsN']} models ({g['orderedShare']}) reach Spearman rho >= "
        f"{g['orderingCrit']} with the human profile (the one-sided .05 critical value for "
        f"{g['nThemes']} themes). Median fidelity {g['fidelityMedian']} (range {g['fidelityMin']} to "
        f"{g['fidelityMax']}); the human noise ceiling (random halves) is {g['ceilingFidelity']} "
        f"[{g['ceilingLow']}, {g['ceilingHigh']}]."
    )
    exag = int(float(g["exaggeratingN"])) > 0
    lines.append(
        f"2. Some models exaggerate the differences between priorities: {verdict(exag)}. "
        f"{g['exaggeratingN']} models ({g['exaggeratingShare']}) exaggerate (95% CI of ln k above 0, "
        f"not within the margin {g['calibrationMargin']}), {g['flatteningN']} ({g['flatteningShare']}) "
        f"flatten, {g['calibratedN']} ({g['calibratedShare']}) are calibrated (CI of k within "
        f"[1/{g['calibrationMargin']}, {g['calibrationMargin']}]) and {g['inconclusiveN']} "
        f"({g['inconclusiveShare']}) are inconclusive; "
        f"{g['orderedExaggeratingN']} ({g['orderedExaggeratingShare']}) are ordered but exaggerated."
    )
    ps = [_num(m["sizeP"]), _num(m["recencyP"]), _num(m["tierP"])]
    no_scale = all(p >= alpha for p in ps)
    lines.append(
        f"3. Fidelity does not scale with size, recency or capability tier: {verdict(no_scale)}. "
        f"Log size: Spearman rho = {g['sizeRho']}, p = {g['sizeP']} (n = {g['sizeN']}; "
        f"{g['sizeMissing']} models without a disclosed size left out, not imputed); release date: "
        f"rho = {g['recencyRho']}, p = {g['recencyP']} (n = {g['recencyN']}); tier: Kruskal-Wallis "
        f"H({g['tierDf']}) = {g['tierH']}, p = {g['tierP']}. OLS with HC3 errors: size b = "
        f"{g['olsSizeB']}, p = {g['olsSizeP']}; recency b = {g['olsRecencyB']}, p = {g['olsRecencyP']}; "
        f"tier F = {g['olsTierF']}, p = {g['olsTierP']}."
    )
    agency = _num(m["agencyHumanRank"]) == _num(m["nThemes"]) and _num(m["agencyModelsLastShare"]) > 0.5
    lines.append(
        f"4. Humans and models deprioritise {g['agencyLabel']}: {verdict(agency)}. Humans rank it "
        f"{g['agencyHumanRank']} of {g['nThemes']}; {g['agencyModelsLastN']} models "
        f"({g['agencyModelsLastShare']}) rank it last (binomial test against 1/{g['nThemes']}: "
        f"p {g['agencyBinomP'] if g['agencyBinomP'].startswith('<') else '= ' + g['agencyBinomP']}); "
        f"median model rank {g['agencyModelMedianRank']}."
    )
    lines.append(
        f"5. Reference points: single sessions reach a median fidelity of {g['sessionFidelity']} "
        f"[{g['sessionLow']}, {g['sessionHigh']}] against single humans' {g['looFidelity']} "
        f"[{g['looLow']}, {g['looHigh']}] (leave-one-out); the median model sits at the "
        f"{g['humanPercentileMedian']}th percentile of humans; the shuffled-label null gives a median "
        f"fidelity of {g['nullMedian']}, beaten by {g['nullBeatenN']} models."
    )
    lines.append(
        f"6. Robustness: Kendall's tau between the fidelity leaderboard and the leaderboards under "
        f"Lin's CCC {g['tauCcc']}, Pearson r {g['tauPearson']}, D^2 {g['tauDTwo']}, the other response "
        f"format {g['tauOtherFormat']}."
    )
    lines += ["", "## Study 2: stability and convergence", ""]
    stable = _num(m["stabIccMedian"]) >= 0.75
    lines.append(
        f"1. Profiles are stable within a model: {verdict(stable)}. Median ICC(A,1) "
        f"{g['stabIccMedian']} [IQR {g['stabIccQLow']}, {g['stabIccQHigh']}], median ICC(A,k) "
        f"{g['stabIcckMedian']}, median Kendall's W across sessions {g['stabWMedian']} "
        f"({g['stabEstimated']} of {g['stabModels']} models estimated; {g['stabNa']} NA with a reason)."
    )
    conv = _num(m["convP"]) < alpha
    lines.append(
        f"2. Models converge on a common structure: {verdict(conv)}. Kendall's W = {g['convW']}, "
        f"chi2({g['convDf']}) = {g['convChi']}, p {g['convP'] if g['convP'].startswith('<') else '= ' + g['convP']}; "
        f"mean pairwise Spearman {g['convRho']}; Krippendorff's alpha (interval) {g['convAlpha']}. "
        f"Consensus ordering: {g['consensusOrder']}. Ward clustering of centred profiles: k = "
        f"{g['clustK']} (silhouette {g['clustSil']})."
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
