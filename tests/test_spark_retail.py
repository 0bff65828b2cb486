"""Retail Spark generator (scripts/generators/retail.py): contracts, integrity, realism, output.

Runs on real local Spark (classic local[2]) and over a local Spark Connect server, both started by
the fixtures in tests/conftest_spark.py. Realism is measured on one classic run of 10,000
customers (5,000 products, 100,000 transactions, ~300,000 line items) read back with Polars, the
same measures as tests/test_polars_retail.py, each against the configured value with the
tolerance stated next to it (about 3 standard errors of the sample unless said otherwise; the
seed is fixed, so the figures are deterministic).
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import SCHEMAS, SCRIPTS, load_script
from spark_support import load_spark_script

retail = load_spark_script("generators/retail.py")  # by value: Tier 3's Mimesis UDF runs in workers
SCRIPT = SCRIPTS / "generators" / "retail.py"
TABLES = ("stores", "customers", "products", "inventory", "transactions", "line_items")
PRIMARY_KEYS = {
    "stores": ["store_id"],
    "customers": ["customer_id"],
    "products": ["product_id"],
    "inventory": ["product_id", "store_id"],
    "transactions": ["txn_id"],
    "line_items": ["line_item_id"],
}
FOREIGN_KEYS = [  # (child, column, parent, column)
    ("inventory", "product_id", "products", "product_id"),
    ("inventory", "store_id", "stores", "store_id"),
    ("transactions", "customer_id", "customers", "customer_id"),
    ("transactions", "product_id", "products", "product_id"),
    ("transactions", "store_id", "stores", "store_id"),
    ("line_items", "txn_id", "transactions", "txn_id"),
    ("line_items", "product_id", "products", "product_id"),
]
ENTITY = {"stores": "store", "customers": "customer", "products": "product", "inventory": "inventory",
          "transactions": "transaction", "line_items": "line_item"}


def phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def arguments(*argv: str):
    parser = retail.build_parser()
    return retail.checked_arguments(parser, list(argv)), parser


def generate(spark, directory: Path, *argv: str) -> dict:
    """What main() does after opening the session, on the fixture's session."""
    args, parser = arguments("--output", str(directory), *argv)
    return retail.run(spark, args, parser)


def read_all(directory: Path) -> dict[str, pl.DataFrame]:
    return {table: pl.read_parquet(directory / table / "*.parquet") for table in TABLES}


def sorted_frames(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {table: frame.sort(PRIMARY_KEYS[table]) for table, frame in frames.items()}


def validate(directory: Path):
    return load_script("utils/validate.py").validate_directory(directory, industry="retail")


def integrity_problems(frames: dict[str, pl.DataFrame]) -> list[str]:
    """Duplicate primary keys and foreign-key orphans, counted here independently of validate.py."""
    problems = []
    for table, key in PRIMARY_KEYS.items():
        duplicates = frames[table].height - frames[table].select(key).unique().height
        if duplicates:
            problems.append(f"{table}: {duplicates} duplicate {key}")
    for child, column, parent, parent_column in FOREIGN_KEYS:
        orphans = frames[child].join(frames[parent].select(pl.col(parent_column).alias(column)), on=column, how="anti").height
        if orphans:
            problems.append(f"{child}.{column}: {orphans} orphans")
    return problems


def basket_problems(frames: dict[str, pl.DataFrame]) -> list[str]:
    """Totals that must add up exactly: amount, line and unit counts, first product, line ids."""
    lines, transactions = frames["line_items"], frames["transactions"]
    totals = lines.group_by("txn_id").agg(pl.col("line_total").sum().alias("total"), pl.len().alias("lines"),
                                          pl.col("quantity").sum().alias("units"))
    first = lines.filter(pl.col("line_number") == 1).select("txn_id", pl.col("product_id").alias("first_product"))
    checked = transactions.join(totals, on="txn_id", how="left").join(first, on="txn_id", how="left")
    problems = []
    for name, condition in [("amount != sum(line_total)", pl.col("amount") != pl.col("total")),
                            ("line_count != lines", pl.col("line_count") != pl.col("lines")),
                            ("item_count != units", pl.col("item_count") != pl.col("units")),
                            ("product_id != first line's", pl.col("product_id") != pl.col("first_product")),
                            ("no lines", pl.col("total").is_null())]:
        if count := checked.filter(condition).height:
            problems.append(f"{count} transactions: {name}")
    if lines["line_item_id"].sort().to_list() != list(range(1, lines.height + 1)):
        problems.append("line_item_id is not 1..n")
    ordered = lines.sort("line_item_id")
    if not (ordered["txn_id"].is_sorted() and transactions["txn_id"].sort().to_list() == list(range(1, transactions.height + 1))):
        problems.append("ids are not in transaction order")
    return problems


# ---------------------------------------------------------------------------------------------
# The file itself: notebook format, inlined copies, contracts (no Spark)
# ---------------------------------------------------------------------------------------------
def test_parses_as_a_databricks_notebook_and_every_cell_compiles() -> None:
    source = SCRIPT.read_text()
    assert source.startswith("# Databricks notebook source\n")
    cells = source.split("\n# COMMAND ----------\n")
    assert len(cells) >= 8
    first = cells[0].splitlines()[1:]
    assert first and all(line.startswith("# MAGIC") for line in first if line.strip())
    assert first[0] == "# MAGIC %md"
    assert cells[1].strip() == "# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0"
    for number, cell in enumerate(cells):
        # As Databricks runs a cell: MAGIC lines are magics, the rest is Python.
        code = "\n".join("" if line.startswith("# MAGIC") else line for line in cell.splitlines())
        compile(code, f"cell {number}", "exec")
    assert "def main(" in cells[-1] and 'if __name__ == "__main__":' in cells[-1]
    assert not source.startswith("# /// script") and "/// script" not in source  # no PEP 723 header


def top_level_definitions(path: Path) -> dict[str, str]:
    source = path.read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    return found


@pytest.mark.parametrize("pattern, names", [
    ("utils/spark_session.py", ["LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND", "get_spark", "column_seed"]),
    ("utils/us_places.py", ["US_CENSUS_REGIONS", "US_PLACES"]),
    ("utils/mimesis_text.py", ["SAFE_DEFAULTS", "_provider_class", "_row_seed", "mimesis_text"]),
    ("utils/output.py", ["TOOL", "MARKER", "MODES", "SYNTHETIC_NOTE", "MAX_NAME_LENGTH", "UC_FORBIDDEN", "TOOL_FORBIDDEN",
                         "check_identifier", "quote_identifier", "qualified_name", "OutputError", "sql_string",
                         "contract_mismatches", "table_properties", "created_by_this_tool", "write_table"]),
    ("utils/uc_setup.py", ["COMMENT", "provisioning_statements", "catalog_exists"]),
])
def test_inlined_copies_are_verbatim(pattern: str, names: list[str]) -> None:
    shared, copied = top_level_definitions(SCRIPTS / pattern), top_level_definitions(SCRIPT)
    assert {name: copied.get(name) for name in names} == {name: shared[name] for name in names}


def test_embedded_contracts_equal_the_json_contracts() -> None:
    """The notebook carries the contracts (column order, types, comments) for Unity Catalog."""
    assert list(retail.CONTRACTS) == list(TABLES)
    assert sorted(retail.WRITE_ORDER) == sorted(TABLES)
    for table in TABLES:
        contract = json.loads((SCHEMAS / f"retail_{ENTITY[table]}.json").read_text())
        description, columns = retail.CONTRACTS[table]
        assert description == contract["description"]
        assert columns == [(c["name"], c["type"], c["nullable"], c["description"]) for c in contract["columns"]]


def test_alias_table_reproduces_the_place_weights_exactly() -> None:
    places = retail.us_place_columns()
    probability, alias = retail.alias_table(places["weight"])
    n, total = len(probability), sum(places["weight"])
    mass = [Fraction(0)] * n
    for slot in range(n):
        kept = Fraction(probability[slot])  # the float the SQL compares against
        mass[slot] += kept / n
        mass[alias[slot]] += (1 - kept) / n
    worst = max(abs(float(mass[i] - Fraction(w, total))) for i, w in enumerate(places["weight"]))
    assert worst < 1e-15
    assert len(places["city"]) == 305 and len(set(places["state"])) == 51


def test_poisson_table_and_sql_helpers() -> None:
    cdf = retail.poisson_inverse_cdf("u", 2.0)
    values = [float(v) for v in cdf.split("array(")[1].split(")")[0].split(", ")]
    assert abs(values[0] - math.exp(-2)) < 1e-15 and values == sorted(values) and 1 - values[-1] < 1e-14
    assert retail.poisson_inverse_cdf("u", 0.0) == "0"
    assert retail.sql_string("Children's \\ books") == "'Children\\'s \\\\ books'"
    assert retail.weighted_index("u", [50, 30, 15, 5]) == "(CASE WHEN u * 100 < 50 THEN 0 WHEN u * 100 < 80 THEN 1 WHEN u * 100 < 95 THEN 2 ELSE 3 END)"
    with pytest.raises(ValueError):
        retail.sql_pick(["a\x1fb"], "i")


# ---------------------------------------------------------------------------------------------
# Command line: clear errors without Spark, dry run, help, notebook widgets
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["--rows", "10"], "say where to write"),
    (["--catalog", "main"], "--catalog and --schema go together"),
    (["--schema", "demo", "--output", "x"], "--catalog and --schema go together"),
    (["--catalog", "main", "--schema", "demo", "--output", "x"], "choose one destination"),
    (["--output", "x", "--rows", "0"], "must be at least 1"),
    (["--output", "x", "--seed", "-1"], "must be 0 or more"),
    (["--output", "x", "--lines-per-transaction", "0.5"], "between 1 and 100"),
    (["--output", "x", "--customer-skew", "-1"], "between 0 and 4"),
    (["--output", "x", "--local", "--profile", "dev"], "--profile applies to Databricks Connect only"),
    (["--output", "x", "--local", "--remote", "sc://h:1"], "not allowed with argument"),
    (["--output", "x", "--locale", "xx"], "is not a Mimesis locale"),
    (["--output", "x", "--format", "xml"], "invalid choice: 'xml'"),
    (["--output", "x", "--tier", "4"], "invalid choice: 4"),
    (["--catalog", "main", "--schema", "x`; DROP TABLE y"], "schema name 'x`; DROP TABLE y' contains a backtick"),
    (["--catalog", "my.catalog", "--schema", "s"], "contains a period"),
])
def test_bad_arguments_stop_with_a_usage_error(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        retail.main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_dry_run_plans_without_spark(capsys) -> None:
    report = retail.main(["--rows", "250000", "--dry-run"])
    assert json.loads(capsys.readouterr().out) == report
    rows = {table: entry["rows"] for table, entry in report["tables"].items()}
    assert rows == {"stores": 5, "customers": 250_000, "products": 25_000, "inventory": 125_000,
                    "transactions": 2_500_000, "line_items": 7_500_000}
    assert report["tables"]["line_items"]["estimated"] and report["tier"] == 2 and report["format"] == "parquet"
    args, _ = arguments("--catalog", "c", "--schema", "s", "--rows", "100000000", "--stores", "7")
    assert retail.plan_sizes(args)["stores"] == 7 and args.format == "delta"
    assert retail.plan_sizes(arguments("--output", "x", "--rows", "100000000")[0])["stores"] == 50


def test_help_documents_the_ratios_and_destinations(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        retail.main(["--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ["products = rows/10", "transactions = 10 x rows", "inventory = products x stores",
                   "about 3 per transaction", "--catalog", "--schema", "--output", "--mode", "--tier",
                   "--partitions", "--local", "--remote", "--profile", "--dry-run"]:
        assert phrase in text, phrase


class Widgets:
    """What a notebook's dbutils.widgets does: text widgets with defaults, values read back."""

    def __init__(self, values: dict[str, str]):
        self.values, self.created = values, {}

    def text(self, name, default, label):
        self.created[name] = default

    def get(self, name):
        return self.values.get(name, self.created[name])


def test_notebook_parameters_come_from_widgets(monkeypatch) -> None:
    widgets = Widgets({"catalog": "main", "schema": "retail_demo", "rows": "5000"})
    monkeypatch.setattr(retail, "dbutils", type("DBUtils", (), {"widgets": widgets})(), raising=False)
    assert retail.notebook_arguments() is None  # not inside Databricks: the terminal's argv applies
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    argv = retail.notebook_arguments()
    assert set(widgets.created) == {name for name, _ in retail.WIDGETS}
    args = retail.checked_arguments(retail.build_parser(), argv)
    assert (args.catalog, args.schema, args.rows, args.seed, args.tier, args.format, args.mode) == (
        "main", "retail_demo", 5000, 42, 3, "delta", "error")


# ---------------------------------------------------------------------------------------------
# Classic and Connect: validator clean, exact sizes, the same data on both
# ---------------------------------------------------------------------------------------------
SMALL_RUN = ("--rows", "300", "--products", "40", "--seed", "11")
small_runs: dict[str, dict[str, pl.DataFrame]] = {}


@pytest.mark.spark
@pytest.mark.connect
def test_small_run_is_validator_clean(spark_any, tmp_path: Path, request) -> None:
    summary = generate(spark_any, tmp_path, *SMALL_RUN)
    result = validate(tmp_path)
    assert result.ok, str(result)
    frames = read_all(tmp_path)
    assert integrity_problems(frames) == [] and basket_problems(frames) == []
    counts = {table: frame.height for table, frame in frames.items()}
    assert counts == {table: summary["tables"][table]["rows"] for table in TABLES}
    assert counts["customers"] == 300 and counts["products"] == 40 and counts["stores"] == 5
    assert counts["inventory"] == 200 and counts["transactions"] == 3000
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert (manifest["industry"], manifest["seed"], manifest["generator"]) == ("retail", 11, "scripts/generators/retail.py")
    small_runs[request.node.callspec.params["spark_any"]] = frames


@pytest.mark.spark
@pytest.mark.connect
def test_classic_and_connect_give_the_same_data() -> None:
    if set(small_runs) != {"classic", "connect"}:
        pytest.skip("needs both small runs above")
    classic, connect = sorted_frames(small_runs["classic"]), sorted_frames(small_runs["connect"])
    for table in TABLES:
        assert_frame_equal(classic[table], connect[table])


@pytest.mark.spark
def test_a_different_seed_gives_different_data(spark, tmp_path: Path) -> None:
    """Same seed, same data: the classic and Connect runs above. Here the other half."""
    if "classic" not in small_runs:
        generate(spark, tmp_path / "seed-11", *SMALL_RUN)
        small_runs["classic"] = read_all(tmp_path / "seed-11")
    first = sorted_frames(small_runs["classic"])
    generate(spark, tmp_path / "seed-12", *SMALL_RUN[:-1], "12")
    other = sorted_frames(read_all(tmp_path / "seed-12"))
    for table, column in [("customers", "email"), ("customers", "lifetime_value"), ("customers", "signup_date"),
                          ("customers", "loyalty_tier"), ("products", "price"), ("transactions", "timestamp"),
                          ("transactions", "customer_id"), ("transactions", "channel"), ("line_items", "product_id"),
                          ("line_items", "discount"), ("inventory", "quantity"), ("stores", "city")]:
        assert first[table][column].to_list() != other[table][column].to_list(), (table, column)


@pytest.mark.spark
def test_hashed_columns_do_not_depend_on_partitions(spark) -> None:
    """What other tables recompute (signup dates, prices) and all line items come from hashes of
    ids, so --partitions changes only the rand()-drawn columns."""
    one = pl.from_arrow(retail.build_line_items(spark, 300, 20, 3, partitions=1).toArrow()).sort("line_item_id")
    three = pl.from_arrow(retail.build_line_items(spark, 300, 20, 3, partitions=3).toArrow()).sort("line_item_id")
    assert_frame_equal(one, three)
    pools = retail.build_pools("en", 3)
    signup = [pl.from_arrow(retail.build_customers(spark, 100, 3, partitions=p, pools=pools).select("customer_id", "signup_date")
                            .toArrow()).sort("customer_id") for p in (1, 3)]
    assert_frame_equal(*signup)


# ---------------------------------------------------------------------------------------------
# Realism: one classic run of 10,000 customers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def realism(spark_modes, tmp_path_factory) -> dict[str, pl.DataFrame]:
    directory = tmp_path_factory.mktemp("spark-retail-realism")
    generate(spark_modes.classic(), directory, "--rows", "10000", "--products", "5000")
    assert validate(directory).ok
    return read_all(directory)


@pytest.mark.spark
def test_realism_run_is_consistent(realism) -> None:
    assert integrity_problems(realism) == [] and basket_problems(realism) == []
    assert realism["customers"].height == 10_000 and realism["transactions"].height == 100_000


@pytest.mark.spark
def test_loyalty_tiers_are_50_30_15_5(realism) -> None:
    observed = dict(realism["customers"]["loyalty_tier"].value_counts(normalize=True).iter_rows())
    for tier, weight in retail.LOYALTY_TIERS.items():
        p = weight / 100
        assert abs(observed[tier] - p) < 3 * math.sqrt(p * (1 - p) / 10_000), (tier, observed[tier])  # <= 0.015


@pytest.mark.spark
def test_lifetime_value_is_gamma_2_250(realism) -> None:
    values = realism["customers"]["lifetime_value"].cast(pl.Float64)
    mean, variance = values.mean(), values.var()
    assert abs(mean - 500) < 11  # 3 SE: 3 * 353.6 / sqrt(10,000) = 10.6
    assert abs(mean**2 / variance - 2.0) < 0.15  # method-of-moments shape; SE ~0.04 at this n
    assert values.min() >= 0


def copula_spearman(rho: float, shares: list[int], n: int = 400_000) -> float:
    """Spearman rank correlation between tier and value that the construction implies, simulated
    independently of the generator: a value's normal score z ~ N(0, 1) (rank correlation is
    blind to the Gamma, a monotone map of z), latent rho z + sqrt(1 - rho^2) e, tiers cut at the
    latent's N(0, 1) quantiles. SE of the estimate ~0.001."""
    from statistics import NormalDist

    rng = np.random.default_rng(2024)
    z = rng.standard_normal(n)
    latent = rho * z + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    cuts = [NormalDist().inv_cdf(p) for p in np.cumsum(shares)[:-1] / sum(shares)]
    frame = pl.DataFrame({"tier": np.searchsorted(cuts, latent), "z": z})
    return frame.select(pl.corr("tier", "z", method="spearman")).item()


@pytest.mark.spark
def test_gamma_normal_score_in_sql_matches_the_standard_library(spark) -> None:
    """Phi^-1(F_Gamma(2, 250)(x)) in SQL (closed-form CDF, Acklam's quantile) against Python's."""
    from statistics import NormalDist

    values = [0.0, 0.01, 1.0, 5.0, 50.0, 200.0, 500.0, 1000.0, 2500.0, 6000.0, 12000.0]
    frame = spark.createDataFrame([(v,) for v in values], "value double")
    for stage in retail.gamma_normal_score_stages("value", 2, 250.0):
        frame = retail.lookups(frame, stage)
    scores = dict(frame.select("value", "_value_z").collect())
    for value in values[1:]:
        t = value / 250.0
        upper, lower = math.exp(-t) * (1 + t), -math.expm1(-t) - math.exp(-t) * t  # no cancellation near 0
        expected = -NormalDist().inv_cdf(upper) if upper < 0.5 else NormalDist().inv_cdf(lower)
        assert abs(scores[value] - expected) < 2e-8 * max(1, abs(expected)), (value, scores[value], expected)
    assert scores[0.0] < -30  # a value of 0.00 is the lowest score, not NULL
    assert retail.TIER_CUT_POINTS == pytest.approx([0.0, 0.8416212, 1.6448536], abs=1e-7)


@pytest.mark.spark
def test_loyalty_tier_tracks_lifetime_value(realism) -> None:
    customers = realism["customers"].select(
        pl.col("loyalty_tier").replace_strict({tier: i for i, tier in enumerate(retail.LOYALTY_TIERS)}).alias("tier"),
        pl.col("lifetime_value").cast(pl.Float64).alias("value"),
    )
    means = customers.group_by("tier").agg(pl.col("value").mean()).sort("tier")["value"].to_list()
    assert means == sorted(means) and len(set(means)) == 4, means  # about 290 / 560 / 830 / 1230
    assert means[3] > 3 * means[0], means
    spearman = customers.select(pl.corr("tier", "value", method="spearman")).item()
    expected = copula_spearman(retail.TIER_VALUE_RHO, list(retail.LOYALTY_TIERS.values()))
    assert abs(expected - 0.715) < 0.005, expected  # rho 0.8, as the contract says
    assert abs(spearman - expected) < 0.03, (spearman, expected)  # SE ~0.007 at n=10,000


@pytest.mark.spark
def test_contact_details_are_safe_and_unique(realism) -> None:
    customers = realism["customers"]
    assert customers["email"].is_unique().all()
    assert customers["email"].str.contains(r"^[a-z0-9._-]+@example\.(com|net|org)$").all()
    phones = customers["phone"].drop_nulls()
    assert phones.str.contains(r"^\([2-9][0-9]{2}\) 555-01[0-9]{2}$").all()
    assert not phones.str.contains(r"^\([2-9]11\)").any()
    assert abs(customers["phone"].null_count() / customers.height - 0.05) < 0.0066  # 3 SE at n=10,000
    assert (customers["name"] == customers["first_name"] + " " + customers["last_name"]).all()
    assert customers["street_address"].str.contains(r"^[0-9]+ \S").all()
    assert customers["email"].str.extract(r"@(.*)$").value_counts()["count"].min() > 3000  # three domains, uniform


@pytest.mark.spark
@pytest.mark.parametrize("table", ["customers", "stores"])
def test_city_state_postal_code_and_region_agree(realism, table: str) -> None:
    places = load_script("utils/us_places.py").us_places()
    joined = realism[table].join(places, on=["city", "state"], how="left")
    assert joined["zip_low"].null_count() == 0
    postal = joined["postal_code"].cast(pl.Int64)
    assert ((postal >= joined["zip_low"]) & (postal <= joined["zip_high"])).all()
    assert (joined["postal_code"].str.slice(0, 3) == joined["zip_prefix"]).all()
    assert (joined["region"] == joined["region_right"]).all()


@pytest.mark.spark
def test_big_cities_hold_more_customers(realism) -> None:
    places = load_script("utils/us_places.py").us_places()
    customers = realism["customers"]
    for city, state in [("Houston", "TX"), ("Phoenix", "AZ")]:
        share = customers.filter((pl.col("city") == city) & (pl.col("state") == state)).height / customers.height
        expected = places.filter((pl.col("city") == city) & (pl.col("state") == state))["weight"][0] / places["weight"].sum()
        assert abs(share - expected) < 3 * math.sqrt(expected * (1 - expected) / 10_000), (city, share, expected)


@pytest.mark.spark
def test_signup_dates_cover_the_window(realism) -> None:
    signup = realism["customers"]["signup_date"]
    assert signup.min() >= date(2020, 1, 1) and signup.max() <= date(2024, 12, 31)
    assert abs((signup >= date(2024, 1, 1)).mean() - 366 / 1827) < 0.012  # uniform; 3 SE = 0.012


@pytest.mark.spark
def test_product_categories_and_lognormal_prices(realism) -> None:
    products = realism["products"]
    observed = dict(products["category"].value_counts(normalize=True).iter_rows())
    for category, (_, share, median, sigma, _) in retail.CATALOG.items():
        p = share / 100
        assert abs(observed[category] - p) < 3 * math.sqrt(p * (1 - p) / products.height) + 0.001, category
        prices = products.filter(pl.col("category") == category)["price"].cast(pl.Float64)
        # Charm pricing rounds each price up to the next x.99: the median moves up by < $1.
        assert median * 0.9 < prices.median() < median * 1.1 + 1.0, (category, prices.median())
        # Spread of log price (SE <= 0.03 here); whole-dollar rounding narrows cheap categories.
        assert abs(prices.log().std() - sigma) < 0.09, (category, prices.log().std())
    assert products["price"].cast(pl.String).str.ends_with(".99").all()
    cost_share = products["cost"].cast(pl.Float64) / products["price"].cast(pl.Float64)
    assert cost_share.min() > 0.34 and cost_share.max() < 0.71
    assert products["launch_date"].max() < date(2024, 1, 1)
    assert products["sku"].is_unique().all()
    subcategories = {category: set(subs) for category, (_, _, _, _, subs) in retail.CATALOG.items()}
    assert all(sub in subcategories[cat] for cat, sub in products.select("category", "subcategory").unique().iter_rows())
    codes = {category: code for category, (code, _, _, _, _) in retail.CATALOG.items()}
    assert (products["sku"].str.slice(0, 3) == products["category"].replace_strict(codes)).all()


@pytest.mark.spark
def test_line_totals_and_unit_prices(realism) -> None:
    lines = realism["line_items"]
    priced = lines.join(realism["products"].select("product_id", "price"), on="product_id")
    assert priced.height == lines.height and (priced["unit_price"] == priced["price"]).all()
    sample = lines.sample(20_000, seed=1)
    cent = Decimal("0.01")
    expected = [(quantity * unit_price * (1 - discount)).quantize(cent, rounding=ROUND_HALF_UP)
                for quantity, unit_price, discount in sample.select("quantity", "unit_price", "discount").iter_rows()]
    assert sample["line_total"].to_list() == expected


@pytest.mark.spark
def test_discounts_are_mostly_zero_then_beta_2_8(realism) -> None:
    discount = realism["line_items"]["discount"].cast(pl.Float64)
    n = discount.len()
    assert abs((discount == 0).mean() - 0.70) < 3 * math.sqrt(0.21 / n) + 0.001
    discounted = discount.filter(discount > 0)
    se = 0.1206 / math.sqrt(discounted.len())
    assert abs(discounted.mean() - 0.20) < 3 * se + 0.001  # Beta(2, 8) mean (whole percents)
    assert abs(discounted.std() - math.sqrt(2 * 8 / (10**2 * 11))) < 0.004  # Beta sd 0.1206
    assert discount.min() >= 0 and discount.max() <= 0.90


@pytest.mark.spark
def test_basket_sizes_and_quantities(realism) -> None:
    line_count = realism["transactions"]["line_count"]
    assert abs(line_count.mean() - 3.0) < 0.014  # 1 + Poisson(2): 3 SE = 0.0134 at 100,000
    assert abs((line_count == 1).mean() - math.exp(-2)) < 0.004
    quantity = realism["line_items"]["quantity"]
    assert abs((quantity == 1).mean() - 0.65) < 0.003  # Geometric(0.65): 3 SE = 0.0026
    assert quantity.min() >= 1 and quantity.max() <= 12


@pytest.mark.spark
def test_some_customers_buy_far_more_than_others(realism) -> None:
    per_customer = (realism["customers"].select("customer_id")
                    .join(realism["transactions"].group_by("customer_id").len(), on="customer_id", how="left")
                    .fill_null(0)["len"].sort(descending=True).to_numpy())
    top_decile = per_customer[: len(per_customer) // 10].sum() / per_customer.sum()
    # Lognormal(0, 1.2) propensity: the top 10% of weights hold 1 - Phi(1.2816 - 1.2) = 0.467;
    # Poisson noise on ~10 purchases each and late signups add a little concentration: +-0.04.
    assert abs(top_decile - (1 - phi(1.2816 - retail.ACTIVITY_SIGMA))) < 0.04, top_decile
    assert (per_customer == 0).mean() > 0.05  # a tail of customers who bought nothing in 2024


@pytest.mark.spark
@pytest.mark.parametrize("sigma", [0.0, 2.0])
def test_customer_skew_sets_the_purchase_weights(spark, sigma: float) -> None:
    """--customer-skew SIGMA reaches the weights transactions are drawn with: among customers who
    could shop all of 2024, sigma 0 gives every one the same weight; sigma 2 gives the top 10% the
    share 1 - Phi(1.2816 - 2) = 0.764 of lognormal(0, 2) weights (4 sd of that share over 200
    simulated samples of the same size)."""
    weights = pl.from_arrow(retail.customer_weights(spark, 20_000, 5, sigma).select("_first_day", "_weight").toArrow())
    full_year = weights.filter(pl.col("_first_day") == retail.day_number(retail.WINDOW_FIRST))["_weight"].to_numpy()
    assert full_year.size > 10_000
    if sigma == 0:
        assert (full_year == retail.WEIGHT_UNITS).all()
        return
    ordered = np.sort(full_year)[::-1]
    top = ordered[: ordered.size // 10].sum() / ordered.sum()
    rng = np.random.default_rng(1)
    simulated = [np.sort(w)[::-1][: w.size // 10].sum() / w.sum() for w in rng.lognormal(0, sigma, (200, full_year.size))]
    assert abs(top - (1 - phi(1.2816 - sigma))) < 4 * np.std(simulated) + 0.005, (top, np.std(simulated))


@pytest.mark.spark
def test_popular_products_sell_more(realism) -> None:
    per_product = (realism["products"].select("product_id")
                   .join(realism["line_items"].group_by("product_id").len(), on="product_id", how="left")
                   .fill_null(0)["len"].sort(descending=True).to_numpy())
    top_decile = per_product[: len(per_product) // 10].sum() / per_product.sum()
    assert abs(top_decile - (1 - phi(1.2816 - retail.POPULARITY_SIGMA))) < 0.025, top_decile  # 0.389


@pytest.mark.spark
def test_no_transaction_before_signup_and_all_in_2024(realism) -> None:
    joined = realism["transactions"].join(realism["customers"].select("customer_id", "signup_date"), on="customer_id")
    assert joined.height == realism["transactions"].height
    assert (joined["timestamp"].dt.date() >= joined["signup_date"]).all()
    timestamps = realism["transactions"]["timestamp"]
    assert timestamps.dtype == pl.Datetime("us", "UTC")
    assert timestamps.min() >= datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert timestamps.max() < datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert (timestamps.dt.microsecond() == 0).all()
    late = joined.filter(pl.col("signup_date") >= date(2024, 12, 1))
    assert late.height > 0 and (late["timestamp"].dt.month() == 12).all()
    # Late signups buy less: purchases per customer scale with the share of 2024 after signup.
    per_customer = joined.group_by("customer_id", "signup_date").len()
    early = per_customer.filter(pl.col("signup_date") < date(2024, 1, 1))["len"].mean()
    assert late.group_by("customer_id").len()["len"].sum() / max(1, late["customer_id"].n_unique()) < early


@pytest.mark.spark
def test_purchase_hours_follow_the_shopping_day(realism) -> None:
    observed = dict(realism["transactions"]["timestamp"].dt.hour().value_counts(normalize=True).iter_rows())
    weights = retail.LOCAL_HOUR_WEIGHTS
    for utc_hour in range(24):
        expected = weights[(utc_hour + retail.UTC_OFFSET_HOURS) % 24] / sum(weights)
        assert abs(observed.get(utc_hour, 0) - expected) < 3 * math.sqrt(expected / 100_000) + 0.0005, utc_hour


@pytest.mark.spark
def test_channels_and_payment_methods(realism) -> None:
    transactions = realism["transactions"]
    observed = dict(transactions["channel"].value_counts(normalize=True).iter_rows())
    for channel, weight in retail.CHANNELS.items():
        assert abs(observed[channel] - weight / 100) < 0.005, channel  # 3 SE at n=100,000: 0.0047
    for channels, mix in [(["In-Store"], retail.IN_STORE_PAYMENTS), (["Online", "Mobile App"], retail.REMOTE_PAYMENTS)]:
        subset = transactions.filter(pl.col("channel").is_in(channels))
        shares = dict(subset["payment_method"].value_counts(normalize=True).iter_rows())
        assert set(shares) == set(mix)  # no cash online
        for method, weight in mix.items():
            assert abs(shares[method] - weight / 100) < 0.01, (channels, method)
    stores = transactions["store_id"].value_counts(normalize=True)["proportion"]
    assert stores.len() == 5 and (stores - 0.2).abs().max() < 0.004  # uniform over stores


@pytest.mark.spark
def test_inventory_snapshot(realism) -> None:
    inventory = realism["inventory"]
    assert inventory.height == realism["products"].height * realism["stores"].height
    quantity = inventory["quantity"]
    assert abs((quantity == 0).mean() - 0.04) < 0.0027  # 3 SE at n=25,000: 0.0037 -> tight but fixed seed
    assert abs(quantity.filter(quantity > 0).mean() - 51.0) < 0.7  # 1 + Gamma(2, 25); 3 SE = 0.68
    reorder = inventory["reorder_point"]
    assert reorder.min() == 5 and reorder.max() == 25
    assert abs(reorder.mean() - 15) < 0.12 and (reorder == 5).mean() > 0.03  # uniform: ends not halved
    updated = inventory["last_updated"]
    assert updated.min() >= datetime(2024, 12, 1, tzinfo=timezone.utc) and updated.max() < datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.mark.spark
def test_store_formats_and_opening_dates(spark) -> None:
    stores = pl.from_arrow(retail.build_stores(spark, 20_000, 42).toArrow())
    observed = dict(stores["format"].value_counts(normalize=True).iter_rows())
    for store_format, weight in retail.STORE_FORMATS.items():
        p = weight / 100
        assert abs(observed[store_format] - p) < 3 * math.sqrt(p * (1 - p) / 20_000) + 0.001
    assert stores["opened_date"].min() >= date(1995, 1, 1) and stores["opened_date"].max() < date(2024, 1, 1)
    assert stores["name"].is_unique().all()


# ---------------------------------------------------------------------------------------------
# Tier 3: Mimesis street addresses through PyfuncText (a UDF, classic only)
# ---------------------------------------------------------------------------------------------
@pytest.mark.spark
def test_tier_3_street_addresses_come_from_mimesis_per_customer(spark) -> None:
    pools = retail.build_pools("en", 9)
    tier3 = [pl.from_arrow(retail.build_customers(spark, 300, 9, partitions=p, tier=3, pools=pools).toArrow())
             .sort("customer_id") for p in (1, 3)]
    tier2 = pl.from_arrow(retail.build_customers(spark, 300, 9, tier=2, pools=pools).toArrow()).sort("customer_id")
    # The same customer gets the same address however the rows are partitioned or batched.
    assert tier3[0]["street_address"].to_list() == tier3[1]["street_address"].to_list()
    assert tier3[0]["street_address"].n_unique() == 300
    assert tier3[0]["street_address"].str.contains(r"^[0-9]+ \S").all()
    assert (tier3[0]["street_address"] != tier2["street_address"]).all()
    # Everything else is the Tier 2 data.
    assert_frame_equal(tier3[0].drop("street_address"), tier2.drop("street_address"))


# ---------------------------------------------------------------------------------------------
# Output: Unity Catalog path on the local catalog, folder refusals, the script end to end
# ---------------------------------------------------------------------------------------------
@pytest.mark.spark
def test_catalog_output_marks_tables_and_refuses_what_it_did_not_create(spark, capsys) -> None:
    schema = "retail_uc_test"
    spark.sql(f"DROP SCHEMA IF EXISTS spark_catalog.{schema} CASCADE")
    base = ("--catalog", "spark_catalog", "--schema", schema, "--format", "parquet", "--rows", "40")

    def attempt(*argv: str):
        args, parser = arguments(*base, *argv)
        return retail.run(spark, args, parser)

    with pytest.raises(SystemExit) as stopped:
        args, parser = arguments("--catalog", "no_such_catalog", "--schema", schema, "--format", "parquet")
        retail.run(spark, args, parser)
    assert stopped.value.code == 2
    assert "catalog 'no_such_catalog' does not exist" in capsys.readouterr().err
    assert schema not in {row[0] for row in spark.sql("SHOW SCHEMAS IN spark_catalog").collect()}  # nothing created

    # A table this tool did not create is never replaced, and nothing else is written.
    spark.sql(f"CREATE SCHEMA spark_catalog.{schema}")
    spark.sql(f"CREATE TABLE spark_catalog.{schema}.stores (store_id BIGINT) USING parquet")
    with pytest.raises(SystemExit):
        attempt("--mode", "overwrite")
    assert "was not created by databricks-data-gen (no synthetic marker)" in capsys.readouterr().err
    assert {row.tableName for row in spark.sql(f"SHOW TABLES IN spark_catalog.{schema}").collect()} == {"stores"}
    spark.sql(f"DROP TABLE spark_catalog.{schema}.stores")

    summary = attempt()
    assert {table: entry["target"] for table, entry in summary["tables"].items()} == {
        table: f"spark_catalog.{schema}.{table}" for table in TABLES}
    for table in TABLES:
        name = f"spark_catalog.{schema}.{table}"
        properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES {name}").collect()}
        assert properties["synthetic"] == "true" and properties["synthetic.seed"] == "42", table
        assert properties["synthetic.generator"] == "databricks-data-gen", table
        assert spark.table(name).count() == summary["tables"][table]["rows"]
        description, columns = retail.CONTRACTS[table]
        comments = {row.col_name: row.comment for row in spark.sql(f"DESCRIBE TABLE {name}").collect()}
        assert all(comments[column] == comment for column, _, _, comment in columns), table
        detail = {row.col_name: row.data_type for row in spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
        assert detail["Comment"].startswith(description) and "Synthetic data" in detail["Comment"]
    lines = spark.table(f"spark_catalog.{schema}.line_items")
    transactions = spark.table(f"spark_catalog.{schema}.transactions")
    mismatched = (lines.groupBy("txn_id").sum("line_total").withColumnRenamed("sum(line_total)", "total")
                  .join(transactions, "txn_id", "full").where("total IS NULL OR amount IS NULL OR total != amount").count())
    assert mismatched == 0

    with pytest.raises(SystemExit):
        attempt()
    assert f"table spark_catalog.{schema}.stores already exists: pass --mode overwrite" in capsys.readouterr().err
    before = spark.table(f"spark_catalog.{schema}.customers").select("email").orderBy("customer_id").collect()
    attempt("--mode", "overwrite", "--seed", "43")
    after = spark.table(f"spark_catalog.{schema}.customers").select("email").orderBy("customer_id").collect()
    assert len(after) == 40 and before != after
    properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES spark_catalog.{schema}.customers").collect()}
    assert properties["synthetic.seed"] == "43"
    spark.sql(f"DROP SCHEMA spark_catalog.{schema} CASCADE")


@pytest.mark.spark
def test_folder_output_refuses_existing_tables_it_did_not_write(spark, tmp_path: Path, capsys) -> None:
    (tmp_path / "customers").mkdir()
    (tmp_path / "customers" / "mine.txt").write_text("someone else's data")
    for mode in ("error", "overwrite"):
        with pytest.raises(SystemExit) as stopped:
            generate(spark, tmp_path, "--rows", "5", "--mode", mode)
        assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "pass --mode overwrite" in err and "no _manifest.json from databricks-data-gen" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers"]
    assert (tmp_path / "customers" / "mine.txt").read_text() == "someone else's data"


@pytest.mark.spark
def test_delta_without_its_jars_is_a_clear_error(spark, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        generate(spark, tmp_path, "--rows", "5", "--format", "delta")
    assert stopped.value.code == 2
    assert "no 'delta' data source" in capsys.readouterr().err
    assert not (tmp_path / "stores").exists()


@pytest.mark.spark
def test_script_runs_end_to_end_on_local_spark(tmp_path: Path) -> None:
    """The script as a user runs it: its own local session, --output, JSON summary on stdout."""
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, str(SCRIPT), "--local", "--output", str(out), "--rows", "50",
                          "--partitions", "2", "--customer-skew", "0"], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["tables"]["customers"]["rows"] == 50 and summary["tier"] == 2
    assert "customers: 50 rows" in run.stderr
    result = validate(out)
    assert result.ok, str(result)
    assert json.loads((out / "_manifest.json").read_text())["arguments"]["customer_skew"] == 0
    again = subprocess.run([sys.executable, str(SCRIPT), "--local", "--output", str(out), "--rows", "50"],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert again.returncode == 2 and "pass --mode overwrite" in again.stderr and "Traceback" not in again.stderr


# ---------------------------------------------------------------------------------------------
# Slow: the same script through a databricks-connect 16.4 client (pyspark 3.5 fork, Python 3.12)
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.connect
@pytest.mark.databricks_connect
def test_databricks_connect_16_4_client_generates_the_classic_data(spark_modes, tmp_path: Path) -> None:
    """The Tier 2 path as a Databricks Connect user runs it (get_spark -> DatabricksSession.remote),
    against a local pyspark 4.0 Spark Connect server: validator clean, and the same data as classic."""
    import os

    from spark_support import ConnectServer, ensure_venv, python312, unavailable

    interpreter = python312()
    if interpreter is None:
        unavailable("no Python 3.12 interpreter for the databricks-connect client")
    requirements = [line.strip() for line in (Path(__file__).parent / "dbconnect_client" / "requirements.txt")
                    .read_text().splitlines() if line.strip() and not line.startswith("#")]
    client = ensure_venv("dbconnect-16.4-mimesis", interpreter, [*requirements, "mimesis==22.2.0"])
    server = ConnectServer(tmp_path / "server", worker_python=sys.executable, name="retail-dbconnect")
    server.start()
    try:
        environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYTHONPATH", "SPARK_HOME")}
        run = subprocess.run([str(client), str(SCRIPT), "--remote", server.url, "--output", str(tmp_path / "dbconnect"),
                              *SMALL_RUN], capture_output=True, text=True, timeout=900, env=environment)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    result = validate(tmp_path / "dbconnect")
    assert result.ok, str(result)
    versions = json.loads((tmp_path / "dbconnect" / "_manifest.json").read_text())["versions"]
    assert versions["databricks-connect"].startswith("16.4.") and versions["python"].startswith("3.12.")
    generate(spark_modes.classic(), tmp_path / "classic", *SMALL_RUN)
    classic, dbconnect = sorted_frames(read_all(tmp_path / "classic")), sorted_frames(read_all(tmp_path / "dbconnect"))
    for table in TABLES:
        assert_frame_equal(classic[table], dbconnect[table])
