"""Study 2: within-model stability and cross-model convergence (METHODS section 5).

* :mod:`.within`: per model and response format, ICC(A,1)/ICC(A,k), Kendall's W across
  sessions, the mean pairwise Spearman rho, parse and refusal rates;
* :mod:`.convergence`: across models, Kendall's W, Spearman, Krippendorff's alpha, the
  Friedman test, pairwise Wilcoxon tests with Holm correction, the consensus ordering;
* :mod:`.clusters`: Ward clustering of the profiles and the principal-component map;
* :mod:`.report`: the APA display tables and the key numbers as macros;
* :mod:`.figures`: the stability dot plot, the profile heatmap and map;
* :mod:`.steps`: one function per rule, returning everything the rule writes.

The statistics themselves come from :mod:`valueaudit.stats`, pingouin, scipy and
scikit-learn; these modules arrange them per model and across models and return
DataFrames and dicts, so they can be used without Snakemake.
"""

from __future__ import annotations

from ..tables import format_ci
from .clusters import cluster_centroids, cluster_profiles, prepare_profiles, profile_map
from .convergence import (
    consensus_ordering,
    convergence,
    friedman_test,
    model_profiles,
    pairwise_theme_tests,
)
from .figures import plot_profile_heatmap, plot_profile_map, plot_stability
from .report import (
    MACRO_PREFIX,
    clusters_display,
    consensus_display,
    convergence_table,
    macro_aliases,
    pairwise_display,
    stability_formats_display,
    stability_table,
    study2_macros,
)
from .steps import (
    Outputs,
    Table,
    clusters_step,
    convergence_step,
    macros_step,
    parse_audit_step,
    stability_step,
)
from .within import (
    WITHIN_COLUMNS,
    session_matrices,
    stability_summary,
    within_model,
    within_model_table,
)

__all__ = [
    "WITHIN_COLUMNS",
    "session_matrices",
    "within_model",
    "within_model_table",
    "stability_summary",
    "model_profiles",
    "convergence",
    "friedman_test",
    "pairwise_theme_tests",
    "consensus_ordering",
    "prepare_profiles",
    "cluster_profiles",
    "cluster_centroids",
    "profile_map",
    "format_ci",
    "clusters_display",
    "study2_macros",
    "macro_aliases",
    "MACRO_PREFIX",
    "stability_table",
    "stability_formats_display",
    "convergence_table",
    "pairwise_display",
    "consensus_display",
    "plot_stability",
    "plot_profile_heatmap",
    "plot_profile_map",
    "Table",
    "Outputs",
    "stability_step",
    "convergence_step",
    "clusters_step",
    "macros_step",
    "parse_audit_step",
]
