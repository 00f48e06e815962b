# Data stage: validate the inputs, parse raw LLM records per model, import the
# human survey, and write the tidy analysis-ready tables.


rule themes:
    input:
        instrument=config["instrument"],
    output:
        themes=f"{RES}/data/themes.csv",
        item_table=f"{RES}/data/items.csv",
        lineage=lineage("themes"),
    log:
        f"{RES}/logs/themes.log",
    conda:
        "../../envs/valueaudit.yaml"
    script:
        "../../scripts/themes.py"


rule models_table:
    input:
        table=config["models"]["table"],
    output:
        models=f"{RES}/data/models.csv",
        lineage=lineage("models_table"),
    log:
        f"{RES}/logs/models_table.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        tiers=config["models"]["tiers"],
        live=[
            {"id": m["id"], "provider": m["provider"], **m["metadata"]}
            for m in LIVE.values()
        ],
    script:
        "../../scripts/models_table.py"


rule merge_responses:
    input:
        responses=shard_tables("responses"),
        status=shard_tables("status"),
        instrument=config["instrument"],
    output:
        responses=f"{RES}/data/responses.csv",
        scores=f"{RES}/data/session_scores.csv",
        status=f"{RES}/data/parse_status.csv",
        lineage=lineage("merge_responses"),
    log:
        f"{RES}/logs/merge_responses.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        models=MODELS,
    script:
        "../../scripts/merge_responses.py"


rule import_survey:
    input:
        export=config["humans"]["export"],
        instrument=config["instrument"],
        respondents=(
            [config["humans"]["respondents"]]
            if config["humans"]["layout"] == "tidy"
            else []
        ),
    output:
        humans=f"{RES}/data/humans.csv",
        respondents=f"{RES}/data/respondents.csv",
        flow=f"{RES}/data/human_flow.csv",
        scores=f"{RES}/data/human_scores.csv",
        lineage=lineage("import_survey"),
    log:
        f"{RES}/logs/import_survey.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        humans={k: v for k, v in config["humans"].items() if k != "export"},
    script:
        "../../scripts/import_survey.py"


rule data_summary:
    input:
        models=f"{RES}/data/models.csv",
        status=f"{RES}/data/parse_status.csv",
        flow=f"{RES}/data/human_flow.csv",
    output:
        summary=table_outputs(f"{RES}/tables/data_summary"),
        summary_html=report_table(
            f"{RES}/tables/data_summary",
            "../report/data/data_summary.rst",
            "Data",
            "Parse status of the LLM sessions",
        ),
        flow=table_outputs(f"{RES}/tables/human_flow"),
        flow_html=report_table(
            f"{RES}/tables/human_flow",
            "../report/data/human_flow.rst",
            "Data",
            "Human sample flow",
        ),
        lineage=lineage("data_summary"),
    log:
        f"{RES}/logs/data_summary.log",
    conda:
        "../../envs/valueaudit.yaml"
    script:
        "../../scripts/data_summary.py"


DATA_TARGETS = [
    str(f)
    for f in (
        rules.themes.output.themes,
        rules.models_table.output.models,
        rules.merge_responses.output.responses,
        rules.merge_responses.output.scores,
        rules.import_survey.output.scores,
        rules.import_survey.output.respondents,
        *rules.data_summary.output.summary,
        *rules.data_summary.output.flow,
    )
]
