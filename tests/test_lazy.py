"""valueaudit._lazy: heavy modules are imported only when a job uses them."""

import subprocess
import sys

from valueaudit._lazy import lazy_import


def test_lazy_module_imports_on_first_attribute_access():
    mod = lazy_import("json")
    assert "not yet imported" in repr(mod)
    assert mod.dumps([1]) == "[1]"
    assert "loaded" in repr(mod)


def test_per_model_study1_job_does_not_import_scipy_stats_or_statsmodels():
    """The per-model Study 1 job imports valueaudit.study1 only; it must not pay for the
    statistics stack (about 0.5 s per job, 75 jobs per run) until a statistic is computed."""
    code = ("import sys, valueaudit.study1, valueaudit.study2, valueaudit.stats as s; "
            "heavy = [m for m in ('scipy.stats', 'statsmodels', 'krippendorff') "
            "if m in sys.modules]; print(heavy); "
            "s.wilson_ci(3, 10); print('statsmodels' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"  # and the stand-in really loads it when used


def test_study3_and_the_shard_job_import_scipy_stats_only_when_a_statistic_needs_it():
    """Study 3's rule scripts and the shard job pay for scipy.stats only when they compute a
    test statistic or an interval with it (about 2 s of start-up on a 2-core machine)."""
    code = ("import sys, valueaudit.study3, valueaudit.study3.steps, valueaudit.study3.macros, "
            "valueaudit.fidelity, valueaudit.shards; "
            "print('scipy.stats' in sys.modules); "
            "from valueaudit.fidelity import metrics; metrics.sps.norm; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["False", "True"]
