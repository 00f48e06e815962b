"""What an answer may call each target: ids, item wordings, theme labels.

A key is matched case-, accent- and punctuation-insensitively. Only an
unambiguous match counts: a key that could name two targets (a theme label in
a rating answer names all of its items) is ``ambiguous``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import norm

__all__ = ["Spec", "KeyMatch", "spec_for", "plain_spec"]

_BRACKETED = re.compile(r"[\[(【（<「『]\s*([^\[\]()【】（）<>「」『』]{1,80}?)\s*[\])】）>」』]")


@dataclass(frozen=True)
class KeyMatch:
    """Result of resolving one key: ``target`` set when unambiguous."""

    target: str | None
    kind: str  # "id", "id_case", "label", "wording", "ambiguous", "unknown"


_UNKNOWN = KeyMatch(None, "unknown")
# a generic word before an id: "Statement perf_1", "Item perf_1", "Aspect agency"
_GENERIC = re.compile(r"^(?:statement|item|aspect|theme|id|aussage|aspekt|afirmacion|aspecto|"
                      r"tema|陈述|项目|方面)\s+")
_AMBIGUOUS = KeyMatch(None, "ambiguous")


@dataclass
class Spec:
    """The answer one format asks for, and the names its targets go by."""

    targets: tuple[str, ...]
    fmt: str
    lo: int
    hi: int
    # normalised alias -> (kind, targets it names)
    aliases: dict[str, tuple[str, frozenset]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    _cache: dict[str, KeyMatch] = field(default_factory=dict, repr=False)
    # patterns built from the aliases, by name (see answer._name_pattern)
    patterns: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def add(self, alias: str, kind: str, targets) -> None:
        key = norm(alias)
        if not key:
            return
        targets = frozenset(targets)
        old = self.aliases.get(key)
        if old is not None and old[1] != targets:
            targets = old[1] | targets
            kind = "ambiguous"
        elif old is not None and old[0] == "id":
            return
        self.aliases[key] = (kind, targets)

    # -----------------------------------------------------------------
    def resolve(self, key) -> KeyMatch:
        """The target ``key`` names (cached)."""
        key = str(key)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._resolve(key)
            if len(self._cache) < 20000:
                self._cache[key] = hit
        return hit

    def _exact(self, raw: str) -> KeyMatch | None:
        n = norm(raw)
        got = self.aliases.get(n)
        if got is None:
            return None
        kind, targets = got
        if len(targets) != 1:
            return _AMBIGUOUS
        (target,) = targets
        if kind == "id" and raw.strip().strip("`'\"*[]") != target:
            kind = "label" if raw.strip() in self.labels else "id_case"
        return KeyMatch(target, kind)

    def _resolve(self, raw: str) -> KeyMatch:
        raw = raw.strip().strip("`'\"*_").strip()
        if not raw or len(raw) > 300:
            return _UNKNOWN
        hit = self._exact(raw)
        if hit is not None:
            return hit
        # "[perf_1] Gives accurate ...", "Ethics and Responsibility (ethics_responsibility)"
        parts = [m.group(1) for m in _BRACKETED.finditer(raw)]
        rest = _BRACKETED.sub(" ", raw).strip(" .:-")
        found: list[KeyMatch] = []
        if parts:
            for p in [*parts, rest]:
                if p.strip():
                    h = self._exact(p)
                    if h is not None:
                        found.append(h)
            if found:
                if any(h.kind == "ambiguous" for h in found):
                    return _AMBIGUOUS
                names = {h.target for h in found}
                if len(names) == 1:
                    return min(found, key=lambda h: h.kind != "id")
                return _AMBIGUOUS
        n = norm(rest if parts else raw)
        m = _GENERIC.match(n)
        if m and n[m.end() :] in self.aliases:
            return self._exact(n[m.end() :]) or _UNKNOWN
        return self._contained(n)

    def _contained(self, n: str) -> KeyMatch:
        """A key that is a word sequence of one alias ("Ethics", "accurate and correct answers")."""
        if not n:
            return _UNKNOWN
        words = n.split()
        padded = f" {n} "
        names: set[str] = set()
        kinds: set[str] = set()
        for alias, (kind, targets) in self.aliases.items():
            if kind == "id" or padded not in f" {alias} ":
                continue
            names |= targets
            kinds.add(kind)
        if not names:
            return _UNKNOWN
        if len(words) < 2 and not (kinds <= {"label", "ambiguous"} and len(n) >= 4):
            return _UNKNOWN
        if len(names) > 1:
            return _AMBIGUOUS
        (target,) = names
        return KeyMatch(target, "label" if "label" in kinds else "wording")


_SPECS: dict[tuple, Spec] = {}


def plain_spec(targets, fmt: str, lo: int, hi: int) -> Spec:
    """A spec that knows only the target ids."""
    key = ("plain", tuple(targets), fmt, lo, hi)
    spec = _SPECS.get(key)
    if spec is None:
        spec = Spec(tuple(targets), fmt, int(lo), int(hi))
        for t in targets:
            spec.add(t, "id", [t])
        _SPECS[key] = spec
    return spec


def spec_for(instrument, fmt: str) -> Spec:
    """The spec of ``fmt`` for an instrument: ids, wordings (rating), labels (ranking)."""
    key = (instrument.sha256, str(instrument.path), fmt)
    spec = _SPECS.get(key)
    if spec is not None:
        return spec
    targets = instrument.targets(fmt)
    lo, hi = instrument.value_range(fmt)
    spec = Spec(tuple(targets), fmt, int(lo), int(hi))
    for t in targets:
        spec.add(t, "id", [t])
    if fmt == "rating":
        by_theme: dict[str, list[str]] = {}
        for it in instrument.items:
            by_theme.setdefault(it.theme, []).append(it.id)
            spec.add(it.wording, "wording", [it.id])
        for th in instrument.themes:
            members = by_theme.get(th.id, [])
            if len(members) == 1:
                spec.add(th.label, "label", members)
            elif members:
                for name in (th.label, th.id):
                    if norm(name) not in spec.aliases:
                        spec.aliases[norm(name)] = ("ambiguous", frozenset(members))
    else:
        for th in instrument.themes:
            spec.add(th.label, "label", [th.id])
            spec.labels.add(th.label)
    _SPECS[key] = spec
    return spec
