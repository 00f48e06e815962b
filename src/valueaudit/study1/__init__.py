"""Study 1: import of the inductive coding, prevalence, reliability, saturation (METHODS 4).

Researchers code the models' open-ended answers by hand in a QDA program. This package
exports the answers for them (:func:`open_answers`, :func:`export_answers`), imports
their coding from a REFI-QDA project or a coding CSV (:func:`load_coding`), and turns
it into the Study 1 results. Every function takes and returns pandas objects and works
without Snakemake; the theme set is whatever the theme list passed in holds (T >= 1
here; nothing assumes six themes).

Data flow
---------
``sources``
    One row per analysed answer: ``response_id, model_id, prompt_id, text``.
``coding``
    One row per (segment, coder, code) with ``theme`` (from the codebook) and the
    segment as code-point offsets ``start, end`` (end exclusive) and ``segment`` text.
``presence``
    Long table ``response_id, model_id, coder, theme, present``: did coder c code at
    least one segment of response r to a code of theme t. Every coder is taken to
    have read every analysed answer (full double coding), so a coder without a coding
    of theme t in response r says "absent". This is the unit of prevalence,
    reliability and co-occurrence.

Combining coders (``rule``)
---------------------------
Prevalence and co-occurrence need one value per response and theme; with several
coders the pipeline combines them by a rule (config ``study1.prevalence_rule``):

``mean`` (default)
    The coders' judgements are averaged, so prevalence is the mean over coders of each
    coder's share of responses with the theme: the expected prevalence for one coder.
    It neither rewards one coder's false positives (``any``) nor one coder's misses
    (``all``). Its Wilson interval uses ``count = N * prevalence`` out of ``N``
    responses; this is conservative, because the per-response coder mean ``Y`` has
    ``Var(Y) <= E(Y) - E(Y)^2`` (``Y^2 <= Y`` on [0, 1]), the binomial variance.
    Co-occurrence is each coder's Jaccard index averaged over coders.
``any`` / ``all`` / ``majority``
    Present when at least one coder, every coder, or more than half of the coders
    coded it; prevalence is then a plain binomial share.

References
----------
Cohen, J. (1960). Educational and Psychological Measurement, 20, 37-46.
Fleiss, J. L. (1971). Psychological Bulletin, 76(5), 378-382.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
for Communication, University of Pennsylvania.
Wilson, E. B. (1927). JASA, 22(158), 209-212.
Guest, G., Bunce, A., & Johnson, L. (2006). How many interviews are enough?
Field Methods, 18(1), 59-82 (saturation as the cumulative share of codes).
Jaccard, P. (1912). The distribution of the flora in the alpine zone. New
Phytologist, 11(2), 37-50.

Modules
-------
``importing``
    Export of the answers for coders and import of their coding.
``prevalence``, ``reliability``, ``saturation``, ``cooccurrence``, ``codebook``
    The analyses.
``report``, ``figures``
    Display tables, notes and macros; the plots.
``steps``
    The one function behind each rule script.
"""

from __future__ import annotations

from .codebook import codebook_table
from .cooccurrence import cooccurrence
from .figures import plot_cooccurrence, plot_prevalence_heatmap, plot_saturation
from .importing import (
    ANSWER_COLUMNS,
    CodingError,
    export_answers,
    load_coding,
    open_answers,
    validate_coding,
)
from .importing import CODING_OUT as CODING_OUT
from .prevalence import RULES, presence_table, prevalence, prevalence_by_coder
from .prevalence import _combine as _combine
from .prevalence import _cube as _cube
from .reliability import POOLED, reliability
from .report import (
    Outputs,
    Table,
    study1_macros,
    table_cooccurrence,
    table_prevalence_by_model,
    table_prevalence_reliability,
    table_saturation,
    write_frame,
)
from .saturation import saturation
from .steps import (
    answers_step,
    codebook_step,
    cooccurrence_step,
    export_step,
    import_step,
    macros_step,
    prevalence_step,
    saturation_step,
)

__all__ = [
    "RULES",
    "ANSWER_COLUMNS",
    "POOLED",
    "CodingError",
    "open_answers",
    "export_answers",
    "load_coding",
    "validate_coding",
    "presence_table",
    "prevalence",
    "prevalence_by_coder",
    "reliability",
    "saturation",
    "cooccurrence",
    "codebook_table",
    "plot_prevalence_heatmap",
    "plot_saturation",
    "plot_cooccurrence",
    "table_prevalence_reliability",
    "table_prevalence_by_model",
    "table_cooccurrence",
    "table_saturation",
    "study1_macros",
    "write_frame",
    "Table",
    "Outputs",
    "answers_step",
    "export_step",
    "import_step",
    "codebook_step",
    "prevalence_step",
    "saturation_step",
    "cooccurrence_step",
    "macros_step",
]
