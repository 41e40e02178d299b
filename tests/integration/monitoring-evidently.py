"""Runs Evidently's DataDriftPreset on two Parquet files and prints its verdicts as JSON.

Used by tests/integration/monitoring-evidently.test.ts and tests/bench/drift.bench.ts to compare our drift
engine with the real library on the same data. Input (argv[1]): JSON with reference, current (Parquet
paths), numerical, categorical (column lists), drift_share, and optional per_column_method.
"""
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import pandas as pd  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402


def main():
    spec = json.loads(sys.argv[1])
    numerical = spec.get("numerical", [])
    categorical = spec.get("categorical", [])
    columns = numerical + categorical
    t_load = time.perf_counter()
    ref = pd.read_parquet(spec["reference"], columns=columns)
    cur = pd.read_parquet(spec["current"], columns=columns)
    # Categories compared as text, as our engine does (the values themselves are unchanged).
    for c in categorical:
        ref[c] = ref[c].astype("object").where(ref[c].notna(), None).map(lambda v: None if v is None else str(v))
        cur[c] = cur[c].astype("object").where(cur[c].notna(), None).map(lambda v: None if v is None else str(v))
    for c in numerical:
        ref[c] = ref[c].astype("float64")
        cur[c] = cur[c].astype("float64")
    load_s = time.perf_counter() - t_load
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    t0 = time.perf_counter()
    report = Report(
        [DataDriftPreset(drift_share=spec.get("drift_share", 0.5), per_column_method=spec.get("per_column_method"))],
        include_tests=True,
    )
    snapshot = report.run(Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition))
    run_s = time.perf_counter() - t0
    d = snapshot.dict()
    out = {"columns": {}, "dataset": None, "seconds": run_s, "load_seconds": load_s}
    by_id = {}
    for m in d["metrics"]:
        cfg = m["config"]
        if cfg["type"].endswith("ValueDrift"):
            by_id[m["id"]] = cfg["column"]
            out["columns"][cfg["column"]] = {"method": cfg.get("method"), "threshold": cfg.get("threshold"), "score": m["value"], "drifted": None}
        elif cfg["type"].endswith("DriftedColumnsCount"):
            out["dataset"] = {"count": m["value"]["count"], "share": m["value"]["share"], "drift": None}
    for t in d["tests"]:
        mid = t["metric_config"]["metric_id"]
        if mid in by_id:
            out["columns"][by_id[mid]]["drifted"] = t["status"] == "FAIL"
        elif t["metric_config"]["params"]["type"].endswith("DriftedColumnsCount"):
            out["dataset"]["drift"] = t["status"] == "FAIL"
    print(json.dumps(out))


main()
