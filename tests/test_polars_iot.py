"""IoT Tier 1 generator: contracts, integrity, realism, anomalies, telemetry tracks, CLI.

Every realism figure is measured on generated data with a fixed seed (so each test is
deterministic) against the value the contract or the generator states, with the tolerance
written next to it.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import REPO, SCHEMAS, SCRIPTS, load_script

iot = load_script("generators/polars/iot.py")
SCRIPT = SCRIPTS / "generators" / "polars" / "iot.py"
CONTRACT_FILES = {
    "devices": "iot_device.json",
    "sensor_readings": "iot_sensor.json",
    "events": "iot_event.json",
    "telemetry": "iot_telemetry.json",
}
SCHEMAS_BY_TABLE = {
    "devices": iot.DEVICES_SCHEMA,
    "sensor_readings": iot.READINGS_SCHEMA,
    "events": iot.EVENTS_SCHEMA,
    "telemetry": iot.TELEMETRY_SCHEMA,
}
WINDOW_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
READINGS_PER_DEVICE = 3 * 7 * 24  # default: three metrics, hourly, seven days


def contract(table: str) -> dict:
    return json.loads((SCHEMAS / CONTRACT_FILES[table]).read_text())


def column_spec(table: str, column: str) -> dict:
    return next(c for c in contract(table)["columns"] if c["name"] == column)


def generate(directory: Path, *args: str) -> dict:
    return iot.main(["--output", str(directory), *args])


def read(directory: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(directory / f"{table}.parquet")


def own_integrity_counts(tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Duplicate primary keys and foreign-key orphans, counted here from the contracts' keys."""
    counts = {}
    for name, frame in tables.items():
        spec = contract(name)
        counts[f"{name} duplicate keys"] = frame.height - frame.select(spec["primary_key"]).n_unique()
        for fk in spec["foreign_keys"]:
            parent = tables[fk["references"]["table"]].select(fk["references"]["columns"])
            orphans = frame.select(fk["columns"]).join(
                parent, left_on=fk["columns"], right_on=fk["references"]["columns"], how="anti")
            counts[f"{name} orphans"] = orphans.height
    return counts


def validator_report(directory: Path) -> str | None:
    """The validator's report when it finds errors, None when the folder is clean."""
    validate = load_script("utils/validate.py")
    result = validate.validate_directory(directory, industry="iot")
    return None if result.ok else str(result)


def read_all(directory: Path) -> dict[str, pl.DataFrame]:
    return {name: read(directory, name) for name in CONTRACT_FILES}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """1,000 devices with the defaults: 504,000 readings, 5,000 events, 100,000 fixes."""
    directory = tmp_path_factory.mktemp("iot_fleet")
    generate(directory, "--rows", "1000")
    return read_all(directory)


@pytest.fixture(scope="module")
def quiet_fleet(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """300 devices without anomalies, for measuring the clean signal."""
    directory = tmp_path_factory.mktemp("iot_quiet")
    generate(directory, "--rows", "300", "--anomaly-rate", "0", "--events", "1", "--telemetry", "0")
    return read_all(directory)


def with_types(readings: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    return readings.join(devices.select("device_id", "device_type", "home_lon", "status"), on="device_id")


# --- Contracts and schemas --------------------------------------------------------------------------


SPARK_TO_POLARS = {"bigint": pl.Int64, "int": pl.Int32, "smallint": pl.Int16, "tinyint": pl.Int8,
                   "double": pl.Float64, "string": pl.String, "boolean": pl.Boolean, "date": pl.Date,
                   "timestamp": pl.Datetime("us", "UTC")}


@pytest.mark.parametrize("table", CONTRACT_FILES)
def test_generator_schema_is_the_contract(table):
    columns = contract(table)["columns"]
    expected = {c["name"]: SPARK_TO_POLARS[c["type"]] for c in columns}
    assert list(SCHEMAS_BY_TABLE[table]) == list(expected)
    assert SCHEMAS_BY_TABLE[table] == expected


def test_contract_states_the_generators_parameters():
    value = column_spec("sensor_readings", "value")["distribution"]["parameters"]
    for device_type, models in iot.METRIC_MODELS.items():
        assert list(value[device_type]) == [m[0] for m in models]
        for model in models:
            assert value[device_type][model[0]] == dict(zip(iot.METRIC_FIELDS[1:], model[1:]))
    assert column_spec("devices", "device_type")["weights"] == [t[1] for t in iot.DEVICE_TYPES]
    assert column_spec("devices", "status")["weights"] == [s[1] for s in iot.STATUSES]
    assert column_spec("events", "severity")["weights"] == [s[1] for s in iot.SEVERITIES]
    assert column_spec("sensor_readings", "anomaly_type")["weights"] == [k[1] for k in iot.ANOMALY_KINDS]
    rows = contract("sensor_readings")["rows"]
    assert rows["ratio"] == READINGS_PER_DEVICE and rows["default"] == iot.DEFAULT_DEVICES * READINGS_PER_DEVICE
    assert contract("events")["rows"]["ratio"] == iot.EVENTS_PER_DEVICE
    assert contract("telemetry")["rows"]["ratio"] == iot.TELEMETRY_PER_DEVICE


# --- Integrity at several sizes ---------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 10, 1000])
def test_output_is_contract_clean_with_exact_row_counts(tmp_path, rows):
    summary = generate(tmp_path, "--rows", str(rows))
    assert validator_report(tmp_path) is None
    tables = read_all(tmp_path)
    assert all(count == 0 for count in own_integrity_counts(tables).values()), own_integrity_counts(tables)
    mobile = tables["devices"]["device_type"].is_in(["cold_chain_tracker", "vehicle_tracker"]).sum()
    expected = {"devices": rows, "sensor_readings": rows * READINGS_PER_DEVICE, "events": rows * 5,
                "telemetry": rows * 100 if mobile else 0}
    assert {name: frame.height for name, frame in tables.items()} == expected
    assert {name: info["rows"] for name, info in summary["tables"].items()} == expected
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["industry"] == "iot" and manifest["seed"] == 42
    assert manifest["generator"] == "scripts/generators/polars/iot.py"
    assert {name: info["rows"] for name, info in manifest["tables"].items()} == expected
    assert set(manifest["versions"]) >= {"polars", "numpy", "mimesis"}


def test_small_chunks_keep_keys_unique_and_the_anomaly_count_exact(tmp_path, monkeypatch):
    """Readings and telemetry split over many chunks (blocks of whole devices / tracks)."""
    monkeypatch.setattr(iot, "CHUNK_ROWS", 5_000)
    generate(tmp_path, "--rows", "97", "--anomaly-rate", "0.03")
    assert validator_report(tmp_path) is None
    tables = read_all(tmp_path)
    assert all(count == 0 for count in own_integrity_counts(tables).values())
    readings = tables["sensor_readings"]
    assert len(iot.readings_device_blocks(_plan("--rows", "97"))) == 97 // (5_000 // READINGS_PER_DEVICE) + 1
    assert readings["is_anomaly"].sum() == math.floor(0.03 * readings.height + 0.5)


@pytest.mark.parametrize("fmt", ["csv", "json", "delta"])
def test_every_format_reads_back_equal_to_parquet(tmp_path, fmt):
    generate(tmp_path / "parquet", "--rows", "12")
    generate(tmp_path / fmt, "--rows", "12", "--format", fmt)
    assert validator_report(tmp_path / fmt) is None
    for table, schema in SCHEMAS_BY_TABLE.items():
        expected = read(tmp_path / "parquet", table)
        if fmt == "delta":
            from deltalake import DeltaTable

            assert (tmp_path / fmt / table / "_delta_log").is_dir()
            back = pl.from_arrow(DeltaTable(str(tmp_path / fmt / table)).to_pyarrow_table())
        else:
            reader = pl.read_csv if fmt == "csv" else pl.read_ndjson
            # Dates and timestamps arrive as text; the JSON reader takes small integers as Int64.
            read_as = {name: pl.String if dtype in (pl.Date, pl.Datetime("us", "UTC"))
                       else pl.Int64 if dtype in (pl.Int8, pl.Int16) else dtype for name, dtype in schema.items()}
            back = reader(tmp_path / fmt / f"{table}.{fmt}", schema=read_as).with_columns(
                [pl.col(n).str.to_datetime(time_zone="UTC", time_unit="us") for n, d in schema.items() if d == pl.Datetime("us", "UTC")]
                + [pl.col(n).str.to_date() for n, d in schema.items() if d == pl.Date]).cast(schema, strict=True)
        assert back.schema == expected.schema, table
        assert back.equals(expected), table


def test_same_seed_same_data_different_seed_different_data(tmp_path):
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        generate(tmp_path / name, "--rows", "40", "--seed", seed)
    for table in CONTRACT_FILES:
        a, b, c = (read(tmp_path / name, table) for name in "abc")
        assert a.equals(b), table
        assert not a.equals(c), table


# --- Devices ---------------------------------------------------------------------------------------


def _plan(*args: str):
    parser = iot.build_parser()
    return iot.make_plan(parser, parser.parse_args(list(args)))


def test_device_type_and_status_weights():
    """20,000 devices straight from make_devices: each share within 1.2 points (about 3.7 sd)."""
    plan = _plan("--rows", "20000")
    devices = iot.make_devices(plan, 0, 20_000)
    for column, weights in (("device_type", [(t[0], t[1]) for t in iot.DEVICE_TYPES]),
                            ("status", list(iot.STATUSES))):
        shares = devices[column].value_counts(normalize=True)
        measured = dict(zip(shares[column], shares["proportion"]))
        for value, weight in weights:
            assert abs(measured[value] - weight / 100) < 0.012, (column, value, measured[value])
    assert devices["serial_number"].n_unique() == 20_000
    # Telemetry needs the same profiles: the plan's mobile list is exactly the mobile devices here.
    mobile = devices.with_row_index().filter(pl.col("device_type").is_in(["cold_chain_tracker", "vehicle_tracker"]))
    assert mobile["index"].to_list() == plan.mobile_devices.tolist()


def test_sites_agree_with_their_city(fleet):
    devices = fleet["devices"]
    cities = pl.DataFrame(iot.CITIES, schema=["country", "city", "lat", "lon"], orient="row")
    joined = devices.join(cities, on=["country", "city"], how="left")
    assert joined["lat"].null_count() == 0  # every (city, country) pair is a bundled one
    # Devices sit within ~5 km sd of the centre (0.05 deg per coordinate): none beyond 0.3 deg.
    assert ((joined["home_lat"] - joined["lat"]).abs().max() < 0.3) and ((joined["home_lon"] - joined["lon"]).abs().max() < 0.3)
    per_site = devices.group_by("site_id").agg(pl.col("location", "city", "country").n_unique())
    assert per_site.select(pl.all().exclude("site_id").max()).row(0) == (1, 1, 1)
    assert set(devices["country"]) == {"US"}
    assert devices["location"].str.contains(", ").all()


def test_locale_picks_names_and_country(tmp_path):
    generate(tmp_path / "de", "--rows", "60", "--locale", "de", "--events", "5", "--telemetry", "50")
    generate(tmp_path / "en", "--rows", "60", "--events", "5", "--telemetry", "50")
    german, english = read(tmp_path / "de", "devices"), read(tmp_path / "en", "devices")
    assert set(german["country"]) == {"DE"}
    assert not set(german["manufacturer"]) & set(english["manufacturer"])
    assert validator_report(tmp_path / "de") is None
    # A locale without bundled cities spreads its sites over all of them.
    assert iot.build_sites(42, "ru", 300)["country"].n_unique() >= 10


def test_empty_child_tables_are_written_and_valid(tmp_path):
    summary = generate(tmp_path, "--rows", "3", "--events", "0", "--telemetry", "0", "--format", "delta")
    assert summary["tables"]["events"]["rows"] == 0 and summary["tables"]["telemetry"]["rows"] == 0
    assert validator_report(tmp_path) is None


# --- Sensor readings -------------------------------------------------------------------------------


def test_readings_come_after_install_and_inside_the_window(fleet):
    readings = fleet["sensor_readings"].join(fleet["devices"].select("device_id", "install_date"), on="device_id")
    assert (readings["timestamp"].dt.date() > readings["install_date"]).all()
    assert readings["timestamp"].min() >= WINDOW_START
    assert readings["timestamp"].max() < WINDOW_START + timedelta(days=7)
    # Regular interval per device: 168 distinct times, an hour apart.
    steps = (fleet["sensor_readings"].select("device_id", "timestamp").unique().sort("device_id", "timestamp")
             .with_columns(step=pl.col("timestamp").diff().over("device_id")).drop_nulls("step"))
    assert steps["step"].unique().to_list() == [timedelta(hours=1)]
    # Each device reports exactly its type's three metrics, in their units.
    expected = pl.DataFrame([(t, m[0], m[1]) for t, models in iot.METRIC_MODELS.items() for m in models],
                            schema=["device_type", "metric", "unit"], orient="row")
    seen = with_types(fleet["sensor_readings"], fleet["devices"]).select("device_type", "metric", "unit").unique()
    assert seen.sort(pl.all()).equals(expected.filter(pl.col("device_type").is_in(seen["device_type"].unique().to_list())).sort(pl.all()))


@pytest.mark.parametrize("rate,rows", [(0.02, 1000), (0.1, 150)])
def test_anomaly_rate_is_exact(tmp_path, fleet, rate, rows):
    """Flagged share = configured rate to within one reading (exact by construction)."""
    if rate == 0.02:
        readings = fleet["sensor_readings"]
    else:
        generate(tmp_path, "--rows", str(rows), "--anomaly-rate", str(rate))
        readings = read(tmp_path, "sensor_readings")
    assert readings.height == rows * READINGS_PER_DEVICE
    assert readings["is_anomaly"].sum() == math.floor(rate * readings.height + 0.5)
    # anomaly_type is set exactly on flagged rows; nulls in value are exactly the dropouts.
    assert (readings["anomaly_type"].is_not_null() == readings["is_anomaly"]).all()
    assert (readings["value"].is_null() == (readings["anomaly_type"] == "dropout").fill_null(False)).all()


def test_anomalies_are_visibly_off_and_the_rest_untouched(tmp_path):
    """Same seed with and without anomalies: only flagged readings change, each as documented."""
    generate(tmp_path / "clean", "--rows", "200", "--anomaly-rate", "0")
    generate(tmp_path / "faulty", "--rows", "200", "--anomaly-rate", "0.05")
    clean, faulty = read(tmp_path / "clean", "sensor_readings"), read(tmp_path / "faulty", "sensor_readings")
    assert clean.select("device_id", "timestamp", "metric").equals(faulty.select("device_id", "timestamp", "metric"))
    both = faulty.with_columns(clean=clean["value"]).join(read(tmp_path / "faulty", "devices").select("device_id", "device_type"), on="device_id")
    assert both.filter(~pl.col("is_anomaly")).select((pl.col("value") == pl.col("clean")).all()).item()
    models = pl.DataFrame([(t, m[0], m[6], m[10], 0.5 * 10.0 ** -m[11] + 1e-9) for t, ms in iot.METRIC_MODELS.items() for m in ms],
                          schema=["device_type", "metric", "noise_sd", "spike", "rounding"], orient="row")
    flagged = both.filter("is_anomaly").join(models, on=["device_type", "metric"])
    off = flagged.with_columns(gap=(pl.col("value") - pl.col("clean")).abs())
    spikes = off.filter(pl.col("anomaly_type") == "spike")
    # A spike moves the reading by 0.6-1.0 x spike (spike is 10-80 x noise_sd): at least 0.5 x spike
    # after rounding and clipping at the sensor range.
    assert spikes.height > 100 and (spikes["gap"] >= 0.5 * spikes["spike"]).all()
    drifts = off.filter(pl.col("anomaly_type") == "drift")
    # A drift run moves away by spike/6 per reading, capped at spike: at least spike/6 (less the
    # value's rounding, half a unit of its last decimal).
    assert drifts.height > 100 and (drifts["gap"] >= drifts["spike"] / 6 - drifts["rounding"]).all()
    assert (drifts["gap"] > 5 * drifts["noise_sd"]).mean() > 0.95
    # Runs: consecutive flagged readings of one series (device, metric) with one anomaly_type.
    runs = (faulty.sort("device_id", "metric", "timestamp")
            .with_columns(step=pl.int_range(pl.len()).over("device_id", "metric"))
            .filter("is_anomaly")
            .with_columns(run=((pl.col("step").diff() != 1) | (pl.col("anomaly_type") != pl.col("anomaly_type").shift())
                               | (pl.col("device_id") != pl.col("device_id").shift())
                               | (pl.col("metric") != pl.col("metric").shift())).fill_null(True).cum_sum()))
    # Stuck runs repeat one value.
    per_run = runs.filter(pl.col("anomaly_type") == "stuck").group_by("run").agg(pl.col("value").n_unique(), pl.len())
    assert per_run.height > 20 and (per_run["value"] == 1).all()
    assert faulty.filter(pl.col("anomaly_type") == "dropout")["value"].null_count() > 0
    # Episode kinds: shares of runs near 40/25/20/15 (episodes that touch merge into one run: +-5 points).
    runs = runs.group_by("run").agg(pl.col("anomaly_type").first())["anomaly_type"].value_counts(normalize=True)
    for kind, weight, _, _ in iot.ANOMALY_KINDS:
        assert abs(runs.filter(pl.col("anomaly_type") == kind)["proportion"].item() - weight / 100) < 0.05, kind


def test_degraded_devices_carry_half_the_anomalies(fleet):
    readings = with_types(fleet["sensor_readings"], fleet["devices"])
    flagged = readings.filter("is_anomaly")
    share = (flagged["status"] == "degraded").mean()
    assert abs(share - iot.DEGRADED_ANOMALY_SHARE) < 0.005, share  # exact per chunk up to rounding
    degraded_rate = readings.filter(pl.col("status") == "degraded")["is_anomaly"].mean()
    other_rate = readings.filter(pl.col("status") != "degraded")["is_anomaly"].mean()
    assert degraded_rate > 8 * other_rate


def _series_fits(readings: pl.DataFrame, harmonic_hours: float | None = 24.0):
    """Least-squares fit of every (device, metric) series: 1, t, and a sinusoid of the given period.

    Returns (device_type, metric, residuals with n - k degrees of freedom, fitted peak hour in UTC).
    """
    results = []
    for (device, metric), series in readings.sort("timestamp").group_by(["device_id", "metric"], maintain_order=True):
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


def test_noise_is_normal_with_the_contract_sd(quiet_fleet):
    """Residual sd of each series around its own baseline + daily cycle + trend = contract noise_sd (+-6%)."""
    parameters = column_spec("sensor_readings", "value")["distribution"]["parameters"]
    readings = with_types(quiet_fleet["sensor_readings"], quiet_fleet["devices"])
    # Baselines sit far enough inside each sensor's range that no clean reading is clipped.
    ranges = pl.DataFrame([(t, m[0], m[8], m[9]) for t, ms in iot.METRIC_MODELS.items() for m in ms],
                          schema=["device_type", "metric", "low", "high"], orient="row")
    clipped = readings.join(ranges, on=["device_type", "metric"]).filter(
        (pl.col("value") <= pl.col("low")) | (pl.col("value") >= pl.col("high")))
    assert clipped.height == 0
    fits = _series_fits(readings)
    pooled: dict[tuple[str, str], list] = {}
    standardized = []
    for device_type, metric, residuals, k, _, _ in fits:
        pooled.setdefault((device_type, metric), []).append((residuals, k))
        standardized.append(residuals / parameters[device_type][metric]["noise_sd"] * math.sqrt(len(residuals) / (len(residuals) - k)))
    assert len(pooled) == 18
    for (device_type, metric), parts in pooled.items():
        squares = sum(float((r**2).sum()) for r, _ in parts)
        dof = sum(len(r) - k for r, k in parts)
        measured = math.sqrt(squares / dof)
        stated = parameters[device_type][metric]["noise_sd"]
        assert abs(measured / stated - 1) < 0.06, (device_type, metric, measured, stated)
    z = np.concatenate(standardized)
    # Normal: 68.3% within one sd, 95.4% within two, kurtosis 3 (n ~ 150,000).
    assert abs((np.abs(z) < 1).mean() - 0.6827) < 0.01
    assert abs((np.abs(z) < 2).mean() - 0.9545) < 0.006
    assert abs(((z - z.mean()) ** 4).mean() / z.var() ** 2 - 3) < 0.15


@pytest.mark.parametrize("interval,days", [(60, 7), (15, 4)])
def test_daily_cycle_has_a_24_hour_period_peaking_at_local_solar_time(tmp_path, interval, days):
    generate(tmp_path, "--rows", "60", "--anomaly-rate", "0", "--interval-minutes", str(interval), "--days", str(days),
             "--events", "1", "--telemetry", "0")
    readings = with_types(read(tmp_path, "sensor_readings"), read(tmp_path, "devices"))
    # Average periodogram of the detrended series: the strongest period is one day, whatever the interval.
    spectra = []
    for _, series in readings.sort("timestamp").group_by(["device_id", "metric"]):
        values = series["value"].to_numpy()
        t = np.arange(len(values))
        values = values - np.polyval(np.polyfit(t, values, 1), t)
        spectra.append(np.abs(np.fft.rfft(values / values.std())) ** 2)
    frequency = np.fft.rfftfreq(days * 1440 // interval, d=interval / 60.0)  # cycles per hour
    peak = frequency[1:][np.argmax(np.mean(spectra, axis=0)[1:])]
    assert 1 / peak == pytest.approx(24.0)
    # Outdoor-style temperature peaks at 15:00 local solar time: UTC peak + lon/15 = 15 h (+-0.5 h on average).
    fits = [f for f in _series_fits(readings) if f[0] == "environmental_sensor" and f[1] == "temperature"]
    local = np.array([(peak_utc + lon / 15.0) % 24 for *_, peak_utc, lon in fits])
    difference = (local - 15 + 12) % 24 - 12
    assert len(fits) >= 10 and abs(difference.mean()) < 0.5 and np.abs(difference).max() < 4


# --- Events -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_events(tmp_path_factory) -> dict[str, pl.DataFrame]:
    directory = tmp_path_factory.mktemp("iot_events")
    generate(directory, "--rows", "400", "--days", "2", "--events", "40000", "--telemetry", "0")
    return {"devices": read(directory, "devices"), "events": read(directory, "events")}


def test_severity_and_event_type_weights(many_events):
    """40,000 events: severity shares within 1 point of 70/22/8 (sd <= 0.23 points), types within 1 point."""
    events = many_events["events"]
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


def test_events_lean_on_degraded_devices_and_rise_in_time(many_events):
    events = many_events["events"].join(many_events["devices"].select("device_id", "status", "install_date"), on="device_id")
    degraded_share = (many_events["devices"]["status"] == "degraded").mean()
    alerts = events.filter(pl.col("severity") != "info")
    expected = iot.EVENT_DEGRADED_SHARE + (1 - iot.EVENT_DEGRADED_SHARE) * degraded_share
    assert abs((alerts["status"] == "degraded").mean() - expected) < 0.02
    info = events.filter(pl.col("severity") == "info")
    assert abs((info["status"] == "degraded").mean() - degraded_share) < 0.01
    ordered = events.sort("event_id")
    assert ordered["timestamp"].is_sorted() and ordered["event_id"].to_list() == list(range(1, events.height + 1))
    assert ordered["timestamp"].min() >= WINDOW_START and ordered["timestamp"].max() < WINDOW_START + timedelta(days=2)
    assert (events["timestamp"].dt.date() > events["install_date"]).all()


# --- Telemetry --------------------------------------------------------------------------------------


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * iot.EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def check_tracks(telemetry: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    """Continuity: fixes 60 s apart, each as far from the last as its speed says, starting at home at rest."""
    assert telemetry["lat"].is_between(-90, 90).all() and telemetry["lon"].is_between(-180, 180).all()
    tracks = telemetry.sort("device_id", "timestamp").join(devices, on="device_id")
    assert set(tracks["device_type"]) <= {"cold_chain_tracker", "vehicle_tracker"}
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


def test_telemetry_tracks_are_continuous_and_plausible(fleet):
    telemetry, devices = fleet["telemetry"], fleet["devices"]
    steps = check_tracks(telemetry, devices)
    mobile = devices.filter(pl.col("device_type").is_in(["cold_chain_tracker", "vehicle_tracker"]))
    lengths = telemetry.group_by("device_id").len()
    assert lengths.height == mobile.height and lengths["len"].sum() == 100_000
    assert lengths["len"].max() - lengths["len"].min() <= 1
    # Stops: about 14% of fixes at speed 0 (a sine above 0.9: acos(0.9)/pi = 14.4%): 10-18%.
    assert 0.10 < (steps["speed"] == 0).mean() < 0.18
    moving = steps.filter(pl.col("speed") > 0).join(devices.select("device_id", "device_type"), on="device_id")
    mean_speed = dict(moving.group_by("device_type").agg(pl.col("speed").mean()).iter_rows())
    assert 35 < mean_speed["vehicle_tracker"] < 60 and 60 < mean_speed["cold_chain_tracker"] < 85
    assert telemetry["timestamp"].min() >= WINDOW_START and telemetry["timestamp"].max() < WINDOW_START + timedelta(days=7)
    assert telemetry["battery_level"].is_between(5, 100).all() and telemetry["satellites"].is_between(5, 14).all()


def test_tracks_wrap_around_the_antimeridian(tmp_path, monkeypatch):
    """A depot a few km west of 180 deg: tracks cross into negative longitudes and stay continuous."""
    monkeypatch.setattr(iot, "CITIES", (("FJ", "Dateline", -16.5, 179.98),))
    monkeypatch.setattr(iot, "LOCALE_COUNTRY", {})
    generate(tmp_path, "--rows", "40", "--telemetry", "40000", "--events", "1")
    telemetry, devices = read(tmp_path, "telemetry"), read(tmp_path, "devices")
    assert (telemetry["lon"] < 0).any() and (telemetry["lon"] > 179).any()
    assert telemetry["lon"].is_between(-180, 180, closed="left").all()
    check_tracks(telemetry, devices)


# --- Command line -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rows", "0"], "must be at least 1"),
        (["--rows", "-5"], "must be at least 1"),
        (["--rows", "abc"], "expected a whole number"),
        (["--rows", "100000000"], "more than the 99,999,999 devices"),
        (["--seed", "abc"], "expected a whole number"),
        (["--anomaly-rate", "2"], "must be between 0 and 1"),
        (["--anomaly-rate", "lots"], "expected a number between 0 and 1"),
        (["--format", "xlsx"], "invalid choice"),
        (["--locale", "xx"], "unknown Mimesis locale 'xx'"),
        (["--days", "400"], "at most 366"),
        (["--interval-minutes", "2000"], "at most 1440"),
        (["--rows", "5", "--days", "1", "--telemetry", "100000"], "longer than the 1-day window"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        generate(tmp_path / "out", *args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "usage:" in err
    assert not (tmp_path / "out").exists()


def test_unusable_output_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    for output, message in ((target, "is a file"), (target / "below", "cannot be written")):
        with pytest.raises(SystemExit) as stopped:
            generate(output, "--rows", "2")
        assert stopped.value.code == 2 and message in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_bad_input_from_the_command_line_has_no_traceback(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    for args in (["--rows", "abc"], ["--anomaly-rate", "2"], ["--output", str(tmp_path / "f.txt")]):
        run = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
        assert run.returncode == 2 and "Traceback" not in run.stderr and "error:" in run.stderr, run.stderr


def test_help_documents_the_ratios(capsys):
    with pytest.raises(SystemExit):
        iot.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("devices x 3 metrics x samples", "--anomaly-rate", "--telemetry", "--events", "--interval-minutes",
                   "chunks of whole devices"):
        assert phrase in text, phrase


def test_dry_run_writes_nothing(tmp_path, capsys):
    plan = generate(tmp_path / "out", "--rows", "50", "--dry-run", "--format", "csv")
    assert not (tmp_path / "out").exists()
    printed = json.loads(capsys.readouterr().out)
    assert printed["tables"]["sensor_readings"]["rows"] == 50 * READINGS_PER_DEVICE == plan["tables"]["sensor_readings"]["rows"]
    assert printed["anomalous_readings"] == round(0.02 * 50 * READINGS_PER_DEVICE) and printed["estimated_bytes"] > 0
    summary = generate(tmp_path / "real", "--rows", "50", "--format", "csv")
    assert {t: v["rows"] for t, v in summary["tables"].items()} == {t: v["rows"] for t, v in printed["tables"].items()}


def test_notebook_kernel_arguments_are_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel-1.json"])
    monkeypatch.setitem(sys.modules, "ipykernel", sys.modules.get("ipykernel", type(sys)("ipykernel")))
    summary = iot.main()
    assert summary["tables"]["devices"]["rows"] == iot.DEFAULT_DEVICES
    assert (tmp_path / "output" / "iot" / "_manifest.json").is_file()


def test_a_failed_run_leaves_the_previous_tables(tmp_path, monkeypatch):
    generate(tmp_path, "--rows", "10")
    before = read(tmp_path, "sensor_readings")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(iot, "make_readings", broken)
    with pytest.raises(RuntimeError):
        generate(tmp_path, "--rows", "10", "--seed", "9")
    assert read(tmp_path, "sensor_readings").equals(before)
    # The manifest still describes the last complete run. (A hidden .tmp- file can survive: the
    # Polars sink may still be writing it when write_table removes it; reported upstream.)
    assert json.loads((tmp_path / "_manifest.json").read_text())["seed"] == 42


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_pep723_header_runs_with_uv(tmp_path):
    run = subprocess.run(["uv", "run", "--quiet", str(SCRIPT), "--rows", "5", "--output", str(tmp_path)],
                         capture_output=True, text=True, timeout=600, cwd=REPO)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["tables"]["devices"]["rows"] == 5
    assert validator_report(tmp_path) is None


@pytest.mark.slow
def test_ten_million_readings_stay_in_bounded_memory(tmp_path):
    """10,080,000 readings in ~1M-row chunks of whole devices: peak memory far below the table's size."""
    probe = ("import resource, runpy, sys; sys.argv = sys.argv[1:]; "
             "exec('try:\\n runpy.run_path(sys.argv[0], run_name=\"__main__\")\\nfinally:\\n "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)')")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", probe, str(SCRIPT), "--rows", "20000", "--telemetry", "0",
                          "--events", "1", "--output", str(tmp_path)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr
    peak_mib = int(run.stderr.strip().splitlines()[-1]) / 1024
    assert json.loads(run.stdout)["tables"]["sensor_readings"]["rows"] == 10_080_000
    assert peak_mib < 1024, peak_mib
    flagged = pl.scan_parquet(tmp_path / "sensor_readings.parquet").select(pl.col("is_anomaly").sum()).collect().item()
    assert flagged == round(0.02 * 10_080_000)


# --- Date window and data-quality injection (scripts/utils/seasonality.py, quality.py) ---------------
# Seasonality is not offered here: readings and telemetry are regularly sampled series, and events
# are alerts spread evenly over the window (see the generator's docstring).


def test_custom_window_moves_every_time_and_install_dates(tmp_path):
    generate(tmp_path, "--rows", "40", "--start", "2025-03-01", "--end", "2025-03-10", "--interval-minutes", "120")
    first, end = datetime(2025, 3, 1, tzinfo=timezone.utc), datetime(2025, 3, 11, tzinfo=timezone.utc)
    for table in ("sensor_readings", "events", "telemetry"):
        stamps = read(tmp_path, table)["timestamp"]
        assert stamps.min() >= first and stamps.max() < end, table
    readings = read(tmp_path, "sensor_readings")
    assert readings.height == 40 * 3 * 10 * 12  # ten days of two-hourly readings
    installs = read(tmp_path, "devices")["install_date"]
    assert installs.min() >= date(2022, 3, 1) and installs.max() <= date(2025, 2, 28)
    validator = load_script("utils/validate.py")
    result = validator.validate_directory(tmp_path, industry="iot")
    assert result.ok, str(result)
    assert {f.table for f in result.notes if f.check == "window"} == {"devices", "sensor_readings", "events", "telemetry"}


def test_start_alone_keeps_the_default_length_and_days_or_end_not_both(tmp_path, capsys):
    plan = _plan("--start", "2024-06-01")
    assert plan.start == date(2024, 6, 1) and plan.window_s == 7 * 86_400
    assert _plan("--start", "2024-06-01", "--end", "2024-06-03").window_s == 3 * 86_400
    with pytest.raises(SystemExit):
        generate(tmp_path / "out", "--days", "3", "--end", "2024-01-03")
    assert "give --days or --end, not both" in capsys.readouterr().err


def test_default_run_bounds_sit_inside_the_contracts():
    bounds = _plan().bounds(7)
    for key, bound in bounds.items():
        table, column = key.split(".")
        spec = column_spec(table, column)
        assert spec["min"] <= bound["min"] and bound["max"] <= spec["max"], key
    assert bounds["devices.install_date"] == {"min": column_spec("devices", "install_date")["min"],
                                              "max": column_spec("devices", "install_date")["max"]}


def test_key_columns_are_the_contracts_keys():
    for table in CONTRACT_FILES:
        spec = contract(table)
        keys = set(spec["primary_key"]) | {c for fk in spec["foreign_keys"] for c in fk["columns"]}
        assert set(iot.KEY_COLUMNS[table]) == keys, table


def test_injected_rates_keep_keys_unique_and_the_validator_says_so(tmp_path):
    summary = generate(tmp_path, "--rows", "200", "--inject-nulls", "events.message=0.05", "--duplicate-rate", "0.02",
                       "--late-rate", "0.03")
    tables = {name: read(tmp_path, name) for name in CONTRACT_FILES}
    end = WINDOW_START + timedelta(days=7)

    def within(measured: float, configured: float, n: int) -> None:
        assert abs(measured - configured) < 4 * math.sqrt(configured * (1 - configured) / n), (measured, configured)

    events = tables["events"]
    within(events["message"].null_count() / events.height, 0.05, events.height)  # measured 0.0559 of 1,020
    for name in ("sensor_readings", "events", "telemetry"):
        frame = tables[name]
        copies = frame.height - frame.unique().height
        within(copies / frame.height, 0.02, frame.height)  # readings measured 0.0200 of 102,857
        assert summary["tables"][name]["duplicate_rows"] == copies
        late = frame.filter(pl.col("timestamp") >= end)
        within(late.height / frame.height, 0.03, frame.height)  # readings measured 0.0298
        assert late["timestamp"].min() >= end + timedelta(days=1) and late["timestamp"].max() < end + timedelta(days=8)
        # Late readings land on instants of their own: the only repeated keys are the copies.
        keys = contract(name)["primary_key"]
        assert frame.height - frame.select(keys).n_unique() == copies, name
    assert own_integrity_counts(tables)["events orphans"] == 0
    validator = load_script("utils/validate.py")
    result = validator.validate_directory(tmp_path, industry="iot")
    assert result.ok, str(result)
    notes = {(f.table, f.check) for f in result.notes if "injected by" in f.message}
    assert notes >= {("events", "nullable"), ("sensor_readings", "pk"), ("sensor_readings", "max"), ("events", "pk"),
                     ("events", "max"), ("telemetry", "pk"), ("telemetry", "max")}


@pytest.mark.parametrize("args,message", [
    (["--inject-nulls", "sensor_readings.metric=0.1"], "metric is a key column"),
    (["--inject-nulls", "alerts.message=0.1"], "tables: devices, sensor_readings, events, telemetry"),
])
def test_bad_quality_flags_are_clear_errors(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        generate(tmp_path / "out", *args)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
