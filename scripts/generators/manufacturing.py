# Databricks notebook source
# MAGIC %md
# MAGIC # Manufacturing synthetic data on Spark (dbldatagen)
# MAGIC
# MAGIC A machine shop's asset registry, its sensor history and its work orders, the same tables and
# MAGIC columns as the Tier 1 generator `scripts/generators/polars/manufacturing.py` and the contracts
# MAGIC `assets/schemas/manufacturing_*.json`:
# MAGIC
# MAGIC - `equipment` (`--rows`, default 100): type (weighted), manufacturer/model/rated power from a
# MAGIC   per-run catalogue, zone and line, install date 2012-2023, criticality, status.
# MAGIC - `sensor_data`: every machine x every sampling slot (`--readings-per-equipment`, default 2,016 =
# MAGIC   two weeks every `--sample-seconds` 600 from 2024-01-01 00:00 UTC). Sensors A air temperature K,
# MAGIC   B process temperature K, C speed rpm, D torque Nm, E tool wear min, F vibration mm/s, Normal
# MAGIC   around each type's operating point with the contract's true means and sds. `--anomaly-rate`
# MAGIC   (0.05) of the rows are flagged `is_anomaly`, exactly (to the nearest row): 12-reading episodes
# MAGIC   with a failure mode that bends the readings visibly.
# MAGIC - `maintenance_records` (`--maintenance`, default 2 per machine): Gamma downtime and cost by
# MAGIC   work-order type, weighted priorities; corrective orders answer an anomaly episode.
# MAGIC
# MAGIC Everything is SQL (ranges, values/weights, `expr`), so it runs the same in a notebook, over
# MAGIC Databricks Connect and on local Spark; keys are valid by construction and `--rows` is exact.
# MAGIC
# MAGIC **In a notebook**: run all; set the widgets (`catalog` + `schema` for Unity Catalog tables, or
# MAGIC `output` for a folder such as `/Volumes/main/demo/files/mfg`).
# MAGIC
# MAGIC **From a terminal** (never install pyspark and databricks-connect in one environment):
# MAGIC
# MAGIC     # Databricks Connect (serverless, or --profile NAME)
# MAGIC     uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \
# MAGIC         --with jmespath --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/manufacturing.py --catalog main --schema demo --rows 1000
# MAGIC     # local Spark
# MAGIC     uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 --with jmespath \
# MAGIC         --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/manufacturing.py --local --output output/manufacturing_spark

# COMMAND ----------

# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0

# COMMAND ----------

import argparse
import json
import math
import os
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

try:
    import dbldatagen as dg
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
except ImportError:  # reported with the command that installs them when a run needs them
    dg = DataFrame = F = None

INDUSTRY = "manufacturing"
GENERATOR = "scripts/generators/manufacturing.py"
TABLES = ("equipment", "sensor_data", "maintenance_records")
CONTRACT_FILES = {
    "equipment": "manufacturing_equipment.json",
    "sensor_data": "manufacturing_sensor_data.json",
    "maintenance_records": "manufacturing_maintenance.json",
}

# --- Sizes and windows (the Tier 1 generator's, so both tiers describe the same shop) -----------

DEFAULT_EQUIPMENT = 100
# Two weeks of 10-minute readings: daily cycles, tool changes and anomaly episodes all show.
DEFAULT_SAMPLE_SECONDS = 600
DEFAULT_READINGS_PER_EQUIPMENT = 14 * 24 * 6
MAINTENANCE_PER_EQUIPMENT = 2  # roughly a preventive visit plus the odd repair per machine
# Fixed window, never today's date: readings start at the first instant of 2024 and must end in it.
WINDOW_START = datetime(2024, 1, 1, tzinfo=UTC)
WINDOW_START_SECONDS = int(WINDOW_START.timestamp())
WINDOW_SECONDS = 366 * 86_400  # 2024 is a leap year
# Every machine was commissioned before the readings begin, so no reading predates its install.
INSTALL_FIRST = "2012-01-01"
INSTALL_DAYS = 4_383  # 2012-01-01 .. 2023-12-31 inclusive

# Rows per partition when --partitions is not given: big enough that Spark's per-task overhead is
# small, small enough that a laptop's cores share the sensor table. The partition count is part of
# the reproducibility contract: Spark's rand(seed) is seeded per partition.
ROWS_PER_PARTITION = 1_000_000
SMALL_TABLE_ROWS_PER_PARTITION = 10_000

# Random streams that are not one column's draws (per-machine profile, anomaly layout): named like
# columns and hashed with column_seed, so they change with --seed and with nothing else.
ANOMALY_SALT = 106  # Tier 1's salt: the same seed gives the same failure-mode order in both tiers
PERMUTATION_SALT = 109

# --- Equipment types and their operating points (output units; see the Tier 1 generator) -------
# AI4I 2020 (a mill) runs 1,540 +- 180 rpm at 40 +- 10 Nm; vibration is RMS velocity inside
# ISO 10816 zone A/B (< 2.8 mm/s) when healthy; tool life is cutting minutes between tool changes.
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

# Shop air: 25 degC, 1.5 K warmer mid-afternoon (15:00 UTC) than at night, 0.5 K sensor noise;
# sd over whole days sqrt(1.5**2 / 2 + 0.5**2) = 1.173 K.
AIR_MEAN_K = 298.15
AIR_DAILY_AMPLITUDE_K = 1.5
AIR_PEAK_HOUR = 15
AIR_NOISE_K = 0.5
AIR_SD_K = math.sqrt(AIR_DAILY_AMPLITUDE_K**2 / 2 + AIR_NOISE_K**2)
PROCESS_NOISE_K = 0.8  # process temperature = air + the type's rise + this noise (as in AI4I)
PROCESS_SD_K = math.sqrt(AIR_SD_K**2 + PROCESS_NOISE_K**2)
# Within a type, torque falls as speed rises (constant-power cutting; AI4I shows -0.88) and
# vibration rises with tool wear.
SPEED_TORQUE_CORRELATION = -0.85
WEAR_VIBRATION_CORRELATION = 0.30

# --- Anomalies ---------------------------------------------------------------------------------
# Episodes of 12 consecutive readings on one machine (two hours at 10-minute sampling); weights are
# shares of episodes, exact over every 100 episodes.
EPISODE_READINGS = 12
FAILURE_MODES = {
    "Overheating": 20,        # process temperature +8 K rising to +25 K (heat dissipation)
    "Bearing wear": 20,       # vibration x3 rising to x5 (ISO 10816 zone C/D)
    "Overstrain": 15,         # torque x1.8, speed x0.9
    "Power fluctuation": 15,  # speed alternates +35% / -35% reading to reading
    "Tool wear": 15,          # tool wear past the tool's life (+10 to +60 min), vibration x1.5-2.5
    "Sensor stuck": 10,       # all six sensors frozen at one plausible value for the episode
    "Sensor dropout": 5,      # all six sensors null
}  # fmt: skip
MODE_NAMES = list(FAILURE_MODES)
(OVERHEATING, BEARING, OVERSTRAIN, POWER, TOOL_WEAR, STUCK, DROPOUT) = range(len(MODE_NAMES))
MODE_POOL = np.repeat(np.arange(len(MODE_NAMES), dtype=np.int8), list(FAILURE_MODES.values()))
# Swap-or-not rounds of the slot permutation that places the episodes. Each round is a bijection,
# so any count is exact; 20 rounds make per-machine episode counts disperse like a random draw
# (variance within a few % of the hypergeometric one, measured for 168K and 12M slots).
PERMUTATION_ROUNDS = 20

# --- Registry attributes ------------------------------------------------------------------------
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
MODELS_PER_TYPE = 4  # a shop buys a few models from a few vendors
MANUFACTURER_COUNT = 10
MANUFACTURER_SUFFIXES = ["Machine Works", "Machine Tools", "Precision", "Industries", "Engineering", "Automation"]
POOL_SALT = 108  # Tier 1's: the same seed and locale give the same catalogue and crew in both tiers

# --- Work orders --------------------------------------------------------------------------------
# Downtime (hours) and cost (USD) are Gamma by type, mean = shape x scale. Shapes are whole numbers
# so a Gamma draw is a sum of `shape` exponentials, -ln(1 - rand): true parameters in plain SQL.
WORK_ORDER_TYPES = {
    "Preventive": dict(weight=45, downtime=(2, 1.0), cost=(2, 250.0)),
    "Corrective": dict(weight=25, downtime=(2, 3.0), cost=(2, 1500.0)),
    "Predictive": dict(weight=20, downtime=(2, 0.75), cost=(2, 400.0)),
    "Inspection": dict(weight=10, downtime=(2, 0.25), cost=(3, 50.0)),
}
WO_NAMES = list(WORK_ORDER_TYPES)
CORRECTIVE = WO_NAMES.index("Corrective")
PREDICTIVE = WO_NAMES.index("Predictive")
PRIORITIES = {"Low": 25, "Medium": 40, "High": 25, "Critical": 10}
RESPONSE_MINUTES = (5, 60)  # a corrective order is raised 5-60 minutes after the episode's last reading
TECHNICIANS_PER_EQUIPMENT = 0.1  # one technician per ten machines, at least 5, at most 500

# --- Output columns in contract order, with short comments for Unity Catalog when the contract
# files are not beside the script (a notebook imported on its own) ------------------------------
COLUMN_COMMENTS = {
    "equipment": {
        "equipment_id": "Asset tag EQ- plus the machine's 1-based number, six digits or more.",
        "type": "Machine type; fixes the sensor operating points and the model catalogue.",
        "manufacturer": "Fictional vendor: a surname plus an industrial suffix.",
        "model": "Model code of the type (VM, TL, MC, SG, DP, BS) and a series number.",
        "rated_power_kw": "Rated spindle/motor power of the model, kW.",
        "zone": "Plant zone (hall) the machine stands in.",
        "production_line": "Production line inside the zone.",
        "install_date": "Commissioning date, 2012-01-01..2023-12-31 (before every reading).",
        "criticality": "ABC criticality: how much production a stop of this machine costs.",
        "status": "Status in the registry at the end of the readings window.",
    },
    "sensor_data": {
        "equipment_id": "The machine read.",
        "timestamp": "Reading time, UTC: 2024-01-01 00:00 plus reading number x sample seconds.",
        "sensor_a": "Sensor A: air temperature, K.",
        "sensor_b": "Sensor B: process temperature, K.",
        "sensor_c": "Sensor C: rotational speed, rpm.",
        "sensor_d": "Sensor D: torque, Nm.",
        "sensor_e": "Sensor E: tool wear, minutes on the current tool.",
        "sensor_f": "Sensor F: vibration velocity RMS, mm/s.",
        "is_anomaly": "True on anomalous readings (share = --anomaly-rate, exact).",
        "failure_mode": "Failure mode of the anomaly episode; null exactly when is_anomaly is false.",
    },
    "maintenance_records": {
        "work_order_id": "Work order number WO- plus 8 digits.",
        "equipment_id": "Machine worked on.",
        "type": "Work-order type.",
        "priority": "Priority.",
        "status": "Completed, or In Progress when the work would end after the readings window.",
        "failure_mode": "Corrective: the answered episode's mode; Predictive: the predicted mode.",
        "opened_at": "When the order was opened, UTC.",
        "completed_at": "opened_at + downtime_hours; null while In Progress.",
        "downtime_hours": "Hours the machine stood still, Gamma by type.",
        "cost": "Labour and parts cost in USD, Gamma by type.",
        "technician": "Technician's full name.",
    },
}
TABLE_COMMENTS = {
    "equipment": "Synthetic asset registry of a machine shop: one row per machine.",
    "sensor_data": "Synthetic six-sensor readings per machine with flagged anomaly episodes.",
    "maintenance_records": "Synthetic maintenance work orders inside the sensor readings window.",
}

# COMMAND ----------

# Value pools, built once on the driver from Mimesis and passed to Spark as SQL literals, so every
# column stays pure SQL (no Python on the executors). Same construction as Tier 1.


@dataclass(frozen=True)
class Pools:
    catalogue: tuple  # (type, manufacturer, model, rated_power_kw), MODELS_PER_TYPE rows per type
    technicians: tuple


@lru_cache(maxsize=8)
def build_pools(seed: int, locale: str, equipment: int) -> Pools:
    from mimesis import Locale, Person

    person = Person(locale=Locale(locale), seed=seed)
    # Fictional vendors: the locale's surnames plus an industrial suffix, never a real brand.
    # Sorted after de-duplication: set order would depend on PYTHONHASHSEED.
    surnames = sorted(dict.fromkeys(person.last_name() for _ in range(10 * MANUFACTURER_COUNT)))
    rng = np.random.default_rng([seed, POOL_SALT])
    picked = rng.choice(len(surnames), min(MANUFACTURER_COUNT, len(surnames)), replace=False)
    suffixes = rng.integers(0, len(MANUFACTURER_SUFFIXES), len(picked))
    manufacturers = sorted(f"{surnames[i]} {MANUFACTURER_SUFFIXES[s]}" for i, s in zip(picked, suffixes))
    catalogue = []
    for type_name, spec in EQUIPMENT_TYPES.items():
        vendors = rng.choice(len(manufacturers), MODELS_PER_TYPE)
        series = rng.choice(np.arange(200, 1000, 10), MODELS_PER_TYPE, replace=False)
        # The operating point's mechanical power (torque x angular speed) with 1.5-2.5x headroom,
        # rounded to the half kilowatt motors are sold in.
        nominal_kw = spec["torque"][0] * spec["rpm"][0] * 2 * math.pi / 60 / 1000
        ratings = np.round(nominal_kw * rng.uniform(1.5, 2.5, MODELS_PER_TYPE) * 2) / 2
        for vendor, number, rating in zip(vendors, series, ratings):
            catalogue.append((type_name, manufacturers[vendor], f"{spec['code']}-{number}", float(rating)))
    crew = max(5, min(500, round(equipment * TECHNICIANS_PER_EQUIPMENT)))
    names = list(dict.fromkeys(person.full_name() for _ in range(3 * crew)))[:crew]
    return Pools(catalogue=tuple(catalogue), technicians=tuple(sorted(names)))


# COMMAND ----------

# SQL building blocks. Randomness comes from two sources, both seeded from --seed:
# - rand(s)/randn(s) with s = column_seed(seed, name): independent draws per row (Spark seeds them
#   per partition, so --partitions is part of the reproducibility contract);
# - hash_uniform(key, stream): what a machine *is* (its type, its tool's phase) or where an episode
#   lies, recomputed from the key in whichever table needs it, so tables agree without a join.


def sql_number(value) -> str:
    """A SQL literal for a Python number: doubles get the D suffix (a bare 1.5 is a DECIMAL)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, (int, np.integer)):
        return f"{int(value)}L"
    return f"{float(value)!r}D"


def sql_string(text: str) -> str:
    """A SQL string literal; Spark's default parser treats backslash as an escape character."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_array(values) -> str:
    return "array(" + ", ".join(sql_string(v) if isinstance(v, str) else sql_number(v) for v in values) + ")"


def pick(values, index_sql: str) -> str:
    """values[index] for a 0-based index expression."""
    return f"element_at({sql_array(values)}, CAST({index_sql} AS INT) + 1)"


def uniform_index(seed: int, name: str, count: int) -> str:
    """A uniform whole number 0..count-1. (dbldatagen's random ranges round rand x range, which
    gives both ends half the weight of the others; floor gives each value exactly 1/count.)"""
    return f"CAST(floor(rand({column_seed(seed, name)}) * {count}) AS BIGINT)"


def hash_uniform(key_sql: str, seed: int, stream: str) -> str:
    """A uniform [0, 1) number that depends only on (seed, stream, key): 53 bits of xxhash64."""
    return f"(shiftrightunsigned(xxhash64(CAST({key_sql} AS BIGINT), {column_seed(seed, stream)}L), 11) * {2.0**-53!r}D)"


def weighted_index(uniform_sql: str, weights: list[int]) -> str:
    """Category index for a uniform draw: one draw, cumulative shares (chained rand() calls would
    skew the shares)."""
    total, cumulative, cases = sum(weights), 0, []
    for index, weight in enumerate(weights[:-1]):
        cumulative += weight
        cases.append(f"WHEN {uniform_sql} < {cumulative / total!r}D THEN {index}")
    return f"CASE {' '.join(cases)} ELSE {len(weights) - 1} END"


def equipment_id_sql(machine_sql: str) -> str:
    return f"format_string('EQ-%06d', {machine_sql} + 1)"


def type_index_sql(machine_sql: str, seed: int) -> str:
    """The machine's type, weighted, from a hash of its number: the same in every table."""
    return weighted_index(hash_uniform(machine_sql, seed, "equipment type"), TYPE_WEIGHTS)


def by_type(values) -> str:
    """The machine type's parameter (needs the type_index column)."""
    return pick(values, "type_index")


def with_sql(spec, name: str, sql_type: str, sql: str, *depends_on: str, omit: bool = True):
    """An expression column; depends_on orders the build (dbldatagen builds in dependency rounds)."""
    return spec.withColumn(name, sql_type, expr=sql, baseColumn=list(depends_on) or "id", omit=omit)


def new_spec(spark, name: str, rows: int, seed: int, partitions: int):
    """A DataGenerator with partitions always given (over Connect dbldatagen would fall back to 200)
    and hash_fieldname, so any column without its own randomSeed still gets its own stream."""
    return dg.DataGenerator(spark, name=name, rows=rows, partitions=partitions, randomSeed=seed,
                            randomSeedMethod="hash_fieldname")


@dataclass(frozen=True)
class SensorLayout:
    """Where each sensor row sits (machine, reading) and which rows are anomalous.

    Machine-major rows: machine m's readings are rows m*R .. m*R+R-1 (the first ``longer`` machines
    get one more reading when --sensor-rows does not divide evenly). Each machine's readings are cut
    into *slots* of ``episode`` readings (a ragged tail is never a slot). A keyed permutation
    (swap-or-not, a bijection for any number of slots) ranks all slots; the slots ranked below
    ``full_episodes`` are anomaly episodes and the slot ranked ``full_episodes`` flags its first
    ``remainder`` readings: exactly ``anomalies`` rows, placed at random, decided per row in SQL.
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
    round_keys: tuple
    hash_keys: tuple
    mode_order: tuple

    @classmethod
    def plan(cls, seed: int, equipment: int, rows: int, sample_seconds: int, rate: float) -> "SensorLayout":
        per_equipment, longer = divmod(rows, equipment)
        anomalies = math.floor(rate * rows + 0.5)
        # Episodes as long as the shortest series allows; single readings when whole episodes
        # cannot hold the rate (very high rates with ragged tails). Same rule as Tier 1.
        for episode in (max(1, min(EPISODE_READINGS, per_equipment)), 1):
            slots_longer, slots_shorter = (per_equipment + 1) // episode, per_equipment // episode
            slots = longer * slots_longer + (equipment - longer) * slots_shorter
            if anomalies <= slots * episode:
                break
        # Failure modes cycle through a per-seed shuffle of the weighted pool by episode rank: every
        # 100 episodes carry the weights exactly, and the ranks (random slots) hide the cycle.
        mode_order = np.random.default_rng([seed, ANOMALY_SALT]).permutation(MODE_POOL)
        keys = np.random.default_rng([seed, PERMUTATION_SALT])
        round_keys = keys.integers(0, max(slots, 1), PERMUTATION_ROUNDS)
        hash_keys = keys.integers(0, 2**62, PERMUTATION_ROUNDS)
        return cls(seed, equipment, rows, per_equipment, longer, sample_seconds, anomalies, episode,
                   slots_longer, slots_shorter, slots, tuple(int(k) for k in round_keys),
                   tuple(int(k) for k in hash_keys), tuple(int(m) for m in mode_order))  # fmt: skip

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

    # -- SQL over a row number, a (machine, reading) pair or a slot -------------------------------

    def machine_sql(self, row: str) -> str:
        boundary = self.longer * (self.per_equipment + 1)
        if not self.longer:
            return f"({row} div {self.per_equipment})"
        if not self.per_equipment:
            return f"({row})"
        return f"IF({row} < {boundary}, {row} div {self.per_equipment + 1}, {self.longer} + ({row} - {boundary}) div {self.per_equipment})"

    def reading_sql(self, row: str) -> str:
        boundary = self.longer * (self.per_equipment + 1)
        if not self.longer:
            return f"({row} % {self.per_equipment})"
        if not self.per_equipment:
            return "0L"
        return f"IF({row} < {boundary}, {row} % {self.per_equipment + 1}, ({row} - {boundary}) % {self.per_equipment})"

    def slot_sql(self, machine: str, reading: str) -> str:
        """Global slot number of a reading, or -1 in a machine's ragged tail."""
        index = f"({reading} div {self.episode})"
        shorter_first = f"{self.longer * self.slots_longer} + ({machine} - {self.longer}) * {self.slots_shorter}"
        return (f"IF({machine} < {self.longer}, IF({index} < {self.slots_longer}, {machine} * {self.slots_longer} + {index}, -1), "
                f"IF({index} < {self.slots_shorter}, {shorter_first} + {index}, -1))")  # fmt: skip

    def slot_machine_sql(self, slot: str) -> str:
        boundary = self.longer * self.slots_longer
        return (f"IF({slot} < {boundary}, {slot} div {max(self.slots_longer, 1)}, "
                f"{self.longer} + ({slot} - {boundary}) div {max(self.slots_shorter, 1)})")  # fmt: skip

    def slot_first_reading_sql(self, slot: str) -> str:
        boundary = self.longer * self.slots_longer
        return (f"IF({slot} < {boundary}, {slot} % {max(self.slots_longer, 1)}, "
                f"({slot} - {boundary}) % {max(self.slots_shorter, 1)}) * {self.episode}")  # fmt: skip

    def permutation_sql(self, source: str, inverse: bool = False) -> str:
        """The keyed slot permutation of ``source`` (or its inverse): swap-or-not rounds, each pairing
        x with (key - x) mod slots and swapping when a keyed hash of the pair's larger member says so.
        Each round is a bijection and its own inverse, so the inverse runs the rounds backwards.

        One SQL ``aggregate`` loop rather than a column per round: unrolled, the rounds made Spark's
        generated code too large to JIT (2.5x slower at 2M rows) and the plan 20 projections deeper
        (slow to analyse over Connect), and a filter pushed through them nested 4**20 copies.
        """
        order = list(range(PERMUTATION_ROUNDS))[::-1 if inverse else 1]
        keys = sql_array([self.round_keys[i] for i in order])
        hashes = sql_array([self.hash_keys[i] for i in order])
        partner = f"pmod(element_at({keys}, i) - x, {self.slots}L)"
        return (f"aggregate(sequence(1, {PERMUTATION_ROUNDS}), CAST({source} AS BIGINT), (x, i) -> "
                f"IF((xxhash64(greatest(x, {partner}), element_at({hashes}, i)) & 1L) = 1L, {partner}, x))")

    def mode_sql(self, rank: str) -> str:
        return pick(self.mode_order, f"{rank} % {len(self.mode_order)}")


# COMMAND ----------

# equipment: one row per machine, id = machine number.


def build_equipment(spark, rows: int, seed: int, partitions: int, tier: int = 2, locale: str = "en") -> DataFrame:
    """The asset registry. Tier 2 and 3 build the same columns: all of them are SQL."""
    pools = build_pools(seed, locale, rows)
    catalogue = list(zip(*pools.catalogue))  # type, manufacturer, model, rated_power_kw columns
    lines, zones = zip(*LINE_ZONE)
    spec = new_spec(spark, "equipment", rows, seed, partitions)
    spec = with_sql(spec, "equipment_id", "string", equipment_id_sql("id"), omit=False)
    spec = with_sql(spec, "type_index", "int", type_index_sql("id", seed))
    # The catalogue lists MODELS_PER_TYPE models per type, type by type: a uniform model of the type.
    spec = with_sql(spec, "catalogue_row", "int",
                    f"type_index * {MODELS_PER_TYPE} + {uniform_index(seed, 'model', MODELS_PER_TYPE)}", "type_index")
    spec = with_sql(spec, "type", "string", by_type(TYPE_NAMES), "type_index", omit=False)
    for position, column in ((1, "manufacturer"), (2, "model"), (3, "rated_power_kw")):
        sql_type = "double" if column == "rated_power_kw" else "string"
        spec = with_sql(spec, column, sql_type, pick(catalogue[position], "catalogue_row"), "catalogue_row", omit=False)
    # Line and zone from one draw, so they agree; lines uniform, so bigger zones hold more machines.
    spec = with_sql(spec, "line_row", "int", uniform_index(seed, "production_line", len(LINE_ZONE)))
    spec = with_sql(spec, "zone", "string", pick(zones, "line_row"), "line_row", omit=False)
    spec = with_sql(spec, "production_line", "string", pick(lines, "line_row"), "line_row", omit=False)
    spec = with_sql(spec, "install_date", "date",
                    f"date_add(DATE'{INSTALL_FIRST}', CAST(floor(rand({column_seed(seed, 'install_date')}) * {INSTALL_DAYS}) AS INT))",
                    omit=False)  # fmt: skip
    for column, weights in (("criticality", CRITICALITY), ("status", EQUIPMENT_STATUS)):
        spec = spec.withColumn(column, "string", values=list(weights), weights=list(weights.values()),
                               random=True, randomSeed=column_seed(seed, column))
    return spec.build().select(*COLUMN_COMMENTS["equipment"])


# COMMAND ----------

# sensor_data: machines x sampling slots from the id column (machine = id div readings), so every
# reading's machine exists and the row count is exact by construction.


def build_sensor_data(spark, layout: SensorLayout, partitions: int, tier: int = 2) -> DataFrame:
    """Six-sensor readings with exact anomaly episodes. Tier 2 and 3 are the same SQL: Normal and
    uniform draws with the contract's true parameters (dbldatagen's distributions rescale per batch)."""
    seed = layout.seed
    spec = new_spec(spark, "sensor_data", layout.rows, seed, partitions)
    spec = with_sql(spec, "machine", "bigint", layout.machine_sql("id"))
    spec = with_sql(spec, "reading", "bigint", layout.reading_sql("id"))
    spec = with_sql(spec, "type_index", "int", type_index_sql("machine", seed), "machine")
    spec = with_sql(spec, "elapsed", "bigint", f"reading * {layout.sample_seconds}", "reading")
    for noise in ("air_noise", "process_noise", "speed_z", "torque_z", "vibration_z"):
        spec = with_sql(spec, noise, "double", f"randn({column_seed(seed, noise)})")

    specs = list(EQUIPMENT_TYPES.values())
    rpm_mean, rpm_sd = by_type([s["rpm"][0] for s in specs]), by_type([s["rpm"][1] for s in specs])
    torque_mean, torque_sd = by_type([s["torque"][0] for s in specs]), by_type([s["torque"][1] for s in specs])
    vibration_mean, vibration_sd = by_type([s["vibration"][0] for s in specs]), by_type([s["vibration"][1] for s in specs])
    rise, life = by_type([s["rise"] for s in specs]), by_type([float(s["tool_life"]) for s in specs])
    hour_of_day = "((elapsed % 86400) / 3600.0D)"
    spec = with_sql(spec, "air", "double",
                    f"{AIR_MEAN_K!r}D + {AIR_DAILY_AMPLITUDE_K!r}D * cos(2 * pi() * ({hour_of_day} - {AIR_PEAK_HOUR}) / 24) "
                    f"+ {AIR_NOISE_K!r}D * air_noise", "elapsed", "air_noise")  # fmt: skip
    spec = with_sql(spec, "process", "double", f"air + {rise} + {PROCESS_NOISE_K!r}D * process_noise",
                    "air", "type_index", "process_noise")
    spec = with_sql(spec, "speed", "double", f"{rpm_mean} + {rpm_sd} * speed_z", "type_index", "speed_z")
    rho = SPEED_TORQUE_CORRELATION
    spec = with_sql(spec, "torque", "double",
                    f"{torque_mean} + {torque_sd} * ({rho!r}D * speed_z + {math.sqrt(1 - rho**2)!r}D * torque_z)",
                    "type_index", "speed_z", "torque_z")
    # Tool wear counts cutting minutes since the last tool change: a saw-tooth from a per-machine
    # phase, uniform over 0 .. tool life across machines and time.
    spec = with_sql(spec, "life", "double", life, "type_index")
    phase = hash_uniform("machine", seed, "tool phase")
    spec = with_sql(spec, "wear", "double", f"pmod({phase} * life + elapsed / 60.0D, life)", "machine", "life", "elapsed")
    rho = WEAR_VIBRATION_CORRELATION
    wear_z = f"((wear - life / 2) / (life / {math.sqrt(12)!r}D))"
    spec = with_sql(spec, "vibration", "double",
                    f"{vibration_mean} + {vibration_sd} * ({rho!r}D * {wear_z} + {math.sqrt(1 - rho**2)!r}D * vibration_z)",
                    "type_index", "wear", "life", "vibration_z")

    if layout.anomalies:
        spec = with_sql(spec, "slot", "bigint", layout.slot_sql("machine", "reading"), "machine", "reading")
        spec = with_sql(spec, "rank", "bigint", f"IF(slot < 0, -1L, {layout.permutation_sql('slot')})", "slot")
        spec = with_sql(spec, "position", "bigint", f"reading % {layout.episode}", "reading")
        flagged = (f"rank >= 0 AND (rank < {layout.full_episodes} "
                   f"OR (rank = {layout.full_episodes} AND position < {layout.remainder}))")  # fmt: skip
        spec = with_sql(spec, "mode", "int", f"IF({flagged}, {layout.mode_sql('rank')}, -1)", "rank", "position")
        # A stuck block repeats one plausible reading (within 1 sd of normal) for the whole
        # episode: a value drawn from the episode's rank.
        spec = with_sql(spec, "level", "double", f"{hash_uniform('rank', seed, 'stuck level')} * 2 - 1", "rank")
    else:
        spec = with_sql(spec, "position", "bigint", "0L")
        spec = with_sql(spec, "mode", "int", "-1")
        spec = with_sql(spec, "level", "double", "0D")
    spec = with_sql(spec, "progress", "double", f"(position + 1) / {float(layout.episode)!r}D", "position")

    anomaly = ("mode", "level", "progress", "position", "type_index", "life")

    def sensor(spec, name: str, normal: str, decimals: int, stuck: str, *faults: tuple[int, str]):
        cases = " ".join(f"WHEN mode = {mode} THEN {value}" for mode, value in faults)
        value = f"CASE WHEN mode = {STUCK} THEN {stuck} {cases} ELSE {normal} END"
        # Physical quantities cannot go below zero; the clip touches only > 4.8 sd tails.
        return with_sql(spec, name, "double", f"IF(mode = {DROPOUT}, CAST(NULL AS DOUBLE), round(greatest({value}, 0D), {decimals}))",
                        normal, *anomaly, omit=False)  # fmt: skip

    spec = with_sql(spec, "equipment_id", "string", equipment_id_sql("machine"), "machine", omit=False)
    spec = with_sql(spec, "timestamp", "timestamp", f"timestamp_seconds({WINDOW_START_SECONDS}L + elapsed)", "elapsed", omit=False)
    spec = sensor(spec, "sensor_a", "air", 2, f"{AIR_MEAN_K!r}D + {AIR_SD_K!r}D * level")
    spec = sensor(spec, "sensor_b", "process", 2, f"{AIR_MEAN_K!r}D + {rise} + {PROCESS_SD_K!r}D * level",
                  (OVERHEATING, "process + 8 + 17 * progress"))
    spec = sensor(spec, "sensor_c", "speed", 1, f"{rpm_mean} + {rpm_sd} * level",
                  (OVERSTRAIN, "speed * 0.9D"), (POWER, "speed * IF(position % 2 = 0, 1.35D, 0.65D)"))
    spec = sensor(spec, "sensor_d", "torque", 2, f"{torque_mean} + {torque_sd} * level", (OVERSTRAIN, "torque * 1.8D"))
    spec = sensor(spec, "sensor_e", "wear", 1, f"life * (level + 1) / 2",
                  (TOOL_WEAR, "life + 10 + 50 * progress"))
    spec = sensor(spec, "sensor_f", "vibration", 3, f"{vibration_mean} + {vibration_sd} * level",
                  (BEARING, "vibration * (3 + 2 * progress)"), (TOOL_WEAR, "vibration * (1.5D + progress)"))
    spec = with_sql(spec, "is_anomaly", "boolean", "mode >= 0", "mode", omit=False)
    spec = with_sql(spec, "failure_mode", "string", f"IF(mode >= 0, {pick(MODE_NAMES, 'mode')}, CAST(NULL AS STRING))",
                    "mode", omit=False)
    return spec.build().select(*COLUMN_COMMENTS["sensor_data"])


# COMMAND ----------

# maintenance_records: work orders inside the readings window; corrective ones answer an episode.


def gamma_sql(seed: int, column: str, shapes: list[int], scales: list[float]) -> str:
    """Gamma(shape, scale) by work-order type with whole-number shapes: scale x a sum of `shape`
    exponentials -ln(1 - U), so the mean is shape x scale exactly (no rescaling)."""
    terms = [f"IF({by_type_index(shapes, 'type_index')} >= {k + 1}, -ln(1 - rand({column_seed(seed, f'{column}:{k}')})), 0D)"
             for k in range(max(shapes))]  # fmt: skip
    return f"{by_type_index(scales, 'type_index')} * ({' + '.join(terms)})"


def by_type_index(values, index_sql: str) -> str:
    return pick(values, index_sql)


def build_maintenance_records(spark, rows: int, layout: SensorLayout, partitions: int, tier: int = 2,
                              locale: str = "en") -> DataFrame:
    """Work orders 1..rows. Tier 2 and 3 build the same columns: all of them are SQL."""
    seed = layout.seed
    pools = build_pools(seed, locale, layout.equipment)
    spec = new_spec(spark, "maintenance_records", rows, seed, partitions)
    spec = with_sql(spec, "work_order_id", "string", "format_string('WO-%08d', id + 1)", omit=False)
    spec = spec.withColumn("type", "string", values=WO_NAMES, weights=[s["weight"] for s in WORK_ORDER_TYPES.values()],
                           random=True, randomSeed=column_seed(seed, "type"))
    spec = with_sql(spec, "type_index", "int", f"array_position({sql_array(WO_NAMES)}, type) - 1", "type")
    spec = spec.withColumn("priority", "string", values=list(PRIORITIES), weights=list(PRIORITIES.values()),
                           random=True, randomSeed=column_seed(seed, "priority"))
    # The mode a predictive order warns of, weighted like the episodes (also used by corrective
    # orders when there are no episodes to answer).
    spec = spec.withColumn("predicted_mode", "string", values=MODE_NAMES, weights=list(FAILURE_MODES.values()),
                           random=True, randomSeed=column_seed(seed, "predicted_mode"), omit=True)
    spec = with_sql(spec, "planned_machine", "bigint", uniform_index(seed, "planned_machine", layout.equipment))
    # Planned work starts on the minute, anywhere in the readings window.
    spec = with_sql(spec, "planned_open", "bigint",
                    f"{uniform_index(seed, 'planned_open', layout.span_seconds // 60)} * 60")
    corrective = f"type_index = {CORRECTIVE}"
    if layout.episodes:
        # A corrective order answers a random episode: same machine, opened a few minutes after its
        # last reading, same failure mode. Some episodes get none (false alarms), a few get two.
        spec = with_sql(spec, "episode", "bigint", uniform_index(seed, "episode", layout.episodes))
        spec = with_sql(spec, "episode_slot", "bigint", layout.permutation_sql("episode", inverse=True), "episode")
        spec = with_sql(spec, "episode_machine", "bigint", layout.slot_machine_sql("episode_slot"), "episode_slot")
        length = f"IF(episode < {layout.full_episodes}, {layout.episode}, {layout.remainder})"
        spec = with_sql(spec, "episode_end", "bigint",
                        f"({layout.slot_first_reading_sql('episode_slot')} + {length} - 1) * {layout.sample_seconds}",
                        "episode_slot", "episode")
        low, high = RESPONSE_MINUTES
        response = f"({low} + {uniform_index(seed, 'response_minutes', high - low + 1)}) * 60"
        # An episode in the final hour of 2024 gets its order at 23:59 at the latest.
        spec = with_sql(spec, "machine", "bigint", f"IF({corrective}, episode_machine, planned_machine)",
                        "type_index", "episode_machine", "planned_machine")
        spec = with_sql(spec, "opened", "bigint",
                        f"IF({corrective}, least(episode_end + {response}, {WINDOW_SECONDS - 60}L), planned_open)",
                        "type_index", "episode_end", "planned_open")
        spec = with_sql(spec, "failure_mode", "string",
                        f"CASE WHEN {corrective} THEN {pick(MODE_NAMES, layout.mode_sql('episode'))} "
                        f"WHEN type_index = {PREDICTIVE} THEN predicted_mode END",
                        "type_index", "episode", "predicted_mode", omit=False)  # fmt: skip
    else:
        spec = with_sql(spec, "machine", "bigint", "planned_machine", "planned_machine")
        spec = with_sql(spec, "opened", "bigint", "planned_open", "planned_open")
        spec = with_sql(spec, "failure_mode", "string",
                        f"IF(type_index IN ({CORRECTIVE}, {PREDICTIVE}), predicted_mode, CAST(NULL AS STRING))",
                        "type_index", "predicted_mode", omit=False)
    downtime_shape, downtime_scale = zip(*(s["downtime"] for s in WORK_ORDER_TYPES.values()))
    cost_shape, cost_scale = zip(*(s["cost"] for s in WORK_ORDER_TYPES.values()))
    # Every order stops the machine for at least 0.01 h (36 s); hours to 0.01, dollars to cents.
    spec = with_sql(spec, "downtime_hours", "double",
                    f"greatest(round({gamma_sql(seed, 'downtime_hours', downtime_shape, downtime_scale)}, 2), 0.01D)",
                    "type_index", omit=False)
    spec = with_sql(spec, "cost", "decimal(12,2)", f"round({gamma_sql(seed, 'cost', cost_shape, cost_scale)}, 2)",
                    "type_index", omit=False)
    spec = with_sql(spec, "completed", "bigint", "opened + CAST(round(downtime_hours * 3600) AS BIGINT)",
                    "opened", "downtime_hours")
    # Orders whose work would finish after the window closes are still open at the snapshot.
    in_progress = f"completed >= {layout.span_seconds}"
    spec = with_sql(spec, "status", "string", f"IF({in_progress}, 'In Progress', 'Completed')", "completed", omit=False)
    spec = with_sql(spec, "equipment_id", "string", equipment_id_sql("machine"), "machine", omit=False)
    spec = with_sql(spec, "opened_at", "timestamp", f"timestamp_seconds({WINDOW_START_SECONDS}L + opened)", "opened", omit=False)
    spec = with_sql(spec, "completed_at", "timestamp",
                    f"IF({in_progress}, CAST(NULL AS TIMESTAMP), timestamp_seconds({WINDOW_START_SECONDS}L + completed))",
                    "completed", omit=False)
    spec = with_sql(spec, "technician", "string",
                    pick(pools.technicians, uniform_index(seed, "technician", len(pools.technicians))), omit=False)
    return spec.build().select(*COLUMN_COMMENTS["maintenance_records"])


# COMMAND ----------

# Session selection and column seeds: copied verbatim from scripts/utils/spark_session.py (a test
# keeps the copies identical).

LOCAL_SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}

CONNECT_COMMAND = ('uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 '
                   '--with jmespath --with pyparsing {script}')
LOCAL_COMMAND = ('uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 '
                 '--with jmespath --with pyparsing {script} --local')


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


def column_seed(seed, column):
    """The randomSeed for one dbldatagen column: stable across processes, distinct per column.

    Pass it per column — ``withColumn(name, ..., random=True, randomSeed=column_seed(seed, name))``.
    dbldatagen's own choices fail here: ``randomSeed=S`` alone ("fixed") seeds every column with
    the same S, so columns with equal ranges come out equal; ``randomSeedMethod="hash_fieldname"``
    seeds each column with ``hash('<name>')`` and ignores S, so every seed gives the same data.
    (``hash`` in Python is salted per process, hence crc32.)
    """
    return zlib.crc32(f"{seed}:{column}".encode()) & 0x7FFFFFFF


# COMMAND ----------

# Output: Unity Catalog tables (marked synthetic, commented from the contracts) or a folder of part
# files per table plus _manifest.json, the Tier 1 layout the validator reads.

FORMATS = ("parquet", "delta", "csv", "json")
SYNTHETIC_PROPERTY = "synthetic"


class OutputRefused(Exception):
    """The destination cannot be written as asked; the message says why and what to do."""


def quote_identifier(name: str) -> str:
    """A backquoted SQL identifier: a hostile name stays a name, never SQL."""
    return "`" + name.replace("`", "``") + "`"


def table_name(catalog: str, schema: str, table: str) -> str:
    return ".".join(quote_identifier(part) for part in (catalog, schema, table))


def contract_comments(table: str) -> tuple[str, dict[str, str]]:
    """The contract's table and column descriptions when its file is beside the script (a checkout
    of the skill), else the short comments above (a notebook imported on its own)."""
    try:
        path = Path(__file__).resolve().parents[2] / "assets" / "schemas" / CONTRACT_FILES[table]
    except NameError:  # notebooks have no __file__
        path = None
    if path is not None and path.is_file():
        contract = json.loads(path.read_text())
        return contract["description"], {c["name"]: c["description"] for c in contract["columns"]}
    return TABLE_COMMENTS[table], COLUMN_COMMENTS[table]


def with_column_comments(frame: DataFrame, comments: dict[str, str]) -> DataFrame:
    """Column comments travel as field metadata, which saveAsTable/writeTo store with the table."""
    return frame.select(*(F.col(c).alias(c, metadata={"comment": comments[c]}) if c in comments else F.col(c)
                          for c in frame.columns))


def table_properties(spark, name: str) -> dict[str, str]:
    return {row[0]: row[1] for row in spark.sql(f"SHOW TBLPROPERTIES {name}").collect()}


def check_catalog_destination(spark, catalog: str, schema: str, tables, mode: str) -> None:
    """Refuse before anything is written: a missing catalog, an existing table in error mode, or an
    existing table this tool did not create (no synthetic marker) in overwrite mode."""
    catalogs = {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}
    if catalog.lower() not in catalogs:
        raise OutputRefused(f"catalog {catalog!r} does not exist (or you cannot see it): create it first "
                            f"(CREATE CATALOG {quote_identifier(catalog)}) or pass another --catalog; "
                            f"visible catalogs: {', '.join(sorted(catalogs)) or 'none'}")
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(catalog)}.{quote_identifier(schema)}")
    for table in tables:
        name = table_name(catalog, schema, table)
        if not spark.catalog.tableExists(f"{catalog}.{schema}.{table}"):
            continue
        if mode == "error":
            raise OutputRefused(f"table {name} already exists: pass --mode overwrite to replace it "
                                "(only tables this generator created are replaced), or another --schema")
        if table_properties(spark, name).get(SYNTHETIC_PROPERTY) != "true":
            raise OutputRefused(f"table {name} exists and is not marked {SYNTHETIC_PROPERTY}='true': it was not "
                                "created by this generator, so it is not replaced; drop it yourself or pass another --schema")


def write_catalog_table(spark, frame: DataFrame, catalog: str, schema: str, table: str, fmt: str,
                        properties: dict[str, str]) -> str:
    """Create (or replace one of our own) table in one step with its marker properties."""
    name = table_name(catalog, schema, table)
    table_comment, column_comments = contract_comments(table)
    writer = with_column_comments(frame, column_comments).writeTo(name).using(fmt)
    for key, value in properties.items():
        writer = writer.tableProperty(key, value)
    if spark.catalog.tableExists(f"{catalog}.{schema}.{table}"):  # marked ours: checked beforehand
        try:
            writer.createOrReplace()  # atomic on Delta / Unity Catalog
        except Exception as error:
            # File-source tables of the local catalog cannot be replaced in one step.
            if "REPLACE TABLE" not in str(error):
                raise
            spark.sql(f"DROP TABLE {name}")
            writer.create()
    else:
        writer.create()
    spark.sql(f"COMMENT ON TABLE {name} IS {sql_string(table_comment)}")
    return name


def local_path(directory: str) -> Path | None:
    """The folder as this process sees it, or None when only the Spark server can (a remote
    session writing to /Volumes/... from a laptop)."""
    path = Path(directory)
    if path.exists() or path.parent.exists():
        return path
    return None


def folder_bytes(path: Path) -> int:
    """Every file under the folder: the rule the validator checks the manifest's bytes with."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def check_folder_destination(directory: str, tables, mode: str) -> None:
    """Refuse before anything is written: a file in the way, an existing table folder in error mode,
    or, in overwrite mode, folders that no run of this generator wrote (no manifest naming it)."""
    path = local_path(directory)
    if path is None:
        return  # only the server sees it: Spark's own error mode refuses an existing folder
    if path.exists() and not path.is_dir():
        raise OutputRefused(f"--output {directory} is a file, not a folder")
    existing = [table for table in tables if (path / table).exists()]
    if not existing:
        return
    if mode == "error":
        raise OutputRefused(f"{', '.join(existing)} already exist in {directory}: pass --mode overwrite to replace "
                            "them (only folders this generator wrote), or another --output")
    try:
        manifest = json.loads((path / "_manifest.json").read_text())
    except (OSError, ValueError):
        manifest = {}
    if manifest.get("generator") != GENERATOR:
        raise OutputRefused(f"{', '.join(existing)} in {directory} were not written by {GENERATOR} (no _manifest.json "
                            "naming it): not replaced; remove them yourself or pass another --output")


def write_folder_table(frame: DataFrame, directory: str, table: str, fmt: str, mode: str) -> dict:
    writer = frame.write.format(fmt).mode("overwrite" if mode == "overwrite" else "error")
    if fmt == "parquet":
        writer = writer.option("compression", "zstd")
    elif fmt == "csv":
        # Offsets on timestamps: "timestamp" means a UTC instant, and the validator insists on it.
        writer = writer.option("header", "true").option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
    target = f"{directory.rstrip('/')}/{table}"
    writer.save(target)
    info = {"path": table}
    path = local_path(directory)
    if path is not None and (path / table).is_dir():
        info["bytes"] = folder_bytes(path / table)
    return info


def write_manifest(directory: str, manifest: dict) -> str | None:
    """DIR/_manifest.json, written last and atomically; through the Databricks SDK when only the
    workspace sees the folder (a Unity Catalog volume written over Databricks Connect)."""
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    path = local_path(directory)
    if path is not None:
        final = path / "_manifest.json"
        temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        temporary.write_text(text)
        os.replace(temporary, final)
        return str(final)
    if directory.startswith("/Volumes/"):
        import io

        from databricks.sdk import WorkspaceClient

        target = f"{directory.rstrip('/')}/_manifest.json"
        WorkspaceClient().files.upload(target, io.BytesIO(text.encode()), overwrite=True)
        return target
    progress(f"note: {directory} is not visible from this machine; _manifest.json not written")
    return None


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


# COMMAND ----------

# Command line (and notebook widgets), plan, run.


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


def locale_name(text: str) -> str:
    """argparse type: a Mimesis locale code such as en, de, pt-br."""
    try:
        from mimesis import Locale
    except ImportError:
        raise argparse.ArgumentTypeError("the name pools need Mimesis: add --with mimesis==22.2.0 to the uv "
                                         "command (in a notebook: %pip install mimesis==22.2.0)") from None
    known = sorted(locale.value for locale in Locale)
    if text.lower() not in known:
        raise argparse.ArgumentTypeError(f"unknown locale {text!r}; Mimesis knows {', '.join(known)}")
    return text.lower()


def in_notebook() -> bool:
    return bool(os.environ.get("DATABRICKS_RUNTIME_VERSION")) and globals().get("dbutils") is not None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manufacturing.py",
        description="Generate equipment, sensor_data and maintenance_records for a machine shop on Spark "
        "(dbldatagen, SQL columns only), into Unity Catalog (--catalog/--schema) or a folder (--output).",
        epilog="Sensors: A air temperature K, B process temperature K, C rotational speed rpm, D torque Nm, "
        "E tool wear min, F vibration mm/s. Anomalies come in 12-reading episodes with a failure_mode: "
        + ", ".join(MODE_NAMES) + ". The same --seed, sizes and --partitions give the same data.",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_EQUIPMENT,
                        help=f"machines in the equipment table (default {DEFAULT_EQUIPMENT:,})")
    sensors = parser.add_mutually_exclusive_group()
    sensors.add_argument("--readings-per-equipment", type=positive_int, metavar="N",
                         help=f"sensor readings per machine (default {DEFAULT_READINGS_PER_EQUIPMENT:,}: "
                         "two weeks at 10-minute sampling)")
    sensors.add_argument("--sensor-rows", type=positive_int, metavar="N",
                         help="sensor_data rows in total, spread evenly over the machines")
    parser.add_argument("--sample-seconds", type=positive_int, default=DEFAULT_SAMPLE_SECONDS, metavar="S",
                        help=f"seconds between a machine's readings (default {DEFAULT_SAMPLE_SECONDS}); "
                        "all readings must fit in 2024")
    parser.add_argument("--maintenance", type=non_negative_int, metavar="N",
                        help=f"maintenance_records rows (default {MAINTENANCE_PER_EQUIPMENT} per machine)")
    parser.add_argument("--anomaly-rate", type=rate, default=0.05, metavar="RATE",
                        help="share of sensor_data rows flagged is_anomaly, 0..1 (default 0.05); exact to the nearest row")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--locale", type=locale_name, default="en",
                        help="Mimesis locale for manufacturer and technician names (default en)")
    parser.add_argument("--catalog", help="Unity Catalog catalog to write tables into (must exist); needs --schema")
    parser.add_argument("--schema", help="schema inside --catalog (created if missing)")
    parser.add_argument("--output", metavar="DIR",
                        help="folder to write DIR/<table>/ part files and DIR/_manifest.json into "
                        "(local path, or /Volumes/... on Databricks)")
    parser.add_argument("--format", choices=FORMATS,
                        help="table format: delta (default for --catalog), parquet (default for --output), csv, json")
    parser.add_argument("--mode", choices=("error", "overwrite"), default="error",
                        help="error (default): refuse existing tables; overwrite: replace tables this generator made")
    parser.add_argument("--tier", type=int, choices=(2, 3),
                        help="2 = Connect-safe features only (default outside a notebook), 3 = notebook (default "
                        "there). Every manufacturing column is SQL, so both build the same data")
    parser.add_argument("--partitions", type=positive_int,
                        help=f"Spark partitions per table, at most (default: one per {ROWS_PER_PARTITION:,} sensor rows, "
                        "at least 2). Part of the reproducibility contract: rand(seed) is seeded per partition")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="generate on a local pyspark session")
    where.add_argument("--remote", metavar="URL", help="Spark Connect URL, e.g. sc://localhost:15002")
    parser.add_argument("--profile", help="Databricks config profile (default: DEFAULT auth, serverless)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (rows, partitions, target), start no Spark")
    return parser  # fmt: skip


# Widgets a notebook shows, by argparse destination; flags become true/false dropdowns.
NOTEBOOK_WIDGETS = ("rows", "readings_per_equipment", "sensor_rows", "sample_seconds", "maintenance",
                    "anomaly_rate", "seed", "locale", "catalog", "schema", "output", "format", "mode", "tier",
                    "partitions", "dry_run")


def widget_arguments(parser: argparse.ArgumentParser, dbutils) -> list[str]:
    """The notebook's widgets (created with the command line's names and defaults) as arguments."""
    actions = {action.dest: action for action in parser._actions}
    argv = []
    for name in NOTEBOOK_WIDGETS:
        action = actions[name]
        flag = action.option_strings[-1]
        if action.nargs == 0:
            dbutils.widgets.dropdown(name, "false", ["false", "true"])
            if dbutils.widgets.get(name) == "true":
                argv.append(flag)
            continue
        default = "3" if name == "tier" else "" if action.default is None else str(action.default)
        dbutils.widgets.text(name, default)
        value = dbutils.widgets.get(name).strip()
        if value:
            argv += [flag, value]
    return argv


def parse_arguments(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    if argv is None and in_notebook():
        argv = widget_arguments(parser, globals()["dbutils"])
    elif argv is None and "ipykernel" in sys.modules:
        argv = []  # a Jupyter kernel's own argv (-f kernel.json) is not ours: call main([...]) instead
    args = parser.parse_args(argv)
    if args.tier is None:
        args.tier = 3 if in_notebook() else 2
    if (args.catalog is None) != (args.schema is None):
        parser.error("--catalog and --schema go together: pass both (tables go to catalog.schema.<table>)")
    if args.catalog is None and args.output is None:
        parser.error("say where the tables go: --catalog C --schema S (Unity Catalog) or --output DIR (a folder)")
    if args.catalog is not None and args.output is not None:
        parser.error("pass either --catalog/--schema or --output, not both")
    if args.profile and (args.local or args.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    if args.format is None:
        args.format = "delta" if args.catalog else "parquet"
    sensor_rows = args.sensor_rows or args.rows * (args.readings_per_equipment or DEFAULT_READINGS_PER_EQUIPMENT)
    longest_series = -(-sensor_rows // args.rows)
    if longest_series * args.sample_seconds > WINDOW_SECONDS:
        parser.error(
            f"{longest_series:,} readings per machine every {args.sample_seconds} s span "
            f"{longest_series * args.sample_seconds / 86_400:,.1f} days, past the end of 2024 (366 days): "
            "lower --readings-per-equipment/--sensor-rows or --sample-seconds, or raise --rows"
        )
    return parser, args


@dataclass(frozen=True)
class Plan:
    layout: SensorLayout
    rows: dict
    partitions: dict


def plan_run(args: argparse.Namespace) -> Plan:
    equipment = args.rows
    readings = args.readings_per_equipment or DEFAULT_READINGS_PER_EQUIPMENT
    sensor_rows = args.sensor_rows if args.sensor_rows is not None else equipment * readings
    maintenance = MAINTENANCE_PER_EQUIPMENT * equipment if args.maintenance is None else args.maintenance
    layout = SensorLayout.plan(args.seed, equipment, sensor_rows, args.sample_seconds, args.anomaly_rate)
    rows = {"equipment": equipment, "sensor_data": sensor_rows, "maintenance_records": maintenance}
    most = args.partitions or min(10_000, max(2, -(-sensor_rows // ROWS_PER_PARTITION)))
    # Small tables get one partition per SMALL_TABLE_ROWS_PER_PARTITION rows: no hundred tiny files.
    partitions = {table: max(1, min(most, -(-count // SMALL_TABLE_ROWS_PER_PARTITION))) for table, count in rows.items()}
    return Plan(layout, rows, partitions)


def build_tables(spark, args: argparse.Namespace, plan: Plan) -> dict:
    """The three DataFrames (lazy: nothing runs until they are written)."""
    layout, rows, partitions = plan.layout, plan.rows, plan.partitions
    return {
        "equipment": build_equipment(spark, rows["equipment"], args.seed, partitions["equipment"], args.tier, args.locale),
        "sensor_data": build_sensor_data(spark, layout, partitions["sensor_data"], args.tier),
        "maintenance_records": build_maintenance_records(spark, rows["maintenance_records"], layout,
                                                         partitions["maintenance_records"], args.tier, args.locale),
    }  # fmt: skip


def generate(spark, args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> dict:
    """Check the destination, build and write every table (parents first), return the summary."""
    started = time.perf_counter()
    plan = plan_run(args)
    destination = f"{args.catalog}.{args.schema}" if args.catalog else args.output
    try:
        if args.catalog:
            check_catalog_destination(spark, args.catalog, args.schema, TABLES, args.mode)
        else:
            check_folder_destination(args.output, TABLES, args.mode)
    except OutputRefused as refused:
        if parser is None:
            raise
        parser.error(str(refused))
    progress(f"manufacturing: {plan.rows['equipment']:,} machines, {plan.rows['sensor_data']:,} readings, "
             f"{plan.rows['maintenance_records']:,} work orders -> {destination} ({args.format}, tier {args.tier})")
    frames = build_tables(spark, args, plan)
    properties = {SYNTHETIC_PROPERTY: "true", "generator": GENERATOR, "seed": str(args.seed)}
    tables = {}
    for table, frame in frames.items():
        table_started = time.perf_counter()
        if args.catalog:
            info = {"target": write_catalog_table(spark, frame, args.catalog, args.schema, table, args.format, properties)}
        else:
            info = write_folder_table(frame, args.output, table, args.format, args.mode)
            info["target"] = f"{args.output.rstrip('/')}/{table}"
        info = {"rows": plan.rows[table], **info, "seconds": round(time.perf_counter() - table_started, 3)}
        tables[table] = info
        progress(f"  {table}: {info['rows']:,} rows in {info['seconds']:.2f}s")
    if args.output:
        write_manifest(args.output, {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": vars(args),
            "partitions": plan.partitions,
            "anomalies": {"rate": args.anomaly_rate, "flagged_rows": plan.layout.anomalies,
                          "episode_readings": plan.layout.episode},
            "tables": {table: {k: v for k, v in info.items() if k != "target"} for table, info in tables.items()},
        })  # fmt: skip
    return {
        "destination": destination,
        "seed": args.seed,
        "format": args.format,
        "tier": args.tier,
        "tables": tables,
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser, args = parse_arguments(argv)
    plan = plan_run(args)
    if args.dry_run:
        summary = {
            "dry_run": True,
            "destination": f"{args.catalog}.{args.schema}" if args.catalog else args.output,
            "format": args.format,
            "seed": args.seed,
            "tier": args.tier,
            "tables": {t: {"rows": plan.rows[t], "partitions": plan.partitions[t]} for t in TABLES},
            "anomalous_rows": plan.layout.anomalies,
        }
        print(json.dumps(summary, indent=2))
        return summary
    if args.output:  # a refusal that needs no Spark comes before the session starts
        try:
            check_folder_destination(args.output, TABLES, args.mode)
        except OutputRefused as refused:
            parser.error(str(refused))
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "manufacturing.py"
    if dg is None:
        command = LOCAL_COMMAND if args.local else CONNECT_COMMAND
        parser.error(f"dbldatagen and pyspark (or databricks-connect) are needed; run: {command.format(script=script)}")
    spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
    summary = generate(spark, args, parser)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
