"""Write the importer fixtures in this folder with the real tools' own writers (no network).

Two stages, because the tools must not enter the project's environment:

1. in the project's environment (valueaudit installed), write ``sessions.json``
   (the sessions to administer: two models, rating/ranking/open, two
   sessions each, with item orders that are NOT the project's seeded ones,
   and a fixed answer per session) and ``plain.csv`` (the plain CSV format)::

       python tests/data/imports/make_fixtures.py sessions

2. in a separate virtual environment per tool, write the tool's files from
   ``sessions.json``::

       python -m venv /tmp/toolenv && /tmp/toolenv/bin/pip install inspect_ai==0.3.285
       /tmp/toolenv/bin/python tests/data/imports/make_fixtures.py inspect_ai
       python -m venv /tmp/toolenv-edsl && /tmp/toolenv-edsl/bin/pip install edsl==1.0.9
       /tmp/toolenv-edsl/bin/python tests/data/imports/make_fixtures.py edsl

   inspect_ai: one evaluation log of model ``alpha-chat`` written by
   ``inspect_ai.log.write_eval_log`` in both of its formats (``alpha.eval``,
   a zip with zstd-compressed members as inspect_ai writes it today, and
   ``alpha.json``), and once more as a zip with deflate members, as older
   inspect_ai versions wrote it (``alpha_deflate.eval``). EDSL: one ``Results`` of both models built
   from ``Result`` objects (no model is called) and exported with
   ``Results.to_json`` (``edsl_results.json``) and ``Results.to_csv``
   (``edsl_results.csv``).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("alpha-chat", "beta-chat")
TASKS = ("rating", "ranking", "open")
SESSIONS = 2
CREATED = "2026-03-02T10:00:00+00:00"


def write_sessions() -> None:
    import csv

    from valueaudit.instrument import item_order, load_instrument

    ins = load_instrument(HERE.parents[2] / "resources" / "instrument" / "optimal_ai_v1.yaml")
    out = []
    for model in MODELS:
        rng = random.Random(f"answers-{model}")
        for task in TASKS:
            for s in range(1, SESSIONS + 1):
                order = item_order(ins, task, 424242, f"elsewhere-{model}", s)
                if task == "rating":
                    answer = json.dumps({i: rng.randint(3, 7) for i in order})
                elif task == "ranking":
                    ranks = list(range(1, len(order) + 1))
                    rng.shuffle(ranks)
                    answer = json.dumps(dict(zip(order, ranks, strict=True)))
                else:
                    answer = ("Functioning optimally means doing the task well and honestly, "
                              f"and being useful to people (session {s}).")
                out.append({"model": model, "task": task, "session": s, "item_order": order,
                            "messages": ins.messages(task, order), "answer": answer})
    (HERE / "sessions.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    with open(HERE / "plain.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "session", "prompt", "answer"])
        for x in out:
            w.writerow([x["model"], x["session"], x["messages"][1]["content"], x["answer"]])


def _sessions() -> list[dict]:
    return json.loads((HERE / "sessions.json").read_text(encoding="utf-8"))


def write_inspect() -> None:
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalLog,
        EvalSample,
        EvalSpec,
        write_eval_log,
    )
    from inspect_ai.model import (
        ChatMessageAssistant,
        ChatMessageSystem,
        ChatMessageUser,
        ModelOutput,
        ModelUsage,
    )

    model = MODELS[0]
    samples = []
    for x in _sessions():
        if x["model"] != model:
            continue
        system, user = x["messages"][0]["content"], x["messages"][1]["content"]
        out = ModelOutput.from_content(model=f"{model}-2026-02", content=x["answer"])
        out.usage = ModelUsage(input_tokens=len(system + user) // 4,
                               output_tokens=len(x["answer"]) // 4,
                               total_tokens=(len(system + user) + len(x["answer"])) // 4)
        samples.append(EvalSample(
            id=f"{x['task']}-{x['session']}", epoch=1,
            input=[ChatMessageSystem(content=system), ChatMessageUser(content=user)],
            target="",
            messages=[ChatMessageSystem(content=system), ChatMessageUser(content=user),
                      ChatMessageAssistant(content=x["answer"], model=f"{model}-2026-02")],
            output=out, metadata={"task": x["task"]}))
    log = EvalLog(
        eval=EvalSpec(created=CREATED, task="optimal_ai_audit", dataset=EvalDataset(
            name="optimal_ai_v1", samples=len(samples)), model=f"openai/{model}",
            config=EvalConfig()),
        status="success", samples=samples)
    write_eval_log(log, str(HERE / "alpha.eval"), format="eval")
    write_eval_log(log, str(HERE / "alpha.json"), format="json")
    # the same log as older inspect_ai versions wrote it (deflate instead of zstd members)
    import zipfile

    from inspect_ai._util import zipfile as inspect_zip

    saved = dict(inspect_zip.zipfile_compress_kwargs)
    inspect_zip.zipfile_compress_kwargs.update(compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    try:
        write_eval_log(log, str(HERE / "alpha_deflate.eval"), format="eval")
    finally:
        inspect_zip.zipfile_compress_kwargs.clear()
        inspect_zip.zipfile_compress_kwargs.update(saved)


def write_edsl() -> None:
    from edsl import Agent, Model, QuestionFreeText, Result, Results, Scenario, Survey
    from edsl.prompts import Prompt

    questions = [QuestionFreeText(question_name=f"q_{t}", question_text=f"{{{{ scenario.{t} }}}}")
                 for t in TASKS]
    survey = Survey(questions)
    by = {}
    for x in _sessions():
        by.setdefault((x["model"], x["session"]), {})[x["task"]] = x
    data = []
    for (model, s), tasks in sorted(by.items()):
        m = Model("test", service_name="test")
        m.model = model
        prompt, answer, tokens, raw = {}, {}, {}, {}
        for t, x in tasks.items():
            prompt[f"q_{t}_user_prompt"] = Prompt(x["messages"][1]["content"])
            prompt[f"q_{t}_system_prompt"] = Prompt(x["messages"][0]["content"])
            answer[f"q_{t}"] = x["answer"]
            tokens[f"q_{t}_generated_tokens"] = x["answer"]
            raw[f"q_{t}_raw_model_response"] = {}
        scenario = Scenario({"session": s, **{t: x["messages"][1]["content"]
                                              for t, x in tasks.items()}})
        data.append(Result(agent=Agent(), scenario=scenario, model=m, iteration=0, answer=answer,
                           prompt=prompt, raw_model_response=raw, survey=survey,
                           generated_tokens=tokens))
    results = Results(survey=survey, data=data)
    (HERE / "edsl_results.json").write_text(results.to_json(), encoding="utf-8")
    results.to_csv(str(HERE / "edsl_results.csv"))


if __name__ == "__main__":
    {"sessions": write_sessions, "inspect_ai": write_inspect, "edsl": write_edsl}[sys.argv[1]]()
