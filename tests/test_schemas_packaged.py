"""The JSON Schemas ship as package data: real files inside ``valueaudit/schemas``."""

from importlib.resources import files
from pathlib import Path

import pytest
import yaml

import valueaudit
from valueaudit.contracts import SCHEMA_DIR, load_schema

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(valueaudit.__file__).resolve().parent
SCHEMAS = ("codebook", "coding", "config", "humans", "models", "raw_record", "respondents",
           "responses")


def test_the_schema_folder_is_a_real_folder_of_the_package():
    folder = PACKAGE / "schemas"
    assert folder.is_dir() and not folder.is_symlink()
    assert SCHEMA_DIR.resolve() == folder


@pytest.mark.parametrize("name", SCHEMAS)
def test_each_schema_is_a_real_file_read_through_importlib_resources(name):
    path = PACKAGE / "schemas" / f"{name}.schema.yaml"
    assert path.is_file() and not path.is_symlink()
    resource = files("valueaudit") / "schemas" / f"{name}.schema.yaml"
    assert resource.is_file()
    schema = yaml.safe_load(resource.read_text(encoding="utf-8"))
    assert isinstance(schema, dict) and schema.get("properties")
    assert load_schema(name) == schema


def test_the_package_holds_exactly_these_schemas():
    found = sorted(p.name for p in (files("valueaudit") / "schemas").iterdir()
                   if p.name.endswith(".schema.yaml"))
    assert found == sorted(f"{n}.schema.yaml" for n in SCHEMAS)


def test_the_workflow_has_no_copy_of_the_schemas():
    assert not (REPO / "workflow" / "schemas").exists()
    assert not (REPO / "workflow" / "schemas").is_symlink()
