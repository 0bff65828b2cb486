"""The validator (scripts/utils/validate.py) passes clean folders and catches planted violations.

The tests write their own tiny contracts ("shop": customers, orders, order_lines with a composite
key; "bank": accounts, transactions — a second industry with a `transactions` table) into a tmp
folder, so they do not depend on the industry contracts. Each planted violation is asserted by
check id, table, column and count.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from conftest import REPO, SCHEMAS, load_script

validate = load_script("utils/validate.py")
SCRIPT = REPO / "scripts" / "utils" / "validate.py"
UTC = dt.timezone.utc


def column(name, type_, nullable=False, **hints):
    return {"name": name, "type": type_, "nullable": nullable, "description": f"test column {name}", **hints}


CONTRACTS = {
    "shop_customer.json": {
        "table": "customers", "industry": "retail", "description": "Test customers table.",
        "primary_key": ["customer_id"], "foreign_keys": [],
        "columns": [
            column("customer_id", "bigint", min=1000),
            column("email", "string", unique=True, pattern=r"^[a-z0-9.]+@example\.(com|net|org)$"),
            column("phone", "string", nullable=True),
            column("tier", "string", values=["Bronze", "Silver", "Gold"], weights=[5, 3, 2]),
            column("signup_date", "date", min="2020-01-01", max="2024-12-31"),
            column("lifetime_value", "decimal(12,2)", min=0),
            column("score", "double", min=0, max=1),
        ],
    },
    "shop_order.json": {
        "table": "orders", "industry": "retail", "description": "Test orders table.",
        "primary_key": ["order_id"],
        "foreign_keys": [{"columns": ["customer_id"], "references": {"table": "customers", "columns": ["customer_id"]}}],
        "columns": [
            column("order_id", "bigint"),
            column("customer_id", "bigint"),
            column("ordered_at", "timestamp", min="2024-01-01T00:00:00Z", max="2024-12-31T23:59:59Z"),
            column("quantity", "int", min=1, max=10),
            column("gift", "boolean"),
        ],
    },
    "shop_line.json": {
        "table": "order_lines", "industry": "retail", "description": "Test order lines, composite key.",
        "primary_key": ["order_id", "line_number"],
        "foreign_keys": [{"columns": ["order_id"], "references": {"table": "orders", "columns": ["order_id"]}}],
        "columns": [
            column("order_id", "bigint"),
            column("line_number", "int", min=1),
            column("sku", "string", pattern=r"SKU-[0-9]{4}"),
        ],
    },
    "bank_account.json": {
        "table": "accounts", "industry": "financial", "description": "Test bank accounts.",
        "primary_key": ["account_id"], "foreign_keys": [],
        "columns": [column("account_id", "bigint"), column("opened_on", "date")],
    },
    "bank_transaction.json": {
        "table": "transactions", "industry": "financial", "description": "Test bank transactions.",
        "primary_key": ["transaction_id"],
        "foreign_keys": [{"columns": ["account_id"], "references": {"table": "accounts", "columns": ["account_id"]}}],
        "columns": [column("transaction_id", "bigint"), column("account_id", "bigint"),
                    column("booked_at", "timestamp_ntz"), column("embedding", "array<double>", nullable=True, min=-1, max=1)],
    },
}

SHOP_SCHEMAS = {
    "customers": {"customer_id": pl.Int64, "email": pl.String, "phone": pl.String, "tier": pl.String,
                  "signup_date": pl.Date, "lifetime_value": pl.Decimal(12, 2), "score": pl.Float64},
    "orders": {"order_id": pl.Int64, "customer_id": pl.Int64, "ordered_at": pl.Datetime("us", "UTC"),
               "quantity": pl.Int32, "gift": pl.Boolean},
    "order_lines": {"order_id": pl.Int64, "line_number": pl.Int32, "sku": pl.String},
}


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("schemas")
    shutil.copy(SCHEMAS / "_contract.schema.json", folder)
    for name, contract in CONTRACTS.items():
        (folder / name).write_text(json.dumps(contract))
    return folder


def shop_tables(n_customers: int = 20) -> dict[str, pl.DataFrame]:
    ids = list(range(1000, 1000 + n_customers))
    customers = pl.DataFrame({
        "customer_id": ids,
        "email": [f"c{i}@example.com" for i in ids],
        "phone": [None if i % 5 == 0 else "(212) 555-0100" for i in ids],
        "tier": [["Bronze", "Silver", "Gold"][i % 3] for i in ids],
        "signup_date": [dt.date(2020, 1, 1) + dt.timedelta(days=40 * (k % 45)) for k in range(n_customers)],
        "lifetime_value": [Decimal(f"{k * 12.5:.2f}") for k in range(n_customers)],
        "score": [k / n_customers for k in range(n_customers)],
    }, schema=SHOP_SCHEMAS["customers"])
    order_ids = list(range(1, 2 * n_customers + 1))
    orders = pl.DataFrame({
        "order_id": order_ids,
        "customer_id": [ids[k % n_customers] for k in range(len(order_ids))],
        "ordered_at": [dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(hours=97 * (k % 90)) for k in range(len(order_ids))],
        "quantity": [1 + k % 10 for k in range(len(order_ids))],
        "gift": [k % 4 == 0 for k in range(len(order_ids))],
    }, schema=SHOP_SCHEMAS["orders"])
    lines = pl.DataFrame({
        "order_id": [o for o in order_ids for _ in range(2)],
        "line_number": [n for _ in order_ids for n in (1, 2)],
        "sku": [f"SKU-{(o * 7 + n) % 10000:04d}" for o in order_ids for n in (1, 2)],
    }, schema=SHOP_SCHEMAS["order_lines"])
    return {"customers": customers, "orders": orders, "order_lines": lines}


def write(folder: Path, tables: dict[str, pl.DataFrame], fmt: str = "parquet", manifest: bool = True, **manifest_extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name, frame in tables.items():
        if fmt == "parquet":
            path = folder / f"{name}.parquet"
            frame.write_parquet(path)
        elif fmt == "csv":
            path = folder / f"{name}.csv"
            frame.write_csv(path)
        elif fmt == "json":
            path = folder / f"{name}.json"
            frame.write_ndjson(path)
        else:
            path = folder / name
            frame.write_delta(path)
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
        entries[name] = {"rows": frame.height, "path": path.name, "bytes": size}
    if manifest:
        (folder / "_manifest.json").write_text(json.dumps({"industry": "retail", "seed": 42, "format": fmt, "tables": entries, **manifest_extra}))
    return folder


def check(folder: Path, schemas: Path, **kwargs):
    return validate.validate_directory(folder, schemas_dir=schemas, **kwargs)


def only(findings, check_id: str):
    found = [f for f in findings if f.check == check_id]
    assert len(found) == 1, f"expected one {check_id} finding, got {[str(f) for f in findings]}"
    return found[0]


# --- clean folders -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json", "delta"])
def test_clean_folder_passes_in_every_format(tmp_path, schemas, fmt):
    result = check(write(tmp_path / fmt, shop_tables(), fmt), schemas)
    assert result.ok, str(result)
    assert result.industry == "retail"
    assert result.tables["order_lines"]["rows"] == 80
    assert "OK" in str(result)


def test_repo_contracts_are_the_default(tmp_path):
    # The real contracts folder next to the script is used when no schemas_dir is given.
    frame = shop_tables()["customers"]
    (tmp_path / "t").mkdir()
    frame.write_parquet(tmp_path / "t" / "customers.parquet")
    result = validate.validate_directory(tmp_path / "t", industry="retail")
    assert result.industry == "retail"
    assert any(f.check == "missing_column" and f.table == "customers" for f in result.errors)


# --- planted violations ------------------------------------------------------------------------


def test_orphan_foreign_key(tmp_path, schemas):
    tables = shop_tables()
    tables["orders"] = tables["orders"].with_columns(
        pl.when(pl.col("order_id") <= 3).then(pl.col("customer_id") + 1_000_000).otherwise(pl.col("customer_id")).alias("customer_id"))
    result = check(write(tmp_path, tables), schemas)
    finding = only(result.errors, "fk")
    assert (finding.table, finding.column, finding.count) == ("orders", "customer_id", 3)
    assert finding.examples == [1001000, 1001001, 1001002]
    assert "customers.customer_id" in finding.message and "1001000" in finding.message


def test_duplicate_primary_key(tmp_path, schemas):
    tables = shop_tables()
    customers = tables["customers"]
    tables["customers"] = pl.concat([customers, customers.head(2).with_columns(email=pl.lit("x@example.com"))])
    result = check(write(tmp_path, tables), schemas)
    pk = only(result.errors, "pk")
    assert (pk.table, pk.column, pk.count) == ("customers", "customer_id", 2)
    assert pk.examples == [1000, 1001]
    unique = only(result.errors, "unique")
    assert (unique.table, unique.column, unique.count) == ("customers", "email", 1)
    assert unique.examples == ["x@example.com"]


def test_duplicate_composite_primary_key(tmp_path, schemas):
    tables = shop_tables()
    lines = tables["order_lines"]
    tables["order_lines"] = pl.concat([lines, lines.filter(pl.col("order_id") == 5)])
    result = check(write(tmp_path, tables), schemas)
    pk = only(result.errors, "pk")
    assert (pk.table, pk.column, pk.count) == ("order_lines", "order_id, line_number", 2)
    assert pk.examples == [{"order_id": 5, "line_number": 1}, {"order_id": 5, "line_number": 2}]


def test_composite_key_not_duplicated_by_one_column(tmp_path, schemas):
    # order_id repeats across lines, but (order_id, line_number) does not: clean.
    assert check(write(tmp_path, shop_tables()), schemas).ok


def test_null_in_non_null_column(tmp_path, schemas):
    tables = shop_tables()
    tables["customers"] = tables["customers"].with_columns(
        pl.when(pl.col("customer_id").is_in([1003, 1007])).then(None).otherwise(pl.col("tier")).alias("tier"))
    result = check(write(tmp_path, tables), schemas)
    finding = only(result.errors, "nullable")
    assert (finding.table, finding.column, finding.count) == ("customers", "tier", 2)
    # phone is nullable and has nulls: no finding for it
    assert not [f for f in result.errors if f.column == "phone"]


def test_value_outside_allowed_set(tmp_path, schemas):
    tables = shop_tables()
    tables["customers"] = tables["customers"].with_columns(
        pl.when(pl.col("customer_id") < 1004).then(pl.lit("Diamond")).otherwise(pl.col("tier")).alias("tier"))
    finding = only(check(write(tmp_path, tables), schemas).errors, "values")
    assert (finding.table, finding.column, finding.count, finding.examples) == ("customers", "tier", 4, ["Diamond"])
    assert "Bronze, Silver, Gold" in finding.message


def test_below_min_and_above_max(tmp_path, schemas):
    tables = shop_tables()
    tables["orders"] = tables["orders"].with_columns(
        pl.when(pl.col("order_id") == 1).then(0).when(pl.col("order_id").is_in([2, 3, 4])).then(11)
        .otherwise(pl.col("quantity")).cast(pl.Int32).alias("quantity"))
    tables["customers"] = tables["customers"].with_columns(
        pl.when(pl.col("customer_id") == 1000).then(dt.date(2019, 12, 31)).otherwise(pl.col("signup_date")).alias("signup_date"),
        pl.when(pl.col("customer_id") == 1001).then(-1.0).otherwise(pl.col("score")).alias("score"))
    result = check(write(tmp_path, tables), schemas)
    found = {(f.table, f.column, f.check): f for f in result.errors}
    assert set(found) == {("orders", "quantity", "min"), ("orders", "quantity", "max"),
                          ("customers", "signup_date", "min"), ("customers", "score", "min")}
    assert found["orders", "quantity", "min"].count == 1
    assert found["orders", "quantity", "max"].count == 3 and found["orders", "quantity", "max"].examples == [11]
    assert found["customers", "signup_date", "min"].examples == [dt.date(2019, 12, 31)]


def test_timestamp_and_decimal_bounds(tmp_path, schemas):
    tables = shop_tables()
    late = dt.datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC)
    tables["orders"] = tables["orders"].with_columns(
        pl.when(pl.col("order_id") == 2).then(pl.lit(late)).otherwise(pl.col("ordered_at")).alias("ordered_at"))
    tables["customers"] = tables["customers"].with_columns(
        pl.when(pl.col("customer_id") == 1002).then(pl.lit(Decimal("-0.01"))).otherwise(pl.col("lifetime_value"))
        .cast(pl.Decimal(12, 2)).alias("lifetime_value"))
    result = check(write(tmp_path, tables), schemas)
    found = {(f.table, f.column, f.check): f.count for f in result.errors}
    assert found == {("orders", "ordered_at", "max"): 1, ("customers", "lifetime_value", "min"): 1}


def test_pattern_mismatch_is_a_full_match(tmp_path, schemas):
    tables = shop_tables()
    # "SKU-12345" contains SKU-1234 but is not one: full match required.
    tables["order_lines"] = tables["order_lines"].with_columns(
        pl.when(pl.col("order_id") == 7).then(pl.lit("SKU-12345")).otherwise(pl.col("sku")).alias("sku"))
    finding = only(check(write(tmp_path, tables), schemas).errors, "pattern")
    assert (finding.table, finding.column, finding.count, finding.examples) == ("order_lines", "sku", 2, ["SKU-12345"])


def test_wrong_type(tmp_path, schemas):
    tables = shop_tables()
    tables["orders"] = tables["orders"].with_columns(pl.col("quantity").cast(pl.Int64), pl.col("order_id").cast(pl.String))
    result = check(write(tmp_path, tables), schemas)
    found = {(f.table, f.column): f for f in result.errors if f.check == "type"}
    assert set(found) == {("orders", "quantity"), ("orders", "order_id")}
    assert "pl.Int32" in found["orders", "quantity"].message
    assert found["orders", "quantity"].count == 40 and found["orders", "quantity"].examples == ["Int64"]
    # a string key cannot be compared with the lines' integer key: FK check skipped, not crashed
    assert any(f.check == "fk" and "not checked" in f.message for f in result.notes)


def test_missing_column_and_extra_column(tmp_path, schemas):
    tables = shop_tables()
    tables["customers"] = tables["customers"].drop("score").with_columns(favourite_colour=pl.lit("teal"))
    result = check(write(tmp_path, tables), schemas)
    finding = only(result.errors, "missing_column")
    assert (finding.table, finding.column) == ("customers", "score")
    extra = only(result.notes, "extra_column")
    assert extra.examples == ["favourite_colour"]


def test_missing_table(tmp_path, schemas):
    tables = shop_tables()
    folder = write(tmp_path, tables)
    (folder / "order_lines.parquet").unlink()
    result = check(folder, schemas)
    missing = only(result.errors, "missing_table")
    assert missing.table == "order_lines" and "lists it" in missing.message
    assert check(folder, schemas, allow_missing=True).ok


def test_table_from_another_run(tmp_path, schemas):
    folder = write(tmp_path, shop_tables())
    # Another run (more customers) overwrote one table after the manifest was written.
    shop_tables(25)["customers"].write_parquet(folder / "customers.parquet")
    result = check(folder, schemas)
    finding = only(result.errors, "manifest")
    assert finding.table == "customers" and "another run" in finding.message
    assert "20" in finding.message and "25" in finding.message


def test_same_rows_different_bytes_is_another_run(tmp_path, schemas):
    folder = write(tmp_path, shop_tables())
    changed = shop_tables()["customers"].with_columns(pl.col("email").str.replace("@", ".x@"))
    changed.write_parquet(folder / "customers.parquet")
    finding = only(check(folder, schemas).errors, "manifest")
    assert finding.table == "customers" and "bytes" in finding.message


def test_table_not_in_manifest_and_stale_copy(tmp_path, schemas):
    folder = write(tmp_path, shop_tables())
    shop_tables()["orders"].write_csv(folder / "orders.csv")
    result = check(folder, schemas)
    finding = only(result.errors, "manifest")
    assert finding.table == "orders" and finding.examples == ["orders.csv"]
    assert result.tables["orders"]["path"] == "orders.parquet"


def test_no_manifest_is_a_note(tmp_path, schemas):
    result = check(write(tmp_path, shop_tables(), manifest=False), schemas)
    assert result.ok
    assert any(f.check == "manifest" and "no _manifest.json" in f.message for f in result.notes)


def test_csv_value_that_does_not_parse(tmp_path, schemas):
    folder = write(tmp_path, shop_tables(), "csv")
    text = (folder / "orders.csv").read_text().splitlines()
    header = text[0].split(",")
    row = text[3].split(",")
    row[header.index("quantity")] = "three"
    row[header.index("ordered_at")] = "2024-01-05 10:00:00"  # no offset: not a UTC instant
    text[3] = ",".join(row)
    (folder / "orders.csv").write_text("\n".join(text) + "\n")
    result = check(folder, schemas, allow_missing=False)
    found = {(f.table, f.column): f for f in result.errors if f.check == "type"}
    assert set(found) == {("orders", "quantity"), ("orders", "ordered_at")}
    assert found["orders", "quantity"].count == 1 and found["orders", "quantity"].examples == ["three"]
    assert "offset" in found["orders", "ordered_at"].message


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_formats_get_value_checks(tmp_path, schemas, fmt):
    tables = shop_tables()
    tables["customers"] = tables["customers"].with_columns(
        pl.when(pl.col("customer_id") == 1000).then(dt.date(2030, 1, 1)).otherwise(pl.col("signup_date")).alias("signup_date"))
    tables["orders"] = tables["orders"].with_columns(pl.col("customer_id") + pl.when(pl.col("order_id") == 9).then(500).otherwise(0))
    result = check(write(tmp_path, tables, fmt), schemas)
    found = {(f.table, f.column, f.check): f.count for f in result.errors}
    assert found == {("customers", "signup_date", "max"): 1, ("orders", "customer_id", "fk"): 1}


def test_spark_part_folders_with_int96_and_headerless_csv(tmp_path, schemas):
    """Spark's layout: part files, _SUCCESS, .crc; INT96 timestamps; CSV parts without a header."""
    folder = tmp_path / "spark"
    tables = shop_tables()
    for name, frame in tables.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "_SUCCESS").touch()
        halves = [frame.head(frame.height // 2), frame.tail(frame.height - frame.height // 2)]
        for index, part in enumerate(halves):
            stem = f"part-0000{index}-5d1c-c000"
            if name == "customers":  # CSV, as Spark writes it by default: no header line
                (folder / name / f"{stem}.csv").write_text(part.write_csv(include_header=False))
            else:
                arrow = part.to_arrow()
                pq.write_table(arrow, folder / name / f"{stem}.snappy.parquet", use_deprecated_int96_timestamps=True, store_schema=False)
            (folder / name / f".{stem}.crc").write_bytes(b"crc")
    assert pl.scan_parquet(folder / "orders" / "part-00000-5d1c-c000.snappy.parquet").collect_schema()["ordered_at"] == pl.Datetime("ns")
    result = check(folder, schemas)
    assert result.ok, str(result)
    assert result.tables["customers"]["rows"] == 20 and result.tables["orders"]["format"] == "parquet"


def test_spark_json_parts_leave_out_null_fields(tmp_path, schemas):
    folder = write(tmp_path, shop_tables(), manifest=False)
    (folder / "customers.parquet").unlink()
    (folder / "customers").mkdir()
    lines = [{k: v for k, v in row.items() if v is not None} for row in shop_tables()["customers"].with_columns(
        pl.col("signup_date").cast(pl.String), pl.col("lifetime_value").cast(pl.Float64)).to_dicts()]
    (folder / "customers" / "part-00000-a.json").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = check(folder, schemas)
    assert result.ok, str(result)
    assert only(result.notes, "spark_success").table == "customers"  # no _SUCCESS: maybe an unfinished job
    # Drop a non-null column from every line: missing, not "all nulls"
    (folder / "customers" / "part-00000-a.json").write_text("".join(json.dumps({k: v for k, v in line.items() if k != "tier"}) + "\n" for line in lines))
    finding = only(check(folder, schemas).errors, "missing_column")
    assert (finding.table, finding.column) == ("customers", "tier")


def test_timestamp_rules(tmp_path, schemas):
    tables = shop_tables()
    naive = tables["orders"].with_columns(pl.col("ordered_at").dt.replace_time_zone(None))
    finding = only(check(write(tmp_path / "naive", {**tables, "orders": naive}), schemas).errors, "type")
    assert finding.column == "ordered_at" and 'replace_time_zone("UTC")' in finding.message
    paris = tables["orders"].with_columns(pl.col("ordered_at").dt.convert_time_zone("Europe/Paris"))
    finding = only(check(write(tmp_path / "paris", {**tables, "orders": paris}), schemas).errors, "type")
    assert "convert_time_zone" in finding.message
    nanos = tables["orders"].with_columns(pl.col("ordered_at").dt.cast_time_unit("ns"))
    assert check(write(tmp_path / "ns", {**tables, "orders": nanos}), schemas).ok


def test_bank_industry_with_arrays_and_ntz(tmp_path, schemas):
    accounts = pl.DataFrame({"account_id": [1, 2, 3], "opened_on": [dt.date(2021, 1, 1)] * 3})
    transactions = pl.DataFrame({
        "transaction_id": [10, 11, 12, 13], "account_id": [1, 2, 3, 3],
        "booked_at": [dt.datetime(2024, 5, 1, 9, 30)] * 4,
        "embedding": [[0.5, -0.5], None, [1.0], [0.0, 1.5]],
    })
    for fmt in ("parquet", "json", "delta"):
        result = check(write(tmp_path / fmt, {"accounts": accounts, "transactions": transactions}, fmt, manifest=False), schemas)
        assert result.industry == "financial", fmt
        finding = only(result.errors, "max")
        assert (finding.table, finding.column, finding.count) == ("transactions", "embedding", 1), fmt


def test_industry_inference_uses_columns(tmp_path, schemas):
    # A lone `transactions` table: the bank contract's columns fit, retail has no such table here
    bank = pl.DataFrame({"transaction_id": [1], "account_id": [1], "booked_at": [dt.datetime(2024, 1, 1)], "embedding": [[0.1]]})
    result = check(write(tmp_path / "a", {"transactions": bank}, manifest=False), schemas, allow_missing=True)
    assert result.industry == "financial"
    # Nothing fits: a usage error, not a crash
    with pytest.raises(validate.UsageError, match="no table"):
        check(write(tmp_path / "b", {"weather": pl.DataFrame({"x": [1]})}, manifest=False), schemas)


def test_industry_inference_when_two_industries_have_the_table(tmp_path, schemas):
    both = tmp_path / "schemas"
    shutil.copytree(schemas, both)
    retail_transactions = {
        "table": "transactions", "industry": "retail", "description": "Test retail transactions.",
        "primary_key": ["transaction_id"], "foreign_keys": [],
        "columns": [column("transaction_id", "bigint"), column("store_id", "int"), column("total", "decimal(12,2)")],
    }
    (both / "shop_transaction.json").write_text(json.dumps(retail_transactions))
    retail = pl.DataFrame({"transaction_id": [1], "store_id": [3], "total": [Decimal("9.99")]},
                          schema={"transaction_id": pl.Int64, "store_id": pl.Int32, "total": pl.Decimal(12, 2)})
    bank = pl.DataFrame({"transaction_id": [1], "account_id": [1], "booked_at": [dt.datetime(2024, 1, 1)], "embedding": [[0.1]]})
    for frame, industry in ((retail, "retail"), (bank, "financial")):
        folder = write(tmp_path / industry, {"transactions": frame}, manifest=False)
        assert validate.validate_directory(folder, schemas_dir=both, allow_missing=True).industry == industry
    # Only the shared key column: both fit as well, so the validator asks instead of guessing.
    folder = write(tmp_path / "unclear", {"transactions": pl.DataFrame({"transaction_id": [1]})}, manifest=False)
    with pytest.raises(validate.UsageError, match="retail and financial|financial and retail"):
        validate.validate_directory(folder, schemas_dir=both)
    # ... unless told.
    result = validate.validate_directory(folder, industry="retail", schemas_dir=both)
    assert {f.column for f in result.errors if f.check == "missing_column"} == {"store_id", "total"}


def test_unknown_table_is_a_note(tmp_path, schemas):
    tables = {**shop_tables(), "audit_log": pl.DataFrame({"x": [1, 2]})}
    result = check(write(tmp_path, tables), schemas)
    assert result.ok
    assert only(result.notes, "extra_table").table == "audit_log"


def test_broken_contract_is_reported(tmp_path, schemas):
    broken = tmp_path / "schemas"
    shutil.copytree(schemas, broken)
    bad = json.loads((broken / "shop_order.json").read_text())
    bad["columns"][0]["type"] = "varchar"
    (broken / "shop_order.json").write_text(json.dumps(bad))
    (broken / "bank_broken.json").write_text("{not json")
    result = validate.validate_directory(write(tmp_path / "data", shop_tables()), schemas_dir=broken)
    contract = only(result.errors, "contract")
    assert "shop_order.json" in contract.message and "varchar" in contract.message
    assert any(f.check == "contract" and "bank_broken.json" in f.message for f in result.notes)


def test_injected_nulls_and_duplicates_are_notes(tmp_path, schemas):
    tables = shop_tables(200)
    customers = tables["customers"].with_columns(
        pl.when(pl.col("customer_id") % 20 == 0).then(None).otherwise(pl.col("tier")).alias("tier"))  # 5%
    customers = pl.concat([customers, customers.head(2)])  # 2 duplicate rows of 202: 1%
    tables["customers"] = customers
    injections = {"nulls": {"customers.tier": 0.05}, "duplicate_rate": 0.01}
    result = check(write(tmp_path / "ok", tables, quality_injections=injections), schemas)
    assert result.ok, str(result)
    nulls = only(result.notes, "nullable")
    assert nulls.column == "tier" and nulls.count == 11  # 10 planted, one more in a duplicated row
    assert "injected by --inject-nulls (configured 5%, found 5.45%)" in nulls.message
    assert only(result.notes, "pk").count == 2
    # Far more nulls than configured: still an error
    too_many = {"nulls": {"customers.tier": 0.001}, "duplicate_rate": 0.01}
    result = check(write(tmp_path / "bad", tables, quality_injections=too_many), schemas)
    too_many_nulls = only(result.errors, "nullable")
    assert too_many_nulls.count == 11 and "more than --inject-nulls accounts for (configured 0.1%, found 5.45%)" in too_many_nulls.message


def test_duplicate_rate_per_table_names_its_flag(tmp_path, schemas):
    tables = shop_tables(200)
    tables["orders"] = pl.concat([tables["orders"], tables["orders"].head(4)])  # 4 of 404: 0.99%
    injections = {"duplicate_rate": {"orders": 0.01}}
    result = check(write(tmp_path / "ok", tables, quality_injections=injections), schemas)
    assert result.ok, str(result)
    assert "injected by --duplicate-rate (configured 1%, found 0.99%)" in only(result.notes, "pk").message
    # A rate for another table explains nothing here
    result = check(write(tmp_path / "other", tables, quality_injections={"duplicate_rate": {"order_lines": 0.01}}), schemas)
    assert only(result.errors, "pk").table == "orders"


def test_late_timestamps_are_notes_only_for_times(tmp_path, schemas):
    tables = shop_tables(200)
    orders = tables["orders"]
    late = pl.col("order_id") % 50 == 0  # 8 of 400: 2%
    tables["orders"] = orders.with_columns(
        pl.when(late).then(pl.lit(dt.datetime(2025, 1, 3, tzinfo=UTC))).otherwise(pl.col("ordered_at")).alias("ordered_at"),
        pl.when(late).then(11).otherwise(pl.col("quantity")).cast(pl.Int32).alias("quantity"),
    )
    injections = {"late_rate": {"orders.ordered_at": 0.02}}
    result = check(write(tmp_path / "late", tables, quality_injections=injections), schemas)
    note = only(result.notes, "max")
    assert note.column == "ordered_at" and note.count == 8
    assert "injected by --late-rate (configured 2%, found 2%)" in note.message
    # The same share on a number is still an error: only a time can be late
    assert [(f.column, f.check) for f in result.errors] == [("quantity", "max")]
    # Twice the configured share is more than sampling noise
    result = check(write(tmp_path / "more", tables, quality_injections={"late_rate": {"orders.ordered_at": 0.005}}), schemas)
    assert "more than --late-rate accounts for" in next(f for f in result.errors if f.column == "ordered_at").message


def test_run_window_bounds_replace_the_contracts_date_bounds(tmp_path, schemas):
    tables = shop_tables(50)
    tables["orders"] = tables["orders"].with_columns(pl.col("ordered_at").dt.offset_by("-2y"))  # all in 2022
    result = check(write(tmp_path / "plain", tables), schemas)
    assert only(result.errors, "min").column == "ordered_at"
    window = {"orders.ordered_at": {"min": "2022-01-01T00:00:00Z", "max": "2022-12-31T23:59:59Z"},
              "orders.quantity": {"min": "5", "max": "6"},  # numeric bounds are the contract's, whatever the manifest says
              "customers.signup_date": {"min": "2020-01-01", "max": "2024-12-31"}}  # same as the contract: no note
    result = check(write(tmp_path / "window", tables, bounds=window), schemas)
    assert result.ok, str(result)
    note = only(result.notes, "window")
    assert note.table == "orders" and note.count == 1
    assert "ordered_at 2022-01-01T00:00:00Z..2022-12-31T23:59:59Z (contract 2024-01-01T00:00:00Z..2024-12-31T23:59:59Z)" in note.message
    # The run's bounds are enforced like the contract's
    tables["orders"] = tables["orders"].with_columns(pl.col("ordered_at").dt.offset_by("1y"))
    result = check(write(tmp_path / "outside", tables, bounds=window), schemas)
    assert only(result.errors, "max").column == "ordered_at"


def test_corrupt_table_is_a_read_error(tmp_path, schemas):
    folder = write(tmp_path, shop_tables(), manifest=False)
    (folder / "orders.parquet").write_bytes(b"not a parquet file")
    result = check(folder, schemas)
    finding = only(result.errors, "read")
    assert finding.table == "orders"


def test_report_names_every_violation(tmp_path, schemas):
    tables = shop_tables()
    tables["orders"] = tables["orders"].with_columns(pl.col("customer_id") + 100)
    tables["customers"] = tables["customers"].with_columns(tier=pl.lit("Tin"))
    result = check(write(tmp_path, tables), schemas)
    report = str(result)
    assert "FAILED" in report
    assert "[fk] orders.customer_id" in report and "[values] customers.tier: 20 rows" in report
    data = result.to_dict()
    assert data["ok"] is False and {e["check"] for e in data["errors"]} == {"fk", "values"}


def test_summary_profile(tmp_path, schemas):
    result = check(write(tmp_path, shop_tables(), "csv"), schemas, summary=True)
    profile = result.profiles["customers"]
    assert profile["rows"] == 20
    assert profile["columns"]["phone"]["null_pct"] == 20.0
    assert profile["columns"]["signup_date"]["min"] == "2020-01-01"
    assert profile["columns"]["tier"]["top"] == [["Gold", 35.0], ["Silver", 35.0], ["Bronze", 30.0]]  # ties by name
    assert profile["columns"]["email"]["top"] == "all distinct" and profile["columns"]["email"]["distinct"] == 20
    text = validate.format_profiles(result.profiles)
    assert "customers: 20 rows" in text and "Gold 35%, Silver 35%, Bronze 30%" in text


def test_summary_lists_every_share_of_a_small_category_set(tmp_path, schemas):
    """Up to 8 values: all shares (a 5% tier must not fall off the list); more: three and '...'."""
    tables = shop_tables()
    tiers = ["Bronze"] * 9 + ["Silver"] * 6 + ["Gold"] * 4 + ["Platinum"]
    segments = [f"s{i % 9}" for i in range(20)]  # an extra column: profiled, not checked
    tables["customers"] = tables["customers"].with_columns(tier=pl.Series(tiers), segment=pl.Series(segments))
    result = check(write(tmp_path, tables), schemas, summary=True)
    columns = result.profiles["customers"]["columns"]
    assert [value for value, _ in columns["tier"]["top"]] == ["Bronze", "Silver", "Gold", "Platinum"]
    assert len(columns["segment"]["top"]) == 3
    text = validate.format_profiles(result.profiles)
    assert "Gold 20%, Platinum 5%" in text and "s0 15%, s1 15%, s2 10%, ..." in text


# --- the command line ----------------------------------------------------------------------------


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_cli_exit_codes(tmp_path, schemas):
    clean = write(tmp_path / "clean", shop_tables())
    done = run_cli(clean, "--schemas", schemas, "--summary")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout and "order_lines: 80 rows" in done.stdout and "Gold 35%, Silver 35%, Bronze 30%" in done.stdout

    tables = shop_tables()
    tables["orders"] = tables["orders"].with_columns(pl.col("customer_id") + 1000)
    dirty = write(tmp_path / "dirty", tables)
    done = run_cli(dirty, "--schemas", schemas)
    assert done.returncode == 1
    assert "orders.customer_id: 40 rows reference values not in customers.customer_id" in done.stdout
    done = run_cli(dirty, "--schemas", schemas, "--json")
    assert done.returncode == 1 and json.loads(done.stdout)["errors"][0]["check"] == "fk"

    for args in ([tmp_path / "nowhere", "--schemas", schemas], [clean, "--schemas", tmp_path / "no-schemas"],
                 [clean, "--schemas", schemas, "--industry", "aerospace"], [clean / "customers.parquet"], []):
        done = run_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and "error:" in done.stderr


# --- real Spark output ---------------------------------------------------------------------------

SPARK_DDL = {
    "customers": "customer_id bigint, email string, phone string, tier string, signup_date date, lifetime_value decimal(12,2), score double",
    "orders": "order_id bigint, customer_id bigint, ordered_at timestamp, quantity int, gift boolean",
    "order_lines": "order_id bigint, line_number int, sku string",
}


@pytest.mark.spark
def test_tables_written_by_spark(tmp_path, schemas, spark):
    """Spark's own defaults: INT96 parquet timestamps, header-less CSV, JSON without null fields,
    text timestamps with the session zone's offset, part files with _SUCCESS and .crc."""
    saved = {key: spark.conf.get(key) for key in ("spark.sql.parquet.outputTimestampType", "spark.sql.session.timeZone")}
    spark.conf.set("spark.sql.parquet.outputTimestampType", "INT96")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        frames = {name: spark.createDataFrame(frame.rows(), schema=SPARK_DDL[name]) for name, frame in shop_tables().items()}
        folder = tmp_path / "spark"
        frames["orders"].repartition(2).write.parquet(str(folder / "orders"))
        frames["customers"].repartition(2).write.csv(str(folder / "customers"))
        frames["order_lines"].repartition(3).write.json(str(folder / "order_lines"))
        timestamps = pq.ParquetFile(next((folder / "orders").glob("part-*.parquet"))).schema
        assert "int96" in str(timestamps).lower()
        assert any((folder / "customers").glob("._SUCCESS.crc"))
        result = check(folder, schemas)
        assert result.ok, str(result)
        assert result.tables["orders"]["rows"] == 40 and result.tables["order_lines"]["rows"] == 80
        # Text timestamps carry the session zone's offset; they must come back as the same instants.
        text = tmp_path / "text"
        frames["orders"].coalesce(1).write.option("header", True).csv(str(text / "orders"))
        frames["customers"].write.json(str(text / "customers"))
        frames["order_lines"].write.parquet(str(text / "order_lines"))
        assert "-05:00," in next((text / "orders").glob("part-*.csv")).read_text()
        result = check(text, schemas, summary=True)
        assert result.ok, str(result)
        ordered_at = result.profiles["orders"]["columns"]["ordered_at"]
        expected = shop_tables()["orders"]["ordered_at"]
        assert (ordered_at["min"], ordered_at["max"]) == (str(expected.min()), str(expected.max()))
        # Plant an orphan through Spark and see it caught.
        orphan = frames["orders"].selectExpr("order_id", "customer_id + 5000 as customer_id", "ordered_at", "quantity", "gift")
        orphan.write.mode("overwrite").parquet(str(folder / "orders"))
        finding = only(check(folder, schemas).errors, "fk")
        assert (finding.table, finding.column, finding.count) == ("orders", "customer_id", 40)
    finally:
        for key, value in saved.items():
            spark.conf.set(key, value)
