"""Rule study3_robustness: leaderboards under alternative indices and the other response
format, with Kendall's tau-b between leaderboards."""

import numpy as np
import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import format_p, robustness
from valueaudit.tables import apa, write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    fmt = str(smk.params.fmt)
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str})
    ranks, taus = robustness(fidelity, fmt)
    names = [c for c in ranks.columns if c != "model_id"]
    # lower triangle: row = later leaderboard, column = earlier one
    mat = pd.DataFrame("", index=names[1:], columns=names[:-1])
    for r in taus.itertuples():
        cell = "NA" if not np.isfinite(r.tau) else apa(r.tau, "r") + ("*" if r.p < 0.05 else "")
        mat.loc[r.index_b, r.index_a] = cell
    disp = mat.reset_index().rename(columns={"index": "Leaderboard"})
    lo_n, hi_n = (int(taus["n"].min()), int(taus["n"].max())) if len(taus) else (0, 0)
    n_txt = f"n = {lo_n}" if lo_n == hi_n else f"n = {lo_n} to {hi_n}"
    write_table(taus, smk.output.table[0].removesuffix(".csv"), display=disp,
                caption="Study 3: agreement between leaderboards (Kendall's tau-b).",
                note=f"Analysed models ({fmt} format; {n_txt} per pair, models with both "
                     "values). Fidelity: the leaderboard's index; "
                     "plug-in: without the noise correction of k; D2 ranked ascending (smaller "
                     "is closer); the other response format uses its own sessions and human "
                     "profile. * p < .05 (two-sided).")
    named = ranks
    disp = named.copy()
    for c in names:
        disp[c] = [apa(v, "int") if pd.notna(v) else "NA" for v in named[c]]
    disp = disp.rename(columns={"model_id": "Model"})
    order = np.argsort(named[names[0]].to_numpy(dtype=float), kind="mergesort")
    write_table(named.iloc[order].reset_index(drop=True),
                smk.output.ranks[0].removesuffix(".csv"),
                display=disp.iloc[order].reset_index(drop=True),
                caption="Study 3: model ranks under each leaderboard.",
                note="Rank 1 = closest to the humans; ties share the better rank.")
    for r in taus.itertuples():
        log.info("tau(%s, %s) = %.3f, p = %s, n = %d", r.index_a, r.index_b, r.tau, format_p(r.p),
                 r.n)
