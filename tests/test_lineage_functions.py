"""Every lineage record names the library function that computed its outputs, and its script
calls that function."""

import importlib
import json
import re

import pytest
import yaml

pytestmark = pytest.mark.e2e


def resolve(dotted: str):
    """The object named ``module.qualname`` (the longest importable prefix is the module)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_every_lineage_record_names_a_function_its_script_calls(small_run):
    results = yaml.safe_load((small_run / "config.yaml").read_text()).get("results", "results")
    records = sorted((small_run / results / "provenance" / "lineage").rglob("*.json"))
    assert records
    problems = []
    for path in records:
        rec = json.loads(path.read_text(encoding="utf-8"))
        where = f"{path.relative_to(small_run)} (rule {rec['rule']}, {rec['script']})"
        name = rec.get("function")
        if not name or not name.startswith("valueaudit."):
            problems.append(f"{where}: names no valueaudit function ({name!r})")
            continue
        try:
            func = resolve(name)
        except (ImportError, AttributeError) as exc:
            problems.append(f"{where}: {name} does not import ({exc})")
            continue
        if not callable(func):
            problems.append(f"{where}: {name} is not callable")
            continue
        script = (small_run / rec["script"]).read_text(encoding="utf-8")
        short = name.rsplit(".", 1)[-1]
        if not re.search(rf"\b{re.escape(short)}\s*\(", script):
            problems.append(f"{where}: the script does not call {short}()")
    assert not problems, "\n".join(problems)
