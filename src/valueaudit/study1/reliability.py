"""Study 1 inter-coder reliability of theme presence, with bootstrap CIs (METHODS 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import (
    bootstrap_weights,
    cohens_kappa,
    cohens_kappa_boot,
    fleiss_kappa,
    fleiss_kappa_boot,
    krippendorff_alpha,
    krippendorff_alpha_boot,
    percentile_ci,
)
from .prevalence import _cube

__all__ = ["POOLED", "reliability"]

#: the ``theme`` of the row pooling every response x theme pair
POOLED = "all themes (pooled)"


def reliability(
    presence: pd.DataFrame, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> pd.DataFrame:
    """Inter-coder reliability of theme presence per response, with bootstrap CIs.

    Units are responses (per theme) or response x theme pairs (``all themes
    (pooled)``); the value is present/absent. Statistics (METHODS 4):

    * Cohen's kappa for two coders, ``kappa = (p_o - p_e) / (1 - p_e)`` with
      ``p_e`` from each coder's own marginals (Cohen, 1960); Fleiss' kappa for three
      or more, ``p_e = sum_j p_j^2`` from the pooled marginals (Fleiss, 1971).
    * Krippendorff's alpha (nominal), ``1 - D_o / D_e`` (Krippendorff, 2011).
    * Percent agreement: share of units on which all coders agree.

    CIs are percentile intervals over ``n_boot`` bootstrap resamples of responses
    (the same resamples for every row; the pooled row resamples whole responses with
    all their themes), computed with the vectorised ``*_boot`` functions of
    :mod:`valueaudit.stats`; replicates where a coefficient is undefined are dropped
    and counted in ``n_boot_valid``.

    With one coder nothing is computable: every coefficient is NaN and ``note`` says
    why. A theme with no variation (all units in one category) has NaN coefficients
    and a note.

    Returns
    -------
    DataFrame
        ``theme, n_units, n_coders, statistic, kappa, kappa_low, kappa_high, alpha,
        alpha_low, alpha_high, agreement, n_boot_valid, note``; the themes in order,
        then the pooled row.
    """
    cube, coders, responses, themes = _cube(presence)
    n_c, n_r, n_t = cube.shape
    statistic = "Cohen's kappa" if n_c == 2 else "Fleiss' kappa"
    rows = []
    if n_c < 2:
        note = (f"not computable: one coder ({coders[0]}); inter-coder reliability needs "
                "at least two coders")
        for t in [*themes, POOLED]:
            rows.append({"theme": t, "n_units": n_r * (n_t if t == POOLED else 1),
                         "n_coders": n_c, "statistic": "none", "kappa": np.nan,
                         "kappa_low": np.nan, "kappa_high": np.nan, "alpha": np.nan,
                         "alpha_low": np.nan, "alpha_high": np.nan, "agreement": np.nan,
                         "n_boot_valid": 0, "note": note})
        return pd.DataFrame(rows)
    w = bootstrap_weights(np.random.default_rng(seed), n_r, n_boot)
    pooled_w = w[:, np.repeat(np.arange(n_r), n_t)]
    sets = [(t, cube[:, :, k], w) for k, t in enumerate(themes)]
    sets.append((POOLED, cube.reshape(n_c, n_r * n_t), pooled_w))
    for t, x, wt in sets:  # x: coders x units
        agree = float(np.mean(np.all(x == x[:1], axis=0)))
        if np.unique(x).size < 2:
            kap = alp = np.nan
            kb = ab = np.full(n_boot, np.nan)
            note = "not computable: every unit in one category (no variation)"
        else:
            if n_c == 2:
                kap = cohens_kappa(x[0], x[1])
                kb = cohens_kappa_boot(x[0], x[1], wt)
            else:
                kap = fleiss_kappa(x.T)
                kb = fleiss_kappa_boot(x.T, wt)
            alp = krippendorff_alpha(x, level="nominal")
            ab = krippendorff_alpha_boot(x, wt, level="nominal")
            note = ""
        klo, khi = percentile_ci(kb, alpha=alpha)
        alo, ahi = percentile_ci(ab, alpha=alpha)
        valid = int(np.sum(np.isfinite(kb) & np.isfinite(ab)))
        rows.append({"theme": t, "n_units": x.shape[1], "n_coders": n_c, "statistic": statistic,
                     "kappa": float(kap), "kappa_low": klo, "kappa_high": khi,
                     "alpha": float(alp), "alpha_low": alo, "alpha_high": ahi,
                     "agreement": agree, "n_boot_valid": valid, "note": note})
    return pd.DataFrame(rows)

