"""Config validation: defaults from the schema; unknown keys, wrong types, missing keys stop with the path."""

import copy

import pytest
import yaml

from valueaudit.config import ConfigError, validate_config

from .conftest import REPO

BASE = yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_config_is_valid_and_defaults_filled():
    cfg = validate_config(BASE)
    assert cfg["study3"]["bootstrap"] == 2000
    assert cfg["collection"]["raw_dir"] == "resources/raw"
    assert cfg["models"]["live"] == []


def test_defaults_fill_missing_sections():
    c = copy.deepcopy(BASE)
    del c["study2"]
    assert validate_config(c)["study2"] == {"min_sessions": 3, "bootstrap": 2000, "max_clusters": 8}


@pytest.mark.parametrize(
    "mutate,needle",
    [
        (lambda c: c.update(sead=1), "unknown key"),
        (lambda c: c["study3"].update(bootstrapp=10), "study3"),
        (lambda c: c["study3"].update(bootstrap="many"), "study3.bootstrap"),
        (lambda c: c["profiles"].update(response_format="likert"), "profiles.response_format"),
        (lambda c: c.pop("instrument"), "'instrument' is a required property"),
        (lambda c: c["models"].update(live=[{"id": "Bad Id", "provider": "openai", "model": "x",
                                             "api_key_env": "K"}]), "models.live[0].id"),
        (lambda c: c["models"].update(live=[{"id": "ok", "provider": "openai", "model": "x"}]),
         "api_key_env"),
        (lambda c: c["humans"]["exclusions"].append({"rule": "vibes"}), "humans.exclusions[4].rule"),
    ],
)
def test_invalid_config_names_the_key(mutate, needle):
    c = copy.deepcopy(BASE)
    mutate(c)
    with pytest.raises(ConfigError) as e:
        validate_config(c)
    assert needle in str(e.value)
