"""Manufacturing Tier 1 generator: contracts, integrity, realism, anomalies, CLI.

Every realism figure is measured on generated data with a fixed seed (so the test is
deterministic) against the value the contract states, with the tolerance written next to it.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import REPO, SCHEMAS, SCRIPTS, load_script

mfg = load_script("generators/polars/manufacturing.py")
SCRIPT = SCRIPTS / "generators" / "polars" / "manufacturing.py"
TABLES = ("equipment", "sensor_data", "maintenance_records")
CONTRACT_FILES = {
    "equipment": "manufacturing_equipment.json",
    "sensor_data": "manufacturing_sensor_data.json",
    "maintenance_records": "manufacturing_maintenance.json",
}
SENSORS = ["sensor_a", "sensor_b", "sensor_c", "sensor_d", "sensor_e", "sensor_f"]


def contract(table: str) -> dict:
    return json.loads((SCHEMAS / CONTRACT_FILES[table]).read_text())


def column_spec(table: str, column: str) -> dict:
    return next(c for c in contract(table)["columns"] if c["name"] == column)


def generate(directory: Path, *args: str) -> dict:
    return mfg.main(["--output", str(directory), *args])


def read(directory: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(directory / f"{table}.parquet")


def own_integrity_counts(directory: Path, read_table=read) -> dict[str, int]:
    """Duplicate primary keys and foreign-key orphans, counted here rather than by the validator."""
    equipment = read_table(directory, "equipment")
    sensors = read_table(directory, "sensor_data")
    orders = read_table(directory, "maintenance_records")
    return {
        "equipment duplicate keys": equipment.height - equipment["equipment_id"].n_unique(),
        "sensor_data duplicate keys": sensors.height - sensors.select("equipment_id", "timestamp").n_unique(),
        "maintenance duplicate keys": orders.height - orders["work_order_id"].n_unique(),
        "sensor_data orphans": sensors.join(equipment, on="equipment_id", how="anti").height,
        "maintenance orphans": orders.join(equipment, on="equipment_id", how="anti").height,
    }


def validator_report(directory: Path) -> str | None:
    """The validator's report when it finds errors, None when the folder is clean."""
    validate = load_script("utils/validate.py")
    result = validate.validate_directory(directory, industry="manufacturing")
    return None if result.ok else str(result)


# --- Integrity at several sizes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows,extra",
    [(1, []), (10, []), (1000, ["--readings-per-equipment", "150"]), (7, ["--sensor-rows", "1003"])],
    ids=["rows1", "rows10", "rows1000", "uneven-sensor-rows"],
)
def test_output_is_contract_clean_with_exact_row_counts(tmp_path, rows, extra):
    summary = generate(tmp_path, "--rows", str(rows), *extra)
    readings = int(extra[1]) if extra and extra[0] == "--readings-per-equipment" else mfg.DEFAULT_READINGS_PER_EQUIPMENT
    sensor_rows = int(extra[1]) if extra and extra[0] == "--sensor-rows" else rows * readings
    expected = {"equipment": rows, "sensor_data": sensor_rows, "maintenance_records": 2 * rows}
    assert {t: summary["tables"][t]["rows"] for t in TABLES} == expected
    assert {t: read(tmp_path, t).height for t in TABLES} == expected
    assert set(own_integrity_counts(tmp_path).values()) == {0}, own_integrity_counts(tmp_path)
    assert validator_report(tmp_path) is None, validator_report(tmp_path)
    for table in TABLES:  # column order and types are the contract's
        frame = read(tmp_path, table)
        assert frame.columns == [c["name"] for c in contract(table)["columns"]]
        assert dict(frame.schema) == getattr(mfg, {"equipment": "EQUIPMENT_SCHEMA", "sensor_data": "SENSOR_SCHEMA",
                                                   "maintenance_records": "MAINTENANCE_SCHEMA"}[table])
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["industry"] == "manufacturing" and manifest["seed"] == 42
    assert {t: manifest["tables"][t]["rows"] for t in TABLES} == expected


def test_uneven_sensor_rows_spread_over_machines(tmp_path):
    generate(tmp_path, "--rows", "7", "--sensor-rows", "1003", "--maintenance", "0")
    per_machine = read(tmp_path, "sensor_data").group_by("equipment_id").len()["len"].sort().to_list()
    assert per_machine == [143] * 5 + [144] * 2  # 1003 = 7 * 143 + 2: two machines get one more
    assert read(tmp_path, "maintenance_records").height == 0


def test_the_own_counts_catch_planted_problems(tmp_path):
    generate(tmp_path, "--rows", "5", "--readings-per-equipment", "10")
    sensors = read(tmp_path, "sensor_data")
    planted = pl.concat([sensors, sensors.head(1), sensors.head(1).with_columns(equipment_id=pl.lit("EQ-999999"))])
    planted.write_parquet(tmp_path / "sensor_data.parquet")
    counts = own_integrity_counts(tmp_path)
    assert counts["sensor_data duplicate keys"] == 1 and counts["sensor_data orphans"] == 1
    assert validator_report(tmp_path) is not None


# --- Formats ------------------------------------------------------------------------------------


def read_any(directory: Path, table: str, fmt: str) -> pl.DataFrame:
    schema = {"equipment": mfg.EQUIPMENT_SCHEMA, "sensor_data": mfg.SENSOR_SCHEMA,
              "maintenance_records": mfg.MAINTENANCE_SCHEMA}[table]  # fmt: skip
    if fmt == "delta":
        from deltalake import DeltaTable

        return pl.from_arrow(DeltaTable(directory / table).to_pyarrow_table()).cast(schema)
    if fmt == "csv":
        return pl.read_csv(directory / f"{table}.csv", schema=schema)
    if fmt == "json":  # Polars writes decimals as JSON strings ("780.61") to keep them exact
        text_schema = {name: pl.String if dtype == pl.Decimal else dtype for name, dtype in schema.items()}
        return pl.read_ndjson(directory / f"{table}.json", schema=text_schema).cast(schema)
    return pl.read_parquet(directory / f"{table}.parquet")


@pytest.mark.parametrize("fmt", ["csv", "json", "delta"])
def test_every_format_reads_back_equal_to_parquet(tmp_path, fmt):
    args = ["--rows", "6", "--readings-per-equipment", "40", "--anomaly-rate", "0.3"]
    generate(tmp_path / "parquet", *args)
    generate(tmp_path / fmt, *args, "--format", fmt)
    for table in TABLES:
        expected = read(tmp_path / "parquet", table)
        actual = read_any(tmp_path / fmt, table, fmt)
        assert actual.equals(expected), f"{fmt} {table} differs after reading back"
    assert set(own_integrity_counts(tmp_path / fmt, lambda d, t: read_any(d, t, fmt)).values()) == {0}
    assert validator_report(tmp_path / fmt) is None, validator_report(tmp_path / fmt)


# --- Reproducibility -----------------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    args = ["--rows", "20", "--readings-per-equipment", "100"]
    generate(tmp_path / "a", *args)
    generate(tmp_path / "b", *args)
    generate(tmp_path / "c", *args, "--seed", "7")
    for table in TABLES:
        first, again, other = (read(tmp_path / run, table) for run in "abc")
        assert first.equals(again), f"{table}: same seed gave different data"
        assert not first.equals(other), f"{table}: another seed gave the same data"
    flags = {run: read(tmp_path / run, "sensor_data")["is_anomaly"] for run in "ac"}
    assert not flags["a"].equals(flags["c"])  # anomalies sit elsewhere, not only the noise differs


def test_anomaly_placement_does_not_depend_on_chunking():
    layout = mfg.SensorLayout.plan(3, 9, 9 * 250 + 4, 600, 0.07)
    whole = mfg.make_sensor_data(0, layout.rows, layout)
    split = pl.concat([mfg.make_sensor_data(0, 1111, layout), mfg.make_sensor_data(1111, layout.rows - 1111, layout)])
    assert whole.select("equipment_id", "timestamp", "is_anomaly", "failure_mode").equals(
        split.select("equipment_id", "timestamp", "is_anomaly", "failure_mode"))


# --- Anomalies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("slots", [1, 2, 3, 17, 1000, 4097])
def test_slot_ranking_is_a_permutation_with_an_inverse(slots):
    layout = mfg.SensorLayout.plan(5, slots, slots * 12, 600, 0.5)
    assert layout.slots == slots
    everything = np.arange(slots)
    ranks = layout.rank(everything)
    assert np.array_equal(np.sort(ranks), everything)
    assert np.array_equal(layout.rank(ranks, inverse=True), everything)
    if slots >= 1000:  # and it shuffles: ranks barely correlate with slot order
        assert abs(np.corrcoef(everything, ranks)[0, 1]) < 0.1


@pytest.mark.parametrize("rate,machines,readings", [(0.05, 40, 2016), (0.2, 13, 777), (0.013, 9, 1001), (1.0, 3, 50), (0.0, 4, 30)])
def test_flagged_share_equals_the_configured_rate(rate, machines, readings):
    """Exact by construction: round(rate * rows) flagged rows, so |share - rate| <= 0.5 / rows."""
    layout = mfg.SensorLayout.plan(42, machines, machines * readings, 600, rate)
    frame = mfg.make_sensor_data(0, layout.rows, layout)
    flagged = frame["is_anomaly"].sum()
    assert flagged == math.floor(rate * layout.rows + 0.5)
    assert abs(flagged / layout.rows - rate) <= 0.5 / layout.rows
    # failure_mode is set exactly on flagged rows
    assert (frame["failure_mode"].is_not_null() == frame["is_anomaly"]).all()


def test_flagged_share_measured_on_written_output(tmp_path):
    for rate in ("0.05", "0.12"):
        generate(tmp_path / rate, "--rows", "25", "--readings-per-equipment", "600", "--anomaly-rate", rate)
        share = read(tmp_path / rate, "sensor_data")["is_anomaly"].mean()
        assert abs(share - float(rate)) <= 0.5 / 15_000, (rate, share)


def episodes(frame: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive anomalous readings per machine (machine-major order is time order)."""
    return (
        frame.with_columns(run=(pl.col("is_anomaly") != pl.col("is_anomaly").shift(1)).fill_null(True).cum_sum()
                           + pl.col("equipment_id").rank("dense"))  # fmt: skip
        .filter("is_anomaly")
        .group_by("run", maintain_order=True)
        .agg(pl.len().alias("readings"), pl.col("failure_mode").n_unique().alias("modes"), pl.first("failure_mode"))
    )


def test_anomalies_come_in_twelve_reading_episodes_with_weighted_modes():
    layout = mfg.SensorLayout.plan(42, 60, 60 * 2016, 600, 0.05)
    frame = mfg.make_sensor_data(0, layout.rows, layout)
    runs = episodes(frame)
    # Adjacent episodes can merge; apart from those, every episode is 12 readings, one mode.
    assert (runs["readings"] % 12 == 0).all() and runs["readings"].sum() == layout.anomalies
    assert (runs.filter(pl.col("readings") == 12)["modes"] == 1).all()
    spec = column_spec("sensor_data", "failure_mode")
    shares = frame.filter("is_anomaly")["failure_mode"].value_counts(normalize=True)
    total = sum(spec["weights"])
    for mode, weight in zip(spec["values"], spec["weights"]):
        share = shares.filter(pl.col("failure_mode") == mode)["proportion"].item()
        assert abs(share - weight / total) <= 0.005, (mode, share)  # exact over every 100 episodes


@pytest.fixture(scope="module")
def fleet() -> pl.DataFrame:
    """Sensor readings of 60 machines over two weeks, joined to their type."""
    layout = mfg.SensorLayout.plan(42, 60, 60 * 2016, 600, 0.05)
    pools = mfg.build_pools(42, "en", 60)
    equipment = mfg.make_equipment(0, 60, 42, pools).select("equipment_id", "type")
    return mfg.make_sensor_data(0, layout.rows, layout).join(equipment, on="equipment_id", how="left")


def operating_point(sensor: str) -> pl.DataFrame:
    parameters = column_spec("sensor_data", sensor)["distribution"]["parameters"]
    return pl.DataFrame([{"type": t, "mean": p["mean"], "sd": p["sd"]} for t, p in parameters.items()])


def z_scores(frame: pl.DataFrame, sensor: str) -> pl.Series:
    joined = frame.join(operating_point(sensor), on="type", how="left")
    return (joined[sensor] - joined["mean"]) / joined["sd"]


def test_anomalous_readings_are_visibly_off(fleet):
    def rows(mode: str) -> pl.DataFrame:
        return fleet.filter(pl.col("failure_mode") == mode)

    # Spikes and drifts: the affected sensor sits several operating sds away (tool wear: past the
    # top of its uniform range, which is 1.73 sd above the mean).
    for mode, sensor, low in [("Overheating", "sensor_b", 5), ("Bearing wear", "sensor_f", 4), ("Overstrain", "sensor_d", 3),
                              ("Power fluctuation", "sensor_c", 2.5), ("Tool wear", "sensor_e", 1.7)]:  # fmt: skip
        z = z_scores(rows(mode), sensor).abs()
        assert (z > low).mean() > 0.95, (mode, sensor, (z > low).mean())
    # Tool wear beyond the tool's life, which normal readings never reach.
    tool_life = pl.DataFrame({"type": mfg.TYPE_NAMES, "life": mfg.TOOL_LIFE})
    worn = rows("Tool wear").join(tool_life, on="type")
    assert (worn["sensor_e"] > worn["life"]).all()
    normal = fleet.filter(~pl.col("is_anomaly")).join(tool_life, on="type")
    assert (normal["sensor_e"] < normal["life"]).all()
    # Stuck: one value per sensor through each episode. Dropout: every sensor null.
    stuck = episodes_of(rows("Sensor stuck"))
    assert stuck.height > 10 and (stuck.select(SENSORS).max_horizontal() == 1).all()
    assert rows("Sensor dropout").select(pl.any_horizontal(pl.col(SENSORS).is_not_null())).sum().item() == 0
    assert fleet.filter(~pl.col("is_anomaly")).select(pl.any_horizontal(pl.col(SENSORS).is_null())).sum().item() == 0


def episodes_of(frame: pl.DataFrame) -> pl.DataFrame:
    """Distinct values of each sensor per 12-reading episode of one machine."""
    epoch = pl.col("timestamp").dt.epoch("s") // 600 // 12
    return frame.group_by("equipment_id", epoch.alias("slot")).agg(pl.col(SENSORS).n_unique())


# --- Realism of normal readings -----------------------------------------------------------------


@pytest.mark.parametrize("sensor", SENSORS)
def test_normal_readings_match_the_contract_per_type(fleet, sensor):
    """Mean within 0.05 sd and sd within 4% of the contract, per equipment type (non-anomalous rows)."""
    normal = fleet.filter(~pl.col("is_anomaly"))
    measured = normal.group_by("type").agg(pl.col(sensor).mean().alias("m"), pl.col(sensor).std().alias("s"))
    compared = measured.join(operating_point(sensor), on="type", how="inner")
    assert compared.height == len(mfg.TYPE_NAMES)
    for row in compared.iter_rows(named=True):
        assert abs(row["m"] - row["mean"]) <= 0.05 * row["sd"], (sensor, row)
        assert abs(row["s"] / row["sd"] - 1) <= 0.04, (sensor, row)


def test_sensors_are_physically_coupled(fleet):
    normal = fleet.filter(~pl.col("is_anomaly"))
    speed_torque_target = column_spec("sensor_data", "sensor_d")["distribution"]["correlation"]["sensor_c"]
    wear_vibration_target = column_spec("sensor_data", "sensor_f")["distribution"]["correlation"]["sensor_e"]
    for kind, group in normal.group_by("type"):
        speed_torque = np.corrcoef(group["sensor_c"], group["sensor_d"])[0, 1]
        wear_vibration = np.corrcoef(group["sensor_e"], group["sensor_f"])[0, 1]
        assert abs(speed_torque - speed_torque_target) <= 0.03, (kind, speed_torque)
        assert abs(wear_vibration - wear_vibration_target) <= 0.04, (kind, wear_vibration)
    rise = normal.join(operating_point("sensor_b").with_columns(rise=pl.col("mean") - mfg.AIR_MEAN_K), on="type")
    gap = rise["sensor_b"] - rise["sensor_a"] - rise["rise"]
    assert abs(gap.mean()) <= 0.02 and abs(gap.std() - mfg.PROCESS_NOISE_K) <= 0.02  # process = air + rise + noise
    hour = pl.col("timestamp").dt.hour().alias("hour")
    by_hour = normal.group_by(hour).agg(pl.col("sensor_a").mean()).sort("sensor_a")
    assert by_hour["hour"][-1] in (14, 15, 16) and by_hour["hour"][0] in (2, 3, 4)  # warmest mid-afternoon


# --- Categorical weights and Gamma costs ---------------------------------------------------------


def assert_weights(series: pl.Series, spec: dict, tolerance: float) -> None:
    shares = dict(series.value_counts(normalize=True).iter_rows())
    total = sum(spec["weights"])
    for value, weight in zip(spec["values"], spec["weights"]):
        assert abs(shares.get(value, 0.0) - weight / total) <= tolerance, (spec["name"], value, shares.get(value))


def test_equipment_weights():
    """20,000 machines: shares within 1.5 points of the weights (sampling sd <= 0.36 points)."""
    equipment = mfg.make_equipment(0, 20_000, 42, mfg.build_pools(42, "en", 20_000))
    for column in ("type", "criticality", "status"):
        assert_weights(equipment[column], column_spec("equipment", column), 0.015)
    lines = dict(mfg.LINE_ZONE)
    assert (equipment["production_line"].replace_strict(lines) == equipment["zone"]).all()
    catalogue = equipment.select("type", "manufacturer", "model", "rated_power_kw").unique()
    assert catalogue.height <= len(mfg.TYPE_NAMES) * mfg.MODELS_PER_TYPE
    assert (catalogue["model"].str.slice(0, 2) == catalogue["type"].replace_strict(
        {t: s["code"] for t, s in mfg.EQUIPMENT_TYPES.items()})).all()


@pytest.fixture(scope="module")
def work_orders() -> tuple[pl.DataFrame, pl.DataFrame, object]:
    """20,000 work orders for 200 machines over two weeks, with the sensor readings they answer."""
    layout = mfg.SensorLayout.plan(42, 200, 200 * 2016, 600, 0.05)
    pools = mfg.build_pools(42, "en", 200)
    return mfg.make_maintenance(0, 20_000, layout, pools), mfg.make_sensor_data(0, layout.rows, layout), layout


def test_work_order_weights(work_orders):
    orders, _, _ = work_orders
    for column in ("type", "priority"):
        assert_weights(orders[column], column_spec("maintenance_records", column), 0.015)


@pytest.mark.parametrize("column", ["cost", "downtime_hours"])
def test_gamma_means_by_work_order_type(work_orders, column):
    """Mean within 6% of shape x scale (coefficient of variation <= 0.71, >= 1,700 orders per type)."""
    orders, _, _ = work_orders
    parameters = column_spec("maintenance_records", column)["distribution"]["parameters"]
    for kind, p in parameters.items():
        values = orders.filter(pl.col("type") == kind)[column].cast(pl.Float64)
        assert abs(values.mean() / (p["shape"] * p["scale"]) - 1) <= 0.06, (column, kind, values.mean())
        assert values.min() > 0


# --- Time ------------------------------------------------------------------------------------------


def test_time_ordering(tmp_path):
    generate(tmp_path, "--rows", "30", "--readings-per-equipment", "3000", "--sample-seconds", "300")
    equipment, sensors, orders = (read(tmp_path, t) for t in TABLES)
    # Readings: regular 300 s steps from 2024-01-01, never before the machine's install date.
    steps = sensors.select(pl.col("timestamp").diff().over("equipment_id").dt.total_seconds().drop_nulls().unique())
    assert steps.to_series().to_list() == [300]
    assert sensors["timestamp"].min() == datetime(2024, 1, 1, tzinfo=UTC)
    joined = sensors.join(equipment, on="equipment_id")
    assert (joined["timestamp"].dt.date() >= joined["install_date"]).all()
    assert equipment["install_date"].max() < date(2024, 1, 1)
    # Work orders: inside the readings window (corrective ones up to an hour after the last
    # reading), completed = opened + downtime, open ones have no end yet.
    first, last = sensors["timestamp"].min(), sensors["timestamp"].max()
    assert orders["opened_at"].min() >= first and orders["opened_at"].max() <= last + timedelta(hours=1)
    done = orders.filter(pl.col("status") == "Completed")
    open_orders = orders.filter(pl.col("status") == "In Progress")
    took = (done["completed_at"] - done["opened_at"]).dt.total_seconds()
    assert (took > 0).all() and (took == (done["downtime_hours"] * 3600).round(0)).all()
    assert done["completed_at"].max() <= last + timedelta(seconds=300)
    assert open_orders["completed_at"].null_count() == open_orders.height


def test_corrective_orders_follow_an_anomaly_on_the_same_machine(work_orders):
    orders, sensors, layout = work_orders
    corrective = orders.filter(pl.col("type") == "Corrective").with_row_index("order")
    # The last reading of each episode: anomalous, and the next reading of the machine is not part
    # of the same episode (normal, another mode, or the first reading of a new 12-reading slot).
    reading = (pl.col("timestamp") - datetime(2024, 1, 1, tzinfo=UTC)).dt.total_seconds() // layout.sample_seconds
    next_mode = pl.col("failure_mode").shift(-1).over("equipment_id")
    episode_ends = sensors.filter(
        pl.col("is_anomaly") & (next_mode.is_null() | (next_mode != pl.col("failure_mode")) | ((reading + 1) % 12 == 0))
    ).select("equipment_id", pl.col("timestamp").alias("episode_end"), pl.col("failure_mode").alias("episode_mode"))
    answered = (
        corrective.join(episode_ends, on="equipment_id")
        .filter(
            (pl.col("opened_at") - pl.col("episode_end")).dt.total_minutes().is_between(5, 60)
            & (pl.col("failure_mode") == pl.col("episode_mode"))
        )
        .select("order")
        .unique()
    )
    assert corrective.height > 4000
    assert answered.height == corrective.height  # every one: 5-60 minutes after an episode of its mode
    # Other orders carry a failure mode only when predictive.
    others = orders.filter(pl.col("type").is_in(["Preventive", "Inspection"]))
    assert others["failure_mode"].null_count() == others.height
    assert orders.filter(pl.col("type") == "Predictive")["failure_mode"].null_count() == 0


# --- CLI -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rows", "0"], "must be at least 1"),
        (["--rows", "-5"], "must be at least 1"),
        (["--rows", "abc"], "expected a whole number"),
        (["--seed", "abc"], "expected a whole number"),
        (["--anomaly-rate", "-1"], "must be between 0 and 1"),
        (["--anomaly-rate", "lots"], "expected a number between 0 and 1"),
        (["--format", "xlsx"], "invalid choice"),
        (["--locale", "xx-yy"], "unknown locale"),
        (["--readings-per-equipment", "60000"], "past the end of 2024"),
        (["--readings-per-equipment", "5", "--sensor-rows", "10"], "not allowed with argument"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        generate(tmp_path / "out", *args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    with pytest.raises(SystemExit) as stopped:
        generate(target, "--rows", "2")
    assert stopped.value.code == 2 and "is a file" in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_bad_input_from_the_command_line_has_no_traceback(tmp_path):
    for args in (["--rows", "abc"], ["--output", str(tmp_path / "f.txt")]):
        (tmp_path / "f.txt").write_text("x")
        run = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
        assert run.returncode == 2 and "Traceback" not in run.stderr and "error:" in run.stderr, run.stderr


def test_dry_run_writes_nothing(tmp_path, capsys):
    plan = generate(tmp_path / "out", "--rows", "50", "--dry-run", "--format", "csv")
    assert not (tmp_path / "out").exists()
    printed = json.loads(capsys.readouterr().out)
    assert printed["tables"]["sensor_data"]["rows"] == 50 * 2016 == plan["tables"]["sensor_data"]["rows"]
    assert printed["anomalous_rows"] == round(0.05 * 50 * 2016) and printed["estimated_bytes"] > 0
    # The estimate is within a factor of two of what the run then writes.
    written = generate(tmp_path / "out", "--rows", "50", "--format", "csv")
    actual = sum(table["bytes"] for table in written["tables"].values())
    assert 0.5 <= printed["estimated_bytes"] / actual <= 2, (printed["estimated_bytes"], actual)


def test_locale_changes_the_names(tmp_path):
    generate(tmp_path / "de", "--rows", "40", "--readings-per-equipment", "5", "--locale", "de")
    generate(tmp_path / "en", "--rows", "40", "--readings-per-equipment", "5")
    german, english = (read(tmp_path / loc, "maintenance_records")["technician"].unique() for loc in ("de", "en"))
    assert not set(german) & set(english)
    manufacturers = read(tmp_path / "de", "equipment")["manufacturer"].unique()
    assert manufacturers.str.contains("^[A-ZÄÖÜ][a-zäöüß]+(-[A-ZÄÖÜ][a-zäöüß]+)? ").all(), manufacturers.to_list()
    assert validator_report(tmp_path / "de") is None


def test_notebook_kernel_arguments_are_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel-1.json"])
    monkeypatch.setitem(sys.modules, "ipykernel", sys.modules.get("ipykernel", type(sys)("ipykernel")))
    summary = mfg.main()
    assert summary["tables"]["equipment"]["rows"] == mfg.DEFAULT_EQUIPMENT
    assert (tmp_path / "output" / "manufacturing" / "_manifest.json").is_file()


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_pep723_header_runs_with_uv(tmp_path):
    run = subprocess.run(["uv", "run", "--quiet", str(SCRIPT), "--rows", "5", "--output", str(tmp_path)],
                         capture_output=True, text=True, timeout=600, cwd=REPO)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["tables"]["equipment"]["rows"] == 5
    assert validator_report(tmp_path) is None


@pytest.mark.slow
def test_ten_million_readings_stay_in_bounded_memory(tmp_path):
    """10M sensor rows are written in 1M-row chunks: peak memory stays far below the table's size."""
    probe = ("import resource, runpy, sys; sys.argv = sys.argv[1:]; "
             "exec('try:\\n runpy.run_path(sys.argv[0], run_name=\"__main__\")\\nfinally:\\n "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)')")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", probe, str(SCRIPT), "--rows", "1000", "--readings-per-equipment",
                          "10000", "--output", str(tmp_path)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr
    peak_mib = int(run.stderr.strip().splitlines()[-1]) / 1024
    assert json.loads(run.stdout)["tables"]["sensor_data"]["rows"] == 10_000_000
    assert peak_mib < 1024, peak_mib
    share = pl.scan_parquet(tmp_path / "sensor_data.parquet").select(pl.col("is_anomaly").mean()).collect().item()
    assert share == 0.05


# --- Date window and data-quality injection (scripts/utils/seasonality.py, quality.py) ---------------
# Seasonality is not offered here: sensor readings are a regularly sampled series, and work orders
# follow the anomaly episodes (see the generator's docstring).


def test_custom_window_fills_with_readings_and_moves_install_dates(tmp_path):
    generate(tmp_path, "--rows", "20", "--start", "2023-05-01", "--end", "2023-05-31", "--sample-seconds", "3600")
    sensors, equipment = read(tmp_path, "sensor_data"), read(tmp_path, "equipment")
    assert sensors.height == 20 * 31 * 24  # --end without a reading count: the window filled hourly
    assert sensors["timestamp"].min() == datetime(2023, 5, 1, tzinfo=UTC)
    assert sensors["timestamp"].max() == datetime(2023, 5, 31, 23, tzinfo=UTC)
    assert equipment["install_date"].min() >= date(2011, 5, 1) and equipment["install_date"].max() < date(2023, 5, 1)
    orders = read(tmp_path, "maintenance_records")
    assert orders["opened_at"].min() >= datetime(2023, 5, 1, tzinfo=UTC)
    assert orders["opened_at"].max() < datetime(2023, 6, 1, tzinfo=UTC)
    assert validator_report(tmp_path) is None
    assert own_integrity_counts(tmp_path) == dict.fromkeys(own_integrity_counts(tmp_path), 0)


def test_start_keeps_the_reading_count_and_end_caps_it(tmp_path, capsys):
    generate(tmp_path / "a", "--rows", "3", "--start", "2025-07-01", "--readings-per-equipment", "10")
    assert read(tmp_path / "a", "sensor_data")["timestamp"].min() == datetime(2025, 7, 1, tzinfo=UTC)
    assert read(tmp_path / "a", "sensor_data").height == 30
    with pytest.raises(SystemExit):
        generate(tmp_path / "b", "--start", "2025-07-01", "--end", "2025-07-02", "--readings-per-equipment", "1000")
    assert "past the end of 2025-07-02" in capsys.readouterr().err


def test_default_run_bounds_sit_inside_the_contracts(tmp_path):
    generate(tmp_path, "--rows", "5", "--readings-per-equipment", "50")
    bounds = json.loads((tmp_path / "_manifest.json").read_text())["bounds"]
    for key, bound in bounds.items():
        table, column = key.split(".")
        spec = column_spec(table, column)
        assert spec["min"] <= bound["min"] and bound["max"] <= spec["max"], key
    assert bounds["equipment.install_date"] == {"min": "2012-01-01", "max": "2023-12-31"}


def test_key_columns_are_the_contracts_keys():
    for table in TABLES:
        spec = contract(table)
        keys = set(spec["primary_key"]) | {c for fk in spec["foreign_keys"] for c in fk["columns"]}
        assert set(mfg.KEY_COLUMNS[table]) == keys, table


def test_injected_rates_keep_keys_unique_and_the_validator_says_so(tmp_path):
    summary = generate(tmp_path, "--rows", "50", "--maintenance", "2000", "--inject-nulls", "sensor_data.sensor_a=0.05",
                       "--duplicate-rate", "0.02", "--late-rate", "0.03")
    sensors, orders = read(tmp_path, "sensor_data"), read(tmp_path, "maintenance_records")
    end = datetime(2024, 1, 15, tzinfo=UTC)  # two weeks of readings

    def within(measured: float, configured: float, n: int) -> None:
        assert abs(measured - configured) < 4 * math.sqrt(configured * (1 - configured) / n), (measured, configured)

    # sensor_a is also null in dropout episodes (natural): count only rows not flagged as one.
    healthy = sensors.filter(pl.col("failure_mode").is_null() | (pl.col("failure_mode") != "Sensor dropout"))
    within(healthy["sensor_a"].null_count() / healthy.height, 0.05, healthy.height)  # measured 0.0494 of 102,598
    for table, frame in (("sensor_data", sensors), ("maintenance_records", orders)):
        copies = frame.height - frame.unique().height
        within(copies / frame.height, 0.02, frame.height)  # measured 0.0200, 0.0201
        assert summary["tables"][table]["duplicate_rows"] == copies
    late = sensors.filter(pl.col("timestamp") >= end)
    within(late.height / sensors.height, 0.03, sensors.height)  # measured 0.0298
    assert late["timestamp"].min() >= end + timedelta(days=1)
    late_orders = orders.filter(pl.col("opened_at") >= end + timedelta(days=1))
    within(late_orders.height / orders.height, 0.03, orders.height)  # measured 0.0274
    assert (late_orders["completed_at"].is_null() | (late_orders["completed_at"] > late_orders["opened_at"])).all()
    counts = own_integrity_counts(tmp_path)
    assert counts["sensor_data duplicate keys"] == sensors.height - sensors.unique().height  # only the copies repeat keys
    assert counts["sensor_data orphans"] == counts["maintenance orphans"] == 0
    validate = load_script("utils/validate.py")
    result = validate.validate_directory(tmp_path, industry="manufacturing")
    assert result.ok, str(result)
    # (sensor_a is nullable in the contract, dropouts leave it empty: nulls there are no finding at all)
    notes = {(f.table, f.column, f.check) for f in result.notes if "injected by" in f.message}
    assert notes >= {("sensor_data", "equipment_id, timestamp", "pk"),
                     ("sensor_data", "timestamp", "max"), ("maintenance_records", "work_order_id", "pk"),
                     ("maintenance_records", "opened_at", "max")}


@pytest.mark.parametrize("args,message", [
    (["--inject-nulls", "sensor_data.timestamp=0.1"], "timestamp is a key column"),
    (["--inject-nulls", "machines.type=0.1"], "tables: equipment, sensor_data, maintenance_records"),
    (["--start", "2024-05-01", "--end", "2024-04-01"], "is before --start"),
])
def test_bad_quality_and_window_flags_are_clear_errors(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        generate(tmp_path / "out", *args)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
