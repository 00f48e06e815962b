"""Load and validate the workflow configuration (JSON Schema, defaults in the schema)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .contracts import SCHEMA_DIR

__all__ = ["ConfigError", "validate_config", "load_config", "model_ids"]


class ConfigError(ValueError):
    """The configuration breaks its schema (the message names the key path)."""


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


def validate_config(config: dict) -> dict:
    """Return a validated copy of ``config`` with every default filled in.

    Raises :class:`ConfigError` naming the key path (``models.live[0].provider``),
    what was found and what the schema expects.
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
            if e.validator == "additionalProperties":
                lines.append(f"{path or '(top level)'}: {e.message} (unknown key; see "
                             "workflow/schemas/config.schema.yaml for the allowed keys)")
            else:
                lines.append(f"{path or '(top level)'}: {e.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    ids = [m["id"] for m in cfg["models"].get("live", [])]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"models.live: duplicate model id(s) {dup}")
    for n, m in enumerate(cfg["models"].get("live", [])):
        if m["provider"] == "file" and not m.get("path"):
            raise ConfigError(f"models.live[{n}].path: required for provider 'file'")
        if m["provider"] in ("openai", "anthropic") and not m.get("api_key_env"):
            raise ConfigError(f"models.live[{n}].api_key_env: name the environment variable holding the key")
        tier = m.get("metadata", {}).get("tier")
        if tier is not None and tier not in cfg["models"]["tiers"]:
            raise ConfigError(f"models.live[{n}].metadata.tier: {tier!r} is not one of models.tiers "
                              f"{cfg['models']['tiers']}")
    return cfg


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    with open(path, encoding="utf-8") as fh:
        return validate_config(yaml.safe_load(fh) or {})


def model_ids(cfg: dict) -> list[str]:
    """All model ids: the metadata table's, then the live models' (in config order)."""
    from .contracts import read_models

    table = read_models(cfg["models"]["table"], cfg["models"]["tiers"])
    ids = list(table["model_id"])
    for m in cfg["models"].get("live", []):
        if m["id"] not in ids:
            ids.append(m["id"])
    return ids
