"""IoT Spark generator (scripts/generators/iot.py) on real local Spark, classic and over Connect.

Contracts and validator, own key counts, reproducibility, and every realism figure measured on
generated data with a fixed seed against the contract or the generator's constants, with the
tolerance written next to it — the same measurements as tests/test_polars_iot.py. Plus the
streaming path, the Unity Catalog path (on the local catalog, parquet), the notebook format and the
command line.
"""

from __future__ import annotations

import ast
import json
import math
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import REPO, SCHEMAS, SCRIPTS, load_script

iot = load_script("generators/iot.py")
SCRIPT = SCRIPTS / "generators" / "iot.py"
CONTRACT_FILES = {"devices": "iot_device.json", "sensor_readings": "iot_sensor.json", "events": "iot_event.json",
                  "telemetry": "iot_telemetry.json"}
WINDOW_START = datetime(2024, 1, 1, tzinfo=UTC)
READINGS_PER_DEVICE = 3 * 7 * 24  # default: three metrics, hourly, seven days
MOBILE = ["cold_chain_tracker", "vehicle_tracker"]
QUIET_ARGS = ("--rows", "100", "--anomaly-rate", "0", "--events", "1", "--telemetry", "0")

spark_test = pytest.mark.spark


def contract(table: str) -> dict:
    return json.loads((SCHEMAS / CONTRACT_FILES[table]).read_text())


def column_spec(table: str, column: str) -> dict:
    return next(c for c in contract(table)["columns"] if c["name"] == column)


def generate(session, directory: Path, *args: str) -> dict:
    return iot.main(["--output", str(directory), *args], spark=session)


def read(directory: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(directory / table / "*.parquet")


def read_all(directory: Path) -> dict[str, pl.DataFrame]:
    return {name: read(directory, name) for name in CONTRACT_FILES}


def collect(frame) -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())


def plan_for(*args: str):
    parser = iot.build_parser()
    return iot.make_plan(parser, iot.parse_arguments(parser, ["--output", "unused", *args]))


def validator_report(directory: Path, **options) -> str | None:
    """The validator's report when it finds errors, None when the folder is clean."""
    validate = load_script("utils/validate.py")
    result = validate.validate_directory(directory, industry="iot", **options)
    return None if result.ok else str(result)


def own_integrity_counts(tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Duplicate primary keys and foreign-key orphans, counted here from the contracts' keys."""
    counts = {}
    for name, frame in tables.items():
        spec = contract(name)
        counts[f"{name} duplicate keys"] = frame.height - frame.select(spec["primary_key"]).n_unique()
        for fk in spec["foreign_keys"]:
            parent = tables[fk["references"]["table"]].select(fk["references"]["columns"])
            orphans = frame.select(fk["columns"]).join(parent, left_on=fk["columns"],
                                                      right_on=fk["references"]["columns"], how="anti")
            counts[f"{name} orphans"] = orphans.height
    return counts


def sorted_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def with_types(readings: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    return readings.join(devices.select("device_id", "device_type", "home_lon", "status"), on="device_id")


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory, spark_modes) -> Path:
    """100 devices with the defaults: 50,400 readings (1,008 anomalous), 500 events, 10,000 fixes."""
    directory = tmp_path_factory.mktemp("iot_spark_fleet")
    generate(spark_modes.classic(), directory, "--rows", "100")
    return directory


@pytest.fixture(scope="module")
def fleet(fleet_dir) -> dict[str, pl.DataFrame]:
    return read_all(fleet_dir)


@pytest.fixture(scope="module")
def quiet(tmp_path_factory, spark_modes) -> dict[str, pl.DataFrame]:
    """The same 100 devices and seed without anomalies: the clean signal."""
    directory = tmp_path_factory.mktemp("iot_spark_quiet")
    generate(spark_modes.classic(), directory, *QUIET_ARGS)
    return read_all(directory)


# --- The file: contract copy, verbatim helpers, notebook format ---------------------------------------


def test_schemas_and_models_are_the_contracts():
    for table in CONTRACT_FILES:
        assert [list(c) for c in iot.SCHEMAS[table]] == [[c["name"], c["type"]] for c in contract(table)["columns"]]
        assert iot.TABLE_COMMENTS[table] == contract(table)["description"]
        assert iot.COLUMN_COMMENTS[table] == {c["name"]: c["description"] for c in contract(table)["columns"]}
    value = column_spec("sensor_readings", "value")["distribution"]["parameters"]
    for device_type, models in iot.METRIC_MODELS.items():
        assert list(value[device_type]) == [m[0] for m in models]
        for model in models:
            assert value[device_type][model[0]] == dict(zip(iot.METRIC_FIELDS[1:], model[1:]))
    assert column_spec("devices", "device_type")["weights"] == [t[1] for t in iot.DEVICE_TYPES]
    assert column_spec("devices", "status")["weights"] == [s[1] for s in iot.STATUSES]
    assert column_spec("devices", "firmware_version")["weights"] == [f[1] for f in iot.FIRMWARE_VERSIONS]
    assert column_spec("events", "severity")["weights"] == [s[1] for s in iot.SEVERITIES]
    assert column_spec("sensor_readings", "anomaly_type")["weights"] == [k[1] for k in iot.ANOMALY_KINDS]
    tier1 = load_script("generators/polars/iot.py")
    assert iot.CITIES == tier1.CITIES and iot.LOCALE_COUNTRY == tier1.LOCALE_COUNTRY
    assert iot.EVENT_TYPES == tier1.EVENT_TYPES and iot.CRUISE_KMH == tier1.CRUISE_KMH


def _definitions(path: Path) -> dict[str, str]:
    source = path.read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    return found


def test_session_helpers_are_verbatim_copies():
    shared = _definitions(SCRIPTS / "utils" / "spark_session.py")
    copied = _definitions(SCRIPT)
    for name in ("get_spark", "column_seed", "LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND"):
        assert copied[name] == shared[name], f"{name} differs from scripts/utils/spark_session.py: re-copy it"


def notebook_cells() -> list[str]:
    source = SCRIPT.read_text()
    assert source.startswith("# Databricks notebook source\n")
    return [cell.strip("\n") for cell in source.split("\n# COMMAND ----------\n")]


def test_the_file_is_a_databricks_notebook_whose_cells_compile():
    cells = notebook_cells()
    assert len(cells) >= 6
    first = cells[0].splitlines()
    assert first[0] == "# Databricks notebook source" and first[1] == "# MAGIC %md"
    assert all(line.startswith("# MAGIC") for line in first[1:])
    assert cells[1] == "# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0"
    for index, cell in enumerate(cells):
        code = "\n".join("# " + line if line.startswith("# MAGIC") else line for line in cell.splitlines())
        compile(code, f"cell {index}", "exec")
    assert "def main(" in cells[-1] and cells[-1].rstrip().endswith("main()")
    assert "# ///" not in SCRIPT.read_text()  # no PEP 723 header: pyspark and databricks-connect never share an env


def test_widgets_feed_the_same_options_in_a_notebook(monkeypatch):
    """In Databricks (runtime variable and dbutils present) options come from widgets of the same names."""

    class Widgets:
        def __init__(self, values):
            self.values, self.created = values, {}

        def text(self, name, default, label):
            self.created[name] = default

        def dropdown(self, name, default, choices, label):
            self.created[name] = default

        def get(self, name):
            return self.values.get(name, self.created[name])

    widgets = Widgets({"rows": "12", "output": "/Volumes/main/demo/files/iot", "stream": "true"})
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    monkeypatch.setitem(iot.__dict__, "dbutils", type("dbutils", (), {"widgets": widgets})())
    parser = iot.build_parser()
    args = iot.parse_arguments(parser, None)
    assert args.rows == 12 and args.output == Path("/Volumes/main/demo/files/iot") and args.stream
    assert args.tier == 3 and args.seed == 42 and args.format == "parquet"
    assert widgets.created["anomaly_rate"] == "0.02" and "local" not in widgets.created


# --- Integrity, classic and Connect -------------------------------------------------------------------


@spark_test
def test_output_is_contract_clean_with_exact_row_counts(fleet_dir, fleet):
    assert validator_report(fleet_dir) is None
    assert all(count == 0 for count in own_integrity_counts(fleet).values()), own_integrity_counts(fleet)
    mobile = fleet["devices"]["device_type"].is_in(MOBILE).sum()
    expected = {"devices": 100, "sensor_readings": 100 * READINGS_PER_DEVICE, "events": 500, "telemetry": 10_000}
    assert mobile == 20 and {name: frame.height for name, frame in fleet.items()} == expected
    manifest = json.loads((fleet_dir / "_manifest.json").read_text())
    assert manifest["generator"] == "scripts/generators/iot.py" and manifest["industry"] == "iot"
    assert manifest["seed"] == 42 and manifest["tier"] == 2
    assert {name: info["rows"] for name, info in manifest["tables"].items()} == expected
    assert set(manifest["versions"]) >= {"pyspark", "dbldatagen", "spark"}


@spark_test
@pytest.mark.connect
def test_connect_builds_the_same_tables_as_classic(fleet, spark_connect, tmp_path):
    """Tier 2 over a Spark Connect client: validator-clean and equal, row for row, to the classic run."""
    generate(spark_connect, tmp_path, "--rows", "100")
    assert validator_report(tmp_path) is None
    connect_tables = read_all(tmp_path)
    assert all(count == 0 for count in own_integrity_counts(connect_tables).values())
    for table, frame in fleet.items():
        assert sorted_frame(frame).equals(sorted_frame(connect_tables[table])), table


@spark_test
def test_same_seed_same_data_different_seed_different_data(spark, quiet, tmp_path):
    """The quiet fleet again with its seed (42), and with seed 43 (its own anomalies on: every table differs)."""
    generate(spark, tmp_path / "same", *QUIET_ARGS)
    generate(spark, tmp_path / "other", "--rows", "100", "--seed", "43", "--events", "1", "--telemetry", "0",
             "--anomaly-rate", "0")
    for table, frame in quiet.items():
        assert sorted_frame(read(tmp_path / "same", table)).equals(sorted_frame(frame)), table
        if frame.height:
            assert not sorted_frame(read(tmp_path / "other", table)).equals(sorted_frame(frame)), table


@spark_test
def test_permutations_are_bijections_both_ways(spark):
    for size in (1, 2, 7, 1000, 4099):
        permutation = iot.Permutation.draw(42, f"test {size}", size)
        frame = spark.range(size).selectExpr("id", f"{permutation.forward('id')} AS image").selectExpr(
            "id", "image", f"{permutation.backward('image')} AS back")
        stats = frame.selectExpr("count(DISTINCT image) AS distinct_images", "min(image) AS low", "max(image) AS high",
                                 "sum(CAST(back = id AS INT)) AS restored").first()
        assert (stats.distinct_images, stats.low, stats.high, stats.restored) == (size, 0, size - 1, size)


def test_episode_sequence_has_the_kind_weights_and_uniform_lengths():
    """Every block of 20 episodes holds 8/5/4/3 of the kinds; over a period each kind's lengths are
    uniform over its range (spike 1, stuck 4-12, drift 6-18, dropout 1-3): mean 5.1 readings."""
    episodes = iot.Episodes.draw(42)
    q = np.arange(iot.EPISODES)
    kinds, lengths = episodes.kind(q), episodes.length(q)
    for block in range(iot.EPISODE_BLOCKS):
        assert np.bincount(kinds[block * 20:(block + 1) * 20], minlength=4).tolist() == [8, 5, 4, 3]
    for kind, (_, _, low, high) in enumerate(iot.ANOMALY_KINDS):
        counts = np.bincount(lengths[kinds == kind] - low)
        assert len(counts) == high - low + 1 and counts.min() == counts.max()
    assert episodes.mean_length == pytest.approx(5.1)
    assert episodes.covered(iot.EPISODES + 7) == lengths.sum() + lengths[:7].sum()
    assert iot.Episodes.draw(43) != episodes


@spark_test
def test_episode_sql_matches_numpy(spark):
    """The exact anomaly count rests on the SQL and the plan's NumPy agreeing on every episode."""
    episodes = iot.Episodes.draw(42)
    frame = collect(spark.range(3 * iot.EPISODES).selectExpr("id", f"{episodes.kind_sql('id')} AS kind")
                    .selectExpr("id", "kind", f"{episodes.length_sql('id', 'kind')} AS length").orderBy("id"))
    q = frame["id"].to_numpy()
    assert (frame["kind"].to_numpy() == episodes.kind(q)).all() and (frame["length"].to_numpy() == episodes.length(q)).all()


# --- Devices ------------------------------------------------------------------------------------------


@spark_test
def test_device_weights_sites_and_serials(spark):
    """20,000 devices: types and statuses exact to one device (dealt by rank); firmware (a dbldatagen
    weighted column) within 1.2 points (about 3.5 sd); makers uniform over 8 within 1 point."""
    devices = collect(iot.build_devices(spark, plan_for("--rows", "20000")))
    for column, weights in (("device_type", [(t[0], t[1]) for t in iot.DEVICE_TYPES]), ("status", list(iot.STATUSES))):
        counts = dict(devices[column].value_counts().iter_rows())
        for value, weight in weights:
            assert abs(counts[value] - 20_000 * weight / 100) <= 1, (column, value, counts[value])
    firmware = dict(devices["firmware_version"].value_counts(normalize=True).iter_rows())
    for version, weight in iot.FIRMWARE_VERSIONS:
        assert abs(firmware[version] - weight / 100) < 0.012, (version, firmware[version])
    makers = devices["manufacturer"].value_counts(normalize=True)["proportion"]
    assert makers.len() == 8 and (makers - 1 / 8).abs().max() < 0.01
    series = devices["model"].str.split("-").list.last().value_counts(normalize=True)["proportion"]
    assert series.len() == 5 and (series - 1 / 5).abs().max() < 0.012
    # Install dates uniform over 2021-2023 (1,095 days): a third per year within 1.2 points, and
    # the first and last fortnight hold their 14/1095 share (not half of it) within 0.35 points.
    years = devices["install_date"].dt.year().value_counts(normalize=True)["proportion"]
    assert (years - 1 / 3).abs().max() < 0.012
    day = (devices["install_date"] - date(2021, 1, 1)).dt.total_days()
    for edge in ((day < 14).mean(), (day >= 1095 - 14).mean()):
        assert abs(edge - 14 / 1095) < 0.0035, edge
    assert devices["serial_number"].n_unique() == 20_000 and devices["device_id"].n_unique() == 20_000
    assert devices["install_date"].min() == date(2021, 1, 1) and devices["install_date"].max() == date(2023, 12, 31)
    cities = pl.DataFrame(iot.CITIES, schema=["country", "city", "lat", "lon"], orient="row")
    joined = devices.join(cities, on=["country", "city"], how="left")
    assert joined["lat"].null_count() == 0 and set(devices["country"]) == {"US"}
    # Sites within ~5 km sd of their city centre (0.05 deg per coordinate): none beyond 0.3 deg.
    assert (joined["home_lat"] - joined["lat"]).abs().max() < 0.3 and (joined["home_lon"] - joined["lon"]).abs().max() < 0.3
    per_site = devices.group_by("site_id").agg(pl.col("location", "city", "country").n_unique())
    assert per_site.height == 800 and per_site.select(pl.all().exclude("site_id").max()).row(0) == (1, 1, 1)
    model_code = devices["model"].str.slice(0, 3)
    codes = {t[0]: t[3] for t in iot.DEVICE_TYPES}
    assert (model_code == devices["device_type"].replace_strict(codes)).all()


@spark_test
def test_dbldatagen_unweighted_random_choices_halve_the_end_values(spark):
    """Why build_devices passes equal weights: dbldatagen 0.4 picks a random value, range member or
    date by round(rand x (n-1)), so the first and last get half the share of the others; with
    weights the choice is uniform. 40,000 rows: shares within 1 point."""
    import dbldatagen as dg

    frame = (dg.DataGenerator(spark, rows=40_000, partitions=2, randomSeed=1, randomSeedMethod="hash_fieldname")
             .withColumn("plain", "string", values=list("abcd"), random=True, randomSeed=11)
             .withColumn("weighted", "string", values=list("abcd"), weights=[1] * 4, random=True, randomSeed=12)
             .withColumn("ranged", "int", minValue=1, maxValue=4, random=True, randomSeed=13)
             .build())
    shares = {column: dict(collect(frame.groupBy(column).count()).with_columns(pl.col("count") / 40_000).iter_rows())
              for column in ("plain", "weighted", "ranged")}
    assert all(abs(shares["weighted"][v] - 0.25) < 0.01 for v in "abcd")
    for column, low, high in (("plain", "a", "d"), ("ranged", 1, 4)):
        assert abs(shares[column][low] - 1 / 6) < 0.01 and abs(shares[column][high] - 1 / 6) < 0.01
        assert all(abs(share - 1 / 3) < 0.01 for value, share in shares[column].items() if value not in (low, high))


@spark_test
def test_locale_picks_the_country_and_names(spark):
    german = collect(iot.build_devices(spark, plan_for("--rows", "300", "--locale", "de")))
    assert set(german["country"]) == {"DE"}
    assert not set(german["manufacturer"]) & set(plan_for("--rows", "300").manufacturers)


# --- Sensor readings ----------------------------------------------------------------------------------


@spark_test
def test_readings_are_regular_after_install_and_inside_the_window(fleet):
    readings = fleet["sensor_readings"].join(fleet["devices"].select("device_id", "install_date"), on="device_id")
    assert (readings["timestamp"].dt.date() > readings["install_date"]).all()
    assert readings["timestamp"].min() >= WINDOW_START and readings["timestamp"].max() < WINDOW_START + timedelta(days=7)
    steps = (fleet["sensor_readings"].select("device_id", "timestamp").unique().sort("device_id", "timestamp")
             .with_columns(step=pl.col("timestamp").diff().over("device_id")).drop_nulls("step"))
    assert steps["step"].unique().to_list() == [timedelta(hours=1)]
    expected = pl.DataFrame([(t, m[0], m[1]) for t, models in iot.METRIC_MODELS.items() for m in models],
                            schema=["device_type", "metric", "unit"], orient="row")
    seen = with_types(fleet["sensor_readings"], fleet["devices"]).select("device_type", "metric", "unit").unique()
    assert seen.sort(pl.all()).equals(expected.sort(pl.all()))


@spark_test
def test_anomaly_rate_is_exact(fleet, spark):
    """Flagged = round(rate x rows) exactly: 1,008 of 50,400 at 2%; and 10% on 30 devices."""
    readings = fleet["sensor_readings"]
    assert readings["is_anomaly"].sum() == math.floor(0.02 * readings.height + 0.5) == 1008
    other = collect(iot.build_sensor_readings(spark, plan_for("--rows", "30", "--anomaly-rate", "0.1")))
    assert other.height == 30 * READINGS_PER_DEVICE and other["is_anomaly"].sum() == math.floor(0.1 * other.height + 0.5)
    for frame in (readings, other):
        assert (frame["anomaly_type"].is_not_null() == frame["is_anomaly"]).all()
        assert (frame["value"].is_null() == (frame["anomaly_type"] == "dropout").fill_null(False)).all()


@spark_test
def test_degraded_devices_carry_half_the_anomalies(fleet):
    readings = with_types(fleet["sensor_readings"], fleet["devices"])
    flagged = readings.filter("is_anomaly")
    share = (flagged["status"] == "degraded").mean()
    plan = plan_for("--rows", "100")
    assert share == plan.populations[0].flagged / plan.flagged  # exact by construction
    assert abs(share - iot.DEGRADED_ANOMALY_SHARE) < 0.005, share
    degraded_rate = readings.filter(pl.col("status") == "degraded")["is_anomaly"].mean()
    other_rate = readings.filter(pl.col("status") != "degraded")["is_anomaly"].mean()
    assert degraded_rate > 8 * other_rate


def anomaly_runs(readings: pl.DataFrame) -> pl.DataFrame:
    """Runs: consecutive flagged readings of one series (device, metric)."""
    return (readings.sort("device_id", "metric", "timestamp")
            .with_columns(step=pl.int_range(pl.len()).over("device_id", "metric"),
                          previous=pl.col("value").shift().over("device_id", "metric"))
            .filter("is_anomaly")
            .with_columns(run=((pl.col("step").diff() != 1) | (pl.col("device_id") != pl.col("device_id").shift())
                               | (pl.col("metric") != pl.col("metric").shift())).fill_null(True).cum_sum()))


@spark_test
def test_anomalies_are_visibly_off_and_the_rest_untouched(fleet, quiet):
    """Same seed with and without anomalies: only flagged readings change, each as the contract says."""
    faulty = fleet["sensor_readings"]
    key = ["device_id", "timestamp", "metric"]
    both = faulty.join(quiet["sensor_readings"].select(*key, clean=pl.col("value")), on=key, how="left")
    assert both["clean"].null_count() == 0
    both = both.join(fleet["devices"].select("device_id", "device_type"), on="device_id")
    assert both.filter(~pl.col("is_anomaly")).select((pl.col("value") == pl.col("clean")).all()).item()
    models = pl.DataFrame([(t, m[0], m[6], m[10], 0.5 * 10.0 ** -m[11] + 1e-9) for t, ms in iot.METRIC_MODELS.items()
                           for m in ms], schema=["device_type", "metric", "noise_sd", "spike", "rounding"], orient="row")
    off = both.filter("is_anomaly").join(models, on=["device_type", "metric"]).with_columns(
        gap=(pl.col("value") - pl.col("clean")).abs())
    # A spike moves the reading by 0.6-1.0 x spike (10-80 x noise_sd): at least 0.5 x spike after rounding.
    spikes = off.filter(pl.col("anomaly_type") == "spike")
    assert spikes.height > 40 and (spikes["gap"] >= 0.5 * spikes["spike"]).all()
    # A drift moves away by spike/6 per reading, capped at spike: at least spike/6 less the rounding.
    drifts = off.filter(pl.col("anomaly_type") == "drift")
    assert drifts.height > 200 and (drifts["gap"] >= drifts["spike"] / 6 - drifts["rounding"]).all()
    assert (drifts["gap"] > 5 * drifts["noise_sd"]).mean() > 0.95
    runs = anomaly_runs(faulty)
    # Episodes never touch: every run is one kind, at most 18 readings long.
    per_run = runs.group_by("run").agg(pl.col("anomaly_type").n_unique().alias("kinds"), pl.len(),
                                       pl.col("anomaly_type").first(), pl.col("value").n_unique().alias("values"),
                                       pl.col("value").first(), pl.col("previous").first(), pl.col("step").first())
    assert (per_run["kinds"] == 1).all() and per_run["len"].max() <= 18
    # Stuck runs repeat one value: the clean reading just before the run (or the run's own first).
    stuck = per_run.filter(pl.col("anomaly_type") == "stuck")
    assert stuck.height > 20 and (stuck["values"] == 1).all()
    inside = stuck.filter(pl.col("step") > 0)
    assert (inside["value"] == inside["previous"]).all()
    # Episode kinds: shares of runs near 40/25/20/15 (a run cut at a series boundary counts twice: +-5 points).
    shares = dict(per_run["anomaly_type"].value_counts(normalize=True).iter_rows())
    for kind, weight, _, _ in iot.ANOMALY_KINDS:
        assert abs(shares[kind] - weight / 100) < 0.05, (kind, shares[kind])
    lengths = per_run.filter(pl.col("anomaly_type") == "drift")["len"]
    assert lengths.max() <= 18 and lengths.mean() > 9  # drift episodes 6-18 readings (a cut run is shorter)


def _series_fits(readings: pl.DataFrame, harmonic_hours: float | None = 24.0):
    """Least-squares fit of every (device, metric) series: 1, t, and a sinusoid of the given period.

    Returns (device_type, metric, residuals, parameters k, fitted peak hour in UTC, home_lon).
    """
    results = []
    for (_, metric), series in readings.sort("timestamp").group_by(["device_id", "metric"], maintain_order=True):
        hours = (series["timestamp"] - WINDOW_START).dt.total_seconds().to_numpy() / 3600.0
        columns = [np.ones_like(hours), hours / hours.max()]
        if harmonic_hours:
            columns += [np.cos(2 * np.pi * hours / harmonic_hours), np.sin(2 * np.pi * hours / harmonic_hours)]
        design = np.column_stack(columns)
        values = series["value"].to_numpy()
        coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
        residuals = values - design @ coefficients
        peak = (np.degrees(np.arctan2(coefficients[3], coefficients[2])) / 15.0) % 24 if harmonic_hours else None
        results.append((series["device_type"][0], metric, residuals, design.shape[1], peak, series["home_lon"][0]))
    return results


@spark_test
def test_noise_is_normal_with_the_contract_sd(quiet):
    """Residual sd of each series around its own baseline + daily cycle + trend = contract noise_sd (+-6%)."""
    parameters = column_spec("sensor_readings", "value")["distribution"]["parameters"]
    fits = _series_fits(with_types(quiet["sensor_readings"], quiet["devices"]))
    pooled: dict[tuple[str, str], list] = {}
    standardized = []
    for device_type, metric, residuals, k, _, _ in fits:
        pooled.setdefault((device_type, metric), []).append((residuals, k))
        standardized.append(residuals / parameters[device_type][metric]["noise_sd"]
                            * math.sqrt(len(residuals) / (len(residuals) - k)))
    assert len(pooled) == 18
    for (device_type, metric), parts in pooled.items():
        measured = math.sqrt(sum(float((r**2).sum()) for r, _ in parts) / sum(len(r) - k for r, k in parts))
        stated = parameters[device_type][metric]["noise_sd"]
        assert abs(measured / stated - 1) < 0.06, (device_type, metric, measured, stated)
    z = np.concatenate(standardized)
    # Normal: 68.3% within one sd, 95.4% within two, kurtosis 3 (n = 50,400; sd of each share < 0.25 points).
    assert abs((np.abs(z) < 1).mean() - 0.6827) < 0.012
    assert abs((np.abs(z) < 2).mean() - 0.9545) < 0.008
    assert abs(((z - z.mean()) ** 4).mean() / z.var() ** 2 - 3) < 0.15


@spark_test
def test_daily_cycle_has_a_24_hour_period_peaking_at_local_solar_time(quiet):
    readings = with_types(quiet["sensor_readings"], quiet["devices"])
    spectra = []
    for _, series in readings.sort("timestamp").group_by(["device_id", "metric"]):
        values = series["value"].to_numpy()
        t = np.arange(len(values))
        values = values - np.polyval(np.polyfit(t, values, 1), t)
        spectra.append(np.abs(np.fft.rfft(values / values.std())) ** 2)
    frequency = np.fft.rfftfreq(7 * 24, d=1.0)  # cycles per hour
    assert 1 / frequency[1:][np.argmax(np.mean(spectra, axis=0)[1:])] == pytest.approx(24.0)
    # Outdoor-style temperature peaks at 15:00 local solar time: UTC peak + lon/15 = 15 h (+-0.5 h on average).
    fits = [f for f in _series_fits(readings) if f[0] == "environmental_sensor" and f[1] == "temperature"]
    local = np.array([(peak_utc + lon / 15.0) % 24 for *_, peak_utc, lon in fits])
    difference = (local - 15 + 12) % 24 - 12
    assert len(fits) >= 20 and abs(difference.mean()) < 0.5 and np.abs(difference).max() < 4


@spark_test
def test_baselines_and_trends_vary_by_device_with_the_contract_sd(quiet):
    """Across devices, series intercepts spread by baseline_sd and total trends by trend_sd: pooled over
    all 300 series as z-scores, sd 1 within 15% (n = 300: sd of the estimate ~4%)."""
    parameters = column_spec("sensor_readings", "value")["distribution"]["parameters"]
    readings = with_types(quiet["sensor_readings"], quiet["devices"]).sort("timestamp")
    baseline_z, trend_z = [], []
    for (_, metric), series in readings.group_by(["device_id", "metric"], maintain_order=True):
        p = parameters[series["device_type"][0]][metric]
        hours = (series["timestamp"] - WINDOW_START).dt.total_seconds().to_numpy() / 3600.0
        design = np.column_stack([np.ones_like(hours), hours / (7 * 24), np.cos(2 * np.pi * hours / 24),
                                  np.sin(2 * np.pi * hours / 24)])
        (intercept, trend, *_), *_ = np.linalg.lstsq(design, series["value"].to_numpy(), rcond=None)
        baseline_z.append((intercept - p["baseline"]) / p["baseline_sd"])
        trend_z.append(trend / p["trend_sd"])
    for name, z in (("baseline", np.array(baseline_z)), ("trend", np.array(trend_z))):
        assert abs(z.std() - 1) < 0.15 and abs(z.mean()) < 0.2, (name, z.mean(), z.std())


# --- Events -------------------------------------------------------------------------------------------


@spark_test
def test_events_weights_degraded_share_and_order(spark):
    """40,000 events: severity and type shares within 1 point (sd <= 0.23), acknowledgement within 3."""
    plan = plan_for("--rows", "400", "--days", "2", "--events", "40000", "--telemetry", "0")
    events = collect(iot.build_events(spark, plan))
    devices = collect(iot.build_devices(spark, plan))
    assert events.height == 40_000
    severity = dict(events["severity"].value_counts(normalize=True).iter_rows())
    for name, weight, _ in iot.SEVERITIES:
        assert abs(severity[name] - weight / 100) < 0.01, (name, severity[name])
    spec = column_spec("events", "event_type")
    kinds = dict(events["event_type"].value_counts(normalize=True).iter_rows())
    for name, weight in zip(spec["values"], spec["weights"]):
        assert abs(kinds[name] - weight / 100) < 0.01, (name, kinds[name])
    acknowledged = dict(events.group_by("severity").agg(pl.col("acknowledged").mean()).iter_rows())
    for name, _, rate in iot.SEVERITIES:
        assert abs(acknowledged[name] - rate) < 0.03, (name, acknowledged[name])
    assert events.filter(pl.col("event_type") == "low_battery")["message"].str.contains(r"^Battery low: (5|[6-9]|1[0-9]|20)%$").all()
    assert events.filter(pl.col("event_type") == "weak_signal")["message"].str.contains(r"^Signal strength -(9[5-9]|10[0-9]|11[0-5]) dBm$").all()
    joined = events.join(devices.select("device_id", "status", "install_date"), on="device_id", how="left")
    assert joined["status"].null_count() == 0
    degraded_share = (devices["status"] == "degraded").mean()
    alerts = joined.filter(pl.col("severity") != "info")
    expected = iot.EVENT_DEGRADED_SHARE + (1 - iot.EVENT_DEGRADED_SHARE) * degraded_share
    assert abs((alerts["status"] == "degraded").mean() - expected) < 0.02
    assert abs((joined.filter(pl.col("severity") == "info")["status"] == "degraded").mean() - degraded_share) < 0.01
    ordered = joined.sort("event_id")
    assert ordered["event_id"].to_list() == list(range(1, 40_001)) and ordered["timestamp"].is_sorted()
    assert ordered["timestamp"].min() >= WINDOW_START and ordered["timestamp"].max() < WINDOW_START + timedelta(days=2)
    # Uniform over the window: each of the 48 hours holds 1/48 of the events within 0.5 points.
    hourly = ordered["timestamp"].dt.hour().value_counts(normalize=True)["proportion"]
    assert (hourly - 1 / 24).abs().max() < 0.005
    assert (joined["timestamp"].dt.date() > joined["install_date"]).all()


# --- Telemetry ----------------------------------------------------------------------------------------


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * iot.EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def check_tracks(telemetry: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    """Continuity: fixes 60 s apart, each as far from the last as its speed says, starting at home at rest."""
    assert telemetry["lat"].is_between(-90, 90).all() and telemetry["lon"].is_between(-180, 180, closed="left").all()
    tracks = telemetry.sort("device_id", "timestamp").join(devices, on="device_id")
    assert set(tracks["device_type"]) <= set(MOBILE)
    first = tracks.group_by("device_id").first()
    assert (first["speed"] == 0).all()
    assert ((first["lat"] - first["home_lat"]).abs() < 1e-9).all() and ((first["lon"] - first["home_lon"]).abs() < 1e-9).all()
    steps = tracks.with_columns(
        gap=pl.col("timestamp").diff().over("device_id"),
        lat0=pl.col("lat").shift().over("device_id"), lon0=pl.col("lon").shift().over("device_id"),
        odometer_step=pl.col("odometer_km").diff().over("device_id"),
    ).drop_nulls("gap")
    assert steps["gap"].unique().to_list() == [timedelta(seconds=60)]
    distance = _haversine_km(steps["lat0"].to_numpy(), steps["lon0"].to_numpy(), steps["lat"].to_numpy(), steps["lon"].to_numpy())
    reported = steps["speed"].to_numpy() / 60.0  # km in one minute
    # Within 0.5% or 2 m (coordinates carry 6 decimals, ~0.1 m).
    assert np.all(np.abs(distance - reported) <= np.maximum(0.005 * reported, 0.002)), np.abs(distance - reported).max()
    assert np.all(np.abs(steps["odometer_step"].to_numpy() - reported) < 0.002)
    assert steps["speed"].max() <= iot.MAX_SPEED_KMH
    return steps


@spark_test
def test_telemetry_tracks_are_continuous_and_plausible(fleet):
    telemetry, devices = fleet["telemetry"], fleet["devices"]
    steps = check_tracks(telemetry, devices)
    lengths = telemetry.group_by("device_id").len()
    assert lengths.height == devices["device_type"].is_in(MOBILE).sum() and lengths["len"].sum() == 10_000
    assert lengths["len"].max() - lengths["len"].min() <= 1
    # Stops: about 14% of fixes at speed 0 (a sine above 0.9: acos(0.9)/pi = 14.4%): 10-18%.
    assert 0.10 < (steps["speed"] == 0).mean() < 0.18
    moving = steps.filter(pl.col("speed") > 0)
    mean_speed = dict(moving.group_by("device_type").agg(pl.col("speed").mean()).iter_rows())
    assert 35 < mean_speed["vehicle_tracker"] < 60 and 60 < mean_speed["cold_chain_tracker"] < 85
    # Heading: a random walk with Normal(0, 6 deg) turns: the median absolute turn of a moving fix
    # is 0.674 x 6 = 4.0 deg (+-1).
    turns = (steps.with_columns(turn=((pl.col("heading").diff().over("device_id") + 180) % 360 - 180).abs())
             .filter((pl.col("speed") > 0) & (pl.col("speed").shift().over("device_id") > 0))["turn"].drop_nulls())
    assert abs(turns.median() - 0.674 * 6) < 1.0 and 0.01 < (turns > 60).mean() < 0.035
    assert telemetry["timestamp"].min() >= WINDOW_START and telemetry["timestamp"].max() < WINDOW_START + timedelta(days=7)
    assert telemetry["battery_level"].is_between(5, 100).all() and telemetry["satellites"].is_between(5, 14).all()
    assert set(telemetry["satellites"].unique()) == set(range(5, 15))


@spark_test
def test_tracks_wrap_around_the_antimeridian(spark, monkeypatch):
    """A depot a few km west of 180 deg: tracks cross into negative longitudes and stay continuous."""
    monkeypatch.setattr(iot, "CITIES", (("FJ", "Dateline", -16.5, 179.98),))
    monkeypatch.setattr(iot, "LOCALE_COUNTRY", {})
    plan = plan_for("--rows", "40", "--telemetry", "8000", "--events", "1")
    telemetry = collect(iot.conform(iot.build_telemetry(spark, plan), "telemetry"))
    devices = collect(iot.build_devices(spark, plan))
    assert (telemetry["lon"] < 0).any() and (telemetry["lon"] > 179).any()
    check_tracks(telemetry, devices)


# --- Streaming (Tier 3) -------------------------------------------------------------------------------


def check_stream(folder: Path, devices: pl.DataFrame) -> pl.DataFrame:
    """Stream output conforms to the sensor_readings contract, references the devices and continues
    after the batch window."""
    check = folder.parent / f"{folder.name}-check"
    check.mkdir()
    shutil.copytree(folder, check / "sensor_readings")
    devices.write_parquet(check / "devices.parquet")
    assert validator_report(check, allow_missing=True) is None
    readings = read(check, "sensor_readings")
    assert readings.height > 0
    assert readings.join(devices, on="device_id", how="anti").height == 0
    assert readings["timestamp"].min() >= WINDOW_START + timedelta(days=7)  # after the batch window
    assert readings.select("device_id", "timestamp", "metric").n_unique() == readings.height
    assert (readings["anomaly_type"].is_not_null() == readings["is_anomaly"]).all()
    return readings


@spark_test
@pytest.mark.connect
@pytest.mark.slow  # a stream's first micro-batch takes a minute on a loaded two-core machine
def test_stream_over_connect_writes_contract_clean_readings(spark_connect, tmp_path):
    """A rate-source stream with a processing-time trigger, started over Spark Connect."""
    session = spark_connect
    plan = plan_for("--rows", "20")
    query = iot.start_sensor_stream(session, plan, rows_per_second=600, trigger_seconds=1,
                                    checkpoint=str(tmp_path / "_checkpoints" / "stream"),
                                    path=str(tmp_path / "stream"))
    try:
        deadline = time.monotonic() + 240  # a loaded two-core machine can take a minute per batch
        while iot.committed_rows(query) == 0 and time.monotonic() < deadline:
            assert query.exception() is None, query.exception()
            time.sleep(0.5)
    finally:
        iot.stop_stream(query, str(tmp_path / "stream"))
    assert iot.committed_rows(query) > 0
    check_stream(tmp_path / "stream", collect(iot.conform(iot.build_devices(session, plan), "devices")))


def test_stream_anomaly_probabilities_keep_the_rate_and_split():
    """In expectation the stream flags --anomaly-rate of the readings, half on degraded devices."""
    plan = plan_for("--rows", "1000")
    p_degraded, p_other = iot.stream_probabilities(plan)
    per_reading = plan.episodes.mean_length / iot.ANOMALY_CELL
    degraded = plan.degraded_devices / plan.devices
    flagged_degraded, flagged_other = degraded * p_degraded * per_reading, (1 - degraded) * p_other * per_reading
    assert flagged_degraded + flagged_other == pytest.approx(0.02)
    assert flagged_degraded / (flagged_degraded + flagged_other) == pytest.approx(0.5)


@spark_test
def test_stream_anomalies_match_the_rate_on_a_long_stream(spark):
    """The stream's SQL on 60,000 rows of a static id range (the same expressions as the rate
    source feeds): flagged share 2% within 0.45 points (about 3.5 sd of the cell-level draw)."""
    plan = plan_for("--rows", "100")
    series = plan.devices * iot.METRICS_PER_DEVICE
    located = spark.range(60_000).selectExpr(f"id % {series}L AS series", f"{plan.samples}L + id div {series}L AS sample")
    readings = collect(iot.sensor_frame(located, plan, iot.Draws(plan.seed), streaming=True))
    assert abs(readings["is_anomaly"].mean() - 0.02) < 0.0045


# --- Unity Catalog path, on the local catalog --------------------------------------------------------


@spark_test
def test_catalog_tables_are_marked_and_never_overwritten_unless_ours(spark, capsys):
    schema = "iot_uc_test"
    spark.sql(f"DROP SCHEMA IF EXISTS spark_catalog.{schema} CASCADE")
    args = ["--catalog", "spark_catalog", "--schema", schema, "--format", "parquet", "--rows", "6", "--events", "10",
            "--telemetry", "60"]
    summary = iot.main(args, spark=spark)
    assert {name: info["rows"] for name, info in summary["tables"].items()} == {
        "devices": 6, "sensor_readings": 6 * READINGS_PER_DEVICE, "events": 10, "telemetry": 60}
    properties = iot.table_properties(spark, f"spark_catalog.{schema}.devices")
    assert properties["synthetic"] == "true" and properties["generator"] == "scripts/generators/iot.py" and properties["seed"] == "42"
    described = {row[0]: row[2] for row in spark.sql(f"DESCRIBE TABLE spark_catalog.{schema}.sensor_readings").collect()}
    assert described["value"] == iot.COLUMN_COMMENTS["sensor_readings"]["value"]
    extended = {row[0]: row[1] for row in spark.sql(f"DESCRIBE TABLE EXTENDED spark_catalog.{schema}.events").collect()}
    assert extended["Comment"] == iot.TABLE_COMMENTS["events"]
    # Existing tables: refused by default, replaced with --mode overwrite.
    with pytest.raises(SystemExit) as stopped:
        iot.main(args, spark=spark)
    assert stopped.value.code == 2 and "exists: pass --mode overwrite" in capsys.readouterr().err
    iot.main([*args, "--mode", "overwrite", "--seed", "9"], spark=spark)
    assert iot.table_properties(spark, f"spark_catalog.{schema}.devices")["seed"] == "9"
    # A table this tool did not write is never overwritten, and nothing else is touched.
    spark.sql(f"DROP TABLE spark_catalog.{schema}.events")
    spark.sql(f"CREATE TABLE spark_catalog.{schema}.events (note STRING) USING parquet")
    with pytest.raises(SystemExit) as stopped:
        iot.main([*args, "--mode", "overwrite"], spark=spark)
    assert stopped.value.code == 2 and "was not written by this tool" in capsys.readouterr().err
    assert iot.table_properties(spark, f"spark_catalog.{schema}.devices")["seed"] == "9"
    spark.sql(f"DROP SCHEMA spark_catalog.{schema} CASCADE")


@spark_test
def test_a_missing_catalog_is_a_clear_error(spark, capsys):
    with pytest.raises(SystemExit) as stopped:
        iot.main(["--catalog", "no_such_catalog", "--schema", "x", "--rows", "2"], spark=spark)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "catalog 'no_such_catalog' does not exist: create it" in err and "Traceback" not in err


@spark_test
def test_folders_are_refused_unless_overwrite_of_our_own(spark, tmp_path, capsys):
    (tmp_path / "devices").mkdir()
    for mode, message in (("error", "exists: pass --mode overwrite"), ("overwrite", "was not written by this tool")):
        with pytest.raises(SystemExit) as stopped:
            generate(spark, tmp_path, "--rows", "2", "--mode", mode)
        assert stopped.value.code == 2 and message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["devices"]


# --- Command line -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rows", "5"], "pass --catalog C --schema S"),
        (["--catalog", "main", "--rows", "5"], "--catalog needs --schema"),
        (["--schema", "x", "--output", "o"], "--schema needs --catalog"),
        (["--catalog", "c", "--schema", "s", "--output", "o"], "not both"),
        (["--output", "o", "--rows", "0"], "must be at least 1"),
        (["--output", "o", "--rows", "abc"], "expected a whole number"),
        (["--output", "o", "--rows", "100000000"], "more than the 99,999,999 devices"),
        (["--output", "o", "--anomaly-rate", "2"], "must be between 0 and 1"),
        (["--output", "o", "--anomaly-rate", "0.5"], "is more than fits"),
        (["--output", "o", "--days", "400"], "at most 366"),
        (["--output", "o", "--interval-minutes", "2000"], "at most 1440"),
        (["--output", "o", "--rows", "5", "--days", "1", "--telemetry", "100000"], "longer than the 1-day window"),
        (["--output", "o", "--local", "--profile", "dev"], "--profile applies to Databricks Connect only"),
        (["--catalog", "c", "--schema", "s", "--stream"], "--stream to Unity Catalog needs --checkpoint"),
        (["--output", "o", "--locale", "xx"], "unknown Mimesis locale 'xx'"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        iot.main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "usage:" in err
    assert not (tmp_path / "o").exists()


def test_dry_run_plans_without_spark(capsys):
    plan = iot.main(["--rows", "50", "--dry-run"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == plan and printed["tables"]["sensor_readings"]["rows"] == 50 * READINGS_PER_DEVICE
    assert printed["anomalous_readings"] == round(0.02 * 50 * READINGS_PER_DEVICE)
    assert printed["mobile_devices"] == 10 and printed["degraded_devices"] == 3


def test_help_documents_the_destinations_and_ratios(capsys):
    with pytest.raises(SystemExit):
        iot.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("devices x 3 metrics x samples", "--anomaly-rate", "--catalog", "--output", "--stream",
                   "--tier", "--partitions", "synthetic='true'", "serverless accepts no processing-time trigger"):
        assert phrase in text, phrase


@spark_test
def test_the_script_runs_end_to_end_with_a_stream(tmp_path):
    """`python iot.py --local --output DIR --stream`: tables, then a rate-source stream with a
    processing-time trigger whose output conforms to the sensor_readings contract, and a manifest
    naming both. (Stopped between micro-batches, not with processAllAvailable(), which on a rate
    source waits for a trigger that finds no new rows: never, while batches outlast the trigger.)"""
    environment = {key: value for key, value in os.environ.items() if key not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED")}
    run = subprocess.run([sys.executable, str(SCRIPT), "--local", "--output", str(tmp_path), "--rows", "8",
                          "--events", "20", "--telemetry", "100", "--stream", "--stream-seconds", "3",
                          "--trigger-seconds", "1", "--rows-per-second", "300"],
                         check=False, capture_output=True, text=True, timeout=600, cwd=REPO, env=environment)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["tables"]["sensor_readings"]["rows"] == 8 * READINGS_PER_DEVICE
    assert summary["stream"]["rows"] > 0
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["tables"]["sensor_readings_stream"]["rows"] == summary["stream"]["rows"]
    assert validator_report(tmp_path) is None
    streamed = check_stream(tmp_path / "sensor_readings_stream", read(tmp_path, "devices"))
    assert streamed.height == summary["stream"]["rows"]  # only committed part files are left


def test_hostile_catalog_or_schema_names_are_refused_before_any_session(capsys):
    """Names are checked against Unity Catalog's identifier rules (and quotes/semicolons) at argument
    parsing, so nothing reaches SQL; a mixed-case catalog is found case-insensitively."""
    for flag, name in (("--catalog", "demo; DROP TABLE x"), ("--schema", "iot`x")):
        arguments = ["--catalog", "demo", "--schema", "iot", "--dry-run"]
        arguments[arguments.index(flag) + 1] = name
        with pytest.raises(SystemExit) as stopped:
            iot.main(arguments)
        assert stopped.value.code == 2
        assert "not allowed" in capsys.readouterr().err
