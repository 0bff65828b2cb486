"""Tier 1 financial generator (scripts/generators/polars/financial.py).

Validator-clean at 1/10/1,000 accounts with our own FK/PK counts, every format read back,
reproducibility, date ordering, bad input, and each realism claim of the contracts measured on
generated data with a fixed seed. Tolerances are stated next to each check; "4 sigma" means four
standard errors of the estimate under the configured distribution, so a correct generator
passes and a wrong parameter fails.
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

from conftest import REPO, SCHEMAS, load_script

gen = load_script("generators/polars/financial.py")
validate = load_script("utils/validate.py")
SCRIPT = REPO / "scripts" / "generators" / "polars" / "financial.py"
TABLES = ("customers", "accounts", "account_holders", "trades", "transactions")
SIZED = ("customers", "accounts", "trades", "transactions")  # row counts set exactly by the flags
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


def run(directory: Path, *options: str) -> dict:
    return gen.main(["--output", str(directory), *options])


def read(directory: Path) -> dict[str, pl.DataFrame]:
    return {table: pl.read_parquet(directory / f"{table}.parquet") for table in TABLES}


def hint(table: str, column: str) -> dict:
    return next(c for c in CONTRACTS[table]["columns"] if c["name"] == column)


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


@pytest.fixture(scope="module")
def main_run(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """20,000 accounts (12,500 customers, 60,000 trades, 400,000 transactions), seed 7."""
    directory = tmp_path_factory.mktemp("financial_main")
    run(directory, "--rows", "20000", "--seed", "7")
    return read(directory)


@pytest.fixture(scope="module")
def account_run(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """200,000 accounts and their customers only, for tight account-level estimates."""
    directory = tmp_path_factory.mktemp("financial_accounts")
    run(directory, "--rows", "200000", "--seed", "11", "--trades", "0", "--transactions", "0")
    return read(directory)


# --- Validator clean, own key counts, exact sizes -------------------------------------------------

@pytest.mark.parametrize("rows", [1, 10, 1000])
def test_small_runs_are_validator_clean_with_no_orphans_or_duplicate_keys(tmp_path, rows):
    summary = run(tmp_path, "--rows", str(rows))
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    frames = read(tmp_path)
    expected = {"customers": max(1, round(rows * 0.625)), "accounts": rows, "trades": 3 * rows, "transactions": 20 * rows}
    holders = frames["account_holders"]  # drawn per account: one primary each, extra holders on joint accounts
    expected["account_holders"] = holders.height
    assert holders.height >= rows and (holders["holder_role"] == "primary").sum() == rows
    for table in TABLES:
        assert frames[table].height == expected[table] == summary["tables"][table]["rows"], table
        key = KEYS[table]
        assert frames[table].select(key).is_duplicated().sum() == 0, f"duplicate {table}.{key}"
        assert frames[table].select(key).null_count().sum_horizontal().item() == 0
    for child, column, parent in PARENTS:
        orphans = frames[child].join(frames[parent], on=column, how="anti").height
        assert orphans == 0, f"{orphans} {child}.{column} without a {parent} row"
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["industry"] == "financial" and manifest["seed"] == 42
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == expected
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_overrides_set_exact_sizes_and_zero_skips_a_table(tmp_path):
    run(tmp_path, "--rows", "40", "--customers", "7", "--trades", "0", "--transactions", "123")
    frames = read(tmp_path)
    assert [frames[t].height for t in SIZED] == [7, 40, 0, 123]
    assert validate.validate_directory(tmp_path).ok


def test_more_customers_than_accounts_still_links(tmp_path):
    run(tmp_path, "--rows", "5", "--customers", "30")
    frames = read(tmp_path)
    assert frames["accounts"]["customer_id"].n_unique() == 5  # the first accounts go to distinct customers
    assert validate.validate_directory(tmp_path).ok


def test_a_single_account_still_gets_its_trades(tmp_path):
    """The smallest run: if the one account is not an investment account it becomes brokerage."""
    for seed in range(6):
        directory = tmp_path / str(seed)
        run(directory, "--rows", "1", "--seed", str(seed))
        frames = read(directory)
        assert frames["trades"].height == 3
        assert frames["accounts"]["type"][0] in ("brokerage", "retirement")


# --- Formats, reproducibility, interruption -----------------------------------------------------

def as_type(column: pl.Expr, read: pl.DataType, wanted: pl.DataType) -> pl.Expr:
    """Text read back from CSV/JSON, parsed as the type the parquet output carries."""
    if read != pl.String:
        return column.cast(wanted)
    if isinstance(wanted, pl.Datetime):
        return column.str.to_datetime(time_zone="UTC")
    if wanted == pl.Date:
        return column.str.to_date()
    if wanted == pl.Boolean:
        return column.replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
    if isinstance(wanted, pl.Decimal):
        return column.str.to_decimal(scale=wanted.scale).cast(wanted)
    return column.cast(wanted)


@pytest.mark.parametrize("fmt", ["csv", "json", "delta"])
def test_every_format_reads_back_equal_to_parquet(tmp_path, fmt):
    run(tmp_path / "parquet", "--rows", "60")
    run(tmp_path / fmt, "--rows", "60", "--format", fmt)
    assert validate.validate_directory(tmp_path / fmt).ok
    reference = read(tmp_path / "parquet")
    for table in TABLES:
        schema = reference[table].schema
        if fmt == "delta":
            from deltalake import DeltaTable

            back = pl.from_arrow(DeltaTable(str(tmp_path / fmt / table)).to_pyarrow_table())
        elif fmt == "csv":
            back = pl.read_csv(tmp_path / fmt / f"{table}.csv", infer_schema=False)
        else:
            back = pl.read_ndjson(tmp_path / fmt / f"{table}.json", infer_schema_length=None)
        back = back.with_columns(as_type(pl.col(c), back.schema[c], t) for c, t in schema.items()).sort(KEYS[table])
        assert back.equals(reference[table].sort(KEYS[table])), table


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        run(tmp_path / name, "--rows", "300", "--seed", seed)
    a, b, c = read(tmp_path / "a"), read(tmp_path / "b"), read(tmp_path / "c")
    for table in TABLES:
        assert a[table].equals(b[table]), table
        assert not a[table].equals(c[table]), table


def test_tables_do_not_depend_on_sibling_sizes(tmp_path):
    """Changing --transactions or --fraud-rate leaves customers, accounts, holders and trades
    unchanged; changing --joint-rate changes account_holders only."""
    run(tmp_path / "a", "--rows", "200")
    run(tmp_path / "b", "--rows", "200", "--transactions", "77", "--fraud-rate", "0.3")
    run(tmp_path / "c", "--rows", "200", "--joint-rate", "0.6")
    a, b, c = read(tmp_path / "a"), read(tmp_path / "b"), read(tmp_path / "c")
    for table in ("customers", "accounts", "account_holders", "trades"):
        assert a[table].equals(b[table]), table
    for table in ("customers", "accounts", "trades", "transactions"):
        assert a[table].equals(c[table]), table
    assert c["account_holders"].height > a["account_holders"].height


def test_a_failed_run_leaves_the_previous_table_intact(tmp_path, monkeypatch):
    run(tmp_path, "--rows", "30")
    before = pl.read_parquet(tmp_path / "transactions.parquet")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gen, "make_transactions", broken)
    with pytest.raises(RuntimeError):
        run(tmp_path, "--rows", "30", "--seed", "99")
    assert pl.read_parquet(tmp_path / "transactions.parquet").equals(before)
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_dry_run_writes_nothing(tmp_path, capsys):
    plan = run(tmp_path / "out", "--rows", "1000000", "--dry-run")
    assert not (tmp_path / "out").exists()
    printed = json.loads(capsys.readouterr().out)
    assert printed == plan
    assert {t: v["rows"] for t, v in plan["tables"].items()} == {
        "customers": 625_000, "accounts": 1_000_000, "account_holders": 1_159_300, "trades": 3_000_000,
        "transactions": 20_000_000}
    assert [t for t, v in plan["tables"].items() if v.get("estimated_rows")] == ["account_holders"]
    assert plan["estimated_bytes"] > 0


def test_notebook_kernel_argv_is_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "ipykernel", sys.modules.get("ipykernel") or object())
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel-123.json"])
    summary = gen.main()
    assert summary["tables"]["accounts"]["rows"] == gen.DEFAULT_ACCOUNTS
    assert (tmp_path / "output" / "financial" / "_manifest.json").is_file()


@pytest.mark.parametrize("locale", ["de", "ja", "ru"])
def test_other_locales_stay_valid(tmp_path, locale):
    run(tmp_path, "--rows", "200", "--locale", locale)
    assert validate.validate_directory(tmp_path).ok
    emails = read(tmp_path)["customers"]["email"]
    assert emails.str.contains(r"^[a-z0-9._-]+@example\.(com|net|org)$").all()


def test_uv_run_uses_the_pep723_header(tmp_path):
    if shutil.which("uv") is None:
        pytest.skip("uv is not installed")
    completed = subprocess.run(["uv", "run", str(SCRIPT), "--rows", "10", "--output", str(tmp_path)],
                               capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["tables"]["accounts"]["rows"] == 10
    assert validate.validate_directory(tmp_path).ok


# --- Bad input -----------------------------------------------------------------------------------

BAD_INPUT = [
    (["--rows", "0"], "at least 1"),
    (["--rows", "-5"], "at least 1"),
    (["--rows", "abc"], "whole number"),
    (["--seed", "abc"], "whole number"),
    (["--seed", "-1"], "0 or more"),
    (["--format", "xlsx"], "invalid choice"),
    (["--locale", "xx"], "unknown locale"),
    (["--fraud-rate", "1.5"], "between 0 and 1"),
    (["--transactions", "-1"], "0 or more"),
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
        run(Path("/proc/financial-output"))
    assert stopped.value.code == 2 and "cannot be written" in capsys.readouterr().err


@pytest.mark.parametrize("options", [["--rows", "abc"], ["--output", "__FILE__"]])
def test_bad_input_from_the_shell_has_no_traceback(tmp_path, options):
    occupied = tmp_path / "taken.txt"
    occupied.write_text("x")
    options = [str(occupied) if o == "__FILE__" else o for o in options]
    completed = subprocess.run([sys.executable, str(SCRIPT), *options], capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr and "error:" in completed.stderr
    assert completed.stdout == ""


# --- Contract and generator agree -----------------------------------------------------------------

def test_generator_schemas_match_the_contracts():
    types = {"bigint": pl.Int64, "smallint": pl.Int16, "string": pl.String, "boolean": pl.Boolean,
             "date": pl.Date, "timestamp": pl.Datetime("us", "UTC"),
             "decimal(18,2)": pl.Decimal(18, 2), "decimal(20,2)": pl.Decimal(20, 2)}
    schemas = {"customers": gen.CUSTOMERS_SCHEMA, "accounts": gen.ACCOUNTS_SCHEMA,
               "account_holders": gen.ACCOUNT_HOLDERS_SCHEMA, "trades": gen.TRADES_SCHEMA,
               "transactions": gen.TRANSACTIONS_SCHEMA}
    assert list(schemas) == list(gen.SCHEMAS) == list(gen.TABLES)
    for table, schema in schemas.items():
        contract = {c["name"]: types[c["type"]] for c in CONTRACTS[table]["columns"]}
        assert contract == schema, table


def test_contract_parameters_are_the_generators():
    assert hint("accounts", "type")["weights"] == list(gen.ACCOUNT_TYPE_WEIGHTS)
    assert hint("accounts", "status")["weights"] == list(gen.ACCOUNT_STATUS_WEIGHTS)
    assert hint("accounts", "risk_rating")["weights"] == list(gen.RISK_RATING_WEIGHTS)
    assert hint("accounts", "currency")["weights"] == list(gen.CURRENCY_WEIGHTS)
    assert hint("customers", "segment")["weights"] == list(gen.SEGMENT_WEIGHTS)
    assert hint("customers", "kyc_status")["weights"] == list(gen.KYC_WEIGHTS)
    gamma = hint("accounts", "balance")["distribution"]["parameters"]
    assert {k: (v["shape"], v["scale"]) for k, v in gamma.items()} == gen.BALANCE_GAMMA
    weights = hint("transactions", "type")["distribution"]["weights"]
    assert {k: tuple(v) for k, v in weights.items()} == gen.TXN_TYPE_WEIGHTS
    assert hint("transactions", "channel")["distribution"]["weights"] == gen.CHANNEL_WEIGHTS
    assert tuple(hint("transactions", "timestamp")["distribution"]["weights"]) == gen.HOUR_WEIGHTS_UTC
    assert hint("transactions", "is_fraud")["distribution"]["share_true"] == gen.DEFAULT_FRAUD_RATE
    amounts = hint("transactions", "amount")["distribution"]["parameters"]
    assert all((v["median"], v["sigma"]) == gen.TXN_AMOUNT_LOGNORMAL[k] for k, v in amounts.items())
    for table, ratio in (("customers", gen.CUSTOMERS_PER_ACCOUNT), ("trades", gen.TRADES_PER_ACCOUNT),
                         ("transactions", gen.TRANSACTIONS_PER_ACCOUNT)):
        assert CONTRACTS[table]["rows"]["ratio"] == ratio
    holders = CONTRACTS["account_holders"]["rows"]
    assert holders["ratio"] == round(gen.holders_per_account(gen.DEFAULT_JOINT_RATE), 4)
    assert holders["default"] == round(gen.DEFAULT_ACCOUNTS * gen.holders_per_account(gen.DEFAULT_JOINT_RATE))
    role = hint("account_holders", "holder_role")
    assert role["values"] == list(gen.HOLDER_ROLES)
    assert role["distribution"]["joint_rate"] == gen.DEFAULT_JOINT_RATE
    assert role["distribution"]["single_owner_types"] == list(gen.SINGLE_OWNER_TYPES)
    assert list(role["distribution"]["extra_holders_weights"].values()) == list(gen.EXTRA_HOLDER_WEIGHTS)
    assert role["distribution"]["extra_role_weights"] == dict(zip(gen.HOLDER_ROLES[1:], gen.EXTRA_ROLE_WEIGHTS))
    added = hint("account_holders", "added_date")["distribution"]
    assert added["added_at_opening_share"] == gen.ADDED_AT_OPENING_SHARE


# --- Date ordering ------------------------------------------------------------------------------

def test_dates_are_ordered(main_run):
    customers, accounts = main_run["customers"], main_run["accounts"]
    owned = accounts.join(customers.select("customer_id", "customer_since"), on="customer_id")
    assert (owned["opened_date"] >= owned["customer_since"]).all()
    # A customer's first account opens on customer_since, and every customer holds one.
    first = owned.group_by("customer_id").agg(pl.col("opened_date").min(), pl.col("customer_since").first())
    assert first.height == customers.height
    assert (first["opened_date"] == first["customer_since"]).all()
    # At least 18 at joining, at most 95 at the end of 2024.
    assert (customers["date_of_birth"].dt.offset_by("18y") <= customers["customer_since"]).all()
    assert (customers["date_of_birth"].dt.offset_by("95y") >= dt.date(2024, 12, 31)).all()
    for table in ("trades", "transactions"):
        events = main_run[table].join(accounts.select("account_id", "opened_date"), on="account_id")
        opened_at = events["opened_date"].cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        assert (events["timestamp"] >= opened_at).all(), table
        assert events["timestamp"].dt.year().unique().to_list() == [2024], table
    trades = main_run["trades"]
    assert (trades["settlement_date"] > trades["timestamp"].dt.date()).all()


# --- Customers ------------------------------------------------------------------------------------

def test_customer_weights_and_scores(account_run):
    customers = account_run["customers"]
    assert_shares(customers["segment"], dict(zip(gen.SEGMENTS, gen.SEGMENT_WEIGHTS)), "segment")
    assert_shares(customers["kyc_status"], dict(zip(gen.KYC_STATUSES, gen.KYC_WEIGHTS)), "kyc_status")
    n = customers.height
    # Normal(715, 70) clipped at 300/850: the median and IQR are untouched by the clip.
    # Median standard error 1.25 * sd / sqrt(n); IQR within 5%.
    score = customers["credit_score"].cast(pl.Float64)
    assert abs(score.median() - 715) <= 4 * 1.25 * 70 / math.sqrt(n) + 0.5
    assert abs((score.quantile(0.75) - score.quantile(0.25)) / (1.349 * 70) - 1) < 0.05
    assert score.min() >= 300 and score.max() <= 850
    # Age at joining: Normal(38, 13) years, median untouched by the 18-year floor.
    age = ((customers["customer_since"] - customers["date_of_birth"]).dt.total_days() / 365.25)
    assert abs(age.median() - 38) <= 4 * 1.25 * 13 / math.sqrt(n) + 0.01
    # customer_since uniform over 2005..2024: each five-year band holds a quarter.
    band = ((customers["customer_since"].dt.year() - 2005) // 5).cast(pl.String)
    assert_shares(band, {"0": 1, "1": 1, "2": 1, "3": 1}, "customer_since band")


def test_addresses_are_linked_and_identifiers_safe(account_run):
    customers = account_run["customers"]
    places = gen.us_places()
    linked = customers.join(places, on=["city", "state"], how="inner")
    linked = linked.filter(pl.col("postal_code").cast(pl.Int64).is_between("zip_low", "zip_high"))
    assert linked.select("customer_id").n_unique() == customers.height  # every address agrees with a real city
    assert customers["phone"].str.contains(r"^\([2-9][0-8][0-9]\) 555-01[0-9]{2}$").all()
    assert not customers["phone"].str.slice(2, 2).eq("11").any()
    assert customers["email"].is_unique().all()
    assert customers["email"].str.contains(r"@example\.(com|net|org)$").all()


# --- Accounts --------------------------------------------------------------------------------------

def test_account_weights(account_run):
    accounts = account_run["accounts"]
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
    values = np.maximum(values, 0.005)  # a balance that rounded to 0.00 cents
    s = math.log(values.mean()) - np.log(values).mean()
    shape = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(20):
        shape -= (math.log(shape) - digamma(shape) - s) / (1 / shape - trigamma(shape))
    return shape, values.mean() / shape


def test_gamma_fit_recovers_known_parameters():
    draws = np.random.default_rng(3).gamma(0.9, 15_000, 200_000)
    shape, scale = gamma_fit(draws)
    assert abs(shape / 0.9 - 1) < 0.01 and abs(scale / 15_000 - 1) < 0.015


def test_balances_are_gamma_per_type_scaled_by_segment(account_run):
    accounts = account_run["accounts"].join(account_run["customers"].select("customer_id", "segment"), on="customer_id")
    accounts = accounts.with_columns(balance=pl.col("balance").cast(pl.Float64))
    for kind, (shape, scale) in gen.BALANCE_GAMMA.items():
        balance = accounts.filter((pl.col("type") == kind) & (pl.col("segment") == "mass"))["balance"].to_numpy()
        n = balance.size
        shape_hat, scale_hat = gamma_fit(balance)
        # 4 sigma from the Fisher information of the Gamma: var(k) = k / (n (k psi'(k) - 1)),
        # var(scale) / scale^2 = psi'(k) / (n (k psi'(k) - 1)).
        information = n * (shape * trigamma(shape) - 1)
        assert abs(shape_hat - shape) <= 4 * math.sqrt(shape / information), (kind, shape_hat)
        assert abs(scale_hat / scale - 1) <= 4 * math.sqrt(trigamma(shape) / information), (kind, scale_hat)
        assert abs(balance.mean() / (shape * scale) - 1) <= 4 / math.sqrt(shape * n), kind
    # Segment multiplier: balance / (shape x scale of its type) averages to the multiplier (within 5%).
    means = {kind: shape * scale for kind, (shape, scale) in gen.BALANCE_GAMMA.items()}
    normalised = accounts.with_columns(ratio=pl.col("balance") / pl.col("type").replace_strict(means, return_dtype=pl.Float64))
    by_segment = dict(normalised.group_by("segment").agg(pl.col("ratio").mean()).iter_rows())
    for segment, multiplier in zip(gen.SEGMENTS, gen.SEGMENT_BALANCE_MULTIPLIER):
        assert abs(by_segment[segment] / multiplier - 1) < 0.05, segment


def test_accounts_per_customer_and_account_numbers(account_run):
    accounts, customers = account_run["accounts"], account_run["customers"]
    held = accounts.group_by("customer_id").len()
    assert held.height == customers.height  # every customer holds an account
    # 1 + Poisson(0.6) accounts: exactly one for exp(-0.6) = 54.9% of customers (4 sigma).
    p = math.exp(-0.6)
    assert abs((held["len"] == 1).mean() - p) <= four_sigma(p, held.height)

    def luhn_valid(number: str) -> bool:
        total = 0
        for position, char in enumerate(reversed(number)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        return total % 10 == 0

    numbers = accounts["account_number"]
    assert numbers.is_unique().all() and numbers.str.contains(r"^99[0-9]{10}$").all()
    assert all(luhn_valid(number) for number in numbers.head(20_000).to_list())


# --- Account holders: the N:M bridge ---------------------------------------------------------------

def poisson_pmf(k: int, mean: float) -> float:
    return math.exp(-mean) * mean**k / math.factorial(k)


def test_every_account_has_one_primary_holder_its_owner(account_run):
    accounts, holders = account_run["accounts"], account_run["account_holders"]
    primary = holders.filter(pl.col("holder_role") == "primary")
    assert primary.height == accounts.height and primary["account_id"].is_unique().all()
    owned = primary.join(accounts.select("account_id", pl.col("customer_id").alias("owner"), "opened_date"),
                         on="account_id")
    assert owned.height == accounts.height
    assert (owned["customer_id"] == owned["owner"]).all()
    assert (owned["added_date"] == owned["opened_date"]).all()
    # No customer twice on an account (the composite key), so an extra holder is never the owner.
    assert not holders.select("account_id", "customer_id").is_duplicated().any()
    # Rows come grouped by account, primary first.
    assert holders["account_id"].is_sorted()
    first = holders.group_by("account_id", maintain_order=True).agg(pl.col("holder_role").first())
    assert (first["holder_role"] == "primary").all()


def test_joint_share_extra_holders_and_roles(account_run):
    """Share of accounts with more than one holder = --joint-rate (0.15) among the accounts that may
    have several owners, none among retirement accounts; 1/2/3 extra holders 85/12/3; extra holders
    joint/authorized_user 75/25 (each within 4 binomial sigma)."""
    accounts, holders = account_run["accounts"], account_run["account_holders"]
    per_account = accounts.select("account_id", "type").join(holders.group_by("account_id").len(), on="account_id")
    assert per_account.height == accounts.height
    single_owner = per_account.filter(pl.col("type").is_in(gen.SINGLE_OWNER_TYPES))
    assert single_owner.height > 0 and (single_owner["len"] == 1).all()
    shareable = per_account.filter(~pl.col("type").is_in(gen.SINGLE_OWNER_TYPES))
    joint_share = (shareable["len"] > 1).mean()
    # measured 0.1518 (seed 11); extra holders 0.852/0.119/0.029, roles 0.751/0.249
    assert abs(joint_share - gen.DEFAULT_JOINT_RATE) <= four_sigma(gen.DEFAULT_JOINT_RATE, shareable.height), joint_share
    extra = shareable.filter(pl.col("len") > 1)["len"] - 1
    assert_shares(extra.cast(pl.String), {str(k + 1): w for k, w in enumerate(gen.EXTRA_HOLDER_WEIGHTS)}, "extra holders")
    roles = holders.filter(pl.col("holder_role") != "primary")["holder_role"]
    assert_shares(roles, dict(zip(gen.HOLDER_ROLES[1:], gen.EXTRA_ROLE_WEIGHTS)), "extra holder role")
    # Rows per account: 1 + 0.15 x 0.9 x 1.18 = 1.159 in expectation (4 sigma of the mean of ~0.5-sd counts).
    mean = holders.height / accounts.height
    assert abs(mean - gen.holders_per_account(gen.DEFAULT_JOINT_RATE)) < 4 * 0.5 / math.sqrt(accounts.height), mean


def test_accounts_per_customer_counting_every_role(account_run):
    """A customer owns 1 + Poisson(0.6) accounts and is an extra holder on about Poisson(E / N) more
    (E extra holder rows drawn uniformly over the N customers), so holds 1 + Poisson(0.6 + E / N)
    accounts in all: the shares of 1, 2, 3 and 4+ within 4 binomial sigma."""
    customers, holders = account_run["customers"], account_run["account_holders"]
    n = customers.height
    extra_rows = holders.filter(pl.col("holder_role") != "primary").height
    extras = customers.select("customer_id").join(
        holders.filter(pl.col("holder_role") != "primary").group_by("customer_id").len(), on="customer_id",
        how="left").fill_null(0)["len"]
    p_none = (1 - 1 / n) ** extra_rows  # uniform draws: a customer is missed by every one of them
    assert abs((extras == 0).mean() - p_none) <= four_sigma(p_none, n), (extras == 0).mean()
    held = holders.group_by("customer_id").len()["len"]
    assert held.len() == n and held.min() >= 1
    mean = 0.6 + extra_rows / n  # measured: 42.43% hold one account (Poisson 42.43%), 36.42% two (36.38%)
    for k in (1, 2, 3):
        p = poisson_pmf(k - 1, mean)
        assert abs((held == k).mean() - p) <= four_sigma(p, n), (k, (held == k).mean(), p)
    p = 1 - sum(poisson_pmf(k, mean) for k in range(3))
    assert abs((held >= 4).mean() - p) <= four_sigma(p, n), ((held >= 4).mean(), p)


def test_holders_are_added_after_the_account_opened_and_they_joined(account_run):
    accounts, customers, holders = account_run["accounts"], account_run["customers"], account_run["account_holders"]
    extra = (holders.filter(pl.col("holder_role") != "primary")
             .join(accounts.select("account_id", "opened_date"), on="account_id")
             .join(customers.select("customer_id", "customer_since"), on="customer_id"))
    earliest = pl.max_horizontal("opened_date", "customer_since")
    extra = extra.with_columns(earliest=earliest)
    assert (extra["added_date"] >= extra["earliest"]).all()
    assert (extra["added_date"] <= dt.date(2024, 12, 31)).all()
    # 60% on the earliest day; the other 40% uniform from it to 2024-12-31, which hits that day with
    # probability 1 / (days in the span). 4 binomial sigma.
    span = (pl.lit(dt.date(2024, 12, 31)) - pl.col("earliest")).dt.total_days() + 1
    expected = gen.ADDED_AT_OPENING_SHARE + (1 - gen.ADDED_AT_OPENING_SHARE) * extra.select((1 / span).mean()).item()
    on_earliest = (extra["added_date"] == extra["earliest"]).mean()
    assert abs(on_earliest - expected) <= four_sigma(expected, extra.height), (on_earliest, expected)
    # Later additions spread over the span: their mean position is half way (uniform; 4 sigma of
    # a uniform's mean, sd 1/sqrt(12)).
    later = extra.filter(pl.col("added_date") > pl.col("earliest")).with_columns(
        position=(pl.col("added_date") - pl.col("earliest")).dt.total_days() / span)
    assert abs(later["position"].mean() - 0.5) < 4 / math.sqrt(12 * later.height) + 0.01


@pytest.mark.parametrize("joint_rate", ["0", "0.5", "1"])
def test_joint_rate_sets_the_share_of_joint_accounts(tmp_path, joint_rate):
    run(tmp_path, "--rows", "3000", "--joint-rate", joint_rate, "--trades", "0", "--transactions", "0")
    assert validate.validate_directory(tmp_path).ok
    frames = read(tmp_path)
    per_account = frames["accounts"].select("account_id", "type").join(
        frames["account_holders"].group_by("account_id").len(), on="account_id")
    shareable = per_account.filter(~pl.col("type").is_in(gen.SINGLE_OWNER_TYPES))
    rate_ = float(joint_rate)
    assert abs((shareable["len"] > 1).mean() - rate_) <= four_sigma(rate_, shareable.height) + 1e-12
    assert (per_account.filter(pl.col("type").is_in(gen.SINGLE_OWNER_TYPES))["len"] == 1).all()


def test_too_few_customers_for_extra_holders(tmp_path):
    """One customer: nobody else to add. Two customers: every joint account gets the other one."""
    run(tmp_path / "one", "--rows", "20", "--customers", "1", "--joint-rate", "1")
    assert validate.validate_directory(tmp_path / "one").ok
    assert read(tmp_path / "one")["account_holders"].height == 20
    run(tmp_path / "two", "--rows", "40", "--customers", "2", "--joint-rate", "1")
    assert validate.validate_directory(tmp_path / "two").ok
    frames = read(tmp_path / "two")
    shareable = frames["accounts"].filter(~pl.col("type").is_in(gen.SINGLE_OWNER_TYPES)).height
    assert frames["account_holders"].height == 40 + shareable


def test_small_chunks_keep_holder_keys_unique(tmp_path, monkeypatch):
    """Chunks of 997 accounts: holders are drawn per chunk of accounts, and keys stay unique across
    the chunk boundaries; every account keeps one primary holder."""
    original = gen.chunk_bounds
    monkeypatch.setattr(gen, "chunk_bounds", lambda rows, chunk_rows=997: original(rows, min(chunk_rows, 997)))
    run(tmp_path, "--rows", "5000", "--joint-rate", "0.5", "--trades", "0", "--transactions", "0")
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    holders = read(tmp_path)["account_holders"]
    assert not holders.select("account_id", "customer_id").is_duplicated().any()
    assert holders["account_id"].is_sorted() and holders["account_id"].n_unique() == 5000
    assert (holders["holder_role"] == "primary").sum() == 5000
    assert holders.height > 5000 * 1.3  # 1 + 0.5 x 0.9 x 1.18 = 1.53 per account


# --- Trades ---------------------------------------------------------------------------------------

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


def test_trade_identifiers_and_arithmetic(main_run):
    trades, accounts = main_run["trades"], main_run["accounts"]
    securities = trades.select("symbol", "isin", "exchange").unique()
    assert securities["symbol"].is_unique().all() and securities["isin"].is_unique().all()  # 1:1, one exchange each
    assert all(iso6166_valid(isin) and cusip_valid(isin[2:11]) for isin in securities["isin"])
    # notional = quantity x price exactly (decimal arithmetic, no rounding).
    exact = trades.select(ok=(pl.col("quantity").cast(pl.Decimal(38, 0)) * pl.col("price")) == pl.col("notional"))
    assert exact["ok"].all()
    assert (trades["quantity"] >= 1).all()
    kinds = trades.join(accounts.select("account_id", "type"), on="account_id")["type"].unique().to_list()
    assert set(kinds) <= set(gen.INVESTMENT_TYPES)
    assert_shares(trades["side"], dict(zip(gen.SIDES, gen.SIDE_WEIGHTS)), "side")


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
    # Base price lognormal(median 45, sigma 1): per-symbol mean log price has mean ln 45 and sd ~1
    # (the walk adds ~0.03 to the variance); 4 sigma over the symbols traded.
    levels = trades.group_by("symbol").agg(pl.col("log_price").median())["log_price"]
    k = levels.len()
    assert abs(levels.mean() - math.log(45)) <= 4 / math.sqrt(k)
    assert abs(levels.std() - 1.0) <= 4 / math.sqrt(2 * k) + 0.03
    # Small noise within a day: 0.3% lognormal around the day's level (sd within 15%, none over 2%).
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


# --- Transactions ---------------------------------------------------------------------------------

def test_transaction_types_follow_the_account_type(main_run):
    account_types = main_run["accounts"].select("account_id", pl.col("type").alias("account_type"))
    txns = main_run["transactions"].join(account_types, on="account_id")
    for account_type, weights in gen.TXN_TYPE_WEIGHTS.items():
        subset = txns.filter(pl.col("account_type") == account_type)["type"]
        assert_shares(subset, dict(zip(gen.TXN_TYPES, weights)), f"{account_type} transactions")


def test_channels_signs_and_amounts(main_run):
    txns = main_run["transactions"].with_columns(value=pl.col("amount").cast(pl.Float64))
    for kind, weights in gen.CHANNEL_WEIGHTS.items():
        assert_shares(txns.filter(pl.col("type") == kind)["channel"], weights, f"{kind} channel")
    assert (txns["value"] != 0).all()
    assert ((txns["direction"] == "credit") == (txns["value"] > 0)).all()
    credit = {"deposit", "interest", "dividend"}
    debit = {"withdrawal", "payment", "fee"}
    assert (txns.filter(pl.col("type").is_in(credit))["direction"] == "credit").all()
    assert (txns.filter(pl.col("type").is_in(debit))["direction"] == "debit").all()
    transfers = txns.filter(pl.col("type") == "transfer")
    assert abs((transfers["direction"] == "credit").mean() - 0.5) <= four_sigma(0.5, transfers.height)
    honest = txns.filter(~pl.col("is_fraud"))
    for kind in ("deposit", "transfer", "payment", "interest", "dividend"):
        median, sigma = gen.TXN_AMOUNT_LOGNORMAL[kind]
        logs = honest.filter(pl.col("type") == kind)["value"].abs().log()
        n = logs.len()
        # Lognormal: median within 4 x 1.25 sigma / sqrt(n) in log space, log-sd within 4 x sigma / sqrt(2n)
        # (plus the cent rounding of tiny interest amounts).
        assert abs(logs.median() - math.log(median)) <= 4 * 1.25 * sigma / math.sqrt(n), kind
        assert abs(logs.std() - sigma) <= 4 * sigma / math.sqrt(2 * n) + 0.01, kind
    cents = (txns.filter(pl.col("type") == "withdrawal")["value"].abs() * 100).round().cast(pl.Int64)
    assert (cents % 2000 == 0).all()
    fees = txns.filter(pl.col("type") == "fee")["value"].abs()
    assert_shares((fees * 100).round().cast(pl.Int64).cast(pl.String),
                  {str(c): w for c, w in zip(gen.FEE_SCHEDULE_CENTS, gen.FEE_WEIGHTS)}, "fee schedule")


def test_timestamps_by_hour_and_system_postings(main_run):
    txns = main_run["transactions"]
    customer = txns.filter(pl.col("type").is_in(["deposit", "withdrawal", "transfer", "payment"]))
    hours = customer["timestamp"].dt.hour().cast(pl.String)
    assert_shares(hours, {str(h): w for h, w in enumerate(gen.HOUR_WEIGHTS_UTC)}, "UTC hour")
    system = txns.filter(pl.col("type").is_in(["fee", "interest", "dividend"]))
    assert (system["timestamp"].dt.time() == dt.time(6, 0)).all()
    month_end = txns.filter(pl.col("type").is_in(["fee", "interest"]))["timestamp"].dt.date()
    assert (month_end == month_end.dt.month_end()).all()


def test_counterparties_and_test_bics(main_run):
    txns = main_run["transactions"]
    wire = txns["channel"] == "wire"
    assert (txns["counterparty_bic"].is_not_null() == wire).all()
    assert (txns["counterparty_bank"].is_not_null() == wire).all()
    bics = txns.filter(wire).select("counterparty_bank", "counterparty_bic").unique()
    assert bics["counterparty_bank"].is_unique().all() and bics["counterparty_bic"].is_unique().all()
    assert bics["counterparty_bic"].str.contains(r"^[A-Z]{4}US[A-Z2-9]0$").all()
    assert (bics["counterparty_bic"].str.slice(7, 1) == "0").all()  # ISO 9362 test BIC
    named = txns.filter(
        (pl.col("type").is_in(["payment", "transfer", "dividend"]))
        | ((pl.col("type") == "deposit") & pl.col("channel").is_in(["ach", "mobile"])))
    assert named["counterparty"].null_count() == 0
    assert txns.join(named, on="txn_id", how="anti")["counterparty"].null_count() == txns.height - named.height


def test_fraud_rate_and_fraud_amounts(main_run, tmp_path):
    txns = main_run["transactions"]
    eligible = txns.filter(pl.col("type").is_in(["deposit", "withdrawal", "transfer", "payment"]))
    assert abs(eligible["is_fraud"].mean() - 0.002) <= four_sigma(0.002, eligible.height)
    assert not txns.filter(pl.col("type").is_in(["fee", "interest", "dividend"]))["is_fraud"].any()
    run(tmp_path, "--rows", "2000", "--fraud-rate", "0.05", "--trades", "0")
    txns = read(tmp_path)["transactions"].with_columns(value=pl.col("amount").cast(pl.Float64).abs())
    eligible = txns.filter(pl.col("type").is_in(["deposit", "withdrawal", "transfer", "payment"]))
    assert abs(eligible["is_fraud"].mean() - 0.05) <= four_sigma(0.05, eligible.height)
    payments = txns.filter(pl.col("type") == "payment")
    ratio = payments.filter(pl.col("is_fraud"))["value"].median() / payments.filter(~pl.col("is_fraud"))["value"].median()
    assert 3 / 1.25 < ratio < 3 * 1.25  # 3x amounts; 4 sigma of a median of ~700 lognormal values


def test_activity_per_account_is_heavy_tailed(main_run):
    """Pareto(1.5) activity: the top tenth of accounts carries ~46% of the transactions of accounts
    open and active all year (Poisson counting noise dilutes it a little: accept 0.40..0.52; equal
    activity would give ~0.15). Dormant accounts get 2% of the activity (measured: under 10%)."""
    accounts, txns = main_run["accounts"], main_run["transactions"]
    counts = accounts.filter(pl.col("opened_date") < dt.date(2024, 1, 1)).join(
        txns.group_by("account_id").len(), on="account_id", how="left").fill_null(0)
    active = counts.filter(pl.col("status") == "active")["len"].sort(descending=True)
    top_share = active.head(active.len() // 10).sum() / active.sum()
    assert 0.40 <= top_share <= 0.52, top_share
    dormant = counts.filter(pl.col("status") == "dormant")["len"]
    assert dormant.mean() / active.mean() < 0.1


@pytest.mark.slow
def test_ten_million_transactions_stream_in_bounded_memory(tmp_path):
    """One table of 10M rows is generated and written in chunks: peak memory is nearly the same as
    for 4M rows (measured ~560 MiB from 2M to 20M rows; allow 200 MiB of allocator noise) and
    under 800 MiB, while the finished table alone would take ~0.7 GiB as one Polars frame."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")

    def peak_mib(transactions: int) -> float:
        directory = tmp_path / str(transactions)
        completed = subprocess.run([sys.executable, "-c", probe, sys.executable, str(SCRIPT), "--rows", "100000",
                                    "--trades", "0", "--transactions", str(transactions), "--output", str(directory)],
                                   capture_output=True, text=True, check=True)
        rows = pl.scan_parquet(directory / "transactions.parquet").select(pl.len()).collect().item()
        assert rows == transactions
        return int(completed.stdout) / 1024

    small, large = peak_mib(4_000_000), peak_mib(10_000_000)
    assert large - small < 200 and large < 800, f"peak {small:.0f} MiB at 4M rows, {large:.0f} MiB at 10M rows"


# --- Date window, seasonality and data-quality injection -------------------------------------------
seasonality = load_script("utils/seasonality.py")
CAMPAIGN = ("2024-06-03", "2024-06-14", 2.5)
SYSTEM_POSTED = ("fee", "interest")  # moved to the month's last day: left out of per-day measures


@pytest.mark.parametrize("year,holidays,early", [
    (2022, ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05",
            "2022-11-24", "2022-12-26"], ["2022-11-25"]),
    (2023, ["2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19", "2023-07-04",
            "2023-09-04", "2023-11-23", "2023-12-25"], ["2023-07-03", "2023-11-24"]),
    (2024, NYSE_HOLIDAYS_2024[:-1], [str(d) for d in EARLY_CLOSES_2024]),
    (2025, ["2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19",
            "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"], ["2025-07-03", "2025-11-28", "2025-12-24"]),
])
def test_nyse_calendar_rules_give_the_published_closures(year, holidays, early):
    # Published NYSE holiday and early-close lists, typed here; 2025-01-09 is a one-off closure.
    closed, short = gen.nyse_closures(year, year)
    assert [str(d) for d in closed] == holidays
    assert [str(d) for d in short] == early


def daily(transactions: pl.DataFrame, first: str = "2024-01-01", days: int = 366) -> np.ndarray:
    offset = (transactions["timestamp"].dt.date() - dt.date.fromisoformat(first)).dt.total_days().to_numpy()
    return np.bincount(offset, minlength=days)


@pytest.fixture(scope="module")
def seasonal_run(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """main_run again (same seed and sizes) with the financial preset and a two-week campaign."""
    directory = tmp_path_factory.mktemp("financial_seasonal")
    run(directory, "--rows", "20000", "--seed", "7", "--seasonality", "financial",
        "--campaign", f"promo={CAMPAIGN[0]}:{CAMPAIGN[1]}:{CAMPAIGN[2]:g}")
    return read(directory)


def test_seasonality_shapes_transaction_and_trade_days(main_run, seasonal_run):
    # Without seasonality a day's volume follows the accounts open by then; with it, that base x
    # the day's weight. So any set of days should hold its flat-run volume weighted by the
    # configured weights (per-day measures leave out fees and interest, posted on month ends).
    monthly, weekday, _ = seasonality.SEASONALITY_PRESETS["financial"]
    campaign = (seasonality.Campaign("promo", dt.date.fromisoformat(CAMPAIGN[0]), dt.date.fromisoformat(CAMPAIGN[1]), CAMPAIGN[2]),)
    weights = seasonality.day_weights(dt.date(2024, 1, 1), dt.date(2024, 12, 31), monthly, weekday, campaign)
    plain_weights = seasonality.day_weights(dt.date(2024, 1, 1), dt.date(2024, 12, 31), monthly, weekday)
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2025-01-01"))
    nov_dec = days.astype("datetime64[M]").astype(int) % 12 >= 10
    weekend = (days.astype(int) + 3) % 7 >= 5
    in_campaign = (days >= np.datetime64(CAMPAIGN[0])) & (days <= np.datetime64(CAMPAIGN[1]))
    customer = pl.col("type").is_in(SYSTEM_POSTED).not_()
    flat = daily(main_run["transactions"].filter(customer))
    season = daily(seasonal_run["transactions"].filter(customer))

    share = season[nov_dec].sum() / season.sum()
    expected = (flat * weights)[nov_dec].sum() / (flat * weights).sum()
    assert abs(share - expected) < 0.01, (share, expected)  # measured 0.1799, expected 0.1798
    ratio = season[weekend & ~in_campaign].mean() / season[~weekend & ~in_campaign].mean()
    expected_ratio = (flat * weights)[weekend & ~in_campaign].mean() / (flat * weights)[~weekend & ~in_campaign].mean()
    assert abs(ratio / expected_ratio - 1) < 0.03, (ratio, expected_ratio)  # 0.4865 vs 0.4864: weekends half as busy
    baseline = flat * plain_weights
    june = (days.astype("datetime64[M]") == np.datetime64("2024-06")) & ~in_campaign
    lift = (season[in_campaign].sum() / baseline[in_campaign].sum()) / (season[june].sum() / baseline[june].sum())
    # Four standard errors of the ratio of four counts (6% here).
    error = math.sqrt(sum(1 / counts[days].sum() for counts in (season, flat) for days in (in_campaign, june)))
    assert abs(lift / CAMPAIGN[2] - 1) < 4 * error, lift  # measured 2.47
    # Trades: the same weights over NYSE sessions only.
    flat_trades, season_trades = daily(main_run["trades"]), daily(seasonal_run["trades"])
    trade_share = season_trades[nov_dec].sum() / season_trades.sum()
    trade_expected = (flat_trades * weights)[nov_dec].sum() / (flat_trades * weights).sum()
    assert abs(trade_share - trade_expected) < 0.015, (trade_share, trade_expected)  # measured 0.1771, expected 0.1775


def test_seasonality_keeps_events_after_opening_and_trades_on_sessions(seasonal_run):
    accounts = seasonal_run["accounts"].select("account_id", "opened_date")
    for table in ("trades", "transactions"):
        joined = seasonal_run[table].join(accounts, on="account_id")
        assert (joined["timestamp"].dt.date() >= joined["opened_date"]).all(), table
    local = seasonal_run["trades"]["timestamp"].dt.convert_time_zone("America/New_York").dt.date()
    assert (local.dt.weekday() <= 5).all()
    assert not local.is_in([dt.date.fromisoformat(d) for d in NYSE_HOLIDAYS_2024]).any()


def test_custom_window_builds_its_own_market_calendar(tmp_path):
    run(tmp_path, "--rows", "1000", "--start", "2023-03-01", "--end", "2023-05-31")
    frames = read(tmp_path)
    trades = frames["trades"]
    local = trades["timestamp"].dt.convert_time_zone("America/New_York").dt.date()
    assert local.min() >= dt.date(2023, 3, 1) and local.max() <= dt.date(2023, 5, 31)
    assert not local.is_in([dt.date(2023, 4, 7)]).any()  # Good Friday 2023
    # T+2 in 2023 (T+1 began in May 2024): two business days, skipping Good Friday.
    settle = np.busday_offset(local.to_numpy().astype("datetime64[D]"), 2, holidays=["2023-04-07", "2023-05-29"])
    assert (trades["settlement_date"].to_numpy().astype("datetime64[D]") == settle).all()
    timestamps = frames["transactions"]["timestamp"]
    assert timestamps.min() >= dt.datetime(2023, 3, 1, tzinfo=dt.timezone.utc)
    assert timestamps.max() < dt.datetime(2023, 6, 1, tzinfo=dt.timezone.utc)
    assert frames["customers"]["customer_since"].is_between(dt.date(2004, 3, 1), dt.date(2023, 5, 31)).all()
    assert frames["accounts"]["opened_date"].max() <= dt.date(2023, 5, 31)
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    assert {f.table for f in result.notes if f.check == "window"} == set(TABLES)


def test_window_without_a_trading_day_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(tmp_path, "--start", "2024-12-25", "--end", "2024-12-25")
    assert "has no NYSE trading day" in capsys.readouterr().err
    run(tmp_path, "--rows", "10", "--start", "2024-12-25", "--end", "2024-12-25", "--trades", "0")
    assert read(tmp_path)["transactions"]["timestamp"].dt.date().unique().to_list() == [dt.date(2024, 12, 25)]


def test_default_window_bounds_are_the_contracts():
    calendar = gen.build_calendar(seasonality.Season(gen.DEFAULT_START, gen.DEFAULT_END))
    for key, bound in calendar.bounds().items():
        table, column = key.split(".")
        assert (hint(table, column)["min"], hint(table, column)["max"]) == (bound["min"], bound["max"]), key


def test_key_columns_are_the_contracts_keys():
    for table, contract in CONTRACTS.items():
        keys = set(contract["primary_key"]) | {c for fk in contract["foreign_keys"] for c in fk["columns"]}
        assert set(gen.KEY_COLUMNS[table]) == keys, table


def test_injected_rates_and_the_validators_notes(tmp_path):
    summary = run(tmp_path, "--rows", "3000", "--inject-nulls", "transactions.channel=0.05", "--duplicate-rate", "0.02",
                  "--late-rate", "0.03")
    frames = read(tmp_path)
    transactions, trades = frames["transactions"], frames["trades"]
    n = transactions.height  # 61,224: 60,000 planned plus the copies
    assert abs(transactions["channel"].null_count() / n - 0.05) < four_sigma(0.05, n)  # measured 0.0492
    for table in ("trades", "transactions"):
        copies = frames[table].height - frames[table].unique().height
        assert abs(copies / frames[table].height - 0.02) < four_sigma(0.02, frames[table].height), table  # measured 0.0199, 0.0200
        assert summary["tables"][table]["duplicate_rows"] == copies
    late = transactions["timestamp"] >= dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert abs(late.mean() - 0.03) < four_sigma(0.03, n)  # measured 0.0303
    late_trades = trades.filter(pl.col("timestamp") >= dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    assert abs(late_trades.height / trades.height - 0.03) < four_sigma(0.03, trades.height)  # measured 0.0274
    # A late trade's settlement date moved with it: still on or after the trade's day.
    assert (late_trades["settlement_date"] >= late_trades["timestamp"].dt.date()).all()
    result = validate.validate_directory(tmp_path)
    assert result.ok, str(result)
    notes = {(f.table, f.column, f.check): f.message for f in result.notes}
    assert "injected by --inject-nulls (configured 5%" in notes[("transactions", "channel", "nullable")]
    assert "injected by --duplicate-rate (configured 2%" in notes[("trades", "trade_id", "pk")]
    assert "injected by --duplicate-rate (configured 2%" in notes[("transactions", "txn_id", "pk")]
    assert "injected by --late-rate (configured 3%" in notes[("transactions", "timestamp", "max")]
    assert "injected by --late-rate (configured 3%" in notes[("trades", "timestamp", "max")]


@pytest.mark.parametrize("options,message", [
    (["--inject-nulls", "accounts.customer_id=0.1"], "customer_id is a key column"),
    (["--inject-nulls", "ledger.amount=0.1"], "tables: customers, accounts, account_holders, trades, transactions"),
    (["--inject-nulls", "account_holders.customer_id=0.1"], "customer_id is a key column"),
    (["--joint-rate", "1.5"], "between 0 and 1"),
    (["--start", "1999-01-01"], "hold from 2001 on"),
])
def test_bad_quality_and_window_flags_are_clear_errors(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as stopped:
        run(tmp_path, *options)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
