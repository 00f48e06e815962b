"""The seed registry is the one place random streams get their seeds."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from valueaudit import seeds
from valueaudit.seeds import OFFSETS, seed_for

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]


def test_offsets_are_distinct_so_no_two_streams_share_a_seed():
    assert len(set(OFFSETS.values())) == len(OFFSETS)


def test_seed_is_base_plus_offset_and_unknown_streams_are_refused():
    assert seed_for(7, "study1.bootstrap") == 7 + OFFSETS["study1.bootstrap"]
    with pytest.raises(KeyError, match="unknown random stream 'study9.x'"):
        seed_for(7, "study9.x")


def test_every_stream_the_workflow_names_is_registered_and_none_is_built_by_hand():
    used = set()
    for path in WORKFLOW_FILES:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bseed\(\"([^\"]+)\"\)", text))
        assert not re.search(r"config\[\"seed\"\]\s*\+", text), f"{path.name} adds a seed offset"
    assert used, "the rules name no random stream"
    assert used <= set(OFFSETS), sorted(used - set(OFFSETS))


def test_scripts_do_not_add_offsets_to_seeds():
    for path in sorted((REPO / "scripts").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"seed\)?\s*\+\s*\w*(OFFSET|\d{3,})", text), path.name


def test_examples_run():
    assert doctest.testmod(seeds).failed == 0
