# The paper bundle: every table and figure in results/paper/, the merged
# macros of key numbers, and summary.md generated from them.
from valueaudit.paper import is_paper_file

PAPER_SOURCES = [
    p
    for p in DATA_TARGETS + STUDY1_TARGETS + STUDY2_TARGETS + STUDY3_TARGETS
    if is_paper_file(p)
]


rule paper_bundle:
    input:
        files=PAPER_SOURCES,
        macros=[
            f"{RES}/study1/macros.tex",
            f"{RES}/study2/macros.tex",
            f"{RES}/study3/macros.tex",
        ],
        raw=lambda wc: [collected_raw(m) for m in MODELS],
    output:
        files=[paper_name(p) for p in PAPER_SOURCES],
        macros=f"{RES}/paper/macros.tex",
        preamble=f"{RES}/paper/paper_preamble.tex",
        summary=report(
            f"{RES}/paper/summary.md",
            caption="../report/paper/summary.rst",
            category="Paper bundle",
            subcategory="Summary",
            labels={"Title": "Headline findings and verdicts"},
        ),
        lineage=lineage("paper_bundle"),
    log:
        f"{RES}/logs/paper_bundle.log",
    conda:
        "../../envs/valueaudit.yaml"
    script:
        "../../scripts/paper_bundle.py"


PAPER_TARGETS = [f"{RES}/paper/summary.md", f"{RES}/paper/macros.tex"]
