"""Spark financial generator (scripts/generators/financial.py) on real local Spark.

- Without Spark: notebook source format, verbatim copies of the utils patterns, parameters equal to
  the Tier 1 generator's and the contracts', the NYSE calendar tables, bad input, dry run, widgets.
- Classic local[2]: a 20,000-account run is validator-clean with our own key counts, and every
  realism claim of the contracts is measured on it the way tests/test_polars_financial.py measures
  Tier 1 (tolerances stated next to each check; "4 sigma" = four standard errors under the
  configured distribution). Unity Catalog logic on the local catalog (parquet): catalog check,
  synthetic marker, refusal and overwrite. The script end to end in a subprocess.
- Spark Connect (tier 2): a 1,000-account run is validator-clean, has no orphans, and equals the
  same seed built on classic Spark; another seed gives other data in every table.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from conftest import SCHEMAS, SCRIPTS, load_script

gen = load_script("generators/financial.py")
tier1 = load_script("generators/polars/financial.py")
validate = load_script("utils/validate.py")
SCRIPT = SCRIPTS / "generators" / "financial.py"
TABLES = ("customers", "accounts", "account_holders", "trades", "transactions")
KEYS = {"customers": ["customer_id"], "accounts": ["account_id"], "account_holders": ["account_id", "customer_id"],
        "trades": ["trade_id"], "transactions": ["txn_id"]}
PARENTS = [("accounts", "customer_id", "customers"), ("account_holders", "account_id", "accounts"),
           ("account_holders", "customer_id", "customers"), ("trades", "account_id", "accounts"),
           ("transactions", "account_id", "accounts")]
CONTRACTS = {table: json.loads((SCHEMAS / f"financial_{entity}.json").read_text())
             for table, entity in zip(TABLES, ("customer", "account", "account_holder", "trade", "transaction"))}
# Typed again here, not imported, so the calendar checks are independent of the generator.
NYSE_HOLIDAYS_2024 = ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
                      "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25", "2025-01-01"]
EARLY_CLOSES_2024 = [dt.date(2024, 7, 3), dt.date(2024, 11, 29), dt.date(2024, 12, 24)]
spark_test = pytest.mark.spark  # per test: the checks that need no Spark run without it


def args(*options: str):
    return gen.parse_args(list(options))


def read(directory: Path) -> dict[str, pl.DataFrame]:
    """A Spark output folder: DIR/<table>/part-*.parquet per table."""
    return {table: pl.read_parquet(directory / table / "*.parquet") for table in TABLES}


def sort(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {table: frame.sort(KEYS[table]) for table, frame in frames.items()}


def four_sigma(p: float, n: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n)


def assert_shares(values: pl.Series, expected: dict[str, float], label: str) -> None:
    """Each category's share within 4 binomial sigma of its configured share."""
    n = values.len()
    total = sum(expected.values())
    counts = dict(values.value_counts().iter_rows())
    assert set(counts) <= {k for k, w in expected.items() if w > 0}, f"{label}: unexpected {set(counts) - set(expected)}"
    for value, weight in expected.items():
        p = weight / total
        share = counts.get(value, 0) / n
        assert abs(share - p) <= four_sigma(p, n) + 1e-9, f"{label} {value}: {share:.4f} vs {p:.4f} (n={n})"


def assert_integrity(frames: dict[str, pl.DataFrame], expected_rows: dict[str, int]) -> None:
    """Our own counts: exact sizes, unique non-null keys (composite too), no orphans; account_holders
    (drawn per account) has one primary row per account."""
    for table in TABLES:
        keys = frames[table].select(KEYS[table])
        if table == "account_holders":
            assert (frames[table]["holder_role"] == "primary").sum() == expected_rows["accounts"]
            assert frames[table].height >= expected_rows["accounts"]
        else:
            assert frames[table].height == expected_rows[table], table
        assert keys.null_count().sum_horizontal().item() == 0 and not keys.is_duplicated().any(), table
    for child, column, parent in PARENTS:
        orphans = frames[child].join(frames[parent], on=column, how="anti").height
        assert orphans == 0, f"{orphans} {child}.{column} without a {parent} row"


# --- Without Spark ---------------------------------------------------------------------------------

def test_file_is_a_databricks_notebook_whose_cells_compile():
    text = SCRIPT.read_text()
    assert text.splitlines()[0] == "# Databricks notebook source"
    cells = text.split("\n# COMMAND ----------\n")
    assert len(cells) >= 8
    assert cells[0].splitlines()[1] == "# MAGIC %md"
    assert all(line.startswith("# MAGIC") for line in cells[0].splitlines()[1:] if line)
    assert cells[1].strip() == "# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0"
    for number, cell in enumerate(cells):
        # Databricks runs a MAGIC cell as its magic; as Python it must still be only comments.
        code = "\n".join("" if line.startswith("# MAGIC") else line for line in cell.splitlines())
        compile(code, f"cell {number}", "exec")
    assert cells[-1].strip() == 'if __name__ == "__main__":\n    main()'
    assert "# /// script" not in text  # no PEP 723 header: pyspark and databricks-connect never share an environment
    assert ".sparkContext" not in text and "template=" not in text and "distribution=" not in text


def top_level(path: Path) -> dict[str, str]:
    """Source of each top-level function, class and assignment (as ast.get_source_segment gives it,
    which re-splits the whole file on every call: 10 s for this one)."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)

    def segment(node: ast.AST) -> str:
        head = "".join(lines[node.lineno - 1:node.end_lineno - 1])
        last = lines[node.end_lineno - 1].encode()[:node.end_col_offset].decode()  # offsets count UTF-8 bytes
        return head + last

    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = segment(node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = segment(node)
    return found


@pytest.mark.parametrize("pattern,names", [
    ("utils/spark_session.py", ["get_spark", "column_seed", "LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND"]),
    ("utils/us_places.py", ["US_CENSUS_REGIONS", "US_PLACES"]),
    ("utils/local_output.py", ["positive_int", "non_negative_int", "rate", "progress"]),
    ("utils/output.py", ["TOOL", "MARKER", "MODES", "SYNTHETIC_NOTE", "OutputError", "sql_string", "contract_mismatches",
                         "table_properties", "created_by_this_tool", "write_table"]),
    ("utils/uc_setup.py", ["MAX_NAME_LENGTH", "UC_FORBIDDEN", "TOOL_FORBIDDEN", "check_identifier", "quote_identifier",
                           "qualified_name", "catalog_exists"]),
])
def test_copies_of_the_utils_patterns_are_verbatim(pattern, names):
    shared, copied = top_level(SCRIPTS / pattern), top_level(SCRIPT)
    assert [name for name in names if copied.get(name) != shared[name]] == [], f"re-copy them from {pattern}"
    # Anything else sharing a name with a Spark-tier pattern must be identical too (each script has its own
    # main; local_output's write_table is the Tier 1 writer, output.py's the one copied here).
    if pattern != "utils/local_output.py":
        differing = [name for name in shared.keys() & copied.keys() - {"main"}
                     if not name.startswith("_") and shared[name] != copied[name]]
        assert differing == []


def test_parameters_are_the_tier1_generators_and_the_contracts():
    for name in ("DEFAULT_ACCOUNTS", "CUSTOMERS_PER_ACCOUNT", "TRADES_PER_ACCOUNT", "TRANSACTIONS_PER_ACCOUNT",
                 "DEFAULT_FRAUD_RATE", "SEGMENTS", "SEGMENT_WEIGHTS", "KYC_STATUSES", "KYC_WEIGHTS",
                 "ACCOUNT_TYPES", "ACCOUNT_TYPE_WEIGHTS", "INVESTMENT_TYPES", "BALANCE_GAMMA", "ACCOUNT_STATUSES",
                 "ACCOUNT_STATUS_WEIGHTS", "RISK_RATINGS", "RISK_RATING_WEIGHTS", "CURRENCIES", "CURRENCY_WEIGHTS",
                 "ACTIVITY_PARETO_ALPHA", "SIDES", "SIDE_WEIGHTS", "EXCHANGES", "EXCHANGE_WEIGHTS", "TXN_TYPES",
                 "TXN_TYPE_WEIGHTS", "TXN_AMOUNT_LOGNORMAL", "FEE_SCHEDULE_CENTS", "FEE_WEIGHTS", "CHANNELS",
                 "CHANNEL_WEIGHTS", "HOUR_WEIGHTS_UTC", "CREDIT_SCORE_MEAN", "CREDIT_SCORE_SD", "AGE_AT_JOINING_MEAN",
                 "AGE_AT_JOINING_SD", "ADULT_DAYS", "MAX_AGE_AT_END_DAYS", "EMAIL_DOMAINS", "N_SECURITIES",
                 "BASE_PRICE_MEDIAN", "BASE_PRICE_SIGMA", "DAILY_RETURN_SIGMA", "INTRADAY_PRICE_SIGMA",
                 "TRADE_NOTIONAL_MEDIAN", "TRADE_NOTIONAL_SIGMA", "CUSTOMER_ID_START", "ACCOUNT_ID_START",
                 "TRANSFER_IN_SHARE", "FRAUD_AMOUNT_MULTIPLIER", "WITHDRAWAL_STEP_CENTS", "SYSTEM_POSTING_SECONDS",
                 "MARKET_OPEN_SECONDS", "SYMBOL_ZIPF_EXPONENT", "ACCOUNT_NUMBER_PREFIX", "ACCOUNT_NUMBER_MULTIPLIER",
                 "DEFAULT_JOINT_RATE", "SINGLE_OWNER_TYPES", "HOLDER_ROLES", "EXTRA_HOLDER_WEIGHTS", "EXTRA_ROLE_WEIGHTS",
                 "ADDED_AT_OPENING_SHARE", "MAX_EXTRA_HOLDERS", "SHAREABLE_ACCOUNT_SHARE", "MEAN_EXTRA_HOLDERS"):
        assert getattr(gen, name) == getattr(tier1, name), name
    assert list(gen.SEGMENT_BALANCE_MULTIPLIER.values()) == list(tier1.SEGMENT_BALANCE_MULTIPLIER)
    assert list(gen.STATUS_ACTIVITY.values()) == list(tier1.STATUS_ACTIVITY)
    assert [gen.TRADING_ACTIVITY.get(kind, 0.0) for kind in gen.ACCOUNT_TYPES] == list(tier1.TRADING_ACTIVITY)
    # Tier 1's default window: calendar 2024, customers since 2005 (19 years before it).
    assert (tier1.DEFAULT_START, tier1.DEFAULT_END) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert (gen.EVENT_START, gen.EVENT_END, gen.CUSTOMER_SINCE_START) == (
        19723, 20088, (dt.date(2024 - tier1.CUSTOMER_YEARS, 1, 1) - dt.date(1970, 1, 1)).days)
    gamma = next(c for c in CONTRACTS["accounts"]["columns"] if c["name"] == "balance")["distribution"]
    assert {k: (v["shape"], v["scale"]) for k, v in gamma["parameters"].items()} == gen.BALANCE_GAMMA
    assert gamma["scale_multiplier_by_segment"] == gen.SEGMENT_BALANCE_MULTIPLIER


def test_schemas_and_comments_are_the_contracts():
    for table in TABLES:
        columns = CONTRACTS[table]["columns"]
        assert list(gen.SCHEMAS[table].items()) == [(c["name"], c["type"]) for c in columns], table
        assert gen.COMMENTS[table]["table"] == CONTRACTS[table]["description"], table
        assert gen.COMMENTS[table]["columns"] == {c["name"]: c["description"] for c in columns}, table


def test_calendar_tables_agree_with_the_time_zone_database_and_nyse_rules():
    assert gen.TRADING_DAYS.size == 252  # NYSE 2024: 366 days - 104 weekend days - 10 holidays on weekdays
    days = gen.TRADING_DAYS.astype("datetime64[D]").astype(dt.date)
    for day, behind in zip(days, gen.NEW_YORK_BEHIND_UTC):
        noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("America/New_York"))
        assert -noon.utcoffset().total_seconds() == behind
    assert {int(b) for b in gen.NEW_YORK_BEHIND_UTC} == {4 * 3600, 5 * 3600}
    # Index of the first trading day on or after each day of 2024.
    assert gen.TRADING_DAYS_BEFORE[0] == 0 and gen.TRADING_DAYS_BEFORE[1] == 0  # Jan 1 holiday, Jan 2 first session
    assert gen.TRADING_DAYS_BEFORE[-1] == 251  # Dec 31 is the last session


BAD_INPUT = [
    (["--rows", "0", "--output", "o"], "at least 1"),
    (["--rows", "abc", "--output", "o"], "whole number"),
    (["--seed", "-1", "--output", "o"], "0 or more"),
    (["--fraud-rate", "1.5", "--output", "o"], "between 0 and 1"),
    (["--locale", "xx", "--output", "o"], "unknown locale"),
    (["--tier", "4", "--output", "o"], "invalid choice"),
    (["--partitions", "0", "--output", "o"], "at least 1"),
    ([], "say where the data goes"),
    (["--catalog", "main"], "go together"),
    (["--schema", "demo"], "go together"),
    (["--catalog", "main", "--schema", "demo", "--output", "o"], "choose one destination"),
    (["--catalog", "main", "--schema", "demo", "--format", "csv"], "tables are written as delta or parquet"),
    (["--output", "o", "--local", "--remote", "sc://localhost:1"], "exclude each other"),
    (["--output", "o", "--local", "--profile", "dev"], "Databricks Connect only"),
]


@pytest.mark.parametrize("options,message", BAD_INPUT, ids=[" ".join(o) or "nothing" for o, _ in BAD_INPUT])
def test_bad_input_is_a_clear_usage_error(capsys, options, message):
    with pytest.raises(SystemExit) as stopped:
        gen.main(options)
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "usage:" in error


def test_bad_input_from_the_shell_has_no_traceback(tmp_path):
    completed = subprocess.run([sys.executable, str(SCRIPT), "--rows", "abc", "--output", str(tmp_path)],
                               check=False, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr and "error:" in completed.stderr
    assert completed.stdout == ""


def test_dry_run_plans_without_starting_spark(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gen, "get_spark", lambda **_: pytest.fail("a dry run started Spark"))
    plan = gen.main(["--rows", "1000000", "--output", str(tmp_path / "out"), "--dry-run"])
    assert json.loads(capsys.readouterr().out) == plan
    assert not (tmp_path / "out").exists()
    assert {t: v["rows"] for t, v in plan["tables"].items()} == {
        "customers": 625_000, "accounts": 1_000_000, "account_holders": 1_159_300, "trades": 3_000_000,
        "transactions": 20_000_000}
    assert [t for t, v in plan["tables"].items() if v.get("estimated_rows")] == ["account_holders"]
    assert {t: v["partitions"] for t, v in plan["tables"].items()} == {
        "customers": 2, "accounts": 2, "account_holders": 2, "trades": 3, "transactions": 20}
    assert plan["format"] == "parquet" and plan["tier"] == 2
    overridden = gen.main(["--rows", "40", "--customers", "7", "--trades", "0", "--transactions", "123",
                           "--partitions", "5", "--catalog", "c", "--schema", "s", "--dry-run"])
    assert {t: (v["rows"], v["partitions"]) for t, v in overridden["tables"].items()} == {
        "customers": (7, 5), "accounts": (40, 5), "account_holders": (46, 5), "trades": (0, 5), "transactions": (123, 5)}
    assert overridden["format"] == "delta"


def test_notebook_takes_its_options_from_widgets(monkeypatch, capsys):
    class Widgets:
        def __init__(self):
            self.values = {"rows": "250", "output": "/Volumes/main/demo/raw/financial", "dry_run": "true"}
            self.created = {}

        def text(self, name, default):
            self.created[name] = default

        def get(self, name):
            return self.values.get(name, self.created[name])

    dbutils = type("DBUtils", (), {"widgets": Widgets()})()
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    monkeypatch.setattr(gen, "dbutils", dbutils, raising=False)
    plan = gen.main()
    assert set(dbutils.widgets.created) == {name for name in gen.WIDGETS}
    assert plan["tables"]["accounts"]["rows"] == 250 and plan["tier"] == 3
    assert plan["destination"] == "/Volumes/main/demo/raw/financial"
    capsys.readouterr()


# --- Classic Spark: the main run and its realism -----------------------------------------------------

MAIN_ROWS = 20_000


@pytest.fixture(scope="module")
def main_run(spark_modes, tmp_path_factory) -> dict[str, pl.DataFrame]:
    """20,000 accounts (12,500 customers, 60,000 trades, 400,000 transactions), seed 7, classic."""
    directory = tmp_path_factory.mktemp("spark_financial") / "out"
    summary = gen.generate(spark_modes.classic(), args("--rows", str(MAIN_ROWS), "--seed", "7", "--output", str(directory)))
    result = validate.validate_directory(directory)
    assert result.ok, str(result)
    frames = read(directory)
    frames["_summary"] = summary
    return frames


@spark_test
def test_main_run_is_validator_clean_with_exact_sizes_and_no_orphans(main_run):
    expected = {"customers": 12_500, "accounts": MAIN_ROWS, "trades": 3 * MAIN_ROWS, "transactions": 20 * MAIN_ROWS}
    assert_integrity(main_run, expected)
    expected["account_holders"] = main_run["account_holders"].height  # counted as written
    assert {t: v["rows"] for t, v in main_run["_summary"]["tables"].items()} == expected


@spark_test
def test_dates_are_ordered(main_run):
    customers, accounts = main_run["customers"], main_run["accounts"]
    owned = accounts.join(customers.select("customer_id", "customer_since"), on="customer_id")
    assert (owned["opened_date"] >= owned["customer_since"]).all()
    first = owned.group_by("customer_id").agg(pl.col("opened_date").min(), pl.col("customer_since").first())
    assert first.height == customers.height  # every customer holds an account, the first on customer_since
    assert (first["opened_date"] == first["customer_since"]).all()
    assert (customers["date_of_birth"].dt.offset_by("18y") <= customers["customer_since"]).all()
    assert (customers["date_of_birth"].dt.offset_by("95y") >= dt.date(2024, 12, 31)).all()
    for table in ("trades", "transactions"):
        events = main_run[table].join(accounts.select("account_id", "opened_date"), on="account_id")
        opened_at = events["opened_date"].cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        assert (events["timestamp"] >= opened_at).all(), table
        assert events["timestamp"].dt.year().unique().to_list() == [2024], table
    trades = main_run["trades"]
    assert (trades["settlement_date"] > trades["timestamp"].dt.date()).all()


@spark_test
def test_customer_weights_scores_and_ages(main_run):
    customers = main_run["customers"]
    assert_shares(customers["segment"], dict(zip(gen.SEGMENTS, gen.SEGMENT_WEIGHTS)), "segment")
    assert_shares(customers["kyc_status"], dict(zip(gen.KYC_STATUSES, gen.KYC_WEIGHTS)), "kyc_status")
    n = customers.height
    # Normal(715, 70) clipped at 300/850: median (se 1.25 sd / sqrt n) and IQR (within 5%) untouched by the clip.
    score = customers["credit_score"].cast(pl.Float64)
    assert abs(score.median() - 715) <= 4 * 1.25 * 70 / math.sqrt(n) + 0.5
    assert abs((score.quantile(0.75) - score.quantile(0.25)) / (1.349 * 70) - 1) < 0.05
    assert score.min() >= 300 and score.max() <= 850
    age = (customers["customer_since"] - customers["date_of_birth"]).dt.total_days() / 365.25
    assert abs(age.median() - 38) <= 4 * 1.25 * 13 / math.sqrt(n) + 0.01
    band = ((customers["customer_since"].dt.year() - 2005) // 5).cast(pl.String)
    assert_shares(band, {"0": 1, "1": 1, "2": 1, "3": 1}, "customer_since band")


@spark_test
def test_addresses_are_linked_and_identifiers_safe(main_run):
    customers = main_run["customers"]
    places = tier1.us_places()
    linked = customers.join(places, on=["city", "state"], how="inner")
    linked = linked.filter(pl.col("postal_code").cast(pl.Int64).is_between("zip_low", "zip_high"))
    assert linked.select("customer_id").n_unique() == customers.height  # every address agrees with a real city
    # Population-weighted: New York (1,600K of ~62M bundled people) and Houston (2,314K) appear in proportion.
    total = places["weight"].sum()
    for city, state in (("Houston", "TX"), ("Phoenix", "AZ")):
        p = places.filter((pl.col("city") == city) & (pl.col("state") == state))["weight"].item() / total
        share = customers.filter((pl.col("city") == city) & (pl.col("state") == state)).height / customers.height
        assert abs(share - p) <= four_sigma(p, customers.height), city
    assert customers["phone"].str.contains(r"^\([2-9][0-8][0-9]\) 555-01[0-9]{2}$").all()
    assert not customers["phone"].str.slice(2, 2).eq("11").any()
    assert customers["email"].is_unique().all()
    assert customers["email"].str.contains(r"^[a-z]+\.[a-z]+[0-9]+@example\.(com|net|org)$").all()
    assert (customers["name"] == customers["first_name"] + " " + customers["last_name"]).all()
    assert customers["street_address"].str.contains(r"^[1-9][0-9]{0,3} ").all()  # en: house number first


@spark_test
def test_account_weights(main_run):
    accounts = main_run["accounts"]
    assert_shares(accounts["type"], dict(zip(gen.ACCOUNT_TYPES, gen.ACCOUNT_TYPE_WEIGHTS)), "type")
    assert_shares(accounts["status"], dict(zip(gen.ACCOUNT_STATUSES, gen.ACCOUNT_STATUS_WEIGHTS)), "status")
    assert_shares(accounts["risk_rating"], dict(zip(gen.RISK_RATINGS, gen.RISK_RATING_WEIGHTS)), "risk_rating")
    deposit_accounts = accounts.filter(~pl.col("type").is_in(gen.INVESTMENT_TYPES))
    assert_shares(deposit_accounts["currency"], dict(zip(gen.CURRENCIES, gen.CURRENCY_WEIGHTS)), "currency")
    assert (accounts.filter(pl.col("type").is_in(gen.INVESTMENT_TYPES))["currency"] == "USD").all()


def digamma(x: float) -> float:
    shift = 0.0
    while x < 6:
        shift -= 1 / x
        x += 1
    return shift + math.log(x) - 1 / (2 * x) - 1 / (12 * x**2) + 1 / (120 * x**4) - 1 / (252 * x**6)


def trigamma(x: float) -> float:
    shift = 0.0
    while x < 6:
        shift += 1 / x**2
        x += 1
    return shift + 1 / x + 1 / (2 * x**2) + 1 / (6 * x**3) - 1 / (30 * x**5) + 1 / (42 * x**7) - 1 / (30 * x**9)


def gamma_fit(values: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood Gamma (shape, scale): Newton on ln k - digamma(k) = ln mean - mean ln x."""
    values = np.maximum(values, 0.005)  # a balance that rounded to 0.00
    s = math.log(values.mean()) - np.log(values).mean()
    shape = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(20):
        shape -= (math.log(shape) - digamma(shape) - s) / (1 / shape - trigamma(shape))
    return shape, values.mean() / shape


@spark_test
def test_balances_are_gamma_with_the_true_parameters_scaled_by_segment(main_run):
    accounts = main_run["accounts"].join(main_run["customers"].select("customer_id", "segment"), on="customer_id")
    accounts = accounts.with_columns(balance=pl.col("balance").cast(pl.Float64))
    assert (accounts["balance"] >= 0).all()
    for kind, (shape, scale) in gen.BALANCE_GAMMA.items():
        balance = accounts.filter((pl.col("type") == kind) & (pl.col("segment") == "mass"))["balance"].to_numpy()
        n = balance.size
        shape_hat, scale_hat = gamma_fit(balance)
        # 4 sigma from the Fisher information of the Gamma: var(k) = k / (n (k psi'(k) - 1)),
        # var(scale) / scale^2 = psi'(k) / (n (k psi'(k) - 1)).
        information = n * (shape * trigamma(shape) - 1)
        assert abs(shape_hat - shape) <= 4 * math.sqrt(shape / information), (kind, shape_hat, n)
        assert abs(scale_hat / scale - 1) <= 4 * math.sqrt(trigamma(shape) / information), (kind, scale_hat, n)
        assert abs(balance.mean() / (shape * scale) - 1) <= 4 / math.sqrt(shape * n), kind
    # Segment multiplier: balance / (shape x scale of its type) averages to the multiplier; the
    # private segment (4%, ~800 accounts of mixed shapes) within 15%, the others within 8%.
    means = {kind: shape * scale for kind, (shape, scale) in gen.BALANCE_GAMMA.items()}
    normalised = accounts.with_columns(ratio=pl.col("balance") / pl.col("type").replace_strict(means, return_dtype=pl.Float64))
    by_segment = dict(normalised.group_by("segment").agg(pl.col("ratio").mean()).iter_rows())
    for segment, multiplier in gen.SEGMENT_BALANCE_MULTIPLIER.items():
        assert abs(by_segment[segment] / multiplier - 1) < (0.15 if segment == "private" else 0.08), segment


@spark_test
def test_accounts_per_customer_and_luhn_valid_account_numbers(main_run):
    accounts, customers = main_run["accounts"], main_run["customers"]
    held = accounts.group_by("customer_id").len()
    assert held.height == customers.height
    p = math.exp(-0.6)  # 1 + Poisson(0.6) accounts: exactly one for 54.9% of customers (4 sigma)
    assert abs((held["len"] == 1).mean() - p) <= four_sigma(p, held.height)

    def luhn_valid(number: str) -> bool:
        total = 0
        for position, char in enumerate(reversed(number)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        return total % 10 == 0

    numbers = accounts["account_number"]
    assert numbers.is_unique().all() and numbers.str.contains(r"^99[0-9]{10}$").all()
    assert all(luhn_valid(number) for number in numbers.to_list())


@spark_test
def test_account_holders_bridge(main_run):
    """The N:M bridge as in Tier 1: one primary holder per account, its owner, on the opening day;
    extra holders on --joint-rate (0.15) of the accounts other than retirement ones (4 binomial
    sigma), 1/2/3 of them 85/12/3, joint/authorized_user 75/25; never the owner, never twice;
    added on or after both the opening and the holder's customer_since (60% on that day)."""
    accounts, customers, holders = main_run["accounts"], main_run["customers"], main_run["account_holders"]
    primary = holders.filter(pl.col("holder_role") == "primary").join(
        accounts.select("account_id", pl.col("customer_id").alias("owner"), "opened_date"), on="account_id")
    assert primary.height == accounts.height and primary["account_id"].is_unique().all()
    assert (primary["customer_id"] == primary["owner"]).all() and (primary["added_date"] == primary["opened_date"]).all()
    per_account = accounts.select("account_id", "type").join(holders.group_by("account_id").len(), on="account_id")
    assert (per_account.filter(pl.col("type").is_in(gen.SINGLE_OWNER_TYPES))["len"] == 1).all()
    shareable = per_account.filter(~pl.col("type").is_in(gen.SINGLE_OWNER_TYPES))
    joint_share = (shareable["len"] > 1).mean()
    assert abs(joint_share - gen.DEFAULT_JOINT_RATE) <= four_sigma(gen.DEFAULT_JOINT_RATE, shareable.height), joint_share
    extra_counts = (shareable.filter(pl.col("len") > 1)["len"] - 1).cast(pl.String)
    assert_shares(extra_counts, {str(k + 1): w for k, w in enumerate(gen.EXTRA_HOLDER_WEIGHTS)}, "extra holders")
    extra = (holders.filter(pl.col("holder_role") != "primary")
             .join(accounts.select("account_id", "opened_date"), on="account_id")
             .join(customers.select("customer_id", "customer_since"), on="customer_id")
             .with_columns(earliest=pl.max_horizontal("opened_date", "customer_since")))
    assert_shares(extra["holder_role"], dict(zip(gen.HOLDER_ROLES[1:], gen.EXTRA_ROLE_WEIGHTS)), "extra holder role")
    assert (extra["added_date"] >= extra["earliest"]).all() and (extra["added_date"] <= dt.date(2024, 12, 31)).all()
    span = (pl.lit(dt.date(2024, 12, 31)) - pl.col("earliest")).dt.total_days() + 1
    expected = gen.ADDED_AT_OPENING_SHARE + (1 - gen.ADDED_AT_OPENING_SHARE) * extra.select((1 / span).mean()).item()
    on_earliest = (extra["added_date"] == extra["earliest"]).mean()
    assert abs(on_earliest - expected) <= four_sigma(expected, extra.height), (on_earliest, expected)
    # Extra holders spread uniformly over the customers: the share never picked is (1 - 1/N)^E.
    picked = extra["customer_id"].n_unique() / customers.height
    p_none = (1 - 1 / customers.height) ** extra.height
    assert abs((1 - picked) - p_none) <= four_sigma(p_none, customers.height), (picked, p_none)


def iso6166_valid(isin: str) -> bool:
    digits = "".join(str(int(char, 36)) for char in isin)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


def cusip_valid(cusip: str) -> bool:
    total = 0
    for position, char in enumerate(cusip[:8]):
        value = int(char, 36) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(cusip[8])


def test_check_digit_functions_agree_with_real_identifiers():
    for isin in ("US0378331005", "US5949181045", "GB0002634946", "AU0000XVGZA3", "DE0007164600"):
        assert iso6166_valid(isin) and gen.isin_check_digit(isin[:11]) == isin[11], isin
    assert not iso6166_valid("US0378331006")
    for cusip in ("037833100", "594918104", "38259P508"):
        assert cusip_valid(cusip) and gen.cusip_check_digit(cusip[:8]) == cusip[8], cusip


@spark_test
def test_trades_only_on_trading_accounts_with_valid_isins_and_exact_notional(main_run):
    trades, accounts = main_run["trades"], main_run["accounts"]
    kinds = trades.join(accounts.select("account_id", "type"), on="account_id")["type"]
    assert kinds.len() == trades.height and set(kinds.unique()) == set(gen.INVESTMENT_TYPES)
    # Brokerage trades 4x as often per account-day as retirement, and has 12/10 as many accounts.
    brokerage_share = (kinds == "brokerage").mean()
    assert 0.75 < brokerage_share < 0.9, brokerage_share  # expected ~0.83 (12 x 1 / (12 x 1 + 10 x 0.25))
    assert all(iso6166_valid(isin) and cusip_valid(isin[2:11]) for isin in trades["isin"].to_list())  # every row
    securities = trades.select("symbol", "isin", "exchange").unique()
    assert securities["symbol"].is_unique().all() and securities["isin"].is_unique().all()  # 1:1, one exchange each
    exact = trades.select(ok=(pl.col("quantity").cast(pl.Decimal(38, 0)) * pl.col("price")) == pl.col("notional"))
    assert exact["ok"].all()
    assert (trades["quantity"] >= 1).all()
    assert_shares(trades["side"], dict(zip(gen.SIDES, gen.SIDE_WEIGHTS)), "side")


@spark_test
def test_trades_happen_in_nyse_sessions_and_settle_t_plus_one_or_two(main_run):
    trades = main_run["trades"].with_columns(local=pl.col("timestamp").dt.convert_time_zone("America/New_York"))
    local_date = trades["local"].dt.date()
    assert (local_date.dt.weekday() <= 5).all()
    assert not local_date.is_in([dt.date.fromisoformat(d) for d in NYSE_HOLIDAYS_2024]).any()
    minutes = trades["local"].dt.hour().cast(pl.Int32) * 60 + trades["local"].dt.minute()
    close = pl.Series(np.where(local_date.is_in(EARLY_CLOSES_2024).to_numpy(), 13 * 60, 16 * 60))
    assert (minutes >= 9 * 60 + 30).all() and (minutes < close).all()
    days = local_date.to_numpy().astype("datetime64[D]")
    lag = np.where(days < np.datetime64("2024-05-28"), 2, 1)
    expected = np.busday_offset(days, lag, holidays=np.array(NYSE_HOLIDAYS_2024, dtype="datetime64[D]"))
    assert (trades["settlement_date"].to_numpy().astype("datetime64[D]") == expected).all()


@spark_test
def test_symbol_popularity_and_price_levels(main_run):
    trades = main_run["trades"].with_columns(
        log_price=pl.col("price").cast(pl.Float64).log(),
        day=pl.col("timestamp").dt.convert_time_zone("America/New_York").dt.date(),
    )
    # Zipf(1) over 500 symbols: the ten most traded hold H(10)/H(500) = 43.1% (4 sigma).
    harmonic = np.cumsum(1 / np.arange(1, 501))
    p = harmonic[9] / harmonic[-1]
    top = trades["symbol"].value_counts().sort("count", descending=True)["count"]
    assert abs(top.head(10).sum() / trades.height - p) <= four_sigma(p, trades.height)
    # Base price lognormal(median 45, sigma 1): per-symbol median log price has mean ln 45 and sd ~1.
    levels = trades.group_by("symbol").agg(pl.col("log_price").median())["log_price"]
    k = levels.len()
    assert abs(levels.mean() - math.log(45)) <= 4 / math.sqrt(k)
    assert abs(levels.std() - 1.0) <= 4 / math.sqrt(2 * k) + 0.03
    # 0.3% lognormal noise around the day's level (sd within 15%, none over 2%).
    deviation = trades.with_columns(dev=pl.col("log_price") - pl.col("log_price").mean().over("symbol", "day"),
                                    n=pl.len().over("symbol", "day")).filter(pl.col("n") >= 5)
    assert deviation["dev"].abs().max() < 0.02
    assert abs(deviation["dev"].std() / 0.003 - 1) < 0.15
    # Daily walk: 1.5% log-returns, from the most traded symbol's daily mean prices (within 20%).
    top_symbol = trades["symbol"].value_counts().sort("count", descending=True)["symbol"][0]
    daily = trades.filter(pl.col("symbol") == top_symbol).group_by("day").agg(pl.col("log_price").mean()).sort("day")
    days = daily["day"].to_numpy().astype("datetime64[D]")
    business_days = np.busday_count(days[:-1], days[1:], holidays=np.array(NYSE_HOLIDAYS_2024, dtype="datetime64[D]"))
    returns = np.diff(daily["log_price"].to_numpy()) / np.sqrt(business_days)
    assert abs(returns.std() / 0.015 - 1) < 0.2


@spark_test
def test_transaction_types_follow_the_account_type(main_run):
    account_types = main_run["accounts"].select("account_id", pl.col("type").alias("account_type"))
    txns = main_run["transactions"].join(account_types, on="account_id")
    for account_type, weights in gen.TXN_TYPE_WEIGHTS.items():
        subset = txns.filter(pl.col("account_type") == account_type)["type"]
        assert_shares(subset, dict(zip(gen.TXN_TYPES, weights)), f"{account_type} transactions")
    currencies = main_run["transactions"].join(main_run["accounts"].select("account_id", "currency"), on="account_id")
    assert (currencies["currency"] == currencies["currency_right"]).all()


@spark_test
def test_channels_signs_and_amounts(main_run):
    txns = main_run["transactions"].with_columns(value=pl.col("amount").cast(pl.Float64))
    for kind, weights in gen.CHANNEL_WEIGHTS.items():
        assert_shares(txns.filter(pl.col("type") == kind)["channel"], weights, f"{kind} channel")
    assert (txns["value"] != 0).all()
    assert ((txns["direction"] == "credit") == (txns["value"] > 0)).all()
    assert (txns.filter(pl.col("type").is_in(gen.CREDIT_TYPES))["direction"] == "credit").all()
    assert (txns.filter(pl.col("type").is_in(gen.DEBIT_TYPES))["direction"] == "debit").all()
    transfers = txns.filter(pl.col("type") == "transfer")
    assert abs((transfers["direction"] == "credit").mean() - 0.5) <= four_sigma(0.5, transfers.height)
    honest = txns.filter(~pl.col("is_fraud"))
    for kind in ("deposit", "transfer", "payment", "interest", "dividend"):
        median, sigma = gen.TXN_AMOUNT_LOGNORMAL[kind]
        logs = honest.filter(pl.col("type") == kind)["value"].abs().log()
        n = logs.len()
        # Median within 4 x 1.25 sigma / sqrt(n) in log space, log-sd within 4 x sigma / sqrt(2n)
        # (plus the cent rounding of tiny interest amounts).
        assert abs(logs.median() - math.log(median)) <= 4 * 1.25 * sigma / math.sqrt(n), kind
        assert abs(logs.std() - sigma) <= 4 * sigma / math.sqrt(2 * n) + 0.01, kind
    cents = (txns.filter(pl.col("type") == "withdrawal")["value"].abs() * 100).round().cast(pl.Int64)
    assert (cents % 2000 == 0).all()
    fees = txns.filter(pl.col("type") == "fee")["value"].abs()
    assert_shares((fees * 100).round().cast(pl.Int64).cast(pl.String),
                  {str(c): w for c, w in zip(gen.FEE_SCHEDULE_CENTS, gen.FEE_WEIGHTS)}, "fee schedule")


@spark_test
def test_timestamps_by_hour_and_system_postings(main_run):
    txns = main_run["transactions"]
    customer = txns.filter(pl.col("type").is_in(gen.CUSTOMER_INITIATED))
    hours = customer["timestamp"].dt.hour().cast(pl.String)
    assert_shares(hours, {str(h): w for h, w in enumerate(gen.HOUR_WEIGHTS_UTC)}, "UTC hour")
    system = txns.filter(~pl.col("type").is_in(gen.CUSTOMER_INITIATED))
    assert (system["timestamp"].dt.time() == dt.time(6, 0)).all()
    month_end = txns.filter(pl.col("type").is_in(["fee", "interest"]))["timestamp"].dt.date()
    assert (month_end == month_end.dt.month_end()).all()


@spark_test
def test_counterparties_and_test_bics(main_run):
    txns = main_run["transactions"]
    wire = txns["channel"] == "wire"
    assert (txns["counterparty_bic"].is_not_null() == wire).all()
    assert (txns["counterparty_bank"].is_not_null() == wire).all()
    bics = txns["counterparty_bic"].drop_nulls()
    assert bics.str.contains(r"^[A-Z]{4}US[A-Z2-9]0$").all()  # every row
    assert (bics.str.slice(7, 1) == "0").all()  # ISO 9362 test BIC
    pairs = txns.filter(wire).select("counterparty_bank", "counterparty_bic").unique()
    assert pairs["counterparty_bank"].is_unique().all() and pairs["counterparty_bic"].is_unique().all()
    named = txns.filter(
        (pl.col("type").is_in(["payment", "transfer", "dividend"]))
        | ((pl.col("type") == "deposit") & pl.col("channel").is_in(["ach", "mobile"])))
    assert named["counterparty"].null_count() == 0
    assert txns.join(named, on="txn_id", how="anti")["counterparty"].null_count() == txns.height - named.height
    people = txns.filter(pl.col("type") == "transfer")["counterparty"]
    assert people.str.contains(r"^\S+ \S+").all()


@spark_test
def test_fraud_rate_on_customer_initiated_transactions_only(main_run):
    txns = main_run["transactions"]
    eligible = txns.filter(pl.col("type").is_in(gen.CUSTOMER_INITIATED))
    assert abs(eligible["is_fraud"].mean() - 0.002) <= four_sigma(0.002, eligible.height)
    assert not txns.filter(~pl.col("type").is_in(gen.CUSTOMER_INITIATED))["is_fraud"].any()


@spark_test
def test_activity_per_account_is_heavy_tailed(main_run):
    """Pareto(1.5) activity: the top tenth of accounts open and active all year carries ~46% of their
    transactions (Poisson counting noise dilutes it a little: accept 0.40..0.52; equal activity
    would give ~0.15). Dormant accounts get 2% of the activity (measured: under 10%)."""
    accounts, txns = main_run["accounts"], main_run["transactions"]
    counts = accounts.filter(pl.col("opened_date") < dt.date(2024, 1, 1)).join(
        txns.group_by("account_id").len(), on="account_id", how="left").fill_null(0)
    active = counts.filter(pl.col("status") == "active")["len"].sort(descending=True)
    top_share = active.head(active.len() // 10).sum() / active.sum()
    assert 0.40 <= top_share <= 0.52, top_share
    dormant = counts.filter(pl.col("status") == "dormant")["len"]
    assert dormant.mean() / active.mean() < 0.1
    # An account opened in 2024 gets activity in proportion to the days it was open.
    late = accounts.filter((pl.col("opened_date") >= dt.date(2024, 7, 1)) & (pl.col("status") == "active")).join(
        txns.group_by("account_id").len(), on="account_id", how="left").fill_null(0)
    assert late["len"].mean() / active.mean() < 0.5


# --- Spark Connect (tier 2), reproducibility, Unity Catalog logic ----------------------------------

SMALL = ["--rows", "1000", "--fraud-rate", "0.05", "--tier", "2"]


@pytest.fixture(scope="module")
def connect_run(spark_modes, spark_connect_server, tmp_path_factory) -> dict[str, pl.DataFrame]:
    """1,000 accounts over Spark Connect, seed 5, 5% fraud."""
    directory = tmp_path_factory.mktemp("spark_financial_connect") / "out"
    session = spark_modes.connect(spark_connect_server.url)
    gen.generate(session, args(*SMALL, "--seed", "5", "--output", str(directory)))
    result = validate.validate_directory(directory)
    assert result.ok, str(result)
    return read(directory)


@spark_test
@pytest.mark.connect
def test_connect_run_is_validator_clean_with_no_orphans_and_the_fraud_rate(connect_run):
    assert_integrity(connect_run, {"customers": 625, "accounts": 1000, "trades": 3000, "transactions": 20_000})
    assert (connect_run["account_holders"]["holder_role"] != "primary").any()  # some joint accounts
    txns = connect_run["transactions"].with_columns(value=pl.col("amount").cast(pl.Float64).abs())
    eligible = txns.filter(pl.col("type").is_in(gen.CUSTOMER_INITIATED))
    assert abs(eligible["is_fraud"].mean() - 0.05) <= four_sigma(0.05, eligible.height)
    # Fraud amounts are 3x: mean log amount of fraudulent payments exceeds the honest ones' by
    # ln 3 within 4 sigma (sigma = 1.1 sqrt(1/n_fraud + 1/n_honest)).
    payments = txns.filter(pl.col("type") == "payment").with_columns(log=pl.col("value").log())
    fraud, honest = payments.filter(pl.col("is_fraud"))["log"], payments.filter(~pl.col("is_fraud"))["log"]
    assert abs(fraud.mean() - honest.mean() - math.log(3)) <= 4 * 1.1 * math.sqrt(1 / fraud.len() + 1 / honest.len())


def catalog_tables(session, schema: str) -> dict[str, pl.DataFrame]:
    return {table: pl.from_arrow(session.read.table(f"spark_catalog.{schema}.{table}").toArrow()) for table in TABLES}


def properties(session, name: str) -> dict[str, str]:
    return {row["key"]: row["value"] for row in session.sql(f"SHOW TBLPROPERTIES {name}").collect()}


@spark_test
@pytest.mark.connect
def test_unity_catalog_path_on_the_local_catalog(spark_modes, connect_run):
    """Catalog tables (parquet in the local catalog) with the synthetic marker and the contracts'
    comments; the same seed as the Connect run gives the same data on classic Spark; existing
    tables are refused unless --mode overwrite and ours; another seed gives other data."""
    spark = spark_modes.classic()
    schema = "financial_uc_test"
    spark.sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    with pytest.raises(gen.OutputError, match="catalog 'no_such_catalog' does not exist.*create it"):
        gen.generate(spark, args("--catalog", "no_such_catalog", "--schema", schema))
    first = args(*SMALL, "--seed", "5", "--catalog", "spark_catalog", "--schema", schema, "--format", "parquet")
    summary = gen.generate(spark, first)
    assert summary["tables"]["accounts"]["target"] == f"spark_catalog.{schema}.accounts"
    written = catalog_tables(spark, schema)
    expected = sort(connect_run)
    for table in TABLES:
        assert written[table].sort(KEYS[table]).equals(expected[table]), f"{table}: classic != Connect for one seed"
    name = f"spark_catalog.{schema}.accounts"
    marker = {"synthetic": "true", "synthetic.generator": "databricks-data-gen", "synthetic.seed": "5"}
    assert marker.items() <= properties(spark, name).items()
    described = {row["col_name"]: row for row in spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
    assert described["Comment"]["data_type"].startswith(CONTRACTS["accounts"]["description"])
    assert described["balance"]["comment"] == gen.COMMENTS["accounts"]["columns"]["balance"]

    with pytest.raises(gen.OutputError, match="--mode overwrite"):
        gen.generate(spark, first)  # error mode: refused before anything is written

    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {schema}_foreign")
    spark.sql(f"CREATE TABLE spark_catalog.{schema}_foreign.customers (id INT) USING parquet")
    with pytest.raises(gen.OutputError, match="not created by databricks-data-gen"):
        gen.generate(spark, args("--rows", "5", "--catalog", "spark_catalog", "--schema", f"{schema}_foreign",
                                 "--format", "parquet", "--mode", "overwrite"))
    assert spark.read.table(f"spark_catalog.{schema}_foreign.customers").columns == ["id"]
    assert not spark.catalog.tableExists(f"spark_catalog.{schema}_foreign.accounts")  # nothing half-written

    gen.generate(spark, args(*SMALL, "--seed", "6", "--catalog", "spark_catalog", "--schema", schema,
                             "--format", "parquet", "--mode", "overwrite"))
    other = catalog_tables(spark, schema)
    for table in TABLES:
        assert table == "account_holders" or other[table].height == expected[table].height, table
        assert not other[table].sort(KEYS[table]).equals(expected[table]), f"{table}: seed 6 == seed 5"
    assert properties(spark, name)["synthetic.seed"] == "6"
    spark.sql(f"DROP SCHEMA {schema} CASCADE")
    spark.sql(f"DROP SCHEMA {schema}_foreign CASCADE")


@spark_test
def test_folder_output_refuses_what_it_did_not_write(spark_modes, tmp_path):
    spark = spark_modes.classic()
    (tmp_path / "tier1").mkdir()
    (tmp_path / "tier1" / "customers.parquet").write_bytes(b"")
    with pytest.raises(gen.OutputError, match="holds other output"):
        gen.generate(spark, args("--rows", "5", "--output", str(tmp_path / "tier1")))
    (tmp_path / "foreign" / "accounts").mkdir(parents=True)
    with pytest.raises(gen.OutputError, match="not written by"):
        gen.generate(spark, args("--rows", "5", "--output", str(tmp_path / "foreign"), "--mode", "overwrite"))
    assert sorted(p.name for p in (tmp_path / "foreign").iterdir()) == ["accounts"]


@spark_test
def test_a_non_latin_locale_keeps_emails_and_addresses_valid(spark_modes):
    """Japanese names have no Latin letters: emails fall back to "client", streets keep their own
    format with the row's house number (the customers table only: the locale changes nothing else)."""
    spark = spark_modes.classic()
    customers = pl.from_arrow(gen.build_customers(spark, 300, 8, 2, 2, gen.build_pools("ja", 8)).toArrow())
    assert customers["email"].str.contains(r"^client\.client[0-9]+@example\.(com|net|org)$").all()
    assert customers["email"].is_unique().all()
    assert not customers["street_address"].str.contains(gen.HOUSE_NUMBER, literal=True).any()
    assert customers["street_address"].str.contains(r"[0-9]").all()
    assert customers["first_name"].str.contains(r"[^\x00-\x7f]").all()


@spark_test
def test_delta_without_delta_lake_is_a_clear_error(spark_modes, tmp_path):
    with pytest.raises(gen.OutputError, match="no Delta Lake.*--format parquet"):
        gen.generate(spark_modes.classic(), args("--rows", "2", "--trades", "0", "--transactions", "0",
                                                 "--output", str(tmp_path / "out"), "--format", "delta"))


@spark_test
def test_script_end_to_end_in_a_subprocess_with_one_account(spark_modes, tmp_path):
    """--local --output from a terminal: a single account still gets its trades (seed 3 draws a
    savings account, which becomes brokerage), exact override sizes, validator clean, JSON summary
    on stdout; run again, the folder is refused without --mode overwrite (before Spark starts)."""
    spark = spark_modes.classic()
    drawn = gen.build_accounts(spark, 1, 3, 2, 2, gen.build_customers(spark, 3, 3, 2, 2, gen.build_pools("en", 3)),
                               3, with_trades=False).select("type").collect()
    assert drawn[0]["type"] not in gen.INVESTMENT_TYPES  # so the run below exercises the override
    command = [sys.executable, str(SCRIPT), "--local", "--rows", "1", "--customers", "3", "--trades", "5",
               "--transactions", "7", "--seed", "3", "--output", str(tmp_path / "out")]
    completed = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    summary = json.loads(completed.stdout)
    assert validate.validate_directory(tmp_path / "out").ok
    frames = read(tmp_path / "out")
    assert {t: v["rows"] for t, v in summary["tables"].items()} == {
        "customers": 3, "accounts": 1, "account_holders": frames["account_holders"].height, "trades": 5,
        "transactions": 7}
    assert frames["accounts"]["type"][0] == "brokerage"
    assert_integrity(frames, {"customers": 3, "accounts": 1, "trades": 5, "transactions": 7})
    refused = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert refused.returncode == 2 and "--mode overwrite" in refused.stderr and "Traceback" not in refused.stderr


@spark_test
def test_overwrite_replaces_a_folder_this_generator_wrote(spark_modes, tmp_path):
    spark = spark_modes.classic()
    directory = str(tmp_path / "out")
    gen.generate(spark, args("--rows", "3", "--trades", "0", "--transactions", "0", "--output", directory))
    gen.generate(spark, args("--rows", "4", "--trades", "0", "--transactions", "0", "--output", directory,
                             "--mode", "overwrite"))
    assert read(tmp_path / "out")["accounts"].height == 4
    assert validate.validate_directory(tmp_path / "out").ok


@pytest.mark.slow
@spark_test
@pytest.mark.connect
@pytest.mark.databricks_connect
def test_databricks_connect_16_4_client_generates_the_same_data(connect_run, tmp_path):
    """The Tier 2 path as a Databricks Connect user runs it (get_spark -> DatabricksSession.remote,
    databricks-connect 16.4: Python 3.12, a pyspark 3.5 fork) against a local pyspark 4.0 Connect
    server: validator clean, and the same data as the pyspark Connect client gives for the seed."""
    import os

    from spark_support import ConnectServer, ensure_venv, python312, unavailable

    interpreter = python312()
    if interpreter is None:
        unavailable("no Python 3.12 interpreter for the databricks-connect client")
    requirements = [line.strip() for line in (Path(__file__).parent / "dbconnect_client" / "requirements.txt")
                    .read_text().splitlines() if line.strip() and not line.startswith("#")]
    client = ensure_venv("dbconnect-16.4-mimesis", interpreter, [*requirements, "mimesis==22.2.0"])
    server = ConnectServer(tmp_path / "server", worker_python=sys.executable, name="financial-dbconnect")
    server.start()
    try:
        environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYTHONPATH", "SPARK_HOME")}
        run = subprocess.run([str(client), str(SCRIPT), "--remote", server.url, *SMALL, "--seed", "5",
                              "--output", str(tmp_path / "dbconnect")],
                             check=False, capture_output=True, text=True, timeout=900, env=environment)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    assert validate.validate_directory(tmp_path / "dbconnect").ok
    versions = json.loads((tmp_path / "dbconnect" / "_manifest.json").read_text())["versions"]
    assert versions["databricks-connect"].startswith("16.4.") and versions["python"].startswith("3.12.")
    written, expected = sort(read(tmp_path / "dbconnect")), sort(connect_run)
    for table in TABLES:
        assert written[table].equals(expected[table]), table
