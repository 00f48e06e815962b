"""Data contracts: validate every table on load (METHODS section 3).

Each table has a JSON-Schema file (one row = one object) in the package's
``schemas`` folder (``src/valueaudit/schemas/``, :data:`SCHEMA_DIR`).
:func:`read_table` reads a CSV or Parquet file as text, checks it column by
column against its schema with vectorised pandas operations, and either
returns a typed DataFrame or raises :class:`DataValidationError` naming the
file, the row, the column and the rule broken.

Rows are counted from 1 for the first data row; for CSV files the error also
names the line (row + number of header lines).

Modules
-------
errors
    :class:`DataValidationError` and :func:`warn_input`.
files
    Atomic writes (:func:`atomic_path`, :func:`write_csv`) and reading a table as text.
schema
    The schemas (:func:`load_schema`), :func:`validate_frame` and :func:`read_table`.
models
    The models table (:func:`read_models`) and the names tables and figures show.
answers
    Parsed responses, human answers, respondents, the Study 1 codebook and coding.
raw
    Raw LLM records (:func:`read_raw_records`, :func:`check_raw_records`,
    :func:`check_raw_files`).
inputs
    :func:`check_inputs`, the check of every input a run reads.
"""

from .answers import check_ranks as check_ranks
from .answers import describe_ranks as describe_ranks
from .answers import read_codebook, read_coding, read_humans, read_respondents, read_responses
from .errors import DataValidationError, warn_input
from .files import RESAVE as RESAVE
from .files import _read_text_frame as _read_text_frame
from .files import atomic_path, write_csv
from .files import csv_header as csv_header
from .files import decode_text as decode_text
from .inputs import check_inputs
from .models import (
    SIMULATED_SUFFIX,
    check_model_names,
    model_names,
    names_note,
    read_models,
    with_names_note,
)
from .raw import check_raw_files, check_raw_records, read_raw_records
from .schema import SCHEMA_DIR as SCHEMA_DIR
from .schema import SLUG, load_schema, read_table, validate_frame

__all__ = [
    "DataValidationError",
    "warn_input",
    "check_raw_files",
    "check_raw_records",
    "check_inputs",
    "load_schema",
    "read_table",
    "validate_frame",
    "check_model_names",
    "read_models",
    "model_names",
    "names_note",
    "with_names_note",
    "SIMULATED_SUFFIX",
    "read_responses",
    "read_humans",
    "read_respondents",
    "read_coding",
    "read_codebook",
    "read_raw_records",
    "atomic_path",
    "write_csv",
    "SLUG",
]
