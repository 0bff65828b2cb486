# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.4,<2.5",
#   "mimesis>=22.2,<22.3",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""IoT fleet: devices, their sensor readings, alert events and GPS telemetry (Tier 1: Polars + Mimesis).

Tables (contracts in assets/schemas/iot_*.json), written parent before child:

- ``devices`` (``--rows``, default 500): the device registry. Six device types (environmental
  sensors, vibration monitors, smart meters, air-quality monitors, and two mobile kinds: cold-chain
  trackers and vehicle trackers), each installed at a site (a street-named plant, warehouse or
  depot in a real city whose coordinates are bundled below), with maker, model, firmware, serial
  number, home position, install date (2021-2023, before any reading) and status.
- ``sensor_readings``: every device reports its three metrics (which three depends on its type)
  every ``--interval-minutes`` (60) for ``--days`` (7) from ``--start`` (2024-01-01) 00:00 UTC, at a fixed
  per-device second offset within the interval. Rows = devices x 3 x samples; the default is
  504 per device. Composite primary key (device_id, timestamp, metric). Each series is
  baseline + daily sinusoid (peak at a metric-specific local solar hour) + slow linear trend +
  Normal noise, with the parameters in METRIC_MODELS. Exactly round(--anomaly-rate x rows)
  readings are flagged ``is_anomaly`` (default 2%), in episodes: spikes, drifts, stuck values
  and dropouts (null value); half of them fall on the ~7% of devices whose status is
  ``degraded`` when those have room.
- ``events`` (``--events``, default 5 per device): alerts and notifications, severity
  info 70% / warning 22% / critical 8%; half the warning and critical events come from
  degraded devices. event_id rises with timestamp; all inside the readings window.
- ``telemetry`` (``--telemetry``, default 100 per device): GPS fixes every 60 s from the mobile
  devices only (cold-chain and vehicle trackers, 20% of devices by weight), shared out as one
  continuous track per mobile device that starts at the device's home depot: speed (km/h) and
  heading drive the position, so consecutive fixes are as far apart as the reported speed says.

Window and dirty data: ``--start`` (default 2024-01-01) and ``--days`` or ``--end`` set the window;
install dates follow it (the 3 years before), and _manifest.json records the run's bounds for
the validator. No seasonality here: readings and telemetry are regularly sampled series, and
events are alerts spread evenly over the window. ``--inject-nulls``, ``--duplicate-rate``
(sensor_readings, events, telemetry: at-least-once delivery) and ``--late-rate`` (timestamps 1-8
days past the window, each late reading on an instant of its own so keys stay unique) make dirty
data the validator reports as injected; tests/test_polars_iot.py measures each rate.

Chunks (memory stays bounded at any size): devices and events in blocks of 1,000,000 rows;
sensor readings in blocks of whole devices (as many as fit in 1,000,000 rows); telemetry in
blocks of whole tracks. Chunk sizes are part of the reproducibility contract.

Unity Catalog: ``--catalog C --schema S`` also writes every table to C.S.<table> over
Databricks Connect (Arrow slices; synthetic marker and contract comments; existing tables only
replaced with ``--mode overwrite`` and only if this tool made them): ``uv run --python 3.12 --with
"databricks-connect>=16.4,<17" scripts/generators/polars/iot.py --catalog main --schema demo``.
Without --catalog nothing imports pyspark or databricks-connect.

Example: ``uv run scripts/generators/polars/iot.py --rows 2000 --days 14 --interval-minutes 15``
(2000 devices, 2000 x 3 x 1344 = 8,064,000 readings). In a notebook: ``main(["--rows", "500"])``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shlex
import shutil
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

INDUSTRY = "iot"
GENERATOR = "scripts/generators/polars/iot.py"

# ---------------------------------------------------------------------------------------------
# Constants and distributions
# ---------------------------------------------------------------------------------------------

DEFAULT_DEVICES = 500
DEFAULT_DAYS = 7
DEFAULT_INTERVAL_MINUTES = 60
DEFAULT_ANOMALY_RATE = 0.02
EVENTS_PER_DEVICE = 5
TELEMETRY_PER_DEVICE = 100
# Fixed window, never today's date, so a seed means the same data next year: readings, events
# and fixes start at --start 00:00 UTC (default 2024-01-01) and last --days (or to --end).
DEFAULT_START = date(2024, 1, 1)
WINDOW_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
WINDOW_START_S = int(WINDOW_START.timestamp())
# Devices were installed in the 3 years before the window (2021-01-01..2023-12-31 by default),
# so every device is installed before its first reading.
INSTALL_YEARS = 3
# At most a year of readings per run.
MAX_DAYS = 366
# device_id is DEV- plus eight digits.
MAX_DEVICES = 99_999_999

FORMATS = ("parquet", "csv", "json", "delta")
# One million rows per chunk: large enough for Polars to parallelise each column, small enough
# that a chunk of the widest table stays well under 1 GiB. Chunk size is part of the
# reproducibility contract: changing it changes the data a seed produces.
CHUNK_ROWS = 1_000_000
# Device attributes the child tables need (type, status, home position, reporting offset) are
# drawn per block of 1024 device numbers from their own stream, so a readings or telemetry chunk
# can rebuild any device's profile without the devices table in memory.
DEVICE_BLOCK = 1024

# Salts keep each table's random streams apart: rng = default_rng([seed, SALT, chunk start]),
# the chunk start being its first row, first device (readings) or first track (telemetry).
PROFILE_SALT, DEVICES_SALT, READINGS_SALT, ANOMALY_SALT, EVENTS_SALT, TELEMETRY_SALT, POOLS_SALT = range(
    101, 108
)

# (device_type, weight %, mobile, model code). Mobile devices ride on trucks and vans and are
# the only ones with telemetry.
DEVICE_TYPES = (
    ("environmental_sensor", 30, False, "ENV"),
    ("vibration_monitor", 20, False, "VIB"),
    ("smart_meter", 20, False, "SMM"),
    ("air_quality_monitor", 10, False, "AQM"),
    ("cold_chain_tracker", 10, True, "CCT"),
    ("vehicle_tracker", 10, True, "VTK"),
)
# Weighted choice by repetition: a 10-entry pool gives exactly 30/20/20/10/10/10.
DEVICE_TYPE_POOL = np.repeat(np.arange(len(DEVICE_TYPES)), [w // 10 for _, w, _, _ in DEVICE_TYPES])
MOBILE_TYPES = np.array([mobile for _, _, mobile, _ in DEVICE_TYPES])

# Status at the end of the window. Degraded devices are the fault-prone ones: they carry
# DEGRADED_ANOMALY_SHARE of the anomalous readings and EVENT_DEGRADED_SHARE of warnings/criticals.
STATUSES = (("active", 85), ("degraded", 7), ("maintenance", 5), ("offline", 3))
STATUS_POOL = np.repeat(np.arange(len(STATUSES)), [w for _, w in STATUSES])
DEGRADED = [name for name, _ in STATUSES].index("degraded")
DEGRADED_ANOMALY_SHARE = 0.5
EVENT_DEGRADED_SHARE = 0.5

# Every device type reports three metrics. Per series: baseline ~ Normal(baseline, baseline_sd)
# per device; daily amplitude x Uniform(0.8, 1.2) per device, peaking at peak_hour local solar
# time (UTC hour = peak_hour - longitude/15, plus Normal(0, 1 h) per device); a linear trend
# whose total change over the window is Normal(0, trend_sd); Normal(0, noise_sd) noise on every
# reading. Values are clipped to the sensor range [low, high] and rounded to `decimals`.
# Baselines keep normal readings well inside the range, so clipping only bites on anomalies.
# `spike` is the size of an anomalous excursion in output units.
METRIC_FIELDS = ("metric", "unit", "baseline", "baseline_sd", "amplitude", "peak_hour", "noise_sd",
                 "trend_sd", "low", "high", "spike", "decimals")
METRIC_MODELS = {
    "environmental_sensor": (
        ("temperature", "°C", 21.0, 3.0, 3.0, 15, 0.30, 0.5, -40.0, 85.0, 15.0, 2),
        ("humidity", "%", 45.0, 8.0, 8.0, 5, 1.50, 2.0, 0.0, 100.0, 35.0, 1),
        ("pressure", "hPa", 1013.0, 6.0, 1.0, 10, 0.40, 4.0, 870.0, 1085.0, 40.0, 1),
    ),
    "vibration_monitor": (
        ("vibration", "mm/s", 3.5, 0.5, 0.8, 14, 0.25, 0.3, 0.0, 50.0, 12.0, 2),
        ("bearing_temperature", "°C", 55.0, 6.0, 4.0, 14, 0.50, 1.0, -40.0, 150.0, 30.0, 2),
        ("motor_current", "A", 32.0, 6.0, 6.0, 13, 0.80, 1.0, 0.0, 200.0, 40.0, 2),
    ),
    "smart_meter": (
        ("active_power", "kW", 15.0, 2.0, 5.0, 18, 0.60, 1.0, 0.0, 500.0, 40.0, 3),
        ("voltage", "V", 230.0, 2.0, 2.0, 4, 0.80, 1.0, 0.0, 300.0, 40.0, 1),
        ("power_factor", "ratio", 0.88, 0.02, 0.02, 12, 0.008, 0.01, 0.0, 1.0, 0.3, 3),
    ),
    "air_quality_monitor": (
        ("co2", "ppm", 900.0, 60.0, 200.0, 14, 25.0, 30.0, 0.0, 10000.0, 2000.0, 0),
        ("pm2_5", "µg/m³", 20.0, 3.0, 4.0, 8, 1.20, 2.0, 0.0, 1000.0, 150.0, 1),
        ("humidity", "%", 40.0, 6.0, 5.0, 5, 1.50, 2.0, 0.0, 100.0, 35.0, 1),
    ),
    "cold_chain_tracker": (
        ("temperature", "°C", 4.0, 1.0, 0.8, 15, 0.20, 0.5, -40.0, 85.0, 12.0, 2),
        ("humidity", "%", 72.0, 4.0, 3.0, 5, 1.00, 2.0, 0.0, 100.0, 20.0, 1),
        ("battery_voltage", "V", 3.6, 0.05, 0.02, 15, 0.01, 0.03, 0.0, 4.2, 0.8, 3),
    ),
    "vehicle_tracker": (
        ("engine_temperature", "°C", 90.0, 3.0, 4.0, 15, 0.80, 1.0, -40.0, 150.0, 30.0, 1),
        ("battery_voltage", "V", 12.6, 0.2, 0.3, 15, 0.05, 0.1, 0.0, 16.0, 3.0, 2),
        ("fuel_level", "%", 60.0, 10.0, 5.0, 6, 0.50, 8.0, 0.0, 100.0, 40.0, 1),
    ),
}
METRICS_PER_DEVICE = 3
METRIC_NAMES = sorted({m[0] for models in METRIC_MODELS.values() for m in models})
UNITS = sorted({m[1] for models in METRIC_MODELS.values() for m in models})
# Parameter arrays indexed [device type, metric slot] so a chunk's series gather them at once.
_MODEL_ROWS = [METRIC_MODELS[name] for name, _, _, _ in DEVICE_TYPES]
METRIC_INDEX = np.array([[METRIC_NAMES.index(m[0]) for m in rows] for rows in _MODEL_ROWS])
UNIT_INDEX = np.array([[UNITS.index(m[1]) for m in rows] for rows in _MODEL_ROWS])
PARAMETERS = {
    field: np.array([[m[i] for m in rows] for rows in _MODEL_ROWS], dtype=np.float64)
    for i, field in enumerate(METRIC_FIELDS)
    if i >= 2
}

# Anomaly episodes: (kind, weight % of episodes, shortest, longest run in readings).
# spike: one reading off by spike x Uniform(0.6, 1.0); drift: ramps away by spike/DRIFT_RAMP per
# reading, capped at spike; stuck: repeats the last good reading; dropout: value is null.
# Excursions go up or down at random per series, towards the side with room before the sensor's
# range ends, so clipping never hides them.
ANOMALY_KINDS = (("spike", 40, 1, 1), ("stuck", 25, 4, 12), ("drift", 20, 6, 18), ("dropout", 15, 1, 3))
ANOMALY_POOL = np.repeat(np.arange(len(ANOMALY_KINDS)), [w // 5 for _, w, _, _ in ANOMALY_KINDS])
ANOMALY_MIN = np.array([k[2] for k in ANOMALY_KINDS])
ANOMALY_MAX = np.array([k[3] for k in ANOMALY_KINDS])
SPIKE, STUCK, DRIFT, DROPOUT = range(4)
DRIFT_RAMP = 6

# (severity, weight %, share acknowledged). Info events rarely need an operator; criticals do.
SEVERITIES = (("info", 70, 0.10), ("warning", 22, 0.60), ("critical", 8, 0.95))
SEVERITY_POOL = np.repeat(np.arange(len(SEVERITIES)), [w for _, w, _ in SEVERITIES])
ACK_RATE = np.array([a for _, _, a in SEVERITIES])
# (event_type, severity, weight % within its severity, message text, number range or None, text
# after the number). Numbers are uniform integers over the range, inclusive.
EVENT_TYPES = (
    ("device_online", 0, 30, "Device connected to gateway", None, ""),
    ("firmware_update", 0, 20, "Firmware update installed, build ", (1000, 9999), ""),
    ("configuration_change", 0, 20, "Reporting interval set to ", (1, 60), " min"),
    ("calibration_completed", 0, 15, "Calibration completed", None, ""),
    ("scheduled_reboot", 0, 15, "Scheduled reboot completed", None, ""),
    ("threshold_exceeded", 1, 40, "Reading outside configured range", None, ""),
    ("low_battery", 1, 25, "Battery low: ", (5, 20), "%"),
    ("weak_signal", 1, 20, "Signal strength ", (-115, -95), " dBm"),
    ("clock_drift", 1, 15, "Clock drift corrected: ", (2, 90), " s"),
    ("sensor_failure", 2, 35, "Sensor not responding", None, ""),
    ("device_offline", 2, 35, "No heartbeat for ", (15, 240), " min"),
    ("threshold_critical", 2, 20, "Reading beyond critical limit", None, ""),
    ("tamper_detected", 2, 10, "Enclosure opened", None, ""),
)
# Per severity, a 20-entry pool of event-type indices repeated by weight (weights are multiples of 5).
EVENT_TYPE_POOLS = np.array(
    [np.repeat([i for i, e in enumerate(EVENT_TYPES) if e[1] == s],
               [e[2] // 5 for e in EVENT_TYPES if e[1] == s]) for s in range(len(SEVERITIES))]
)
EVENT_NUMBER_LOW = np.array([e[4][0] if e[4] else 0 for e in EVENT_TYPES])
EVENT_NUMBER_HIGH = np.array([e[4][1] if e[4] else 0 for e in EVENT_TYPES])

# Telemetry: a fix every 60 s. Cruise speed per track ~ Uniform(low, high) km/h by device type
# (vehicle trackers: urban vans; cold-chain trackers: reefer trucks on highways), modulated
# +/-20% by a slow wave, Normal(0, 3 km/h) jitter, and stops (speed 0) where a second slow wave is
# above 0.9, about 14% of fixes. Heading turns by Normal(0, 6 deg) per fix plus a right-angle
# turn at 2% of fixes. The first fix of a track is at the home depot, at rest.
TELEMETRY_INTERVAL_S = 60
CRUISE_KMH = {"cold_chain_tracker": (55.0, 90.0), "vehicle_tracker": (30.0, 65.0)}
MAX_SPEED_KMH = 130.0
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0

FIRMWARE_VERSIONS = (("3.2.1", 35), ("3.1.4", 25), ("3.0.9", 15), ("2.8.2", 15), ("2.6.0", 10))
FIRMWARE_POOL = np.repeat(np.arange(len(FIRMWARE_VERSIONS)), [w // 5 for _, w in FIRMWARE_VERSIONS])
MODEL_SERIES = ("100", "200", "250", "300X", "500")
MANUFACTURER_COUNT = 8
MANUFACTURER_SUFFIXES = ("Instruments", "Sensors", "Systems", "Technologies", "Controls", "Devices",
                         "Electronics", "Labs")
FACILITY_KINDS = ("Plant", "Warehouse", "Distribution Center", "Cold Store", "Depot", "Office",
                  "Data Center")
DEVICES_PER_SITE = 25
MAX_SITES = 5000
SITE_SPREAD_DEG = 0.05  # sites within ~5 km of the city centre (sd of each coordinate)
DEVICE_SPREAD_DEG = 0.002  # devices within ~200 m of their site

# Bundled reference data: (country, city, latitude, longitude) of city centres, so a site's city,
# country and coordinates agree. The locale picks the country (LOCALE_COUNTRY); locales without
# bundled cities get sites all over this list. Only coordinates and cities are linked: street and
# maker names come from the locale's Mimesis data.
CITIES = (
    ("US", "New York", 40.71, -74.01), ("US", "Los Angeles", 34.05, -118.24), ("US", "Chicago", 41.88, -87.63),
    ("US", "Houston", 29.76, -95.37), ("US", "Phoenix", 33.45, -112.07), ("US", "Philadelphia", 39.95, -75.17),
    ("US", "San Antonio", 29.42, -98.49), ("US", "San Diego", 32.72, -117.16), ("US", "Dallas", 32.78, -96.80),
    ("US", "San Jose", 37.34, -121.89), ("US", "Austin", 30.27, -97.74), ("US", "Jacksonville", 30.33, -81.66),
    ("US", "Columbus", 39.96, -83.00), ("US", "Charlotte", 35.23, -80.84), ("US", "Indianapolis", 39.77, -86.16),
    ("US", "Seattle", 47.61, -122.33), ("US", "Denver", 39.74, -104.99), ("US", "Nashville", 36.16, -86.78),
    ("US", "Detroit", 42.33, -83.05), ("US", "Memphis", 35.15, -90.05), ("US", "Atlanta", 33.75, -84.39),
    ("US", "Kansas City", 39.10, -94.58), ("US", "Minneapolis", 44.98, -93.27), ("US", "Salt Lake City", 40.76, -111.89),
    ("US", "Portland", 45.52, -122.68), ("US", "Miami", 25.76, -80.19), ("US", "Boston", 42.36, -71.06),
    ("US", "Pittsburgh", 40.44, -79.99), ("US", "St. Louis", 38.63, -90.20), ("US", "Louisville", 38.25, -85.76),
    ("GB", "London", 51.51, -0.13), ("GB", "Birmingham", 52.49, -1.89), ("GB", "Manchester", 53.48, -2.24),
    ("GB", "Leeds", 53.80, -1.55), ("GB", "Glasgow", 55.86, -4.25), ("GB", "Bristol", 51.45, -2.59),
    ("GB", "Liverpool", 53.41, -2.98), ("GB", "Sheffield", 53.38, -1.47),
    ("DE", "Berlin", 52.52, 13.40), ("DE", "Hamburg", 53.55, 9.99), ("DE", "München", 48.14, 11.58),
    ("DE", "Köln", 50.94, 6.96), ("DE", "Frankfurt am Main", 50.11, 8.68), ("DE", "Stuttgart", 48.78, 9.18),
    ("DE", "Düsseldorf", 51.23, 6.77), ("DE", "Leipzig", 51.34, 12.37),
    ("FR", "Paris", 48.86, 2.35), ("FR", "Marseille", 43.30, 5.37), ("FR", "Lyon", 45.76, 4.84),
    ("FR", "Toulouse", 43.60, 1.44), ("FR", "Nice", 43.70, 7.27), ("FR", "Nantes", 47.22, -1.55),
    ("FR", "Strasbourg", 48.57, 7.75), ("FR", "Lille", 50.63, 3.06),
    ("ES", "Madrid", 40.42, -3.70), ("ES", "Barcelona", 41.39, 2.17), ("ES", "Valencia", 39.47, -0.38),
    ("ES", "Sevilla", 37.39, -5.98), ("ES", "Zaragoza", 41.65, -0.89), ("ES", "Málaga", 36.72, -4.42),
    ("ES", "Bilbao", 43.26, -2.93),
    ("IT", "Roma", 41.90, 12.50), ("IT", "Milano", 45.46, 9.19), ("IT", "Napoli", 40.85, 14.27),
    ("IT", "Torino", 45.07, 7.69), ("IT", "Bologna", 44.49, 11.34), ("IT", "Firenze", 43.77, 11.26),
    ("IT", "Genova", 44.41, 8.93),
    ("NL", "Amsterdam", 52.37, 4.90), ("NL", "Rotterdam", 51.92, 4.48), ("NL", "Den Haag", 52.08, 4.30),
    ("NL", "Utrecht", 52.09, 5.12), ("NL", "Eindhoven", 51.44, 5.48),
    ("PL", "Warszawa", 52.23, 21.01), ("PL", "Kraków", 50.06, 19.94), ("PL", "Wrocław", 51.11, 17.04),
    ("PL", "Gdańsk", 54.35, 18.65), ("PL", "Poznań", 52.41, 16.93),
    ("JP", "Tokyo", 35.68, 139.69), ("JP", "Osaka", 34.69, 135.50), ("JP", "Nagoya", 35.18, 136.91),
    ("JP", "Yokohama", 35.44, 139.64), ("JP", "Sapporo", 43.06, 141.35), ("JP", "Fukuoka", 33.59, 130.40),
    ("BR", "São Paulo", -23.55, -46.63), ("BR", "Rio de Janeiro", -22.91, -43.17), ("BR", "Brasília", -15.79, -47.88),
    ("BR", "Belo Horizonte", -19.92, -43.94), ("BR", "Curitiba", -25.43, -49.27), ("BR", "Porto Alegre", -30.03, -51.23),
    ("CA", "Toronto", 43.65, -79.38), ("CA", "Montréal", 45.50, -73.57), ("CA", "Vancouver", 49.28, -123.12),
    ("CA", "Calgary", 51.05, -114.07), ("CA", "Ottawa", 45.42, -75.70),
    ("AU", "Sydney", -33.87, 151.21), ("AU", "Melbourne", -37.81, 144.96), ("AU", "Brisbane", -27.47, 153.03),
    ("AU", "Perth", -31.95, 115.86), ("AU", "Adelaide", -34.93, 138.60),
    ("MX", "Ciudad de México", 19.43, -99.13), ("MX", "Guadalajara", 20.67, -103.35),
    ("MX", "Monterrey", 25.69, -100.32), ("MX", "Puebla", 19.04, -98.21),
)
LOCALE_COUNTRY = {"en": "US", "en-gb": "GB", "en-au": "AU", "en-ca": "CA", "de": "DE", "fr": "FR",
                  "es": "ES", "es-mx": "MX", "it": "IT", "nl": "NL", "pl": "PL", "ja": "JP", "pt-br": "BR"}

# Primary and foreign key columns (the contracts' primary_key and foreign_keys): never nulled.
KEY_COLUMNS = {
    "devices": ("device_id",),
    "sensor_readings": ("device_id", "timestamp", "metric"),
    "events": ("event_id", "device_id"),
    "telemetry": ("device_id", "timestamp"),
}
# --duplicate-rate copies rows of the fact tables (at-least-once delivery from the devices), not
# of the registry keys point at; --late-rate moves their timestamps past the window (a late
# reading lands at a distinct instant, so (device, timestamp, metric) stays unique).
DUPLICATE_TABLES = ("sensor_readings", "events", "telemetry")
LATE_COLUMNS = {"sensor_readings": ("timestamp",), "events": ("timestamp",), "telemetry": ("timestamp",)}

# Polars schema of each table: the generator's copy of assets/schemas/iot_*.json.
UTC_TIMESTAMP = pl.Datetime("us", "UTC")
DEVICES_SCHEMA = {
    "device_id": pl.String, "device_type": pl.String, "manufacturer": pl.String, "model": pl.String,
    "serial_number": pl.String, "firmware_version": pl.String, "site_id": pl.String, "location": pl.String,
    "city": pl.String, "country": pl.String, "home_lat": pl.Float64, "home_lon": pl.Float64,
    "install_date": pl.Date, "status": pl.String,
}
READINGS_SCHEMA = {
    "device_id": pl.String, "timestamp": UTC_TIMESTAMP, "metric": pl.String, "value": pl.Float64,
    "unit": pl.String, "is_anomaly": pl.Boolean, "anomaly_type": pl.String,
}
EVENTS_SCHEMA = {
    "event_id": pl.Int64, "device_id": pl.String, "timestamp": UTC_TIMESTAMP, "event_type": pl.String,
    "severity": pl.String, "message": pl.String, "acknowledged": pl.Boolean,
}
TELEMETRY_SCHEMA = {
    "device_id": pl.String, "timestamp": UTC_TIMESTAMP, "lat": pl.Float64, "lon": pl.Float64,
    "speed": pl.Float64, "heading": pl.Float64, "odometer_km": pl.Float64, "battery_level": pl.Int16,
    "satellites": pl.Int8,
}
# Bytes per row of each table per format, measured on a default run (500 devices, seed 42);
# only for the --dry-run estimate. Parquet and Delta shrink per row as tables grow.
SCHEMAS = {"devices": DEVICES_SCHEMA, "sensor_readings": READINGS_SCHEMA, "events": EVENTS_SCHEMA,
           "telemetry": TELEMETRY_SCHEMA}
BYTES_PER_ROW = {
    "devices": {"parquet": 41, "csv": 170, "json": 362, "delta": 62},
    "sensor_readings": {"parquet": 4.1, "csv": 73, "json": 157, "delta": 6.0},
    "events": {"parquet": 11, "csv": 107, "json": 197, "delta": 21},
    "telemetry": {"parquet": 22, "csv": 93, "json": 190, "delta": 35},
}


# ---------------------------------------------------------------------------------------------
# The run plan and the value pools (built once from Mimesis)
# ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    seed: int
    locale: str
    devices: int
    samples: int  # readings per device per metric
    interval_s: int
    anomaly_rate: float
    events: int
    telemetry: int
    manufacturers: pl.Series
    sites: pl.DataFrame  # site_id, location, city, country, lat, lon
    mobile_devices: np.ndarray  # device numbers of the mobile devices, ascending
    degraded_devices: np.ndarray  # device numbers of the degraded devices, ascending
    start: date = DEFAULT_START  # the window's first day (00:00 UTC)

    @property
    def readings(self) -> int:
        return self.devices * METRICS_PER_DEVICE * self.samples

    @property
    def window_s(self) -> int:
        return self.samples * self.interval_s

    @property
    def window_start_s(self) -> int:
        return (self.start - date(1970, 1, 1)).days * 86_400

    @property
    def install_window(self) -> tuple[date, date]:
        return years_before(self.start, INSTALL_YEARS), self.start - timedelta(days=1)

    def bounds(self, days: int) -> dict[str, dict[str, str]]:
        """The window-dependent contract bounds of this run (_manifest.json "bounds")."""
        first, last = self.install_window
        end = self.start + timedelta(days=days - 1)
        span = {"min": f"{self.start}T00:00:00Z", "max": f"{end}T23:59:59Z"}
        return {"devices.install_date": {"min": first.isoformat(), "max": last.isoformat()},
                "sensor_readings.timestamp": span, "events.timestamp": span, "telemetry.timestamp": span}

    def track_length(self, rank: np.ndarray) -> np.ndarray:
        """Points in the track of the mobile device of this rank: an equal share, remainder first."""
        share, extra = divmod(self.telemetry, max(len(self.mobile_devices), 1))
        return share + (rank < extra)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th with no leap year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def mimesis_pool(provider_call: Callable[[], str], draws: int) -> list[str]:
    """Distinct values from a seeded Mimesis provider method, sorted (set order is not stable)."""
    return sorted({text.strip() for text in (provider_call() for _ in range(draws))} - {""})


def build_manufacturers(seed: int, locale: str) -> pl.Series:
    """A handful of fictional device makers: a locale surname plus an industrial suffix."""
    from mimesis import Person
    from mimesis.locales import Locale

    surnames = mimesis_pool(Person(locale=Locale(locale), seed=seed).surname, 400)
    rng = np.random.default_rng([seed, POOLS_SALT, 0])
    picked = rng.choice(len(surnames), size=min(MANUFACTURER_COUNT, len(surnames)), replace=False)
    suffixes = rng.integers(0, len(MANUFACTURER_SUFFIXES), len(picked))
    return pl.Series("manufacturer", sorted(f"{surnames[i]} {MANUFACTURER_SUFFIXES[s]}" for i, s in zip(picked, suffixes)))


def build_sites(seed: int, locale: str, count: int) -> pl.DataFrame:
    """Sites named after a locale street and a facility kind, in bundled cities of the locale's country."""
    from mimesis import Address
    from mimesis.locales import Locale

    streets = pl.Series(mimesis_pool(Address(locale=Locale(locale), seed=seed).street_name, 600))
    country = LOCALE_COUNTRY.get(locale)
    cities = pl.DataFrame(CITIES, schema=["country", "city", "lat", "lon"], orient="row")
    if country is not None:
        cities = cities.filter(pl.col("country") == country)
    rng = np.random.default_rng([seed, POOLS_SALT, 1])
    city = cities[rng.integers(0, cities.height, count)]
    street = streets.gather(rng.integers(0, len(streets), count))
    facility = pl.Series(FACILITY_KINDS).gather(rng.integers(0, len(FACILITY_KINDS), count))
    spread = rng.normal(0.0, SITE_SPREAD_DEG, (2, count))
    return pl.DataFrame({
        "site_id": "SITE-" + pl.Series(np.arange(1, count + 1)).cast(pl.String).str.zfill(4),
        "location": street + " " + facility + ", " + city["city"],
        "city": city["city"],
        "country": city["country"],
        "lat": (city["lat"] + spread[0]).clip(-90.0, 90.0).round(6),
        "lon": pl.Series(wrap_longitude(city["lon"].to_numpy() + spread[1])).round(6),
    })


def wrap_longitude(lon: np.ndarray) -> np.ndarray:
    """Into [-180, 180): a track (or a site) east of 180 deg continues at -180 deg."""
    wrapped = (lon + 180.0) % 360.0 - 180.0
    # Rounding to 6 decimals later must not turn 179.9999999 into 180.0.
    return np.where(np.round(wrapped, 6) >= 180.0, wrapped - 360.0, wrapped)


def device_ids(numbers: np.ndarray) -> pl.Series:
    """DEV-00000001 for device number 0: fixed width so ids sort like numbers."""
    return "DEV-" + pl.Series(numbers + 1, dtype=pl.Int64).cast(pl.String).str.zfill(8)


def device_profiles(plan: Plan, first: int, count: int) -> dict[str, np.ndarray]:
    """Type, status, site, home position and reporting offset of devices first .. first+count-1.

    Drawn per DEVICE_BLOCK of device numbers, each block from its own stream, so every table
    sees the same profile for a device whatever chunk it is generating.
    """
    blocks = []
    install_first, install_last = plan.install_window
    install_days = (install_last - install_first).days + 1
    for block in range(first // DEVICE_BLOCK, (first + max(count, 1) - 1) // DEVICE_BLOCK + 1):
        rng = np.random.default_rng([plan.seed, PROFILE_SALT, block])
        blocks.append({
            "type": DEVICE_TYPE_POOL[rng.integers(0, len(DEVICE_TYPE_POOL), DEVICE_BLOCK)],
            "status": STATUS_POOL[rng.integers(0, len(STATUS_POOL), DEVICE_BLOCK)],
            "site": rng.integers(0, plan.sites.height, DEVICE_BLOCK),
            "lat_offset": rng.normal(0.0, DEVICE_SPREAD_DEG, DEVICE_BLOCK),
            "lon_offset": rng.normal(0.0, DEVICE_SPREAD_DEG, DEVICE_BLOCK),
            "install_day": rng.integers(0, install_days, DEVICE_BLOCK),
            # Devices report at their own second within each interval, not all on the hour.
            "offset_share": rng.random(DEVICE_BLOCK),
        })
    skip = first - (first // DEVICE_BLOCK) * DEVICE_BLOCK
    profile = {key: np.concatenate([b[key] for b in blocks])[skip : skip + count] for key in blocks[0]}
    site_lat = plan.sites["lat"].to_numpy()[profile["site"]]
    site_lon = plan.sites["lon"].to_numpy()[profile["site"]]
    profile["lat"] = np.round(np.clip(site_lat + profile.pop("lat_offset"), -90.0, 90.0), 6)
    profile["lon"] = np.round(wrap_longitude(site_lon + profile.pop("lon_offset")), 6)
    profile["offset_s"] = np.floor(profile.pop("offset_share") * plan.interval_s).astype(np.int64)
    return profile


def fleet_lists(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Device numbers of all mobile devices and of all degraded ones (a pass over the profiles)."""
    mobile, degraded = [], []
    for start, n in chunk_bounds(plan.devices):
        profile = device_profiles(plan, start, n)
        mobile.append(start + np.flatnonzero(MOBILE_TYPES[profile["type"]]))
        degraded.append(start + np.flatnonzero(profile["status"] == DEGRADED))
    return np.concatenate(mobile), np.concatenate(degraded)


# ---------------------------------------------------------------------------------------------
# One function per table
# ---------------------------------------------------------------------------------------------


def scramble_serial(numbers: np.ndarray) -> np.ndarray:
    """Serial numbers that look scattered yet never repeat: an invertible mix of the device number.

    Each step (xor with a right shift, multiplication by an odd number, both modulo 2^33) is a
    bijection on 0 .. 2^33-1, so distinct devices get distinct serials (at most 10 digits).
    """
    mask = np.uint64(2**33 - 1)
    x = (numbers.astype(np.uint64) + np.uint64(0x2545F491)) & mask  # device 0 must not be SN0000000000
    for shift, multiplier in ((17, 0x9E3779B1), (15, 0x85EBCA77), (16, 0xC2B2AE3D)):
        x ^= x >> np.uint64(shift)
        x = (x * np.uint64(multiplier)) & mask
    return x.astype(np.int64)


def make_devices(plan: Plan, start: int, n: int) -> pl.DataFrame:
    """Rows start .. start+n-1 of devices."""
    profile = device_profiles(plan, start, n)
    rng = np.random.default_rng([plan.seed, DEVICES_SALT, start])
    numbers = np.arange(start, start + n)
    type_names = pl.Series([t[0] for t in DEVICE_TYPES]).gather(profile["type"])
    type_codes = pl.Series([t[3] for t in DEVICE_TYPES]).gather(profile["type"])
    series = pl.Series(MODEL_SERIES).gather(rng.integers(0, len(MODEL_SERIES), n))
    firmware = pl.Series([v for v, _ in FIRMWARE_VERSIONS]).gather(FIRMWARE_POOL[rng.integers(0, len(FIRMWARE_POOL), n)])
    scrambled = scramble_serial(numbers)
    sites = plan.sites[profile["site"]]
    frame = pl.DataFrame({
        "device_id": device_ids(numbers),
        "device_type": type_names,
        "manufacturer": plan.manufacturers.gather(rng.integers(0, len(plan.manufacturers), n)),
        "model": type_codes + "-" + series,
        "serial_number": "SN" + pl.Series(scrambled).cast(pl.String).str.zfill(10),
        "firmware_version": firmware,
        "site_id": sites["site_id"],
        "location": sites["location"],
        "city": sites["city"],
        "country": sites["country"],
        "home_lat": profile["lat"],
        "home_lon": profile["lon"],
        "install_date": pl.Series(profile["install_day"] + (plan.install_window[0] - date(1970, 1, 1)).days).cast(pl.Date),
        "status": pl.Series([s for s, _ in STATUSES]).gather(profile["status"]),
    })
    return frame


def readings_device_blocks(plan: Plan) -> list[tuple[int, int]]:
    """(first device, device count) of each readings chunk: whole devices, about CHUNK_ROWS rows."""
    per_chunk = max(1, CHUNK_ROWS // (METRICS_PER_DEVICE * plan.samples))
    return chunk_bounds(plan.devices, per_chunk)


def anomaly_positions(rng: np.random.Generator, flagged: int, space: int) -> tuple[np.ndarray, ...]:
    """Place exactly `flagged` anomalous readings as episodes in a line of `space` readings.

    Episode kinds and lengths are drawn until they cover `flagged` (the last is cut to fit);
    episodes are then spread over the line without overlapping: sorted uniform gap points,
    each episode starting at its gap point plus the lengths of the episodes before it.
    Returns, per flagged reading: its position, its episode's kind, its episode's start.
    """
    if flagged == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    kinds = ANOMALY_POOL[rng.integers(0, len(ANOMALY_POOL), flagged)]
    lengths = rng.integers(ANOMALY_MIN[kinds], ANOMALY_MAX[kinds] + 1)
    ends = np.cumsum(lengths)
    episodes = int(np.searchsorted(ends, flagged)) + 1
    kinds, lengths = kinds[:episodes], lengths[:episodes].copy()
    lengths[-1] -= ends[episodes - 1] - flagged
    before = np.cumsum(lengths) - lengths
    starts = np.sort(rng.integers(0, space - flagged + 1, episodes)) + before
    episode = np.repeat(np.arange(episodes), lengths)
    position = starts[episode] + np.arange(flagged) - before[episode]
    return position, kinds[episode], starts[episode]


def clean_series(plan: Plan, profile: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Normal readings of a block of devices, shape (device, metric slot, sample), and their times.

    Returns the values (clipped to the sensor range, rounded), the per-series parameters, the
    per-series baseline and the seconds since the window start of each (device, sample).
    """
    n_devices, slots, samples = len(profile["type"]), METRICS_PER_DEVICE, plan.samples
    p = {field: values[profile["type"][:, None], np.arange(slots)] for field, values in PARAMETERS.items()}
    baseline = p["baseline"] + p["baseline_sd"] * rng.standard_normal((n_devices, slots))
    amplitude = p["amplitude"] * rng.uniform(0.8, 1.2, (n_devices, slots))
    # Daily cycles follow local solar time: a device 90 deg west peaks six hours later in UTC.
    peak_utc_h = p["peak_hour"] - profile["lon"][:, None] / 15.0 + rng.normal(0.0, 1.0, (n_devices, slots))
    trend = p["trend_sd"] * rng.standard_normal((n_devices, slots))
    noise = p["noise_sd"][:, :, None] * rng.standard_normal((n_devices, slots, samples))
    seconds = profile["offset_s"][:, None] + np.arange(samples)[None, :] * plan.interval_s
    hour_utc = (seconds / 3600.0) % 24.0  # the window starts at midnight UTC
    daily = np.cos(2 * np.pi * (hour_utc[:, None, :] - peak_utc_h[:, :, None]) / 24.0)
    values = (baseline[:, :, None] + amplitude[:, :, None] * daily
              + trend[:, :, None] * (seconds[:, None, :] / plan.window_s) + noise)
    per_sample = {field: p[field][:, :, None] for field in ("low", "high", "decimals")}
    return to_sensor(values, per_sample), p, baseline, seconds


def to_sensor(values: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Clip to the sensor's range and round to its resolution (parameters broadcast per series)."""
    scale = 10.0 ** p["decimals"]
    return np.round(np.clip(values, p["low"], p["high"]) * scale) / scale


def inject_anomalies(plan: Plan, first_device: int, profile: dict[str, np.ndarray], clean: np.ndarray,
                     p: dict[str, np.ndarray], baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flag exactly this chunk's share of round(rate x rows) readings; return values and kind codes.

    Works on the flat series-major index (device, slot, sample), so an episode is a run of
    consecutive samples of one series. Codes are -1 for normal readings, else ANOMALY_KINDS index.
    """
    n_devices, slots, samples = clean.shape
    rng = np.random.default_rng([plan.seed, ANOMALY_SALT, first_device])
    # Counted cumulatively over the table's rows, so the chunks add up to the exact total.
    first_row = first_device * slots * samples
    flagged = _rounded(plan.anomaly_rate * (first_row + clean.size)) - _rounded(plan.anomaly_rate * first_row)
    # Each series' excursions go one way: up or down at random, unless that side would leave the range.
    direction = np.where(rng.random((n_devices, slots)) < 0.5, 1.0, -1.0)
    leaves = (baseline + direction * p["spike"] > p["high"]) | (baseline + direction * p["spike"] < p["low"])
    direction = np.where(leaves, -direction, direction)

    # Degraded devices take DEGRADED_ANOMALY_SHARE of them while they have room.
    degraded_rows = np.repeat(profile["status"] == DEGRADED, slots * samples)
    prone, other = np.flatnonzero(degraded_rows), np.flatnonzero(~degraded_rows)
    on_prone = min(_rounded(flagged * DEGRADED_ANOMALY_SHARE), len(prone))
    on_prone += max(0, flagged - on_prone - len(other))
    parts = []
    for space, count in ((prone, on_prone), (other, flagged - on_prone)):
        position, kind, episode_start = anomaly_positions(rng, count, len(space))
        row = space[position]
        # An episode crossing from one series into the next becomes two runs; a run starts at
        # the later of its episode's start and its series' start.
        run_step = (row % samples) - (position - np.maximum(episode_start, position - row % samples))
        parts.append((row, kind, run_step))
    row, kind, run_first_step = (np.concatenate(a) for a in zip(*parts))

    flat = clean.reshape(-1)
    series = row // samples
    per_row = {field: p[field].reshape(-1)[series] for field in ("spike", "low", "high", "decimals")}
    step_in_run = row % samples - run_first_step
    excursion = np.select(
        [kind == SPIKE, kind == DRIFT],
        [rng.uniform(0.6, 1.0, len(row)), np.minimum(1.0, (step_in_run + 1) / DRIFT_RAMP)],
        0.0,
    ) * per_row["spike"] * direction.reshape(-1)[series]
    value = flat.copy()
    value[row] = np.where(kind == DROPOUT, np.nan, to_sensor(flat[row] + excursion, per_row))
    # Stuck: back-to-back stuck episodes are one fault, all repeating the clean reading just
    # before the first (or its own first reading at the start of a series).
    stuck = np.sort(row[kind == STUCK])
    new_fault = (np.diff(stuck, prepend=-2) != 1) | (stuck % samples == 0)
    fault_first = np.maximum.accumulate(np.where(new_fault, stuck, 0))
    value[stuck] = flat[np.where(fault_first % samples == 0, fault_first, fault_first - 1)]
    codes = np.full(flat.shape, -1, dtype=np.int8)
    codes[row] = kind
    return value, codes


def make_readings(plan: Plan, first_device: int, n_devices: int) -> pl.DataFrame:
    """Sensor readings of devices first_device .. first_device+n_devices-1 (3 x samples rows each)."""
    profile = device_profiles(plan, first_device, n_devices)
    rng = np.random.default_rng([plan.seed, READINGS_SALT, first_device])
    clean, p, baseline, seconds = clean_series(plan, profile, rng)
    value, codes = inject_anomalies(plan, first_device, profile, clean, p, baseline)

    # Output order: device, timestamp, metric (one message per device per sample).
    slots, samples = METRICS_PER_DEVICE, plan.samples

    def by_time(series_major: np.ndarray) -> np.ndarray:
        return series_major.reshape(n_devices, slots, samples).transpose(0, 2, 1).reshape(-1)

    slot_of_row = np.tile(np.arange(slots), n_devices * samples)
    type_of_row = np.repeat(profile["type"], samples * slots)
    kind_codes = pl.Series(by_time(codes))
    return pl.DataFrame({
        "device_id": device_ids(first_device + np.arange(n_devices)).gather(np.repeat(np.arange(n_devices), samples * slots)),
        "timestamp": pl.Series(np.repeat(plan.window_start_s + seconds.reshape(-1), slots) * 1_000_000).cast(UTC_TIMESTAMP),
        "metric": pl.Series(METRIC_NAMES).gather(METRIC_INDEX[type_of_row, slot_of_row]),
        "value": pl.Series(by_time(value)).fill_nan(None),
        "unit": pl.Series(UNITS).gather(UNIT_INDEX[type_of_row, slot_of_row]),
        "is_anomaly": kind_codes >= 0,
        "anomaly_type": kind_codes.replace_strict(dict(enumerate(k[0] for k in ANOMALY_KINDS)), default=None,
                                                  return_dtype=pl.String),
    })


def _rounded(x: float) -> int:
    """Round half up (Python's round() rounds half to even, which would bias chunk sums)."""
    return int(math.floor(x + 0.5))


def make_events(plan: Plan, start: int, n: int) -> pl.DataFrame:
    """Rows start .. start+n-1 of events.

    Chunk k covers the k-th slice of the window (times uniform within it, sorted), so event_id
    rises with timestamp across the whole table and the times are uniform over the window.
    """
    rng = np.random.default_rng([plan.seed, EVENTS_SALT, start])
    severity = SEVERITY_POOL[rng.integers(0, len(SEVERITY_POOL), n)]
    event_type = EVENT_TYPE_POOLS[severity, rng.integers(0, EVENT_TYPE_POOLS.shape[1], n)]
    # Warnings and criticals come from degraded devices EVENT_DEGRADED_SHARE of the time.
    device = rng.integers(0, plan.devices, n)
    if len(plan.degraded_devices):
        degraded = plan.degraded_devices[rng.integers(0, len(plan.degraded_devices), n)]
        device = np.where((severity > 0) & (rng.random(n) < EVENT_DEGRADED_SHARE), degraded, device)
    window_us = plan.window_s * 1_000_000
    slice_start, slice_end = start * window_us // plan.events, (start + n) * window_us // plan.events
    seconds = np.sort(rng.integers(slice_start, max(slice_end, slice_start + 1), n)) // 1_000_000
    number = rng.integers(EVENT_NUMBER_LOW[event_type], EVENT_NUMBER_HIGH[event_type] + 1)
    has_number = pl.Series(np.array([e[4] is not None for e in EVENT_TYPES])[event_type])
    figure = pl.select(pl.when(has_number).then(pl.lit(pl.Series(number)).cast(pl.String)).otherwise(pl.lit(""))).to_series()
    return pl.DataFrame({
        "event_id": np.arange(start + 1, start + n + 1, dtype=np.int64),
        "device_id": device_ids(device),
        "timestamp": pl.Series((plan.window_start_s + seconds) * 1_000_000).cast(UTC_TIMESTAMP),
        "event_type": pl.Series([e[0] for e in EVENT_TYPES]).gather(event_type),
        "severity": pl.Series([s[0] for s in SEVERITIES]).gather(severity),
        "message": pl.Series([e[3] for e in EVENT_TYPES]).gather(event_type) + figure
        + pl.Series([e[5] for e in EVENT_TYPES]).gather(event_type),
        "acknowledged": rng.random(n) < ACK_RATE[severity],
    })


def telemetry_track_blocks(plan: Plan) -> list[tuple[int, int]]:
    """(first mobile rank, track count) of each telemetry chunk: whole tracks, about CHUNK_ROWS rows."""
    if plan.telemetry == 0 or len(plan.mobile_devices) == 0:
        return []
    longest = int(plan.track_length(np.array(0)))
    return chunk_bounds(len(plan.mobile_devices), max(1, CHUNK_ROWS // longest))


def make_telemetry(plan: Plan, first_rank: int, n_tracks: int) -> pl.DataFrame:
    """GPS tracks of the mobile devices of ranks first_rank .. first_rank+n_tracks-1.

    Tracks in a chunk differ in length by one fix at most, so they are laid out as rows of a
    (track, fix) array; the last fix of the shorter tracks is padding, dropped at the end.
    """
    rng = np.random.default_rng([plan.seed, TELEMETRY_SALT, first_rank])
    ranks = np.arange(first_rank, first_rank + n_tracks)
    devices = plan.mobile_devices[ranks]
    lengths = plan.track_length(ranks)
    profile = device_profiles(plan, int(devices[0]), int(devices[-1] - devices[0] + 1))
    local = devices - devices[0]
    home_lat, home_lon = profile["lat"][local], profile["lon"][local]
    cruise_range = np.array([CRUISE_KMH.get(t[0], (0.0, 0.0)) for t in DEVICE_TYPES])[profile["type"][local]]
    fixes = int(lengths.max())
    step = np.arange(fixes)[None, :]  # (1, fix) against per-track columns of shape (track, 1)

    def per_track(values: np.ndarray) -> np.ndarray:
        return values[:, None]

    # Per track: cruise speed, wave periods and phases, start time, battery and odometer.
    cruise = per_track(rng.uniform(cruise_range[:, 0], cruise_range[:, 1]))
    wave_period, stop_period = per_track(rng.uniform(20, 60, n_tracks)), per_track(rng.uniform(30, 90, n_tracks))
    wave_phase, stop_phase = (per_track(phase) for phase in rng.uniform(0, 2 * np.pi, (2, n_tracks)))
    duration_s = (lengths - 1) * TELEMETRY_INTERVAL_S
    start_s = per_track((rng.random(n_tracks) * np.maximum(plan.window_s - duration_s, 0)).astype(np.int64))
    battery_start, battery_drain_h = per_track(rng.uniform(60, 100, n_tracks)), per_track(rng.uniform(0.5, 3.0, n_tracks))
    odometer_start = per_track(rng.uniform(5_000, 250_000, n_tracks))
    first_heading = per_track(rng.uniform(0, 360, n_tracks))

    shape = (n_tracks, fixes)
    wave = 1.0 + 0.2 * np.sin(2 * np.pi * step / wave_period + wave_phase)
    stopped = (np.sin(2 * np.pi * step / stop_period + stop_phase) > 0.9) | (step == 0)
    moving_speed = np.clip(cruise * wave + rng.normal(0.0, 3.0, shape), 3.0, MAX_SPEED_KMH)
    speed = np.round(np.where(stopped, 0.0, moving_speed), 1)
    turn = rng.normal(0.0, 6.0, shape) + np.where(rng.random(shape) < 0.02, rng.choice([-90.0, 90.0], shape), 0.0)
    heading = np.round((first_heading + np.cumsum(np.where(stopped, 0.0, turn), axis=1)) % 360.0, 1) % 360.0

    # Each fix is the previous one moved by the distance covered in the minute before it, at the
    # speed reported with it, along its heading (east-west degrees shrink with cos(latitude)).
    distance_km = speed * TELEMETRY_INTERVAL_S / 3600.0
    rad = np.radians(heading)
    lat = np.clip(per_track(home_lat) + np.cumsum(distance_km * np.cos(rad) / KM_PER_DEGREE, axis=1), -89.9, 89.9)
    previous_lat = np.concatenate([lat[:, :1], lat[:, :-1]], axis=1)
    lon_step = distance_km * np.sin(rad) / (KM_PER_DEGREE * np.cos(np.radians((lat + previous_lat) / 2)))
    lon = wrap_longitude(per_track(home_lon) + np.cumsum(lon_step, axis=1))

    battery = np.clip(np.round(battery_start - battery_drain_h * step * TELEMETRY_INTERVAL_S / 3600.0), 5, 100)
    odometer = odometer_start + np.cumsum(distance_km, axis=1)
    seconds = start_s + step * TELEMETRY_INTERVAL_S
    keep = (step < per_track(lengths)).reshape(-1)

    def column(values: np.ndarray) -> np.ndarray:
        return np.broadcast_to(values, shape).reshape(-1)[keep]

    return pl.DataFrame({
        "device_id": device_ids(devices).gather(column(per_track(np.arange(n_tracks)))),
        "timestamp": pl.Series((plan.window_start_s + column(seconds)) * 1_000_000).cast(UTC_TIMESTAMP),
        "lat": np.round(column(lat), 6),
        "lon": np.round(column(lon), 6),
        "speed": column(speed),
        "heading": column(heading),
        "odometer_km": np.round(column(odometer), 3),
        "battery_level": pl.Series(column(battery)).cast(pl.Int16),
        "satellites": pl.Series(column(rng.integers(5, 15, shape))).cast(pl.Int8),
    })



# ---------------------------------------------------------------------------------------------
# Helpers copied verbatim from scripts/utils/local_output.py (tests/test_inlined_copies.py)
# ---------------------------------------------------------------------------------------------


def table_path(directory: Path, table: str, fmt: str) -> Path:
    """Where a table lands: DIR/<table>.<fmt> for files, DIR/<table>/ for Delta."""
    return directory / table if fmt == "delta" else directory / f"{table}.{fmt}"


def chunk_bounds(rows: int, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """(first row, row count) of each chunk; an empty table still gets one empty chunk."""
    return [(start, min(chunk_rows, rows - start)) for start in range(0, rows, chunk_rows)] or [(0, 0)]


def _path_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_table(
    directory: Path,
    table: str,
    fmt: str,
    chunks: Iterable[Callable[[], pl.DataFrame]],
    schema: dict[str, pl.DataType],
) -> dict:
    """Write one table from its chunks, atomically, and return its rows, file name and bytes.

    ``chunks`` are zero-argument functions, each returning the next slice of the table (build
    them with ``functools.partial(make_table, start, n)`` over ``chunk_bounds``). They are called
    lazily, in order, so only a chunk or two is in memory at a time; a chunk may hold any number
    of rows (line items per transaction chunk, say). ``schema`` is the table's Polars schema
    (the generator's copy of its contract); every chunk is checked against it.
    """
    final = table_path(directory, table, fmt)
    # The table is written inside a private staging folder next to its final place (same file
    # system, so the swap is a rename). Removing the folder on failure also defeats a writer
    # thread that is still flushing when the error arrives: it cannot recreate a file there.
    staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    _remove(staging)
    staging.mkdir()
    temporary = staging / final.name
    heights: list[int] = []

    failures: list[BaseException] = []

    def counted(make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        try:
            frame = make_chunk()
        except BaseException as error:  # remembered: deltalake re-raises it as a DeltaError
            failures.append(error)
            raise
        heights.append(frame.height)
        return frame

    try:
        if fmt == "delta":
            import pyarrow as pa
            from deltalake import write_deltalake

            arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
            batches = (
                batch
                for make_chunk in chunks
                for batch in counted(make_chunk).to_arrow().cast(arrow_schema).to_batches()
            )
            write_deltalake(temporary, pa.RecordBatchReader.from_batches(arrow_schema, batches))
        else:
            frame = pl.concat(
                [pl.defer(partial(counted, make_chunk), schema=schema) for make_chunk in chunks]
                or [pl.LazyFrame(schema=schema)]
            )
            if fmt == "parquet":
                frame.sink_parquet(temporary, compression="zstd")
            elif fmt == "csv":
                frame.sink_csv(temporary)
            elif fmt == "json":
                frame.sink_ndjson(temporary, check_extension=False)
            else:
                raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        # Swap in: a file is replaced in one step; a Delta folder in two renames, the old one
        # moved aside first so that a failure between them leaves it recoverable, never mixed.
        if final.is_dir() and not final.is_symlink():
            aside = final.with_name(f".{final.name}.old-{os.getpid()}")
            _remove(aside)
            os.rename(final, aside)
            os.rename(temporary, final)
            _remove(aside)
        else:
            os.replace(temporary, final)
    except BaseException as error:
        _remove(staging)
        if failures and failures[0] is not error:
            raise failures[0] from error
        raise
    _remove(staging)
    return {"rows": sum(heights), "path": final.name, "bytes": _path_bytes(final)}


def write_manifest(directory: Path, manifest: dict) -> Path:
    """Write DIR/_manifest.json atomically; call it after every table is written."""

    def readable(value):
        # What json cannot write itself, as data another tool can read: dataclasses (a parsed
        # --campaign, say) as objects, dates as ISO 8601, anything else as its text.
        if hasattr(value, "__dataclass_fields__"):
            return {name: getattr(value, name) for name in value.__dataclass_fields__}
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    final = directory / "_manifest.json"
    temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(manifest, indent=2, default=readable) + "\n")
    os.replace(temporary, final)
    return final


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose upgrades can change the values a seed produces."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0]}
    for package in ("polars", "numpy", "mimesis", "deltalake"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (underscores allowed: 1_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def rate(text: str) -> float:
    """argparse type: a share between 0 and 1 (0.05 = 5%)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line, or use the defaults when pasted into a notebook.

    A notebook kernel's own argv (``-f kernel.json``) is not ours to parse: in a Jupyter or
    Databricks notebook, call ``main(["--rows", "5000"])`` to pass options.
    """
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    return parser.parse_args(argv)


def prepare_output_dir(parser: argparse.ArgumentParser, directory: Path) -> Path:
    """Create the output folder, or stop with a clear message when it cannot be used."""
    if directory.exists() and not directory.is_dir():
        parser.error(f"--output {directory} is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        parser.error(f"--output {directory} cannot be written: {error.strerror or error}")
    return directory


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


def timed(label: str, action: Callable[[], dict]) -> dict:
    """Run one table's generate-and-write step, report it, and add its seconds."""
    started = time.perf_counter()
    result = action()
    result["seconds"] = round(time.perf_counter() - started, 3)
    progress(f"  {label}: {result['rows']:,} rows in {result['seconds']:.2f}s")
    return result


# ---------------------------------------------------------------------------------------------
# Window flags (copied verbatim from scripts/utils/seasonality.py; readings are regular series: no seasonality)
# ---------------------------------------------------------------------------------------------
def iso_day(text: str) -> date:
    """argparse type: a calendar day YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def add_window_arguments(parser: argparse.ArgumentParser, start: date, end: date | None, events: str,
                         end_help: str = "") -> None:
    parser.add_argument("--start", type=iso_day, default=start, metavar="YYYY-MM-DD",
                        help=f"first day of the {events} window, UTC (default {start})")
    parser.add_argument("--end", type=iso_day, default=end, metavar="YYYY-MM-DD",
                        help=end_help or f"last day of the {events} window, inclusive (default {end})")


def window_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, max_days: int | None = None) -> tuple[date, date]:
    """The window's first and last day, checked."""
    if args.end < args.start:
        parser.error(f"--end {args.end} is before --start {args.start}")
    days = (args.end - args.start).days + 1
    if max_days is not None and days > max_days:
        parser.error(f"the window --start {args.start} --end {args.end} spans {days:,} days; at most {max_days:,}")
    return args.start, args.end



# ---------------------------------------------------------------------------------------------
# Data-quality injection (copied verbatim from scripts/utils/quality.py)
# ---------------------------------------------------------------------------------------------
QUALITY_SALT = 9_001  # keeps injection streams apart from every table's own streams
LATE_GAP_DAYS = 1  # late rows start one day after the window ends (clear of local-time spill-over)
LATE_SPAN_DAYS = 7  # and fall within the week after that
MAX_DUPLICATE_RATE = 0.5  # above one copy per original row the table is more copy than data
MICROS_PER_DAY = 86_400_000_000


@dataclass
class Quality:
    """The run's injection settings and what was injected (filled in as chunks are written)."""

    seed: int
    nulls: dict[str, dict[str, float]] = field(default_factory=dict)  # table -> column -> rate
    duplicate_rate: float = 0.0
    duplicate_tables: tuple[str, ...] = ()
    late_rate: float = 0.0
    late_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> event time first
    window_us: tuple[int, int] = (0, 1)  # the run's window [start, end) in UTC microseconds
    injected: dict[str, list[dict]] = field(default_factory=dict)  # table -> one record per chunk

    def active(self, table: str) -> bool:
        return bool(
            self.nulls.get(table)
            or (self.duplicate_rate and table in self.duplicate_tables)
            or (self.late_rate and table in self.late_columns)
        )


def null_injection(text: str) -> tuple[str, str, float]:
    """argparse type: TABLE.COLUMN=RATE, e.g. customers.email=0.05."""
    target, equals, share = text.partition("=")
    table, dot, column = target.strip().partition(".")
    if not (equals and dot and table and column):
        raise argparse.ArgumentTypeError(f"expected TABLE.COLUMN=RATE (e.g. customers.email=0.05), got {text!r}")
    try:
        value = float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the rate in {text!r} must be a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"the rate in {text!r} must be between 0 and 1")
    return table, column.strip(), value


def add_quality_arguments(parser: argparse.ArgumentParser, duplicate_tables: tuple[str, ...],
                          late_columns: dict[str, tuple[str, ...]]) -> None:
    """The three injection flags, with the tables each applies to in their help."""
    group = parser.add_argument_group(
        "data quality injection (all off by default; recorded in _manifest.json, reported by scripts/utils/validate.py)")
    group.add_argument("--inject-nulls", action="append", type=null_injection, default=[], metavar="TABLE.COLUMN=RATE",
                       help="null out RATE of the column's values (repeatable); key columns are refused")
    group.add_argument("--duplicate-rate", type=rate, default=0.0, metavar="RATE",
                       help=f"share of rows that are exact copies of another row, in {', '.join(duplicate_tables)} "
                       f"(at most {MAX_DUPLICATE_RATE:g}); those tables get more rows than planned")
    late = ", ".join(f"{table}.{columns[0]}" for table, columns in late_columns.items())
    group.add_argument("--late-rate", type=rate, default=0.0, metavar="RATE",
                       help=f"share of events whose timestamp ({late}) lands {LATE_GAP_DAYS} to "
                       f"{LATE_GAP_DAYS + LATE_SPAN_DAYS} days after the window ends")


def quality_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, schemas: dict[str, dict],
                     keys: dict[str, tuple[str, ...]], duplicate_tables: tuple[str, ...],
                     late_columns: dict[str, tuple[str, ...]], window_us: tuple[int, int]) -> Quality:
    """Check the injection flags against the generator's tables; parser.error names what is valid."""
    nulls: dict[str, dict[str, float]] = {}
    for table, column, share in args.inject_nulls:
        if table not in schemas:
            parser.error(f"--inject-nulls {table}.{column}: no table {table!r}; tables: {', '.join(schemas)}")
        if column not in schemas[table]:
            parser.error(f"--inject-nulls {table}.{column}: {table} has no column {column!r}; "
                         f"columns: {', '.join(schemas[table])}")
        if column in keys.get(table, ()):
            allowed = [name for name in schemas[table] if name not in keys[table]]
            parser.error(f"--inject-nulls {table}.{column}: {column} is a key column (primary or foreign key of "
                         f"{table}); a null there breaks integrity, not just completeness. Choose one of: {', '.join(allowed)}")
        if column in nulls.get(table, {}):
            parser.error(f"--inject-nulls {table}.{column} is given twice: give each column once")
        nulls.setdefault(table, {})[column] = share
    if args.duplicate_rate > MAX_DUPLICATE_RATE:
        parser.error(f"--duplicate-rate must be at most {MAX_DUPLICATE_RATE:g} (one copy per original row), got {args.duplicate_rate:g}")
    return Quality(seed=args.seed, nulls=nulls, duplicate_rate=args.duplicate_rate, duplicate_tables=duplicate_tables,
                   late_rate=args.late_rate, late_columns=late_columns, window_us=window_us)


def quality_stream(seed: int, table: str, chunk: int, kind: str) -> np.random.Generator:
    """The random stream of one injection kind in one chunk of one table (crc32: stable across runs)."""
    return np.random.default_rng([seed, QUALITY_SALT, zlib.crc32(table.encode()), chunk, zlib.crc32(kind.encode())])


def late_offsets(rng: np.random.Generator, event_us: np.ndarray, late_rate: float, window_us: tuple[int, int]) -> np.ndarray:
    """Microseconds to add to each row's times: 0 on time; for late rows, what moves the event
    time t to end + gap + (t - start) x span / window length (order kept, never two on one instant)."""
    start, end = window_us
    late = rng.random(len(event_us)) < late_rate
    moved = end + LATE_GAP_DAYS * MICROS_PER_DAY + np.floor(
        (event_us - start) / (end - start) * (LATE_SPAN_DAYS * MICROS_PER_DAY)).astype(np.int64)
    return np.where(late, moved - event_us, 0)


def shift_times(frame: pl.DataFrame, columns: tuple[str, ...], offset_us: np.ndarray) -> pl.DataFrame:
    """Move each row's time columns by its offset: timestamps exactly, dates by whole days up."""
    days = -(-offset_us // MICROS_PER_DAY)
    shifted = []
    for column in columns:
        if frame.schema[column] == pl.Date:
            shifted.append((pl.col(column).cast(pl.Int32) + pl.Series(days, dtype=pl.Int32)).cast(pl.Date).alias(column))
        else:
            shifted.append((pl.col(column) + pl.Series(offset_us).cast(pl.Duration("us"))).alias(column))
    return frame.with_columns(shifted)


def inject_quality(quality: Quality, table: str, chunk: int, make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """One chunk with the configured dirt: late times, then nulls, then duplicate rows."""
    frame = make_chunk()
    record = {"rows": frame.height, "late": 0, "nulls": {}, "duplicates": 0}
    columns = quality.late_columns.get(table)
    if quality.late_rate and columns and frame.height:
        event_us = frame[columns[0]].dt.epoch("us").to_numpy()
        offset = late_offsets(quality_stream(quality.seed, table, chunk, "late"), event_us, quality.late_rate, quality.window_us)
        frame = shift_times(frame, columns, offset)
        record["late"] = int(np.count_nonzero(offset))
    for column, share in quality.nulls.get(table, {}).items():
        hit = quality_stream(quality.seed, table, chunk, f"nulls:{column}").random(frame.height) < share
        frame = frame.with_columns(pl.when(pl.lit(pl.Series(hit))).then(None).otherwise(pl.col(column)).alias(column))
        record["nulls"][column] = int(np.count_nonzero(hit))
    if quality.duplicate_rate and table in quality.duplicate_tables and frame.height:
        rng = quality_stream(quality.seed, table, chunk, "duplicates")
        # Copies d such that d / (n + d) = rate on average: n x rate / (1 - rate), rounded at random.
        expected = frame.height * quality.duplicate_rate / (1 - quality.duplicate_rate)
        copies = int(expected) + int(rng.random() < expected - int(expected))
        order = np.sort(np.concatenate([np.arange(frame.height), rng.integers(0, frame.height, copies)]), kind="stable")
        frame = frame[order]  # each copy right after its original
        record["duplicates"] = copies
    quality.injected.setdefault(table, []).append(record)
    return frame


def with_quality(quality: Quality, table: str, chunks: list[Callable[[], pl.DataFrame]]) -> list[Callable[[], pl.DataFrame]]:
    """The table's chunk producers, each wrapped to inject the configured dirt (unchanged if none)."""
    if not quality.active(table):
        return chunks
    return [partial(inject_quality, quality, table, index, make_chunk) for index, make_chunk in enumerate(chunks)]


def quality_manifest(quality: Quality) -> dict | None:
    """``quality_injections`` for _manifest.json (None when nothing is injected), plus the rows
    each kind touched per table."""
    config: dict = {}
    if quality.nulls:
        config["nulls"] = {f"{table}.{column}": share for table, columns in quality.nulls.items() for column, share in columns.items()}
    if quality.duplicate_rate:
        config["duplicate_rate"] = {table: quality.duplicate_rate for table in quality.duplicate_tables}
    if quality.late_rate:
        config["late_rate"] = {f"{table}.{column}": quality.late_rate
                               for table, columns in quality.late_columns.items() for column in columns}
    if not config:
        return None
    config["injected_rows"] = {
        table: {
            "duplicates": sum(r["duplicates"] for r in records),
            "late": sum(r["late"] for r in records),
            "nulls": {column: sum(r["nulls"].get(column, 0) for r in records) for column in quality.nulls.get(table, {})},
        }
        for table, records in sorted(quality.injected.items())
    }
    return config


def annotate_tables(quality: Quality, tables: dict[str, dict]) -> dict[str, dict]:
    """Add planned_rows and duplicate_rows to the summary of each table that got duplicates."""
    for table, records in quality.injected.items():
        copies = sum(r["duplicates"] for r in records)
        if copies and table in tables:
            tables[table]["planned_rows"] = tables[table]["rows"] - copies
            tables[table]["duplicate_rows"] = copies
    return tables


# ---------------------------------------------------------------------------------------------
# Unity Catalog bridge for --catalog/--schema (copied verbatim from scripts/utils/uc_bridge.py)
# ---------------------------------------------------------------------------------------------
# --- copied verbatim from scripts/utils/uc_setup.py (tests keep it identical) ---
MAX_NAME_LENGTH = 255
# Unity Catalog refuses these in object names...
UC_FORBIDDEN = {".": "a period", " ": "a space", "/": "a forward slash"}
# ...and this tool refuses these too, so a name never needs escaping inside backticks.
TOOL_FORBIDDEN = {"`": "a backtick", "'": "a quote", '"': "a double quote", "\\": "a backslash", ";": "a semicolon"}


def check_identifier(name, kind="name"):
    """Return ``name`` if it is a safe Unity Catalog identifier, else raise ValueError saying why."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind} name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{kind} name {name[:40]!r}… is longer than {MAX_NAME_LENGTH} characters")
    for character in name:
        if ord(character) < 0x20 or ord(character) == 0x7F:
            raise ValueError(f"{kind} name {name!r} contains a control character")
        reason = UC_FORBIDDEN.get(character) or TOOL_FORBIDDEN.get(character)
        if reason:
            raise ValueError(f"{kind} name {name!r} contains {reason}, which is not allowed")
    return name


def quote_identifier(name, kind="name"):
    """The name as one backtick-quoted SQL identifier (after check_identifier)."""
    return f"`{check_identifier(name, kind)}`"


def qualified_name(*parts):
    """`catalog`.`schema`[.`object`] from checked parts."""
    kinds = ("catalog", "schema", "object")
    return ".".join(quote_identifier(part, kind) for part, kind in zip(parts, kinds))


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}


# --- copied verbatim from scripts/utils/spark_session.py (tests keep it identical) ---
LOCAL_SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
CONNECT_COMMAND = ('uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 '
                   '--with jmespath --with pyparsing --with mimesis==22.2.0 {script}')
LOCAL_COMMAND = ('uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 '
                 '--with jmespath --with pyparsing --with mimesis==22.2.0 {script} --local')


def get_spark(local=False, remote=None, profile=None, app_name="databricks-data-gen"):
    """Return the Spark session to generate with (see the module docstring for the rules)."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "SCRIPT"
    if os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        from pyspark.sql import SparkSession

        return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()

    if local:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise SystemExit(f"error: --local needs pyspark; run: {LOCAL_COMMAND.format(script=script)}") from None
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (SparkSession.builder.master("local[*]").appName(app_name)
                   .config("spark.ui.showConsoleProgress", "false"))
        for key, value in LOCAL_SPARK_CONF.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    remote = remote or os.environ.get("SPARK_REMOTE")
    try:
        from databricks.connect import DatabricksSession
    except ImportError:
        DatabricksSession = None
    if DatabricksSession is None and not remote:
        raise SystemExit("error: Databricks Connect is not installed in this environment; run:\n  "
                         + CONNECT_COMMAND.format(script=script)
                         + "\n(or add --local to generate on a local Spark)")
    if remote:
        if DatabricksSession is not None:
            session = DatabricksSession.builder.remote(remote).getOrCreate()
        else:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise SystemExit("error: --remote needs databricks-connect or pyspark[connect]; run:\n  "
                                 + CONNECT_COMMAND.format(script=script) + f" --remote {remote}") from None
            session = SparkSession.builder.remote(remote).getOrCreate()
    else:
        builder = DatabricksSession.builder
        if profile:
            from databricks.sdk.core import Config

            builder = builder.profile(profile)
            # A profile that names a cluster means "run there"; any other means serverless.
            if not Config(profile=profile).cluster_id:
                builder = builder.serverless()
        else:
            builder = builder.serverless()
        session = builder.getOrCreate()
    try:
        session.conf.set("spark.sql.session.timeZone", "UTC")
    except Exception:  # a server may refuse runtime settings; its own time zone then applies
        pass
    return session


# --- copied verbatim from scripts/utils/output.py (tests keep it identical) ---
TOOL = "databricks-data-gen"
MARKER = {"synthetic": "true", "synthetic.generator": TOOL}
SYNTHETIC_NOTE = "Synthetic data generated by databricks-data-gen; not real people or events."


class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""


def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_properties(spark, full_name):
    return {row["key"]: row["value"] for row in spark.sql(f"SHOW TBLPROPERTIES {full_name}").collect()}


def created_by_this_tool(properties):
    return all(properties.get(key) == value for key, value in MARKER.items())


# --- the bridge ---
# Sizes of one createDataFrame call (one Spark Connect message). Local data above the server's
# spark.sql.session.localRelationCacheThreshold (64 MiB by default) is uploaded as an artifact and
# big messages meet gRPC limits (128 MiB), so a table goes over in slices well below both.
ROWS_PER_MESSAGE = 200_000
MAX_MESSAGE_BYTES = 32 * 2**20
UC_MODES = ("error", "overwrite")
TABLE_FORMATS = ("delta", "parquet")  # delta on Databricks; parquet on local Spark (no Delta jars there)
# What to run when this environment cannot reach Databricks: uv layers databricks-connect (which
# pins numpy<2) over the script's own environment; the Tier 1 generators give identical data on
# numpy 1.26 and 2.4 (tested).
UC_COMMAND = 'uv run --python 3.12 --with "databricks-connect>=16.4,<17" {script} {arguments}'


@dataclass
class UnityTarget:
    """Where the tables go, and the session that writes them; checked before anything is generated."""

    spark: object
    catalog: str
    schema: str
    mode: str = "error"
    table_format: str = "delta"
    replace: tuple[str, ...] = ()  # existing tables of this tool that --mode overwrite replaces


def add_unity_catalog_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Unity Catalog (Databricks Connect): also write every table to CATALOG.SCHEMA.<table>")
    group.add_argument("--catalog", help="an existing catalog (spark_catalog on local Spark)")
    group.add_argument("--schema", help="schema in it, created if missing")
    group.add_argument("--mode", choices=UC_MODES, default="error",
                       help="error (default): refuse existing tables; overwrite: replace tables this tool created "
                       "(never others)")
    group.add_argument("--table-format", choices=TABLE_FORMATS, default="delta", help="table format (default delta)")
    group.add_argument("--profile", help="~/.databrickscfg profile (default: DEFAULT auth, serverless)")
    group.add_argument("--remote", metavar="URL", help="a Spark Connect URL instead, e.g. sc://localhost:15002")
    group.add_argument("--local", action="store_true", help="a local pyspark session instead (tries the tables locally)")


def unity_catalog_target(parser: argparse.ArgumentParser, args: argparse.Namespace, tables: list[str], script: str,
                         argv: list[str] | None = None) -> UnityTarget | None:
    """Check the Unity Catalog options and the target before any data is generated.

    None without --catalog. Otherwise opens the session (get_spark), checks that the catalog
    exists (a clear error, never a silent default), creates the schema if missing and refuses
    tables this tool did not create (and, with --mode error, any existing table).
    """
    if args.catalog is None and args.schema is None:
        return None
    if args.catalog is None or args.schema is None:
        parser.error("--catalog and --schema go together: give both")
    for name, kind in ((args.catalog, "catalog"), (args.schema, "schema"), *((table, "table") for table in tables)):
        try:
            check_identifier(name, kind)
        except ValueError as error:
            parser.error(str(error))
    if args.format not in ("parquet", "delta"):
        parser.error(f"--catalog uploads the tables written to --output: use --format parquet or delta, not {args.format}")
    if args.local and (args.remote or args.profile):
        parser.error("--local runs a local Spark: not with --remote or --profile")
    if not os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        def installed(module: str) -> bool:
            try:
                return importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                return False

        remote = args.remote or os.environ.get("SPARK_REMOTE")
        if args.local:
            usable = installed("pyspark")
        elif remote:
            usable = installed("databricks.connect") or installed("pyspark.sql.connect")
        else:
            usable = installed("databricks.connect")
        if not usable:
            try:  # this file's path from here, so the command runs as printed
                script = os.path.relpath(Path(__file__).resolve())
            except NameError:  # pasted into a notebook: the path inside the skill
                pass
            given = shlex.join(argv if argv is not None else sys.argv[1:])
            parser.error("--catalog writes over Databricks Connect, which is not installed in this environment; run:\n  "
                         + UC_COMMAND.format(script=script, arguments=given))
    spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
    if not catalog_exists(spark, args.catalog):
        parser.error(f"catalog {args.catalog!r} does not exist (or you cannot see it): create it (CREATE CATALOG, "
                     f"or scripts/utils/uc_setup.py --create-catalog) or pass an existing one with --catalog")
    try:
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {qualified_name(args.catalog, args.schema)} COMMENT {sql_string(SYNTHETIC_NOTE)}")
    except Exception as error:  # privileges, mostly: Spark's own first line says which
        parser.error(f"cannot create schema {args.catalog}.{args.schema}: {str(error).strip().splitlines()[0]}")
    foreign, ours = [], []
    for table in tables:
        name = qualified_name(args.catalog, args.schema, table)
        if spark.catalog.tableExists(name):
            (ours if created_by_this_tool(table_properties(spark, name)) else foreign).append(table)
    where = f"{args.catalog}.{args.schema}"
    if foreign:
        parser.error(f"in {where}, {', '.join(foreign)} exist and were not created by {TOOL} (no synthetic marker): "
                     "refusing to touch them; choose another --schema, or drop them yourself")
    if ours and args.mode == "error":
        parser.error(f"in {where}, {', '.join(ours)} exist (created by {TOOL} earlier): pass --mode overwrite to "
                     "replace them, or choose another --schema")
    replace = ours
    return UnityTarget(spark, args.catalog, args.schema, args.mode, args.table_format, tuple(replace))


def spark_type_of(dtype: pl.DataType):
    """The Spark type of a Polars column type (CONTRIBUTING.md's contract type mapping)."""
    from pyspark.sql import types as T

    simple = {pl.Int64: T.LongType, pl.Int32: T.IntegerType, pl.Int16: T.ShortType, pl.Int8: T.ByteType,
              pl.Float64: T.DoubleType, pl.Float32: T.FloatType, pl.String: T.StringType,
              pl.Boolean: T.BooleanType, pl.Date: T.DateType}
    if isinstance(dtype, pl.Decimal):
        return T.DecimalType(dtype.precision, dtype.scale)
    if isinstance(dtype, pl.Datetime):
        return T.TimestampType() if dtype.time_zone else T.TimestampNTZType()
    if isinstance(dtype, (pl.List, pl.Array)):
        return T.ArrayType(spark_type_of(dtype.inner))
    for polars_type, spark_type in simple.items():
        if dtype == polars_type:
            return spark_type()
    raise ValueError(f"no Spark type for Polars {dtype}")


def spark_schema_of(schema: dict[str, pl.DataType], comments: dict[str, str] | None = None):
    """A StructType with the contract's column descriptions as column comments (every column
    nullable: --inject-nulls may empty any non-key column)."""
    from pyspark.sql import types as T

    comments = comments or {}
    return T.StructType([
        T.StructField(name, spark_type_of(dtype), True, {"comment": comments[name]} if comments.get(name) else {})
        for name, dtype in schema.items()
    ])


def contract_descriptions(industry: str, table: str) -> tuple[str | None, dict[str, str]]:
    """(table description, {column: description}) from the bundled contract, when this file sits
    in the skill (assets/schemas above it); (None, {}) when pasted elsewhere."""
    try:
        here = Path(__file__).resolve()
    except NameError:  # a notebook cell has no __file__
        return None, {}
    for folder in here.parents:
        for path in sorted((folder / "assets" / "schemas").glob(f"{industry}_*.json")):
            contract = json.loads(path.read_text())
            if contract.get("table") == table:
                return contract.get("description"), {c["name"]: c.get("description", "") for c in contract["columns"]}
    return None, {}


def table_messages(frames: Iterable[pl.DataFrame], rows_per_message: int = ROWS_PER_MESSAGE) -> Iterator[pa.Table]:
    """Arrow slices of at most rows_per_message rows and about MAX_MESSAGE_BYTES each (large
    strings and lists, not views: the Spark Connect clients cast them to the table's types)."""
    for frame in frames:
        for start in range(0, frame.height, rows_per_message):
            part = frame.slice(start, rows_per_message).to_arrow(compat_level=pl.CompatLevel.oldest())
            pieces = max(1, -(-part.nbytes // MAX_MESSAGE_BYTES))
            step = -(-part.num_rows // pieces)
            for offset in range(0, part.num_rows, step):
                yield part.slice(offset, step)


def write_unity_catalog_table(target: UnityTarget, table: str, frames: Iterable[pl.DataFrame],
                              schema: dict[str, pl.DataType], *, comment: str | None = None,
                              comments: dict[str, str] | None = None, properties: dict[str, str] | None = None,
                              rows_per_message: int = ROWS_PER_MESSAGE) -> dict:
    """Write Polars frames to CATALOG.SCHEMA.table over Spark Connect, one Arrow slice per message.

    The first message creates the table with the synthetic marker in its properties (so a table
    this tool created always carries it), the others append; when all are sent the properties get
    ``synthetic.rows`` (a table without it is an interrupted load) and the table its comment. A
    failure drops the partial table. Replacing (``target.replace``) drops the old table first.
    """
    spark, name = target.spark, qualified_name(target.catalog, target.schema, table)
    struct = spark_schema_of(schema, comments)
    marker = {**MARKER, **(properties or {})}
    rows = messages = 0
    try:
        if table in target.replace:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
        for message in table_messages(frames, rows_per_message):
            frame = spark.createDataFrame(message, schema=struct)
            if messages == 0:
                writer = frame.writeTo(name).using(target.table_format)
                for key, value in marker.items():
                    writer = writer.tableProperty(key, value)
                writer.create()
            else:
                frame.write.format(target.table_format).mode("append").saveAsTable(name)
            rows, messages = rows + message.num_rows, messages + 1
        if messages == 0:  # an empty table still gets created, with its columns
            writer = spark.createDataFrame([], schema=struct).writeTo(name).using(target.table_format)
            for key, value in marker.items():
                writer = writer.tableProperty(key, value)
            writer.create()
        spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ({sql_string('synthetic.rows')} = {sql_string(rows)})")
        described = f"{comment} {SYNTHETIC_NOTE}" if comment else SYNTHETIC_NOTE
        spark.sql(f"COMMENT ON TABLE {name} IS {sql_string(described)}")
    except Exception as error:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
            left = "the partial table was dropped"
        except Exception:
            left = f"drop the partial table yourself: DROP TABLE {name}"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OutputError(f"writing {target.catalog}.{target.schema}.{table} failed after {messages} "
                          f"message(s), {rows:,} rows: {first_line}; {left}") from error
    return {"table": f"{target.catalog}.{target.schema}.{table}", "rows": rows, "messages": messages}


def local_table_frames(path: Path, rows_per_message: int = ROWS_PER_MESSAGE) -> Iterator[pl.DataFrame]:
    """A table written by a Tier 1 generator (parquet file or Delta folder), in record batches."""
    if path.is_dir():
        from deltalake import DeltaTable

        batches = DeltaTable(str(path)).to_pyarrow_dataset().to_batches(batch_size=rows_per_message)
    else:
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(batch_size=rows_per_message)
    for batch in batches:
        yield pl.from_arrow(batch)


def publish_to_unity_catalog(target: UnityTarget, directory: Path, tables: dict[str, dict],
                             schemas: dict[str, dict[str, pl.DataType]], industry: str, seed: int, script: str,
                             rows_per_message: int = ROWS_PER_MESSAGE) -> dict:
    """Upload each table a generator just wrote to --output (parents first); returns where each went."""
    published = {}
    for table, written in tables.items():
        comment, comments = contract_descriptions(industry, table)
        frames = local_table_frames(Path(directory) / written["path"], rows_per_message)
        published[table] = write_unity_catalog_table(
            target, table, (frame.cast(schemas[table]) for frame in frames), schemas[table], comment=comment,
            comments=comments, properties={"synthetic.seed": str(seed), "synthetic.source": script},
            rows_per_message=rows_per_message)
        print(f"  {table} -> {published[table]['table']}: {published[table]['rows']:,} rows in "
              f"{published[table]['messages']} message(s)", file=sys.stderr, flush=True)
    return {"catalog": target.catalog, "schema": target.schema, "format": target.table_format, "tables": published}


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def mimesis_locale(text: str) -> str:
    """argparse type: a Mimesis locale code such as en, de, pt-br."""
    from mimesis.locales import Locale

    try:
        return Locale(text.strip().lower()).value
    except ValueError:
        known = ", ".join(locale.value for locale in Locale)
        raise argparse.ArgumentTypeError(f"unknown Mimesis locale {text!r}; known locales: {known}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iot.py",
        description="Generate an IoT fleet: devices, sensor_readings, events and telemetry "
        "(Polars + Mimesis, no Spark). Readings cover --days (or to --end) from --start 00:00 UTC (default 2024-01-01).",
        epilog="Row counts: devices = --rows; sensor_readings = devices x 3 metrics x samples, "
        "samples = --days x 1440 / --interval-minutes (default 168, so 504 per device); "
        f"events = --events (default {EVENTS_PER_DEVICE} per device); telemetry = --telemetry "
        f"(default {TELEMETRY_PER_DEVICE} per device) GPS fixes, shared out as one track per mobile "
        "device (cold_chain_tracker, vehicle_tracker; none if the fleet has no mobile device). "
        "Readings are generated in chunks of whole devices, about 1,000,000 rows each. "
        'In a notebook call main(["--rows", "500"]).',
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_DEVICES,
                        help=f"devices, the main entity table (default {DEFAULT_DEVICES:,}; at most {MAX_DEVICES:,})")
    parser.add_argument("--days", type=positive_int, default=None,
                        help=f"length of the window from --start, at most {MAX_DAYS} (default {DEFAULT_DAYS}; or give --end)")
    parser.add_argument("--interval-minutes", type=positive_int, default=DEFAULT_INTERVAL_MINUTES,
                        help=f"minutes between a device's readings, 1..1440 (default {DEFAULT_INTERVAL_MINUTES})")
    parser.add_argument("--events", type=non_negative_int, default=None,
                        help=f"events rows (default {EVENTS_PER_DEVICE} x devices)")
    parser.add_argument("--telemetry", type=non_negative_int, default=None,
                        help=f"telemetry rows, GPS fixes every {TELEMETRY_INTERVAL_S} s "
                        f"(default {TELEMETRY_PER_DEVICE} x devices; mobile devices only)")
    parser.add_argument("--anomaly-rate", type=rate, default=DEFAULT_ANOMALY_RATE,
                        help="share of sensor readings flagged is_anomaly, exact to one reading "
                        f"(default {DEFAULT_ANOMALY_RATE})")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY,
                        help=f"output folder (default output/{INDUSTRY}); a /Volumes/... path works on Databricks")
    parser.add_argument("--format", choices=FORMATS, default="parquet",
                        help="parquet (default), csv, json (JSON Lines) or delta")
    parser.add_argument("--locale", type=mimesis_locale, default="en",
                        help="Mimesis locale for maker and street names, and the country of the sites (default en)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the planned rows and estimated size per table, write nothing")
    add_window_arguments(parser, DEFAULT_START, None, "readings, events and telemetry",
                         end_help="last day of the window, inclusive (instead of --days)")
    add_quality_arguments(parser, DUPLICATE_TABLES, LATE_COLUMNS)
    add_unity_catalog_arguments(parser)
    return parser


def make_plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Plan:
    """Check the options against each other and build the pools and fleet lists of the run."""
    if args.rows > MAX_DEVICES:
        parser.error(f"--rows {args.rows:,} is more than the {MAX_DEVICES:,} devices device_id can number")
    if args.interval_minutes > 1440:
        parser.error(f"--interval-minutes must be at most 1440 (one day), got {args.interval_minutes}")
    if args.end is not None and args.days is not None:
        parser.error("give --days or --end, not both")
    if args.end is None:
        args.end = args.start + timedelta(days=(args.days or DEFAULT_DAYS) - 1)
    window_settings(parser, args)
    args.days = (args.end - args.start).days + 1
    if args.days > MAX_DAYS:
        parser.error(f"the window is at most {MAX_DAYS} days (a year of readings), got {args.days}")
    samples = args.days * 1440 // args.interval_minutes
    sites = build_sites(args.seed, args.locale, min(MAX_SITES, -(-args.rows // DEVICES_PER_SITE)))
    plan = Plan(
        seed=args.seed, locale=args.locale, devices=args.rows, samples=samples,
        interval_s=args.interval_minutes * 60, anomaly_rate=args.anomaly_rate,
        events=EVENTS_PER_DEVICE * args.rows if args.events is None else args.events,
        telemetry=TELEMETRY_PER_DEVICE * args.rows if args.telemetry is None else args.telemetry,
        manufacturers=build_manufacturers(args.seed, args.locale), sites=sites,
        mobile_devices=np.zeros(0, dtype=np.int64), degraded_devices=np.zeros(0, dtype=np.int64), start=args.start,
    )
    plan.mobile_devices, plan.degraded_devices = fleet_lists(plan)
    if len(plan.mobile_devices) == 0 and plan.telemetry > 0:
        progress("  note: no device in this fleet is mobile, so telemetry is empty")
        plan.telemetry = 0
    longest_track = -(-plan.telemetry // max(len(plan.mobile_devices), 1))
    if (longest_track - 1) * TELEMETRY_INTERVAL_S >= plan.window_s:
        parser.error(f"--telemetry {plan.telemetry:,} over {len(plan.mobile_devices):,} mobile devices gives tracks of "
                     f"{longest_track:,} fixes, longer than the {plan.window_s / 86400:g}-day window: lower --telemetry, "
                     "raise --rows or lengthen --days")
    return plan


def table_chunks(plan: Plan) -> dict[str, tuple[list[Callable[[], pl.DataFrame]], dict]]:
    """Each table's chunk producers and schema, parent before child."""
    return {
        "devices": ([partial(make_devices, plan, s, n) for s, n in chunk_bounds(plan.devices)], DEVICES_SCHEMA),
        "sensor_readings": ([partial(make_readings, plan, s, n) for s, n in readings_device_blocks(plan)],
                            READINGS_SCHEMA),
        "events": ([partial(make_events, plan, s, n) for s, n in chunk_bounds(plan.events) if n], EVENTS_SCHEMA),
        "telemetry": ([partial(make_telemetry, plan, s, n) for s, n in telemetry_track_blocks(plan)], TELEMETRY_SCHEMA),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    if args.output.exists() and not args.output.is_dir():
        parser.error(f"--output {args.output} is a file, not a folder")
    started = time.perf_counter()
    plan = make_plan(parser, args)
    rows = {"devices": plan.devices, "sensor_readings": plan.readings, "events": plan.events,
            "telemetry": plan.telemetry}
    window_us = (plan.window_start_s * 1_000_000, (plan.window_start_s + args.days * 86_400) * 1_000_000)
    quality = quality_settings(parser, args, SCHEMAS, KEY_COLUMNS, DUPLICATE_TABLES, LATE_COLUMNS, window_us)
    window = {"start": args.start.isoformat(), "end": args.end.isoformat()}

    if args.dry_run:
        tables = {name: {"rows": n, "estimated_bytes": round(n * BYTES_PER_ROW[name][args.format])}
                  for name, n in rows.items()}
        plan_summary = {"dry_run": True, "output": str(args.output), "seed": args.seed, "format": args.format,
                        "window": window, "tables": tables, "anomalous_readings": _rounded(plan.anomaly_rate * plan.readings),
                        "mobile_devices": len(plan.mobile_devices),
                        "estimated_bytes": sum(t["estimated_bytes"] for t in tables.values())}
        if args.catalog:
            plan_summary["unity_catalog"] = [f"{args.catalog}.{args.schema}.{table}" for table in SCHEMAS]
        print(json.dumps(plan_summary, indent=2))
        return plan_summary

    target = unity_catalog_target(parser, args, list(SCHEMAS), GENERATOR, argv)
    directory = prepare_output_dir(parser, args.output)
    progress(f"iot: {plan.devices:,} devices, {plan.readings:,} readings, {plan.events:,} events, "
             f"{plan.telemetry:,} telemetry fixes -> {directory} ({args.format})")
    results = {}
    for name, (chunks, schema) in table_chunks(plan).items():
        chunks = with_quality(quality, name, chunks)
        results[name] = timed(name, partial(write_table, directory, name, args.format, chunks, schema))
    annotate_tables(quality, results)
    injections = quality_manifest(quality)
    arguments = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    write_manifest(directory, {
        "generator": GENERATOR, "industry": INDUSTRY, "seed": args.seed, "format": args.format,
        "arguments": arguments, "versions": library_versions(), "window": window, "bounds": plan.bounds(args.days),
        **({"quality_injections": injections} if injections else {}), "tables": results,
    })
    summary = {"output": str(directory), "seed": args.seed, "format": args.format, "tables": results,
               "seconds": round(time.perf_counter() - started, 3)}
    if injections:
        summary["quality_injections"] = injections
    if target is not None:
        try:
            summary["unity_catalog"] = publish_to_unity_catalog(target, directory, results, SCHEMAS, INDUSTRY,
                                                                args.seed, GENERATOR)
        except OutputError as error:
            parser.exit(1, f"{parser.prog}: error: {error}\n")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
