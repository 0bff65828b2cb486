"""scripts/utils/introspect_local.py: profile a local table into a contract, generate look-alikes.

Fidelity is measured on a bundled generator's tables (retail, --rows 2000, seed 5): each is
profiled, 10x its rows are regenerated, and the copy is compared with the source. Tolerances:
every category's share within 3 percentage points, two-sample Kolmogorov-Smirnov statistic
below 0.1 for numbers, dates and timestamps, null rates within 1 point (the binomial standard
error of a 5% rate over 20,000 rows is 0.15 points). Measured with these seeds (the figures the
guide quotes): category shares at most 0.36 points apart, KS at most 0.0074, null rates within
0.25 points (customers 2,000 → 20,000 rows, transactions 20,000 → 200,000).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from jsonschema import Draft202012Validator
from polars.testing import assert_frame_equal

from conftest import SCHEMAS, SCRIPTS, load_script
from test_inlined_copies import top_level_definitions

introspect = load_script("utils/introspect_local.py")
validate = load_script("utils/validate.py")
SCRIPT = SCRIPTS / "utils" / "introspect_local.py"
META = json.loads((SCHEMAS / "_contract.schema.json").read_text())
SCALE = 10  # regenerated rows per source row
TABLES = ("customers", "transactions")


def run(argv: list[str]) -> dict:
    """main(argv) with its stdout parsed as the JSON summary."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert introspect.main([str(a) for a in argv]) == 0
    return json.loads(out.getvalue())


def fails(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stopped:
        introspect.main([str(a) for a in argv])
    assert stopped.value.code == 2
    return capsys.readouterr().err


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, "right") / len(a) - np.searchsorted(b, grid, "right") / len(b))))


def units(series: pl.Series) -> np.ndarray:
    if series.dtype == pl.Date:
        return series.cast(pl.Int32).to_numpy().astype(np.float64)
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.epoch("us").to_numpy().astype(np.float64)
    return series.cast(pl.Float64).to_numpy()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("retail")
    retail = load_script("generators/polars/retail.py")
    with contextlib.redirect_stdout(io.StringIO()):
        retail.main(["--rows", "2000", "--seed", "5", "--output", str(directory)])
    return directory


@pytest.fixture(scope="module")
def lookalike(source, tmp_path_factory):
    """{table: (source frame, regenerated frame, contract, summary, output dir)}."""
    made = {}
    for table in TABLES:
        work = tmp_path_factory.mktemp(table)
        frame = pl.read_parquet(source / f"{table}.parquet")
        summary = run([source / f"{table}.parquet", "--contract", work / "contracts" / f"custom_{table}.json",
                       "--generate", SCALE * frame.height, "--output", work / "out", "--seed", "11"])
        contract = json.loads((work / "contracts" / f"custom_{table}.json").read_text())
        made[table] = (frame, pl.read_parquet(work / "out" / f"{table}.parquet"), contract, summary, work / "out")
    return made


# --- fidelity -----------------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_same_columns_and_types_at_ten_times_the_rows(lookalike, table):
    original, copy, contract, summary, _ = lookalike[table]
    assert copy.height == SCALE * original.height
    assert copy.schema == original.schema
    assert [c["name"] for c in contract["columns"]] == original.columns
    assert summary["rows"] == original.height and summary["generated"]["tables"][table]["rows"] == copy.height


@pytest.mark.parametrize("table", TABLES)
def test_category_shares_within_3_points(lookalike, table):
    original, copy, contract, _, _ = lookalike[table]
    categorical = [c["name"] for c in contract["columns"] if "values" in c]
    assert categorical, "expected categories (tiers, regions, channels ...)"
    for name in categorical:
        before = original[name].drop_nulls().value_counts(normalize=True, name="share")
        after = copy[name].drop_nulls().value_counts(normalize=True, name="share")
        both = before.join(after, on=name, how="full", coalesce=True).fill_null(0)
        gap = float((both["share"] - both["share_right"]).abs().max())
        assert gap < 0.03, f"{table}.{name}: a category's share moved {100 * gap:.2f} points"


@pytest.mark.parametrize("table", TABLES)
def test_numbers_dates_and_timestamps_keep_their_shape(lookalike, table):
    original, copy, contract, _, _ = lookalike[table]
    measured = [c["name"] for c in contract["columns"] if "quantiles" in (c.get("distribution") or {})]
    assert measured
    for name in measured:
        statistic = ks_statistic(units(original[name].drop_nulls()), units(copy[name].drop_nulls()))
        assert statistic < 0.1, f"{table}.{name}: KS {statistic:.3f}"


@pytest.mark.parametrize("table", TABLES)
def test_null_rates_kept(lookalike, table):
    original, copy, contract, _, _ = lookalike[table]
    for name in original.columns:
        before, after = original[name].null_count() / original.height, copy[name].null_count() / copy.height
        assert abs(before - after) < 0.01, f"{table}.{name}: {before:.3%} null before, {after:.3%} after"
    phone = next(c for c in contract["columns"] if c["name"] == "phone") if table == "customers" else None
    if phone:
        assert phone["nullable"] and 0.03 < phone["null_rate"] < 0.07  # the generator's 5%


def test_keys_shapes_and_safe_phones(lookalike):
    original, copy, contract, summary, _ = lookalike["customers"]
    columns = {c["name"]: c for c in contract["columns"]}
    assert contract["primary_key"] == ["customer_id"] and summary["unique"] == ["email"]
    assert columns["customer_id"]["distribution"] == {"name": "sequence", "start": 1_000_000, "step": 1}
    assert copy["customer_id"].to_list() == list(range(1_000_000, 1_000_000 + copy.height))
    assert copy["email"].n_unique() == copy.height
    assert columns["postal_code"]["pattern"] == "^[0-9]{5}$"
    # the phone shape keeps the fictional 555-01XX block (per-position characters), never widens it
    assert "555-01" in columns["phone"]["pattern"]
    assert copy["phone"].drop_nulls().str.contains(r"^\([2-9][0-9]{2}\) 555-01[0-9]{2}$").all()
    assert copy["email"].str.contains(r"@example\.(com|net|org)$").all()
    # merely unique in the sample: names and phones are not declared unique
    assert not columns["name"].get("unique") and not columns["phone"].get("unique")


@pytest.mark.parametrize("table", TABLES)
def test_regenerated_table_validates_against_the_written_contract(lookalike, table):
    _, _, contract, _, output = lookalike[table]
    assert not list(Draft202012Validator(META).iter_errors(contract))
    result = validate.validate_directory(output, schemas_dir=output / "_contracts")
    assert result.ok, str(result)
    assert result.industry == "custom" and result.tables[table]["rows"] == SCALE * lookalike[table][0].height


def test_same_seed_same_data_other_seed_other_data(lookalike, tmp_path):
    _, copy, _, _, output = lookalike["customers"]
    contract = output / "_contracts" / "custom_customers.json"
    run(["--from-contract", contract, "--generate", copy.height, "--output", tmp_path / "same", "--seed", "11"])
    assert_frame_equal(pl.read_parquet(tmp_path / "same" / "customers.parquet"), copy)
    run(["--from-contract", contract, "--generate", copy.height, "--output", tmp_path / "other", "--seed", "12"])
    other = pl.read_parquet(tmp_path / "other" / "customers.parquet")
    for name in copy.columns:
        if name != "customer_id":  # a sequence: the same whatever the seed
            assert not other[name].equals(copy[name]), f"{name} ignores the seed"


def test_chunks_depend_only_on_seed_column_and_position(lookalike):
    """Rows 0..n-1 are the same whether made in one chunk or two (so the output does not depend
    on the chunk a row fell in, only on the chunk size, which is fixed)."""
    _, _, contract, _, _ = lookalike["transactions"]
    whole = introspect.TableGenerator(contract, 3).chunk(0, 500)
    again = introspect.TableGenerator(contract, 3).chunk(0, 500)
    assert_frame_equal(whole, again)
    assert whole.columns == [c["name"] for c in contract["columns"]]


# --- inputs ---------------------------------------------------------------------------------------

def test_csv_json_and_delta_are_typed_from_their_values(source, tmp_path):
    customers = pl.read_parquet(source / "customers.parquet")
    transactions = pl.read_parquet(source / "transactions.parquet")
    customers.write_csv(tmp_path / "customers.csv")
    transactions.write_ndjson(tmp_path / "transactions.json")
    transactions.write_delta(tmp_path / "transactions_delta")
    csv = run([tmp_path / "customers.csv"])["columns"]
    assert {name: csv[name]["type"] for name in ("customer_id", "signup_date", "lifetime_value", "loyalty_tier", "phone")} == {
        "customer_id": "bigint", "signup_date": "date", "lifetime_value": "decimal(10,2)", "loyalty_tier": "string", "phone": "string"}
    # ZIPs with a leading zero stay text; --as-string keeps a column text whatever it looks like
    assert csv["postal_code"]["type"] == "string"
    assert run([tmp_path / "customers.csv", "--as-string", "customer_id"])["columns"]["customer_id"]["type"] == "string"
    json_lines = run([tmp_path / "transactions.json"])
    assert json_lines["columns"]["timestamp"]["type"] == "timestamp" and json_lines["columns"]["amount"]["type"] == "decimal(10,2)"
    assert json_lines["table"] == "transactions"
    delta = run([tmp_path / "transactions_delta", "--table", "txns"])
    assert delta["source_format"] == "delta" and delta["table"] == "txns"
    assert {name: line["type"] for name, line in delta["columns"].items()} == {
        name: line["type"] for name, line in run([source / "transactions.parquet"])["columns"].items()}


def test_odd_tables_get_snake_case_names_a_row_key_arrays_and_text_sequences(tmp_path):
    rng = np.random.default_rng(1)
    rows = 400
    frame = pl.DataFrame({
        "Invoice No": [f"INV-{i:06d}" for i in range(7, 7 + rows)],
        "CustomerName": [("Ann", "Bob", "Cy")[i % 3] + f" {i}" for i in range(rows)],
        "score": rng.normal(50, 10, rows),
        "tags": [[int(x) for x in rng.integers(0, 9, 1 + i % 4)] for i in range(rows)],
        "flag": rng.random(rows) < 0.3,
        "seen_at": pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 1, 6, 39), "1m", eager=True, time_zone="UTC"),
    })
    frame.write_parquet(tmp_path / "Odd Table.parquet")
    summary = run([tmp_path / "Odd Table.parquet", "--contract", tmp_path / "c" / "custom_odd.json",
                   "--generate", 2000, "--output", tmp_path / "out", "--format", "json"])
    assert summary["table"] == "odd_table"
    assert summary["renamed"] == {"Invoice No": "invoice_no", "CustomerName": "customer_name"}
    contract = json.loads((tmp_path / "c" / "custom_odd.json").read_text())
    columns = {c["name"]: c for c in contract["columns"]}
    # INV-000007 ... has one prefix and zero-padded digits: a text sequence, the key (no *_id)
    assert contract["primary_key"] == ["invoice_no"] and columns["invoice_no"]["pattern"] == "^INV-[0-9]{6,}$"
    assert columns["tags"]["type"] == "array<bigint>" and columns["seen_at"]["type"] == "timestamp"
    assert columns["seen_at"]["distribution"]["resolution"] == "s"
    assert (tmp_path / "c" / "_contract.schema.json").is_file()  # so validate.py --schemas c works
    result = validate.validate_directory(tmp_path / "out", schemas_dir=tmp_path / "out" / "_contracts")
    assert result.ok, str(result)
    copy = pl.read_ndjson(tmp_path / "out" / "odd_table.json")
    assert copy["invoice_no"][0] == "INV-000007" and copy["invoice_no"].n_unique() == 2000
    assert 0.25 < copy["flag"].mean() < 0.35
    assert copy["tags"].list.len().min() >= 1 and copy["tags"].list.len().max() <= 4

    keyless = pl.DataFrame({"colour": ["red", "blue"] * 50, "size": [1, 2, 3, 4] * 25})
    keyless.write_csv(tmp_path / "keyless.csv")
    summary = run([tmp_path / "keyless.csv"])
    assert summary["added"] == ["row_id"] and summary["primary_key"] == ["row_id"]
    assert summary["contract"]["columns"][0]["name"] == "row_id"


def test_every_bundled_contract_generates_valid_rows(tmp_path):
    """Any contract works with --from-contract: values/weights, sequences, named distributions,
    bounds and patterns are followed well enough for the validator (foreign keys dropped)."""
    failures = []
    for path in sorted(SCHEMAS.glob("*.json")):
        if path.name.startswith("_"):
            continue
        output = tmp_path / path.stem
        run(["--from-contract", path, "--generate", 300, "--output", output, "--seed", "3"])
        result = validate.validate_directory(output, schemas_dir=output / "_contracts")
        if not result.ok:
            failures.append(f"{path.name}: {'; '.join(str(e) for e in result.errors[:2])}")
    assert not failures, "\n".join(failures)


def test_pattern_sampler_matches_its_patterns():
    rng = np.random.default_rng(0)
    for pattern in (r"^\([2-9][0-9]{2}\) 555-01[0-9]{2}$", r"^[a-z0-9._-]+@example\.(com|net|org)$",
                    r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$", r"^.+ (Labs|Systems)$", r"^Z(CM|MR|MD)[0-9]{9}$"):
        values = introspect.sample_pattern(pattern, 300, rng)
        assert values.str.contains(pattern).all(), pattern


# --- errors, help, copies -----------------------------------------------------------------------

def test_unreadable_input_gives_a_clear_error(tmp_path, capsys):
    assert "does not exist" in fails([tmp_path / "missing.parquet"], capsys)
    (tmp_path / "notes.txt").write_text("hello")
    assert "unknown file type" in fails([tmp_path / "notes.txt"], capsys)
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    assert "cannot read" in fails([tmp_path / "broken.parquet"], capsys)
    pl.DataFrame({"a": []}, schema={"a": pl.Int64}).write_parquet(tmp_path / "empty.parquet")
    assert "no rows" in fails([tmp_path / "empty.parquet"], capsys)
    (tmp_path / "bad.json").write_text('{"table": "x"}')
    assert "breaks _contract.schema.json" in fails(["--from-contract", tmp_path / "bad.json", "--generate", 5], capsys)
    assert "--from-contract needs --generate" in fails(["--from-contract", tmp_path / "bad.json"], capsys)
    assert "one of them" in fails([], capsys)
    assert "must be at least 1" in fails([tmp_path / "x.parquet", "--generate", "0"], capsys)
    assert "the contract format knows" in fails([tmp_path / "empty.parquet", "--industry", "shop"], capsys)
    assert "does not have: zip" in fails([tmp_path / "empty.parquet", "--as-string", "zip"], capsys)


def test_help_runs_and_says_what_it_reads():
    done = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--from-contract" in done.stdout and "JSON Lines" in done.stdout


def test_helpers_are_verbatim_copies():
    """Same rule as tests/test_inlined_copies.py: a public name shared with a pattern file is an
    identical copy (private helpers may differ, except local_output's _path_bytes and _remove)."""
    copied = top_level_definitions(SCRIPT)
    for pattern, private in (("utils/local_output.py", {"_path_bytes", "_remove"}), ("utils/validate.py", set())):
        shared = top_level_definitions(SCRIPTS / pattern)
        same_name = [name for name in shared.keys() & copied.keys()
                     if (not name.startswith("_") or name in private) and name != "main"]
        differing = [name for name in same_name if shared[name] != copied[name]]
        assert not differing, f"re-copy {sorted(differing)} from {pattern}"
    assert {"write_table", "write_manifest", "polars_type", "_path_bytes"} <= copied.keys()
