"""The faults the mock server can inject and the plan that says when."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FAULTS", "TRANSIENT_FAULTS", "FaultPlan"]

FAULTS = (
    "rate_limit",
    "server_error",
    "unavailable",
    "reset",
    "timeout",
    "malformed_json",
    "truncated",
    "empty",
    "refusal",
    "model_version",
    "garbage",
    "no_choices",
    "blank",
    "unauthorized",
    "forbidden",
)
#: faults after which a client must retry (no usable answer came back)
TRANSIENT_FAULTS = ("rate_limit", "server_error", "unavailable", "reset", "timeout",
                    "malformed_json", "truncated")


@dataclass
class FaultPlan:
    """Which faults the server injects.

    Parameters
    ----------
    first : faults for the 1st, 2nd, ... request of every conversation (then
        normal answers), e.g. ``["rate_limit", "server_error"]``. ``None``
        entries mean "answer normally".
    rates : probability of each fault kind on any later request (seeded).
    models : model names the plan applies to (``None``: every model).
    retry_after_s : the ``Retry-After`` the 429 fault announces (seconds; a
        fraction is sent as is, which the OpenAI and Anthropic SDKs accept).
    hang_s : how long the ``timeout`` fault stalls before answering.
    """

    first: list = field(default_factory=list)
    rates: dict = field(default_factory=dict)
    models: list | None = None
    retry_after_s: float = 1.0
    hang_s: float = 30.0

    def __post_init__(self):
        bad = [f for f in [*self.first, *self.rates] if f is not None and f not in FAULTS]
        if bad:
            raise ValueError(f"unknown fault kind(s) {bad}; expected one of {FAULTS}")

    @classmethod
    def from_dict(cls, d: dict | None) -> FaultPlan:
        return cls(**(d or {}))
