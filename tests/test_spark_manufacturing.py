"""Manufacturing Spark generator (scripts/generators/manufacturing.py) on real local Spark.

Built through the generator's own functions with the fixtures' sessions (classic local[2] and a
local Spark Connect server), written with --output semantics, then checked by the validator and by
counts made here. Realism is measured the way tests/test_polars_manufacturing.py measures Tier 1,
against the contracts, with the tolerance stated next to each check; a fixed seed keeps every
figure deterministic.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pyspark.sql import functions as F

from conftest import SCHEMAS, SCRIPTS, load_script

mfg = load_script("generators/manufacturing.py")
tier1 = load_script("generators/polars/manufacturing.py")
SCRIPT = SCRIPTS / "generators" / "manufacturing.py"
TABLES = ("equipment", "sensor_data", "maintenance_records")
CONTRACT_FILES = {"equipment": "manufacturing_equipment.json", "sensor_data": "manufacturing_sensor_data.json",
                  "maintenance_records": "manufacturing_maintenance.json"}
SENSORS = ["sensor_a", "sensor_b", "sensor_c", "sensor_d", "sensor_e", "sensor_f"]
UTC_TIMESTAMP = pl.Datetime("us", "UTC")
EXPECTED_SCHEMAS = {  # the contracts' types as Polars reads Spark's parquet
    "equipment": {"equipment_id": pl.String, "type": pl.String, "manufacturer": pl.String, "model": pl.String,
                  "rated_power_kw": pl.Float64, "zone": pl.String, "production_line": pl.String,
                  "install_date": pl.Date, "criticality": pl.String, "status": pl.String},
    "sensor_data": {"equipment_id": pl.String, "timestamp": UTC_TIMESTAMP, **{s: pl.Float64 for s in SENSORS},
                    "is_anomaly": pl.Boolean, "failure_mode": pl.String},
    "maintenance_records": {"work_order_id": pl.String, "equipment_id": pl.String, "type": pl.String,
                            "priority": pl.String, "status": pl.String, "failure_mode": pl.String,
                            "opened_at": UTC_TIMESTAMP, "completed_at": UTC_TIMESTAMP, "downtime_hours": pl.Float64,
                            "cost": pl.Decimal(12, 2), "technician": pl.String},
}  # fmt: skip


def contract(table: str) -> dict:
    return json.loads((SCHEMAS / CONTRACT_FILES[table]).read_text())


def column_spec(table: str, column: str) -> dict:
    return next(c for c in contract(table)["columns"] if c["name"] == column)


def run_generator(spark, directory: Path, *args: str) -> dict:
    _, arguments = mfg.parse_args([*args, "--output", str(directory)])
    return mfg.generate(spark, arguments)


def read(directory: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(directory / table / "*.parquet")


def validator_report(directory: Path) -> str | None:
    """The validator's report when it finds errors, None when the folder is clean."""
    result = load_script("utils/validate.py").validate_directory(directory, industry="manufacturing")
    return None if result.ok else str(result)


def own_integrity_counts(directory: Path) -> dict[str, int]:
    """Duplicate primary keys and foreign-key orphans, counted here rather than by the validator."""
    equipment, sensors, orders = (read(directory, t) for t in TABLES)
    return {
        "equipment duplicate keys": equipment.height - equipment["equipment_id"].n_unique(),
        "sensor_data duplicate keys": sensors.height - sensors.select("equipment_id", "timestamp").n_unique(),
        "maintenance duplicate keys": orders.height - orders["work_order_id"].n_unique(),
        "sensor_data orphans": sensors.join(equipment, on="equipment_id", how="anti").height,
        "maintenance orphans": orders.join(equipment, on="equipment_id", how="anti").height,
    }


def sorted_frames(directory: Path) -> dict[str, pl.DataFrame]:
    keys = {"equipment": ["equipment_id"], "sensor_data": ["equipment_id", "timestamp"],
            "maintenance_records": ["work_order_id"]}  # fmt: skip
    return {t: read(directory, t).sort(keys[t]) for t in TABLES}


# --- The file itself (no Spark) -------------------------------------------------------------------


def notebook_cells() -> list[str]:
    """Cells as Databricks splits a Python notebook source file."""
    text = SCRIPT.read_text()
    assert text.startswith("# Databricks notebook source\n")
    return text.removeprefix("# Databricks notebook source\n").split("\n# COMMAND ----------\n")


def test_file_is_a_databricks_notebook_whose_cells_compile():
    text = SCRIPT.read_text()
    assert "# /// script" not in text  # no PEP 723 header: pyspark and databricks-connect never share an env
    cells = notebook_cells()
    assert len(cells) >= 8
    markdown = [line for line in cells[0].strip().splitlines()]
    assert markdown[0] == "# MAGIC %md" and all(line.startswith("# MAGIC") for line in markdown)
    assert cells[1].strip() == "# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0"
    for number, cell in enumerate(cells):
        # MAGIC lines are comments already; compiling each cell on its own is what a notebook does.
        compile(cell, f"cell {number}", "exec")
    assert "def main(" in cells[-1] and cells[-1].rstrip().endswith("main()")


def top_level_definitions(path: Path) -> dict[str, str]:
    """Source of each top-level function, class and single-name assignment (whole lines)."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = "".join(lines[node.lineno - 1:node.end_lineno])
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = "".join(lines[node.lineno - 1:node.end_lineno])
    return found


@pytest.mark.parametrize("pattern,names", [
    ("spark_session.py", ["get_spark", "column_seed", "LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND"]),
    ("output.py", ["TOOL", "MARKER", "MODES", "SYNTHETIC_NOTE", "MAX_NAME_LENGTH", "UC_FORBIDDEN", "TOOL_FORBIDDEN",
                   "check_identifier", "quote_identifier", "qualified_name", "OutputError", "sql_string",
                   "contract_mismatches", "table_properties", "created_by_this_tool", "write_table"]),
    ("uc_setup.py", ["catalog_exists", "check_identifier", "quote_identifier", "qualified_name"]),
])  # fmt: skip
def test_shared_helpers_are_verbatim_copies(pattern, names):
    shared = top_level_definitions(SCRIPTS / "utils" / pattern)
    copied = top_level_definitions(SCRIPT)
    assert [n for n in names if copied.get(n) != shared[n]] == []
    # and nothing else the generator defines shadows a differing helper of the same name
    assert [n for n in shared.keys() & copied.keys() if copied[n] != shared[n] and n != "main"] == []


def test_help_runs_as_a_plain_script():
    run = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "--anomaly-rate" in run.stdout and "--catalog" in run.stdout and "--partitions" in run.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rows", "0", "--output", "x"], "must be at least 1"),
        (["--rows", "abc", "--output", "x"], "expected a whole number"),
        (["--anomaly-rate", "-1", "--output", "x"], "must be between 0 and 1"),
        (["--format", "xlsx", "--output", "x"], "invalid choice"),
        (["--tier", "4", "--output", "x"], "invalid choice"),
        (["--locale", "xx-yy", "--output", "x"], "unknown locale"),
        (["--readings-per-equipment", "60000", "--output", "x"], "past the end of 2024"),
        (["--readings-per-equipment", "5", "--sensor-rows", "10", "--output", "x"], "not allowed with argument"),
        (["--catalog", "main"], "--catalog and --schema go together"),
        (["--schema", "demo"], "--catalog and --schema go together"),
        ([], "say where the tables go"),
        (["--catalog", "main", "--schema", "demo", "--output", "x"], "not both"),
        (["--local", "--remote", "sc://localhost:1", "--output", "x"], "not allowed with argument"),
        (["--local", "--profile", "dev", "--output", "x"], "--profile applies to Databricks Connect only"),
        (["--catalog", "main", "--schema", "demo; DROP TABLE x"], "contains a semicolon"),
        (["--catalog", "ma`in", "--schema", "demo"], "contains a backtick"),
        (["--catalog", "main", "--schema", "demo", "--format", "csv"], "catalog tables are delta"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        mfg.main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_dry_run_prints_the_plan_and_starts_no_spark(tmp_path, capsys):
    out = tmp_path / "out"
    plan = mfg.main(["--rows", "1000", "--output", str(out), "--dry-run"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == plan and not out.exists()
    assert {t: plan["tables"][t]["rows"] for t in TABLES} == {"equipment": 1000, "sensor_data": 2_016_000,
                                                              "maintenance_records": 2000}  # fmt: skip
    assert plan["anomalous_rows"] == round(0.05 * 2_016_000) and plan["tier"] == 2 and plan["format"] == "parquet"
    # One partition per million sensor rows (at least 2); small tables one per 10,000 rows.
    assert {t: plan["tables"][t]["partitions"] for t in TABLES} == {"equipment": 1, "sensor_data": 3,
                                                                    "maintenance_records": 1}  # fmt: skip
    catalog_plan = mfg.main(["--catalog", "main", "--schema", "demo", "--dry-run", "--partitions", "8"])
    assert catalog_plan["format"] == "delta" and catalog_plan["destination"] == "main.demo"
    assert catalog_plan["tables"]["sensor_data"]["partitions"] == 8


@pytest.mark.parametrize("seed,equipment,rows,rate", [(42, 40, 40 * 2016, 0.05), (3, 9, 9 * 250 + 4, 0.07),
                                                      (5, 7, 1003, 0.2), (1, 10, 6, 0.5), (2, 3, 150, 1.0),
                                                      (9, 4, 120, 0.0)])  # fmt: skip
def test_anomaly_layout_is_the_tier1_plan(seed, equipment, rows, rate):
    """Same sizes, episodes, slots and failure-mode order as Tier 1 (only the permutation differs)."""
    spark_plan = mfg.SensorLayout.plan(seed, equipment, rows, 600, rate)
    polars_plan = tier1.SensorLayout.plan(seed, equipment, rows, 600, rate)
    for field in ("per_equipment", "longer", "anomalies", "episode", "slots_longer", "slots_shorter", "slots",
                  "mode_order", "full_episodes", "remainder", "episodes", "span_seconds"):  # fmt: skip
        assert getattr(spark_plan, field) == getattr(polars_plan, field), field


def test_schemas_and_comments_are_the_contracts():
    for table in TABLES:
        columns = contract(table)["columns"]
        assert mfg.SCHEMAS[table] == {c["name"]: c["type"] for c in columns}
        assert list(mfg.SCHEMAS[table]) == [c["name"] for c in columns]  # contract order
        assert mfg.COMMENTS[table]["table"] == contract(table)["description"]
        assert mfg.COMMENTS[table]["columns"] == {c["name"]: c["description"] for c in columns}


def test_folder_destination_refusals(tmp_path):
    refuse = mfg.check_folder_targets
    (tmp_path / "file").write_text("x")
    with pytest.raises(mfg.OutputError, match="is a file"):
        refuse(str(tmp_path / "file"), "error")
    refuse(str(tmp_path / "fresh"), "error")  # nothing there yet: fine
    (tmp_path / "tier1").mkdir()
    (tmp_path / "tier1" / "equipment.parquet").write_text("x")
    with pytest.raises(mfg.OutputError, match="holds other output for these tables"):
        refuse(str(tmp_path / "tier1"), "overwrite")
    (tmp_path / "taken" / "sensor_data").mkdir(parents=True)
    with pytest.raises(mfg.OutputError, match="not written by .* never replaced"):
        refuse(str(tmp_path / "taken"), "overwrite")
    (tmp_path / "taken" / "_manifest.json").write_text(json.dumps({"generator": "scripts/generators/retail.py"}))
    with pytest.raises(mfg.OutputError, match="not written by .* never replaced"):
        refuse(str(tmp_path / "taken"), "overwrite")
    (tmp_path / "taken" / "_manifest.json").write_text(json.dumps({"generator": mfg.GENERATOR}))
    with pytest.raises(mfg.OutputError, match="from an earlier run: pass --mode overwrite"):
        refuse(str(tmp_path / "taken"), "error")
    refuse(str(tmp_path / "taken"), "overwrite")


# --- A fleet on classic Spark: integrity and realism ------------------------------------------------

FLEET_MACHINES = 60


@pytest.fixture(scope="module")
def fleet_dir(spark_modes, tmp_path_factory) -> Path:
    """60 machines x two weeks (120,960 readings) and 20,000 work orders, written as Spark parts."""
    directory = tmp_path_factory.mktemp("fleet")
    run_generator(spark_modes.classic(), directory, "--rows", str(FLEET_MACHINES), "--maintenance", "20000",
                  "--partitions", "2")
    return directory


@pytest.fixture(scope="module")
def fleet(fleet_dir) -> pl.DataFrame:
    """The readings joined to their machine's type."""
    equipment = read(fleet_dir, "equipment").select("equipment_id", "type")
    return read(fleet_dir, "sensor_data").join(equipment, on="equipment_id", how="left").sort("equipment_id", "timestamp")


@pytest.mark.spark
def test_fleet_is_contract_clean_with_exact_rows(fleet_dir):
    expected = {"equipment": FLEET_MACHINES, "sensor_data": FLEET_MACHINES * 2016, "maintenance_records": 20000}
    assert {t: read(fleet_dir, t).height for t in TABLES} == expected
    assert set(own_integrity_counts(fleet_dir).values()) == {0}, own_integrity_counts(fleet_dir)
    assert validator_report(fleet_dir) is None, validator_report(fleet_dir)
    for table in TABLES:
        assert dict(read(fleet_dir, table).schema) == EXPECTED_SCHEMAS[table]  # contract order and types
    manifest = json.loads((fleet_dir / "_manifest.json").read_text())
    assert manifest["generator"] == mfg.GENERATOR and manifest["industry"] == "manufacturing"
    assert {t: manifest["tables"][t]["rows"] for t in TABLES} == expected
    assert manifest["anomalies"]["flagged_rows"] == round(0.05 * expected["sensor_data"])


@pytest.mark.spark
def test_flagged_share_is_exact_and_modes_weighted(fleet):
    rows = fleet.height
    assert fleet["is_anomaly"].sum() == math.floor(0.05 * rows + 0.5)  # exact: |share - 0.05| <= 0.5 / rows
    assert (fleet["failure_mode"].is_not_null() == fleet["is_anomaly"]).all()
    # Episodes: 12 consecutive readings of one machine, one mode (adjacent episodes may merge).
    runs = (fleet.with_columns(run=(pl.col("is_anomaly") != pl.col("is_anomaly").shift(1)).fill_null(True).cum_sum()
                               + pl.col("equipment_id").rank("dense"))  # fmt: skip
            .filter("is_anomaly").group_by("run")
            .agg(pl.len().alias("readings"), pl.col("failure_mode").n_unique().alias("modes")))
    assert (runs["readings"] % 12 == 0).all()
    assert (runs.filter(pl.col("readings") == 12)["modes"] == 1).all()
    # Modes cycle through the weighted pool by episode rank: exact over every 100 episodes, so a
    # share is off by at most (episodes mod 100) / episodes.
    episodes = rows // 20 // 12
    spec = column_spec("sensor_data", "failure_mode")
    shares = dict(fleet.filter("is_anomaly")["failure_mode"].value_counts(normalize=True).iter_rows())
    for mode, weight in zip(spec["values"], spec["weights"]):
        assert abs(shares[mode] - weight / 100) <= (episodes % 100) / episodes, (mode, shares[mode])


@pytest.mark.spark
def test_episodes_spread_over_machines_like_a_random_draw(spark):
    """120,000 slots, 6,000 chosen by the swap-or-not permutation: counts per block of 120 slots
    vary like a random draw without replacement (variance ratio 1 +- 0.15; its sampling sd is
    0.045 over 1,000 blocks), neither evenly spaced (ratio near 0) nor clumped (ratio >> 1)."""
    layout = mfg.SensorLayout.plan(42, 1000, 1000 * 1440, 600, 0.05)
    assert layout.slots == 120_000 and layout.full_episodes == 6000
    spec = mfg.with_sql(mfg.new_spec(spark, "permutation", layout.slots, 42, 2), "slot", "bigint", "id", omit=False)
    frame = mfg.with_sql(spec, "rank", "bigint", layout.permutation_sql("slot"), "slot", omit=False).build()
    chosen = frame.where(f"rank < {layout.full_episodes}").groupBy((frame.slot / 120).cast("int").alias("block")).count()
    counts = np.array([row["count"] for row in chosen.collect()] + [0] * (1000 - chosen.count()))
    p = 0.05
    expected_variance = 120 * p * (1 - p) * (layout.slots - 120) / (layout.slots - 1)
    assert abs(counts.var() / expected_variance - 1) <= 0.15, counts.var() / expected_variance


@pytest.mark.spark
@pytest.mark.parametrize("slots", [1, 2, 17, 4097])
def test_slot_permutation_is_a_bijection_with_an_inverse(spark, slots):
    layout = mfg.SensorLayout.plan(5, slots, slots * 12, 600, 0.5)
    assert layout.slots == slots
    spec = mfg.with_sql(mfg.new_spec(spark, "permutation", slots, 5, 2), "slot", "bigint", "id", omit=False)
    spec = mfg.with_sql(spec, "rank", "bigint", layout.permutation_sql("slot"), "slot", omit=False)
    spec = mfg.with_sql(spec, "back", "bigint", layout.permutation_sql("rank", inverse=True), "rank", omit=False)
    pairs = np.array([(r.slot, r.rank, r.back) for r in spec.build().collect()])
    assert sorted(pairs[:, 1].tolist()) == list(range(slots))
    assert (pairs[:, 2] == pairs[:, 0]).all()
    if slots >= 1000:
        assert abs(np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1]) < 0.1


def operating_point(sensor: str) -> pl.DataFrame:
    parameters = column_spec("sensor_data", sensor)["distribution"]["parameters"]
    return pl.DataFrame([{"type": t, "mean": p["mean"], "sd": p["sd"]} for t, p in parameters.items()])


def z_scores(frame: pl.DataFrame, sensor: str) -> pl.Series:
    joined = frame.join(operating_point(sensor), on="type", how="left")
    return (joined[sensor] - joined["mean"]) / joined["sd"]


@pytest.mark.spark
@pytest.mark.parametrize("sensor", SENSORS)
def test_normal_readings_match_the_contract_per_type(fleet, sensor):
    """Mean within 0.05 sd and sd within 4% of the contract, per equipment type (normal rows)."""
    normal = fleet.filter(~pl.col("is_anomaly"))
    measured = normal.group_by("type").agg(pl.col(sensor).mean().alias("m"), pl.col(sensor).std().alias("s"))
    compared = measured.join(operating_point(sensor), on="type", how="inner")
    assert compared.height == len(mfg.TYPE_NAMES)
    for row in compared.iter_rows(named=True):
        assert abs(row["m"] - row["mean"]) <= 0.05 * row["sd"], (sensor, row)
        assert abs(row["s"] / row["sd"] - 1) <= 0.04, (sensor, row)


@pytest.mark.spark
def test_sensors_are_physically_coupled(fleet):
    normal = fleet.filter(~pl.col("is_anomaly"))
    speed_torque = column_spec("sensor_data", "sensor_d")["distribution"]["correlation"]["sensor_c"]
    wear_vibration = column_spec("sensor_data", "sensor_f")["distribution"]["correlation"]["sensor_e"]
    for kind, group in normal.group_by("type"):
        assert abs(np.corrcoef(group["sensor_c"], group["sensor_d"])[0, 1] - speed_torque) <= 0.03, kind
        assert abs(np.corrcoef(group["sensor_e"], group["sensor_f"])[0, 1] - wear_vibration) <= 0.04, kind
    rise = normal.join(operating_point("sensor_b").with_columns(rise=pl.col("mean") - mfg.AIR_MEAN_K), on="type")
    gap = rise["sensor_b"] - rise["sensor_a"] - rise["rise"]
    assert abs(gap.mean()) <= 0.02 and abs(gap.std() - mfg.PROCESS_NOISE_K) <= 0.02  # process = air + rise + noise
    by_hour = normal.group_by(pl.col("timestamp").dt.hour().alias("hour")).agg(pl.col("sensor_a").mean()).sort("sensor_a")
    assert by_hour["hour"][-1] in (14, 15, 16) and by_hour["hour"][0] in (2, 3, 4)  # warmest mid-afternoon


@pytest.mark.spark
def test_anomalous_readings_are_visibly_off(fleet):
    def rows(mode: str) -> pl.DataFrame:
        return fleet.filter(pl.col("failure_mode") == mode)

    # The affected sensor sits several operating sds away (tool wear: past the top of its uniform
    # range, 1.73 sd above the mean). Same thresholds as the Tier 1 test.
    for mode, sensor, low in [("Overheating", "sensor_b", 5), ("Bearing wear", "sensor_f", 4), ("Overstrain", "sensor_d", 3),
                              ("Power fluctuation", "sensor_c", 2.5), ("Tool wear", "sensor_e", 1.7)]:  # fmt: skip
        z = z_scores(rows(mode), sensor).abs()
        assert (z > low).mean() > 0.95, (mode, sensor, (z > low).mean())
    tool_life = pl.DataFrame({"type": mfg.TYPE_NAMES, "life": [float(s["tool_life"]) for s in mfg.EQUIPMENT_TYPES.values()]})
    assert (rows("Tool wear").join(tool_life, on="type").select(pl.col("sensor_e") > pl.col("life")).to_series()).all()
    normal = fleet.filter(~pl.col("is_anomaly"))
    assert (normal.join(tool_life, on="type").select(pl.col("sensor_e") < pl.col("life")).to_series()).all()
    # Stuck: one value per sensor through each episode. Dropout: every sensor null; never elsewhere.
    slot = (pl.col("timestamp").dt.epoch("s") - int(mfg.WINDOW_START.timestamp())) // 600 // 12
    stuck = rows("Sensor stuck").group_by("equipment_id", slot.alias("slot")).agg(pl.col(SENSORS).n_unique())
    assert stuck.height >= 40 and (stuck.select(SENSORS).max_horizontal() == 1).all()
    assert rows("Sensor dropout").select(pl.any_horizontal(pl.col(SENSORS).is_not_null())).sum().item() == 0
    assert normal.select(pl.any_horizontal(pl.col(SENSORS).is_null())).sum().item() == 0


def assert_weights(shares: dict, spec: dict, tolerance: float) -> None:
    total = sum(spec["weights"])
    for value, weight in zip(spec["values"], spec["weights"]):
        assert abs(shares.get(value, 0.0) - weight / total) <= tolerance, (spec["name"], value, shares.get(value))


@pytest.mark.spark
def test_equipment_weights_catalogue_and_uniform_picks(spark):
    """20,000 machines: weighted shares within 1.5 points (sampling sd <= 0.36 points); lines and
    models uniform within 1 point (dbldatagen's random ranges would give the end values half)."""
    equipment = mfg.build_equipment(spark, 20_000, 42, 2).cache()
    try:
        def shares(column: str) -> dict:
            return {r[column]: r["count"] / 20_000 for r in equipment.groupBy(column).count().collect()}

        for column in ("type", "criticality", "status"):
            assert_weights(shares(column), column_spec("equipment", column), 0.015)
        lines = shares("production_line")
        assert len(lines) == 16 and max(abs(s - 1 / 16) for s in lines.values()) <= 0.01, lines
        pairs = {(r.zone, r.production_line) for r in equipment.select("zone", "production_line").distinct().collect()}
        assert pairs == {(zone, line) for line, zone in mfg.LINE_ZONE}
        catalogue = equipment.groupBy("type", "manufacturer", "model", "rated_power_kw").count().collect()
        assert len(catalogue) == len(mfg.TYPE_NAMES) * mfg.MODELS_PER_TYPE
        codes = {name: spec["code"] for name, spec in mfg.EQUIPMENT_TYPES.items()}
        assert all(r.model.startswith(codes[r.type] + "-") for r in catalogue)
        per_type = {}
        for r in catalogue:
            per_type.setdefault(r.type, []).append(r["count"])
        for kind, counts in per_type.items():  # each of a type's 4 models about a quarter of its machines
            assert max(abs(c / sum(counts) - 0.25) for c in counts) <= 0.04, (kind, counts)
        first, last = equipment.selectExpr("min(install_date)", "max(install_date)").first()
        assert date(2012, 1, 1) <= first < date(2012, 1, 15) and date(2023, 12, 15) < last <= date(2023, 12, 31)
    finally:
        equipment.unpersist()


@pytest.mark.spark
def test_work_order_weights_and_gamma_means(fleet_dir):
    """20,000 orders: weights within 1.5 points; Gamma means within 6% of shape x scale
    (coefficient of variation <= 0.71, >= 1,700 orders per type)."""
    orders = read(fleet_dir, "maintenance_records")
    for column in ("type", "priority"):
        assert_weights(dict(orders[column].value_counts(normalize=True).iter_rows()),
                       column_spec("maintenance_records", column), 0.015)
    for column in ("cost", "downtime_hours"):
        for kind, p in column_spec("maintenance_records", column)["distribution"]["parameters"].items():
            values = orders.filter(pl.col("type") == kind)[column].cast(pl.Float64)
            assert abs(values.mean() / (p["shape"] * p["scale"]) - 1) <= 0.06, (column, kind, values.mean())
            assert values.min() >= (0.01 if column == "downtime_hours" else 0)


@pytest.mark.spark
def test_time_ordering(fleet_dir, fleet):
    equipment, orders = read(fleet_dir, "equipment"), read(fleet_dir, "maintenance_records")
    steps = fleet.select(pl.col("timestamp").diff().over("equipment_id").dt.total_seconds().drop_nulls().unique())
    assert steps.to_series().to_list() == [600]
    first, last = fleet["timestamp"].min(), fleet["timestamp"].max()
    assert first == datetime(2024, 1, 1, tzinfo=UTC) and last == first + timedelta(seconds=600 * 2015)
    joined = fleet.join(equipment, on="equipment_id")
    assert (joined["timestamp"].dt.date() >= joined["install_date"]).all()
    assert orders["opened_at"].min() >= first and orders["opened_at"].max() <= last + timedelta(hours=1)
    done = orders.filter(pl.col("status") == "Completed")
    open_orders = orders.filter(pl.col("status") == "In Progress")
    took = (done["completed_at"] - done["opened_at"]).dt.total_seconds()
    assert (took > 0).all() and (took == (done["downtime_hours"] * 3600).round(0)).all()
    assert done["completed_at"].max() <= last + timedelta(seconds=600)
    assert open_orders.height > 0 and open_orders["completed_at"].null_count() == open_orders.height


@pytest.mark.spark
def test_corrective_orders_follow_an_anomaly_on_the_same_machine(fleet_dir, fleet):
    orders = read(fleet_dir, "maintenance_records")
    corrective = orders.filter(pl.col("type") == "Corrective").with_row_index("order")
    reading = (pl.col("timestamp") - datetime(2024, 1, 1, tzinfo=UTC)).dt.total_seconds() // 600
    next_mode = pl.col("failure_mode").shift(-1).over("equipment_id")
    episode_ends = fleet.filter(
        pl.col("is_anomaly") & (next_mode.is_null() | (next_mode != pl.col("failure_mode")) | ((reading + 1) % 12 == 0))
    ).select("equipment_id", pl.col("timestamp").alias("episode_end"), pl.col("failure_mode").alias("episode_mode"))
    answered = (corrective.join(episode_ends, on="equipment_id")
                .filter((pl.col("opened_at") - pl.col("episode_end")).dt.total_minutes().is_between(5, 60)
                        & (pl.col("failure_mode") == pl.col("episode_mode")))
                .select("order").unique())  # fmt: skip
    assert corrective.height > 4000 and answered.height == corrective.height
    others = orders.filter(pl.col("type").is_in(["Preventive", "Inspection"]))
    assert others["failure_mode"].null_count() == others.height
    assert orders.filter(pl.col("type") == "Predictive")["failure_mode"].null_count() == 0


# --- Exact anomaly counts at awkward sizes, and reproducibility -----------------------------------


EXACT_CASES = [(0.2, 13, 13 * 777), (0.013, 9, 9 * 1001), (1.0, 3, 150), (0.0, 4, 120), (0.07, 7, 1003), (0.5, 10, 6)]


@pytest.mark.spark
def test_flagged_rows_are_exactly_the_rate(spark):
    """round(rate x rows) flagged rows whatever the sizes (uneven --sensor-rows, fewer rows than
    machines, rate 0 and 1); the first (rows mod machines) machines get one reading more. All
    cases in one Spark job."""
    frames = [mfg.build_sensor_data(spark, mfg.SensorLayout.plan(42, machines, rows, 600, rate), 2)
              .selectExpr(f"{number} AS case", "equipment_id", "is_anomaly", "failure_mode")
              for number, (rate, machines, rows) in enumerate(EXACT_CASES)]  # fmt: skip
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    per_machine = union.groupBy("case", "equipment_id").agg(
        F.count("*").alias("rows"), F.count_if("is_anomaly").alias("flagged"), F.count("failure_mode").alias("modes"))
    found = {}
    for row in per_machine.collect():
        found.setdefault(row.case, []).append((row.rows, row.flagged, row.modes))
    for number, (rate, machines, rows) in enumerate(EXACT_CASES):
        counts = np.array(found[number])
        assert counts[:, 0].sum() == rows and counts[:, 1].sum() == math.floor(rate * rows + 0.5), (rate, machines, rows)
        assert (counts[:, 2] == counts[:, 1]).all()  # failure_mode set exactly on flagged rows
        base, extra = divmod(rows, machines)
        assert sorted(counts[:, 0]) == sorted(n for n in [base + 1] * extra + [base] * (machines - extra) if n)
    # A filter pushed into the plan stays cheap (unrolled permutation rounds once nested 4**20 copies).
    assert frames[0].where("is_anomaly").count() == math.floor(0.2 * 13 * 777 + 0.5)


@pytest.mark.spark
def test_same_seed_same_data_other_seed_other_data(spark, tmp_path):
    args = ["--rows", "8", "--readings-per-equipment", "120", "--maintenance", "40", "--anomaly-rate", "0.1"]
    for run, seed in (("a", "42"), ("b", "42"), ("c", "7")):
        run_generator(spark, tmp_path / run, *args, "--seed", seed)
    first, again, other = (sorted_frames(tmp_path / run) for run in "abc")
    for table in TABLES:
        assert first[table].equals(again[table]), f"{table}: same seed gave different data"
        assert not first[table].equals(other[table]), f"{table}: another seed gave the same data"
    assert not first["sensor_data"]["is_anomaly"].equals(other["sensor_data"]["is_anomaly"])  # anomalies move too


@pytest.mark.spark
def test_csv_and_json_parts_are_contract_clean(spark, tmp_path):
    """Text formats carry no types: the validator parses every value (timestamps need their offset)."""
    for fmt in ("csv", "json"):
        run_generator(spark, tmp_path / fmt, "--rows", "3", "--readings-per-equipment", "24", "--format", fmt,
                      "--anomaly-rate", "0.25")
        assert validator_report(tmp_path / fmt) is None, validator_report(tmp_path / fmt)
        assert sorted(p.suffix for p in (tmp_path / fmt / "sensor_data").glob("part-*"))[0] == f".{fmt}"


# --- Over Spark Connect -----------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.connect
def test_connect_builds_the_same_valid_data_as_classic(spark_modes, spark_connect_server, tmp_path):
    """Tier 2 over a Spark Connect client: validator clean, exact counts, and the very data the
    classic session builds from the same arguments (same seed and partitions)."""
    args = ["--rows", "15", "--readings-per-equipment", "240", "--anomaly-rate", "0.1", "--tier", "2"]
    summary = run_generator(spark_modes.connect(spark_connect_server.url), tmp_path / "connect", *args)
    assert summary["tables"]["sensor_data"]["target"] == f"{tmp_path / 'connect'}/sensor_data"
    assert {t: summary["tables"][t]["rows"] for t in TABLES} == {"equipment": 15, "sensor_data": 3600,
                                                                 "maintenance_records": 30}  # fmt: skip
    assert validator_report(tmp_path / "connect") is None, validator_report(tmp_path / "connect")
    assert set(own_integrity_counts(tmp_path / "connect").values()) == {0}
    assert read(tmp_path / "connect", "sensor_data")["is_anomaly"].sum() == 360
    run_generator(spark_modes.classic(), tmp_path / "classic", *args)
    over_connect, classic = sorted_frames(tmp_path / "connect"), sorted_frames(tmp_path / "classic")
    for table in TABLES:
        assert over_connect[table].equals(classic[table]), table


# --- Unity Catalog path, on the local catalog ------------------------------------------------------


@pytest.mark.spark
@pytest.mark.connect
def test_catalog_tables_are_marked_commented_and_never_overwritten_blindly(spark_any, request):
    """The Unity Catalog path on the local catalog (spark_catalog, parquet: Delta needs jars)."""
    spark = spark_any
    schema = f"mfg_uc_{request.node.callspec.id}"
    base = ["--catalog", "spark_catalog", "--schema", schema, "--format", "parquet",
            "--rows", "3", "--readings-per-equipment", "24", "--maintenance", "4"]  # fmt: skip

    def run(*extra: str) -> dict:
        _, args = mfg.parse_args([*base, *extra])
        return mfg.generate(spark, args)

    spark.sql(f"DROP SCHEMA IF EXISTS spark_catalog.{schema} CASCADE")
    summary = run()
    name = f"spark_catalog.{schema}.sensor_data"
    assert summary["tables"]["sensor_data"]["target"] == name
    assert spark.table(name).count() == 72 and spark.table(f"spark_catalog.{schema}.equipment").count() == 3
    properties = mfg.table_properties(spark, name)
    assert properties["synthetic"] == "true" and properties["synthetic.generator"] == "databricks-data-gen"
    assert properties["synthetic.seed"] == "42"
    described = {r[0]: r[1] for r in spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
    assert described["Comment"] == f"{contract('sensor_data')['description']} {mfg.SYNTHETIC_NOTE}"
    columns = {r.col_name: r.comment for r in spark.sql(f"DESCRIBE TABLE {name}").collect()}
    assert columns["sensor_a"] == column_spec("sensor_data", "sensor_a")["description"]

    with pytest.raises(mfg.OutputError, match="exists \\(created by databricks-data-gen\\): pass --mode overwrite"):
        run()
    run("--mode", "overwrite", "--seed", "7")  # ours: replaced
    assert mfg.table_properties(spark, name)["synthetic.seed"] == "7"
    # A table this tool did not make is never replaced, even with --mode overwrite; nothing is
    # written when one of the three is refused.
    spark.sql(f"DROP TABLE spark_catalog.{schema}.maintenance_records")
    spark.sql(f"CREATE TABLE spark_catalog.{schema}.maintenance_records (note STRING) USING parquet")
    with pytest.raises(mfg.OutputError, match="maintenance_records` exists and was not created by databricks-data-gen"):
        run("--mode", "overwrite")
    assert spark.table(f"spark_catalog.{schema}.maintenance_records").columns == ["note"]
    assert mfg.table_properties(spark, name)["synthetic.seed"] == "7"
    _, missing = mfg.parse_args(["--catalog", "no_such_catalog", "--schema", schema])
    with pytest.raises(mfg.OutputError, match="catalog 'no_such_catalog' does not exist .*create it"):
        mfg.generate(spark, missing)
    spark.sql(f"DROP SCHEMA IF EXISTS spark_catalog.{schema} CASCADE")


# --- End to end: as a script, and as a notebook ------------------------------------------------------


@pytest.mark.spark
def test_runs_end_to_end_as_a_script_on_local_spark(tmp_path):
    # Not the test process's Connect settings: a Connect session leaves SPARK_CONNECT_MODE_ENABLED set.
    environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE")}
    run = subprocess.run([sys.executable, str(SCRIPT), "--local", "--rows", "3", "--readings-per-equipment", "48",
                          "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=600,
                         env=environment)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["tables"]["sensor_data"]["rows"] == 144 and summary["tier"] == 2
    assert validator_report(tmp_path / "out") is None, validator_report(tmp_path / "out")
    again = subprocess.run([sys.executable, str(SCRIPT), "--local", "--rows", "3", "--output", str(tmp_path / "out")],
                           capture_output=True, text=True, timeout=600, env=environment)  # fmt: skip
    assert again.returncode == 2 and "from an earlier run: pass --mode overwrite" in again.stderr
    assert "Traceback" not in again.stderr


class Widgets:
    """dbutils.widgets as a notebook has it: text and dropdown widgets keep the value set first."""

    def __init__(self, values: dict[str, str]):
        self.values = dict(values)

    def text(self, name, default, label=None):
        self.values.setdefault(name, default)

    def dropdown(self, name, default, choices, label=None):
        self.values.setdefault(name, default)

    def get(self, name):
        return self.values[name]


@pytest.mark.spark
def test_runs_as_a_notebook_with_widgets(spark, tmp_path, monkeypatch, capsys):
    """Every cell executed in one namespace as Databricks does, parameters from widgets, the
    notebook's own session, tier 3 by default."""
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    widgets = Widgets({"rows": "4", "readings_per_equipment": "36", "output": str(tmp_path / "nb")})
    namespace = {"__name__": "__main__", "dbutils": type("DBUtils", (), {"widgets": widgets})(), "spark": spark}
    for number, cell in enumerate(notebook_cells()):
        exec(compile(cell, f"cell {number}", "exec"), namespace)
    summary = json.loads(capsys.readouterr().out)
    assert summary["tier"] == 3 and summary["tables"]["sensor_data"]["rows"] == 144
    assert widgets.values["seed"] == "42" and widgets.values["dry_run"] == "false"  # defaults shown as widgets
    assert validator_report(tmp_path / "nb") is None, validator_report(tmp_path / "nb")


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.connect
@pytest.mark.databricks_connect
def test_databricks_connect_16_4_client_generates_the_classic_data(spark_modes, tmp_path):
    """The Tier 2 path as a Databricks Connect user runs it (get_spark -> DatabricksSession.remote,
    Python 3.12, the pyspark 3.5 fork, NumPy 1.26) against a local pyspark 4.0 Connect server:
    validator clean, and the same data as classic Spark builds."""
    from spark_support import ConnectServer, ensure_venv, python312, unavailable

    interpreter = python312()
    if interpreter is None:
        unavailable("no Python 3.12 interpreter for the databricks-connect client")
    requirements = [line.strip() for line in (Path(__file__).parent / "dbconnect_client" / "requirements.txt")
                    .read_text().splitlines() if line.strip() and not line.startswith("#")]  # fmt: skip
    client = ensure_venv("dbconnect-16.4-mimesis", interpreter, [*requirements, "mimesis==22.2.0"])
    args = ["--rows", "15", "--readings-per-equipment", "240", "--anomaly-rate", "0.1"]
    server = ConnectServer(tmp_path / "server", worker_python=sys.executable, name="manufacturing-dbconnect")
    server.start()
    try:
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("SPARK_REMOTE", "PYTHONPATH", "SPARK_HOME", "SPARK_CONNECT_MODE_ENABLED")}
        run = subprocess.run([str(client), str(SCRIPT), "--remote", server.url, "--output", str(tmp_path / "dbconnect"),
                              *args], capture_output=True, text=True, timeout=900, env=environment)  # fmt: skip
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    assert validator_report(tmp_path / "dbconnect") is None, validator_report(tmp_path / "dbconnect")
    versions = json.loads((tmp_path / "dbconnect" / "_manifest.json").read_text())["versions"]
    assert versions["databricks-connect"].startswith("16.4.") and versions["python"].startswith("3.12.")
    run_generator(spark_modes.classic(), tmp_path / "classic", *args)
    dbconnect, classic = sorted_frames(tmp_path / "dbconnect"), sorted_frames(tmp_path / "classic")
    for table in TABLES:
        assert dbconnect[table].equals(classic[table]), table
