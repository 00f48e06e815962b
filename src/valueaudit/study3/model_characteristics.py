"""Study 3 model characteristics: fidelity against size, release date and tier.

References
----------
Kruskal, W. H., & Wallis, W. A. (1952). JASA, 47, 583-621. MacKinnon, J. G., & White,
H. (1985). Some heteroskedasticity-consistent covariance matrix estimators. J.
Econometrics, 29, 305-325 (HC3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._lazy import lazy_import

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = ["decimal_year", "characteristics", "characteristic_row", "SPEARMAN", "KRUSKAL", "OLS",
           "WALD", "SIZE", "RECENCY", "TIER_ORDINAL", "TIER", "OLS_SIZE", "OLS_RECENCY",
           "TIER_JOINT", "OLS_MODEL"]

#: values of the ``test`` column of :func:`characteristics`
SPEARMAN, KRUSKAL, OLS, WALD = "Spearman rho", "Kruskal-Wallis H", "OLS (HC3)", "Wald F (HC3)"
#: values of its ``predictor`` column
SIZE, RECENCY, TIER_ORDINAL, TIER = "log10(parameters)", "release date", "tier (ordinal)", "tier"
OLS_SIZE, OLS_RECENCY, TIER_JOINT, OLS_MODEL = ("log10(parameters)", "release date (years)",
                                                "tier (joint)", "model")


def decimal_year(dates: pd.Series) -> pd.Series:
    """``YYYY-MM`` -> year + (month - 1) / 12 (NaN when missing)."""
    s = dates.astype(object).where(dates.notna(), None)
    out = []
    for v in s:
        if v is None or str(v).strip() == "":
            out.append(math.nan)
            continue
        y, mth = str(v).split("-")[:2]
        out.append(int(y) + (int(mth) - 1) / 12.0)
    return pd.Series(out, index=dates.index, dtype=float)


def _spearman_row(name: str, x: pd.Series, y: pd.Series, n_all: int) -> dict[str, Any]:
    ok = x.notna() & y.notna()
    n = int(ok.sum())
    row = {"predictor": name, "test": SPEARMAN, "estimate": math.nan, "statistic": math.nan,
           "df": math.nan, "p": math.nan, "se": math.nan, "ci_low": math.nan,
           "ci_high": math.nan, "n": n, "n_missing": n_all - n, "note": ""}
    if n < 3 or x[ok].nunique() < 2 or y[ok].nunique() < 2:
        row["note"] = f"not computable (n = {n} with variation)"
        return row
    r = sps.spearmanr(x[ok], y[ok])
    row.update(estimate=float(r.statistic), statistic=float(r.statistic), p=float(r.pvalue),
               df=n - 2)
    if n > 3 and abs(r.statistic) < 1:
        z, se = math.atanh(r.statistic), 1.0 / math.sqrt(n - 3)
        q = sps.norm.ppf(0.975)
        row.update(ci_low=math.tanh(z - q * se), ci_high=math.tanh(z + q * se))
    return row


def characteristics(fidelity: pd.DataFrame, tiers: Sequence[str], fmt: str) -> pd.DataFrame:
    """Fidelity against model size, release date and capability tier.

    Analysed models of format ``fmt`` only. Tests (models without a value are
    counted in ``n_missing`` and left out, never imputed):

    * Spearman rho of fidelity with log10(params_b) (undisclosed sizes left out),
      with release date (decimal year), and with tier (ordinal codes in config
      order); 95% CI by Fisher's z with SE ``1 / sqrt(n - 3)``;
    * Kruskal-Wallis H across tiers (``scipy.stats.kruskal``, tie-corrected,
      chi-square on g - 1 df; Kruskal & Wallis, 1952) with effect size
      ``epsilon^2 = H / (n - 1)`` (in ``estimate``);
    * OLS ``fidelity ~ log10(params) + release year + C(tier)`` (reference: the
      lowest tier) on complete cases with HC3 heteroskedasticity-consistent SEs
      (``statsmodels``; MacKinnon & White, 1985): one row per coefficient (z test)
      and a joint Wald F test of the tier terms with the HC3 covariance.

    Returns
    -------
    DataFrame ``predictor, test, estimate, statistic, df, p, se, ci_low, ci_high, n,
    n_missing, note``.
    """
    import statsmodels.formula.api as smf

    d = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)].copy()
    n_all = len(d)
    y = pd.to_numeric(d["fidelity"], errors="coerce")
    params = pd.to_numeric(d["params_b"], errors="coerce")
    logp = np.log10(params.where(params > 0))
    year = decimal_year(d["release_date"])
    tier_code = d["tier"].astype(str).map({t: i for i, t in enumerate(tiers)}).astype(float)
    rows = [_spearman_row(SIZE, logp, y, n_all),
            _spearman_row(RECENCY, year, y, n_all),
            _spearman_row(TIER_ORDINAL, tier_code, y, n_all)]
    # Kruskal-Wallis across tiers
    kw = {"predictor": TIER, "test": KRUSKAL, "estimate": math.nan,
          "statistic": math.nan, "df": math.nan, "p": math.nan, "se": math.nan,
          "ci_low": math.nan, "ci_high": math.nan, "n": 0, "n_missing": 0, "note": ""}
    ok = tier_code.notna() & y.notna()
    groups = [y[ok & (d["tier"].astype(str) == t)].to_numpy() for t in tiers]
    groups = [g for g in groups if len(g)]
    kw["n"] = int(ok.sum())
    kw["n_missing"] = n_all - kw["n"]
    if len(groups) >= 2 and np.unique(np.concatenate(groups)).size > 1:
        h = sps.kruskal(*groups)
        kw.update(statistic=float(h.statistic), p=float(h.pvalue), df=len(groups) - 1,
                  estimate=float(h.statistic) / (kw["n"] - 1) if kw["n"] > 1 else math.nan)
        kw["note"] = "estimate = epsilon squared; " + ", ".join(
            f"{t}: n = {int((ok & (d['tier'].astype(str) == t)).sum())}" for t in tiers)
    else:
        kw["note"] = "not computable (fewer than 2 tiers with models)"
    rows.append(kw)
    # OLS with HC3 errors
    frame = pd.DataFrame({"fidelity": y.to_numpy(), "log10_params": logp.to_numpy(),
                          "release_year": year.to_numpy(),
                          "tier": pd.Categorical(d["tier"].astype(str), categories=list(tiers))})
    cc = frame.dropna()
    present = [t for t in tiers if (cc["tier"] == t).any()]
    base = {"test": OLS, "estimate": math.nan, "statistic": math.nan, "df": math.nan,
            "p": math.nan, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan,
            "n": len(cc), "n_missing": n_all - len(cc), "note": ""}
    terms = ["log10_params", "release_year"]
    formula = "fidelity ~ log10_params + release_year"
    if len(present) >= 2:
        cc = cc.assign(tier=pd.Categorical(cc["tier"].astype(str), categories=present))
        formula += " + C(tier)"
    n_par = 3 + max(len(present) - 1, 0)
    if len(cc) <= n_par + 1:
        rows.append({**base, "predictor": OLS_MODEL,
                     "note": f"not computable: {len(cc)} complete cases for {n_par} parameters"})
        return pd.DataFrame(rows)
    fit = smf.ols(formula, data=cc).fit(cov_type="HC3")
    ci = fit.conf_int()
    for name in fit.params.index:
        if name == "Intercept":
            continue
        label = {"log10_params": OLS_SIZE, "release_year": OLS_RECENCY}.get(
            name, name.replace("C(tier)[T.", "tier: ").replace("]", f" vs {present[0]}"))
        rows.append({**base, "predictor": label, "estimate": float(fit.params[name]),
                     "se": float(fit.bse[name]), "statistic": float(fit.tvalues[name]),
                     "p": float(fit.pvalues[name]), "ci_low": float(ci.loc[name, 0]),
                     "ci_high": float(ci.loc[name, 1]),
                     "note": "b (HC3 SE, z test)"})
    tier_terms = [nm for nm in fit.params.index if nm.startswith("C(tier)")]
    if tier_terms:
        R = np.zeros((len(tier_terms), len(fit.params)))
        for i, nm in enumerate(tier_terms):
            R[i, list(fit.params.index).index(nm)] = 1.0
        ft = fit.f_test(R)
        rows.append({**base, "predictor": TIER_JOINT, "test": WALD,
                     "statistic": float(np.squeeze(ft.fvalue)), "df": float(ft.df_num),
                     "p": float(ft.pvalue), "note": f"df = {int(ft.df_num)}, {int(ft.df_denom)}"})
    rows.append({**base, "predictor": OLS_MODEL, "test": "OLS R squared",
                 "estimate": float(fit.rsquared), "statistic": float(fit.rsquared_adj),
                 "note": f"statistic = adjusted R squared; terms: {', '.join(terms)}"
                 + (", tier" if tier_terms else "")})
    return pd.DataFrame(rows)


def characteristic_row(tests: pd.DataFrame, predictor: str | None, test: str) -> pd.Series:
    """The row of :func:`characteristics` with this ``predictor`` (any when None) and
    ``test``; ``ValueError`` naming them when there is none."""
    sel = tests["test"] == test
    if predictor is not None:
        sel &= tests["predictor"] == predictor
    if not sel.any():
        raise ValueError(f"model characteristics: no row with predictor {predictor!r} and "
                         f"test {test!r}")
    return tests[sel].iloc[0]
