"""Rule study3_characteristics: fidelity against size, release date and tier."""

import pandas as pd

from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import characteristics, format_p, plot_characteristics
from valueaudit.tables import apa, write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    p = smk.params
    fmt, tiers = str(p.fmt), list(p.tiers)
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str, "tier": str,
                                                      "release_date": str})
    tests = characteristics(fidelity, tiers, fmt)

    def est(r):
        if pd.isna(r["estimate"]):
            return ""
        bounded = r["test"].startswith(("Spearman", "Kruskal")) or "squared" in r["test"]
        kind = "r" if bounded else "d2"
        s = apa(r["estimate"], kind)
        if pd.notna(r["ci_low"]):
            s += f" [{apa(r['ci_low'], kind)}, {apa(r['ci_high'], kind)}]"
        return s

    disp = pd.DataFrame({
        "Predictor": tests["predictor"], "Test": tests["test"],
        "Estimate [95% CI]": [est(r) for _, r in tests.iterrows()],
        "SE": [apa(v) if pd.notna(v) else "" for v in tests["se"]],
        "Statistic": [apa(v) if pd.notna(v) else "" for v in tests["statistic"]],
        "df": [apa(v, "int") if pd.notna(v) else "" for v in tests["df"]],
        "p": [format_p(v) if pd.notna(v) else "" for v in tests["p"]],
        "n": [apa(v, "int") for v in tests["n"]],
        "Left out": [apa(v, "int") for v in tests["n_missing"]],
    })
    n_an = int(((fidelity["format"] == fmt) & fidelity["analysed"]).sum())
    write_table(tests, smk.output.table[0].removesuffix(".csv"), display=disp,
                caption="Study 3: profile fidelity against model characteristics.",
                note=f"{n_an} analysed models ({fmt} format). Spearman rho with Fisher-z 95% CI; "
                     "Kruskal-Wallis H across tiers (estimate: epsilon squared); OLS of "
                     "fidelity on log10(parameters), release date (years) and tier (reference: "
                     f"{tiers[0]}) with HC3 standard errors and z tests, and the joint Wald F "
                     "test of the tier terms. Models without a value (e.g. undisclosed size) "
                     "are left out, never imputed (column Left out).")
    setup()
    save_figure(plot_characteristics(fidelity, tests, tiers, fmt, seed=int(p.seed)),
                smk.output.figure[0].removesuffix(".pdf"))
    for _, r in tests.iterrows():
        log.info("%s / %s: stat %s, p %s, n %d (%d left out)", r["predictor"], r["test"],
                 r["statistic"], r["p"], r["n"], r["n_missing"])
