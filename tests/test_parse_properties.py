"""Property tests of the parser: any valid answer in any supported rendering is read
exactly; any corruption of it (a dropped item, a conflicting duplicate, a tie, an
out-of-range value, a cut) never yields values."""

import json
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from valueaudit.instrument import load_instrument
from valueaudit.parse import parse_answer

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENTS = [load_instrument(ROOT / "resources" / "instrument" / "optimal_ai_v1.yaml"),
               load_instrument(ROOT / "tests" / "data" / "instrument_5themes.yaml")]


def _names(ins, fmt):
    if fmt == "rating":
        return {i.id: i.wording for i in ins.items}
    return ins.label_of()


# each rendering: (text pieces) -> text, from a list of (key, value) pairs; "ordering" ones
# take the targets sorted by rank and write no values
def _json(pairs, names):
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"


def _pretty_fenced(pairs, names):
    body = ",\n".join(f'  "{k}": {v}' for k, v in pairs)
    return "Here is my answer:\n\n```json\n{\n" + body + "\n}\n```"


def _python(pairs, names):
    return "{" + ", ".join(f"'{k.upper()}': {v}, # note" + "\n" for k, v in pairs) + "}"


def _name_keys(pairs, names):
    return json.dumps({names[k]: v for k, v in pairs}) if len({k for k, _ in pairs}) == len(
        pairs) else "{" + ", ".join(f'"{names[k]}": {v}' for k, v in pairs) + "}"


def _lines(pairs, names):
    return "My answer:\n" + "\n".join(f"{n + 1}. **{k}**: {v} - because" for n, (k, v) in
                                      enumerate(pairs))


def _table(pairs, names):
    rows = "\n".join(f"| {k} | {names[k]} | {v} |" for k, v in pairs)
    return "| id | text | value |\n|---|---|---|\n" + rows


def _table_short_rule(pairs, names):
    rows = "\n".join(f"{k} | {v}" for k, v in pairs)
    return "| key | value |\n|:-|:-:|\n" + "\n".join(f"| {r} |" for r in rows.split("\n"))


def _objects(pairs, names):
    return json.dumps([{"id": k, "value": v, "why": "x"} for k, v in pairs])


RENDER = {"json": _json, "fenced": _pretty_fenced, "python": _python, "names": _name_keys,
          "lines": _lines, "table": _table, "table_short": _table_short_rule, "objects": _objects}


def _numbered(pairs, names):
    return "\n".join(f"{v}. {names[k]}" for k, v in sorted(pairs, key=lambda p: p[1]))


def _rank_lines(pairs, names):
    return "\n".join(f"Rank {v}: {names[k]}" for k, v in sorted(pairs, key=lambda p: p[1]))


def _chain(pairs, names):
    return " > ".join(names[k] for k, _ in sorted(pairs, key=lambda p: p[1]))


def _hash_numbered(pairs, names):
    return "\n".join(f"#{v} {names[k]}"
                     for k, v in sorted(pairs, key=lambda p: p[1]))


ORDERINGS = {"numbered": _numbered, "rank_lines": _rank_lines, "chain": _chain,
             "hash_numbered": _hash_numbered}


@st.composite
def answers(draw, fmt=None):
    ins = draw(st.sampled_from(INSTRUMENTS))
    fmt = fmt or draw(st.sampled_from(["rating", "ranking"]))
    targets = ins.targets(fmt)
    lo, hi = ins.value_range(fmt)
    if fmt == "rating":
        values = {t: draw(st.integers(lo, hi)) for t in targets}
    else:
        perm = draw(st.permutations(range(1, len(targets) + 1)))
        values = dict(zip(targets, perm, strict=True))
    order = draw(st.permutations(targets))
    kinds = list(RENDER) + (list(ORDERINGS) if fmt == "ranking" else [])
    kind = draw(st.sampled_from(kinds))
    return ins, fmt, values, [(t, values[t]) for t in order], kind


def _render(kind, pairs, names):
    return (RENDER.get(kind) or ORDERINGS[kind])(pairs, names)


def _parse(ins, fmt, text, finish=None):
    lo, hi = ins.value_range(fmt)
    return parse_answer(text, ins.targets(fmt), fmt, lo, hi, instrument=ins, finish=finish)


@settings(max_examples=400, deadline=None)
@given(answers())
def test_any_valid_answer_in_any_rendering_is_read_exactly(case):
    ins, fmt, values, pairs, kind = case
    res = _parse(ins, fmt, _render(kind, pairs, _names(ins, fmt)))
    assert res.values == values, (kind, res)
    assert res.status in ("ok", "repaired")


@settings(max_examples=400, deadline=None)
@given(answers(), st.sampled_from(["drop", "duplicate", "tie", "out_of_range"]), st.data())
def test_any_corruption_yields_no_values(case, corruption, data):
    ins, fmt, values, pairs, kind = case
    lo, hi = ins.value_range(fmt)
    i = data.draw(st.integers(0, len(pairs) - 1))
    key, value = pairs[i]
    if corruption == "drop":
        bad = pairs[:i] + pairs[i + 1:]
    elif corruption == "duplicate":
        assume(kind not in ("chain",))
        other = data.draw(st.integers(lo, hi).filter(lambda v: v != value))
        bad = [*pairs, (key, other)]
    elif corruption == "tie":
        assume(fmt == "ranking" and kind != "chain")
        j = data.draw(st.integers(0, len(pairs) - 1).filter(lambda j: j != i))
        bad = list(pairs)
        bad[j] = (pairs[j][0], value)
    else:
        assume(kind != "chain")
        wrong = data.draw(st.sampled_from([lo - 1, hi + 1, hi + 3]))
        assume(not (kind in ("numbered",) and wrong < 1))
        bad = list(pairs)
        bad[i] = (key, wrong)
    res = _parse(ins, fmt, _render(kind, bad, _names(ins, fmt)))
    assert res.values is None, (kind, corruption, res)
    assert res.status == "unparseable" and res.reason


@settings(max_examples=400, deadline=None)
@given(answers(), st.data())
def test_a_cut_answer_yields_no_values(case, data):
    ins, fmt, values, pairs, kind = case
    text = _render(kind, pairs, _names(ins, fmt))
    end = len(text.rstrip().rstrip("`").rstrip())
    cut = data.draw(st.integers(0, end - 1))
    res = _parse(ins, fmt, text[:cut], finish="length")
    assert res.values is None, (kind, cut, text[:cut][-40:], res)


@settings(max_examples=300, deadline=None)
@given(answers())
def test_a_restated_prompt_list_before_the_answer_is_not_read(case):
    ins, fmt, values, pairs, kind = case
    names = _names(ins, fmt)
    echo = "You listed these:\n" + "\n".join(f"{n}. {names[k]}" for n, (k, _) in
                                             enumerate(pairs, 1))
    res = _parse(ins, fmt, echo + "\n\n" + _render(kind, pairs, names))
    assert res.values == values, (kind, res)


@settings(max_examples=300, deadline=None)
@given(answers(), st.sampled_from(["?", " (maybe {o})", " or perhaps {o}", " (vielleicht {o})"]),
       st.data())
def test_a_hedged_value_yields_no_values(case, hedge, data):
    ins, fmt, values, pairs, kind = case
    assume(kind in ("lines", "table", "table_short"))
    lo, hi = ins.value_range(fmt)
    i = data.draw(st.integers(0, len(pairs) - 1))
    key, value = pairs[i]
    other = data.draw(st.integers(lo, hi).filter(lambda v: v != value))
    bad = list(pairs)
    bad[i] = (key, f"{value}{hedge.format(o=other)}")
    res = _parse(ins, fmt, _render(kind, bad, _names(ins, fmt)))
    assert res.values is None, (kind, hedge, res)


@settings(max_examples=300, deadline=None)
@given(answers(), st.data())
def test_an_answer_declaring_the_reverse_scale_yields_no_values(case, data):
    ins, fmt, values, pairs, kind = case
    lo, hi = ins.value_range(fmt)
    note = (f"({hi} = most important, 1 = least important)" if fmt == "ranking"
            else f"({lo} = most important)")
    where = data.draw(st.sampled_from(["before", "after"]))
    text = _render(kind, pairs, _names(ins, fmt))
    text = f"{note}\n\n{text}" if where == "before" else f"{text}\n\n{note}"
    res = _parse(ins, fmt, text)
    assert res.values is None, (kind, where, res)
    assert res.status == "unparseable" and res.reason


@settings(max_examples=300, deadline=None)
@given(answers(fmt="ranking"), st.data())
def test_a_later_superlative_must_match_the_rank(case, data):
    ins, fmt, values, pairs, kind = case
    names = _names(ins, fmt)
    target = data.draw(st.sampled_from(sorted(values)))
    note = f"\n\nOverall, {names[target]} matters most to me."
    res = _parse(ins, fmt, _render(kind, pairs, names) + note)
    if values[target] == 1:
        assert res.values == values, (kind, res)
    else:
        assert res.values is None, (kind, res)
