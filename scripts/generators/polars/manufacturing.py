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
"""Manufacturing (Tier 1): a machine shop's asset registry, its sensor history and work orders.

Tables (parent before child):

- ``equipment``: one row per machine (``--rows``, default 100): type (CNC mill, lathe, machining
  center, grinder, drill press, band saw; weighted), manufacturer and model from a per-run
  catalogue (so they agree with the type), zone and production line (agree), install date
  2012-2023, criticality and status.
- ``sensor_data``: readings of six sensors every ``--sample-seconds`` (600) from
  ``--start`` (2024-01-01) 00:00 UTC, ``--readings-per-equipment`` (2,016 = two weeks) per machine, or
  ``--sensor-rows`` in total spread evenly. Sensors, predictive-maintenance style (cf. AI4I 2020):
  A air temperature K (daily cycle), B process temperature K (air + a per-type rise),
  C rotational speed rpm, D torque Nm (falls as speed rises), E tool wear min (saw-tooth, reset at
  each tool change), F vibration mm/s RMS (rises with tool wear). ``--anomaly-rate`` (0.05) of the
  rows are flagged ``is_anomaly``, exactly (rounded to a whole row): episodes of 12 consecutive
  readings on one machine, each with a failure mode that bends the readings visibly (overheating,
  bearing wear, overstrain, power fluctuation, tool wear, a stuck sensor block, a dropout).
- ``maintenance_records``: ``--maintenance`` work orders (default 2 per machine) inside the sensor
  window. Corrective orders are opened 5-60 minutes after an anomaly episode ends on that machine
  and carry its failure mode; Gamma downtime and cost by work-order type; weighted priorities.

Window and dirty data: ``--start`` (default 2024-01-01) moves the readings' start and install
dates (the 12 years before); ``--end`` caps the readings (default a year from --start) or, given
alone, fills the window at --sample-seconds; _manifest.json records the run's bounds for the
validator. No seasonality here: readings are a regularly sampled series and work orders follow
the anomaly episodes. ``--inject-nulls``, ``--duplicate-rate`` (sensor_data, maintenance_records)
and ``--late-rate`` (times 1-8 days past the last reading, each late reading on an instant of its
own) make dirty data the validator reports as injected; tests/test_polars_manufacturing.py
measures each rate.

Unity Catalog: ``--catalog C --schema S`` also writes every table to C.S.<table> over
Databricks Connect (Arrow slices; synthetic marker and contract comments; existing tables only
replaced with ``--mode overwrite`` and only if this tool made them): ``uv run --python 3.12 --with
"databricks-connect>=16.4,<17" scripts/generators/polars/manufacturing.py --catalog main --schema demo``.
Without --catalog nothing imports pyspark or databricks-connect.

Example: ``uv run scripts/generators/polars/manufacturing.py --rows 500 --anomaly-rate 0.03``.
In a notebook: paste the file, then ``main(["--rows", "200", "--output", "/Volumes/c/s/v/mfg"])``.
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
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

INDUSTRY = "manufacturing"
GENERATOR = "scripts/generators/polars/manufacturing.py"

# --- Sizes and windows --------------------------------------------------------------------------

DEFAULT_EQUIPMENT = 100
# Two weeks of 10-minute readings: enough for daily cycles, tool changes and anomaly episodes to
# show, small enough (201,600 rows at the default 100 machines) for a laptop demo in seconds.
DEFAULT_SAMPLE_SECONDS = 600
DEFAULT_READINGS_PER_EQUIPMENT = 14 * 24 * 6
# Work orders per machine over the sensor window: roughly a preventive visit plus the odd repair.
MAINTENANCE_PER_EQUIPMENT = 2
# Readings start at --start 00:00 UTC (default 2024-01-01, the project's default event window)
# and must end by --end (default a year later: 2024-12-31; 2024 is a leap year: 366 days), so a
# seed means the same data next year.
DEFAULT_START = date(2024, 1, 1)
WINDOW_START = datetime(2024, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_SECONDS = int((WINDOW_END - WINDOW_START).total_seconds())
WINDOW_START_US = int(WINDOW_START.timestamp()) * 1_000_000
# Every machine was commissioned in the 12 years before the readings begin (2012-01-01 to
# 2023-12-31 by default), so no reading predates its install.
INSTALL_YEARS = 12
EPOCH = date(1970, 1, 1)

# One random stream per table (plus the per-machine profile and the anomaly layout), so a table's
# values do not change when another table's code does.
EQUIPMENT_SALT = 101
SENSOR_SALT = 102
MAINTENANCE_SALT = 103
PROFILE_SALT = 104
TOOL_PHASE_SALT = 105
ANOMALY_SALT = 106
STUCK_SALT = 107
POOL_SALT = 108

# --- Equipment types and their operating points (output units) ----------------------------------
# Speeds and torques are spindle/motor operating points of small machine tools; AI4I 2020 (a mill)
# runs 1,540 +- 180 rpm at 40 +- 10 Nm. Tool life is the cutting time after which the tool (wheel,
# blade, bit) is changed; AI4I changes tools at 200-240 min. Vibration is RMS velocity, inside
# ISO 10816 zone A/B (< 2.8 mm/s for medium machines) when healthy.
EQUIPMENT_TYPES = {
    #                       weight code  rpm mean, sd  torque mean, sd  process rise K  vibration mean, sd  tool life min
    "CNC Mill":         dict(weight=30, code="VM", rpm=(1500, 90), torque=(40.0, 5.0), rise=10.0, vibration=(2.2, 0.35), tool_life=240),
    "CNC Lathe":        dict(weight=25, code="TL", rpm=(2000, 120), torque=(30.0, 4.0), rise=9.0, vibration=(1.8, 0.30), tool_life=200),
    "Machining Center": dict(weight=15, code="MC", rpm=(3000, 150), torque=(22.0, 3.0), rise=11.0, vibration=(1.6, 0.25), tool_life=180),
    "Grinder":          dict(weight=10, code="SG", rpm=(3600, 100), torque=(12.0, 1.5), rise=14.0, vibration=(1.1, 0.20), tool_life=300),
    "Drill Press":      dict(weight=12, code="DP", rpm=(900, 60), torque=(50.0, 6.0), rise=8.0, vibration=(2.6, 0.40), tool_life=150),
    "Band Saw":         dict(weight=8, code="BS", rpm=(1450, 50), torque=(35.0, 4.0), rise=7.0, vibration=(3.0, 0.45), tool_life=480),
}  # fmt: skip
TYPE_NAMES = list(EQUIPMENT_TYPES)
TYPE_WEIGHTS = [spec["weight"] for spec in EQUIPMENT_TYPES.values()]
RPM_MEAN, RPM_SD = (np.array([spec["rpm"][i] for spec in EQUIPMENT_TYPES.values()], float) for i in (0, 1))
TORQUE_MEAN, TORQUE_SD = (np.array([spec["torque"][i] for spec in EQUIPMENT_TYPES.values()]) for i in (0, 1))
PROCESS_RISE = np.array([spec["rise"] for spec in EQUIPMENT_TYPES.values()])
VIBRATION_MEAN, VIBRATION_SD = (np.array([spec["vibration"][i] for spec in EQUIPMENT_TYPES.values()]) for i in (0, 1))
TOOL_LIFE = np.array([spec["tool_life"] for spec in EQUIPMENT_TYPES.values()], float)

# Shop-floor air: 25 degC on average, 1.5 K warmer mid-afternoon (peak 15:00 UTC) than at night,
# plus 0.5 K of sensor noise. Its sd is sqrt(1.5**2 / 2 + 0.5**2) = 1.173 K over whole days.
AIR_MEAN_K = 298.15
AIR_DAILY_AMPLITUDE_K = 1.5
AIR_PEAK_HOUR = 15
AIR_NOISE_K = 0.5
AIR_SD_K = math.sqrt(AIR_DAILY_AMPLITUDE_K**2 / 2 + AIR_NOISE_K**2)
# Process temperature follows the air 1:1 (as in AI4I) plus the type's rise and its own noise.
PROCESS_NOISE_K = 0.8
PROCESS_SD_K = math.sqrt(AIR_SD_K**2 + PROCESS_NOISE_K**2)
# Within a type, torque falls as speed rises (constant-power cutting): correlation -0.85, the
# order AI4I shows (-0.88). Vibration rises with tool wear: correlation +0.30.
SPEED_TORQUE_CORRELATION = -0.85
WEAR_VIBRATION_CORRELATION = 0.30

# --- Anomalies ---------------------------------------------------------------------------------
# An anomaly is an episode of consecutive readings on one machine (two hours at 10-minute
# sampling); the number of flagged rows is exactly round(rate * rows). Each episode has one failure
# mode; weights are shares of episodes. AI4I's failure modes are tool wear, heat dissipation,
# power, overstrain and random failures; bearing wear and sensor faults are the classic extras.
EPISODE_READINGS = 12
FAILURE_MODES = {
    # mode               weight  what the readings do during the episode (f = 1/12 .. 12/12)
    "Overheating": 20,         # process temperature +8 K rising to +25 K (heat dissipation)
    "Bearing wear": 20,        # vibration x3 rising to x5 (ISO 10816 zone C/D)
    "Overstrain": 15,          # torque x1.8, speed x0.9
    "Power fluctuation": 15,   # speed alternates +35% / -35% reading to reading
    "Tool wear": 15,           # tool wear past the tool's life (+10 to +60 min), vibration x1.5-2.5
    "Sensor stuck": 10,        # all six sensors frozen at one plausible value for the episode
    "Sensor dropout": 5,       # all six sensors null
}  # fmt: skip
MODE_NAMES = list(FAILURE_MODES)
(OVERHEATING, BEARING, OVERSTRAIN, POWER, TOOL_WEAR, STUCK, DROPOUT) = range(len(MODE_NAMES))

# --- Equipment registry attributes --------------------------------------------------------------
ZONES = {  # zone -> its production lines (drawn together so they agree)
    "Zone A": ["Line A1", "Line A2", "Line A3", "Line A4"],
    "Zone B": ["Line B1", "Line B2", "Line B3", "Line B4"],
    "Zone C": ["Line C1", "Line C2", "Line C3"],
    "Zone D": ["Line D1", "Line D2", "Line D3"],
    "Zone E": ["Line E1", "Line E2"],
}
LINE_ZONE = [(line, zone) for zone, lines in ZONES.items() for line in lines]
CRITICALITY = {"High": 20, "Medium": 50, "Low": 30}  # ABC criticality: how much a stop costs
EQUIPMENT_STATUS = {"Running": 78, "Idle": 12, "Under Maintenance": 7, "Offline": 3}
MODELS_PER_TYPE = 4  # catalogue entries per type: a shop buys a few models from a few vendors
MANUFACTURER_COUNT = 10
MANUFACTURER_SUFFIXES = ["Machine Works", "Machine Tools", "Precision", "Industries", "Engineering", "Automation"]

# --- Work orders --------------------------------------------------------------------------------
# Downtime (hours) and cost (USD) are Gamma by work-order type: mean = shape * scale.
WORK_ORDER_TYPES = {
    "Preventive": dict(weight=45, downtime=(2.0, 1.0), cost=(2.0, 250.0)),
    "Corrective": dict(weight=25, downtime=(2.0, 3.0), cost=(2.0, 1500.0)),
    "Predictive": dict(weight=20, downtime=(2.0, 0.75), cost=(2.0, 400.0)),
    "Inspection": dict(weight=10, downtime=(2.0, 0.25), cost=(3.0, 50.0)),
}
WO_NAMES = list(WORK_ORDER_TYPES)
CORRECTIVE = WO_NAMES.index("Corrective")
PREDICTIVE = WO_NAMES.index("Predictive")
DOWNTIME_SHAPE, DOWNTIME_SCALE = (np.array([s["downtime"][i] for s in WORK_ORDER_TYPES.values()]) for i in (0, 1))
COST_SHAPE, COST_SCALE = (np.array([s["cost"][i] for s in WORK_ORDER_TYPES.values()]) for i in (0, 1))
PRIORITIES = {"Low": 25, "Medium": 40, "High": 25, "Critical": 10}
# A corrective order is raised between 5 and 60 minutes after the episode's last reading.
RESPONSE_MINUTES = (5, 60)
TECHNICIANS_PER_EQUIPMENT = 0.1  # one technician per ten machines, at least 5, at most 500

# --- Table schemas (the contracts in assets/schemas/manufacturing_*.json) -----------------------
UTC_TIMESTAMP = pl.Datetime("us", "UTC")
EQUIPMENT_SCHEMA = {
    "equipment_id": pl.String,
    "type": pl.String,
    "manufacturer": pl.String,
    "model": pl.String,
    "rated_power_kw": pl.Float64,
    "zone": pl.String,
    "production_line": pl.String,
    "install_date": pl.Date,
    "criticality": pl.String,
    "status": pl.String,
}
SENSOR_SCHEMA = {
    "equipment_id": pl.String,
    "timestamp": UTC_TIMESTAMP,
    "sensor_a": pl.Float64,
    "sensor_b": pl.Float64,
    "sensor_c": pl.Float64,
    "sensor_d": pl.Float64,
    "sensor_e": pl.Float64,
    "sensor_f": pl.Float64,
    "is_anomaly": pl.Boolean,
    "failure_mode": pl.String,
}
MAINTENANCE_SCHEMA = {
    "work_order_id": pl.String,
    "equipment_id": pl.String,
    "type": pl.String,
    "priority": pl.String,
    "status": pl.String,
    "failure_mode": pl.String,
    "opened_at": UTC_TIMESTAMP,
    "completed_at": UTC_TIMESTAMP,
    "downtime_hours": pl.Float64,
    "cost": pl.Decimal(12, 2),
    "technician": pl.String,
}
SCHEMAS = {"equipment": EQUIPMENT_SCHEMA, "sensor_data": SENSOR_SCHEMA, "maintenance_records": MAINTENANCE_SCHEMA}
# Primary and foreign key columns (the contracts' primary_key and foreign_keys): never nulled.
KEY_COLUMNS = {
    "equipment": ("equipment_id",),
    "sensor_data": ("equipment_id", "timestamp"),
    "maintenance_records": ("work_order_id", "equipment_id"),
}
# --duplicate-rate copies rows of the fact tables (at-least-once delivery), not of the machines
# keys point at; --late-rate moves readings and work orders past the readings window (a work
# order's completion moves with its opening; each late reading on an instant of its own).
DUPLICATE_TABLES = ("sensor_data", "maintenance_records")
LATE_COLUMNS = {"sensor_data": ("timestamp",), "maintenance_records": ("opened_at", "completed_at")}
# Rough on-disk bytes per row, measured on 1,000-machine runs, for --dry-run's size estimate.
BYTES_PER_ROW = {
    "parquet": {"equipment": 15, "sensor_data": 12, "maintenance_records": 30},
    "csv": {"equipment": 95, "sensor_data": 90, "maintenance_records": 150},
    "json": {"equipment": 240, "sensor_data": 215, "maintenance_records": 300},
    "delta": {"equipment": 20, "sensor_data": 10, "maintenance_records": 40},
}


# --- Weighted pools and per-machine hashing -----------------------------------------------------


def weighted_pool(weights: list[int]) -> np.ndarray:
    """Category indices repeated by weight: a uniform draw from it is a weighted draw."""
    return np.repeat(np.arange(len(weights), dtype=np.int8), weights)


TYPE_POOL = weighted_pool(TYPE_WEIGHTS)
MODE_POOL = weighted_pool(list(FAILURE_MODES.values()))
CRITICALITY_POOL = weighted_pool(list(CRITICALITY.values()))
STATUS_POOL = weighted_pool(list(EQUIPMENT_STATUS.values()))
WO_TYPE_POOL = weighted_pool([s["weight"] for s in WORK_ORDER_TYPES.values()])
PRIORITY_POOL = weighted_pool(list(PRIORITIES.values()))


def draw(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """n weighted category indices."""
    return pool[rng.integers(0, len(pool), n)]


def stream_key(seed: int, salt: int, words: int = 1) -> np.ndarray:
    return np.random.SeedSequence([seed, salt]).generate_state(words, np.uint64)


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fast, well-mixed uint64 -> uint64 hash (wraps modulo 2**64)."""
    x = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hashed_uniform(index: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A uniform [0, 1) number per index that depends only on (seed, salt, index).

    Used for what a machine *is* (its type, its tool's phase, an episode's stuck value): the sensor
    and work-order tables recompute it for the machines in their chunk instead of keeping the
    equipment table in memory.
    """
    return (mix64(index.astype(np.uint64) ^ stream_key(seed, salt)[0]) >> np.uint64(11)) * 2.0**-53


def equipment_type_index(equipment: np.ndarray, seed: int) -> np.ndarray:
    return TYPE_POOL[(hashed_uniform(equipment, seed, PROFILE_SALT) * len(TYPE_POOL)).astype(np.int64)]


def equipment_ids(equipment: np.ndarray) -> pl.Series:
    """Asset tags EQ-000001, EQ-000002, ... for 0-based machine indices."""
    return "EQ-" + pl.Series("equipment_id", equipment + 1).cast(pl.String).str.zfill(6)


def window_timestamps(seconds: np.ndarray, start_us: int = WINDOW_START_US) -> pl.Series:
    """UTC timestamps from whole seconds after the window start."""
    return pl.Series(start_us + seconds.astype(np.int64) * 1_000_000).cast(UTC_TIMESTAMP)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th with no leap year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def failure_mode_names(mode: np.ndarray) -> pl.Series:
    """Failure mode codes to names; -1 (no failure) to null."""
    return pl.Series([*MODE_NAMES, None], dtype=pl.String).gather(np.where(mode >= 0, mode, len(MODE_NAMES)))


# --- Anomaly layout: which rows are flagged, decided without looking at other chunks ------------


def feistel(values: np.ndarray, keys: np.ndarray, half_bits: int, inverse: bool = False) -> np.ndarray:
    """A keyed bijection on [0, 4**half_bits): four Feistel rounds with a SplitMix64 round function."""
    mask = np.uint64((1 << half_bits) - 1)
    shift = np.uint64(half_bits)
    left, right = values.astype(np.uint64) >> shift, values.astype(np.uint64) & mask
    for key in keys[::-1] if inverse else keys:
        if inverse:
            left, right = right ^ (mix64(left ^ key) & mask), left
        else:
            left, right = right, left ^ (mix64(right ^ key) & mask)
    return ((left << shift) | right).astype(np.int64)


@dataclass(frozen=True)
class SensorLayout:
    """Where each sensor row sits (machine, reading) and which rows are anomalous.

    Machine-major order: rows of machine 0 first, in time order. The first ``longer`` machines get
    ``per_equipment + 1`` readings, the rest ``per_equipment`` (so --sensor-rows N is exact).
    Each machine's readings are cut into *slots* of ``episode`` consecutive readings (the ragged
    tail is never a slot). A keyed permutation ranks all slots; the slots ranked below
    ``full_episodes`` are anomaly episodes, and the slot ranked ``full_episodes`` flags its first
    ``remainder`` readings: exactly ``anomalies`` rows in all, placed at random, and any chunk can
    tell its own rows apart with no knowledge of the others.
    """

    seed: int
    equipment: int
    rows: int
    per_equipment: int
    longer: int
    sample_seconds: int
    anomalies: int
    episode: int
    slots_longer: int
    slots_shorter: int
    slots: int
    keys: tuple
    half_bits: int
    mode_order: tuple
    start_us: int = WINDOW_START_US  # the window: its first instant and its length
    window_seconds: int = WINDOW_SECONDS

    @classmethod
    def plan(cls, seed: int, equipment: int, rows: int, sample_seconds: int, rate: float,
             start_us: int = WINDOW_START_US, window_seconds: int = WINDOW_SECONDS) -> SensorLayout:
        per_equipment, longer = divmod(rows, equipment)
        anomalies = math.floor(rate * rows + 0.5)
        # Episodes as long as the shortest series allows; if the rate needs more rows than whole
        # episodes can hold (very high rates with ragged tails), single-reading anomalies.
        for episode in (max(1, min(EPISODE_READINGS, per_equipment)), 1):
            slots_longer, slots_shorter = (per_equipment + 1) // episode, per_equipment // episode
            slots = longer * slots_longer + (equipment - longer) * slots_shorter
            if anomalies <= slots * episode:
                break
        half_bits = max(1, (max(slots - 1, 1).bit_length() + 1) // 2)
        # Failure modes cycle through a per-seed shuffle of the weighted pool by episode rank, so
        # every 100 episodes carry the weights exactly and ranks (random slots) hide the cycle.
        mode_order = np.random.default_rng([seed, ANOMALY_SALT]).permutation(MODE_POOL)
        return cls(
            seed, equipment, rows, per_equipment, longer, sample_seconds, anomalies, episode,
            slots_longer, slots_shorter, slots, tuple(stream_key(seed, ANOMALY_SALT, 4)), half_bits,
            tuple(int(m) for m in mode_order), start_us, window_seconds,
        )  # fmt: skip

    @property
    def full_episodes(self) -> int:
        return self.anomalies // self.episode

    @property
    def remainder(self) -> int:
        return self.anomalies % self.episode

    @property
    def episodes(self) -> int:
        """Anomaly episodes, counting a final shorter one."""
        return self.full_episodes + (self.remainder > 0)

    @property
    def span_seconds(self) -> int:
        """Seconds from the first reading to one interval after the last."""
        return (self.per_equipment + (self.longer > 0)) * self.sample_seconds

    def locate(self, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(machine, reading number) of global sensor rows."""
        boundary = self.longer * (self.per_equipment + 1)
        early = row < boundary
        equipment = np.where(early, row // (self.per_equipment + 1), 0)
        reading = np.where(early, row % (self.per_equipment + 1), 0)
        if self.per_equipment:
            late = row - boundary
            equipment = np.where(early, equipment, self.longer + late // self.per_equipment)
            reading = np.where(early, reading, late % self.per_equipment)
        return equipment, reading

    def slot_of(self, equipment: np.ndarray, reading: np.ndarray) -> np.ndarray:
        """Global slot number of each reading, or -1 in a machine's ragged tail."""
        index = reading // self.episode
        early = equipment < self.longer
        per_machine = np.where(early, self.slots_longer, self.slots_shorter)
        first = np.where(
            early,
            equipment * self.slots_longer,
            self.longer * self.slots_longer + (equipment - self.longer) * self.slots_shorter,
        )
        return np.where(index < per_machine, first + index, -1)

    def machine_of_slot(self, slot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(machine, first reading) of global slots."""
        boundary = self.longer * self.slots_longer
        early = slot < boundary
        late = slot - boundary
        equipment = np.where(early, slot // max(self.slots_longer, 1), self.longer + late // max(self.slots_shorter, 1))
        index = np.where(early, slot % max(self.slots_longer, 1), late % max(self.slots_shorter, 1))
        return equipment, index * self.episode

    def rank(self, slot: np.ndarray, inverse: bool = False) -> np.ndarray:
        """The keyed permutation of slots (cycle-walking keeps it inside 0 .. slots-1)."""
        keys = np.array(self.keys, dtype=np.uint64)
        result = feistel(slot, keys, self.half_bits, inverse)
        outside = result >= self.slots
        while outside.any():
            result[outside] = feistel(result[outside], keys, self.half_bits, inverse)
            outside = result >= self.slots
        return result

    def episode_mode(self, rank: np.ndarray) -> np.ndarray:
        return np.array(self.mode_order, dtype=np.int8)[rank % len(self.mode_order)]


# --- Value pools (built once per run from Mimesis) ----------------------------------------------


@dataclass(frozen=True)
class Pools:
    catalogue: pl.DataFrame  # type, manufacturer, model, rated_power_kw; MODELS_PER_TYPE rows per type
    technicians: pl.Series


def build_pools(seed: int, locale: str, equipment: int) -> Pools:
    from mimesis import Locale, Person

    person = Person(locale=Locale(locale), seed=seed)
    # Fictional vendors: the locale's surnames plus an industrial suffix, never a real brand.
    surnames = sorted(dict.fromkeys(person.last_name() for _ in range(10 * MANUFACTURER_COUNT)))
    rng = np.random.default_rng([seed, POOL_SALT])
    picked = rng.choice(len(surnames), min(MANUFACTURER_COUNT, len(surnames)), replace=False)
    suffixes = rng.integers(0, len(MANUFACTURER_SUFFIXES), len(picked))
    manufacturers = sorted(f"{surnames[i]} {MANUFACTURER_SUFFIXES[s]}" for i, s in zip(picked, suffixes))

    catalogue = []
    for type_name, spec in EQUIPMENT_TYPES.items():
        vendors = rng.choice(len(manufacturers), MODELS_PER_TYPE)
        series = rng.choice(np.arange(200, 1000, 10), MODELS_PER_TYPE, replace=False)
        # Rated motor power: the operating point's mechanical power (torque x angular speed) with
        # 1.5-2.5x headroom, rounded to the half kilowatt motors are sold in.
        nominal_kw = spec["torque"][0] * spec["rpm"][0] * 2 * math.pi / 60 / 1000
        ratings = np.round(nominal_kw * rng.uniform(1.5, 2.5, MODELS_PER_TYPE) * 2) / 2
        for vendor, number, rating in zip(vendors, series, ratings):
            catalogue.append((type_name, manufacturers[vendor], f"{spec['code']}-{number}", float(rating)))

    crew = max(5, min(500, round(equipment * TECHNICIANS_PER_EQUIPMENT)))
    names = list(dict.fromkeys(person.full_name() for _ in range(3 * crew)))[:crew]
    return Pools(
        catalogue=pl.DataFrame(catalogue, schema=["type", "manufacturer", "model", "rated_power_kw"], orient="row"),
        technicians=pl.Series("technician", sorted(names)),
    )


# --- Tables -------------------------------------------------------------------------------------


def make_equipment(start: int, n: int, seed: int, pools: Pools, window_start: date = DEFAULT_START) -> pl.DataFrame:
    """Machines start .. start+n-1, installed before ``window_start``."""
    rng = np.random.default_rng([seed, EQUIPMENT_SALT, start])
    machine = np.arange(start, start + n, dtype=np.int64)
    type_index = equipment_type_index(machine, seed).astype(np.int64)
    catalogue_row = type_index * MODELS_PER_TYPE + rng.integers(0, MODELS_PER_TYPE, n)
    line_row = rng.integers(0, len(LINE_ZONE), n)
    install_first, install_last = years_before(window_start, INSTALL_YEARS), window_start - timedelta(days=1)
    first, last = (d.toordinal() - EPOCH.toordinal() for d in (install_first, install_last))
    install_day = rng.integers(first, last + 1, n)
    catalogue = pools.catalogue[catalogue_row]
    return pl.DataFrame(
        {
            "equipment_id": equipment_ids(machine),
            "type": catalogue["type"],
            "manufacturer": catalogue["manufacturer"],
            "model": catalogue["model"],
            "rated_power_kw": catalogue["rated_power_kw"],
            "zone": pl.Series([zone for _, zone in LINE_ZONE]).gather(line_row),
            "production_line": pl.Series([line for line, _ in LINE_ZONE]).gather(line_row),
            "install_date": pl.Series(install_day.astype(np.int32)).cast(pl.Date),
            "criticality": pl.Series(list(CRITICALITY)).gather(draw(rng, CRITICALITY_POOL, n)),
            "status": pl.Series(list(EQUIPMENT_STATUS)).gather(draw(rng, STATUS_POOL, n)),
        },
        schema=EQUIPMENT_SCHEMA,
    )


def make_sensor_data(start: int, n: int, layout: SensorLayout) -> pl.DataFrame:
    """Sensor rows start .. start+n-1 (machine-major, time order within a machine)."""
    seed = layout.seed
    rng = np.random.default_rng([seed, SENSOR_SALT, start])
    row = np.arange(start, start + n, dtype=np.int64)
    machine, reading = layout.locate(row)
    kind = equipment_type_index(machine, seed)
    elapsed = reading * layout.sample_seconds
    noise = rng.standard_normal((5, n))

    hour_of_day = (elapsed % 86_400) / 3_600
    air = (
        AIR_MEAN_K
        + AIR_DAILY_AMPLITUDE_K * np.cos(2 * np.pi * (hour_of_day - AIR_PEAK_HOUR) / 24)
        + AIR_NOISE_K * noise[0]
    )
    process = air + PROCESS_RISE[kind] + PROCESS_NOISE_K * noise[1]
    speed = RPM_MEAN[kind] + RPM_SD[kind] * noise[2]
    rho = SPEED_TORQUE_CORRELATION
    torque = TORQUE_MEAN[kind] + TORQUE_SD[kind] * (rho * noise[2] + math.sqrt(1 - rho**2) * noise[3])
    # Tool wear counts cutting minutes since the last tool change: a saw-tooth from a per-machine
    # phase, uniform over 0 .. tool life across machines and time.
    life = TOOL_LIFE[kind]
    phase = hashed_uniform(machine, seed, TOOL_PHASE_SALT)
    wear = np.mod(phase * life + elapsed / 60, life)
    wear_z = (wear - life / 2) / (life / math.sqrt(12))
    rho = WEAR_VIBRATION_CORRELATION
    vibration = VIBRATION_MEAN[kind] + VIBRATION_SD[kind] * (rho * wear_z + math.sqrt(1 - rho**2) * noise[4])

    mode = np.full(n, -1, dtype=np.int8)
    if layout.anomalies:
        slot = layout.slot_of(machine, reading)
        in_slot = slot >= 0
        rank = np.full(n, -1, dtype=np.int64)
        if in_slot.any():
            # Rank each slot present in this chunk once, then spread it to its readings.
            lowest, highest = slot[in_slot].min(), slot[in_slot].max()
            slot_rank = layout.rank(np.arange(lowest, highest + 1, dtype=np.int64))
            rank[in_slot] = slot_rank[slot[in_slot] - lowest]
        position = reading % layout.episode
        flagged = in_slot & (
            (rank < layout.full_episodes) | ((rank == layout.full_episodes) & (position < layout.remainder))
        )
        mode[flagged] = layout.episode_mode(rank[flagged])
        progress = (position + 1) / layout.episode  # 1/12 .. 1: faults grow through the episode

        process = np.where(mode == OVERHEATING, process + 8 + 17 * progress, process)
        vibration = np.where(mode == BEARING, vibration * (3 + 2 * progress), vibration)
        torque = np.where(mode == OVERSTRAIN, torque * 1.8, torque)
        speed = np.where(mode == OVERSTRAIN, speed * 0.9, speed)
        swing = np.where(position % 2 == 0, 1.35, 0.65)
        speed = np.where(mode == POWER, speed * swing, speed)
        wear = np.where(mode == TOOL_WEAR, life + 10 + 50 * progress, wear)
        vibration = np.where(mode == TOOL_WEAR, vibration * (1.5 + progress), vibration)
        # A stuck block repeats one plausible reading for the whole episode: a value drawn from the
        # episode's rank, the same in whichever chunk its rows fall.
        stuck = mode == STUCK
        if stuck.any():
            level = hashed_uniform(rank, seed, STUCK_SALT) * 2 - 1  # within +-1 sd of normal
            air = np.where(stuck, AIR_MEAN_K + AIR_SD_K * level, air)
            process = np.where(stuck, AIR_MEAN_K + PROCESS_RISE[kind] + PROCESS_SD_K * level, process)
            speed = np.where(stuck, RPM_MEAN[kind] + RPM_SD[kind] * level, speed)
            torque = np.where(stuck, TORQUE_MEAN[kind] + TORQUE_SD[kind] * level, torque)
            wear = np.where(stuck, life * (level + 1) / 2, wear)
            vibration = np.where(stuck, VIBRATION_MEAN[kind] + VIBRATION_SD[kind] * level, vibration)
        dropout = mode == DROPOUT
        air, process, speed, torque, wear, vibration = (
            np.where(dropout, np.nan, values) for values in (air, process, speed, torque, wear, vibration)
        )

    def reading_column(name: str, values: np.ndarray, decimals: int) -> pl.Series:
        # Physical quantities cannot go below zero; the clip touches only > 4.8 sd tails.
        return pl.Series(name, np.round(np.maximum(values, 0.0), decimals), nan_to_null=True)

    machine_low = int(machine.min()) if n else 0
    ids = equipment_ids(np.arange(machine_low, int(machine.max()) + 1 if n else 0, dtype=np.int64))
    return pl.DataFrame(
        {
            "equipment_id": ids.gather(machine - machine_low),
            "timestamp": window_timestamps(elapsed, layout.start_us),
            "sensor_a": reading_column("sensor_a", air, 2),
            "sensor_b": reading_column("sensor_b", process, 2),
            "sensor_c": reading_column("sensor_c", speed, 1),
            "sensor_d": reading_column("sensor_d", torque, 2),
            "sensor_e": reading_column("sensor_e", wear, 1),
            "sensor_f": reading_column("sensor_f", vibration, 3),
            "is_anomaly": mode >= 0,
            "failure_mode": failure_mode_names(mode),
        },
        schema=SENSOR_SCHEMA,
    )


def make_maintenance(start: int, n: int, layout: SensorLayout, pools: Pools) -> pl.DataFrame:
    """Work orders start .. start+n-1, opened inside the sensor window."""
    seed = layout.seed
    rng = np.random.default_rng([seed, MAINTENANCE_SALT, start])
    order_type = draw(rng, WO_TYPE_POOL, n).astype(np.int64)
    priority = draw(rng, PRIORITY_POOL, n)
    machine = rng.integers(0, layout.equipment, n)
    # Planned work starts on the minute, anywhere in the window.
    opened = (rng.uniform(0, layout.span_seconds, n) // 60 * 60).astype(np.int64)
    mode = np.where(order_type == PREDICTIVE, draw(rng, MODE_POOL, n), -1)
    corrective = order_type == CORRECTIVE
    response = rng.integers(RESPONSE_MINUTES[0], RESPONSE_MINUTES[1] + 1, n) * 60
    if layout.episodes:
        # A corrective order answers a random anomaly episode: same machine, opened a few minutes
        # after its last reading, carrying its failure mode. Some episodes get none (false alarms
        # and self-clearing faults), a few get two (a repeat call).
        episode = rng.integers(0, layout.episodes, n)
        slot_machine, first_reading = layout.machine_of_slot(layout.rank(episode, inverse=True))
        length = np.where(episode < layout.full_episodes, layout.episode, layout.remainder)
        last_reading_at = (first_reading + length - 1) * layout.sample_seconds
        machine = np.where(corrective, slot_machine, machine)
        # An episode in the window's final hour gets its order at 23:59 at the latest.
        opened = np.where(corrective, np.minimum(last_reading_at + response, layout.window_seconds - 60), opened)
        mode = np.where(corrective, layout.episode_mode(episode), mode)
    else:
        mode = np.where(corrective, draw(rng, MODE_POOL, n), mode)
    downtime = np.round(rng.gamma(DOWNTIME_SHAPE[order_type], DOWNTIME_SCALE[order_type]), 2)
    downtime = np.maximum(downtime, 0.01)  # every order stops the machine for at least 36 s
    cost = np.round(rng.gamma(COST_SHAPE[order_type], COST_SCALE[order_type]), 2)
    completed = opened + np.round(downtime * 3600).astype(np.int64)
    # Orders whose work would finish after the window closes are still open at the snapshot.
    in_progress = completed >= layout.span_seconds
    return pl.DataFrame(
        {
            "work_order_id": "WO-" + pl.Series(np.arange(start + 1, start + n + 1)).cast(pl.String).str.zfill(8),
            "equipment_id": equipment_ids(machine),
            "type": pl.Series(WO_NAMES).gather(order_type),
            "priority": pl.Series(list(PRIORITIES)).gather(priority),
            "status": pl.Series(np.where(in_progress, "In Progress", "Completed")),
            "failure_mode": failure_mode_names(mode),
            "opened_at": window_timestamps(opened, layout.start_us),
            "completed_at": window_timestamps(completed, layout.start_us).scatter(np.flatnonzero(in_progress), None),
            "downtime_hours": downtime,
            "cost": pl.Series(cost).cast(pl.Decimal(12, 2)),
            "technician": pools.technicians.gather(rng.integers(0, len(pools.technicians), n)),
        },
        schema=MAINTENANCE_SCHEMA,
    )


# --- Output helpers, copied verbatim from scripts/utils/local_output.py -----------------------

FORMATS = ("parquet", "csv", "json", "delta")
# Chunk size is part of the reproducibility contract: changing it changes the data a seed produces.
CHUNK_ROWS = 1_000_000


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


# --- Window flags (copied verbatim from scripts/utils/seasonality.py; sensor series are regular: no seasonality)
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



# --- Data-quality injection (copied verbatim from scripts/utils/quality.py) ----------------------
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


# --- Unity Catalog bridge for --catalog/--schema (copied verbatim from scripts/utils/uc_bridge.py) -
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


# --- Command line -------------------------------------------------------------------------------


def locale_name(text: str) -> str:
    """argparse type: a Mimesis locale code such as en, de, pt-br."""
    from mimesis import Locale

    known = sorted(locale.value for locale in Locale)
    if text.lower() not in known:
        raise argparse.ArgumentTypeError(f"unknown locale {text!r}; Mimesis knows {', '.join(known)}")
    return text.lower()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manufacturing.py",
        description="Generate equipment, sensor_data and maintenance_records for a machine shop "
        "(Polars + Mimesis, no Spark). Sensor readings start at --start 00:00 UTC (default 2024-01-01).",
        epilog="Sensors: A air temperature K, B process temperature K, C rotational speed rpm, D torque Nm, "
        "E tool wear min, F vibration mm/s. Anomalies come in 12-reading episodes with a failure_mode: "
        + ", ".join(MODE_NAMES) + ". Ten million readings: --rows 1000 --readings-per-equipment 10000.",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_EQUIPMENT,
                        help=f"machines in the equipment table (default {DEFAULT_EQUIPMENT:,})")
    sensors = parser.add_mutually_exclusive_group()
    sensors.add_argument("--readings-per-equipment", type=positive_int, metavar="N",
                         help=f"sensor readings per machine (default {DEFAULT_READINGS_PER_EQUIPMENT:,}: "
                         "two weeks at 10-minute sampling)")
    sensors.add_argument("--sensor-rows", type=positive_int, metavar="N",
                         help="sensor_data rows in total, spread evenly over the machines "
                         "(instead of --readings-per-equipment)")
    parser.add_argument("--sample-seconds", type=positive_int, default=DEFAULT_SAMPLE_SECONDS, metavar="S",
                        help=f"seconds between a machine's readings (default {DEFAULT_SAMPLE_SECONDS}); "
                        "all readings must fit in the window (--start to --end)")
    parser.add_argument("--maintenance", type=non_negative_int, metavar="N",
                        help=f"maintenance_records rows (default {MAINTENANCE_PER_EQUIPMENT} per machine)")
    parser.add_argument("--anomaly-rate", type=rate, default=0.05, metavar="RATE",
                        help="share of sensor_data rows flagged is_anomaly, 0..1 (default 0.05); "
                        "exact to the nearest row")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY,
                        help=f"output folder (default output/{INDUSTRY}); a /Volumes/... path works")
    parser.add_argument("--format", choices=FORMATS, default="parquet",
                        help="parquet (default), csv, json (JSON Lines) or delta")
    parser.add_argument("--locale", type=locale_name, default="en",
                        help="Mimesis locale for manufacturer and technician names (default en)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the planned rows and estimated size, write nothing")
    add_window_arguments(parser, DEFAULT_START, None, "sensor readings",
                         end_help="last day readings may fall on (default a year after --start); with --end and "
                         "no --readings-per-equipment/--sensor-rows, readings fill the window")
    add_quality_arguments(parser, DUPLICATE_TABLES, LATE_COLUMNS)
    add_unity_catalog_arguments(parser)
    return parser  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    started = time.perf_counter()

    fill_window = args.end is not None and args.readings_per_equipment is None and args.sensor_rows is None
    if args.end is None:
        args.end = years_before(args.start, -1) - timedelta(days=1)  # a year from --start (2024-12-31 by default)
    window_settings(parser, args)
    start = datetime(args.start.year, args.start.month, args.start.day, tzinfo=UTC)
    window_seconds = ((args.end - args.start).days + 1) * 86_400
    equipment = args.rows
    readings = window_seconds // args.sample_seconds if fill_window else args.readings_per_equipment or DEFAULT_READINGS_PER_EQUIPMENT
    sensor_rows = args.sensor_rows if args.sensor_rows is not None else equipment * readings
    maintenance = MAINTENANCE_PER_EQUIPMENT * equipment if args.maintenance is None else args.maintenance
    longest_series = -(-sensor_rows // equipment)
    if longest_series * args.sample_seconds > window_seconds:
        parser.error(
            f"{longest_series:,} readings per machine every {args.sample_seconds} s span "
            f"{longest_series * args.sample_seconds / 86_400:,.1f} days, past the end of {args.end} "
            f"({window_seconds // 86_400} days from {args.start}): lower --readings-per-equipment/--sensor-rows "
            "or --sample-seconds, raise --rows, or move --end"
        )
    layout = SensorLayout.plan(args.seed, equipment, sensor_rows, args.sample_seconds, args.anomaly_rate,
                               int(start.timestamp()) * 1_000_000, window_seconds)
    planned = {"equipment": equipment, "sensor_data": sensor_rows, "maintenance_records": maintenance}
    window_end = datetime.fromtimestamp(start.timestamp() + layout.span_seconds, UTC)
    # The readings window is what the data covers: late rows land past it, and its bounds (work
    # orders may open up to an hour after the last reading) replace the contracts' 2024 for the validator.
    readings_us = (layout.start_us, layout.start_us + layout.span_seconds * 1_000_000)
    quality = quality_settings(parser, args, SCHEMAS, KEY_COLUMNS, DUPLICATE_TABLES, LATE_COLUMNS, readings_us)
    install_first, install_last = years_before(args.start, INSTALL_YEARS), args.start - timedelta(days=1)
    last_reading = datetime.fromtimestamp(start.timestamp() + layout.span_seconds - 1, UTC)
    last_order = datetime.fromtimestamp(start.timestamp() + min(layout.span_seconds + RESPONSE_MINUTES[1] * 60,
                                                                window_seconds - 1), UTC)
    bounds = {
        "equipment.install_date": {"min": install_first.isoformat(), "max": install_last.isoformat()},
        "sensor_data.timestamp": {"min": f"{args.start}T00:00:00Z", "max": last_reading.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "maintenance_records.opened_at": {"min": f"{args.start}T00:00:00Z", "max": last_order.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "maintenance_records.completed_at": {"min": f"{args.start}T00:00:00Z", "max": last_reading.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }

    if args.dry_run:
        sizes = {table: rows * BYTES_PER_ROW[args.format][table] for table, rows in planned.items()}
        plan = {
            "dry_run": True,
            "output": str(args.output),
            "format": args.format,
            "seed": args.seed,
            "tables": {table: {"rows": rows, "estimated_bytes": sizes[table]} for table, rows in planned.items()},
            "estimated_bytes": sum(sizes.values()),
            "anomalous_rows": layout.anomalies,
            "readings_window": [start.isoformat(), window_end.isoformat()],
        }
        if args.catalog:
            plan["unity_catalog"] = [f"{args.catalog}.{args.schema}.{table}" for table in SCHEMAS]
        print(json.dumps(plan, indent=2))
        return plan

    target = unity_catalog_target(parser, args, list(SCHEMAS), GENERATOR, argv)
    directory = prepare_output_dir(parser, args.output)
    progress(f"manufacturing: {equipment:,} machines, {sensor_rows:,} readings, {maintenance:,} work orders "
             f"-> {directory} ({args.format})")  # fmt: skip
    pools = build_pools(args.seed, args.locale, equipment)
    builders = {
        "equipment": (partial(make_equipment, seed=args.seed, pools=pools, window_start=args.start), EQUIPMENT_SCHEMA),
        "sensor_data": (partial(make_sensor_data, layout=layout), SENSOR_SCHEMA),
        "maintenance_records": (partial(make_maintenance, layout=layout, pools=pools), MAINTENANCE_SCHEMA),
    }
    tables = {}
    for table, (make, schema) in builders.items():
        chunks = with_quality(quality, table, [partial(make, first, n) for first, n in chunk_bounds(planned[table])])
        tables[table] = timed(table, lambda: write_table(directory, table, args.format, chunks, schema))
    annotate_tables(quality, tables)
    injections = quality_manifest(quality)

    write_manifest(
        directory,
        {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": vars(args),
            "versions": library_versions(),
            "anomalies": {"rate": args.anomaly_rate, "flagged_rows": layout.anomalies,
                          "episode_readings": layout.episode},
            "readings_window": [start.isoformat(), window_end.isoformat()],
            "window": {"start": args.start.isoformat(), "end": args.end.isoformat()},
            "bounds": bounds,
            **({"quality_injections": injections} if injections else {}),
            "tables": tables,
        },
    )  # fmt: skip
    summary = {
        "output": str(directory),
        "seed": args.seed,
        "format": args.format,
        "tables": tables,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if injections:
        summary["quality_injections"] = injections
    if target is not None:
        try:
            summary["unity_catalog"] = publish_to_unity_catalog(target, directory, tables, SCHEMAS, INDUSTRY,
                                                                args.seed, GENERATOR)
        except OutputError as error:
            parser.exit(1, f"{parser.prog}: error: {error}\n")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
