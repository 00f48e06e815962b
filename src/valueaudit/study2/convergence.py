"""Study 2, across models: agreement of the models' mean theme profiles (METHODS section 5).

On the models x themes matrix of mean profiles: Kendall's W (models as judges), mean
pairwise Spearman and Krippendorff's alpha (interval); the Friedman test of theme
differences with models as blocks (effect size Kendall's W) and pairwise Wilcoxon
signed-rank tests with Holm correction (effect sizes: matched-pairs rank-biserial
correlation and common-language effect size); the consensus ordering: mean within-model
rank per theme with a percentile bootstrap CI over models (vectorised through
resample-count weights).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .. import stats as vstats
from .._lazy import lazy_import
from ..stats import friedman_test

sps = lazy_import("scipy.stats")

__all__ = ["model_profiles", "convergence", "friedman_test", "pairwise_theme_tests",
           "consensus_ordering"]


def model_profiles(
    scores: pd.DataFrame,
    instrument,
    fmt: str,
    min_sessions: int = 3,
    models: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean theme profile per model from the session scores, and the models left out.

    Parameters
    ----------
    scores : DataFrame
        ``session_scores.csv`` (``model_id, format, session, theme, score``).
    instrument : Instrument
    fmt : {"rating", "ranking"}
    min_sessions : int
        Models with fewer valid sessions are left out of the cross-model analyses.
    models : iterable of str, optional
        All model ids of the study; models without any valid session are reported as
        left out.

    Returns
    -------
    (profiles, excluded)
        ``profiles``: models (index ``model_id``, sorted) x themes (instrument order),
        the mean over valid sessions; ``excluded``: ``model_id, n_valid, reason``.
    """
    d = scores[scores["format"] == fmt]
    n_valid = d.groupby("model_id")["session"].nunique()
    extra = set() if models is None else {str(m) for m in models}
    all_ids = sorted(set(n_valid.index.astype(str)) | extra)
    n_valid = n_valid.reindex(all_ids, fill_value=0).astype(int)
    keep = n_valid.index[n_valid >= min_sessions]
    prof = (d[d["model_id"].isin(keep)].groupby(["model_id", "theme"])["score"].mean()
            .unstack("theme"))
    prof = prof.reindex(index=sorted(keep), columns=instrument.theme_ids).astype(float)
    prof.columns.name = None
    prof.index.name = "model_id"
    if prof.isna().any().any():
        raise ValueError("session scores lack a theme for some model (incomplete profile)")
    out = n_valid[n_valid < min_sessions]
    excluded = pd.DataFrame({
        "model_id": list(out.index), "n_valid": out.to_numpy(dtype=int),
        "reason": [f"too few valid sessions ({n} < {min_sessions})" for n in out],
    })
    return prof, excluded


def convergence(profiles: pd.DataFrame) -> dict[str, Any]:
    """Agreement of the models' theme profiles (models x themes).

    * Kendall's W with models as judges and themes as objects (tie-corrected), its
      chi-square m (n-1) W on n-1 df and p (:func:`valueaudit.stats.kendalls_w`);
    * the mean pairwise Spearman rho between models
      (:func:`valueaudit.stats.spearman_mean_pairwise`);
    * Krippendorff's alpha, interval metric, with models as coders and themes as units
      (:func:`valueaudit.stats.krippendorff_alpha`; Krippendorff, 2011);
    * the Friedman test (:func:`valueaudit.stats.friedman_test`).

    Returns
    -------
    dict ``n_models, n_themes, W, chi2, df, p, mean_rho, n_pairs, alpha_interval,
    friedman_Q, friedman_df, friedman_p, friedman_W, reason`` (reason None when every
    statistic was computed).
    """
    x = profiles.to_numpy(dtype=float)
    m, t = x.shape
    w = vstats.kendalls_w(x, correct_ties=True) if m else {"W": math.nan, "chi2": math.nan,
                                                            "df": t - 1, "p": math.nan,
                                                            "reason": "no models"}
    rho = vstats.spearman_mean_pairwise(x) if m else {"mean_rho": math.nan, "n_pairs": 0}
    alpha = math.nan
    if m >= 2 and t >= 2:
        try:
            alpha = float(vstats.krippendorff_alpha(x, level="interval"))
        except ValueError:
            alpha = math.nan
    fr = vstats.friedman_test(profiles)
    reason = w.get("reason")
    if m < 2:
        reason = f"needs at least 2 models with enough valid sessions, got {m}"
    return {
        "n_models": int(m), "n_themes": int(t), "W": float(w["W"]), "chi2": float(w["chi2"]),
        "df": int(w["df"]), "p": float(w["p"]), "mean_rho": float(rho["mean_rho"]),
        "n_pairs": int(rho["n_pairs"]), "alpha_interval": alpha, "friedman_Q": fr["Q"],
        "friedman_df": int(fr["df"]), "friedman_p": fr["p"], "friedman_W": fr["W"],
        "reason": reason,
    }


def pairwise_theme_tests(profiles: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Wilcoxon signed-rank test for every pair of themes across models, Holm-corrected.

    :func:`valueaudit.stats.pairwise_wilcoxon` with models as blocks: for themes a, b
    the paired differences over models are tested (Wilcoxon, 1945), with the
    matched-pairs rank-biserial correlation (Kerby, 2014) and the common-language
    effect size; p values Holm (1979) adjusted over all T (T-1) / 2 pairs.

    Returns
    -------
    DataFrame ``theme_a, theme_b, mean_a, mean_b, mean_diff, median_diff, n, W, p,
    p_holm, reject, rbc, cles``; pairs in instrument order (a before b). A pair whose
    differences are all zero has NaN test results.
    """
    out = vstats.pairwise_wilcoxon(profiles, alpha=alpha)
    return out.rename(columns={"a": "theme_a", "b": "theme_b"})


def consensus_ordering(
    profiles: pd.DataFrame,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Consensus priority order of the themes across models.

    Each model's profile is ranked (1 = highest score, average ranks for ties); the
    consensus is the mean rank per theme, with a percentile bootstrap CI over models
    (Efron & Tibshirani, 1993): ``B`` resamples of the models drawn as resample-count
    weights ``w`` (B x M, :func:`valueaudit.stats.bootstrap_weights`) so that every
    replicate mean is ``w @ ranks / M`` in one matrix product. The mean score with its
    CI is given too.

    Returns
    -------
    DataFrame, one row per theme sorted by consensus position: ``position, theme,
    mean_rank, rank_low, rank_high, mean_score, score_low, score_high, p_top``
    (``p_top``: share of models that rank the theme first, ties shared).
    """
    x = profiles.to_numpy(dtype=float)
    m, t = x.shape
    if m < 1:
        raise ValueError("consensus_ordering needs at least one model profile")
    ranks = sps.rankdata(-x, axis=1)
    top = (ranks == ranks.min(axis=1, keepdims=True)).astype(float)
    top /= top.sum(axis=1, keepdims=True)
    weights = vstats.bootstrap_weights(seed, m, n_boot)
    boot_rank = weights @ ranks / m
    boot_score = weights @ x / m
    r_lo, r_hi = vstats.percentile_ci(boot_rank, alpha=alpha, axis=0)
    s_lo, s_hi = vstats.percentile_ci(boot_score, alpha=alpha, axis=0)
    out = pd.DataFrame({
        "theme": list(profiles.columns), "mean_rank": ranks.mean(axis=0), "rank_low": r_lo,
        "rank_high": r_hi, "mean_score": x.mean(axis=0), "score_low": s_lo, "score_high": s_hi,
        "p_top": top.mean(axis=0), "_order": np.arange(t),
    })
    out = out.sort_values(["mean_rank", "mean_score", "_order"], ascending=[True, False, True],
                          kind="mergesort").drop(columns="_order").reset_index(drop=True)
    out.insert(0, "position", np.arange(1, t + 1))
    return out

