"""Study 3: the human-vs-LLM profile-fidelity benchmark (METHODS section 6).

The package arranges the statistics of Study 3 into analysis-ready frames; the
fidelity metrics themselves (ordering, k, exaggeration ln k, calibration, fidelity,
Pearson r, Lin's CCC, the Cronbach-Gleser parts of D^2), their vectorised bootstrap,
the human noise ceiling, the leave-one-out humans, the session-level values and the
shuffled-label null come from :mod:`valueaudit.fidelity`. Every function works on
plain DataFrames and arrays and can be used without Snakemake.

Modules
    :mod:`~valueaudit.study3.reference` (score matrices, human profile and tests,
    sample flow, demographics), :mod:`~valueaudit.study3.benchmark` (fidelity per
    model, assembled table, reference points, respondent level, consensus,
    leaderboard), :mod:`~valueaudit.study3.model_characteristics` (Spearman, Kruskal-Wallis,
    OLS with HC3 errors), :mod:`~valueaudit.study3.focal` (the focal theme, Agency),
    :mod:`~valueaudit.study3.leaderboard_robustness` (alternative leaderboards, Kendall's tau-b),
    :mod:`~valueaudit.study3.report` (display tables, captions, notes),
    :mod:`~valueaudit.study3.macros` (LaTeX macros), :mod:`~valueaudit.study3.figures`
    and :mod:`~valueaudit.study3.quadrant` (figures), :mod:`~valueaudit.study3.steps`
    (the one function each rule calls).
"""

from ..tables import format_ci, format_p, format_rank
from .benchmark import (
    REFERENCE_ROWS,
    analysed_profiles,
    analysed_values,
    assemble_fidelity,
    consensus_profile,
    fidelity_table,
    leaderboard,
    model_fidelity,
    ordering_threshold,
    reference_points,
    reference_points_table,
    reference_value,
    respondent_level,
)
from .figures import (
    plot_characteristics,
    plot_focal_rank,
    plot_forest,
    plot_profiles,
    plot_respondent_level,
)
from .focal import focal_theme_analysis, rank_positions, resolve_focal_theme
from .leaderboard_robustness import robustness
from .macros import macro_aliases, macro_values, macros_step
from .model_characteristics import characteristic_row, characteristics, decimal_year
from .quadrant import VERDICT_STYLE, plot_ordering_exaggeration
from .reference import (
    demographics_table,
    human_profile,
    human_theme_tests,
    model_session_matrices,
    sample_flow_table,
    unit_matrix,
)
from .report import Outputs, Table
from .steps import (
    agency_step,
    characteristics_step,
    fidelity_step,
    humans_step,
    leaderboard_step,
    model_step,
    profiles_step,
    robustness_step,
)

#: former name of :func:`model_session_matrices`
session_matrices = model_session_matrices

__all__ = [
    "unit_matrix",
    "model_session_matrices",
    "session_matrices",
    "human_profile",
    "human_theme_tests",
    "sample_flow_table",
    "demographics_table",
    "ordering_threshold",
    "fidelity_table",
    "model_fidelity",
    "assemble_fidelity",
    "reference_points",
    "REFERENCE_ROWS",
    "reference_points_table",
    "reference_value",
    "respondent_level",
    "consensus_profile",
    "analysed_profiles",
    "analysed_values",
    "leaderboard",
    "decimal_year",
    "characteristics",
    "characteristic_row",
    "resolve_focal_theme",
    "rank_positions",
    "focal_theme_analysis",
    "robustness",
    "format_ci",
    "format_p",
    "format_rank",
    "plot_profiles",
    "plot_forest",
    "plot_ordering_exaggeration",
    "plot_characteristics",
    "plot_focal_rank",
    "plot_respondent_level",
    "VERDICT_STYLE",
    "Table",
    "Outputs",
    "macro_values",
    "macro_aliases",
    "macros_step",
    "model_step",
    "fidelity_step",
    "humans_step",
    "leaderboard_step",
    "profiles_step",
    "characteristics_step",
    "agency_step",
    "robustness_step",
]
