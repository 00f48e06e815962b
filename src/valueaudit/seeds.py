"""The seed registry: every random stream of the workflow, one named offset each.

A stream's seed is the config's ``seed`` plus its offset (:func:`seed_for`), so that
one number in ``config.yaml`` fixes every stream and no two streams share a seed.
Streams that depend on a model or a respondent split further derive their own
generators from this seed and the model id, never from a position in a list.

Examples
--------
>>> seed_for(20250612, "study3.bootstrap")
20253713
>>> sorted(OFFSETS)[:2]
['collect.item_order', 'study1.bootstrap']
"""

from __future__ import annotations

__all__ = ["OFFSETS", "seed_for"]

#: Offset of each named random stream from the config's ``seed``.
OFFSETS: dict[str, int] = {
    "collect.item_order": 0,
    "study1.bootstrap": 1101,
    "study1.saturation": 1102,
    "study1.exemplar": 1103,
    "study2.consensus": 2001,
    "study3.bootstrap": 3101,
    "study3.null": 3102,
    "study3.human": 3103,
    "study3.ceiling": 3104,
    "study3.consensus": 3105,
    "study3.jitter": 3106,
}


def seed_for(base: int, stream: str) -> int:
    """The seed of ``stream``: ``base`` (the config's ``seed``) plus the stream's offset.

    Raises ``KeyError`` naming the known streams when ``stream`` is not registered.
    """
    try:
        return int(base) + OFFSETS[stream]
    except KeyError:
        raise KeyError(f"unknown random stream {stream!r}; registered: "
                       + ", ".join(sorted(OFFSETS))) from None
