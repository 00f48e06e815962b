"""APA-style numbers: one value (:func:`apa`), estimates with intervals, p values, ranks,
and a whole frame as text (:func:`format_frame`)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["apa", "format_ci", "format_p", "format_rank", "format_frame"]


def apa(x, kind: str = "d2") -> str:
    """Format one number APA-style.

    kind: ``"d2"`` two decimals; ``"r"`` two decimals without a leading zero
    (bounded statistics); ``"p"`` p value (three decimals, ``< .001``);
    ``"int"`` integer; ``"pct"`` percentage with one decimal; ``"d3"`` three
    decimals; ``"str"`` as is. Missing -> ``NA``.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "NA"
    if kind == "str":
        return str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "NA"
    if kind == "int":
        return f"{int(round(v))}"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "p":
        if v < 0.001:
            return "< .001"
        return f"{v:.3f}".replace("0.", ".", 1)
    if kind == "d3":
        return f"{v:.3f}"
    s = f"{v:.2f}"
    if s in ("-0.00",):
        s = "0.00"
    if kind == "r":
        s = s.replace("0.", ".", 1) if abs(v) < 1 else s
    return s


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def format_ci(est, low, high, kind: str = "r") -> str:
    """``est [low, high]`` in APA style (:func:`apa` with ``kind``); ``NA`` when the estimate
    is missing.

    >>> format_ci(0.8123, 0.70, 0.9)
    '.81 [.70, .90]'
    """
    if not _finite(est):
        return "NA"
    return f"{apa(est, kind)} [{apa(low, kind)}, {apa(high, kind)}]"


def format_p(p) -> str:
    """A p value for running text and macros: ``.034`` or ``< .001`` (``NA`` if missing)."""
    return apa(p, "p")


def format_rank(r) -> str:
    """A rank: integer when whole (``3``), else one decimal (``3.5``); ``NA`` if missing."""
    if not _finite(r):
        return "NA"
    v = float(r)
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def format_frame(df: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Format every cell as text. Unlisted numeric columns get ``d2``
    (integers ``int``); unlisted text columns are left as they are."""
    kinds = dict(kinds or {})
    out = {}
    for c in df.columns:
        k = kinds.get(c)
        s = df[c]
        if k is None:
            if pd.api.types.is_bool_dtype(s):
                k = "str"
            elif pd.api.types.is_integer_dtype(s):
                k = "int"
            elif pd.api.types.is_numeric_dtype(s):
                k = "d2"
            else:
                k = "str"
        out[c] = [apa(v, k) if not (k == "str" and (v is None or v is pd.NA or
                                                     (isinstance(v, float) and np.isnan(v))))
                  else ("" if k == "str" else "NA") for v in s]
    return pd.DataFrame(out, index=df.index)
