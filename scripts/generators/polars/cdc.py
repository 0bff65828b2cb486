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
"""Change data capture (CDC) feed, Tier 1: Polars + NumPy + Mimesis, no Spark.

Writes what a source database's change capture would land in a Unity Catalog Volume, ready for
Auto Loader and a Lakeflow Declarative Pipelines AUTO CDC flow (references/cdc-patterns.md):

    DIR/initial.json          the initial load: every customer once, operation APPEND
    DIR/batch_001.json ...    one file per batch of changes (zero-padded, at least 3 digits)
    DIR/expected_final.parquet  the state a correct SCD type 1 apply ends in
    DIR/expected_scd2.parquet   the history SCD type 2 keeps (__START_AT / __END_AT)
    DIR/_manifest.json        the run: arguments, files, rows, measured change counts

Every feed row is a whole customer (the columns of assets/schemas/retail_customer.json) plus
``operation`` (APPEND | UPDATE | DELETE), ``sequence_num`` (bigint, never null, the true order
of the changes: unique, so strictly increasing per key) and ``operation_ts`` (UTC, never
decreasing in sequence order). Contracts: assets/schemas/cdc_customer_change.json for the feed
files, cdc_customer_current.json for expected_final.parquet (expected_scd2.parquet adds
__START_AT/__END_AT, bigint like the sequence; the manifest names each file's contract).

How the changes are made, each property measured by tests/test_polars_cdc.py:

- Time: the initial load is a snapshot at 2024-01-01T00:00:00Z of customers who signed up
  2020-01-01..2023-12-31; the K batches split 2024 into K equal windows, each in 4 steps.
- Each batch holds --changes events (default 10% of --rows), drawn as updates / deletes /
  inserts with the configured shares (default 70 / 10 / 20%). Updates and deletes pick distinct
  keys alive at the start of their step and inserts add new keys (customer_id continues after
  the initial load, signup_date = the day of the insert) or, for --reinsert-rate of them
  (default 10%), bring back a deleted key as a new APPEND with its last values. So every UPDATE
  and DELETE touches a key that exists at that point in sequence order, and a key can change up
  to 4 times within one batch (once per step). When fewer keys are alive than a step wants to
  change, the missing changes become inserts.
- Updates carry the whole new row (after image); deletes the last values (before image). What
  an update changes: address 35% (street, city, state, ZIP and region move together), email 25%
  (a new style or domain), phone 20%, loyalty tier 15% (80% one step up, 15% one step down, 5%
  two steps up, reflected at Bronze/Platinum), last name 5% (name and email follow). Every
  update changes at least one customer column, so SCD type 2 opens a version for each.
- Realism options, all off by default, shares of the change events (not of the initial load):
  --late-rate (an event of batches 1..K-1 lands Geometric(0.6) batches later: one batch 60%,
  two 24%, ..., at most in the last one; it keeps its true sequence_num and operation_ts), --duplicate-rate (an event is
  delivered twice: the copy lands in the same file or, half the time, the next one) and
  --malformed-rate (extra rows copied from an event of the step with their own sequence_num:
  60% with a null operation, 40% with a null customer_id; they change nothing in the
  expected files, which assume a pipeline drops them).

expected_final.parquet: one row per key alive after the last change, the customer columns plus
the ``sequence_num`` and ``operation_ts`` of its last change (what AUTO CDC SCD type 1 keeps with
``except_column_list=["operation"]``). expected_scd2.parquet: one row per APPEND or UPDATE, with
``__START_AT`` = its sequence_num and ``__END_AT`` = the sequence_num of the key's next change
(update or delete), null while current. Both assume malformed rows dropped and duplicates
removed (AUTO CDC wants one change per key and sequence value).

Reproducibility: the same --seed and arguments give identical files with the pinned library
versions; batches are generated in order (each change depends on the state before it), every
step from its own random stream.

Scale, measured on a 2-core machine shared with other jobs: ``--rows 1000000 --batches 10``
(2 million feed rows, 1.1 million final customers, 1.9 million SCD2 versions, parquet) took 60 s
(21 s of it the batches, most of the rest writing parquet) and peaked at 1.9 GiB of memory; the
default 10,000 rows take about a second. Every version so far is held in memory (about 500
bytes each at the peak); ``--no-scd2`` skips the history file, not the memory. JSON Lines are
about 430 bytes per feed row, CSV 200, parquet 50.

Example: ``uv run scripts/generators/polars/cdc.py --rows 10000 --batches 5 --output out/cdc``
In a notebook (after ``%pip install polars mimesis deltalake``), paste this file into a cell and
call ``main(["--rows", "10000", "--output", "/Volumes/<catalog>/<schema>/<volume>/cdc"])``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

INDUSTRY = "cdc"
GENERATOR = "scripts/generators/polars/cdc.py"

# ---------------------------------------------------------------------------------------------
# Sizes, shares and windows (documented in --help)
# ---------------------------------------------------------------------------------------------
DEFAULT_ROWS = 10_000
DEFAULT_BATCHES = 10
CHANGES_PER_ROW = 0.10  # default change events per batch, as a share of the initial rows
STEPS_PER_BATCH = 4  # a key changes at most once per step, so up to 4 times within a batch
OPERATION_RATES = {"update": 0.70, "delete": 0.10, "insert": 0.20}  # shares of a batch's events
DEFAULT_REINSERT_RATE = 0.10  # inserts that bring a deleted customer back
LATE_DELAY_P = 0.6  # batches late ~ Geometric(0.6): 60% one batch, 24% two, 10% three, ...
DUPLICATE_NEXT_BATCH = 0.5  # a redelivered event lands in the next file half the time
MALFORMED_NULL_OPERATION = 0.6  # malformed rows with a null operation; the rest a null key

# Fixed windows, never today's date, so a seed means the same feed next year.
SNAPSHOT_AT = datetime(2024, 1, 1, tzinfo=UTC)  # the initial load
FEED_END = datetime(2025, 1, 1, tzinfo=UTC)  # the batches split 2024 evenly
SIGNUP_FIRST, SIGNUP_LAST = date(2020, 1, 1), date(2023, 12, 31)  # customers of the initial load

# Salts keep the random streams apart for the same seed.
CUSTOMER_SALT, STEP_SALT, ARRIVAL_SALT = range(1, 4)

# ---------------------------------------------------------------------------------------------
# Customer distributions (as scripts/generators/polars/retail.py; the contract repeats them)
# ---------------------------------------------------------------------------------------------
LOYALTY_TIERS = {"Bronze": 50, "Silver": 30, "Gold": 15, "Platinum": 5}
LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE = 2.0, 250.0  # Gamma: mean $500, long right tail
PHONE_NULL_RATE = 0.05  # customers who gave no phone number
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: no real mailbox
# What an UPDATE changes (weights, %): moves and new e-mail addresses are the common changes.
UPDATE_KINDS = {"address": 35, "email": 25, "phone": 20, "loyalty_tier": 15, "last_name": 5}
# Loyalty tier moves (steps, weights %): mostly one step up; reflected at Bronze and Platinum,
# so the size of the step is kept (Platinum +1 becomes Gold).
TIER_STEPS = {1: 80, -1: 15, 2: 5}
# New e-mail local parts: first.last (the initial form), firstlast, f.last, first_last; the
# customer id always follows, so addresses stay unique.
EMAIL_STYLES = 4

# Output bytes per feed row for --dry-run's estimate, measured on --rows 100000 --batches 10.
BYTES_PER_ROW = {"json": 433, "csv": 198, "parquet": 48}

# ---------------------------------------------------------------------------------------------
# US places (copied verbatim from scripts/utils/us_places.py)
# ---------------------------------------------------------------------------------------------
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


def us_places() -> pl.DataFrame:
    """Parse ``US_PLACES`` into one row per city, with its Census region and population weight."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    records = []
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            records.append((city, state, low[:3], int(low), int(low[:3] + high_suffix), region_of[state], int(thousands)))
    return pl.DataFrame(
        records,
        schema={
            "city": pl.String,
            "state": pl.String,
            "zip_prefix": pl.String,
            "zip_low": pl.Int64,
            "zip_high": pl.Int64,
            "region": pl.String,
            "weight": pl.Int64,
        },
        orient="row",
    )


def draw_us_places(places: pl.DataFrame, rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Draw ``n`` linked (city, state, postal_code, region) rows, weighted by population.

    One uniform draw per row picks the place: each city owns as many slots of a lookup table as
    its weight (whole thousands of people), so the draw's slot is its city, a weighted choice
    without a per-row search; a second draw picks the ZIP inside that city's range. ZIPs are
    gathered from the 100,000 five-digit strings rather than zero-padded row by row.
    """
    weight = places["weight"].to_numpy()
    city_of_slot = np.repeat(np.arange(len(weight)), weight)
    index = pl.Series(city_of_slot[(rng.random(n) * len(city_of_slot)).astype(np.int64)])
    chosen = places.select(pl.col("city", "state", "region", "zip_low", "zip_high").gather(index))
    low = chosen["zip_low"].to_numpy()
    postal = low + (rng.random(n) * (chosen["zip_high"].to_numpy() - low + 1)).astype(np.int64)
    five_digits = pl.select(pl.int_range(100_000).cast(pl.String).str.zfill(5)).to_series()
    return chosen.select("city", "state", five_digits.gather(postal).alias("postal_code"), "region")

# ---------------------------------------------------------------------------------------------
# Polars schemas: assets/schemas/cdc_customer_change.json and cdc_customer_current.json
# ---------------------------------------------------------------------------------------------
MONEY = pl.Decimal(12, 2)
UTC_TIMESTAMP = pl.Datetime("us", "UTC")

CUSTOMERS_SCHEMA = {  # the columns and types of assets/schemas/retail_customer.json
    "customer_id": pl.Int64,
    "first_name": pl.String,
    "last_name": pl.String,
    "name": pl.String,
    "email": pl.String,
    "phone": pl.String,
    "street_address": pl.String,
    "city": pl.String,
    "state": pl.String,
    "postal_code": pl.String,
    "region": pl.String,
    "loyalty_tier": pl.String,
    "signup_date": pl.Date,
    "lifetime_value": MONEY,
}
CHANGE_COLUMNS = {"operation": pl.String, "sequence_num": pl.Int64, "operation_ts": UTC_TIMESTAMP}
FEED_SCHEMA = {**CUSTOMERS_SCHEMA, **CHANGE_COLUMNS}
# A version of a customer: what the SCD type 1 target holds with except_column_list=["operation"].
STATE_SCHEMA = {**CUSTOMERS_SCHEMA, "sequence_num": pl.Int64, "operation_ts": UTC_TIMESTAMP}
SCD2_SCHEMA = {**STATE_SCHEMA, "__START_AT": pl.Int64, "__END_AT": pl.Int64}
KEY = "customer_id"
FIRST_ID = 1_000_000
OPERATIONS = ("APPEND", "UPDATE", "DELETE")
FEED_FILE = re.compile(r"^(initial|batch_\d{3,})\.(json|csv|parquet)$")


def day_number(day: date) -> int:
    """Days since 1970-01-01, the physical value of a Polars Date."""
    return (day - date(1970, 1, 1)).days


def micros(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC, the physical value of a UTC Datetime("us")."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def streams(seed: int, salt: int, start: int, names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    """One independent generator per purpose, spawned from (seed, salt, start).

    New purposes are appended to ``names`` so the existing ones keep their values.
    """
    children = np.random.SeedSequence([seed, salt, start]).spawn(len(names))
    return dict(zip(names, (np.random.default_rng(child) for child in children)))


def weighted_pool(weights: dict, dtype: pl.DataType = pl.String) -> pl.Series:
    """Each value repeated by its integer weight: a uniform index into it is an exact weighted draw."""
    return pl.Series(np.repeat(list(weights), list(weights.values())), dtype=dtype)


def cents_to_decimal(cents: np.ndarray, dtype: pl.Decimal) -> pl.Series:
    """Integer cents as a decimal column; exact (float cast rounds to the nearest cent)."""
    return (pl.Series(cents, dtype=pl.Int64) / 100).cast(dtype)


# ---------------------------------------------------------------------------------------------
# Value pools, built once per run from Mimesis (de-duplicated and sorted: set order depends
# on PYTHONHASHSEED)
# ---------------------------------------------------------------------------------------------
@dataclass
class Pools:
    first_names: pl.Series
    last_names: pl.Series
    first_email: pl.Series  # ASCII e-mail form of first_names, same order
    last_email: pl.Series
    street_addresses: pl.Series
    places: pl.DataFrame


def email_form(names: pl.Series, fallback: str) -> pl.Series:
    """Lower-case ASCII letters of each name (accents dropped); ``fallback`` when none are left
    (Cyrillic, CJK ...), so every locale yields valid, pattern-matching e-mail addresses."""
    letters = names.str.normalize("NFKD").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    return pl.select(pl.when(letters == "").then(pl.lit(fallback)).otherwise(letters)).to_series()


def build_pools(locale: str, seed: int) -> Pools:
    from mimesis import Address, Locale, Person

    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)
    # Enough draws to cover each locale's name lists (a few thousand entries at most).
    first_names = pl.Series(sorted({person.first_name() for _ in range(12_000)}), dtype=pl.String)
    last_names = pl.Series(sorted({person.last_name() for _ in range(8_000)}), dtype=pl.String)
    street_addresses = pl.Series(sorted({address.address() for _ in range(8_000)}), dtype=pl.String)
    return Pools(
        first_names=first_names,
        last_names=last_names,
        first_email=email_form(first_names, "customer"),
        last_email=email_form(last_names, ""),
        street_addresses=street_addresses,
        places=us_places(),
    )


# ---------------------------------------------------------------------------------------------
# Customers: new ones, and what an update changes
# ---------------------------------------------------------------------------------------------
CUSTOMER_STREAMS = ("signup", "first", "last", "domain", "phone", "phone_null", "street", "house",
                    "place", "tier", "lifetime_value")
UPDATE_STREAMS = ("kind", "place", "street", "house", "style", "domain", "phone", "tier", "last")


def phone_numbers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Area code and line (00..99) of (NXX) 555-01XX numbers, the range reserved for fiction."""
    area_code = rng.integers(200, 1000, n)
    area_code += area_code % 100 == 11  # N11 codes (211, 411, 911 ...) are service numbers
    return area_code, rng.integers(0, 100, n)


def phone_text(area_code: str, line: str | pl.Expr) -> pl.Expr:
    line = pl.col(line) if isinstance(line, str) else line
    return pl.format("({}) 555-01{}", area_code, line.cast(pl.String).str.zfill(2))


def street_text(street: str, house: str | pl.Expr) -> pl.Expr:
    """The locale's own address format, with a fresh house number (house numbers skew low)."""
    house = pl.col(house) if isinstance(house, str) else house
    return pl.col(street).str.replace(r"\d+", house.cast(pl.String))


def house_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.minimum(1 + rng.geometric(1 / 800, n), 99_999)


def make_customers(start: int, n: int, seed: int, pools: Pools) -> pl.DataFrame:
    """Customers at key positions start..start+n-1 (customer_id = 1,000,000 + position), with
    signup dates of the initial load; the caller dates later sign-ups by their APPEND."""
    rng = streams(seed, CUSTOMER_SALT, start, CUSTOMER_STREAMS)
    signup_day = rng["signup"].integers(day_number(SIGNUP_FIRST), day_number(SIGNUP_LAST) + 1, n)
    first = rng["first"].integers(0, pools.first_names.len(), n)
    last = rng["last"].integers(0, pools.last_names.len(), n)
    area_code, phone_line = phone_numbers(rng["phone"], n)
    tiers = weighted_pool(LOYALTY_TIERS)
    lifetime_cents = np.round(rng["lifetime_value"].gamma(LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE, n) * 100).astype(np.int64)
    frame = pl.DataFrame(
        {
            "customer_id": np.arange(start, start + n, dtype=np.int64) + FIRST_ID,
            "first_name": pools.first_names.gather(first),
            "last_name": pools.last_names.gather(last),
            "first_email": pools.first_email.gather(first),
            "last_email": pools.last_email.gather(last),
            "domain": pl.Series(EMAIL_DOMAINS).gather(rng["domain"].integers(0, len(EMAIL_DOMAINS), n)),
            "area_code": area_code,
            "phone_line": phone_line,
            "phone_missing": rng["phone_null"].random(n) < PHONE_NULL_RATE,
            "street": pools.street_addresses.gather(rng["street"].integers(0, pools.street_addresses.len(), n)),
            "house": house_numbers(rng["house"], n),
            "loyalty_tier": tiers.gather(rng["tier"].integers(0, tiers.len(), n)),
            "signup_date": pl.Series(signup_day.astype(np.int32)).cast(pl.Date),
            "lifetime_value": cents_to_decimal(lifetime_cents, MONEY),
        }
    ).hstack(draw_us_places(pools.places, rng["place"], n))
    return frame.select(
        "customer_id",
        "first_name",
        "last_name",
        pl.concat_str("first_name", "last_name", separator=" ").alias("name"),
        # The customer id makes each address unique without a de-duplication pass.
        pl.concat_str("first_email", pl.lit("."), "last_email", pl.col("customer_id").cast(pl.String), pl.lit("@"), "domain").alias("email"),
        pl.when(~pl.col("phone_missing")).then(phone_text("area_code", "phone_line")).alias("phone"),
        street_text("street", "house").alias("street_address"),
        "city", "state", "postal_code", "region", "loyalty_tier", "signup_date", "lifetime_value",
    )


def change_customers(before: pl.DataFrame, rng: dict[str, np.random.Generator], pools: Pools) -> pl.DataFrame:
    """The after image of an UPDATE to each row of ``before``: one kind of change per row.

    Every candidate change is drawn for every row (cheap, and the streams stay aligned), then
    each row keeps the one its kind selects. A change that happens to reproduce the old value
    (same tier, same phone ...) is nudged, and a row left identical gets a new phone number, so
    every update changes at least one column.
    """
    n = before.height
    kinds = list(UPDATE_KINDS)
    kind = weighted_pool(UPDATE_KINDS).gather(rng["kind"].integers(0, sum(UPDATE_KINDS.values()), n))
    tier_names = list(LOYALTY_TIERS)
    steps = weighted_pool(TIER_STEPS, pl.Int64).gather(rng["tier"].integers(0, sum(TIER_STEPS.values()), n))
    area_code, phone_line = phone_numbers(rng["phone"], n)
    new_last = rng["last"].integers(0, pools.last_names.len(), n)
    # Another surname than the current one: the next pool entry when the draw repeats it.
    new_last = np.where(pools.last_names.gather(new_last).to_numpy() == before["last_name"].to_numpy(),
                        (new_last + 1) % pools.last_names.len(), new_last)
    work = before.with_columns(
        kind=kind,
        step=steps,
        new_street=pools.street_addresses.gather(rng["street"].integers(0, pools.street_addresses.len(), n)),
        new_house=house_numbers(rng["house"], n),
        style=rng["style"].integers(0, EMAIL_STYLES, n),
        new_domain=pl.Series(EMAIL_DOMAINS).gather(rng["domain"].integers(0, len(EMAIL_DOMAINS), n)),
        area_code=area_code,
        phone_line=phone_line,
        new_last_name=pools.last_names.gather(new_last),
        new_last_email=pools.last_email.gather(new_last),
    ).hstack(draw_us_places(pools.places, rng["place"], n).rename(lambda column: f"new_{column}"))

    # Intermediate columns in stages, so each string is built once.
    next_domain = dict(zip(EMAIL_DOMAINS, EMAIL_DOMAINS[1:] + EMAIL_DOMAINS[:1]))
    tier_index = pl.col("loyalty_tier").replace_strict({name: i for i, name in enumerate(tier_names)}, return_dtype=pl.Int64)
    work = work.with_columns(
        first_email=email_form(before["first_name"], "customer"),
        last_email=email_form(before["last_name"], ""),
        customer=pl.col("customer_id").cast(pl.String),
        old_domain=pl.col("email").str.split("@").list.last(),
        next_domain=pl.col("new_domain").replace_strict(next_domain),
        moved_street=street_text("new_street", "new_house"),
        next_street=street_text("new_street", (pl.col("new_house") % 99_999 + 1).alias("next_house")),
        drawn_phone=phone_text("area_code", pl.col("phone_line")),
        next_phone=phone_text("area_code", (pl.col("phone_line") + 1) % 100),
        stepped=tier_index + pl.col("step"),
        tier_index=tier_index,
    ).with_columns(
        local_part=pl.when(pl.col("style") == 0).then(pl.concat_str("first_email", pl.lit("."), "last_email"))
        .when(pl.col("style") == 1).then(pl.concat_str("first_email", "last_email"))
        .when(pl.col("style") == 2).then(pl.concat_str(pl.col("first_email").str.slice(0, 1), pl.lit("."), "last_email"))
        .otherwise(pl.concat_str("first_email", pl.lit("_"), "last_email")),
    ).with_columns(
        restyled=pl.concat_str("local_part", "customer", pl.lit("@"), "new_domain"),
        # Same value by chance: the next domain, the next house number, the next phone line.
        new_street=pl.when(pl.col("moved_street") == pl.col("street_address")).then("next_street").otherwise("moved_street"),
        new_phone=pl.when(pl.col("drawn_phone").eq_missing(pl.col("phone"))).then("next_phone").otherwise("drawn_phone"),
        new_tier=pl.when((pl.col("stepped") < 0) | (pl.col("stepped") >= len(tier_names)))
        .then(pl.col("tier_index") - pl.col("step")).otherwise("stepped")
        .replace_strict(dict(enumerate(tier_names)), return_dtype=pl.String),
    ).with_columns(
        new_email=pl.when(pl.col("restyled") == pl.col("email"))
        .then(pl.concat_str("local_part", "customer", pl.lit("@"), "next_domain")).otherwise("restyled"),
        renamed_email=pl.concat_str("first_email", pl.lit("."), "new_last_email", "customer", pl.lit("@"), "old_domain"),
    )

    is_kind = {name: pl.col("kind") == name for name in kinds}
    after = work.with_columns(
        street_address=pl.when(is_kind["address"]).then("new_street").otherwise("street_address"),
        city=pl.when(is_kind["address"]).then("new_city").otherwise("city"),
        state=pl.when(is_kind["address"]).then("new_state").otherwise("state"),
        postal_code=pl.when(is_kind["address"]).then("new_postal_code").otherwise("postal_code"),
        region=pl.when(is_kind["address"]).then("new_region").otherwise("region"),
        email=pl.when(is_kind["email"]).then("new_email").when(is_kind["last_name"]).then("renamed_email").otherwise("email"),
        phone=pl.when(is_kind["phone"]).then("new_phone").otherwise("phone"),
        loyalty_tier=pl.when(is_kind["loyalty_tier"]).then("new_tier").otherwise("loyalty_tier"),
        last_name=pl.when(is_kind["last_name"]).then("new_last_name").otherwise("last_name"),
    ).with_columns(name=pl.concat_str("first_name", "last_name", separator=" "))
    # Safety net: a row no candidate changed (a move to the same street and ZIP ...) gets a new phone.
    unchanged = pl.all_horizontal([pl.col(column).eq_missing(before[column]) for column in CUSTOMERS_SCHEMA])
    after = after.with_columns(phone=pl.when(unchanged).then("new_phone").otherwise("phone"))
    return after.select(list(CUSTOMERS_SCHEMA))


# ---------------------------------------------------------------------------------------------
# The feed: state, steps, batches
# ---------------------------------------------------------------------------------------------
@dataclass
class Settings:
    seed: int
    rows: int
    batches: int
    changes: int
    rates: dict[str, float]
    reinsert_rate: float
    late_rate: float
    duplicate_rate: float
    malformed_rate: float


@dataclass
class Feed:
    """What the changes so far have made of the table.

    ``versions`` holds every APPEND and UPDATE row so far (customer columns, sequence_num,
    operation_ts), in the order they happened; ``end_at[v]`` is the sequence_num of the change
    that ended version ``v`` (-1 while it is current); per key position, ``current`` is its
    latest version and ``alive`` whether it exists now (deleted keys keep their last version, a
    re-insert brings it back).
    """

    settings: Settings
    pools: Pools
    versions: pl.DataFrame
    end_at: np.ndarray
    current: np.ndarray
    alive: np.ndarray
    keys: int
    sequence: int
    counts: dict[str, int] = field(default_factory=dict)


STEP_STREAMS = ("operation", "key", "reinsert", "malformed", "defect", "order", "time", *UPDATE_STREAMS)
ARRIVAL_STREAMS = ("late", "delay", "duplicate", "redelivery")


def start_feed(settings: Settings, pools: Pools) -> Feed:
    """The initial load: --rows customers, each one APPEND, sequence 1..rows at the snapshot."""
    customers = pl.concat([make_customers(start, n, settings.seed, pools) for start, n in chunk_bounds(settings.rows)], rechunk=True)
    versions = customers.with_columns(
        sequence_num=pl.int_range(1, settings.rows + 1, dtype=pl.Int64),
        operation_ts=pl.lit(SNAPSHOT_AT, dtype=UTC_TIMESTAMP),
    )
    capacity = settings.rows + settings.batches * settings.changes  # every event adds at most one key or version
    end_at = np.full(capacity, -1, dtype=np.int64)
    current = np.zeros(capacity, dtype=np.int64)
    current[: settings.rows] = np.arange(settings.rows)
    alive = np.zeros(capacity, dtype=bool)
    alive[: settings.rows] = True
    counts = dict.fromkeys(("initial", "updates", "deletes", "inserts", "reinserts", "late", "duplicates", "malformed"), 0)
    counts["initial"] = settings.rows
    return Feed(settings, pools, versions, end_at, current, alive, settings.rows, settings.rows, counts)


def step_sizes(changes: int) -> list[int]:
    return [changes * (step + 1) // STEPS_PER_BATCH - changes * step // STEPS_PER_BATCH for step in range(STEPS_PER_BATCH)]


def batch_window(batch: int, batches: int) -> tuple[int, int]:
    """(start, end] of a batch's events in UTC microseconds: 2024 split into equal windows, the
    first after the snapshot instant, the last ending at 2024-12-31T23:59:59.999999Z."""
    first, last = micros(SNAPSHOT_AT), micros(FEED_END) - 1
    return first + (last - first) * (batch - 1) // batches, first + (last - first) * batch // batches


def run_step(feed: Feed, step: int, events: int, window: tuple[int, int]) -> pl.DataFrame:
    """One step of ``events`` changes to distinct keys, applied to ``feed``; returns the rows
    (valid events and malformed copies, in sequence order) with a ``_malformed`` flag."""
    settings, pools = feed.settings, feed.pools
    rng = streams(settings.seed, STEP_SALT, step, STEP_STREAMS)
    updates, deletes, inserts = rng["operation"].multinomial(events, [settings.rates[op] for op in ("update", "delete", "insert")])
    alive = np.flatnonzero(feed.alive[: feed.keys])
    if updates + deletes > alive.size:  # too few customers left: the missing changes become sign-ups
        kept_updates = updates * alive.size // (updates + deletes)
        inserts += updates + deletes - alive.size
        updates, deletes = kept_updates, alive.size - kept_updates
    touched = rng["key"].choice(alive, updates + deletes, replace=False)
    updated, deleted = touched[:updates], touched[updates:]
    dead = np.flatnonzero(~feed.alive[: feed.keys])
    reinserts = min(int(rng["reinsert"].binomial(inserts, settings.reinsert_rate)), dead.size)
    reinserted = rng["key"].choice(dead, reinserts, replace=False)
    created = np.arange(feed.keys, feed.keys + inserts - reinserts)

    customers = feed.versions.select(list(CUSTOMERS_SCHEMA))
    parts = [
        change_customers(customers.gather(feed.current[updated]), rng, pools).with_columns(operation=pl.lit("UPDATE")),
        customers.gather(feed.current[deleted]).with_columns(operation=pl.lit("DELETE")),
        customers.gather(feed.current[reinserted]).with_columns(operation=pl.lit("APPEND")),
        make_customers(feed.keys, created.size, settings.seed, pools).with_columns(operation=pl.lit("APPEND")),
    ]
    changes = pl.concat(parts)
    count = changes.height
    malformed = int(rng["malformed"].binomial(count, settings.malformed_rate)) if count else 0
    # Sequence slots: a random interleaving of the valid events and the malformed rows; times
    # are sorted uniform draws in the step's window, so operation_ts follows sequence_num.
    slot = rng["order"].permutation(count + malformed)
    moments = np.sort(rng["time"].integers(window[0] + 1, window[1] + 1, count + malformed))
    sequence = feed.sequence + 1 + slot
    changes = changes.with_columns(
        sequence_num=pl.Series(sequence[:count], dtype=pl.Int64),
        operation_ts=pl.Series(moments[slot[:count]], dtype=pl.Int64).cast(UTC_TIMESTAMP),
    ).with_columns(
        # A new customer signs up on the day of its APPEND.
        signup_date=pl.when(pl.int_range(pl.len()) >= count - created.size)
        .then(pl.col("operation_ts").dt.date()).otherwise("signup_date"),
    )
    source = rng["malformed"].integers(0, max(count, 1), malformed)
    null_operation = rng["defect"].random(malformed) < MALFORMED_NULL_OPERATION
    broken = changes[source].with_columns(
        sequence_num=pl.Series(sequence[count:], dtype=pl.Int64),
        operation_ts=pl.Series(moments[slot[count:]], dtype=pl.Int64).cast(UTC_TIMESTAMP),
        operation=pl.when(pl.Series(null_operation)).then(None).otherwise("operation"),
        customer_id=pl.when(pl.Series(null_operation)).then("customer_id").otherwise(None),
    )

    # Apply to the state: updates open a version and end the previous one, deletes end it, re-inserts
    # and sign-ups open one.
    sequences = changes["sequence_num"].to_numpy()
    first_version = feed.versions.height
    feed.end_at[feed.current[updated]] = sequences[:updates]
    feed.end_at[feed.current[deleted]] = sequences[updates : updates + deletes]
    feed.alive[deleted] = False
    opened = np.concatenate([updated, reinserted, created])
    feed.current[opened] = first_version + np.arange(opened.size)
    feed.alive[opened] = True
    feed.keys += created.size
    feed.sequence += count + malformed
    kept = pl.concat([changes[:updates], changes[updates + deletes :]])
    feed.versions = pl.concat([feed.versions, kept.select(list(STATE_SCHEMA))], rechunk=False)
    if feed.versions.n_chunks() > 8:  # a gather walks every chunk: an occasional copy is cheaper
        feed.versions = feed.versions.rechunk()
    for name, value in (("updates", updates), ("deletes", deletes), ("inserts", created.size),
                        ("reinserts", reinserts), ("malformed", malformed)):
        feed.counts[name] += int(value)
    rows = pl.concat([changes.with_columns(_malformed=pl.lit(False)), broken.with_columns(_malformed=pl.lit(True))])
    return rows.sort("sequence_num").select(*FEED_SCHEMA, "_malformed")


def make_batch(feed: Feed, batch: int) -> pl.DataFrame:
    """All rows whose change belongs to ``batch`` (1-based), with the batch they arrive in
    (``_arrival``) and the batch their duplicate arrives in (``_duplicate``, 0 = none)."""
    settings = feed.settings
    first, last = batch_window(batch, settings.batches)
    width = last - first
    frames = []
    for step, events in enumerate(step_sizes(settings.changes)):
        window = (first + width * step // STEPS_PER_BATCH, first + width * (step + 1) // STEPS_PER_BATCH)
        frames.append(run_step(feed, (batch - 1) * STEPS_PER_BATCH + step, events, window))
    rows = pl.concat(frames)
    n = rows.height
    rng = streams(settings.seed, ARRIVAL_SALT, batch, ARRIVAL_STREAMS)
    valid = ~rows["_malformed"].to_numpy()
    late = valid & (rng["late"].random(n) < settings.late_rate) & (batch < settings.batches)
    arrival = np.where(late, np.minimum(batch + rng["delay"].geometric(LATE_DELAY_P, n), settings.batches), batch)
    duplicate = valid & (rng["duplicate"].random(n) < settings.duplicate_rate)
    again = np.minimum(arrival + (rng["redelivery"].random(n) < DUPLICATE_NEXT_BATCH), settings.batches)
    feed.counts["late"] += int(late.sum())
    feed.counts["duplicates"] += int(duplicate.sum())
    return rows.with_columns(_arrival=pl.Series(arrival, dtype=pl.Int64),
                             _duplicate=pl.Series(np.where(duplicate, again, 0), dtype=pl.Int64))


def expected_final(feed: Feed) -> pl.DataFrame:
    alive = np.flatnonzero(feed.alive[: feed.keys])
    return feed.versions.gather(feed.current[alive]).sort(KEY)


def expected_scd2(feed: Feed) -> pl.DataFrame:
    end_at = feed.end_at[: feed.versions.height]
    return feed.versions.with_columns(
        __START_AT=pl.col("sequence_num"),
        __END_AT=pl.Series(end_at, dtype=pl.Int64).replace(-1, None),
    ).sort(KEY, "__START_AT")


# ---------------------------------------------------------------------------------------------
# Output helpers (copied verbatim from scripts/utils/local_output.py)
# ---------------------------------------------------------------------------------------------
FORMATS = ("parquet", "csv", "json", "delta")
# One million rows per chunk: large enough for Polars to parallelise each column, small enough
# that a chunk of the widest table stays well under 1 GiB. Chunk size is part of the
# reproducibility contract: changing it changes the data a seed produces.
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


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
FEED_FORMATS = ("json", "parquet", "csv")
TABLES = ("customers",)


def build_parser() -> argparse.ArgumentParser:
    from mimesis import Locale

    parser = argparse.ArgumentParser(
        prog="cdc.py",
        description="Generate a change data capture feed (initial load + batches of APPEND/UPDATE/DELETE "
        "events with a sequence number) for Auto Loader and AUTO CDC, plus the SCD type 1 and 2 "
        "results a correct apply must produce.",
        epilog="Files: DIR/initial.<ext>, DIR/batch_001.<ext> ..., DIR/expected_final.parquet, "
        "DIR/expected_scd2.parquet, DIR/_manifest.json. Operation shares: give all three (they must "
        "add up to 1) or some (the others share the rest in the default proportions). "
        "Example: uv run scripts/generators/polars/cdc.py --rows 10000 --batches 5 --late-rate 0.05 "
        "--duplicate-rate 0.02 --output /Volumes/<catalog>/<schema>/<volume>/cdc",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS,
                        help=f"customers in the initial load (default {DEFAULT_ROWS:,})")
    parser.add_argument("--batches", type=positive_int, default=DEFAULT_BATCHES,
                        help=f"batch files of changes after the initial load (default {DEFAULT_BATCHES})")
    parser.add_argument("--changes", type=positive_int,
                        help="change events per batch (default 10%% of --rows, at least 1)")
    parser.add_argument("--table", choices=TABLES, default="customers",
                        help="entity whose changes are captured (default customers: the retail customer columns)")
    parser.add_argument("--update-rate", type=rate, help=f"share of a batch's events that are UPDATEs (default {OPERATION_RATES['update']})")
    parser.add_argument("--delete-rate", type=rate, help=f"share that are DELETEs (default {OPERATION_RATES['delete']})")
    parser.add_argument("--insert-rate", type=rate, help=f"share that are new APPENDs (default {OPERATION_RATES['insert']})")
    parser.add_argument("--reinsert-rate", type=rate, default=DEFAULT_REINSERT_RATE,
                        help=f"share of inserts that bring back a deleted key, when there is one (default {DEFAULT_REINSERT_RATE})")
    parser.add_argument("--late-rate", type=rate, default=0.0,
                        help="share of events (batches 1..K-1) arriving 1+ batches late, true sequence_num kept (default 0)")
    parser.add_argument("--duplicate-rate", type=rate, default=0.0,
                        help="share of events delivered twice, same file or the next (default 0)")
    parser.add_argument("--malformed-rate", type=rate, default=0.0,
                        help="extra malformed rows (null operation or null customer_id) per event (default 0)")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY,
                        help="output folder, e.g. /Volumes/<catalog>/<schema>/<volume>/cdc (default output/cdc)")
    parser.add_argument("--format", choices=FEED_FORMATS, default="json",
                        help="feed file format (default json = JSON Lines, what Auto Loader reads); the expected files are parquet")
    parser.add_argument("--locale", choices=[locale.value for locale in Locale], default="en", metavar="LOCALE",
                        help="Mimesis locale for names and street addresses, e.g. en, de, fr, ja (default en)")
    parser.add_argument("--no-scd2", action="store_true", help="do not write expected_scd2.parquet")
    parser.add_argument("--dry-run", action="store_true", help="print the planned files and rows; write nothing")
    return parser


def operation_rates(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, float]:
    """The three operation shares: given ones as they are, missing ones share the rest."""
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


def batch_name(batch: int, batches: int) -> str:
    return f"batch_{batch:0{max(3, len(str(batches)))}d}"


def remove_stale_feed_files(directory: Path, written: set[str]) -> list[str]:
    """Feed files of an earlier run that this run did not rewrite: Auto Loader would read them."""
    stale = sorted(p.name for p in directory.iterdir() if FEED_FILE.match(p.name) and p.name not in written)
    for name in stale:
        _remove(directory / name)
    return stale


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    rates = operation_rates(parser, args)
    changes = args.changes or max(1, round(args.rows * CHANGES_PER_ROW))
    settings = Settings(args.seed, args.rows, args.batches, changes, rates, args.reinsert_rate,
                        args.late_rate, args.duplicate_rate, args.malformed_rate)
    files = ["initial"] + [batch_name(batch, args.batches) for batch in range(1, args.batches + 1)]
    if args.dry_run:
        events = args.batches * changes
        feed_rows = round(args.rows + events * (1 + args.duplicate_rate + args.malformed_rate))
        report = {
            "dry_run": True,
            "output": str(args.output),
            "format": args.format,
            "seed": args.seed,
            "files": [f"{name}.{args.format}" for name in files],
            "rows": {"initial": args.rows, "changes_per_batch": changes, "feed_rows": feed_rows},
            "rates": rates,
            "estimated_bytes": feed_rows * BYTES_PER_ROW[args.format],
        }
        progress(f"cdc dry run: would write {len(files)} feed files ({feed_rows:,} rows, about "
                 f"{report['estimated_bytes'] / 2**20:,.1f} MiB of {args.format}) to {args.output}; nothing written")
        print(json.dumps(report, indent=2))
        return report

    directory = prepare_output_dir(parser, args.output)
    started = time.perf_counter()
    progress(f"cdc: {args.rows:,} customers + {args.batches} batches of {changes:,} changes -> {directory} ({args.format})")
    pools = build_pools(args.locale, args.seed)
    feed = start_feed(settings, pools)
    tables: dict[str, dict] = {}
    initial = feed.versions.with_columns(operation=pl.lit("APPEND")).select(list(FEED_SCHEMA))
    initial_chunks = [partial(initial.slice, start, n) for start, n in chunk_bounds(initial.height)]
    tables["initial"] = timed("initial", lambda: write_table(directory, "initial", args.format, initial_chunks, FEED_SCHEMA))

    pending: dict[int, list[pl.DataFrame]] = {}  # rows waiting for a later batch file
    batch_seconds = time.perf_counter()
    for batch in range(1, args.batches + 1):
        started_batch = time.perf_counter()
        rows = make_batch(feed, batch)
        for arrival, group in rows.filter(pl.col("_arrival") > batch).group_by("_arrival"):
            pending.setdefault(arrival[0], []).append(group)
        copies = rows.filter(pl.col("_duplicate") > 0).with_columns(_arrival=pl.col("_duplicate"))
        for arrival, group in copies.group_by("_arrival"):
            pending.setdefault(arrival[0], []).append(group)
        landing = pl.concat([rows.filter(pl.col("_arrival") == batch), *pending.pop(batch, [])])
        # Stable sort: a duplicate delivered in the same file sits next to its original.
        landing = landing.sort("sequence_num", maintain_order=True).select(list(FEED_SCHEMA))
        name = batch_name(batch, args.batches)
        tables[name] = write_table(directory, name, args.format, [lambda landing=landing: landing], FEED_SCHEMA)
        tables[name]["seconds"] = round(time.perf_counter() - started_batch, 3)
    for name in files:  # which contract each file follows (the validator's feed mapping)
        tables[name]["contract"] = "customer_changes"
    feed_rows = sum(tables[name]["rows"] for name in files)
    progress(f"  batches: {args.batches} files, {feed_rows - tables['initial']['rows']:,} rows in "
             f"{time.perf_counter() - batch_seconds:.2f}s")

    final = expected_final(feed)
    tables["expected_final"] = timed("expected_final", lambda: write_table(
        directory, "expected_final", "parquet", [lambda: final], STATE_SCHEMA))
    tables["expected_final"]["contract"] = "customers_current"
    if args.no_scd2:
        _remove(directory / "expected_scd2.parquet")
    else:
        history = expected_scd2(feed)
        tables["expected_scd2"] = timed("expected_scd2", lambda: write_table(
            directory, "expected_scd2", "parquet", [lambda: history], SCD2_SCHEMA))
    stale = remove_stale_feed_files(directory, {f"{name}.{args.format}" for name in files})
    if stale:
        progress(f"  removed {len(stale)} feed files of an earlier run: {', '.join(stale[:5])}{' ...' if len(stale) > 5 else ''}")
    seconds = round(time.perf_counter() - started, 3)
    injections = {}
    if args.malformed_rate:
        injections["nulls"] = {f"customer_changes.{column}": args.malformed_rate for column in ("operation", KEY)}
    if args.duplicate_rate:
        injections["duplicate_rate"] = {"customer_changes": args.duplicate_rate}
    manifest = {
        "generator": GENERATOR,
        "industry": INDUSTRY,
        "seed": args.seed,
        "format": args.format,
        "arguments": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
        "versions": library_versions(),
        "feed": {
            "table": "customer_changes",
            "files": [tables[name]["path"] for name in files],
            "keys": [KEY],
            "sequence_by": "sequence_num",
            "operation": "operation",
            "changes_per_batch": changes,
            "rates": {**rates, "reinsert": args.reinsert_rate, "late": args.late_rate,
                      "duplicate": args.duplicate_rate, "malformed": args.malformed_rate},
            "counts": feed.counts,
            "spark_schema": spark_schema(FEED_SCHEMA),
        },
        "tables": tables,
        "seconds": seconds,
    }
    if injections:
        manifest["quality_injections"] = injections
    write_manifest(directory, manifest)
    summary = {"output": str(directory), "seed": args.seed, "format": args.format, "tables": tables,
               "counts": feed.counts, "seconds": seconds}
    print(json.dumps(summary, indent=2))
    return summary


def spark_schema(schema: dict[str, pl.DataType]) -> str:
    """The feed's columns as a Spark DDL string, for Auto Loader's .schema(...)."""
    names = {pl.Int64: "BIGINT", pl.String: "STRING", pl.Date: "DATE"}
    types = []
    for column, dtype in schema.items():
        if isinstance(dtype, pl.Decimal):
            spark = f"DECIMAL({dtype.precision},{dtype.scale})"
        elif isinstance(dtype, pl.Datetime):
            spark = "TIMESTAMP"
        else:
            spark = names[dtype]
        types.append(f"{column} {spark}")
    return ", ".join(types)


if __name__ == "__main__":
    main()
