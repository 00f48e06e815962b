"""A seeded generator of a complete, SIMULATED data set with known truth.

The paper's raw data are not public, so the embedded default data set is
simulated at the paper's scale (75 models x 10 sessions per response format,
about 420 survey respondents of whom 376 survive the exclusion rules, a
two-coder Study 1 corpus). Every file it writes says it is simulated, and all
model names are synthetic ("sim-..."), so no number can be read as a claim
about a real product.

The generating process (all parameters are written to ``truth/params.json``):

Humans
    Latent importance of theme t for respondent i:
    ``h_t + u_i + v_it`` with ``u_i ~ N(0, sd_person)`` and
    ``v_it ~ N(0, sd_theme)``. Item rating = clip(round(latent + item offset +
    e), 1, 7), ``e ~ N(0, sd_item)``. Ranking = order of
    ``latent + N(0, sd_rank_noise)``. Agency is the lowest theme.
Models
    True latent profile ``mu_j = c_j + k_j * (h - mean h + d_a(j) + eps_j)``:
    centre ``c_j``, planted exaggeration ``k_j`` (about a fifth with
    k > 1.5, a few < 0.7 that flatten, the rest near 1), archetype shape
    ``d_a`` (three planted groups: human-like, capability-first,
    care-first), idiosyncratic shape ``eps_j`` (larger for a few disordered
    models). Sessions add ``N(0, sd_session)`` per theme and item noise
    ``N(0, sd_item_model)`` before rounding and clipping. Metadata (size,
    release date, tier) are drawn independently of all of this, so true
    fidelity is unrelated to them.
Truth
    The expected observed theme score (after rounding and clipping) is
    computed exactly from normal CDFs, and true fidelity, ordering and k
    are :func:`valueaudit.fidelity.profile_fidelity` of those expected
    profiles.

Command that regenerates the embedded default byte-identically::

    valueaudit simulate --instrument resources/instrument/optimal_ai_v1.yaml \
        --out resources/demo --seed 20261129

Modules
-------
params
    :class:`SimParams` and the note every simulated file carries.
population
    The human profile, the model archetypes, the models table, :func:`expected_rating`.
records
    Answer texts and raw records of the rating, ranking and open sessions.
corpus
    The Study 1 corpus and its coding.
humans
    The human survey as a Qualtrics export.
generate
    :func:`simulate`, the whole data set and its truth.
"""

from .corpus import _study1 as _study1
from .generate import simulate
from .params import SIM_NOTE as SIM_NOTE
from .params import SimParams
from .population import _human_profile as _human_profile
from .population import expected_rating
from .records import _answer_text as _answer_text

__all__ = ["SimParams", "simulate", "expected_rating"]
