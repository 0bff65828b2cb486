"""Every table contract in assets/schemas obeys the meta-schema and hangs together.

The validator and the generators trust the contracts; these tests are what makes that safe:
keys name real columns, foreign keys point at a parent's key with the same types, hints agree
with their column's type, and the spec's eighteen contracts are all there.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl
import pytest
from jsonschema import Draft202012Validator

from conftest import SCHEMAS

META = json.loads((SCHEMAS / "_contract.schema.json").read_text())
FILES = sorted(p for p in SCHEMAS.glob("*.json") if not p.name.startswith("_"))
CONTRACTS = {p.name: json.loads(p.read_text()) for p in FILES}
IDS = [p.name for p in FILES]

# The eighteen contracts the spec names (seed-README.md, "assets/schemas").
SPEC_FILES = [
    "retail_customer.json", "retail_product.json", "retail_transaction.json", "retail_line_item.json",
    "retail_inventory.json", "healthcare_patient.json", "healthcare_encounter.json", "healthcare_claim.json",
    "financial_account.json", "financial_trade.json", "financial_transaction.json", "iot_device.json",
    "iot_sensor.json", "iot_event.json", "iot_telemetry.json", "manufacturing_equipment.json",
    "manufacturing_sensor_data.json", "manufacturing_maintenance.json",
]

NUMERIC = re.compile(r"^(bigint|int|smallint|tinyint|double|float|decimal\(\d+,\d+\))$")
INTEGER = {"bigint": (-(2**63), 2**63 - 1), "int": (-(2**31), 2**31 - 1), "smallint": (-(2**15), 2**15 - 1), "tinyint": (-128, 127)}


def columns_of(contract: dict) -> dict[str, dict]:
    return {column["name"]: column for column in contract["columns"]}


def by_industry() -> dict[str, dict[str, dict]]:
    tables: dict[str, dict[str, dict]] = {}
    for contract in CONTRACTS.values():
        tables.setdefault(contract["industry"], {})[contract["table"]] = contract
    return tables


def accepts(column_type: str, value) -> bool:
    """Whether a hint value (an allowed value or a bound) is a value of the column's type."""
    try:
        return _accepts(column_type, value)
    except ValueError:  # an ISO string that does not parse
        return False


def _accepts(column_type: str, value) -> bool:
    if isinstance(value, bool):
        return column_type == "boolean"
    if column_type in INTEGER:
        low, high = INTEGER[column_type]
        return isinstance(value, int) and low <= value <= high
    if NUMERIC.match(column_type) or column_type.startswith("array<"):
        return isinstance(value, (int, float))
    if column_type == "string":
        return isinstance(value, str)
    if column_type == "date":
        return isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(dt.date.fromisoformat(value))
    if column_type in ("timestamp", "timestamp_ntz"):
        if not isinstance(value, str):
            return False
        parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        # a timestamp bound is an instant (offset or a bare date meaning midnight UTC); an ntz one is not
        return (parsed.tzinfo is not None or len(value) == 10) if column_type == "timestamp" else parsed.tzinfo is None
    return False


def test_contracts_exist():
    assert FILES, f"no contracts in {SCHEMAS}"


@pytest.mark.parametrize("name", IDS)
def test_contract_obeys_the_meta_schema(name):
    errors = sorted(Draft202012Validator(META).iter_errors(CONTRACTS[name]), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize("name", IDS)
def test_file_name_matches_industry(name):
    contract = CONTRACTS[name]
    assert name.startswith(contract["industry"] + "_"), f"{name} holds a {contract['industry']} table: name it {contract['industry']}_<entity>.json"
    assert re.fullmatch(r"[a-z]+_[a-z0-9_]+\.json", name)


@pytest.mark.parametrize("name", IDS)
def test_columns_are_distinct_and_keys_exist(name):
    contract = CONTRACTS[name]
    names = [column["name"] for column in contract["columns"]]
    assert len(names) == len(set(names)), f"{name}: repeated column names {sorted({n for n in names if names.count(n) > 1})}"
    columns = columns_of(contract)
    for key in contract["primary_key"]:
        assert key in columns, f"{name}: primary key column {key} is not a column of {contract['table']}"
        assert not columns[key]["nullable"], f"{name}: primary key column {key} must be nullable: false"
    for fk in contract["foreign_keys"]:
        for key in fk["columns"]:
            assert key in columns, f"{name}: foreign key column {key} is not a column of {contract['table']}"
        assert len(fk["columns"]) == len(fk["references"]["columns"]), f"{name}: {fk['columns']} and {fk['references']} differ in length"
    for external in contract.get("external_keys", []):
        for key in external["columns"]:
            assert key in columns, f"{name}: external key column {key} is not a column of {contract['table']}"


@pytest.mark.parametrize("name", IDS)
def test_foreign_keys_reference_a_parent_key_with_matching_types(name):
    contract = CONTRACTS[name]
    tables = by_industry()[contract["industry"]]
    columns = columns_of(contract)
    for fk in contract["foreign_keys"]:
        target = fk["references"]["table"]
        assert target in tables, f"{name}: foreign key {fk['columns']} references {target}, which has no {contract['industry']} contract"
        parent = tables[target]
        parent_columns = columns_of(parent)
        referenced = fk["references"]["columns"]
        for column in referenced:
            assert column in parent_columns, f"{name}: {target}.{column} does not exist"
        is_key = referenced == parent["primary_key"] or sorted(referenced) == sorted(parent["primary_key"])
        is_unique = len(referenced) == 1 and parent_columns[referenced[0]].get("unique", False)
        assert is_key or is_unique, f"{name}: {fk['columns']} must reference {target}'s primary key {parent['primary_key']} or a unique column, not {referenced}"
        for child, parent_column in zip(fk["columns"], referenced, strict=True):
            assert columns[child]["type"] == parent_columns[parent_column]["type"], (
                f"{name}: {contract['table']}.{child} is {columns[child]['type']} but {target}.{parent_column} is {parent_columns[parent_column]['type']}")


@pytest.mark.parametrize("name", IDS)
def test_hints_agree_with_their_column(name):
    for column in CONTRACTS[name]["columns"]:
        label = f"{name}: {column['name']} ({column['type']})"
        if "weights" in column:
            assert len(column["weights"]) == len(column["values"]), f"{label}: {len(column['weights'])} weights for {len(column['values'])} values"
            assert sum(column["weights"]) > 0, f"{label}: weights add up to 0"
        for value in column.get("values", []):
            assert accepts(column["type"], value), f"{label}: allowed value {value!r} is not a {column['type']}"
        if "values" in column:
            assert len(column["values"]) == len({json.dumps(v) for v in column["values"]}), f"{label}: repeated allowed values"
        for bound in ("min", "max"):
            if bound in column:
                assert column["type"] not in ("string", "boolean"), f"{label}: {bound} on a {column['type']} column means nothing to the validator"
                assert accepts(column["type"], column[bound]), f"{label}: {bound} {column[bound]!r} is not a {column['type']}"
        if "min" in column and "max" in column and NUMERIC.match(column["type"]):
            assert column["min"] <= column["max"], f"{label}: min above max"
        if "min" in column and "max" in column and column["type"] in ("date", "timestamp", "timestamp_ntz"):
            assert str(column["min"]) <= str(column["max"]), f"{label}: min after max"
        if column.get("null_rate"):
            assert column["nullable"], f"{label}: null_rate {column['null_rate']} on a non-null column"


@pytest.mark.parametrize("name", IDS)
def test_patterns_compile_and_allowed_values_match_them(name):
    for column in CONTRACTS[name]["columns"]:
        if "pattern" not in column:
            continue
        label = f"{name}: {column['name']}"
        pattern = column["pattern"]
        re.compile(pattern)
        # The validator matches with Polars (Rust regex: no look-around, no back-references).
        try:
            pl.select(pl.lit("x").str.contains(f"^(?:{pattern})$"))
        except pl.exceptions.PolarsError as error:
            pytest.fail(f"{label}: pattern {pattern!r} is not valid for Polars/Rust regex: {error}")
        for value in column.get("values", []):
            assert re.fullmatch(pattern, str(value)), f"{label}: allowed value {value!r} does not match its own pattern"


def test_no_two_contracts_of_an_industry_share_a_table():
    seen: dict[tuple[str, str], str] = {}
    for name, contract in CONTRACTS.items():
        key = (contract["industry"], contract["table"])
        assert key not in seen, f"{name} and {seen[key]} both describe {contract['industry']} table {contract['table']}"
        seen[key] = name


def test_the_spec_contracts_are_all_present():
    missing = [name for name in SPEC_FILES if not (SCHEMAS / name).is_file()]
    assert not missing, (
        f"{len(missing)} of the spec's 18 contracts are missing from assets/schemas: {', '.join(missing)} "
        "(each industry's contracts arrive with its generator)")
