# Live collection from LLM providers (METHODS 2-3). The collector
# itself is src/valueaudit/collect/.
#
# Design: the raw records of a live model, collection.raw_dir/<id>.jsonl, are
# an append-only store that NO rule declares as an output. Snakemake deletes
# a job's outputs before it reruns the job and after the job fails;
# protected() blocks every rerun of the job that owns the file (and does
# nothing for root, for whom os.access() always allows writing); update()
# puts the old version back when the job fails. Each of these would delete
# records or send calls again. Instead:
#   * checkpoint collect_model appends to the JSONL in place (one line per
#     session attempt, flush + fsync each) and then writes a per-model
#     manifest, results/collect/manifest/<id>.json: a deterministic summary of
#     the file (sha256, sessions per task, model versions). The collector
#     keeps the JSONL read-only between runs (write bits cleared, as
#     protected() does) and flock()s it while appending.
#   * rules that read a live model's records name its manifest as an input
#     (so they run after its collection and rerun when it changes) and the
#     JSONL through collected_raw(), which asks the checkpoint first, so a new
#     model's file is not a missing input before its first collection.
#   * Nothing Snakemake can do (-F, -R collect_model, --delete-all-output,
#     rm -r results) touches the JSONL: only manifests go, and the next
#     collect_model run finds every record on file and queries only the
#     sessions still missing (never collected, or last attempt failed).
#   * collect_model reruns when the manifest is missing or what would be sent
#     changes (params: provider, model, endpoint, params, sessions, tasks,
#     recollect, repair, seed; the instrument; the answers file of a file
#     model), and when sessions are still to query: sessions without an
#     answer with text (errors, empty replies) that have tries left under
#     collection.max_attempts_per_session. Their list is kept in the input
#     <raw_dir>/.state/<id>.pending.json (collect_rules.pending_marker; see
#     valueaudit/collect/rules.py for why this reruns exactly then), so a
#     plain `snakemake` queries them again and a fully collected model does
#     not rerun. Retries, timeouts and backoff are read from config by the
#     script, so changing them reruns nothing.
#   * after kill -9 of a run, Snakemake's lock stays: `snakemake --unlock`.
# Load: each job holds api_<provider> = its concurrency; a cap per provider
# across parallel jobs comes from collection.provider_concurrency (registered
# as a global resource; --resources api_openai=N on the command line wins).
# The jobs run on the host that runs Snakemake (localrule): cluster nodes
# often have no internet access.
import re
import sys

from valueaudit.collect import rules as collect_rules

for _prov, _cap in config["collection"]["provider_concurrency"].items():
    if f"api_{_prov}" not in workflow.global_resources:
        workflow.register_resource(f"api_{_prov}", _cap)
for _warning in collect_rules.key_warnings(LIVE.values()):
    print(_warning, file=sys.stderr)

COLLECT = f"{RES}/collect"
_LIVE_PATTERN = "|".join(re.escape(m) for m in LIVE) or "(?!)"


checkpoint collect_model:
    input:
        instrument=config["instrument"],
        answers=lambda wc: (
            [LIVE[wc.model]["path"]] if LIVE[wc.model]["provider"] == "file" else []
        ),
        pending=lambda wc: collect_rules.pending_marker(
            LIVE[wc.model],
            raw_path(wc.model),
            config["collection"]["max_attempts_per_session"],
        ),
    output:
        manifest=f"{COLLECT}/manifest/{{model}}.json",
        lineage=lineage("collect_model", per_model=True),
    log:
        f"{RES}/logs/collect/{{model}}.log",
    wildcard_constraints:
        model=_LIVE_PATTERN,
    localrule: True
    conda:
        "../../envs/valueaudit.yaml"
    resources:
        mem_mb=1000,
        runtime=lambda wc: collect_rules.runtime_minutes(LIVE[wc.model]),
        api_openai=lambda wc: collect_rules.slots(
            LIVE[wc.model], config["collection"], "openai"
        ),
        api_anthropic=lambda wc: collect_rules.slots(
            LIVE[wc.model], config["collection"], "anthropic"
        ),
        collect_requests=lambda wc: collect_rules.requests_to_send(
            LIVE[wc.model],
            raw_path(wc.model),
            config["collection"]["max_attempts_per_session"],
        ),
        collect_plan=lambda wc: collect_rules.plan_message(
            LIVE[wc.model],
            raw_path(wc.model),
            config["collection"],
            config["instrument"],
            config["seed"],
        ),
    params:
        spec=lambda wc: collect_rules.rule_params(LIVE[wc.model]),
        raw=lambda wc: raw_path(wc.model),
        seed=config["seed"],
        repair=config["collection"]["repair"],
    message:
        "collect {wildcards.model}: {resources.collect_requests} requests to send "
        "(retries and repairs on top): {resources.collect_plan}"
    script:
        "../../scripts/collect_model.py"


rule collect_usage:
    input:
        manifests=expand(f"{COLLECT}/manifest/{{model}}.json", model=list(LIVE)),
        raw=lambda wc: [collected_raw(m) for m in LIVE],
    output:
        table=table_outputs(f"{COLLECT}/tables/usage"),
        table_html=report_table(
            f"{COLLECT}/tables/usage",
            "../report/collect/usage.rst",
            "Live collection",
            "Requests, tokens and cost per live model",
        ),
        lineage=lineage("collect_usage"),
    log:
        f"{RES}/logs/collect/usage.log",
    localrule: True
    conda:
        "../../envs/valueaudit.yaml"
    params:
        prices={m: p for m, p in config["collection"]["prices"].items() if m in LIVE},
    script:
        "../../scripts/collect_usage.py"


# the live models' open-ended answers reach Study 1 through their shard's study1_answers
# step and study1_export like every other model's
COLLECT_TARGETS = [str(f) for f in rules.collect_usage.output.table] if LIVE else []
