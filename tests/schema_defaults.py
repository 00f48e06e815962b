"""The config schema's defaults, for the tests pinning library defaults against them
(``tests/test_defaults_<study>.py``)."""

from __future__ import annotations

from functools import cache

import yaml

from valueaudit.contracts import SCHEMA_DIR


def resolve_refs(node, root):
    """``node`` with every ``$ref`` (local, ``#/...``) replaced by what it points to."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return resolve_refs({**target, **rest}, root)
        return {k: resolve_refs(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_refs(v, root) for v in node]
    return node


@cache
def config_schema() -> dict:
    """The packaged config schema with its ``$ref``s resolved."""
    root = yaml.safe_load((SCHEMA_DIR / "config.schema.yaml").read_text(encoding="utf-8"))
    return resolve_refs(root, root)


def schema_node(key: str) -> dict:
    """The schema of the dotted config ``key`` (``study1.bootstrap``)."""
    node = config_schema()
    for part in key.split("."):
        node = node["properties"][part]
    return node


def schema_default(key: str):
    """The schema default of the dotted config ``key``; fails the test if it has none."""
    node = schema_node(key)
    assert "default" in node, f"config key {key} has no schema default"
    return node["default"]
