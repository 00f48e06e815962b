"""Reliability, agreement and concordance statistics (METHODS sections 4, 5 and 8).

Every function takes numpy arrays or array-likes (pandas objects work) and returns
plain Python/numpy types or pandas objects. Library implementations are used where
they exist (``krippendorff``, ``statsmodels``, ``scipy``); the module computes a
statistic itself only where a vectorised form is needed (ICC for many models at
once, bootstrap replicates from resample weights). Each such function is tested
against the library and a published worked example (``tests/test_stats.py``).

Conventions
-----------
* ``icc``: targets (rows) x raters (columns).
* ``kendalls_w`` and ``spearman_mean_pairwise``: judges (rows) x objects (columns).
* ``krippendorff_alpha``: coders (rows) x units (columns), NaN = missing.
* ``fleiss_kappa``: subjects (rows) x raters (columns) of category labels.
* Bootstrap helpers: ``bootstrap_indices`` gives a ``B x n`` index matrix and
  ``bootstrap_weights`` the matching ``B x n`` resample-count matrix, so a replicate
  mean is ``weights @ data / n``. The ``*_boot`` functions evaluate a statistic for
  every replicate from such count weights without materialising resampled data.

Modules
-------
intraclass
    ``icc`` and ``icc_many`` (two-way ANOVA ICCs, vectorised over models).
concordance
    ``kendalls_w`` and ``spearman_mean_pairwise``.
agreement
    ``krippendorff_alpha``, ``cohens_kappa``, ``fleiss_kappa`` and their ``*_boot`` forms.
intervals
    ``wilson_ci``, ``percentile_ci``, ``bootstrap_indices`` and ``bootstrap_weights``.
rank_tests
    ``friedman_test``, ``wilcoxon_signed_rank``, ``holm`` and ``pairwise_wilcoxon``
    (pingouin), blocks in rows and treatments in columns.

scipy.stats, statsmodels, krippendorff and pingouin are imported on first use
(:mod:`valueaudit._lazy`): a job that calls none of these functions does not pay for them.
"""

from .agreement import (
    cohens_kappa,
    cohens_kappa_boot,
    fleiss_kappa,
    fleiss_kappa_boot,
    krippendorff_alpha,
    krippendorff_alpha_boot,
)
from .concordance import kendalls_w, spearman_mean_pairwise
from .intervals import bootstrap_indices, bootstrap_weights, percentile_ci, wilson_ci
from .intraclass import ICC_TYPES, icc, icc_many
from .rank_tests import (
    PAIRWISE_COLUMNS,
    friedman_test,
    holm,
    pairwise_wilcoxon,
    wilcoxon_signed_rank,
)

__all__ = [
    "ICC_TYPES",
    "icc",
    "icc_many",
    "kendalls_w",
    "krippendorff_alpha",
    "krippendorff_alpha_boot",
    "cohens_kappa",
    "cohens_kappa_boot",
    "fleiss_kappa",
    "fleiss_kappa_boot",
    "wilson_ci",
    "spearman_mean_pairwise",
    "percentile_ci",
    "bootstrap_indices",
    "bootstrap_weights",
    "friedman_test",
    "wilcoxon_signed_rank",
    "holm",
    "pairwise_wilcoxon",
    "PAIRWISE_COLUMNS",
]
