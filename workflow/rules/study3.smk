# Study 3 (METHODS 6): the human-vs-LLM profile-fidelity benchmark. Per model:
# fidelity with bootstrap CIs, single sessions and the shuffled null; then the
# human reference, the leaderboard with reference points, model
# characteristics, the focal theme (Agency), robustness and the macros.

S3 = f"{RES}/study3"
S3_CAT = "Study 3: profile-fidelity benchmark"
S3_FMT = config["profiles"]["response_format"]


# helpers as lambdas (the linter wants functions in common modules)
s3_table = lambda name: multiext(f"{S3}/tables/{name}", ".csv", ".tex", ".md")
s3_figure = lambda name: multiext(f"{S3}/figures/{name}", ".pdf", ".png")
s3_table_report = lambda name, caption, title: report_table(
    f"{S3}/tables/{name}", f"../report/study3/{caption}.rst", S3_CAT, title
)
s3_figure_report = lambda name, caption, title: report_figure(
    f"{S3}/figures/{name}", f"../report/study3/{caption}.rst", S3_CAT, title
)


rule study3_fidelity:
    input:
        fidelity=shard_tables("fidelity"),
        sessions=shard_tables("sessions"),
        profile=shard_tables("profile"),
        models=f"{RES}/data/models.csv",
        humans=f"{RES}/data/human_scores.csv",
        themes=f"{RES}/data/themes.csv",
    output:
        fidelity=f"{S3}/fidelity.csv",
        sessions=f"{S3}/sessions.csv",
        profiles=f"{S3}/model_profiles.csv",
        reference=f"{S3}/reference.csv",
        loo=f"{S3}/loo_humans.csv",
        lineage=lineage("study3_fidelity"),
    log:
        f"{RES}/logs/study3/fidelity.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        models=MODELS,
        min_sessions=config["study3"]["min_sessions"],
        noise_ceiling_splits=config["study3"]["noise_ceiling_splits"],
        tiers=config["models"]["tiers"],
        seed=seed("study3.ceiling"),
    script:
        "../../scripts/study3_fidelity.py"


rule study3_humans:
    input:
        humans=f"{RES}/data/human_scores.csv",
        flow=f"{RES}/data/human_flow.csv",
        respondents=f"{RES}/data/respondents.csv",
        themes=f"{RES}/data/themes.csv",
    output:
        flow=s3_table("sample_flow"),
        flow_html=s3_table_report("sample_flow", "sample_flow", "Human sample flow"),
        demographics=s3_table("demographics"),
        demographics_html=s3_table_report(
            "demographics", "demographics", "Demographics of the human sample"
        ),
        profile=s3_table("human_profile"),
        profile_html=s3_table_report(
            "human_profile", "human_profile", "Human theme profile"
        ),
        pairwise=s3_table("human_pairwise"),
        pairwise_html=s3_table_report(
            "human_pairwise", "human_pairwise", "Pairwise theme comparisons in humans"
        ),
        lineage=lineage("study3_humans"),
    log:
        f"{RES}/logs/study3/humans.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
        bootstrap=config["study3"]["bootstrap"],
        seed=seed("study3.human"),
        demographics=list(config["humans"]["demographics"]),
    script:
        "../../scripts/study3_humans.py"


rule study3_leaderboard:
    input:
        fidelity=f"{S3}/fidelity.csv",
        models=f"{RES}/data/models.csv",
        sessions=f"{S3}/sessions.csv",
        reference=f"{S3}/reference.csv",
        loo=f"{S3}/loo_humans.csv",
        themes=f"{RES}/data/themes.csv",
    output:
        board=s3_table("leaderboard"),
        board_html=s3_table_report("leaderboard", "leaderboard", "Leaderboard"),
        reference=s3_table("reference_points"),
        reference_html=s3_table_report(
            "reference_points", "reference_points", "Reference points for fidelity"
        ),
        respondent=s3_table("respondent_level"),
        respondent_html=s3_table_report(
            "respondent_level", "respondent_level", "Respondent-level comparison"
        ),
        forest=s3_figure_report("forest", "forest", "Profile fidelity per model"),
        quadrant=s3_figure_report(
            "ordering_exaggeration",
            "ordering_exaggeration",
            "Ordering against exaggeration",
        ),
        respondent_fig=s3_figure_report(
            "respondent_level",
            "respondent_level_figure",
            "Respondent-level fidelity distributions",
        ),
        lineage=lineage("study3_leaderboard"),
    log:
        f"{RES}/logs/study3/leaderboard.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
        tiers=config["models"]["tiers"],
        boot_seed=seed("study3.bootstrap"),
    script:
        "../../scripts/study3_leaderboard.py"


rule study3_profiles:
    input:
        human=f"{S3}/tables/human_profile.csv",
        fidelity=f"{S3}/fidelity.csv",
        profiles=f"{S3}/model_profiles.csv",
        themes=f"{RES}/data/themes.csv",
        instrument=config["instrument"],
    output:
        table=s3_table("profiles"),
        table_html=s3_table_report(
            "profiles", "profiles_table", "Human and consensus-LLM theme profiles"
        ),
        figure=s3_figure_report(
            "profiles", "profiles", "Human and consensus-LLM theme profiles"
        ),
        lineage=lineage("study3_profiles"),
    log:
        f"{RES}/logs/study3/profiles.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
        bootstrap=config["study3"]["bootstrap"],
        seed=seed("study3.consensus"),
    script:
        "../../scripts/study3_profiles.py"


rule study3_characteristics:
    input:
        fidelity=f"{S3}/fidelity.csv",
    output:
        table=s3_table("characteristics"),
        table_html=s3_table_report(
            "characteristics", "characteristics", "Fidelity and model characteristics"
        ),
        figure=s3_figure_report(
            "characteristics",
            "characteristics_figure",
            "Fidelity and model characteristics",
        ),
        lineage=lineage("study3_characteristics"),
    log:
        f"{RES}/logs/study3/characteristics.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
        tiers=config["models"]["tiers"],
        seed=seed("study3.jitter"),
    script:
        "../../scripts/study3_characteristics.py"


rule study3_agency:
    input:
        humans=f"{RES}/data/human_scores.csv",
        fidelity=f"{S3}/fidelity.csv",
        profiles=f"{S3}/model_profiles.csv",
        themes=f"{RES}/data/themes.csv",
    output:
        summary=s3_table("agency"),
        summary_html=s3_table_report("agency", "agency", "Rank of the focal theme"),
        tests=s3_table("agency_tests"),
        tests_html=s3_table_report(
            "agency_tests", "agency_tests", "Focal theme against the other themes"
        ),
        figure=s3_figure_report("agency_rank", "agency_rank", "Rank of the focal theme"),
        lineage=lineage("study3_agency"),
    log:
        f"{RES}/logs/study3/agency.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
        focal=config["study3"]["focal_theme"],
    script:
        "../../scripts/study3_agency.py"


rule study3_robustness:
    input:
        fidelity=f"{S3}/fidelity.csv",
    output:
        table=s3_table("robustness"),
        table_html=s3_table_report(
            "robustness", "robustness", "Agreement between leaderboards"
        ),
        ranks=s3_table("robustness_ranks"),
        ranks_html=s3_table_report(
            "robustness_ranks",
            "robustness_ranks",
            "Ranks of the models under each leaderboard",
        ),
        lineage=lineage("study3_robustness"),
    log:
        f"{RES}/logs/study3/robustness.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
    script:
        "../../scripts/study3_robustness.py"


rule study3_macros:
    input:
        flow=f"{S3}/tables/sample_flow.csv",
        leaderboard=f"{S3}/tables/leaderboard.csv",
        reference=f"{S3}/tables/reference_points.csv",
        characteristics=f"{S3}/tables/characteristics.csv",
        agency=f"{S3}/tables/agency.csv",
        robustness=f"{S3}/tables/robustness.csv",
        pairwise=f"{S3}/tables/human_pairwise.csv",
        themes=f"{RES}/data/themes.csv",
    output:
        macros=f"{S3}/macros.tex",
        lineage=lineage("study3_macros"),
    log:
        f"{RES}/logs/study3/macros.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=S3_FMT,
    script:
        "../../scripts/study3_macros.py"


STUDY3_TARGETS = [
    *s3_table("sample_flow"),
    *s3_table("demographics"),
    *s3_table("human_profile"),
    *s3_table("human_pairwise"),
    *s3_table("profiles"),
    *s3_table("leaderboard"),
    *s3_table("reference_points"),
    *s3_table("respondent_level"),
    *s3_table("characteristics"),
    *s3_table("agency"),
    *s3_table("agency_tests"),
    *s3_table("robustness"),
    *s3_table("robustness_ranks"),
    *s3_figure("profiles"),
    *s3_figure("forest"),
    *s3_figure("ordering_exaggeration"),
    *s3_figure("respondent_level"),
    *s3_figure("characteristics"),
    *s3_figure("agency_rank"),
    f"{S3}/macros.tex",
]


rule study3:
    input:
        STUDY3_TARGETS,
    localrule: True
