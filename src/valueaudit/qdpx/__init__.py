"""REFI-QDA project files (``.qdpx``) for Study 1 coding: import and export.

Researchers code LLM answers in NVivo, ATLAS.ti, MAXQDA or QDA Miner and exchange
REFI-QDA projects. A ``.qdpx`` file is a zip archive holding ``project.qde`` (XML in
the namespace ``urn:QDA-XML:project:1.0``, the REFI-QDA Project Exchange standard
v1.0, schema ``Project-mrt2019.xsd``) and a ``sources/`` folder with the plain-text
documents that ``TextSource/@plainTextPath="internal://<file>"`` points to.

This package maps such a project to the two tables of METHODS section 3:

sources
    ``response_id, model_id, prompt_id, text`` (+ any further source variables)
coding
    ``response_id, model_id, prompt_id, coder, code, start, end, segment``:
    one row per (selection, coder, code); ``start``/``end`` are character
    offsets (Unicode code points, end exclusive) into ``text`` and
    ``segment == text[start:end]``.

Conventions of the exporter (:func:`write_qdpx`)
-------------------------------------------------
* Each answer is one ``TextSource`` named ``"{response_id}"`` whose text is stored
  as ``sources/<guid>.txt`` (UTF-8, no BOM, text exactly as given). ``response_id``,
  ``model_id``, ``prompt_id`` and any extra column of ``sources`` are written as
  project ``Variables`` with a ``VariableValue`` on every source.
* The codebook becomes one parent ``Code`` per theme (``isCodable="false"``: coders
  code to the inductive codes, never to a theme directly, so the code-to-theme
  mapping stays the codebook's) with the codes nested under it, each with its
  definition as ``Description``. Without a codebook, the codes used in ``coding``
  are written as flat, codable top-level codes.
* Codings with the same (response, start, end, coder) share one
  ``PlainTextSelection``; each code is a ``Coding`` with ``creatingUser`` = coder.
* Output is deterministic: GUIDs are ``uuid5`` of stable keys, the project date is
  an argument, zip entries are stored (uncompressed, so no dependence on the zlib
  build) in a fixed order with a fixed timestamp. The file is written atomically.

Conventions of the importer (:func:`read_qdpx`)
-----------------------------------------------
* Element names are matched by local name, so files without the namespace import
  too; unknown elements and attributes are ignored.
* Text comes from ``PlainTextContent`` or from ``plainTextPath`` ``internal://X``
  (looked up as ``sources/X`` in the archive, folder name case-insensitive).
* ``response_id``, ``model_id``, ``prompt_id`` are read from source variables
  (``TextSource/VariableValue``), else from variables of a ``Case`` that refers to
  the source (``Case/SourceRef``); ``response_id`` falls back to the source name.
  Other variables become extra columns of ``sources``.
* The coder is the ``User/@name`` of the ``Coding``'s ``creatingUser``, falling back
  to the selection's, then the source's, then the project's creating user; a user
  GUID missing from ``Users`` is kept as the GUID string.
* A ``Coding`` directly on a ``TextSource`` (no selection) codes the whole text.

References
----------
REFI-QDA Standard, Project Exchange v1.0 / 1.5, Rotterdam Exchange Format Initiative
(2019), https://www.qdasoftware.org (schema ``Project-mrt2019.xsd``, MIT licence).

Modules
-------
common
    Names and columns, :class:`QdpxError`, GUIDs, element lookup, the codebook check.
reader
    :func:`read_qdpx`.
writer
    :func:`write_qdpx` and :func:`write_coding_csv`.
"""

from .common import CODING_COLUMNS, NS, SOURCE_COLUMNS, QdpxError
from .reader import read_qdpx
from .writer import write_coding_csv, write_qdpx

__all__ = [
    "NS",
    "QdpxError",
    "SOURCE_COLUMNS",
    "CODING_COLUMNS",
    "read_qdpx",
    "write_qdpx",
    "write_coding_csv",
]
