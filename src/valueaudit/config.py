"""Load and validate the workflow configuration (JSON Schema, defaults in the schema)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .contracts import SCHEMA_DIR, DataValidationError

__all__ = ["ConfigError", "validate_config", "load_config", "read_yaml"]


class ConfigError(DataValidationError):
    """The configuration breaks its schema or its meaning (the error names the key path)."""

    def __init__(self, key: str, rule: str, source: str | None = None, fix: str | None = None):
        super().__init__(source or "configuration", rule, key=key, header_lines=None,
                         fix=fix or "correct the key in the config file (allowed keys and values: "
                         "src/valueaudit/schemas/config.schema.yaml)")


def _schema() -> dict:
    with open(SCHEMA_DIR / "config.schema.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if ref and ref.startswith("#/"):
        out = root
        for part in ref[2:].split("/"):
            out = out[part]
        return out
    return node


def _fill_defaults(value, schema: dict, root: dict):
    """Recursively insert schema defaults (objects, and objects in arrays)."""
    schema = _resolve(schema, root)
    if isinstance(value, dict) and schema.get("type") == "object":
        for key, sub in schema.get("properties", {}).items():
            sub = _resolve(sub, root)
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = _fill_defaults(value[key], sub, root)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        value = [_fill_defaults(v, schema["items"], root) for v in value]
    return value


def _one_to_one(mapping: dict, key: str, source, seen: dict[str, str]) -> None:
    """Each value of ``mapping`` (an export column) is used by one key only."""
    for k, col in mapping.items():
        path = f"{key}.{k}"
        if col in seen:
            raise ConfigError(path, f"column {col!r} is mapped twice: by {seen[col]} and by {path} "
                              "(the mapping must be one-to-one)", source,
                              fix="map each item, theme and demographic to its own column")
        seen[col] = path


def validate_config(config: dict, source: str | None = None) -> dict:
    """Return a validated copy of ``config`` with every default filled in.

    Raises :class:`ConfigError` naming the key path (``models.live[0].provider``),
    what was found and what the schema expects; ``source`` names the config
    file(s) in the message. Beyond the schema: live model ids are unique, the
    survey's column mappings are one-to-one, and every key that names a value
    of another key (a tier, a model id) points at one that exists.
    """
    import jsonschema

    schema = _schema()
    cfg = _fill_defaults(copy.deepcopy(dict(config)), schema, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = []
        for e in errors[:10]:
            path = ""
            for p in e.absolute_path:
                path += f"[{p}]" if isinstance(p, int) else (f".{p}" if path else str(p))
            msg = e.message
            if e.validator == "additionalProperties":
                msg += (" (unknown key; see src/valueaudit/schemas/config.schema.yaml for the "
                        "allowed keys)")
            lines.append((path or "(top level)", msg))
        rule = lines[0][1]
        if len(lines) > 1:
            rule += "; also " + "; ".join(f"{p}: {m}" for p, m in lines[1:])
        raise ConfigError(lines[0][0], rule, source)
    ids = [m["id"] for m in cfg["models"].get("live", [])]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        n = [k for k, i in enumerate(ids) if i == dup[0]]
        raise ConfigError(f"models.live[{n[1]}].id", f"duplicate model id {dup[0]!r} (also "
                          f"models.live[{n[0]}].id)", source)
    for n, m in enumerate(cfg["models"].get("live", [])):
        if m["provider"] == "file" and not m.get("path"):
            raise ConfigError(f"models.live[{n}].path", "required for provider 'file'", source)
        keyless = m["provider"] == "openai" and m.get("base_url")
        if m["provider"] in ("openai", "anthropic") and not m.get("api_key_env") and not keyless:
            raise ConfigError(f"models.live[{n}].api_key_env",
                              "name the environment variable holding the key (only a local "
                              "OpenAI-compatible server given by base_url needs none)", source)
        tier = m.get("metadata", {}).get("tier")
        if tier is not None and tier not in cfg["models"]["tiers"]:
            raise ConfigError(f"models.live[{n}].metadata.tier",
                              f"{tier!r} is not one of models.tiers {cfg['models']['tiers']}",
                              source)
    tiers = cfg["models"]["tiers"]
    if len(set(tiers)) != len(tiers):
        raise ConfigError("models.tiers", f"a tier is listed twice: {tiers}", source)
    humans = cfg.get("humans", {})
    seen: dict[str, str] = {}
    for fmt in ("rating", "ranking"):
        _one_to_one(humans.get("items", {}).get(fmt, {}) or {}, f"humans.items.{fmt}", source, seen)
    _one_to_one(humans.get("demographics", {}) or {}, "humans.demographics", source, seen)
    idcol = humans.get("id_column")
    if idcol in seen:
        raise ConfigError("humans.id_column", f"the respondent id column {idcol!r} is also mapped "
                          f"by {seen[idcol]}", source)
    if humans.get("layout") == "tidy" and not humans.get("respondents"):
        raise ConfigError("humans.respondents", "the tidy layout needs a respondents file", source)
    names = [r.get("rule") for r in humans.get("exclusions", [])]
    for n, r in enumerate(humans.get("exclusions", [])):
        need = {"attention_check": ("column", "expected"), "too_fast": ("column", "min_seconds"),
                "duplicate": ("column",)}.get(r.get("rule"), ())
        for k in need:
            if r.get(k) is None:
                raise ConfigError(f"humans.exclusions[{n}].{k}",
                                  f"rule {r['rule']!r} needs '{k}'", source)
        if names.count(r.get("rule")) > 1 and names.index(r.get("rule")) != n:
            raise ConfigError(f"humans.exclusions[{n}].rule",
                              f"rule {r['rule']!r} is listed twice", source)
        if r.get("column") and r.get("column") == idcol and r.get("rule") != "duplicate":
            raise ConfigError(f"humans.exclusions[{n}].column",
                              f"the respondent id column {idcol!r} cannot feed rule {r['rule']!r}",
                              source)
    return cfg


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise ConfigError("(top level)", "the config must be a mapping of keys", str(path))
    return validate_config(doc, str(path))


def read_yaml(path: str | Path):
    """The document of a YAML file; a syntax error stops with the file and its line."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataValidationError(path, f"not a readable UTF-8 YAML file ({type(exc).__name__})",
                                  header_lines=None, line=None if mark is None else mark.line + 1,
                                  fix="correct the YAML syntax (indentation, ':' after keys)"
                                  ) from None
    return doc

