# Databricks notebook source
# MAGIC %md
# MAGIC # Change data capture (CDC) feed on Spark (dbldatagen)
# MAGIC
# MAGIC The Spark counterpart of `scripts/generators/polars/cdc.py`: what a source database's change
# MAGIC capture lands in a Unity Catalog Volume, ready for Auto Loader and an AUTO CDC flow
# MAGIC (`references/cdc-patterns.md`). Same columns, same meaning of every option, not the same bytes.
# MAGIC
# MAGIC | folder | what it holds |
# MAGIC |---|---|
# MAGIC | `DIR/initial/` | every customer once, `operation` APPEND, `sequence_num` 1..rows |
# MAGIC | `DIR/batch_001/` ... | one folder of changes per batch (APPEND / UPDATE / DELETE) |
# MAGIC | `DIR/expected_final/` | the state a correct SCD type 1 apply ends in (parquet) |
# MAGIC | `DIR/expected_scd2/` | the history SCD type 2 keeps, `__START_AT` / `__END_AT` (parquet) |
# MAGIC | `DIR/_manifest.json` | arguments, folders, rows, change counts, the feed's Spark schema |
# MAGIC
# MAGIC Spark writes each folder as part files (`part-*.json`, plus `_SUCCESS`): Auto Loader reads
# MAGIC them as files landing, one folder per delivery. Load the delivery folders only, with a path
# MAGIC glob and a suffix filter (both recorded in the manifest's `feed`):
# MAGIC `.option("pathGlobFilter", "*.json").load("DIR/{initial,batch_*}")`.
# MAGIC
# MAGIC Every column is Spark SQL (no UDF), so Tier 2 (Databricks Connect) and Tier 3 (a notebook)
# MAGIC build the same data. Same `--seed` and options give the same rows whatever `--partitions`
# MAGIC or cluster: every draw is a hash of the seed and a key, never a per-partition `rand()`.
# MAGIC
# MAGIC **In a notebook**: run all; set the `output` widget (e.g. `/Volumes/<catalog>/<schema>/<volume>/cdc`)
# MAGIC and run again.
# MAGIC
# MAGIC **From a terminal** (never install pyspark and databricks-connect in one environment):
# MAGIC
# MAGIC     # Databricks Connect (serverless, or --profile NAME), landing in a Volume
# MAGIC     uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \
# MAGIC         --with jmespath --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/cdc.py --rows 1000000 --batches 10 --output /Volumes/<catalog>/<schema>/<volume>/cdc
# MAGIC     # local Spark
# MAGIC     uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 --with jmespath \
# MAGIC         --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/cdc.py --local --rows 10000 --output output/cdc_spark

# COMMAND ----------

# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0

# COMMAND ----------

import argparse
import json
import math
import os
import re
import shutil
import sys
import time
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

try:
    import dbldatagen as dg
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
except ImportError:  # reported with the command that installs them when a run needs them
    dg = DataFrame = F = None

INDUSTRY = "cdc"
GENERATOR = "scripts/generators/cdc.py"

# --- Sizes, shares and windows: Tier 1's (scripts/generators/polars/cdc.py), so both tiers mean
# the same by every option -------------------------------------------------------------------------
DEFAULT_ROWS = 10_000
DEFAULT_BATCHES = 10
MAX_BATCHES = 1_000  # the plan is one row per quarter-batch step, sent to Spark as a small table
CHANGES_PER_ROW = 0.10  # default change events per batch, as a share of the initial rows
STEPS_PER_BATCH = 4  # a key changes at most once per step, so up to 4 times within a batch
OPERATION_RATES = {"update": 0.70, "delete": 0.10, "insert": 0.20}  # shares of a batch's events
DEFAULT_REINSERT_RATE = 0.10  # inserts that bring a deleted customer back
LATE_DELAY_P = 0.6  # batches late ~ Geometric(0.6): 60% one batch, 24% two, 10% three, ...
DUPLICATE_NEXT_BATCH = 0.5  # a redelivered event lands in the next folder half the time
MALFORMED_NULL_OPERATION = 0.6  # malformed rows with a null operation; the rest a null key

# Fixed windows, never today's date, so a seed means the same feed next year.
SNAPSHOT_AT = datetime(2024, 1, 1, tzinfo=UTC)  # the initial load
FEED_END = datetime(2025, 1, 1, tzinfo=UTC)  # the batches split 2024 evenly
SIGNUP_FIRST, SIGNUP_LAST = date(2020, 1, 1), date(2023, 12, 31)  # customers of the initial load
FIRST_ID = 1_000_000  # customer_id of key position 0, as in Tier 1 and the retail generators

# Tier 1's salt and stream names for a step's counts: the same seed and options give the same
# number of updates, deletes, inserts, re-inserts and malformed rows per step in both tiers.
STEP_SALT = 2
STEP_STREAMS = ("operation", "key", "reinsert", "malformed")

# --- Customers (the retail customer distributions; the contracts repeat them) ---------------------
LOYALTY_TIERS = {"Bronze": 50, "Silver": 30, "Gold": 15, "Platinum": 5}
LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE = 2, 250.0  # Gamma: mean $500, long right tail
PHONE_NULL_RATE = 0.05  # customers who gave no phone number
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: no real mailbox
HOUSE_NUMBER_P = 1 / 800  # house numbers ~ 1 + Geometric(1/800): they skew low, as on real streets
MAX_HOUSE_NUMBER = 99_999
# What an UPDATE changes (weights, %): moves and new e-mail addresses are the common changes.
UPDATE_KINDS = {"address": 35, "email": 25, "phone": 20, "loyalty_tier": 15, "last_name": 5}
ADDRESS, EMAIL, PHONE, TIER, LAST_NAME = range(len(UPDATE_KINDS))
# Loyalty tier moves (steps, weights %): mostly one step up; reflected at Bronze and Platinum,
# so the size of the step is kept (Platinum +1 becomes Gold).
TIER_STEPS = {1: 80, -1: 15, 2: 5}
# E-mail local parts: first.last (the initial form), firstlast, f.last, first_last; the
# customer id always follows, so addresses stay unique.
EMAIL_STYLES = 4

# --- Operations as numbers inside the plan (the feed writes APPEND / UPDATE / DELETE) -------------
INITIAL, INSERT, REINSERT, UPDATE, DELETE = range(5)
OPERATIONS = ("APPEND", "UPDATE", "DELETE")

# Rounds of the swap-or-not permutations that pick keys and order events. Each round is a
# bijection, so every key is picked at most once per step whatever the count; 24 rounds make the
# picks spread like a uniform draw (measured in tests/test_spark_cdc.py).
PERMUTATION_ROUNDS = 24
# Rows per partition when --partitions is not given. Only the files' sizes depend on it: the
# values come from hashes of the seed and a key, never from a partition's rand() stream.
ROWS_PER_PARTITION = 500_000

# --- Output columns: assets/schemas/cdc_customer_change.json and cdc_customer_current.json --------
CUSTOMER_COLUMNS = {
    "customer_id": "bigint", "first_name": "string", "last_name": "string", "name": "string",
    "email": "string", "phone": "string", "street_address": "string", "city": "string",
    "state": "string", "postal_code": "string", "region": "string", "loyalty_tier": "string",
    "signup_date": "date", "lifetime_value": "decimal(12,2)",
}  # fmt: skip
FEED_COLUMNS = {**CUSTOMER_COLUMNS, "operation": "string", "sequence_num": "bigint", "operation_ts": "timestamp"}
# What the SCD type 1 target keeps with except_column_list=["operation"].
STATE_COLUMNS = {**CUSTOMER_COLUMNS, "sequence_num": "bigint", "operation_ts": "timestamp"}
SCD2_COLUMNS = {**STATE_COLUMNS, "__START_AT": "bigint", "__END_AT": "bigint"}
FEED_FORMATS = ("json", "parquet", "csv")
# Timestamps in text files keep their microseconds and their offset (Spark's default JSON/CSV
# format stops at milliseconds, and a bare local time would not say it is UTC).
TEXT_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"

# COMMAND ----------

# US places (copied verbatim from scripts/utils/us_places.py): city, state, ZIP and region are
# drawn with one shared place index, so they always agree.
US_CENSUS_REGIONS = {
    "Northeast": "CT ME MA NH RI VT NJ NY PA",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "South": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "West": "AZ CO ID MT NV NM UT WY AK CA HI OR WA",
}

US_PLACES = """\
AK|Anchorage,99501-99,290
AL|Huntsville,35801-24,215;Birmingham,35203-44,196;Montgomery,36104-19,195;Mobile,36602-95,183
AL|Tuscaloosa,35401-06,111
AR|Little Rock,72201-27,203
AZ|Phoenix,85003-86,1650;Tucson,85701-57,543;Mesa,85201-15,472;Chandler,85224-86,261
AZ|Gilbert,85233-98,248;Glendale,85301-10,240;Scottsdale,85250-66,237;Peoria,85345-83,191
AZ|Tempe,85281-88,176;Surprise,85374-88,143
CA|Los Angeles,90001-79,3821;San Diego,92101-99,1404;San Jose,95101-48,997
CA|San Francisco,94102-88,828;Fresno,93701-37,542;Sacramento,95811-64,525
CA|Long Beach,90802-33,474;Oakland,94601-21,419;Bakersfield,93301-14,374;Anaheim,92801-99,351
CA|Riverside,92501-08,317;Santa Ana,92701-99,310;Stockton,95202-19,306;Chula Vista,91910-15,266
CA|Irvine,92602-20,257;Fremont,94536-55,232;San Bernardino,92401-11,216;Fontana,92335-37,213
CA|Modesto,95350-58,211;Oxnard,93030-36,207;Moreno Valley,92551-57,204
CA|Huntington Beach,92646-49,202;Glendale,91201-10,201;Santa Clarita,91350-90,182
CA|Santa Rosa,95401-09,178;Oceanside,92054-58,176;Garden Grove,92840-45,175
CA|Rancho Cucamonga,91701-39,175;Ontario,91758-64,171;Elk Grove,95757-58,167;Corona,92878-83,164
CA|Lancaster,93534-36,161;Palmdale,93550-91,158;Hayward,94541-45,158;Salinas,93901-08,157
CA|Sunnyvale,94085-89,156;Pomona,91766-68,153;Escondido,92025-29,151;Valencia,91354-55,148
CA|Torrance,90501-06,144;Pasadena,91101-07,142;Orange,92862-69,141;Fullerton,92831-35,141
CA|Van Nuys,91401-11,136;Roseville,95661-78,130;Visalia,93277-92,130;Thousand Oaks,91360-62,129
CA|Concord,94518-21,129;Simi Valley,93063-65,127;Santa Clara,95050-54,126
CA|Victorville,92392-95,122;Vallejo,94589-92,122;Chico,95926-73,121;Berkeley,94702-10,121
CA|El Monte,91731-32,117;Carlsbad,92008-11,115;Downey,90240-42,114;Costa Mesa,92626-27,113
CA|Fairfield,94533-34,113;Inglewood,90301-11,112;Antioch,94509-31,111;Temecula,92590-92,110
CA|Murrieta,92562-63,110;Richmond,94801-50,110;West Covina,91790-92,108;Norwalk,90650-50,107
CA|Daly City,94014-15,107;Burbank,91501-06,105;Santa Maria,93454-58,105;Clovis,93611-19,104
CA|El Cajon,92019-21,104;San Mateo,94401-04,104
CO|Denver,80202-99,729;Colorado Springs,80902-51,457;Aurora,80010-45,359
CO|Fort Collins,80521-28,171;Thornton,80241-41,133;Westminster,80030-31,116;Arvada,80002-07,115
CO|Pueblo,81001-08,109;Greeley,80631-34,109;Boulder,80301-05,107
CT|Bridgeport,06604-10,148;New Haven,06510-19,130;Stamford,06901-10,129;Hartford,06101-52,121
CT|Waterbury,06701-10,109
DC|Washington,20001-45,690
DE|Wilmington,19801-10,71
FL|Jacksonville,32202-77,1010;Miami,33122-98,487;Tampa,33602-47,415;Orlando,32801-39,335
FL|St. Petersburg,33701-30,257;Hialeah,33010-18,237;Tallahassee,32301-17,202
FL|Fort Lauderdale,33301-94,183;Cape Coral,33904-93,175;Pembroke Pines,33028-28,167
FL|Port Saint Lucie,34952-87,165;Hollywood,33019-29,150;Gainesville,32601-53,145
FL|Coral Springs,33065-71,129;West Palm Beach,33401-17,121;Palm Bay,32905-09,120
FL|Clearwater,33755-65,117;Miami Gardens,33056-56,113;Pompano Beach,33060-76,108
FL|Lakeland,33801-15,104;Brandon,33510-11,103
GA|Atlanta,30303-69,511;Columbus,31901-09,207;Savannah,31401-21,148;Athens,30601-07,127
HI|Honolulu,96813-50,351
IA|Des Moines,50307-95,214;Cedar Rapids,52401-11,130
ID|Boise,83702-16,236
IL|Chicago,60601-99,2664;Aurora,60502-06,201;Rockford,61101-14,148;Joliet,60431-36,148
IL|Naperville,60540-65,147;Peoria,61602-15,115;Springfield,62701-12,114;Elgin,60120-24,112
IN|Indianapolis,46201-90,888;Fort Wayne,46802-45,260;Evansville,47708-25,120
KS|Wichita,67202-76,396;Overland Park,66204-51,187;Kansas City,66101-18,153;Olathe,66061-62,134
KS|Topeka,66603-83,126
KY|Louisville,40202-99,624;Lexington,40502-17,320
LA|New Orleans,70112-70,363;Baton Rouge,70801-36,227;Shreveport,71101-29,188
LA|Metairie,70001-06,138;Lafayette,70501-08,121
MA|Boston,02108-99,654;Worcester,01602-55,207;Springfield,01103-52,154;Lowell,01850-54,111
MA|Cambridge,02138-42,110
MD|Baltimore,21201-87,586
ME|Portland,04101-09,67
MI|Detroit,48201-43,646;Grand Rapids,49503-48,195;Warren,48088-93,134
MI|Sterling Heights,48310-14,132;Ann Arbor,48103-09,117;Lansing,48906-33,113
MN|Minneapolis,55401-55,411;Saint Paul,55101-31,303;Rochester,55901-06,112
MO|Kansas City,64101-67,475;St. Louis,63101-80,280;Springfield,65802-10,170
MO|Columbia,65201-99,129;Independence,64050-58,117
MS|Jackson,39201-69,154
MT|Billings,59101-06,117
NC|Charlotte,28202-87,911;Raleigh,27601-17,482;Greensboro,27401-95,285;Durham,27701-13,258
NC|Winston-Salem,27101-27,241;Fayetteville,28301-14,202;Cary,27511-19,160
NC|Wilmington,28401-12,116;High Point,27260-65,110
ND|Fargo,58102-04,119
NE|Omaha,68102-76,486;Lincoln,68502-88,295
NH|Manchester,03101-09,110
NJ|Newark,07102-14,282;Jersey City,07302-11,264;Paterson,07501-24,148;Elizabeth,07201-08,129
NM|Albuquerque,87101-23,565
NV|Las Vegas,89101-99,642;Henderson,89002-74,286;Reno,89501-23,264;North Las Vegas,89030-87,235
NY|Brooklyn,11201-56,2736;New York,10001-90,1488;Bronx,10451-75,1385;Staten Island,10301-14,469
NY|Buffalo,14201-28,258;Jamaica,11430-36,217;Rochester,14604-26,210;Yonkers,10701-10,201
NY|Astoria,11102-06,150;Syracuse,13202-24,144;Elmhurst,11373-73,113;Corona,11368-68,110
OH|Columbus,43201-40,913;Cleveland,44102-44,365;Cincinnati,45202-55,311;Toledo,43601-23,266
OH|Akron,44301-33,198;Dayton,45402-79,136
OK|Oklahoma City,73102-95,681;Tulsa,74103-72,413;Norman,73026-72,128;Broken Arrow,74011-14,107
OR|Portland,97201-67,653;Eugene,97401-08,177;Salem,97301-17,176;Gresham,97030-80,111
PA|Philadelphia,19102-54,1574;Pittsburgh,15201-95,304;Allentown,18101-95,120
RI|Providence,02903-09,191
SC|Columbia,29201-29,142;Charleston,29401-92,133;North Charleston,29405-20,108
SD|Sioux Falls,57103-10,172
TN|Nashville,37201-38,689;Memphis,38103-57,633;Knoxville,37902-38,191;Chattanooga,37402-50,181
TN|Clarksville,37040-43,167;Murfreesboro,37127-30,165
TX|Houston,77002-99,2314;San Antonio,78201-85,1527;Dallas,75201-87,1326;Fort Worth,76102-79,1008
TX|Austin,78701-99,974;El Paso,79901-38,679;Arlington,76001-18,388;Corpus Christi,78401-19,316
TX|Plano,75023-94,284;Laredo,78040-46,256;Lubbock,79401-24,249;Garland,75040-44,237
TX|Irving,75038-63,237;Cypress,77429-33,201;Amarillo,79101-24,199;Grand Prairie,75050-54,188
TX|Brownsville,78520-26,187;McKinney,75069-72,163;Frisco,75033-36,154;Pasadena,77502-07,154
TX|Mesquite,75149-81,145;Killeen,76541-49,141;McAllen,78501-04,140;Carrollton,75006-10,133
TX|Midland,79701-12,133;Waco,76701-98,132;Denton,76201-10,131;Abilene,79601-06,125
TX|Round Rock,78664-81,116;Beaumont,77701-13,115;Odessa,79761-66,114;Richardson,75080-82,111
TX|Pearland,77581-84,109;College Station,77840-45,108;Wichita Falls,76301-10,105
TX|Lewisville,75057-77,104;Tyler,75701-09,104
UT|Salt Lake City,84101-80,216;West Valley City,84119-28,136;Provo,84601-06,115
UT|West Jordan,84081-88,112
VA|Virginia Beach,23451-64,455;Norfolk,23502-23,238;Chesapeake,23320-25,235
VA|Richmond,23219-98,227;Arlington,22201-14,208;Newport News,23601-08,186
VA|Alexandria,22301-32,159;Hampton,23661-69,137
VT|Burlington,05401-08,42
WA|Seattle,98101-99,781;Spokane,99201-24,229;Tacoma,98402-66,223;Vancouver,98660-86,196
WA|Bellevue,98004-08,140;Kent,98030-42,127;Everett,98201-08,108
WI|Milwaukee,53202-33,564;Madison,53703-26,280;Green Bay,54301-13,105
WV|Huntington,25701-05,49
WY|Cheyenne,82001-09,65
"""


def us_place_columns() -> dict[str, list]:
    """``US_PLACES`` as parallel lists (one entry per city), read in SQL at one shared index."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    columns = {"city": [], "state": [], "region": [], "zip_low": [], "zip_span": [], "weight": []}
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            columns["city"].append(city)
            columns["state"].append(state)
            columns["region"].append(region_of[state])
            columns["zip_low"].append(int(low))
            columns["zip_span"].append(int(low[:3] + high_suffix) - int(low) + 1)
            columns["weight"].append(int(thousands))
    return columns


def alias_table(weights) -> tuple[list[float], list[int]]:
    """Walker's alias method (Vose's construction, exact fractions): pick a slot uniformly, keep it
    when a uniform coin is below its probability, else take its alias. One draw, any number of
    weighted values, two array lookups per row."""
    from fractions import Fraction

    n, total = len(weights), sum(weights)
    scaled = [Fraction(weight * n, total) for weight in weights]
    probability, alias = [Fraction(1)] * n, list(range(n))
    small = [i for i, p in enumerate(scaled) if p < 1]
    large = [i for i, p in enumerate(scaled) if p >= 1]
    while small and large:
        low, high = small.pop(), large.pop()
        probability[low], alias[low] = scaled[low], high
        scaled[high] += scaled[low] - 1
        (small if scaled[high] < 1 else large).append(high)
    return [float(p) for p in probability], alias


US_PLACE_ALIAS = alias_table(us_place_columns()["weight"])

# COMMAND ----------

# Value pools, built once on the driver from Mimesis (de-duplicated and sorted: set order depends
# on PYTHONHASHSEED) and handed to Spark as SQL literals, so every column stays pure SQL.


def email_form(name: str, fallback: str) -> str:
    """Lower-case ASCII letters of a name (accents dropped); ``fallback`` when none are left
    (Cyrillic, CJK ...), so every locale yields valid e-mail addresses."""
    letters = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", name).lower())
    return letters or fallback


def street_template(address: str) -> tuple[str, str, bool]:
    """(text before the house number, text after it, whether there is one): each customer gets a
    fresh number in the locale's own address format."""
    number = re.search(r"\d+", address)
    if number is None:
        return address, "", False
    return address[: number.start()], address[number.end():], True


@lru_cache(maxsize=4)
def build_pools(locale: str, seed: int) -> dict[str, tuple]:
    """Names and street templates of the locale. Templates are distinct (before, after, numbered)
    triples: two distinct templates never render the same street, whatever their house numbers
    (the text before the number has no digit, and the number is a whole run of digits), which is
    how a move is made to change the street for certain."""
    from mimesis import Address, Locale, Person

    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)
    # Enough draws to cover each locale's name lists (a few thousand entries at most).
    first_names = sorted({person.first_name() for _ in range(12_000)})
    last_names = sorted({person.last_name() for _ in range(8_000)})
    templates = sorted({street_template(street) for street in {address.address() for _ in range(8_000)}})
    return {
        "first_names": tuple(first_names),
        "first_email": tuple(email_form(name, "customer") for name in first_names),
        "last_names": tuple(last_names),
        "last_email": tuple(email_form(name, "") for name in last_names),
        "street_before": tuple(before for before, _, _ in templates),
        "street_after": tuple(after for _, after, _ in templates),
        "street_numbered": tuple(numbered for _, _, numbered in templates),
    }

# COMMAND ----------

# The plan: what each quarter-batch step does, decided on the driver with NumPy (a few numbers per
# step, never per row), exactly as Tier 1 decides it.
#
# How keys are chosen so that every UPDATE and DELETE touches a live key, by construction and
# without tracking per-key state: the customers alive at the start of a step are laid out as three
# ranges of an "alive index" x,
#
#     A: order[deleted .. rows)       initial customers not deleted yet, in a seeded random order
#     B: order[0 .. reinserted)       deleted customers that came back (in the order they left)
#     C: rows .. rows + created       customers inserted during the feed, oldest first
#
# where order = a keyed permutation of the initial key positions. A step's deletes take the next
# `deletes` entries of A (order[deleted ..]), its re-inserts the next deleted ones
# (order[reinserted ..]: dead since an earlier step), its new customers the next key positions,
# and its updates `updates` distinct alive indices past the deleted ones, the first `updates`
# values of a keyed permutation of them. Every event's key is therefore a SQL expression of
# (step, event number) and the step's counters, which scales with the cluster: no shuffle, no
# per-key state on the driver. The price, documented in --help: deletes hit customers of the
# initial load only, each at most once, and deleted customers come back in the order they left.


@dataclass(frozen=True)
class Settings:
    seed: int
    rows: int
    batches: int
    changes: int
    rates: dict
    reinsert_rate: float
    late_rate: float
    duplicate_rate: float
    malformed_rate: float


@dataclass(frozen=True)
class Step:
    step: int  # 0-based over the whole feed
    batch: int  # 1-based
    updates: int
    deletes: int
    reinserts: int
    inserts: int  # new customers (re-inserts not counted)
    malformed: int
    deleted: int  # before this step: initial customers deleted so far (they are order[0 .. deleted))
    reinserted: int  # before this step: deleted customers that came back (order[0 .. reinserted))
    created: int  # before this step: customers inserted so far (key positions rows .. rows + created)
    sequence: int  # before this step: the last sequence_num used
    start_us: int  # the step's window (start, start + width] in microseconds since 1970, UTC
    width_us: int

    @property
    def changes(self) -> int:
        return self.updates + self.deletes + self.reinserts + self.inserts

    @property
    def rows(self) -> int:
        return self.changes + self.malformed


@dataclass(frozen=True)
class Plan:
    settings: Settings
    steps: tuple

    @property
    def last(self) -> Step:
        return self.steps[-1]

    @property
    def alive_at_end(self) -> int:
        last = self.last
        return (self.settings.rows - last.deleted - last.deletes + last.reinserted + last.reinserts
                + last.created + last.inserts)

    def totals(self) -> dict[str, int]:
        return {"initial": self.settings.rows,
                "updates": sum(s.updates for s in self.steps), "deletes": sum(s.deletes for s in self.steps),
                "inserts": sum(s.inserts for s in self.steps), "reinserts": sum(s.reinserts for s in self.steps),
                "malformed": sum(s.malformed for s in self.steps)}  # fmt: skip


def micros(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def day_number(day: date) -> int:
    """Days since 1970-01-01 (Spark's DATE value)."""
    return (day - date(1970, 1, 1)).days


def step_sizes(changes: int) -> list[int]:
    return [changes * (step + 1) // STEPS_PER_BATCH - changes * step // STEPS_PER_BATCH for step in range(STEPS_PER_BATCH)]


def batch_window(batch: int, batches: int) -> tuple[int, int]:
    """(start, end] of a batch's events in UTC microseconds: 2024 split into equal windows, the
    first after the snapshot instant, the last ending at 2024-12-31T23:59:59.999999Z."""
    first, last = micros(SNAPSHOT_AT), micros(FEED_END) - 1
    return first + (last - first) * (batch - 1) // batches, first + (last - first) * batch // batches


def step_streams(seed: int, step: int) -> dict[str, np.random.Generator]:
    """Tier 1's per-step generators (SeedSequence children are named by index, so spawning the
    first four of Tier 1's streams gives the same four)."""
    children = np.random.SeedSequence([seed, STEP_SALT, step]).spawn(len(STEP_STREAMS))
    return dict(zip(STEP_STREAMS, (np.random.default_rng(child) for child in children)))


def plan_feed(settings: Settings) -> Plan:
    """Every step's counts and counters. The counts follow Tier 1's rules and random streams:
    a multinomial split of the step's events; when fewer customers are alive than the step wants
    to update or delete, the missing changes become inserts; re-inserts ~ Binomial(inserts,
    --reinsert-rate), at most the customers dead at the start of the step; malformed rows ~
    Binomial(changes, --malformed-rate). One rule is this tier's own: deletes beyond the initial
    customers not yet deleted become inserts (only possible with extreme delete shares)."""
    rates = settings.rates
    steps = []
    deleted = reinserted = created = 0
    sequence = settings.rows
    for batch in range(1, settings.batches + 1):
        first, last = batch_window(batch, settings.batches)
        width = last - first
        for quarter, events in enumerate(step_sizes(settings.changes)):
            number = (batch - 1) * STEPS_PER_BATCH + quarter
            rng = step_streams(settings.seed, number)
            updates, deletes, inserts = (int(n) for n in rng["operation"].multinomial(
                events, [rates["update"], rates["delete"], rates["insert"]]))
            alive = settings.rows - deleted + reinserted + created
            if updates + deletes > alive:  # too few customers left: the missing changes become sign-ups
                kept_updates = updates * alive // (updates + deletes)
                inserts += updates + deletes - alive
                updates, deletes = kept_updates, alive - kept_updates
            deletable = settings.rows - deleted
            if deletes > deletable:
                inserts += deletes - deletable
                deletes = deletable
            reinserts = min(int(rng["reinsert"].binomial(inserts, settings.reinsert_rate)), deleted - reinserted)
            count = updates + deletes + inserts
            malformed = int(rng["malformed"].binomial(count, settings.malformed_rate)) if count else 0
            start = first + width * quarter // STEPS_PER_BATCH
            end = first + width * (quarter + 1) // STEPS_PER_BATCH
            steps.append(Step(number, batch, updates, deletes, reinserts, inserts - reinserts, malformed,
                              deleted, reinserted, created, sequence, start, end - start))
            deleted += deletes
            reinserted += reinserts
            created += inserts - reinserts
            sequence += count + malformed
    return Plan(settings, tuple(steps))

# COMMAND ----------

# SQL building blocks. Every random value is a hash of (seed, what it is for, a key): the key is
# -(key position + 1) for a customer's first values and the sequence_num for an event's draws.
# A customer's row can so be recomputed from its key and its history wherever it is needed, and
# no value depends on partitions or row order (Spark's rand(seed) restarts per partition).


POOL_SEPARATOR = "\x1f"  # ASCII unit separator: in no name, address or label


def pick(values, index: str) -> str:
    """values[index] for a 0-based index expression. A pool travels as ONE string literal, split
    once by the optimizer (thousands of separate literals make a plan slow to parse, analyse and
    send over Spark Connect); numbers and booleans are cast back from their text."""
    if all(isinstance(value, str) for value in values):
        kind = None
    elif all(isinstance(value, (bool, np.bool_)) for value in values):
        kind, values = "BOOLEAN", ["true" if value else "false" for value in values]
    elif all(isinstance(value, (int, np.integer)) for value in values):
        kind, values = "BIGINT", [str(int(value)) for value in values]
    else:
        kind, values = "DOUBLE", [repr(float(value)) for value in values]  # repr round-trips exactly
    if any(POOL_SEPARATOR in value for value in values):
        raise ValueError("a pool value contains the pool separator")
    pool = f"split({sql_string(POOL_SEPARATOR.join(values))}, {sql_string(POOL_SEPARATOR)})"
    value = f"element_at({pool}, CAST({index} AS INT) + 1)"
    return f"CAST({value} AS {kind})" if kind else value


def uniform(seed: int, purpose: str, *keys: str) -> str:
    """A uniform number in [0, 1) that depends only on (seed, purpose, keys): 53 bits of xxhash64.
    ``column_seed`` keeps the purposes' streams apart, as it does dbldatagen columns elsewhere."""
    keyed = ", ".join(f"CAST({key} AS BIGINT)" for key in keys)
    return f"(shiftrightunsigned(xxhash64({keyed}, {column_seed(seed, purpose)}L), 11) * {2.0**-53!r}D)"


def below(seed: int, purpose: str, bound, *keys: str) -> str:
    """A uniform whole number 0 .. bound-1 (bound a number or a SQL expression)."""
    return f"CAST(floor({uniform(seed, purpose, *keys)} * {bound}) AS BIGINT)"


def weighted_index(uniform_sql: str, weights) -> str:
    """Category index for one uniform draw through the cumulative shares (chained rand() calls
    would skew the shares)."""
    total, cumulative, cases = sum(weights), 0, []
    for index, weight in enumerate(weights[:-1]):
        cumulative += weight
        cases.append(f"WHEN {uniform_sql} < {cumulative / total!r}D THEN {index}")
    return f"(CASE {' '.join(cases)} ELSE {len(weights) - 1} END)" if cases else "0"


def permutation(seed: int, purpose: str, value: str, size: str, *salt: str) -> str:
    """The image of ``value`` under a keyed permutation of 0 .. size-1 (swap-or-not: each round
    pairs x with (k - x) mod size for a keyed k and swaps when a keyed hash of the pair's larger
    member says so; every round is a bijection). ``salt`` (e.g. the step) gives each its own
    permutation. One SQL aggregate loop, so the plan stays small."""
    extra = "".join(f", CAST({s} AS BIGINT)" for s in salt)
    size = f"greatest(CAST({size} AS BIGINT), 1L)"
    partner = f"pmod(pmod(xxhash64(CAST(r AS BIGINT){extra}, {column_seed(seed, purpose + ' key')}L), {size}) - x, {size})"
    return (f"aggregate(sequence(1, {PERMUTATION_ROUNDS}), CAST({value} AS BIGINT), (x, r) -> "
            f"IF((xxhash64(greatest(x, {partner}), CAST(r AS BIGINT){extra}, {column_seed(seed, purpose + ' flip')}L) & 1L) = 1L, "
            f"{partner}, x))")


def new_spec(spark, name: str, rows: int, seed: int, partitions: int):
    """A DataGenerator with partitions always given (over Connect dbldatagen would fall back to 200)
    and hash_fieldname with the seed, so a column without its own seed still gets its own stream.
    The columns here are all expressions over ``id`` (hashes seeded by column_seed)."""
    return dg.DataGenerator(spark, name=name, rows=rows, partitions=partitions, randomSeed=seed,
                            randomSeedMethod="hash_fieldname")


def with_sql(spec, name: str, sql_type: str, sql: str, *depends_on: str):
    """An expression column kept in the output; depends_on orders dbldatagen's build."""
    return spec.withColumn(name, sql_type, expr=sql, baseColumn=list(depends_on) or "id")

# COMMAND ----------

# A customer: first values from its key, then changed by its UPDATE events.
#
# The state that changes is a handful of whole numbers (pool indices, a phone number index, the
# key of the address draws); the strings are rendered once at the end. Every change moves a field
# to a *different* value, uniformly among the others: new = (old + 1 + U{0 .. n-2}) mod n. So a
# field's value after any event is its first value plus the running sum of its shifts, mod n: a
# window sum over the key's events in sequence order, compiled code, no per-key loop. What an
# update does (each certain to alter the row, so SCD type 2 opens a version for every update):
# - address (35%): another street template, a new house number, city/state/ZIP/region from one
#   population-weighted place draw (the draws are keyed by the update's sequence_num);
# - email (25%): another domain and a style drawn anew (first.last, firstlast, f.last, first_last);
# - phone (20%): another number;
# - loyalty tier (15%): 80% one step up, 15% one step down, 5% two steps up, reflected at the
#   ends (a walk, so this one field folds its steps with a small SQL aggregate);
# - last name (5%): another surname; the e-mail follows (first.newlast, same domain).
# first_name, signup_date and lifetime_value never change.

# Phone numbers (NXX) 555-01XX as one index: 792 area codes (200..999 without the N11 service
# codes 211, 311 .. 911) x 100 lines.
AREA_CODES = 8 * 99
PHONE_NUMBERS = AREA_CODES * 100


def area_code(index: str) -> str:
    """The area code of an index 0..791: hundreds 2..9, then 00..99 without 11."""
    return f"((2 + ({index}) div 99) * 100 + ({index}) % 99 + IF(({index}) % 99 >= 11, 1, 0))"


def first_values(seed: int, pools: dict, key: str) -> str:
    """The state a customer starts with (the initial load, or a new customer's APPEND). ``phone``
    is always drawn (a change moves away from it) and ``has_phone`` says whether it is shown;
    ``addr`` keys the address draws: the customer's own key here, an update's sequence_num after
    a move."""
    source = f"(-({key}) - 1)"
    fields = {
        "last": below(seed, "last name", len(pools["last_names"]), source),
        "domain": below(seed, "email domain", len(EMAIL_DOMAINS), source),
        "phone": below(seed, "phone", PHONE_NUMBERS, source),
        "has_phone": f"{uniform(seed, 'phone null', source)} >= {PHONE_NULL_RATE!r}D",
        "street": below(seed, "street", len(pools["street_before"]), source),
        "addr": source,
        "tier": weighted_index(uniform(seed, "loyalty tier", source), list(LOYALTY_TIERS.values())),
    }
    return "named_struct(" + ", ".join(f"'{name}', {sql}" for name, sql in fields.items()) + ")"


def update_draws(seed: int, pools: dict, sequence: str) -> str:
    """Everything an UPDATE with this sequence_num draws, as one struct: its kind, and for each
    field the shift to another value (1 .. n-1), the new style, the tier step."""
    def shift(purpose: str, n: int) -> str:
        return f"1 + {below(seed, purpose, n - 1, sequence)}"

    draws = {
        "kind": weighted_index(uniform(seed, "update kind", sequence), list(UPDATE_KINDS.values())),
        "last": shift("new last name", len(pools["last_names"])),
        "style": below(seed, "new email style", EMAIL_STYLES, sequence),
        "domain": shift("new email domain", len(EMAIL_DOMAINS)),
        "phone": shift("new phone", PHONE_NUMBERS),
        "street": shift("new street", len(pools["street_before"])),
        "step": f"element_at(array({', '.join(str(step) for step in TIER_STEPS)}), "
                f"{weighted_index(uniform(seed, 'tier step', sequence), list(TIER_STEPS.values()))} + 1)",
    }
    return "named_struct(" + ", ".join(f"'{name}', CAST({sql} AS INT)" for name, sql in draws.items()) + ")"


def customer_state(pools: dict) -> dict[str, str]:
    """Window expressions for the state after each event (columns ``start`` and ``d``, the
    draws of an update or null): running sums of the shifts, the latest style and address key,
    the tier folded through its steps with the reflection at Bronze and Platinum."""
    so_far = "OVER (PARTITION BY key ORDER BY sort_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"

    def moved(field: str, kind: int) -> str:
        return f"sum(IF(d.kind = {kind}, d.{field}, 0)) {so_far}"

    tiers = len(LOYALTY_TIERS)
    return {
        "last": f"CAST((start.last + {moved('last', LAST_NAME)}) % {len(pools['last_names'])} AS INT)",
        # The style of the latest e-mail change, or first.last after a last-name change (and at first).
        "style": f"CAST(coalesce(last(CASE d.kind WHEN {EMAIL} THEN d.style WHEN {LAST_NAME} THEN 0 END, true) {so_far}, 0) AS INT)",
        "domain": f"CAST((start.domain + {moved('domain', EMAIL)}) % {len(EMAIL_DOMAINS)} AS INT)",
        "phone": f"IF(start.has_phone OR count(IF(d.kind = {PHONE}, 1, NULL)) {so_far} > 0, "
                 f"(start.phone + {moved('phone', PHONE)}) % {PHONE_NUMBERS}, CAST(NULL AS BIGINT))",
        "street": f"CAST((start.street + {moved('street', ADDRESS)}) % {len(pools['street_before'])} AS INT)",
        "addr": f"coalesce(last(IF(d.kind = {ADDRESS}, sequence_num, NULL), true) {so_far}, start.addr)",
        "tier": f"aggregate(collect_list(IF(d.kind = {TIER}, d.step, NULL)) {so_far}, start.tier, (t, step) -> "
                f"IF(t + step < 0 OR t + step >= {tiers}, t - step, t + step))",
    }


def lifetime_value(seed: int, key: str) -> str:
    """Gamma(2, 250) dollars as the sum of two exponentials, -250 * ln(u1 * u2): true parameters."""
    source = f"(-({key}) - 1)"
    uniforms = " * ".join(f"(1D - {uniform(seed, f'lifetime value {k}', source)})" for k in range(LIFETIME_VALUE_SHAPE))
    return f"CAST(round(-{LIFETIME_VALUE_SCALE!r}D * ln({uniforms}), 2) AS DECIMAL(12,2))"


def initial_signup_day(seed: int, key: str) -> str:
    days = day_number(SIGNUP_LAST) - day_number(SIGNUP_FIRST) + 1
    return f"({day_number(SIGNUP_FIRST)} + {below(seed, 'signup date', days, f'(-({key}) - 1)')})"


def render_customer(frame, seed: int, pools: dict):
    """The 14 customer columns from ``key`` (key position), ``signup_day`` and the state struct ``s``."""
    places = us_place_columns()
    probability, alias = US_PLACE_ALIAS
    coin = uniform(seed, "place coin", "s.addr")
    house = (f"least(2 + CAST(floor(ln(1D - {uniform(seed, 'house number', 's.addr')}) / ln({1 - HOUSE_NUMBER_P!r}D)) AS BIGINT), "
             f"{MAX_HOUSE_NUMBER}L)")
    frame = frame.withColumns({
        "_first": F.expr(below(seed, "first name", len(pools["first_names"]), "(-key - 1)")),
        "_slot": F.expr(below(seed, "place", len(probability), "s.addr")),
        "customer_id": F.expr(f"key + {FIRST_ID}L"),
    })
    frame = frame.withColumn("_place", F.expr(f"IF({coin} < {pick(probability, '_slot')}, _slot, {pick(alias, '_slot')})"))
    first_email, last_email = pick(pools["first_email"], "_first"), pick(pools["last_email"], "s.last")
    frame = frame.withColumns({
        "first_name": F.expr(pick(pools["first_names"], "_first")),
        "last_name": F.expr(pick(pools["last_names"], "s.last")),
        "_first_email": F.expr(first_email),
        "_last_email": F.expr(last_email),
    })
    local_part = ("CASE s.style WHEN 0 THEN concat(_first_email, '.', _last_email) WHEN 1 THEN concat(_first_email, _last_email) "
                  "WHEN 2 THEN concat(substr(_first_email, 1, 1), '.', _last_email) ELSE concat(_first_email, '_', _last_email) END")
    zip_code = f"{pick(places['zip_low'], '_place')} + {below(seed, 'postal code', pick(places['zip_span'], '_place'), 's.addr')}"
    return frame.withColumns({
        "name": F.expr("concat(first_name, ' ', last_name)"),
        # The customer id makes each address unique without a de-duplication pass.
        "email": F.expr(f"concat({local_part}, CAST(customer_id AS STRING), '@', {pick(EMAIL_DOMAINS, 's.domain')})"),
        "phone": F.expr(f"IF(s.phone IS NULL, CAST(NULL AS STRING), format_string('(%d) 555-01%02d', "
                        f"{area_code('s.phone div 100')}, s.phone % 100))"),
        "street_address": F.expr(f"concat({pick(pools['street_before'], 's.street')}, "
                                 f"IF({pick(pools['street_numbered'], 's.street')}, CAST({house} AS STRING), ''), "
                                 f"{pick(pools['street_after'], 's.street')})"),
        "city": F.expr(pick(places["city"], "_place")),
        "state": F.expr(pick(places["state"], "_place")),
        "postal_code": F.expr(f"lpad(CAST({zip_code} AS STRING), 5, '0')"),
        "region": F.expr(pick(places["region"], "_place")),
        "loyalty_tier": F.expr(pick(list(LOYALTY_TIERS), "s.tier")),
        "signup_date": F.expr("date_add(DATE'1970-01-01', CAST(signup_day AS INT))"),
        "lifetime_value": F.expr(lifetime_value(seed, "key")),
    })


def conform(frame, columns: dict[str, str]):
    """The columns in contract order, cast to the contract's Spark types."""
    return frame.select(*[F.col(name).cast(kind).alias(name) for name, kind in columns.items()])

# COMMAND ----------

# The feed's rows.
#
# events(): one row per change event and malformed row of the batches, from (step, event number)
# alone: which key, which operation, its sequence_num and time, which folder it lands in (late),
# whether it is delivered twice (duplicate) and what is broken in it (malformed).
# walked_rows(): the events partitioned by key, each key's customer state carried through them in
# sequence order by window functions (the only shuffle). It runs once: its rows are staged as parquet in a hidden
# folder (DIR/_cdc_staging/, partitioned by destination), and each batch folder and expected table
# is then a filtered read of the stage, rendered to strings. The stage is removed at the end.


def steps_frame(spark, plan: Plan):
    """The plan's steps as a small table (a few numbers per step), joined to the event grid."""
    rows = [(s.step, s.batch, s.updates, s.deletes, s.reinserts, s.inserts, s.malformed, s.changes, s.rows,
             s.deleted, s.reinserted, s.created, s.sequence, s.start_us, s.width_us) for s in plan.steps]
    schema = ("step BIGINT, batch INT, updates BIGINT, deletes BIGINT, reinserts BIGINT, inserts BIGINT, "
              "malformed BIGINT, changes BIGINT, events BIGINT, deleted BIGINT, reinserted BIGINT, created BIGINT, "
              "sequence BIGINT, start_us BIGINT, width_us BIGINT")
    return spark.createDataFrame(rows, schema)


def event_partitions(plan: Plan, requested: int | None) -> int:
    if requested:
        return requested
    events = sum(s.rows for s in plan.steps)
    return max(1, min(10_000, math.ceil(events / ROWS_PER_PARTITION)))


def events(spark, plan: Plan, partitions: int):
    """Every change event and malformed row of the batches (see the plan's comment for the keys)."""
    settings = plan.settings
    seed, rows = settings.seed, settings.rows
    stride = max(max(s.rows for s in plan.steps), 1)
    # A grid of (step, number) with room for the largest step; numbers past a step's events go.
    spec = new_spec(spark, "cdc_events", len(plan.steps) * stride, seed, partitions)
    spec = with_sql(spec, "step", "bigint", f"id div {stride}")
    spec = with_sql(spec, "number", "bigint", f"id % {stride}")
    grid = spec.build().select("step", "number")
    frame = grid.join(F.broadcast(steps_frame(spark, plan)), "step").where("number < events")

    alive_initial = f"({rows}L - deleted)"  # A: initial customers not deleted before the step

    # Event order inside the step: a keyed shuffle of its valid events and malformed rows together.
    frame = frame.withColumn("slot", F.expr(permutation(seed, "event order", "number", "events", "step")))
    frame = frame.withColumns({
        "sequence_num": F.expr("sequence + slot + 1"),
        "malformed": F.expr("number >= changes"),
    })
    # A malformed row copies a valid event of its step (its key, operation and values) under a
    # sequence_num of its own; walked right after its source, it carries the source's values.
    frame = frame.withColumn("source", F.expr(f"IF(malformed, {below(seed, 'malformed source', 'changes', 'sequence_num')}, number)"))
    frame = frame.withColumns({
        "op": F.expr(f"CASE WHEN source < updates THEN {UPDATE} WHEN source < updates + deletes THEN {DELETE} "
                     f"WHEN source < updates + deletes + reinserts THEN {REINSERT} ELSE {INSERT} END"),
        "sort_key": F.expr(f"IF(malformed, (sequence + {permutation(seed, 'event order', 'source', 'events', 'step')} + 1) * 2 + 1, "
                           "sequence_num * 2)"),
        # Times: the step's window cut into one stratum per slot, a uniform time in each, so
        # operation_ts never decreases in sequence_num order (and strictly increases per key).
        "ts_us": F.expr(f"start_us + 1 + least(CAST(floor((slot + {uniform(seed, 'time', 'sequence_num')}) / events * width_us) AS BIGINT), "
                        "width_us - 1)"),
    })
    # An update's alive index: past the step's deletes, the first values of a keyed permutation of
    # the rest of the alive customers (so distinct within the step).
    frame = frame.withColumn("alive_index", F.expr(
        f"IF(op = {UPDATE}, deletes + {permutation(seed, 'update pick', 'source', f'{alive_initial} + reinserted + created - deletes', 'step')}, "
        "CAST(NULL AS BIGINT))"))
    # Where the key sits in the key order (ranges A and B), or null for a customer inserted during
    # the feed (range C, and every new customer).
    frame = frame.withColumn("order_position", F.expr(
        f"CASE WHEN op = {UPDATE} THEN IF(alive_index < {alive_initial}, deleted + alive_index, "
        f"IF(alive_index < {alive_initial} + reinserted, alive_index - {alive_initial}, CAST(NULL AS BIGINT))) "
        f"WHEN op = {DELETE} THEN deleted + source - updates "
        f"WHEN op = {REINSERT} THEN reinserted + source - updates - deletes END"))
    frame = frame.withColumn("key", F.expr(
        f"CASE WHEN order_position IS NOT NULL THEN {permutation(seed, 'key order', 'order_position', f'{rows}L')} "
        f"WHEN op = {UPDATE} THEN {rows}L + alive_index - {alive_initial} - reinserted "
        f"ELSE {rows}L + created + source - updates - deletes - reinserts END"))
    geometric = (f"(1 + CAST(floor(ln(1D - {uniform(seed, 'delay', 'sequence_num')}) / ln({1 - LATE_DELAY_P!r}D)) AS INT))")
    late = f"(NOT malformed AND batch < {settings.batches} AND {uniform(seed, 'late', 'sequence_num')} < {settings.late_rate!r}D)"
    frame = frame.withColumns({
        "late": F.expr(late),
        "arrival": F.expr(f"IF({late}, least(batch + {geometric}, {settings.batches}), batch)"),
    })
    duplicate = f"(NOT malformed AND {uniform(seed, 'duplicate', 'sequence_num')} < {settings.duplicate_rate!r}D)"
    frame = frame.withColumns({
        # The second delivery of a duplicated event: the same folder, or half the time the next one.
        "again": F.expr(f"IF({duplicate}, least(arrival + IF({uniform(seed, 'redelivery', 'sequence_num')} < "
                        f"{DUPLICATE_NEXT_BATCH!r}D, 1, 0), {settings.batches}), CAST(NULL AS INT))"),
        # 1 = null operation, 2 = null customer_id (malformed rows only).
        "defect": F.expr(f"IF(malformed, IF({uniform(seed, 'defect', 'sequence_num')} < {MALFORMED_NULL_OPERATION!r}D, 1, 2), 0)"),
    })
    return frame.select("key", "batch", "op", "malformed", "defect", "sequence_num", "sort_key", "ts_us", "late",
                        "arrival", "again")


def initial_events(spark, plan: Plan, partitions: int):
    """The initial load in the events' shape: key positions 0 .. rows-1, APPEND at the snapshot."""
    rows = plan.settings.rows
    spec = new_spec(spark, "cdc_initial", rows, plan.settings.seed, partitions)
    spec = with_sql(spec, "key", "bigint", "id")
    return spec.build().selectExpr(
        "key", "0 AS batch", f"{INITIAL} AS op", "false AS malformed", "0 AS defect", "key + 1 AS sequence_num",
        "(key + 1) * 2 AS sort_key", f"{micros(SNAPSHOT_AT)}L AS ts_us", "false AS late", "0 AS arrival",
        "CAST(NULL AS INT) AS again")


def walked_rows(changes, plan: Plan, pools: dict, partitions: int):
    """Every row the batch folders and the expected tables need, with the customer's state after
    it (unrendered: the state is a few whole numbers) and where it goes (``target``).

    The events and the initial APPENDs are partitioned by key and ordered by sequence (the only
    shuffle); window functions carry each key's state through its events (customer_state): only
    an UPDATE changes it; a DELETE shows the last values (the before image), a re-insert brings
    them back, a malformed row (ordered right after its source) copies its source's.

    target 1..K: the batch folder a row lands in (a duplicated event twice); target 0: a version
    for SCD type 2 (every valid APPEND or UPDATE, ``end_at`` = the sequence_num of the key's next
    valid change, null while current), which is also what SCD type 1 keeps when current."""
    seed, rows = plan.settings.seed, plan.settings.rows
    frame = changes.repartition(partitions, "key").withColumns({
        "start": F.expr(first_values(seed, pools, "key")),
        "d": F.expr(f"IF(op = {UPDATE} AND NOT malformed, {update_draws(seed, pools, 'sequence_num')}, NULL)"),
    })
    state = customer_state(pools)
    window = "OVER (PARTITION BY key ORDER BY sort_key ROWS BETWEEN {} AND {})"
    frame = frame.withColumns({
        "s": F.expr("named_struct(" + ", ".join(f"'{name}', {sql}" for name, sql in state.items()) + ")"),
        # A new customer signs up on the day of its APPEND, the key's first event.
        "signup_day": F.expr(f"IF(key < {rows}L, {initial_signup_day(seed, 'key')}, "
                             f"first(ts_us div {86_400_000_000}L) {window.format('UNBOUNDED PRECEDING', 'CURRENT ROW')})"),
        "end_at": F.expr(f"first(IF(malformed, NULL, sequence_num), true) {window.format('1 FOLLOWING', 'UNBOUNDED FOLLOWING')}"),
        "e": F.expr("named_struct('sequence_num', sequence_num, 'op', op, 'defect', defect, 'ts_us', ts_us)"),
    })
    landing = frame.where(f"op != {INITIAL}").select(
        "key", "signup_day", "e", "s", F.lit(None).cast("bigint").alias("end_at"), "late",
        F.expr("again IS NOT NULL").alias("duplicated"),
        F.explode(F.expr("IF(again IS NULL, array(arrival), array(arrival, again))")).alias("target"))
    versions = frame.where(f"NOT malformed AND op != {DELETE}").select(
        "key", "signup_day", "e", "s", "end_at", "late", F.lit(False).alias("duplicated"), F.lit(0).alias("target"))
    return landing.unionByName(versions)


def feed_rows(frame, seed: int, pools: dict):
    """Rendered feed rows (contract columns) from rows with key, signup_day, s (state) and e (event)."""
    frame = render_customer(frame, seed, pools).withColumns({
        "operation": F.expr(f"IF(e.defect = 1, CAST(NULL AS STRING), CASE e.op WHEN {UPDATE} THEN 'UPDATE' "
                            f"WHEN {DELETE} THEN 'DELETE' ELSE 'APPEND' END)"),
        "customer_id": F.expr("IF(e.defect = 2, CAST(NULL AS BIGINT), customer_id)"),
        "sequence_num": F.col("e.sequence_num"),
        "operation_ts": F.expr("timestamp_micros(e.ts_us)"),
    })
    return conform(frame, FEED_COLUMNS)


def version_rows(frame, seed: int, pools: dict, columns: dict[str, str]):
    """Rendered SCD rows: the customer columns, the change's sequence_num and operation_ts, and
    __START_AT / __END_AT (for SCD type 2)."""
    frame = render_customer(frame, seed, pools).withColumns({
        "sequence_num": F.col("e.sequence_num"),
        "operation_ts": F.expr("timestamp_micros(e.ts_us)"),
        "__START_AT": F.col("e.sequence_num"),
        "__END_AT": F.col("end_at"),
    })
    return conform(frame, columns)


def initial_feed(spark, plan: Plan, pools: dict, partitions: int):
    """DIR/initial/: every initial customer, first values, APPEND at the snapshot. No shuffle."""
    seed = plan.settings.seed
    frame = initial_events(spark, plan, partitions)
    frame = frame.select("key", F.expr(f"{initial_signup_day(seed, 'key')} AS signup_day"),
                         F.expr(f"{first_values(seed, pools, 'key')} AS start"),
                         F.expr("struct(sequence_num, op, defect, ts_us) AS e"))
    frame = frame.withColumn("s", F.expr("named_struct('last', start.last, 'style', 0, 'domain', start.domain, "
                                         "'phone', IF(start.has_phone, start.phone, NULL), 'street', start.street, "
                                         "'addr', start.addr, 'tier', start.tier)"))
    return feed_rows(frame, seed, pools)


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

# Output: DIR/<folder>/ part files per delivery plus DIR/_manifest.json, the layout the validator
# reads (scripts/utils/validate.py takes the manifest's feed folders as one table).
# OutputError and sql_string are copied verbatim from scripts/utils/output.py.
class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""


def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"

MANIFEST = "_manifest.json"
# Output of another run shape (Tier 1 writes files, not folders) that a feed here would mix with.
OTHER_FEED_FILE = re.compile(r"^(initial|batch_\d{3,}|expected_final|expected_scd2)\.(json|csv|parquet)$")
FEED_FOLDER = re.compile(r"^(initial|batch_\d{3,}|expected_final|expected_scd2)$")


def visible_folder(directory: str) -> Path | None:
    """The folder as this process sees it, or None when only the Spark server can (a Databricks
    Connect session writing to /Volumes/... from a laptop)."""
    path = Path(directory)
    return path if path.exists() or path.parent.exists() else None


def folder_bytes(path: Path) -> int:
    """Every file under a folder, as the validator counts them."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def batch_name(batch: int, batches: int) -> str:
    """batch_001 ...: zero-padded to at least 3 digits so the folders sort in order (Tier 1's names)."""
    return f"batch_{batch:0{max(3, len(str(batches)))}d}"


def check_folder_targets(directory: str, mode: str) -> None:
    """Refuse a file in the way, Tier 1 feed files (Auto Loader would read both), or feed folders
    this generator did not write (no manifest of its own); in error mode, any feed folder."""
    path = visible_folder(directory)
    if path is None:
        return  # only the server sees it; Spark's error mode still refuses an existing folder
    if path.exists() and not path.is_dir():
        raise OutputError(f"--output {directory} is a file, not a folder")
    if not path.is_dir():
        return
    others = sorted(p.name for p in path.iterdir() if OTHER_FEED_FILE.match(p.name))
    if others:
        raise OutputError(f"--output {directory} holds a Tier 1 feed ({', '.join(others[:3])}{' ...' if len(others) > 3 else ''}): "
                          "Auto Loader would read both; pass another folder")
    existing = sorted(p.name for p in path.iterdir() if p.is_dir() and FEED_FOLDER.match(p.name))
    if not existing:
        return
    try:
        ours = json.loads((path / MANIFEST).read_text()).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        ours = False
    listed = ", ".join(existing[:3]) + (" ..." if len(existing) > 3 else "")
    if not ours:
        raise OutputError(f"--output {directory} already holds {listed} not written by {GENERATOR} "
                          f"(no {MANIFEST} of its own): they are never replaced; pass another folder")
    if mode != "overwrite":
        raise OutputError(f"--output {directory} already holds {listed} from an earlier run: "
                          "pass --mode overwrite to replace them (Auto Loader remembers files it read by "
                          "name, so a new folder is usually better)")


def remove_stale_batches(directory: str, written: set[str]) -> list[str]:
    """Batch folders of an earlier run with more batches: Auto Loader would ingest them."""
    path = visible_folder(directory)
    if path is None or not path.is_dir():
        return []
    stale = sorted(p.name for p in path.iterdir() if p.is_dir() and FEED_FOLDER.match(p.name) and p.name not in written)
    for name in stale:
        shutil.rmtree(path / name)
    return stale


def write_folder(frame, directory: str, name: str, fmt: str, overwrite: bool) -> dict:
    """DIR/<name>/ part files; their bytes when this process can see the folder. Text formats keep
    microseconds and the UTC offset; JSON writes null fields (Spark leaves them out by default)."""
    writer = frame.write.mode("overwrite" if overwrite else "error").format(fmt)
    if fmt == "parquet":
        writer = writer.option("compression", "zstd")
    elif fmt == "csv":
        writer = writer.option("header", "true").option("timestampFormat", TEXT_TIMESTAMP_FORMAT)
    elif fmt == "json":
        writer = writer.option("ignoreNullFields", "false").option("timestampFormat", TEXT_TIMESTAMP_FORMAT)
    writer.save(f"{directory.rstrip('/')}/{name}")
    info = {"path": name}
    path = visible_folder(directory)
    if path is not None and (path / name).is_dir():
        info["bytes"] = folder_bytes(path / name)
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


def library_versions(spark) -> dict[str, str]:
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


def spark_schema(columns: dict[str, str]) -> str:
    """The feed's columns as a Spark DDL string, for Auto Loader's .schema(...) (Tier 1's string)."""
    return ", ".join(f"{name} {kind.upper()}" for name, kind in columns.items())

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
        prog="cdc.py",
        description="Generate a change data capture feed on Spark (initial load + batch folders of "
        "APPEND/UPDATE/DELETE events with a sequence number) for Auto Loader and AUTO CDC, plus the SCD "
        "type 1 and 2 tables a correct apply must produce. The Spark counterpart of "
        "scripts/generators/polars/cdc.py: same columns and option meanings.",
        epilog="Folders (Spark part files): DIR/initial/, DIR/batch_001/ ..., DIR/expected_final/, "
        "DIR/expected_scd2/ (parquet), and DIR/_manifest.json. Deletes hit customers of the initial load, "
        "each at most once; deleted customers come back (--reinsert-rate) in the order they left. "
        "Operation shares: give all three (they must add up to 1) or some (the others share the rest in "
        "the default proportions). The same --seed and options give the same rows whatever --partitions.",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS,
                        help=f"customers in the initial load (default {DEFAULT_ROWS:,})")
    parser.add_argument("--batches", type=positive_int, default=DEFAULT_BATCHES,
                        help=f"batch folders of changes after the initial load (default {DEFAULT_BATCHES}, at most {MAX_BATCHES:,})")
    parser.add_argument("--changes", type=positive_int,
                        help="change events per batch (default 10%% of --rows, at least 1)")
    parser.add_argument("--update-rate", type=rate, help=f"share of a batch's events that are UPDATEs (default {OPERATION_RATES['update']})")
    parser.add_argument("--delete-rate", type=rate, help=f"share that are DELETEs (default {OPERATION_RATES['delete']})")
    parser.add_argument("--insert-rate", type=rate, help=f"share that are new APPENDs (default {OPERATION_RATES['insert']})")
    parser.add_argument("--reinsert-rate", type=rate, default=DEFAULT_REINSERT_RATE,
                        help=f"share of inserts that bring back a deleted key, when there is one (default {DEFAULT_REINSERT_RATE})")
    parser.add_argument("--late-rate", type=rate, default=0.0,
                        help="share of events (batches 1..K-1) arriving 1+ batches late, true sequence_num kept (default 0)")
    parser.add_argument("--duplicate-rate", type=rate, default=0.0,
                        help="share of events delivered twice, same folder or the next (default 0)")
    parser.add_argument("--malformed-rate", type=rate, default=0.0,
                        help="extra malformed rows (null operation or null customer_id) per event (default 0)")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--locale", type=locale_name, default="en",
                        help="Mimesis locale for names and street addresses, e.g. en, de, fr, ja (default en)")
    parser.add_argument("--output", metavar="DIR",
                        help="folder to land the feed in: a local path, or /Volumes/<catalog>/<schema>/<volume>/<path>")
    parser.add_argument("--format", choices=FEED_FORMATS, default="json",
                        help="feed part-file format (default json = JSON Lines, what Auto Loader reads); expected_* are parquet")
    parser.add_argument("--no-scd2", action="store_true", help="do not write DIR/expected_scd2/")
    parser.add_argument("--mode", choices=("error", "overwrite"), default="error",
                        help="error (default): refuse a folder that holds a feed; overwrite: replace a feed this tool wrote")
    parser.add_argument("--tier", type=int, choices=(2, 3),
                        help="2 = Connect-safe features only (default outside a notebook), 3 = notebook (default "
                        "there). Every column is SQL, so both build the same data")
    parser.add_argument("--partitions", type=positive_int,
                        help=f"Spark partitions, so part files per folder, at most (default: one per {ROWS_PER_PARTITION:,} rows). "
                        "Does not change the data")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="generate on a local pyspark session")
    where.add_argument("--remote", metavar="URL", help="Spark Connect URL, e.g. sc://localhost:15002")
    parser.add_argument("--profile", help="Databricks config profile (default: DEFAULT auth, serverless)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (folders, rows, partitions), start no Spark")
    return parser  # fmt: skip


# Widgets a notebook shows, by argparse destination; flags become true/false dropdowns.
NOTEBOOK_WIDGETS = ("rows", "batches", "changes", "update_rate", "delete_rate", "insert_rate", "reinsert_rate",
                    "late_rate", "duplicate_rate", "malformed_rate", "seed", "locale", "output", "format", "no_scd2",
                    "mode", "tier", "partitions", "dry_run")


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


def operation_rates(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, float]:
    """The three operation shares: given ones as they are, missing ones share the rest (Tier 1's rule)."""
    given = {op: getattr(args, f"{op}_rate") for op in OPERATION_RATES if getattr(args, f"{op}_rate") is not None}
    flags = ", ".join(f"--{op}-rate {value:g}" for op, value in given.items())
    total = sum(given.values())
    if total > 1 + 1e-9:
        parser.error(f"{flags} add up to {total:g}: the operation shares must add up to 1 at most")
    missing = [op for op in OPERATION_RATES if op not in given]
    if not missing:
        if abs(total - 1) > 1e-6:
            parser.error(f"{flags} add up to {total:g}, not 1: adjust one, or leave one out to take the rest")
        return given
    default_rest = sum(OPERATION_RATES[op] for op in missing)
    rest = 1 - total
    return {op: given.get(op, rest * OPERATION_RATES[op] / default_rest if op in missing else 0.0) for op in OPERATION_RATES}


def parse_args(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    if argv is None and in_notebook():
        argv = widget_arguments(parser, globals()["dbutils"])
    elif argv is None and "ipykernel" in sys.modules:
        argv = []  # a Jupyter kernel's own argv (-f kernel.json) is not ours: call main([...]) instead
    args = parser.parse_args(argv)
    if args.tier is None:
        args.tier = 3 if in_notebook() else 2
    if args.output is None:
        parser.error("say where the feed lands: --output DIR (a folder, e.g. /Volumes/<catalog>/<schema>/<volume>/cdc)")
    if args.batches > MAX_BATCHES:
        parser.error(f"--batches {args.batches:,}: at most {MAX_BATCHES:,} (use fewer, larger batches)")
    if args.profile and (args.local or args.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    args.rates = operation_rates(parser, args)
    args.changes = args.changes or max(1, round(args.rows * CHANGES_PER_ROW))
    return parser, args


def plan_run(args: argparse.Namespace) -> Plan:
    settings = Settings(args.seed, args.rows, args.batches, args.changes, args.rates, args.reinsert_rate,
                        args.late_rate, args.duplicate_rate, args.malformed_rate)
    return plan_feed(settings)


def feed_names(batches: int) -> list[str]:
    return ["initial"] + [batch_name(batch, batches) for batch in range(1, batches + 1)]


STAGING = "_cdc_staging"  # a leading underscore: Spark readers, Auto Loader and the validator skip it


def staged_counts(staged) -> tuple[dict[int, int], int, int]:
    """Rows landing in each batch folder, late events and duplicated events, from the stage (a
    duplicated event lands twice, so its rows count half)."""
    landing: dict[int, int] = {}
    late = duplicates = 0
    for row in staged.where("target > 0").groupBy("target", "late", "duplicated").count().collect():
        landing[row["target"]] = landing.get(row["target"], 0) + row["count"]
        events = row["count"] / 2 if row["duplicated"] else row["count"]
        late += events if row["late"] else 0
        duplicates += events if row["duplicated"] else 0
    return landing, int(late), int(duplicates)


def remove_staging(spark, directory: str) -> None:
    """Remove DIR/_cdc_staging/: with the file system when this process sees the folder, else
    emptied through Spark (an empty overwrite) and removed with the Databricks SDK's Files API."""
    stage = f"{directory.rstrip('/')}/{STAGING}"
    path = visible_folder(directory)
    if path is not None:
        shutil.rmtree(path / STAGING, ignore_errors=True)
        return
    try:
        spark.range(0).write.mode("overwrite").parquet(stage)
        from databricks.sdk import WorkspaceClient

        files = WorkspaceClient().files
        for entry in files.list_directory_contents(stage):
            files.delete(entry.path)
        files.delete_directory(stage)
    except Exception as error:  # a leftover hidden folder is harmless: say so, do not fail the run
        progress(f"note: could not remove {stage} ({type(error).__name__}); delete it when convenient")


def generate(spark, args: argparse.Namespace) -> dict:
    """Check the folder, write the initial load, the batches, the expected tables, the manifest last;
    returns the summary. Raises OutputError before anything is written when the folder cannot be used."""
    started = time.perf_counter()
    plan = plan_run(args)
    check_folder_targets(args.output, args.mode)
    remove_manifest(args.output)  # written again last: a folder whose run died has none
    overwrite = args.mode == "overwrite"
    partitions = event_partitions(plan, args.partitions)
    initial_partitions = args.partitions or max(1, min(10_000, math.ceil(args.rows / ROWS_PER_PARTITION)))
    progress(f"cdc: {args.rows:,} customers + {args.batches} batches of {args.changes:,} changes -> {args.output} "
             f"({args.format}, tier {args.tier})")
    pools = build_pools(args.locale, args.seed)
    names = feed_names(args.batches)
    tables = {}

    def timed(name: str, rows: int, write) -> None:
        begun = time.perf_counter()
        tables[name] = {"rows": rows, **write()}
        tables[name]["seconds"] = round(time.perf_counter() - begun, 3)
        progress(f"  {name}: {rows:,} rows in {tables[name]['seconds']:.2f}s")

    timed("initial", args.rows, lambda: write_folder(
        initial_feed(spark, plan, pools, initial_partitions).sortWithinPartitions("sequence_num"),
        args.output, "initial", args.format, overwrite))
    # The walk, once, staged; everything after it reads the stage.
    begun = time.perf_counter()
    stage = f"{args.output.rstrip('/')}/{STAGING}"
    everything = events(spark, plan, partitions).unionByName(initial_events(spark, plan, initial_partitions))
    walked_rows(everything, plan, pools, max(partitions, initial_partitions)).write.mode("overwrite") \
        .partitionBy("target").parquet(stage)
    staged = spark.read.parquet(stage)
    landing, late, duplicates = staged_counts(staged)
    progress(f"  changes walked and staged in {time.perf_counter() - begun:.2f}s")
    for batch in range(1, args.batches + 1):
        timed(names[batch], landing.get(batch, 0), lambda batch=batch: write_folder(
            feed_rows(staged.where(f"target = {batch}"), args.seed, pools).sortWithinPartitions("sequence_num"),
            args.output, names[batch], args.format, overwrite))
    for name in names:  # which contract each folder follows (the validator's feed mapping)
        tables[name]["contract"] = "customer_changes"
    counts = plan.totals()
    versions = staged.where("target = 0")
    timed("expected_final", plan.alive_at_end, lambda: write_folder(
        version_rows(versions.where("end_at IS NULL"), args.seed, pools, STATE_COLUMNS).sortWithinPartitions("customer_id"),
        args.output, "expected_final", "parquet", overwrite))
    tables["expected_final"]["contract"] = "customers_current"
    written = set(names) | {"expected_final"}
    if not args.no_scd2:
        timed("expected_scd2", args.rows + counts["inserts"] + counts["reinserts"] + counts["updates"], lambda: write_folder(
            version_rows(versions, args.seed, pools, SCD2_COLUMNS).sortWithinPartitions("customer_id", "__START_AT"),
            args.output, "expected_scd2", "parquet", overwrite))
        written.add("expected_scd2")
    remove_staging(spark, args.output)
    stale = remove_stale_batches(args.output, written) if overwrite else []
    if stale:
        progress(f"  removed {len(stale)} folders of an earlier run: {', '.join(stale[:5])}{' ...' if len(stale) > 5 else ''}")
    counts.update(late=late, duplicates=duplicates)
    injections = {}
    if args.malformed_rate:
        injections["nulls"] = {f"customer_changes.{column}": args.malformed_rate for column in ("operation", "customer_id")}
    if args.duplicate_rate:
        injections["duplicate_rate"] = {"customer_changes": args.duplicate_rate}
    seconds = round(time.perf_counter() - started, 3)
    manifest = {
        "generator": GENERATOR,
        "industry": INDUSTRY,
        "seed": args.seed,
        "format": args.format,
        "arguments": {key: value for key, value in vars(args).items()},
        "versions": library_versions(spark),
        "partitions": {"initial": initial_partitions, "batches": partitions},
        "feed": {
            "table": "customer_changes",
            "files": names,
            "keys": ["customer_id"],
            "sequence_by": "sequence_num",
            "operation": "operation",
            "changes_per_batch": args.changes,
            "rates": {**args.rates, "reinsert": args.reinsert_rate, "late": args.late_rate,
                      "duplicate": args.duplicate_rate, "malformed": args.malformed_rate},
            "counts": counts,
            "spark_schema": spark_schema(FEED_COLUMNS),
            # What Auto Loader loads: the delivery folders (a path glob) and their part files.
            "load_path": f"{args.output.rstrip('/')}/{{initial,batch_*}}",
            "path_glob_filter": f"*.{args.format}",
        },
        "tables": tables,
        "seconds": seconds,
    }
    if injections:
        manifest["quality_injections"] = injections
    write_folder_manifest(args.output, manifest)
    return {"output": args.output, "seed": args.seed, "format": args.format, "tier": args.tier, "tables": tables,
            "counts": counts, "seconds": seconds}


def main(argv: list[str] | None = None) -> dict:
    parser, args = parse_args(argv)
    plan = plan_run(args)
    if args.dry_run:
        counts = plan.totals()
        events_total = sum(s.changes for s in plan.steps)
        summary = {
            "dry_run": True,
            "output": args.output,
            "format": args.format,
            "seed": args.seed,
            "tier": args.tier,
            "folders": feed_names(args.batches) + ["expected_final"] + ([] if args.no_scd2 else ["expected_scd2"]),
            "rows": {"initial": args.rows, "changes_per_batch": args.changes,
                     "feed_rows": round(args.rows + events_total * (1 + args.duplicate_rate) + counts["malformed"]),
                     "expected_final": plan.alive_at_end},
            "counts": counts,
            "rates": args.rates,
            "partitions": event_partitions(plan, args.partitions),
        }
        print(json.dumps(summary, indent=2))
        return summary
    try:
        check_folder_targets(args.output, args.mode)  # a refusal that needs no Spark comes before the session
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "cdc.py"
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
