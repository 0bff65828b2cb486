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
except ImportError:  # reported with the command that installs them when a run needs them
    dg = DataFrame = None

INDUSTRY = "manufacturing"
GENERATOR = "scripts/generators/manufacturing.py"
TABLES = ("equipment", "sensor_data", "maintenance_records")

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

# The anomaly layout's driver-side draws (failure-mode order, permutation keys) come from NumPy
# streams [seed, salt]; ANOMALY_SALT is Tier 1's, so a seed gives the same mode order in both tiers.
ANOMALY_SALT = 106
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

# --- Output columns (contract order and types) and the contracts' descriptions ------------------
SCHEMAS = {  # the contracts' column names and Spark SQL types, in order
    'equipment': {
        'equipment_id': 'string', 'type': 'string', 'manufacturer': 'string', 'model': 'string',
        'rated_power_kw': 'double', 'zone': 'string', 'production_line': 'string', 'install_date': 'date',
        'criticality': 'string', 'status': 'string',
    },
    'sensor_data': {
        'equipment_id': 'string', 'timestamp': 'timestamp', 'sensor_a': 'double', 'sensor_b': 'double',
        'sensor_c': 'double', 'sensor_d': 'double', 'sensor_e': 'double', 'sensor_f': 'double',
        'is_anomaly': 'boolean', 'failure_mode': 'string',
    },
    'maintenance_records': {
        'work_order_id': 'string', 'equipment_id': 'string', 'type': 'string', 'priority': 'string',
        'status': 'string', 'failure_mode': 'string', 'opened_at': 'timestamp', 'completed_at': 'timestamp',
        'downtime_hours': 'double', 'cost': 'decimal(12,2)', 'technician': 'string',
    },
}
# The contracts' descriptions, for Unity Catalog table and column comments (a notebook has no
# assets/ folder beside it; tests keep these equal to the contract files).
COMMENTS = {
    'equipment': {
        "table": (
            'Asset registry of a machine shop: one row per machine with its type (weighted), '
            'manufacturer and model from a per-run catalogue that agrees with the type, plant zone '
            'and production line (they agree), install date before the sensor readings begin, '
            'criticality and status.'
        ),
        "columns": {
            'equipment_id': "Asset tag EQ- plus the machine's 1-based number, zero-padded to six digits.",
            'type': (
                "Machine type. Fixes the machine's sensor operating points (see sensor_data) and its "
                'catalogue of models.'
            ),
            'manufacturer': (
                "Fictional vendor: a surname from the --locale's Mimesis pool plus an industrial "
                'suffix (Machine Works, Machine Tools, Precision, Industries, Engineering, '
                'Automation); 10 per run, each type bought from up to 4 of them.'
            ),
            'model': (
                "Model: the type's code (VM mill, TL lathe, MC machining center, SG grinder, DP drill"
                ' press, BS band saw) and a series number; 4 catalogue entries per type, drawn '
                'uniformly.'
            ),
            'rated_power_kw': (
                "Rated spindle/motor power in kW of the model: the type's operating torque x angular "
                'speed with 1.5-2.5x headroom, rounded to 0.5 kW.'
            ),
            'zone': 'Plant zone (hall) the machine stands in; drawn together with production_line.',
            'production_line': (
                'Production line inside the zone (Line A1 is in Zone A); lines drawn uniformly, so '
                'larger zones hold more machines.'
            ),
            'install_date': (
                'Commissioning date, uniform over 2012-01-01..2023-12-31: every machine is installed '
                'before its first sensor reading (2024-01-01).'
            ),
            'criticality': 'ABC criticality: how much production a stop of this machine costs.',
            'status': 'Status in the registry at the end of the readings window.',
        },
    },
    'sensor_data': {
        "table": (
            'Six-sensor readings per machine at a regular interval (default every 600 s from '
            '2024-01-01 00:00 UTC, two weeks), predictive-maintenance style (cf. AI4I 2020). Normal '
            "readings sit around the machine type's operating points, physically coupled: process "
            'temperature follows air temperature, torque falls as speed rises, vibration rises with '
            'tool wear. --anomaly-rate of the rows (default 0.05, exact to the nearest row) are '
            'flagged is_anomaly: episodes of 12 consecutive readings on one machine (single readings '
            'when a series is shorter or the rate leaves no room), each with a failure_mode that '
            'bends the readings visibly.'
        ),
        "columns": {
            'equipment_id': 'The machine read.',
            'timestamp': (
                'Reading time, UTC: 2024-01-01 00:00 plus reading number x --sample-seconds (default '
                "600). Never before the machine's install_date."
            ),
            'sensor_a': (
                'Sensor A: air (ambient) temperature in kelvin (K), 0.01 K resolution. Shop air at '
                '298.15 K (25 degC) with a daily cycle of +-1.5 K peaking at 15:00 UTC plus 0.5 K '
                'noise (sd over whole days sqrt(1.5^2/2 + 0.5^2) = 1.173 K). Null only in Sensor '
                'dropout episodes.'
            ),
            'sensor_b': (
                'Sensor B: process temperature in kelvin (K), 0.01 K resolution: sensor_a plus the '
                "type's rise (7-14 K; AI4I uses +10 K) plus 0.8 K noise. Overheating episodes add 8 K"
                ' rising to 25 K.'
            ),
            'sensor_c': (
                'Sensor C: spindle/motor rotational speed in revolutions per minute (rpm), 0.1 rpm '
                "resolution. Normal around the type's operating point. Overstrain episodes x0.9; "
                'Power fluctuation episodes alternate x1.35 / x0.65.'
            ),
            'sensor_d': (
                "Sensor D: torque in newton-metres (Nm), 0.01 Nm resolution. Normal around the type's"
                ' operating point, correlated -0.85 with sensor_c within a type (constant-power '
                'cutting: faster spindle, less torque). Overstrain episodes x1.8.'
            ),
            'sensor_e': (
                'Sensor E: tool wear in minutes (min) of cutting on the current tool, 0.1 min '
                'resolution. A saw-tooth that grows by --sample-seconds/60 per reading and resets at '
                "the type's tool life (150-480 min; AI4I changes tools at 200-240 min), from a "
                'per-machine phase: uniform over 0..tool life. Tool wear episodes read 10 to 60 min '
                'past the tool life.'
            ),
            'sensor_f': (
                'Sensor F: vibration velocity in millimetres per second RMS (mm/s), 0.001 mm/s '
                "resolution. Around the type's level (ISO 10816 zone A/B when healthy), correlated "
                '+0.30 with sensor_e (worn tools vibrate more) plus normal noise. Bearing wear '
                'episodes x3 rising to x5 (zone C/D); Tool wear episodes x1.5 rising to x2.5.'
            ),
            'is_anomaly': (
                'True on anomalous readings. The share of true rows is --anomaly-rate (default 0.05) '
                'exactly, up to half a row: round(rate x rows) rows, in episodes placed at random '
                'slots by a seeded permutation.'
            ),
            'failure_mode': (
                'Failure mode of the anomaly episode; null exactly when is_anomaly is false. Effects '
                '(f = position in episode / 12): Overheating sensor_b +8+17f K; Bearing wear sensor_f'
                ' x(3+2f); Overstrain sensor_d x1.8 and sensor_c x0.9; Power fluctuation sensor_c '
                'alternately x1.35 / x0.65; Tool wear sensor_e = tool life + 10 + 50f min and '
                'sensor_f x(1.5+f); Sensor stuck: all six sensors hold one plausible value (within 1 '
                'sd of the operating point) for the whole episode; Sensor dropout: all six sensors '
                'null. Weights are shares of episodes (exact over each 100 episodes).'
            ),
        },
    },
    'maintenance_records': {
        "table": (
            'Maintenance work orders inside the sensor readings window. Corrective orders answer an '
            "anomaly episode: same machine, opened 5-60 minutes after the episode's last reading, "
            'same failure_mode. Downtime and cost are Gamma by work-order type; priorities weighted; '
            'orders that would finish after the window are still In Progress.'
        ),
        "columns": {
            'work_order_id': 'Work order number WO- plus 8 digits, sequential from WO-00000001.',
            'equipment_id': (
                "Machine worked on: uniform over machines, or the anomaly episode's machine for "
                'Corrective orders.'
            ),
            'type': 'Work-order type.',
            'priority': 'Priority, drawn independently of the type.',
            'status': (
                'Completed, or In Progress when the work would end after the readings window (then '
                'completed_at is null).'
            ),
            'failure_mode': (
                "Corrective: the answered anomaly episode's failure mode; Predictive: the failure "
                'mode the prediction warns of (weighted like the episodes); null for Preventive and '
                'Inspection.'
            ),
            'opened_at': (
                'When the order was opened, UTC: uniform over the readings window on whole minutes; '
                "for Corrective orders 5-60 whole minutes after the answered episode's last reading "
                '(at most 2024-12-31 23:59).'
            ),
            'completed_at': (
                'When the machine was handed back, UTC: opened_at + downtime_hours exactly, never '
                'before opened_at; null while In Progress.'
            ),
            'downtime_hours': (
                'Hours the machine stood still for the work, 0.01 h resolution, at least 0.01; Gamma '
                'by type (mean = shape x scale).'
            ),
            'cost': (
                'Labour and parts cost in USD; Gamma by type (mean = shape x scale): corrective '
                'repairs cost most.'
            ),
            'technician': (
                "Technician's full name from the --locale's Mimesis pool; a crew of one per ten "
                'machines (5 to 500), drawn uniformly.'
            ),
        },
    },
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


def padded_id_sql(prefix: str, number_sql: str, digits: int) -> str:
    """prefix + the number zero-padded to ``digits`` (more digits when it needs them), as
    format_string('%0Nd') writes it at a quarter of the cost."""
    return (f"concat('{prefix}', IF({number_sql} < {10**digits}L, lpad(CAST({number_sql} AS STRING), {digits}, '0'), "
            f"CAST({number_sql} AS STRING)))")  # fmt: skip


def equipment_id_sql(machine_sql: str) -> str:
    return padded_id_sql("EQ-", f"({machine_sql} + 1)", 6)


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

        One SQL ``aggregate`` loop rather than a column per round. Unrolled (measured on local[2]):
        the rounds pushed the stage's generated code past the size the JVM compiles (2.5x slower at
        2M rows; cutting the stage after them only won ~10%), made the plan 20 projections deeper
        (slower to analyse over Connect), and a filter pushed through them nested 4**20 copies.
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
    return spec.build().select(*SCHEMAS["equipment"])


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
    return spec.build().select(*SCHEMAS["sensor_data"])


# COMMAND ----------

# maintenance_records: work orders inside the readings window; corrective ones answer an episode.


def gamma_sql(seed: int, column: str, shapes: list[int], scales: list[float]) -> str:
    """Gamma(shape, scale) by work-order type with whole-number shapes: scale x a sum of `shape`
    exponentials -ln(1 - U), so the mean is shape x scale exactly (no rescaling)."""
    terms = [f"IF({pick(shapes, 'type_index')} >= {k + 1}, -ln(1 - rand({column_seed(seed, f'{column}:{k}')})), 0D)"
             for k in range(max(shapes))]  # fmt: skip
    return f"{pick(scales, 'type_index')} * ({' + '.join(terms)})"


def build_maintenance_records(spark, rows: int, layout: SensorLayout, partitions: int, tier: int = 2,
                              locale: str = "en") -> DataFrame:
    """Work orders 1..rows. Tier 2 and 3 build the same columns: all of them are SQL."""
    seed = layout.seed
    pools = build_pools(seed, locale, layout.equipment)
    spec = new_spec(spark, "maintenance_records", rows, seed, partitions)
    spec = with_sql(spec, "work_order_id", "string", padded_id_sql("WO-", "(id + 1)", 8), omit=False)
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
    return spec.build().select(*SCHEMAS["maintenance_records"])


# COMMAND ----------

# Session selection and column seeds: copied verbatim from scripts/utils/spark_session.py (a test
# keeps the copies identical).

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

# Output: Unity Catalog tables through write_table and its helpers, copied verbatim from
# scripts/utils/output.py (catalog_exists from uc_setup.py; tests keep the copies identical):
# contract comments, synthetic marker, refusals. Or a folder of part files per table plus
# _manifest.json, the layout the validator reads. Nothing is written over data this tool did not
# write, and every refusal comes before the first table is written.
TOOL = "databricks-data-gen"
MARKER = {"synthetic": "true", "synthetic.generator": TOOL}
MODES = ("error", "overwrite", "append")
SYNTHETIC_NOTE = "Synthetic data generated by databricks-data-gen; not real people or events."
MAX_NAME_LENGTH = 255
UC_FORBIDDEN = {".": "a period", " ": "a space", "/": "a forward slash"}
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

class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""

def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"

def contract_mismatches(df, contract):
    """Differences between the frame's columns and the contract's (names, order-insensitive, and types)."""
    wanted = {column["name"]: column["type"].replace(" ", "").lower() for column in contract["columns"]}
    actual = {field.name: field.dataType.simpleString().lower() for field in df.schema.fields}
    problems = [f"missing column {name}" for name in wanted if name not in actual]
    problems += [f"unexpected column {name}" for name in actual if name not in wanted]
    problems += [f"column {name} is {actual[name]}, contract says {wanted[name]}"
                 for name in wanted if name in actual and actual[name] != wanted[name]]
    return problems

def table_properties(spark, full_name):
    return {row["key"]: row["value"] for row in spark.sql(f"SHOW TBLPROPERTIES {full_name}").collect()}

def created_by_this_tool(properties):
    return all(properties.get(key) == value for key, value in MARKER.items())

def write_table(df, catalog, schema, table, mode="error", fmt="delta", contract=None, comment=None,
                seed=None, require_contract_columns=True):
    """Write ``df`` as ``catalog.schema.table`` with comments and the synthetic marker (see module doc)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    full_name = qualified_name(catalog, schema, table)
    if contract is not None and require_contract_columns:
        problems = contract_mismatches(df, contract)
        if problems:
            raise OutputError(f"{full_name} does not match its contract: " + "; ".join(problems))
    spark = df.sparkSession
    exists = spark.catalog.tableExists(full_name)
    if exists:
        if not created_by_this_tool(table_properties(spark, full_name)):
            raise OutputError(f"{full_name} exists and was not created by {TOOL} (no synthetic marker): "
                              f"refusing to touch it; write to another schema or table, or drop it yourself")
        if mode == "error":
            raise OutputError(f"{full_name} exists (created by {TOOL}): pass --mode overwrite to replace it "
                              f"or --mode append to add to it")
    # "error", not "errorifexists": the Spark Connect client accepts only the short spelling.
    writer = df.write.format(fmt).mode(mode)
    if fmt == "delta" and mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    writer.saveAsTable(full_name)

    properties = dict(MARKER)
    if seed is not None:
        properties["synthetic.seed"] = str(seed)
    assignments = ", ".join(f"{sql_string(key)} = {sql_string(value)}" for key, value in properties.items())
    spark.sql(f"ALTER TABLE {full_name} SET TBLPROPERTIES ({assignments})")
    description = comment or (contract or {}).get("description")
    table_comment = f"{description} {SYNTHETIC_NOTE}" if description else SYNTHETIC_NOTE
    spark.sql(f"COMMENT ON TABLE {full_name} IS {sql_string(table_comment)}")
    present = set(df.columns)
    for column in (contract or {}).get("columns", []):
        if column["name"] in present and column.get("description"):
            spark.sql(f"ALTER TABLE {full_name} ALTER COLUMN {quote_identifier(column['name'], 'column')} "
                      f"COMMENT {sql_string(column['description'])}")
    return {"table": f"{catalog}.{schema}.{table}", "mode": mode, "format": fmt}


FORMATS = ("parquet", "csv", "json", "delta")
CATALOG_FORMATS = ("delta", "parquet")
MANIFEST = "_manifest.json"


def table_contract(table: str) -> dict:
    """The contract's names, types and descriptions in the shape write_table reads."""
    return {"description": COMMENTS[table]["table"],
            "columns": [{"name": name, "type": kind, "description": COMMENTS[table]["columns"][name]}
                        for name, kind in SCHEMAS[table].items()]}


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}


def check_catalog_targets(spark, catalog: str, schema: str, mode: str) -> None:
    """Refuse before anything is written: a missing catalog, any existing table this tool did not
    create, any existing table at all in error mode. Creates the schema if needed."""
    if not catalog_exists(spark, catalog):
        raise OutputError(f"catalog {catalog!r} does not exist or you cannot use it: create it "
                          f"(CREATE CATALOG {quote_identifier(catalog, 'catalog')}) or pass another --catalog")
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {qualified_name(catalog, schema)}")
    refused = []
    for table in TABLES:
        name = qualified_name(catalog, schema, table)
        if not spark.catalog.tableExists(name):
            continue
        if not created_by_this_tool(table_properties(spark, name)):
            refused.append(f"{name} exists and was not created by {TOOL} (no synthetic marker): it is never "
                           "replaced; drop it yourself or pass another --schema")
        elif mode != "overwrite":
            refused.append(f"{name} exists (created by {TOOL}): pass --mode overwrite to replace it")
    if refused:
        raise OutputError("; ".join(refused))


def visible_folder(directory: str) -> Path | None:
    """The folder as this process sees it, or None when only the Spark server can (a Databricks
    Connect session writing to /Volumes/... from a laptop)."""
    path = Path(directory)
    return path if path.exists() or path.parent.exists() else None


def folder_bytes(path: Path) -> int:
    """Every file under a table folder, as the validator counts them."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def check_folder_targets(directory: str, mode: str) -> None:
    """Refuse a file in the way, these tables in another shape, or table folders this generator did
    not write (no manifest of its own); in error mode, any table folder already there."""
    path = visible_folder(directory)
    if path is None:
        return  # only the server sees it; Spark's error mode still refuses an existing table folder
    if path.exists() and not path.is_dir():
        raise OutputError(f"--output {directory} is a file, not a folder")
    others = sorted(p.name for table in TABLES for p in path.glob(f"{table}.*")) if path.is_dir() else []
    if others:
        raise OutputError(f"--output {directory} holds other output for these tables ({', '.join(others)}): "
                          "pass another folder")
    existing = [table for table in TABLES if (path / table).exists()]
    if not existing:
        return
    try:
        ours = json.loads((path / MANIFEST).read_text()).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours:
        raise OutputError(f"--output {directory} already holds {', '.join(existing)} not written by {GENERATOR} "
                          f"(no {MANIFEST} of its own): they are never replaced; pass another folder")
    if mode != "overwrite":
        raise OutputError(f"--output {directory} already holds {', '.join(existing)} from an earlier run: "
                          "pass --mode overwrite to replace them")


def write_folder_table(frame: DataFrame, directory: str, table: str, fmt: str, overwrite: bool) -> dict:
    """DIR/<table>/ part files; their bytes when this process can see the folder."""
    writer = frame.write.mode("overwrite" if overwrite else "error").format(fmt)
    if fmt == "parquet":
        writer = writer.option("compression", "zstd")
    elif fmt == "csv":
        # With the offset: a "timestamp" is a UTC instant, and the validator insists on it.
        writer = writer.option("header", "true").option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
    writer.save(f"{directory.rstrip('/')}/{table}")
    info = {"path": table}
    path = visible_folder(directory)
    if path is not None and (path / table).is_dir():
        info["bytes"] = folder_bytes(path / table)
    return info


def write_folder_manifest(directory: str, manifest: dict) -> str | None:
    """DIR/_manifest.json, written last; through the Databricks SDK when only the workspace sees the
    folder (a volume written over Databricks Connect)."""
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    path = visible_folder(directory)
    if path is not None:
        temporary = path / f".{MANIFEST}.tmp-{os.getpid()}"
        temporary.write_text(text)
        os.replace(temporary, path / MANIFEST)
        return str(path / MANIFEST)
    if directory.startswith("/Volumes/"):
        import io

        from databricks.sdk import WorkspaceClient

        target = f"{directory.rstrip('/')}/{MANIFEST}"
        WorkspaceClient().files.upload(target, io.BytesIO(text.encode()), overwrite=True)
        return target
    progress(f"note: {directory} is not visible from this machine; {MANIFEST} not written")
    return None


def remove_manifest(directory: str) -> None:
    """A run starts by removing the old manifest: a folder whose run died has none."""
    path = visible_folder(directory)
    if path is not None:
        (path / MANIFEST).unlink(missing_ok=True)


def versions(spark) -> dict[str, str]:
    """Versions whose upgrades can change the values a seed produces."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0], "spark": spark.version}
    for package in ("pyspark", "databricks-connect", "dbldatagen", "mimesis", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


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
                        help="error (default): refuse existing tables; overwrite: replace tables this tool made")
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


def parse_args(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
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
    for value, kind in ((args.catalog, "catalog"), (args.schema, "schema")):
        if value is not None:
            try:
                check_identifier(value, kind)
            except ValueError as error:
                parser.error(f"--{kind}: {error}")
    if args.profile and (args.local or args.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    if args.format is None:
        args.format = "delta" if args.catalog else "parquet"
    if args.catalog and args.format not in CATALOG_FORMATS:
        parser.error(f"--format {args.format} is for --output folders; catalog tables are delta "
                     "(parquet on a local Spark catalog, where Delta needs jars)")
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


def generate(spark, args: argparse.Namespace) -> dict:
    """Check the destination, build and write every table (parents first), manifest last; returns the
    summary. Raises OutputError before anything is written when the destination cannot be used."""
    started = time.perf_counter()
    plan = plan_run(args)
    if args.catalog:
        check_catalog_targets(spark, args.catalog, args.schema, args.mode)
        destination = f"{args.catalog}.{args.schema}"
    else:
        check_folder_targets(args.output, args.mode)
        remove_manifest(args.output)  # written again last: a folder whose run died has none
        destination = args.output
    progress(f"manufacturing: {plan.rows['equipment']:,} machines, {plan.rows['sensor_data']:,} readings, "
             f"{plan.rows['maintenance_records']:,} work orders -> {destination} ({args.format}, tier {args.tier})")
    frames = build_tables(spark, args, plan)
    tables, targets = {}, {}
    for table in TABLES:
        begun = time.perf_counter()
        if args.catalog:
            written = write_table(frames[table], args.catalog, args.schema, table, mode=args.mode, fmt=args.format,
                                  contract=table_contract(table), seed=args.seed)
            tables[table] = {"rows": plan.rows[table]}
            targets[table] = written["table"]
        else:
            tables[table] = {"rows": plan.rows[table], **write_folder_table(frames[table], args.output, table,
                                                                             args.format, args.mode == "overwrite")}
            targets[table] = f"{args.output.rstrip('/')}/{table}"
        tables[table]["seconds"] = round(time.perf_counter() - begun, 3)
        progress(f"  {table}: {plan.rows[table]:,} rows in {tables[table]['seconds']:.2f}s")
    if args.output:
        write_folder_manifest(args.output, {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": vars(args),
            "versions": versions(spark),
            "partitions": plan.partitions,
            "anomalies": {"rate": args.anomaly_rate, "flagged_rows": plan.layout.anomalies,
                          "episode_readings": plan.layout.episode},
            "tables": tables,
        })  # fmt: skip
    return {"destination": destination, "seed": args.seed, "format": args.format, "tier": args.tier,
            "tables": {table: {**info, "target": targets[table]} for table, info in tables.items()},
            "seconds": round(time.perf_counter() - started, 3)}


def main(argv: list[str] | None = None) -> dict:
    parser, args = parse_args(argv)
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
    try:
        if args.output:  # a refusal that needs no Spark comes before the session starts
            check_folder_targets(args.output, args.mode)
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "manufacturing.py"
        if dg is None:
            command = LOCAL_COMMAND if args.local else CONNECT_COMMAND
            parser.error(f"dbldatagen and pyspark (or databricks-connect) are needed; run: {command.format(script=script)}")
        spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
        summary = generate(spark, args)
    except OutputError as refused:
        parser.error(str(refused))
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
