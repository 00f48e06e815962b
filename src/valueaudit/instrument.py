"""The instrument: themes, items, response formats and prompt templates.

One versioned YAML file per instrument (METHODS section 2). Every later stage
reads the theme set from here; nothing else in the package knows how many
themes there are or what they are called.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .contracts import DataValidationError

__all__ = [
    "Theme",
    "Item",
    "Instrument",
    "InstrumentError",
    "load_instrument",
    "session_seed",
    "item_order",
    "FORMATS",
]

#: Response formats an instrument can administer. ``open`` is the open-ended
#: optimal-functioning prompt of Study 1 (no items, no values).
FORMATS = ("rating", "ranking")
TASKS = (*FORMATS, "open")


class InstrumentError(DataValidationError):
    """The instrument file breaks a rule (names the file, the key path and the rule)."""

    def __init__(self, file, rule=None, key=None, fix=None):
        if rule is None:
            super().__init__(str(file))
        else:
            super().__init__(file, rule, key=key, header_lines=None, fix=fix)


#: placeholders each prompt template must use / may use (str.format fields)
TEMPLATE_FIELDS = {
    "rating": ({"item_list"}, {"item_list", "min", "max", "min_anchor", "max_anchor",
                               "example_id", "example_value"}),
    "ranking": ({"theme_list"}, {"theme_list", "n_themes", "example_id"}),
    "item_line": ({"id", "wording"}, {"id", "wording", "position"}),
    "theme_line": ({"id", "label"}, {"id", "label", "definition", "position"}),
    "repair": ({"error"}, {"error"}),
}


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    definition: str


@dataclass(frozen=True)
class Item:
    id: str
    theme: str
    wording: str


@dataclass(frozen=True)
class Instrument:
    """A parsed, validated instrument file."""

    path: Path
    id: str
    version: str
    title: str
    themes: tuple[Theme, ...]
    items: tuple[Item, ...]
    formats: dict
    prompts: dict
    survey: dict
    sha256: str = field(repr=False)

    # -- lookups ---------------------------------------------------------
    @property
    def theme_ids(self) -> list[str]:
        return [t.id for t in self.themes]

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]

    @property
    def n_themes(self) -> int:
        return len(self.themes)

    @property
    def scale(self) -> tuple[int, int]:
        r = self.formats["rating"]
        return int(r["min"]), int(r["max"])

    def theme_of(self) -> dict[str, str]:
        """Map item id -> theme id."""
        return {i.id: i.theme for i in self.items}

    def label_of(self) -> dict[str, str]:
        """Map theme id -> label."""
        return {t.id: t.label for t in self.themes}

    def targets(self, fmt: str) -> list[str]:
        """Ids a respondent answers in format ``fmt``: items (rating) or themes (ranking)."""
        if fmt == "rating":
            return self.item_ids
        if fmt == "ranking":
            return self.theme_ids
        raise InstrumentError(f"unknown response format {fmt!r}; expected one of {FORMATS}")

    def value_range(self, fmt: str) -> tuple[int, int]:
        if fmt == "rating":
            return self.scale
        if fmt == "ranking":
            return 1, self.n_themes
        raise InstrumentError(f"unknown response format {fmt!r}; expected one of {FORMATS}")

    # -- prompts ---------------------------------------------------------
    def render_user_prompt(self, task: str, order: list[str] | None = None) -> str:
        """The user message for ``task`` with targets shown in ``order``."""
        p = self.prompts
        if task == "open":
            return p["open"]
        order = list(order) if order is not None else self.targets(task)
        if task == "rating":
            lo, hi = self.scale
            anchors = {int(k): v for k, v in self.formats["rating"]["anchors"].items()}
            items = {i.id: i for i in self.items}
            lines = [
                p["item_line"].format(position=n + 1, id=iid, wording=items[iid].wording)
                for n, iid in enumerate(order)
            ]
            return p["rating"].format(
                min=lo,
                max=hi,
                min_anchor=anchors.get(lo, ""),
                max_anchor=anchors.get(hi, ""),
                item_list="\n".join(lines),
                example_id=order[0],
                example_value=hi,
            )
        if task == "ranking":
            themes = {t.id: t for t in self.themes}
            lines = [
                p["theme_line"].format(
                    position=n + 1, id=tid, label=themes[tid].label, definition=themes[tid].definition
                )
                for n, tid in enumerate(order)
            ]
            return p["ranking"].format(
                n_themes=self.n_themes, theme_list="\n".join(lines), example_id=order[0]
            )
        raise InstrumentError(f"unknown task {task!r}; expected one of {TASKS}")

    def messages(self, task: str, order: list[str] | None = None) -> list[dict]:
        """Chat messages (system + user) for one fresh session."""
        return [
            {"role": "system", "content": self.prompts["system"]},
            {"role": "user", "content": self.render_user_prompt(task, order)},
        ]

    def prompt_sha256(self, task: str) -> str:
        """Hash of the prompt templates used by ``task`` (independent of item order)."""
        keys = ["system", task, "item_line", "theme_line", "repair"]
        blob = json.dumps({k: self.prompts.get(k) for k in keys}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _fail(path, msg, key=None, fix=None):
    raise InstrumentError(path, msg, key=key, fix=fix)


def _template_fields(path, name: str, text) -> set[str]:
    import string

    if not isinstance(text, str):
        _fail(path, "a prompt template must be text", key=f"prompts.{name}")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        _fail(path, f"not a valid template ({exc})", key=f"prompts.{name}",
              fix="write literal braces as {{ and }}")
    return {f.split(".")[0].split("[")[0] for f in fields}


def _check_unique(path, section: str, ids: list[str]) -> None:
    first: dict[str, int] = {}
    for n, i in enumerate(ids):
        if i in first:
            _fail(path, f"duplicate {section[:-1]} id {i!r} at {section}[{first[i]}] and "
                  f"{section}[{n}]", key=f"{section}[{n}].id", fix="give each a unique id")
        first[i] = n


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate an instrument YAML file.

    Rules checked: required sections present; theme and item ids unique safe
    slugs; at least three themes; every theme has at least one item; every
    item names a known theme; the rating scale has integer min < max; the
    prompt templates for rating, ranking, open and repair exist. The same bytes
    are read once per process (:mod:`valueaudit.memo`; the instrument is frozen).
    """
    from .memo import file_key, memo

    path = Path(path)
    if not path.is_file():
        return _load_instrument(path)
    return memo(("instrument", file_key(path), str(path)), lambda: _load_instrument(path))


def _load_instrument(path: Path) -> Instrument:
    if not path.is_file():
        _fail(path, "file does not exist", key="instrument", fix="check instrument in config.yaml")
    raw_bytes = path.read_bytes()
    try:
        doc = yaml.safe_load(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        _fail(path, "not UTF-8 text", fix="re-save the file as UTF-8")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InstrumentError(path, f"not readable YAML ({getattr(exc, 'problem', exc)})",
                              key=None if mark is None else f"(line {mark.line + 1})",
                              fix="correct the YAML syntax (indentation, ':' after keys)"
                              ) from None
    if not isinstance(doc, dict):
        _fail(path, "top level must be a mapping")
    for key, kind in (("themes", list), ("items", list), ("formats", dict)):
        if key in doc and not isinstance(doc[key], kind):
            _fail(path, f"must be a {'list' if kind is list else 'mapping'}", key=key)
    for key in ("id", "version", "themes", "items", "formats", "prompts"):
        if key not in doc:
            _fail(path, f"missing required section '{key}'", key=key)
    import re

    slug = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
    themes = []
    for n, t in enumerate(doc["themes"]):
        for k in ("id", "label", "definition"):
            if not isinstance(t, dict) or not t.get(k):
                _fail(path, f"missing '{k}'", key=f"themes[{n}].{k}")
        if not slug.match(str(t["id"])):
            _fail(path, f"id {t['id']!r} is not a slug [a-z0-9][a-z0-9._-]*",
                  key=f"themes[{n}].id")
        themes.append(Theme(str(t["id"]), str(t["label"]), " ".join(str(t["definition"]).split())))
    ids = [t.id for t in themes]
    _check_unique(path, "themes", ids)
    if len(themes) < 3:
        _fail(path, f"needs at least 3 themes, has {len(themes)}", key="themes")
    items = []
    for n, it in enumerate(doc["items"]):
        for k in ("id", "theme", "wording"):
            if not isinstance(it, dict) or not it.get(k):
                _fail(path, f"missing '{k}'", key=f"items[{n}].{k}")
        if it["theme"] not in ids:
            _fail(path, f"item {it['id']!r} names unknown theme {it['theme']!r}",
                  key=f"items[{n}].theme", fix=f"use one of the theme ids {ids}")
        if not slug.match(str(it["id"])):
            _fail(path, f"id {it['id']!r} is not a slug", key=f"items[{n}].id")
        items.append(Item(str(it["id"]), str(it["theme"]), str(it["wording"])))
    iids = [i.id for i in items]
    _check_unique(path, "items", iids)
    if set(iids) & set(ids):
        both = sorted(set(iids) & set(ids))
        _fail(path, f"id(s) {both} are both item and theme ids (they must not overlap)",
              key="items")
    for n, t in enumerate(ids):
        if t not in {i.theme for i in items}:
            _fail(path, f"theme {t!r} has no items", key=f"themes[{n}]",
                  fix="add at least one item for the theme")
    rating = doc["formats"].get("rating")
    if not rating or not isinstance(rating.get("min"), int) or not isinstance(rating.get("max"), int):
        _fail(path, "needs integer min and max", key="formats.rating")
    if rating["min"] >= rating["max"]:
        _fail(path, "min must be below max", key="formats.rating")
    if not isinstance(doc["prompts"], dict):
        _fail(path, "prompts must be a mapping of templates", key="prompts")
    for k in ("system", "rating", "ranking", "open", "repair", "item_line", "theme_line"):
        if k not in doc["prompts"]:
            _fail(path, f"missing template '{k}'", key=f"prompts.{k}")
    for k, (need, allowed) in TEMPLATE_FIELDS.items():
        fields = _template_fields(path, k, doc["prompts"][k])
        unknown = sorted(fields - allowed)
        if unknown:
            _fail(path, f"template names unknown placeholder(s) {['{' + u + '}' for u in unknown]}",
                  key=f"prompts.{k}", fix=f"use only {sorted('{' + a + '}' for a in allowed)}")
        lacking = sorted(need - fields)
        if lacking:
            _fail(path, f"template lacks the placeholder(s) {['{' + u + '}' for u in lacking]} "
                  "its format needs", key=f"prompts.{k}",
                  fix=f"add {', '.join('{' + u + '}' for u in lacking)} to the template")
    return Instrument(
        path=path,
        id=str(doc["id"]),
        version=str(doc["version"]),
        title=str(doc.get("title", doc["id"])),
        themes=tuple(themes),
        items=tuple(items),
        formats=doc["formats"],
        prompts=doc["prompts"],
        survey=doc.get("survey", {}),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def session_seed(global_seed: int, model_id: str, task: str, session: int) -> int:
    """A 64-bit seed derived from (global seed, model id, task, session index).

    Stable across platforms and Python versions (sha256, not ``hash()``).
    """
    key = f"{int(global_seed)}|{model_id}|{task}|{int(session)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")


def item_order(
    instrument: Instrument, task: str, global_seed: int, model_id: str, session: int
) -> list[str]:
    """The order in which ``task``'s targets are shown in one session (seeded shuffle)."""
    if task == "open":
        return []
    targets = instrument.targets(task)
    rng = np.random.default_rng(session_seed(global_seed, model_id, task, session))
    return [targets[i] for i in rng.permutation(len(targets))]
