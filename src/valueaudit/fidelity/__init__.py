"""Profile fidelity of a model's value-priority profile against a human profile.

METHODS section 6 (Study 3). For a model profile ``m`` and a human profile
``h`` over the same ``T >= 3`` themes::

    ordering     = Spearman rho(m, h)              (average ranks for ties)
    k            = sd(m) / sd(h)                   (population SDs, ddof = 0)
    exaggeration = ln k                            (> 0 exaggerates, < 0 flattens)
    calibration  = min(k, 1 / k)                   (in (0, 1])
    fidelity     = max(ordering, 0) * calibration  (in [0, 1])

Profiles live on the instrument's observed scale: a theme score is the mean of its
items as answered (after rounding and clipping to the response scale), and the
estimand is the metrics of the expected profiles on that scale.

plus Pearson r, Lin's (1989) concordance correlation and the Cronbach and
Gleser (1953) decomposition of ``D^2 = sum (m - h)^2``.

Functions
---------
profile_fidelity
    All metrics for one pair of profiles (scipy for Spearman and Pearson).
fidelity_matrix
    The same metrics for stacks of profiles, vectorised along leading axes.
bootstrap_fidelity
    Point estimates, bootstrap 95% intervals of every quantity and the calibration
    verdict per model, resampling humans and (independently) each model's sessions,
    vectorised over replicates.
verdict
    Calibration verdict (exaggerates, flattens, calibrated, inconclusive) from the
    interval of ln k and the margin.
corrected_sd
    Between-theme SD of a mean profile corrected for sampling noise.
human_noise_ceiling, leave_one_out_humans, session_level, human_percentile,
shuffled_null
    Reference points (METHODS 6) so that a reader can judge a fidelity value.

References
----------
Spearman, C. (1904). The proof and measurement of association between two
things. American Journal of Psychology, 15, 72-101.
Lin, L. I.-K. (1989). A concordance correlation coefficient to evaluate
reproducibility. Biometrics, 45, 255-268.
Cronbach, L. J., & Gleser, G. C. (1953). Assessing similarity between
profiles. Psychological Bulletin, 50, 456-473.
Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
Chapman & Hall.
Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
Cambridge University Press.
"""

from .bootstrap import (
    DEFAULT_MARGIN,
    FIDELITY_CI,
    VERDICTS,
    _resample_counts,
    _stream,
    bootstrap_fidelity,
    verdict,
)
from .metrics import METRICS, VAR_FLOOR, corrected_sd, fidelity_matrix, profile_fidelity
from .reference import (
    human_noise_ceiling,
    human_percentile,
    leave_one_out_humans,
    session_level,
    shuffled_null,
)

__all__ = [
    "METRICS",
    "VAR_FLOOR",
    "VERDICTS",
    "FIDELITY_CI",
    "DEFAULT_MARGIN",
    "profile_fidelity",
    "fidelity_matrix",
    "corrected_sd",
    "bootstrap_fidelity",
    "verdict",
    "human_noise_ceiling",
    "leave_one_out_humans",
    "session_level",
    "human_percentile",
    "shuffled_null",
    "_resample_counts",
    "_stream",
]
