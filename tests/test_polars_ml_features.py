"""Tier 1 ML feature generator (scripts/generators/polars/ml_features.py).

Validator-clean at 1/10/1,000 rows in every format, the label rate exact, the label learnable,
drift measured as the population stability index (PSI) before vs after the cut-over, the
embedding's length, norm and finiteness, reproducibility, bad input, and the contract's
parameters measured on generated data with a fixed seed. Tolerances are stated next to each
check; "4 sigma" means four standard errors of the estimate under the configured distribution.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import REPO, SCHEMAS, load_script

gen = load_script("generators/polars/ml_features.py")
validate = load_script("utils/validate.py")
SCRIPT = REPO / "scripts" / "generators" / "polars" / "ml_features.py"
TABLE = "churn_features"
CONTRACT = json.loads((SCHEMAS / "ml_churn_features.json").read_text())
CUT_OVER = dt.date(2024, 7, 1)
DEFAULT_DRIFTED = ("monthly_charges", "data_usage_gb")
STABLE = [f for f in gen.DRIFTABLE if f not in DEFAULT_DRIFTED]


def run(directory: Path, *options: str) -> dict:
    return gen.main(["--output", str(directory), *options])


def read(directory: Path) -> pl.DataFrame:
    return pl.read_parquet(directory / f"{TABLE}.parquet")


def hint(column: str) -> dict:
    return next(c for c in CONTRACT["columns"] if c["name"] == column)


def four_sigma(p: float, n: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n)


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index over the reference period's deciles (ties merge bins)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.clip(np.histogram(reference, edges)[0] / reference.size, 1e-6, None)
    actual = np.clip(np.histogram(current, edges)[0] / current.size, 1e-6, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def periods(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return frame.filter(pl.col("snapshot_date") < CUT_OVER), frame.filter(pl.col("snapshot_date") >= CUT_OVER)


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U; ties share their rank)."""
    ranks = pl.Series(score).rank("average").to_numpy()
    positives = int(label.sum())
    negatives = label.size - positives
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def design(frame: pl.DataFrame, columns: list[str] | None = None) -> np.ndarray:
    """Standardised features a plain logistic regression would use, with an intercept."""
    if columns is None:
        x = frame.select(
            pl.col("tenure_months").log(), "monthly_charges", pl.col("data_usage_gb").log1p(), "sessions_30d",
            "support_calls_90d", pl.col("days_since_last_login").log1p(), "late_payments_12m",
            *((pl.col("contract_type") == c).alias(c) for c in ("month_to_month", "two_year")),
            (pl.col("payment_method") == "electronic_check").alias("echeck"), (pl.col("plan_type") == "premium").alias("premium"),
        ).cast(pl.Float64).to_numpy()
    else:
        x = np.vstack(frame[columns[0]].to_list())
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.column_stack([np.ones(len(x)), x])


def logistic_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton's method (25 steps is plenty)."""
    w = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-x @ w))
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(len(w))
        w += np.linalg.solve(hessian, x.T @ (y - p))
    return w


@pytest.fixture(scope="module")
def main_run(tmp_path_factory) -> pl.DataFrame:
    """40,000 customers, seed 7, drift from 2024-07-01 on the default features, 16-dim embedding."""
    directory = tmp_path_factory.mktemp("ml_main")
    run(directory, "--rows", "40000", "--seed", "7", "--drift-date", "2024-07-01", "--embedding-dim", "16")
    return read(directory)


@pytest.fixture(scope="module")
def calm_run(tmp_path_factory) -> pl.DataFrame:
    """The same customers without drift."""
    directory = tmp_path_factory.mktemp("ml_calm")
    run(directory, "--rows", "40000", "--seed", "7", "--embedding-dim", "16")
    return read(directory)


@pytest.fixture(scope="module")
def all_drift_run(tmp_path_factory) -> tuple[pl.DataFrame, dict]:
    """Every driftable feature drifted at the default strength (40,000 customers, seed 9)."""
    directory = tmp_path_factory.mktemp("ml_all_drift")
    summary = run(directory, "--rows", "40000", "--seed", "9", "--drift-date", "2024-07-01",
                  "--drift-features", ",".join(gen.DRIFTABLE), "--embedding-dim", "0")
    return read(directory), summary


# --- Validator clean, keys, sizes --------------------------------------------------------------------

@pytest.mark.parametrize("rows", [1, 10, 1000])
@pytest.mark.parametrize("drift", [False, True], ids=["no-drift", "drift"])
def test_small_runs_are_validator_clean(tmp_path, rows, drift):
    options = ["--rows", str(rows)] + (["--drift-date", "2024-07-01"] if drift else [])
    summary = run(tmp_path, *options)
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    assert result.industry == "ml"
    frame = read(tmp_path)
    assert frame.height == rows == summary["tables"][TABLE]["rows"]
    assert frame["customer_id"].is_duplicated().sum() == 0
    assert frame["label"].sum() == round(0.05 * rows) == summary["ml"]["label"]["positives"]
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["industry"] == "ml" and manifest["seed"] == 42 and manifest["ml"] == summary["ml"]
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def as_type(column: pl.Expr, read_as: pl.DataType, wanted: pl.DataType) -> pl.Expr:
    """Text read back from CSV/JSON, parsed as the type the parquet output carries."""
    if isinstance(wanted, pl.List) and read_as == pl.String:
        return column.str.json_decode(wanted)
    if read_as != pl.String:
        return column.cast(wanted)
    if wanted == pl.Date:
        return column.str.to_date()
    if wanted == pl.Boolean:
        return column.replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
    return column.cast(wanted)


@pytest.mark.parametrize("fmt", ["csv", "json", "delta"])
def test_every_format_is_validator_clean_and_reads_back_equal_to_parquet(tmp_path, fmt):
    options = ("--rows", "300", "--drift-date", "2024-07-01", "--embedding-dim", "5")
    run(tmp_path / "parquet", *options)
    run(tmp_path / fmt, *options, "--format", fmt)
    result = validate.validate_directory(tmp_path / fmt)
    assert result.ok, str(result)
    reference = read(tmp_path / "parquet")
    if fmt == "delta":
        from deltalake import DeltaTable

        back = pl.from_arrow(DeltaTable(str(tmp_path / fmt / TABLE)).to_pyarrow_table())
    elif fmt == "csv":
        back = pl.read_csv(tmp_path / fmt / f"{TABLE}.csv", infer_schema=False)
    else:
        back = pl.read_ndjson(tmp_path / fmt / f"{TABLE}.json", infer_schema_length=None)
    back = back.with_columns(as_type(pl.col(c), back.schema[c], t) for c, t in reference.schema.items())
    assert_frame_equal(back.select(reference.columns), reference)  # doubles, CSV's included, round-trip exactly


def test_validator_catches_a_bad_embedding(tmp_path):
    run(tmp_path, "--rows", "50", "--embedding-dim", "3")
    frame = read(tmp_path).with_columns(pl.col("embedding").list.eval(pl.element() * 2))
    frame.write_parquet(tmp_path / f"{TABLE}.parquet")
    result = validate.validate_directory(tmp_path)
    checks = {(f.column, f.check) for f in result.errors}
    assert ("embedding", "max") in checks or ("embedding", "min") in checks, str(result)


# --- Label: exact rate, learnable --------------------------------------------------------------------

@pytest.mark.parametrize("label_rate", ["0", "0.03", "0.05", "0.5", "1"])
def test_label_rate_is_exact(tmp_path, label_rate):
    summary = run(tmp_path, "--rows", "7777", "--label-rate", label_rate, "--embedding-dim", "0")
    positives = read(tmp_path)["label"].sum()
    assert positives == round(float(label_rate) * 7777) == summary["ml"]["label"]["positives"]


def test_label_rate_is_exact_in_every_chunk_and_wide_embeddings_split_chunks(tmp_path, monkeypatch):
    """Chunks of 1,000 rows (instead of a million): each holds exactly round(rate x its rows)
    positives; embedding pieces of 256 rows never change the other columns."""
    monkeypatch.setattr(gen, "CHUNK_ROWS", 1000)
    gen.make_block.cache_clear()
    summary = run(tmp_path / "whole", "--rows", "4500", "--label-rate", "0.037", "--embedding-dim", "4")
    frame = read(tmp_path / "whole")
    per_chunk = frame.group_by((pl.col("customer_id") - gen.CUSTOMER_ID_START) // 1000).agg(
        rows=pl.len(), positives=pl.col("label").sum()).sort("customer_id")
    assert per_chunk["positives"].to_list() == [round(0.037 * n) for n in per_chunk["rows"]] == [37, 37, 37, 37, 18]
    assert summary["ml"]["label"]["positives"] == 166
    monkeypatch.setattr(gen, "EMBEDDING_VALUES_PER_CHUNK", 1024)  # 256 rows of 4 values per piece
    assert len(gen.piece_bounds(4500, 4)) == 4 * 4 + 2
    run(tmp_path / "pieces", "--rows", "4500", "--label-rate", "0.037", "--embedding-dim", "4")
    pieces = read(tmp_path / "pieces")
    assert_frame_equal(pieces.drop("embedding"), frame.drop("embedding"))
    assert (pieces["embedding"].list.len() == 4).all()
    gen.make_block.cache_clear()


def test_label_depends_on_the_features(main_run):
    """Churners differ from the rest in the documented directions, by clear margins."""
    churners, rest = main_run.filter(pl.col("label")), main_run.filter(~pl.col("label"))
    assert churners["tenure_months"].median() < 0.6 * rest["tenure_months"].median()  # measured 7 vs 15
    assert churners["support_calls_90d"].mean() > 1.5 * rest["support_calls_90d"].mean()  # measured 1.22 vs 0.67
    month_to_month = (pl.col("contract_type") == "month_to_month").mean()  # measured 0.94 vs 0.53
    assert churners.select(month_to_month).item() > 0.85 > 0.55 > rest.select(month_to_month).item()
    echeck = (pl.col("payment_method") == "electronic_check").mean()  # measured 0.45 vs 0.33
    assert churners.select(echeck).item() > rest.select(echeck).item() + 0.08


def test_label_is_learnable_by_a_logistic_regression(main_run):
    """Trained on the first half, scored on the second: AUC 0.85 measured (a churn model's
    usual range); accept 0.80..0.90. Shuffled labels give 0.5 +- 0.03."""
    y = main_run["label"].to_numpy()
    x = design(main_run)
    half = len(y) // 2
    w = logistic_fit(x[:half], y[:half])
    held_out = auc(x[half:] @ w, y[half:])
    assert 0.80 <= held_out <= 0.90, held_out
    shuffled = np.random.default_rng(0).permutation(y)
    w = logistic_fit(x[:half], shuffled[:half])
    assert abs(auc(x[half:] @ w, shuffled[half:]) - 0.5) < 0.03


def test_embedding_carries_signal(main_run):
    """A logistic regression on the 16 embedding values alone beats chance on held-out rows
    (measured AUC 0.66; accept above 0.6)."""
    y = main_run["label"].to_numpy()
    x = design(main_run, ["embedding"])
    half = len(y) // 2
    w = logistic_fit(x[:half], y[:half])
    assert auc(x[half:] @ w, y[half:]) > 0.6


# --- Drift -------------------------------------------------------------------------------------------

def test_psi_is_high_for_drifted_and_low_for_stable_features(main_run):
    """PSI over 10 bins at the pre-cut-over deciles: above 0.25 (a major shift) for each drifted
    feature (measured 0.45 and 0.50), below 0.1 for every other numeric feature and each embedding
    dimension (measured at most 0.002)."""
    before, after = periods(main_run)
    for feature in DEFAULT_DRIFTED:
        assert psi(before[feature].to_numpy(), after[feature].to_numpy()) > 0.25, feature
    for feature in STABLE:
        assert psi(before[feature].to_numpy(), after[feature].to_numpy()) < 0.1, feature
    vectors_before, vectors_after = np.vstack(before["embedding"].to_list()), np.vstack(after["embedding"].to_list())
    for dimension in range(16):
        assert psi(vectors_before[:, dimension], vectors_after[:, dimension]) < 0.1, dimension


def test_every_driftable_feature_drifts_at_the_default_strength(all_drift_run):
    """Measured PSI at strength 1 (this run): tenure 0.55, charges 0.43, usage 0.50, sessions 1.34,
    login gap 0.47, support calls 0.62, late payments 0.46; each must exceed 0.25."""
    frame, summary = all_drift_run
    before, after = periods(frame)
    for feature in gen.DRIFTABLE:
        assert psi(before[feature].to_numpy(), after[feature].to_numpy()) > 0.25, feature
    assert summary["ml"]["drift"]["features"] == list(gen.DRIFTABLE)


def test_drift_moves_each_feature_by_its_unit(all_drift_run):
    """Log features: the median ratio after/before is exp(unit) per plan (charges x1.13: within 2%;
    usage, wider, within 8%), tenure on two-year contracts (long enough for rounding up not to
    matter; within 8%). Count features: the mean rises by the unit (4 sigma of the difference of
    two means)."""
    frame, _ = all_drift_run
    before, after = periods(frame)
    checks = [("monthly_charges", "plan_type", plan, 0.02) for plan in gen.PLAN_TYPES]
    checks += [("data_usage_gb", "plan_type", plan, 0.08) for plan in gen.PLAN_TYPES]
    checks += [("tenure_months", "contract_type", "two_year", 0.08)]
    for feature, group, value, tolerance in checks:
        ratio = after.filter(pl.col(group) == value)[feature].median() / before.filter(pl.col(group) == value)[feature].median()
        expected = math.exp(gen.DRIFT_UNITS[feature])
        assert abs(ratio / expected - 1) < tolerance, (feature, value, ratio, expected)
    for feature in ("sessions_30d", "days_since_last_login", "support_calls_90d", "late_payments_12m"):
        change = after[feature].mean() - before[feature].mean()
        error = 4 * math.sqrt(after[feature].var() / after.height + before[feature].var() / before.height)
        assert abs(change - gen.DRIFT_UNITS[feature]) < error, (feature, change, gen.DRIFT_UNITS[feature])


def test_drift_units_are_the_measured_spreads(calm_run):
    """The unit of each feature, measured without drift: sd of the log within a plan or contract
    (charges: 0.12 exactly but for cent rounding; tenure: before rounding up, so only the two-year
    contracts, whose tenures are long, within 5%), count sds within 3%."""
    logs = calm_run.with_columns(pl.col("monthly_charges", "data_usage_gb", "tenure_months").log())
    charges = logs.group_by("plan_type").agg(pl.col("monthly_charges").std())["monthly_charges"]
    assert (abs(charges / gen.DRIFT_UNITS["monthly_charges"] - 1) < 0.03).all()
    usage = logs.group_by("plan_type").agg(pl.col("data_usage_gb").std())["data_usage_gb"]
    assert (abs(usage / gen.DRIFT_UNITS["data_usage_gb"] - 1) < 0.03).all()
    tenure = logs.filter(pl.col("contract_type") == "two_year")["tenure_months"].std()
    assert abs(tenure / gen.DRIFT_UNITS["tenure_months"] - 1) < 0.05
    for feature in ("sessions_30d", "days_since_last_login", "support_calls_90d", "late_payments_12m"):
        assert abs(calm_run[feature].std() / gen.DRIFT_UNITS[feature] - 1) < 0.03, feature


def test_drift_changes_only_the_drifted_features_after_the_cut_over(main_run, calm_run):
    """Each column draws from its own stream: with drift, every other column is identical to the
    run without it, and drifted features are identical before the cut-over. Only the label moves
    (one rule throughout: a 13% price rise makes more customers churn)."""
    assert_frame_equal(main_run.drop(*DEFAULT_DRIFTED, "label"), calm_run.drop(*DEFAULT_DRIFTED, "label"))
    before = pl.col("snapshot_date") < CUT_OVER
    assert_frame_equal(main_run.filter(before).select(DEFAULT_DRIFTED), calm_run.filter(before).select(DEFAULT_DRIFTED))
    assert main_run["label"].sum() == calm_run["label"].sum() == 2000


def test_summary_reports_the_label_rate_on_each_side_of_the_cut_over(tmp_path, main_run):
    summary = run(tmp_path, "--rows", "40000", "--seed", "7", "--drift-date", "2024-07-01", "--embedding-dim", "0")
    before, after = periods(main_run)
    label = summary["ml"]["label"]
    assert label["rate_before_drift"] == round(before["label"].mean(), 6)
    assert label["rate_after_drift"] == round(after["label"].mean(), 6)
    assert label["rate_before_drift"] < 0.05 < label["rate_after_drift"]  # measured 0.047, 0.053
    shift = summary["ml"]["drift"]["shift"]
    assert shift["monthly_charges"] == {"scale": "log", "multiplier": round(math.exp(0.12), 4)}


def test_negative_strength_moves_down_and_zero_strength_changes_nothing(tmp_path):
    run(tmp_path / "down", "--rows", "20000", "--drift-date", "2024-07-01", "--drift-features", "sessions_30d",
        "--drift-strength", "-0.5")
    before, after = periods(read(tmp_path / "down"))
    assert after["sessions_30d"].mean() < before["sessions_30d"].mean() - 3  # 0.5 x 7.6 = 3.8 fewer
    run(tmp_path / "zero", "--rows", "500", "--drift-date", "2024-07-01", "--drift-strength", "0")
    run(tmp_path / "none", "--rows", "500")
    assert_frame_equal(read(tmp_path / "zero"), read(tmp_path / "none"))


# --- Embedding ---------------------------------------------------------------------------------------

def test_embedding_has_the_configured_length_unit_norm_and_finite_values(main_run):
    lengths = main_run["embedding"].list.len()
    assert (lengths == 16).all()
    vectors = np.vstack(main_run["embedding"].to_list())
    assert np.isfinite(vectors).all()
    assert np.abs(np.linalg.norm(vectors, axis=1) - 1).max() < 1e-12


@pytest.mark.parametrize("dim", [0, 1, 3])
def test_small_and_empty_embeddings(tmp_path, dim):
    run(tmp_path, "--rows", "200", "--embedding-dim", str(dim))
    frame = read(tmp_path)
    assert frame.schema["embedding"] == pl.List(pl.Float64)
    assert (frame["embedding"].list.len() == dim).all()
    if dim == 1:
        assert set(frame["embedding"].list.first().to_list()) <= {-1.0, 1.0}
    assert validate.validate_directory(tmp_path).ok


def test_the_embedding_dimension_changes_only_the_embedding(tmp_path):
    run(tmp_path / "a", "--rows", "300", "--embedding-dim", "4")
    run(tmp_path / "b", "--rows", "300", "--embedding-dim", "32")
    assert_frame_equal(read(tmp_path / "a").drop("embedding"), read(tmp_path / "b").drop("embedding"))


# --- Reproducibility, failure --------------------------------------------------------------------------

def test_same_seed_same_data_other_seed_other_data(tmp_path):
    options = ("--rows", "400", "--drift-date", "2024-05-01")
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        run(tmp_path / name, *options, "--seed", seed)
    a, b, c = read(tmp_path / "a"), read(tmp_path / "b"), read(tmp_path / "c")
    assert a.equals(b)
    for column in a.columns:
        if column != "customer_id":
            assert not a[column].equals(c[column]), column


def test_a_failed_run_leaves_the_previous_table_intact(tmp_path, monkeypatch):
    run(tmp_path, "--rows", "30")
    before = read(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gen, "make_churn_features", broken)
    with pytest.raises(RuntimeError):
        run(tmp_path, "--rows", "30", "--seed", "99")
    assert read(tmp_path).equals(before)
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_dry_run_writes_nothing(tmp_path, capsys):
    plan = run(tmp_path / "out", "--rows", "2000000", "--dry-run", "--label-rate", "0.03", "--drift-date", "2024-07-01")
    assert not (tmp_path / "out").exists()
    assert json.loads(capsys.readouterr().out) == plan
    assert plan["tables"][TABLE]["rows"] == 2_000_000
    assert plan["ml"]["label"]["positives"] == 60_000
    assert plan["ml"]["drift"]["features"] == list(DEFAULT_DRIFTED)
    assert plan["estimated_bytes"] == 2_000_000 * (11 + 8 * 8)


def test_notebook_kernel_argv_is_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "ipykernel", sys.modules.get("ipykernel") or object())
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel-123.json"])
    summary = gen.main()
    assert summary["tables"][TABLE]["rows"] == gen.DEFAULT_CUSTOMERS
    assert (tmp_path / "output" / "ml" / "_manifest.json").is_file()


def test_uv_run_uses_the_pep723_header(tmp_path):
    if shutil.which("uv") is None:
        pytest.skip("uv is not installed")
    completed = subprocess.run(["uv", "run", str(SCRIPT), "--rows", "10", "--output", str(tmp_path)],
                               capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["tables"][TABLE]["rows"] == 10
    assert validate.validate_directory(tmp_path).ok


# --- Bad input -----------------------------------------------------------------------------------------

BAD_INPUT = [
    (["--rows", "0"], "at least 1"),
    (["--rows", "abc"], "whole number"),
    (["--seed", "-1"], "0 or more"),
    (["--format", "xlsx"], "invalid choice"),
    (["--label-rate", "1.5"], "between 0 and 1"),
    (["--label-rate", "x"], "between 0 and 1"),
    (["--embedding-dim", "-1"], "0 or more"),
    (["--embedding-dim", "5000"], "at most 4,096"),
    (["--drift-date", "2024-13-01"], "YYYY-MM-DD"),
    (["--drift-date", "2025-03-01"], "must fall after the window's first day"),
    (["--drift-date", "2024-01-01"], "must fall after the window's first day"),
    (["--drift-features", "monthly_charges"], "need --drift-date"),
    (["--drift-strength", "2"], "need --drift-date"),
    (["--drift-date", "2024-07-01", "--drift-features", "region"], "region cannot drift; choose from tenure_months"),
    (["--drift-date", "2024-07-01", "--drift-features", "sessions_30d,sessions_30d"], "named twice"),
    (["--drift-date", "2024-07-01", "--drift-features", ","], "expected feature names"),
    (["--drift-date", "2024-07-01", "--drift-strength", "4"], "between -3 and 3"),
    (["--drift-date", "2024-07-01", "--drift-strength", "nan"], "between -3 and 3"),
    (["--start", "2024-06-01", "--end", "2024-05-01"], "is before --start"),
    (["--inject-nulls", "churn_features.customer_id=0.1"], "customer_id is a key column"),
    (["--inject-nulls", "features.label=0.1"], "tables: churn_features"),
]


@pytest.mark.parametrize("options,message", BAD_INPUT, ids=[" ".join(o) for o, _ in BAD_INPUT])
def test_bad_input_is_a_clear_usage_error(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as stopped:
        run(tmp_path / "out", *options)
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "usage:" in error
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_file_or_unwritable_is_a_clear_error(tmp_path, capsys):
    occupied = tmp_path / "taken.txt"
    occupied.write_text("not a folder")
    with pytest.raises(SystemExit) as stopped:
        run(occupied)
    assert stopped.value.code == 2 and "is a file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        run(Path("/proc/ml-output"))
    assert stopped.value.code == 2 and "cannot be written" in capsys.readouterr().err


@pytest.mark.parametrize("options", [["--rows", "abc"], ["--drift-features", "x"], ["--output", "__FILE__"]])
def test_bad_input_from_the_shell_has_no_traceback(tmp_path, options):
    occupied = tmp_path / "taken.txt"
    occupied.write_text("x")
    options = [str(occupied) if o == "__FILE__" else o for o in options]
    completed = subprocess.run([sys.executable, str(SCRIPT), *options], capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr and "error:" in completed.stderr
    assert completed.stdout == ""


# --- Contract and generator agree; distributions measured ---------------------------------------------

def test_generator_schema_matches_the_contract():
    types = {"bigint": pl.Int64, "int": pl.Int32, "string": pl.String, "double": pl.Float64, "boolean": pl.Boolean,
             "date": pl.Date, "array<double>": pl.List(pl.Float64)}
    assert {c["name"]: types[c["type"]] for c in CONTRACT["columns"]} == gen.CHURN_FEATURES_SCHEMA
    assert list(gen.CHURN_FEATURES_SCHEMA) == [c["name"] for c in CONTRACT["columns"]]
    assert set(gen.KEY_COLUMNS[TABLE]) == set(CONTRACT["primary_key"])


def test_contract_parameters_are_the_generators():
    assert hint("region")["weights"] == list(gen.REGION_WEIGHTS)
    assert hint("plan_type")["weights"] == list(gen.PLAN_WEIGHTS)
    assert hint("contract_type")["weights"] == list(gen.CONTRACT_WEIGHTS)
    assert hint("payment_method")["weights"] == list(gen.PAYMENT_WEIGHTS)
    tenure = hint("tenure_months")["distribution"]
    assert list(tenure["median"].values()) == gen.TENURE_MEDIAN.tolist() and tenure["sigma"] == gen.TENURE_SIGMA
    assert hint("tenure_months")["max"] == gen.TENURE_MAX
    charges = hint("monthly_charges")["distribution"]
    assert list(charges["median"].values()) == gen.PLAN_PRICE.tolist() and charges["sigma"] == gen.CHARGES_SIGMA
    usage = hint("data_usage_gb")["distribution"]
    assert list(usage["median"].values()) == gen.USAGE_MEDIAN.tolist() and usage["sigma"] == gen.USAGE_SIGMA
    assert hint("sessions_30d")["distribution"]["mean"] == gen.SESSIONS_MEAN
    assert hint("days_since_last_login")["distribution"]["mean"] == gen.LOGIN_GAP_MEAN
    assert hint("support_calls_90d")["distribution"]["mean"] == gen.SUPPORT_CALLS_MEAN
    assert list(hint("late_payments_12m")["distribution"]["mean"].values()) == gen.LATE_PAYMENTS_MEAN.tolist()
    for feature, scale in gen.DRIFT_SCALES.items():
        assert hint(feature)["distribution"]["drift"] == {"scale": scale, "unit": round(gen.DRIFT_UNITS[feature], 4)}
    label = hint("label")["distribution"]
    assert label["share_true"] == gen.DEFAULT_LABEL_RATE
    assert list(label["weights"]["contract_type"].values()) == gen.CHURN_BY_CONTRACT.tolist()
    assert label["noise"]["scale"] == gen.CHURN_NOISE_SCALE
    assert hint("embedding")["distribution"]["dimensions"] == gen.DEFAULT_EMBEDDING_DIM
    assert CONTRACT["rows"]["default"] == gen.DEFAULT_CUSTOMERS
    assert (hint("snapshot_date")["min"], hint("snapshot_date")["max"]) == (str(gen.DEFAULT_START), str(gen.DEFAULT_END))


def test_category_weights(calm_run):
    n = calm_run.height
    for column, values, weights in (("region", gen.REGIONS, gen.REGION_WEIGHTS), ("plan_type", gen.PLAN_TYPES, gen.PLAN_WEIGHTS),
                                    ("contract_type", gen.CONTRACT_TYPES, gen.CONTRACT_WEIGHTS),
                                    ("payment_method", gen.PAYMENT_METHODS, gen.PAYMENT_WEIGHTS)):
        counts = dict(calm_run[column].value_counts().iter_rows())
        assert set(counts) == set(values), column
        for value, weight in zip(values, weights):
            p = weight / sum(weights)
            assert abs(counts[value] / n - p) < four_sigma(p, n), (column, value)


def test_feature_distributions(calm_run):
    """Medians of the log-normal features per group within 5% (tenure: before rounding up, so
    the two-year contracts; median of 9,600 values has ~1.3% standard error at sigma 0.8), means
    of the counts within 4 sigma, snapshot dates uniform over 2024 (each month within 4 sigma of
    its day share)."""
    for plan, price, usage in zip(gen.PLAN_TYPES, gen.PLAN_PRICE, gen.USAGE_MEDIAN):
        rows = calm_run.filter(pl.col("plan_type") == plan)
        assert abs(rows["monthly_charges"].median() / price - 1) < 0.05, plan
        # usage carries exp(0.35 x engagement) too: its median is still the plan's median
        assert abs(rows["data_usage_gb"].median() / usage - 1) < 0.05, plan
    two_year = calm_run.filter(pl.col("contract_type") == "two_year")["tenure_months"]
    assert abs(two_year.median() / gen.TENURE_MEDIAN[2] - 1) < 0.05
    for feature, mean in (("sessions_30d", gen.SESSIONS_MEAN), ("days_since_last_login", gen.LOGIN_GAP_MEAN),
                          ("support_calls_90d", gen.SUPPORT_CALLS_MEAN)):
        values = calm_run[feature]
        assert abs(values.mean() - mean) < 4 * values.std() / math.sqrt(values.len()), feature
    for method, mean in zip(gen.PAYMENT_METHODS, gen.LATE_PAYMENTS_MEAN):
        values = calm_run.filter(pl.col("payment_method") == method)["late_payments_12m"]
        assert abs(values.mean() - mean) < 4 * values.std() / math.sqrt(values.len()), method
    assert calm_run["tenure_months"].min() >= 1 and calm_run["tenure_months"].max() <= gen.TENURE_MAX
    months = calm_run["snapshot_date"].dt.month().value_counts()
    n = calm_run.height
    for month, count in months.iter_rows():
        p = ((dt.date(2024 + month // 12, month % 12 + 1, 1) - dt.date(2024, month, 1)).days) / 366
        assert abs(count / n - p) < four_sigma(p, n), month


def test_window_moves_snapshot_dates_and_the_validator_bounds(tmp_path):
    run(tmp_path, "--rows", "500", "--start", "2023-03-01", "--end", "2023-08-31", "--drift-date", "2023-06-01")
    frame = read(tmp_path)
    assert frame["snapshot_date"].min() >= dt.date(2023, 3, 1) and frame["snapshot_date"].max() <= dt.date(2023, 8, 31)
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    assert any(f.check == "window" for f in result.notes)


def test_injected_dirt_is_reported_as_injected(tmp_path):
    summary = run(tmp_path, "--rows", "5000", "--inject-nulls", "churn_features.monthly_charges=0.05",
                  "--duplicate-rate", "0.02", "--late-rate", "0.03")
    frame = read(tmp_path)
    n = frame.height
    assert abs(frame["monthly_charges"].null_count() / n - 0.05) < four_sigma(0.05, n)
    copies = n - frame.unique().height
    assert copies == summary["tables"][TABLE]["duplicate_rows"] and abs(copies / n - 0.02) < four_sigma(0.02, n)
    assert abs((frame["snapshot_date"] > dt.date(2024, 12, 31)).mean() - 0.03) < four_sigma(0.03, n)
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    notes = {(f.column, f.check): f.message for f in result.notes}
    assert "injected by --inject-nulls (configured 5%" in notes[("monthly_charges", "nullable")]
    assert "injected by --duplicate-rate (configured 2%" in notes[("customer_id", "pk")]
    assert "injected by --late-rate (configured 3%" in notes[("snapshot_date", "max")]


# --- Unity Catalog: the embedding lands as ARRAY<DOUBLE> -----------------------------------------------

@pytest.mark.connect
def test_unity_catalog_bridge_writes_the_embedding_as_an_array(spark_connect, spark_connect_server, tmp_path):
    schema = f"ddg_ml_{abs(hash(str(tmp_path))) % 10**8}"
    summary = gen.main(["--output", str(tmp_path), "--rows", "300", "--embedding-dim", "4", "--drift-date", "2024-07-01",
                        "--catalog", "spark_catalog", "--schema", schema, "--remote", spark_connect_server.url,
                        "--table-format", "parquet"])
    where = summary["unity_catalog"]["tables"][TABLE]
    assert where["rows"] == 300
    table = spark_connect.table(where["table"])
    assert dict(table.dtypes)["embedding"] == "array<double>"
    back = pl.from_arrow(table.toArrow()).sort("customer_id")
    assert_frame_equal(back, read(tmp_path))
