# Databricks notebook source
# MAGIC %md
# MAGIC # Financial synthetic data on Spark (dbldatagen)
# MAGIC
# MAGIC Bank **customers**, their **accounts** (the main table: `rows` sets it exactly), the
# MAGIC **account_holders** bridge (who holds each account), brokerage **trades** and cash
# MAGIC **transactions**: the tables and columns of the Tier 1 generator
# MAGIC `scripts/generators/polars/financial.py`, conforming to `assets/schemas/financial_*.json`, with
# MAGIC the same realism: Gamma balances per account type with their true parameters, weighted types,
# MAGIC statuses and risk ratings, trades only on brokerage and retirement accounts at NYSE hours with
# MAGIC valid ISINs and notional = quantity x price exactly, transaction types weighted by account type
# MAGIC with signed amounts, test BICs, a rare `is_fraud` flag, heavy-tailed activity per account, and
# MAGIC dates that never precede what they depend on (customer_since <= opened_date <= events).
# MAGIC
# MAGIC Default sizes per account (`rows`): 0.625 customers, 3 trades, 20 transactions; `customers`,
# MAGIC `trades` and `transactions` override them (0 skips a child table). Every account has one
# MAGIC primary holder (its owner); `joint_rate` (0.15) of the accounts other than retirement accounts
# MAGIC get 1-3 extra holders, other customers (about 1.16 holder rows per account).
# MAGIC
# MAGIC **In a Databricks notebook** (tier 3): fill in the widgets (`catalog` and `schema`, or `output`
# MAGIC for a folder such as a volume path) and run all cells.
# MAGIC
# MAGIC **From a terminal over Databricks Connect** (tier 2, serverless or a `--profile`):
# MAGIC
# MAGIC     uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \
# MAGIC         --with jmespath --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/financial.py --catalog main --schema demo --rows 1000000
# MAGIC
# MAGIC **On local Spark** (pyspark 4.0, parquet part folders plus `_manifest.json`):
# MAGIC
# MAGIC     uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 \
# MAGIC         --with jmespath --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/financial.py --local --output output/financial_spark
# MAGIC
# MAGIC Every column is a Spark SQL expression (no UDF, no `sparkContext`), so the same code runs over
# MAGIC Spark Connect and in a notebook; tier 3 adds nothing here because no column needs free text.
# MAGIC The same seed, row counts and partitions give the same data.
# MAGIC
# MAGIC How: dbldatagen draws each table's random columns (every one with its own seed); SQL derives
# MAGIC the values. A row of another table (a customer's place, an account for a transaction, a
# MAGIC symbol for a trade) is drawn in proportion to its weight by joining the draw to the integer
# MAGIC interval the row owns, so every draw finds exactly one row and no row is ever filtered away.
# MAGIC Each table is written before its children, which build on it as written.

# COMMAND ----------

# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0

# COMMAND ----------

# Imports, sizes, distributions. Every parameter equals the Tier 1 generator's and its contract
# (tests compare them), so both tiers describe the same bank.
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

try:
    import dbldatagen as dg
    import numpy as np
    from mimesis import Address, Finance, Person
    from mimesis.datasets import STOCK_TICKERS
    from mimesis.keys import romanize
    from mimesis.locales import Locale
    from pyspark.sql import DataFrame, SparkSession, Window
    from pyspark.sql import functions as F
except ImportError as missing:
    raise SystemExit(
        f"error: {missing.name} is not installed. Run this script with its dependencies:\n"
        '  uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 '
        "--with jmespath --with pyparsing --with mimesis==22.2.0 financial.py ...   (Databricks)\n"
        '  uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 '
        "--with jmespath --with pyparsing --with mimesis==22.2.0 financial.py --local ...   (local Spark)"
    ) from None

INDUSTRY = "financial"
GENERATOR = "scripts/generators/financial.py"
TABLES = ("customers", "accounts", "account_holders", "trades", "transactions")  # parents before children
COUNTED = ("account_holders",)  # rows drawn per account: counted once written

# --- Sizes -------------------------------------------------------------------------------------
DEFAULT_ACCOUNTS = 10_000
CUSTOMERS_PER_ACCOUNT = 0.625  # 1 + Poisson(0.6) accounts per customer
TRADES_PER_ACCOUNT = 3.0
TRANSACTIONS_PER_ACCOUNT = 20.0
DEFAULT_FRAUD_RATE = 0.002
# One partition per million rows (at least 2): enough parallelism for a cluster, few files for a
# laptop. Spark's rand(seed) is seeded per partition, so partitions are part of what a seed means.
ROWS_PER_PARTITION = 1_000_000

CUSTOMER_ID_START = 1_000_000
ACCOUNT_ID_START = 100_000_000
TRADE_ID_START = 1
TXN_ID_START = 1


def day_number(iso_date: str) -> int:
    """Days since 1970-01-01: Spark's unix_date, the integer the date arithmetic below works in."""
    return (date.fromisoformat(iso_date) - date(1970, 1, 1)).days


EVENT_START = day_number("2024-01-01")  # trades and transactions happen in calendar 2024
EVENT_END = day_number("2024-12-31")
CUSTOMER_SINCE_START = day_number("2005-01-01")  # relationships last decades: joined over 20 years
SECONDS_PER_DAY = 86_400

# --- Customers -------------------------------------------------------------------------------
SEGMENTS = ("mass", "affluent", "private")
SEGMENT_WEIGHTS = (80, 16, 4)
# Affluent and private-banking customers keep larger balances: their Gamma scale is multiplied.
SEGMENT_BALANCE_MULTIPLIER = {"mass": 1.0, "affluent": 4.0, "private": 20.0}
KYC_STATUSES = ("verified", "pending", "expired")
KYC_WEIGHTS = (95, 3, 2)
# FICO-like score: Normal around the US average (~715), clipped to the 300..850 scale.
CREDIT_SCORE_MEAN, CREDIT_SCORE_SD = 715.0, 70.0
CREDIT_SCORE_MIN, CREDIT_SCORE_MAX = 300, 850
# Age when the customer joined: Normal(38, 13) years, at least 18 (6575 days covers 18 calendar
# years whatever the leap days), and nobody older than 95 by the end of 2024.
AGE_AT_JOINING_MEAN, AGE_AT_JOINING_SD = 38.0, 13.0
ADULT_DAYS = 6_575
MAX_AGE_AT_END_DAYS = int(95 * 365.25)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: reach nobody

# --- Accounts --------------------------------------------------------------------------------
ACCOUNT_TYPES = ("checking", "savings", "money_market", "brokerage", "retirement")
ACCOUNT_TYPE_WEIGHTS = (40, 30, 8, 12, 10)
INVESTMENT_TYPES = ("brokerage", "retirement")  # only these trade: a checking account holds no securities
# Balance Gamma(shape, scale) per type for the mass segment (mean = shape x scale); a shape at or
# below 1 puts many accounts near zero, as real deposit books do.
BALANCE_GAMMA = {
    "checking": (1.2, 4_000.0),
    "savings": (0.9, 15_000.0),
    "money_market": (1.5, 20_000.0),
    "brokerage": (0.8, 60_000.0),
    "retirement": (1.1, 80_000.0),
}
# Marsaglia-Tsang draws Gamma exactly but rejects ~2-5% of candidates; SQL has no loop, so each
# row gets this many candidates and keeps the first accepted: all rejected has probability below
# 0.05 ** 6 = 1.6e-8 (the row then takes d, the candidate at z = 0).
GAMMA_ATTEMPTS = 6
ACCOUNT_STATUSES = ("active", "dormant", "frozen")
ACCOUNT_STATUS_WEIGHTS = (93, 5, 2)
# Dormant accounts barely move; frozen ones (a legal or compliance hold) see a little activity.
STATUS_ACTIVITY = {"active": 1.0, "dormant": 0.02, "frozen": 0.1}
RISK_RATINGS = ("low", "medium", "high")
RISK_RATING_WEIGHTS = (70, 24, 6)
# Deposit accounts of US customers are mostly in dollars; investment accounts always are.
CURRENCIES = ("USD", "EUR", "GBP", "CAD")
CURRENCY_WEIGHTS = (94, 3, 2, 1)
# Activity per account: Pareto(alpha 1.5, minimum 1) weights, so the top tenth of weights holds
# 0.1 ** (1 - 1/1.5) = 46% of all activity.
ACTIVITY_PARETO_ALPHA = 1.5
# Retirement accounts trade a quarter as often as brokerage accounts; other types never.
TRADING_ACTIVITY = {"brokerage": 1.0, "retirement": 0.25}
# Draw weights become whole numbers (activity x 1000) so interval sums are exact integers and a
# draw lands in exactly one account's interval; the rounding moves no weight by more than 2.5%.
WEIGHT_UNITS = 1_000
# Rows per block of the running weight sum: blocks are summed in parallel, their offsets on the
# driver (one small collect), so no window ever holds the whole table in one partition.
WEIGHT_BLOCK_ROWS = 131_072
# Account numbers: "99" + nine digits + a Luhn check digit, unique (the row through a bijection
# mod 10**9; 3**18 is coprime to 10**9). No standard reserves a fictitious range, but no routing
# number is generated either, so they identify nothing.
ACCOUNT_NUMBER_PREFIX = 99 * 10**9
ACCOUNT_NUMBER_MULTIPLIER = 387_420_489
# The first `customers` accounts go to distinct customers, (row x prime + shift) mod customers
# being a bijection (2**31 - 1 is prime), so every customer holds at least one account.
CUSTOMER_SHUFFLE = 2_147_483_647
# Account holders, the N:M bridge of customers and accounts: one primary holder per account (its
# owner); a --joint-rate share of the accounts that may have several owners gets 1-3 extra holders,
# other customers drawn uniformly, distinct, never the owner. Retirement accounts (IRAs) have one
# owner by US law.
DEFAULT_JOINT_RATE = 0.15
SINGLE_OWNER_TYPES = ("retirement",)
HOLDER_ROLES = ("primary", "joint", "authorized_user")
EXTRA_HOLDER_WEIGHTS = (85, 12, 3)  # 1, 2 or 3 extra holders
EXTRA_ROLE_WEIGHTS = (75, 25)  # joint owner, authorized user (may transact, owns nothing)
ADDED_AT_OPENING_SHARE = 0.6  # the rest are added later, uniformly up to 2024-12-31
MAX_EXTRA_HOLDERS = len(EXTRA_HOLDER_WEIGHTS)
EXTRA_HOLDER_POOL = [k + 1 for k, weight in enumerate(EXTRA_HOLDER_WEIGHTS) for _ in range(weight)]
EXTRA_ROLE_POOL = [k + 1 for k, weight in enumerate(EXTRA_ROLE_WEIGHTS) for _ in range(weight)]  # index into HOLDER_ROLES
SHAREABLE_ACCOUNT_SHARE = 1 - sum(w for kind, w in zip(ACCOUNT_TYPES, ACCOUNT_TYPE_WEIGHTS)
                                  if kind in SINGLE_OWNER_TYPES) / sum(ACCOUNT_TYPE_WEIGHTS)
MEAN_EXTRA_HOLDERS = sum((k + 1) * w for k, w in enumerate(EXTRA_HOLDER_WEIGHTS)) / sum(EXTRA_HOLDER_WEIGHTS)
# Below this many accounts the run may hold no brokerage or retirement account (0.78 ** 200 =
# 3e-22 above it); when trades are wanted, the last account then becomes brokerage.
FEW_ACCOUNTS = 200

# --- Securities and trades -------------------------------------------------------------------
N_SECURITIES = 500
SECURITIES_SALT = 301  # NumPy stream of the driver-side securities table
SYMBOL_ZIPF_EXPONENT = 1.0  # the ten most traded of 500 symbols take H(10)/H(500) = 43% of trades
SYMBOL_WEIGHT_UNITS = 10**9  # Zipf weights 1/rank as whole numbers (relative error < 3e-7)
# Price level on 2024-01-02: lognormal, median $45, sigma 1.0; then a daily random walk of 1.5%
# log-returns, and 0.3% noise around the day's level for each trade.
BASE_PRICE_MEDIAN, BASE_PRICE_SIGMA = 45.0, 1.0
DAILY_RETURN_SIGMA = 0.015
INTRADAY_PRICE_SIGMA = 0.003
MIN_DAY_PRICE = 1.0  # a listed stock below $1 is delisted
# Order size: a lognormal notional target (median $4,000), turned into whole shares.
TRADE_NOTIONAL_MEDIAN, TRADE_NOTIONAL_SIGMA = 4_000.0, 1.2
SIDES = ("BUY", "SELL")
SIDE_WEIGHTS = (55, 45)
EXCHANGES = ("NASDAQ", "NYSE", "NYSE American")
EXCHANGE_WEIGHTS = (50, 45, 5)
CUSIP_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
# NYSE calendar: 2024 holidays (plus the first 2025 ones, for settlement dates), early closes at
# 13:00 New York time, and the switch from T+2 to T+1 settlement on 2024-05-28.
NYSE_HOLIDAYS = np.array(
    [
        "2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
        "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25", "2025-01-01", "2025-01-09",
    ],
    dtype="datetime64[D]",
)
NYSE_EARLY_CLOSES = np.array(["2024-07-03", "2024-11-29", "2024-12-24"], dtype="datetime64[D]")
T_PLUS_1_FROM = day_number("2024-05-28")
MARKET_OPEN_SECONDS = 9 * 3600 + 30 * 60  # 09:30 New York
_calendar = np.arange(np.datetime64("2024-01-01"), np.datetime64("2025-01-01"))
TRADING_DAYS = _calendar[np.is_busday(_calendar, holidays=NYSE_HOLIDAYS)].astype(np.int64)
SESSION_SECONDS = np.where(np.isin(TRADING_DAYS, NYSE_EARLY_CLOSES.astype(np.int64)), 3.5 * 3600, 6.5 * 3600)
# Seconds New York is behind UTC on each trading day (daylight time changes on Sundays, so one
# offset holds for a whole trading session), from the time zone database.
NEW_YORK_BEHIND_UTC = np.array(
    [-datetime.fromordinal(date(1970, 1, 1).toordinal() + int(day)).replace(hour=12, tzinfo=ZoneInfo("America/New_York"))
     .utcoffset().total_seconds() for day in TRADING_DAYS],
    dtype=np.int64,
)
SETTLEMENT_DAYS = np.busday_offset(
    TRADING_DAYS.astype("datetime64[D]"), np.where(TRADING_DAYS < T_PLUS_1_FROM, 2, 1), holidays=NYSE_HOLIDAYS
).astype(np.int64)
# For each day of 2024, how many trading days come before it: the index of the first trading day
# on or after an account's opening.
TRADING_DAYS_BEFORE = np.searchsorted(TRADING_DAYS, np.arange(EVENT_START, EVENT_END + 1))

# --- Transactions ----------------------------------------------------------------------------
TXN_TYPES = ("deposit", "withdrawal", "transfer", "payment", "fee", "interest", "dividend")
# Which transactions an account sees depends on its type (each row sums to 100, in TXN_TYPES
# order): card payments come from checking; dividends only reach investment accounts.
TXN_TYPE_WEIGHTS = {
    "checking": (18, 14, 16, 46, 4, 2, 0),
    "savings": (34, 12, 42, 0, 2, 10, 0),
    "money_market": (30, 10, 40, 4, 2, 14, 0),
    "brokerage": (26, 10, 40, 0, 4, 4, 16),
    "retirement": (50, 4, 20, 0, 6, 4, 16),
}
CREDIT_TYPES = ("deposit", "interest", "dividend")
DEBIT_TYPES = ("withdrawal", "payment", "fee")
TXN_SIGN = [1 if kind in CREDIT_TYPES else -1 if kind in DEBIT_TYPES else 0 for kind in TXN_TYPES]  # 0: transfer
TRANSFER_IN_SHARE = 0.5  # transfers go either way
# Customer-initiated: the first four types (is_fraud and the hour weights apply to them); fees,
# interest and dividends are system postings.
CUSTOMER_INITIATED = TXN_TYPES[:4]
# Lognormal amounts per type, (median USD, sigma); fees come from a fee schedule instead, and
# withdrawals are rounded to the $20 notes cash machines hand out.
TXN_AMOUNT_LOGNORMAL = {
    "deposit": (900.0, 0.9),
    "withdrawal": (120.0, 0.7),
    "transfer": (350.0, 1.2),
    "payment": (42.0, 1.1),
    "fee": (15.0, 0.0),  # placeholder: fees come from FEE_SCHEDULE_CENTS
    "interest": (4.0, 1.3),
    "dividend": (25.0, 1.4),
}
FEE_SCHEDULE_CENTS = (250, 300, 1200, 1500, 3500)  # ATM, paper statement, maintenance, wire, overdraft
FEE_WEIGHTS = (30, 20, 25, 10, 15)
WITHDRAWAL_STEP_CENTS = 2_000
# Fraud: a share of customer-initiated transactions, with amounts three times the usual size.
FRAUD_AMOUNT_MULTIPLIER = 3.0
CHANNELS = ("ach", "atm", "branch", "card", "mobile", "online", "wire", "system")
CHANNEL_WEIGHTS = {
    "deposit": {"ach": 55, "mobile": 20, "branch": 15, "atm": 10},
    "withdrawal": {"atm": 80, "branch": 20},
    "transfer": {"online": 40, "mobile": 35, "branch": 10, "wire": 15},
    "payment": {"card": 70, "online": 20, "ach": 10},
    "fee": {"system": 100},
    "interest": {"system": 100},
    "dividend": {"system": 100},
}
# One 100-entry pool per account type (rows of TXN_TYPE_WEIGHTS) and per transaction type
# (CHANNEL_WEIGHTS), end to end: pool[type x 100 + floor(u x 100)] is a weighted choice with exactly
# these shares from one uniform draw, as in Tier 1.
TXN_TYPE_POOL = [code for kind in ACCOUNT_TYPES for code, weight in enumerate(TXN_TYPE_WEIGHTS[kind]) for _ in range(weight)]
CHANNEL_POOL = [CHANNELS.index(channel) for kind in TXN_TYPES for channel, weight in CHANNEL_WEIGHTS[kind].items()
                for _ in range(weight)]
# Customer-initiated transactions by UTC hour: busiest 15:00-22:00 UTC (US daytime), quietest
# 05:00-10:00 UTC (US night). System postings run at 06:00:00 UTC; fees and interest post on the
# last day of a month.
HOUR_WEIGHTS_UTC = (6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 6, 6)
SYSTEM_POSTING_SECONDS = 6 * 3600

# --- Contract column types, in contract order ------------------------------------------------
SCHEMAS = {
    "customers": {
        "customer_id": "bigint", "first_name": "string", "last_name": "string", "name": "string",
        "email": "string", "phone": "string", "street_address": "string", "city": "string",
        "state": "string", "postal_code": "string", "region": "string", "date_of_birth": "date",
        "customer_since": "date", "segment": "string", "kyc_status": "string", "credit_score": "smallint",
    },
    "accounts": {
        "account_id": "bigint", "customer_id": "bigint", "account_number": "string", "type": "string",
        "status": "string", "currency": "string", "balance": "decimal(18,2)", "risk_rating": "string",
        "opened_date": "date",
    },
    "account_holders": {
        "account_id": "bigint", "customer_id": "bigint", "holder_role": "string", "added_date": "date",
    },
    "trades": {
        "trade_id": "bigint", "account_id": "bigint", "symbol": "string", "isin": "string",
        "exchange": "string", "side": "string", "quantity": "bigint", "price": "decimal(18,2)",
        "notional": "decimal(20,2)", "timestamp": "timestamp", "settlement_date": "date",
    },
    "transactions": {
        "txn_id": "bigint", "account_id": "bigint", "type": "string", "direction": "string",
        "amount": "decimal(18,2)", "currency": "string", "timestamp": "timestamp", "channel": "string",
        "counterparty": "string", "counterparty_bank": "string", "counterparty_bic": "string",
        "is_fraud": "boolean",
    },
}

# COMMAND ----------

# Bundled US places (copied verbatim from scripts/utils/us_places.py): city, state, ZIP range and
# Census region drawn together, so an address's parts agree.
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


def us_place_records() -> list[tuple[str, str, int, int, str, int]]:
    """``US_PLACES`` as (city, state, first ZIP, last ZIP, region, population in thousands)."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    records = []
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            records.append((city, state, int(low), int(low[:3] + high_suffix), region_of[state], int(thousands)))
    return records

# COMMAND ----------

# Value pools, built once on the driver from Mimesis (helpers copied from the Tier 1 generator),
# then handed to Spark as literal arrays: every column stays a SQL expression.
POOL_DRAWS = 4_000  # enough draws to see nearly every value of Mimesis' name and street lists
# BIC location characters; the second location character is always "0", which marks a test BIC.
BIC_LOCATION_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
HOUSE_NUMBER = "\x1e"  # where a street template takes the row's house number


def mimesis_locale(text: str) -> str:
    """argparse type: a Mimesis locale code such as en, de or pt-br."""
    codes = sorted(locale.value for locale in Locale)
    if text not in codes:
        raise argparse.ArgumentTypeError(f"unknown locale {text!r}; Mimesis knows {', '.join(codes)}")
    return text


def distinct_sorted(draw: Callable[[], str], draws: int = POOL_DRAWS) -> list[str]:
    """Distinct values of a Mimesis call, sorted (set order depends on PYTHONHASHSEED)."""
    return sorted({draw() for _ in range(draws)})


def ascii_fold(text: str) -> str:
    """Accents dropped ("José" -> "Jose"); scripts with no Latin reading fold to ""."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def email_slug(text: str) -> str:
    """Lower-case ASCII letters of a (romanized) name for an email local part; "client" when
    none are left (Japanese, Chinese, Arabic... names), so every address stays valid. Letters
    only: the row number that follows is then always the digits at the end."""
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalpha()) or "client"


def synthetic_bic(bank: str, index: int, taken: set[str]) -> str:
    """A BIC-shaped code for a bank: the first 4 letters of its name (from its pool index when the
    name has too few Latin letters), US, and a location whose second character is 0, which ISO 9362
    reserves for test BICs, so no real institution owns it. Banks sharing 4 letters differ in the
    first location character."""
    letters = "".join(ch for ch in ascii_fold(bank).upper() if "A" <= ch <= "Z")
    from_name = letters[:4] if len(letters) >= 4 else ""
    from_index = "".join(chr(ord("A") + index // 26**place % 26) for place in (3, 2, 1, 0))
    for code in filter(None, (from_name, from_index)):
        for location in BIC_LOCATION_CHARACTERS:
            bic = f"{code}US{location}0"
            if bic not in taken:
                taken.add(bic)
                return bic
    raise ValueError(f"no free test BIC for {bank!r}")


def street_template(address: str) -> str:
    """The locale's address with its first number replaced by a placeholder for the house number
    (as Tier 1 replaces the first digit group); an address without digits stays as it is."""
    return re.sub(r"\d+", HOUSE_NUMBER, address, count=1)


@dataclass(frozen=True)
class Pools:
    """Mimesis values for one run; every per-row choice is an index into one of these lists."""

    first_names: list[str]
    last_names: list[str]
    first_name_slugs: list[str]  # same order as first_names, ASCII for emails
    last_name_slugs: list[str]
    street_templates: list[str]  # the locale's address format with a house-number placeholder
    companies: list[str]  # employers, merchants, dividend payers
    banks: list[str]  # counterparty banks of wire transfers
    bank_bics: list[str]  # same order as banks


def build_pools(locale: str, seed: int) -> Pools:
    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)
    finance = Finance(Locale(locale), seed=seed)
    # Cyrillic names are romanized with Mimesis' own tables before they go into emails and BICs.
    latin = romanize(Locale(locale)) if locale in ("ru", "uk", "kk") else str
    first_names = distinct_sorted(person.first_name)
    last_names = distinct_sorted(person.last_name)
    banks = distinct_sorted(finance.bank, 1_000)
    companies = distinct_sorted(finance.company)
    taken: set[str] = set()
    return Pools(
        first_names=first_names,
        last_names=last_names,
        first_name_slugs=[email_slug(latin(name)) for name in first_names],
        last_name_slugs=[email_slug(latin(name)) for name in last_names],
        street_templates=[street_template(street) for street in distinct_sorted(address.address)],
        companies=companies,
        banks=banks,
        bank_bics=[synthetic_bic(latin(bank), index, taken) for index, bank in enumerate(banks)],
    )


def cusip_check_digit(body: str) -> str:
    """Check digit of an 8-character CUSIP body (digits 0-9, letters A=10 ... Z=35)."""
    total = 0
    for position, char in enumerate(body):
        value = int(char, 36)
        if position % 2 == 1:
            value *= 2
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def isin_check_digit(body: str) -> str:
    """ISO 6166 check digit of an 11-character ISIN body: letters become two digits (A=10 ...
    Z=35), then Luhn over the digit string, doubling from the rightmost digit."""
    digits = "".join(str(int(char, 36)) for char in body)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Securities:
    """The run's listed stocks: real-looking Mimesis tickers with invented ISINs, exchanges,
    popularity ranks and starting price levels (they say nothing about the real companies)."""

    symbols: list[str]
    isins: list[str]
    exchanges: list[str]
    popularity: list[float]  # Zipf weight 1/rank
    base_prices: list[float]  # price level on the first trading day, USD


def build_securities(seed: int) -> Securities:
    """N_SECURITIES common-stock tickers with synthetic US ISINs (US + a synthetic CUSIP with its
    check digit + the ISO 6166 check digit), drawn on the driver as in the Tier 1 generator."""
    rng = np.random.default_rng([seed, SECURITIES_SALT])
    common_stock = sorted({ticker for ticker in STOCK_TICKERS if ticker.isalpha() and ticker.isupper() and len(ticker) <= 5})
    symbols = sorted(rng.choice(common_stock, size=N_SECURITIES, replace=False).tolist())
    alphabet = np.array(list(CUSIP_CHARACTERS))
    issuers: list[str] = []
    while len(issuers) < N_SECURITIES:  # redraw the (rare) repeated issuer codes: ISINs are unique
        issuer = "".join(rng.choice(alphabet, 6))
        if issuer not in issuers:
            issuers.append(issuer)
    isins = []
    for issuer in issuers:
        cusip = issuer + "10"  # issue number 10: the first common stock of an issuer
        body = "US" + cusip + cusip_check_digit(cusip)
        isins.append(body + isin_check_digit(body))
    rank = rng.permutation(N_SECURITIES) + 1
    exchange = rng.choice(len(EXCHANGES), size=N_SECURITIES, p=np.array(EXCHANGE_WEIGHTS) / sum(EXCHANGE_WEIGHTS))
    return Securities(
        symbols=symbols,
        isins=isins,
        exchanges=[EXCHANGES[i] for i in exchange],
        popularity=(1.0 / rank.astype(np.float64) ** SYMBOL_ZIPF_EXPONENT).tolist(),
        base_prices=(BASE_PRICE_MEDIAN * np.exp(BASE_PRICE_SIGMA * rng.standard_normal(N_SECURITIES))).tolist(),
    )

# COMMAND ----------

# Spark session and column seeds (copied verbatim from scripts/utils/spark_session.py).
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

# SQL building blocks shared by the tables.
ARRAY_SEPARATOR = "\x1f"


def literal_array(values, element_type: str = "string"):
    """A whole pool as one array literal: the values joined into one string and split in SQL.

    Thousands of F.lit calls would each cost a round trip (py4j or a Connect plan node); one string
    literal is one plan node, and the optimizer folds the split into a constant once per query.
    """
    texts = [str(value) for value in values]
    if any(ARRAY_SEPARATOR in text for text in texts):
        raise ValueError(f"a pool value holds the separator {ARRAY_SEPARATOR!r}")
    array = F.split(F.lit(ARRAY_SEPARATOR.join(texts)), ARRAY_SEPARATOR)
    return array if element_type == "string" else array.cast(f"array<{element_type}>")


def number_at(values, index: str) -> str:
    """SQL: values[index] for a short list of numbers written inline (a calendar of 252 days)."""
    return f"element_at(array({', '.join(str(value) for value in values)}), cast({index} as int) + 1)"


def pick(values, index: str, element_type: str = "string"):
    """values[index] for a 0-based index column (element_at is 1-based; ANSI mode makes an index
    out of range an error, not a silent null)."""
    return F.element_at(literal_array(values, element_type), F.expr(f"cast({index} as int) + 1"))


def uniform_index(u: str, n: int) -> str:
    """SQL: a uniform integer in 0..n-1 from a U[0,1) column (floor, so every value has equal
    weight; dbldatagen's own integer ranges round, which halves the weight of both ends)."""
    return f"cast(floor({u} * {n}) as bigint)"


def sql_list(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def num(value: float) -> str:
    """A SQL double literal. A plain 1.5 is a DECIMAL in Spark SQL, and decimal arithmetic makes
    the analyzer insert precision casts at every step (seconds of planning for the Gamma draw)."""
    return f"{float(value)!r}D"


def by_label(column: str, mapping: dict, otherwise: str = "NULL") -> str:
    """SQL CASE mapping a label column to a number per label."""
    return f"CASE {column} " + " ".join(f"WHEN '{key}' THEN {num(value)}" for key, value in mapping.items()) + f" ELSE {otherwise} END"


def money(cents: str, precision: int = 18) -> str:
    """Whole cents as an exact decimal(precision, 2): integer arithmetic, no float rounding."""
    return f"cast(cast({cents} as decimal({precision}, 0)) / 100 as decimal({precision}, 2))"


def epoch_date(day: str) -> str:
    return f"date_from_unix_date(cast({day} as int))"


def generator(spark: SparkSession, table: str, rows: int, seed: int, partitions: int) -> dg.DataGenerator:
    """A dbldatagen spec over ids 0..rows-1. hash_fieldname gives any column left without its own
    seed an independent stream; every random column below still passes its own seed, because
    hash_fieldname alone ignores the seed value (every --seed would give the same data)."""
    return dg.DataGenerator(spark, name=f"{INDUSTRY}_{table}", rows=rows, partitions=partitions,
                            randomSeed=seed, randomSeedMethod="hash_fieldname").withIdOutput()


def with_uniforms(spec: dg.DataGenerator, table: str, seed: int, *names: str) -> dg.DataGenerator:
    """U[0,1) columns, each rand() with its own seed. (A dbldatagen double range with random=True
    rounds to the step, which would give only 0.0 and 1.0 here.)"""
    for name in names:
        spec = spec.withColumn(name, "double", expr=f"rand({column_seed(seed, f'{table}.{name}')})")
    return spec


def with_normals(spec: dg.DataGenerator, table: str, seed: int, *names: str) -> dg.DataGenerator:
    """Standard normal columns, randn() with its own seed each."""
    for name in names:
        spec = spec.withColumn(name, "double", expr=f"randn({column_seed(seed, f'{table}.{name}')})")
    return spec


def with_weighted(spec: dg.DataGenerator, table: str, seed: int, name: str, values, weights, column_type="string"):
    """dbldatagen's weighted values (one seeded rand per row against the cumulative weights)."""
    return spec.withColumn(name, column_type, values=list(values), weights=list(weights), random=True,
                           randomSeed=column_seed(seed, f"{table}.{name}"))


def empty_table(spark: SparkSession, table: str) -> DataFrame:
    return spark.createDataFrame([], ", ".join(f"`{name}` {kind}" for name, kind in SCHEMAS[table].items()))


def conform(frame: DataFrame, table: str) -> DataFrame:
    """The contract's columns, order and types, with the contract's descriptions as column comments."""
    columns = COMMENTS[table]["columns"]
    return frame.select([F.col(name).cast(kind).alias(name, metadata={"comment": columns[name]})
                         for name, kind in SCHEMAS[table].items()])


def default_partitions(rows: int) -> int:
    return max(2, math.ceil(rows / ROWS_PER_PARTITION))

# COMMAND ----------

# Weighted draws of rows (places, symbols, accounts) in proportion to whole-number weights.
#
# Each candidate row owns the integer interval [lo, hi) of [0, total), its width the row's weight.
# A draw t = floor(u x total) lies in exactly one interval. To find it without a range join over
# everything, [0, total) is cut into buckets of `width`; each row is listed under every bucket its
# interval meets (about two rows per candidate in all), and a draw joins on its bucket, then keeps
# the one listed row with lo <= t < hi. Every draw matches exactly one row: row counts stay exact
# and no row is ever filtered away. Non-candidates (weight 0, e.g. accounts that cannot trade)
# own no interval, so they are never drawn.

@dataclass(frozen=True)
class WeightedRows:
    intervals: DataFrame  # _bucket, _lo, _hi and the payload columns handed to each draw
    total: int
    width: int
    small: bool  # broadcast to every task (driver-built tables of a few hundred rows)


def driver_weighted_rows(spark: SparkSession, records: list[tuple], schema: str, weights: list[int]) -> WeightedRows:
    """WeightedRows of a small table built on the driver (US places, securities)."""
    total = int(sum(weights))
    width = max(1, math.ceil(total / len(records)))
    rows, lo = [], 0
    for record, weight in zip(records, weights):
        hi = lo + int(weight)
        rows += [(bucket, lo, hi, *record) for bucket in range(lo // width, (hi - 1) // width + 1)] if hi > lo else []
        lo = hi
    frame = spark.createDataFrame(rows, f"_bucket bigint, _lo bigint, _hi bigint, {schema}")
    return WeightedRows(frame, total, width, small=True)


def block_sums(frame: DataFrame, weights: list[str]) -> dict[str, dict[int, tuple[int, int]]]:
    """Per weight column: {block: (sum of weights, rows with weight > 0)}, in one small collect."""
    aggregates = []
    for weight in weights:
        aggregates += [F.sum(weight).alias(f"{weight}_sum"), F.sum(F.when(F.col(weight) > 0, 1).otherwise(0)).alias(f"{weight}_n")]
    collected = frame.groupBy("_block").agg(*aggregates).collect()
    return {weight: {row["_block"]: (int(row[f"{weight}_sum"] or 0), int(row[f"{weight}_n"] or 0)) for row in collected}
            for weight in weights}


def spark_weighted_rows(frame: DataFrame, key: str, weight: str, payload: list[str],
                        sums: dict[int, tuple[int, int]]) -> WeightedRows:
    """WeightedRows of a Spark table: a running sum within each block of WEIGHT_BLOCK_ROWS rows
    plus the block's offset (prefix sum of the block totals, computed on the driver)."""
    blocks = max(sums) + 1 if sums else 1
    offsets, running_total = [], 0
    for block in range(blocks):
        offsets.append(running_total)
        running_total += sums.get(block, (0, 0))[0]
    candidates = sum(count for _, count in sums.values())
    if candidates == 0:
        raise RuntimeError(f"no row has a positive {weight}: nothing to draw from")
    width = max(1, math.ceil(running_total / candidates))
    within_block = Window.partitionBy("_block").orderBy(key).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    intervals = (
        frame.where(F.col(weight) > 0)
        .withColumn("_hi", pick(offsets, "_block", "bigint") + F.sum(weight).over(within_block))
        .withColumn("_lo", F.col("_hi") - F.col(weight))
        .withColumn("_bucket", F.explode(F.expr(f"sequence(_lo div {width}, (_hi - 1) div {width})")))
        .select("_bucket", "_lo", "_hi", *payload)
    )
    return WeightedRows(intervals, running_total, width, small=False)


def draw(events: DataFrame, u: str, rows: WeightedRows) -> DataFrame:
    """Attach to every event the payload of the row its U[0,1) column `u` draws."""
    target = f"least(cast(floor({u} * {rows.total}) as bigint), {rows.total - 1})"
    keyed = events.withColumn("_target", F.expr(target)).withColumn("_target_bucket", F.expr(f"_target div {rows.width}"))
    # Small driver-built tables go to every task; a table of accounts is joined by sorting both
    # sides: its size estimate (from compressed files, before the explode) can be far too low, and
    # a broadcast of millions of intervals runs the driver out of memory.
    intervals = F.broadcast(rows.intervals) if rows.small else rows.intervals.hint("merge")
    matched = keyed.join(intervals, (F.col("_target_bucket") == F.col("_bucket"))
                         & (F.col("_target") >= F.col("_lo")) & (F.col("_target") < F.col("_hi")))
    return matched.drop("_target", "_target_bucket", "_bucket", "_lo", "_hi")


def place_rows(spark: SparkSession) -> WeightedRows:
    """US places weighted by population: city, state, ZIP range and region drawn as one row."""
    records = us_place_records()
    return driver_weighted_rows(
        spark,
        [(city, state, low, high - low + 1, region) for city, state, low, high, region, _ in records],
        "city string, state string, zip_low int, zip_span int, region string",
        [thousands for *_, thousands in records],
    )


def symbol_rows(spark: SparkSession, securities: Securities) -> WeightedRows:
    """Securities weighted by Zipf popularity (1/rank as whole numbers)."""
    return driver_weighted_rows(
        spark,
        [(index, symbol, isin, exchange) for index, (symbol, isin, exchange)
         in enumerate(zip(securities.symbols, securities.isins, securities.exchanges))],
        "symbol_index int, symbol string, isin string, exchange string",
        [max(1, round(weight * SYMBOL_WEIGHT_UNITS)) for weight in securities.popularity],
    )

# COMMAND ----------

# Customers.

def build_customers(spark: SparkSession, rows: int, seed: int, partitions: int, tier: int, pools: Pools) -> DataFrame:
    """Customers 0..rows-1 (``tier`` changes nothing here: every column is SQL in both tiers)."""
    if rows == 0:
        return empty_table(spark, "customers")
    table = "customers"
    spec = generator(spark, table, rows, seed, partitions)
    spec = with_weighted(spec, table, seed, "segment", SEGMENTS, SEGMENT_WEIGHTS)
    spec = with_weighted(spec, table, seed, "kyc_status", KYC_STATUSES, KYC_WEIGHTS)
    spec = with_uniforms(spec, table, seed, "u_first", "u_last", "u_domain", "u_area", "u_line", "u_house",
                         "u_street", "u_place", "u_zip", "u_since")
    spec = with_normals(spec, table, seed, "z_age", "z_score")
    drawn = draw(spec.build(), "u_place", place_rows(spark))
    # Area code NXX (never N11, a service code: N11 becomes N10) before the 555-01XX fiction range;
    # one draw over the 8 x 9 x 10 codes.
    frame = drawn.withColumns({
        "since_day": F.expr(f"{CUSTOMER_SINCE_START} + {uniform_index('u_since', EVENT_END - CUSTOMER_SINCE_START + 1)}"),
        "first_index": F.expr(uniform_index("u_first", len(pools.first_names))),
        "last_index": F.expr(uniform_index("u_last", len(pools.last_names))),
        "area_code": F.expr(uniform_index("u_area", 720)),
    })
    frame = frame.withColumns({
        "area": F.expr("200 + (area_code div 90) * 100 + ((area_code div 10) % 9) * 10 + area_code % 10"),
        # Age at joining ~ Normal(38, 13) years, at least 18, at most 95 by the end of 2024.
        "oldest": F.expr(f"greatest({MAX_AGE_AT_END_DAYS} - ({EVENT_END} - since_day), {ADULT_DAYS})"),
        "age_days": F.expr(f"({num(AGE_AT_JOINING_MEAN)} + {num(AGE_AT_JOINING_SD)} * z_age) * {num(365.25)}"),
    })
    frame = frame.withColumns({
        "area": F.expr("CASE WHEN area % 100 = 11 THEN area - 1 ELSE area END"),
        "age_days": F.expr(f"cast(least(greatest(age_days, {ADULT_DAYS}), oldest) as bigint)"),
    })
    return conform(frame.select(
        F.expr(f"{CUSTOMER_ID_START} + id").alias("customer_id"),
        pick(pools.first_names, "first_index").alias("first_name"),
        pick(pools.last_names, "last_index").alias("last_name"),
        F.concat_ws(" ", pick(pools.first_names, "first_index"), pick(pools.last_names, "last_index")).alias("name"),
        # The row number makes the address unique: slugs hold no digits, so no two collide.
        F.concat(pick(pools.first_name_slugs, "first_index"), F.lit("."), pick(pools.last_name_slugs, "last_index"),
                 F.col("id").cast("string"), F.lit("@"),
                 pick(EMAIL_DOMAINS, uniform_index("u_domain", len(EMAIL_DOMAINS)))).alias("email"),
        F.expr(f"concat('(', area, ') 555-01', lpad(cast({uniform_index('u_line', 100)} as string), 2, '0'))").alias("phone"),
        F.replace(pick(pools.street_templates, uniform_index("u_street", len(pools.street_templates))),
                  F.lit(HOUSE_NUMBER), F.expr(f"cast(1 + {uniform_index('u_house', 9_999)} as string)")).alias("street_address"),
        "city",
        "state",
        F.expr("lpad(cast(zip_low + cast(floor(u_zip * zip_span) as int) as string), 5, '0')").alias("postal_code"),
        "region",
        F.expr(epoch_date("since_day - age_days")).alias("date_of_birth"),
        F.expr(epoch_date("since_day")).alias("customer_since"),
        "segment",
        "kyc_status",
        F.expr(f"least(greatest(rint({num(CREDIT_SCORE_MEAN)} + {num(CREDIT_SCORE_SD)} * z_score), {CREDIT_SCORE_MIN}), "
               f"{CREDIT_SCORE_MAX})").alias("credit_score"),
    ), table)

# COMMAND ----------

# Accounts, and what child tables need from them.

def luhn_check_digit(payload: str, digits: int) -> str:
    """SQL: the Luhn check digit of an integer payload of `digits` digits (rightmost doubled)."""
    doubled = "array(0, 2, 4, 6, 8, 1, 3, 5, 7, 9)"  # 2d with its digits summed: a lookup is less code than arithmetic
    terms = []
    for place in range(digits):
        digit = f"(({payload} div {10**place}) % 10)"
        terms.append(f"element_at({doubled}, cast({digit} as int) + 1)" if place % 2 == 0 else digit)
    return f"((10 - ({' + '.join(terms)}) % 10) % 10)"


def with_standard_gamma(frame: DataFrame, shape: str, normals: list[str], uniforms: list[str], boost: str) -> DataFrame:
    """Add `standard_gamma`, an exact Gamma(shape, 1) draw (Marsaglia and Tsang 2000) from seeded
    normal and uniform columns: one candidate per pair, the first accepted kept. Shapes below 1
    draw Gamma(shape + 1) and multiply by U ** (1 / shape), which is exact too. Built in steps:
    one nested SQL string would cost seconds of parsing."""
    frame = frame.withColumn("gamma_d", F.expr(f"CASE WHEN {shape} < 1 THEN {shape} + 1 ELSE {shape} END - {num(1 / 3)}"))
    frame = frame.withColumn("gamma_c", F.expr("1 / sqrt(9 * gamma_d)"))
    frame = frame.withColumns({f"gamma_v{i}": F.expr(f"pow(1 + gamma_c * {z}, 3)") for i, z in enumerate(normals)})
    candidates = [
        f"CASE WHEN gamma_v{i} > 0 AND {u} > 0 AND ln({u}) < {num(0.5)} * {z} * {z} + gamma_d - gamma_d * gamma_v{i} "
        f"+ gamma_d * ln(gamma_v{i}) THEN gamma_d * gamma_v{i} END"
        for i, (z, u) in enumerate(zip(normals, uniforms))
    ]
    boosted = f"CASE WHEN {shape} < 1 THEN pow({boost}, 1 / {shape}) ELSE {num(1)} END"
    return frame.withColumn("standard_gamma", F.expr(f"coalesce({', '.join(candidates)}, gamma_d) * {boosted}"))


def build_accounts(spark: SparkSession, rows: int, seed: int, partitions: int, tier: int,
                   customers: DataFrame, n_customers: int, with_trades: bool) -> DataFrame:
    """Accounts 0..rows-1, with their owners' join date and segment (a join on customer_id)."""
    table = "accounts"
    gamma_normals = [f"z_gamma{i}" for i in range(GAMMA_ATTEMPTS)]
    gamma_uniforms = [f"u_gamma{i}" for i in range(GAMMA_ATTEMPTS)]
    spec = generator(spark, table, rows, seed, partitions)
    spec = with_weighted(spec, table, seed, "type", ACCOUNT_TYPES, ACCOUNT_TYPE_WEIGHTS)
    spec = with_weighted(spec, table, seed, "status", ACCOUNT_STATUSES, ACCOUNT_STATUS_WEIGHTS)
    spec = with_weighted(spec, table, seed, "deposit_currency", CURRENCIES, CURRENCY_WEIGHTS)
    spec = with_weighted(spec, table, seed, "risk_rating", RISK_RATINGS, RISK_RATING_WEIGHTS)
    spec = with_uniforms(spec, table, seed, "u_owner", "u_opened", "u_gamma_boost", *gamma_uniforms)
    spec = with_normals(spec, table, seed, *gamma_normals)
    drawn = spec.build()
    if with_trades and rows <= FEW_ACCOUNTS:
        kinds = {row["type"] for row in drawn.select("type").collect()}
        if not kinds & set(INVESTMENT_TYPES):  # trades need a home: the last account becomes brokerage
            drawn = drawn.withColumn("type", F.expr(f"CASE WHEN id = {rows - 1} THEN 'brokerage' ELSE type END"))
    # The Gamma draw needs only the type: drawn before the owner join, it lands in the draws' stage
    # of generated code, keeping the post-join stage small enough for the JIT.
    drawn = drawn.withColumn("shape", F.expr(by_label("type", {kind: shape for kind, (shape, _) in BALANCE_GAMMA.items()})))
    drawn = with_standard_gamma(drawn, "shape", gamma_normals, gamma_uniforms, "u_gamma_boost")
    shift = column_seed(seed, "accounts.owner_shift") % n_customers
    number_shift = column_seed(seed, "accounts.number_shift") % 10**9
    owner = (f"CASE WHEN id < {n_customers} THEN (id * {CUSTOMER_SHUFFLE} + {shift}) % {n_customers} "
             f"ELSE {uniform_index('u_owner', n_customers)} END")
    owners = customers.select("customer_id", F.expr("unix_date(customer_since)").alias("since_day"), "segment")
    owners = owners.hint("merge")  # not broadcast: customers read back from compressed files look smaller than they are
    joined = drawn.withColumn("customer_id", F.expr(f"{CUSTOMER_ID_START} + {owner}")).join(owners, "customer_id")
    # A customer's first account opens on customer_since, others uniformly from then to 2024-12-31.
    opened = f"CASE WHEN id < {n_customers} THEN since_day ELSE since_day + floor(u_opened * ({EVENT_END} - since_day + 1)) END"
    frame = joined.withColumns({
        "scale": F.expr(by_label("type", {kind: scale for kind, (_, scale) in BALANCE_GAMMA.items()})
                        + " * " + by_label("segment", SEGMENT_BALANCE_MULTIPLIER)),
        "number_payload": F.expr(f"{ACCOUNT_NUMBER_PREFIX} + (id * {ACCOUNT_NUMBER_MULTIPLIER} + {number_shift}) % {10**9}"),
    })
    return conform(frame.select(
        F.expr(f"{ACCOUNT_ID_START} + id").alias("account_id"),
        "customer_id",
        F.expr(f"cast(number_payload * 10 + {luhn_check_digit('number_payload', 11)} as string)").alias("account_number"),
        "type",
        "status",
        F.expr(f"CASE WHEN type IN ({sql_list(INVESTMENT_TYPES)}) THEN 'USD' ELSE deposit_currency END").alias("currency"),
        F.expr(money("rint(standard_gamma * scale * 100)")).alias("balance"),
        "risk_rating",
        F.expr(epoch_date(opened)).alias("opened_date"),
    ), table)


def hash_uniform(seed: int, name: str, key: str) -> str:
    """SQL: U[0,1) from a hash of (seed, key): a value a child table can recompute from the parent's
    key alone (53 bits of xxhash64, the precision of a double)."""
    return f"cast(xxhash64({column_seed(seed, name)}, {key}) & {2**53 - 1} as double) / {num(2**53)}"


@dataclass
class AccountBook:
    """What trades and transactions draw on, derived from the accounts' own columns, so it works
    on the accounts as written (read back, not generated again): the day an account's activity can
    start, its first trading day, and its transaction and trade weights (activity x status x time
    open in 2024, x trading activity for trades). Activity is Pareto(1.5) from a hash of the
    account id. Weighted draws need the block sums of both weights, collected once, on first use."""

    frame: DataFrame
    _sums: dict | None = field(default=None, repr=False)

    def sums(self) -> dict:
        if self._sums is None:
            self._sums = block_sums(self.frame, ["txn_weight", "trade_weight"])
        return self._sums

    def trading_accounts(self) -> WeightedRows:
        return spark_weighted_rows(self.frame, "account_id", "trade_weight", ["account_id", "earliest_trading_day"],
                                   self.sums()["trade_weight"])

    def all_accounts(self) -> WeightedRows:
        return spark_weighted_rows(self.frame, "account_id", "txn_weight",
                                   ["account_id", "account_type_code", "currency", "first_day"], self.sums()["txn_weight"])


def account_book(accounts: DataFrame, seed: int) -> AccountBook:
    activity = f"pow(1 - {hash_uniform(seed, 'accounts.activity', 'account_id')}, {num(-1 / ACTIVITY_PARETO_ALPHA)})"
    frame = accounts.select(
        "account_id", F.col("type").alias("account_type"), "currency", "status",
        F.expr(f"cast(array_position(array({sql_list(ACCOUNT_TYPES)}), type) - 1 as int)").alias("account_type_code"),
        F.expr(f"greatest(unix_date(opened_date), {EVENT_START})").alias("first_day"),
        F.expr(f"{activity} * {by_label('status', STATUS_ACTIVITY)} * {WEIGHT_UNITS}").alias("weight"),
        F.expr(f"(account_id - {ACCOUNT_ID_START}) div {WEIGHT_BLOCK_ROWS}").alias("_block"),
    ).withColumn("earliest_trading_day", F.expr(number_at(TRADING_DAYS_BEFORE.tolist(), f"first_day - {EVENT_START}")))
    frame = frame.select(
        "account_id", "account_type", "account_type_code", "currency", "first_day", "earliest_trading_day", "_block",
        F.expr(f"greatest(1, cast(rint(weight * ({EVENT_END} - first_day + 1)) as bigint))").alias("txn_weight"),
        F.expr(f"cast(rint(weight * {by_label('account_type', TRADING_ACTIVITY, otherwise=num(0))} * "
               f"({len(TRADING_DAYS)} - earliest_trading_day)) as bigint)").alias("trade_weight"),
    )
    return AccountBook(frame)

def build_account_holders(spark: SparkSession, seed: int, tier: int, accounts: DataFrame, customers: DataFrame,
                          n_customers: int, joint_rate: float) -> DataFrame:
    """Who holds each account: its owner as primary, on the opening day, and on a joint_rate share
    of the accounts other than retirement accounts 1-3 extra holders. Every draw is a hash of the
    account id (and the holder's slot), so the table follows from the accounts as written.

    Extra holders are sampled without replacement in SQL: slot j takes the r-th of the
    n_customers - 1 - j customers still free (r uniform), counting past the ones taken before it in
    ascending order (an aggregate over the sorted earlier picks); the pick is an offset 1 ..
    n_customers - 1 from the owner, so it is never the owner and never repeats. One join adds each
    extra holder's customer_since: nobody is added before becoming a customer."""
    table = "account_holders"

    def u(name: str, key: str = "account_id") -> str:
        return f"({hash_uniform(seed, f'{table}.{name}', key)})"

    free = n_customers - 1  # customers other than the owner
    extra = number_at(EXTRA_HOLDER_POOL, uniform_index(u("extra"), len(EXTRA_HOLDER_POOL)))
    frame = accounts.select(
        "account_id",
        F.col("customer_id").alias("owner"),
        F.expr("unix_date(opened_date)").alias("opened_day"),
        F.expr(f"CASE WHEN type NOT IN ({sql_list(SINGLE_OWNER_TYPES)}) AND {u('joint')} < {num(joint_rate)} "
               f"THEN least({extra}, {free}) ELSE 0 END").alias("extra"),
        *[F.expr(f"cast(floor({u(f'pick{j}')} * {max(free - j, 1)}) as bigint)").alias(f"pick{j}")
          for j in range(MAX_EXTRA_HOLDERS)],
    )
    for j in range(1, MAX_EXTRA_HOLDERS):
        taken = ", ".join(f"pick{i}" for i in range(j))
        frame = frame.withColumn(f"pick{j}", F.expr(
            f"aggregate(array_sort(array({taken})), pick{j}, (r, t) -> r + CASE WHEN r >= t THEN 1 ELSE 0 END)"))
    picks = ", ".join(f"pick{j}" for j in range(MAX_EXTRA_HOLDERS))
    holders = frame.select(
        "account_id", "owner", "opened_day", F.explode(F.expr("sequence(0, extra)")).alias("slot"),
        F.expr(f"array({picks})").alias("picks"),
    ).withColumn("customer_id", F.expr(
        f"CASE WHEN slot = 0 THEN owner ELSE {CUSTOMER_ID_START} + "
        f"(owner - {CUSTOMER_ID_START} + 1 + element_at(picks, greatest(slot, 1))) % {n_customers} END"))
    joined_since = customers.select("customer_id", F.expr("unix_date(customer_since)").alias("since_day")).hint("merge")
    dated = holders.join(joined_since, "customer_id").withColumn("earliest", F.expr("greatest(opened_day, since_day)"))
    role = number_at(EXTRA_ROLE_POOL, uniform_index(u("role", "account_id, slot"), len(EXTRA_ROLE_POOL)))
    later = f"floor({u('later', 'account_id, slot')} * ({EVENT_END} - earliest + 1))"
    return conform(dated.select(
        "account_id",
        "customer_id",
        F.when(F.col("slot") == 0, F.lit(HOLDER_ROLES[0])).otherwise(pick(HOLDER_ROLES, role)).alias("holder_role"),
        F.expr(epoch_date(f"CASE WHEN slot = 0 THEN opened_day WHEN {u('at_opening', 'account_id, slot')} < "
                          f"{num(ADDED_AT_OPENING_SHARE)} THEN earliest ELSE earliest + {later} END")).alias("added_date"),
    ), table)

# COMMAND ----------

# Trades.

def build_price_path(spark: SparkSession, seed: int, securities: Securities) -> DataFrame:
    """Day price level of every symbol on every 2024 trading day: the base level, then a random walk
    of daily log-returns (a running sum per symbol), never below MIN_DAY_PRICE."""
    days = len(TRADING_DAYS)
    spec = with_normals(generator(spark, "prices", N_SECURITIES * days, seed, 1), "prices", seed, "z_return")
    walk = Window.partitionBy("symbol_index").orderBy("day_index").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return (
        spec.build()
        .withColumn("symbol_index", F.expr(f"cast(id div {days} as int)"))
        .withColumn("day_index", F.expr(f"cast(id % {days} as int)"))
        # The first trading day trades at the base level.
        .withColumn("log_return", F.expr(f"CASE WHEN day_index = 0 THEN {num(0)} ELSE {num(DAILY_RETURN_SIGMA)} * z_return END"))
        .withColumn("day_price", F.greatest(pick(securities.base_prices, "symbol_index", "double")
                                            * F.exp(F.sum("log_return").over(walk)), F.lit(MIN_DAY_PRICE)))
        .select("symbol_index", "day_index", "day_price")
    )


def build_trades(spark: SparkSession, rows: int, seed: int, partitions: int, tier: int,
                 book: AccountBook, securities: Securities) -> DataFrame:
    """Trades 0..rows-1 on trading accounts only (drawn by trade weight), on trading days from the
    account's opening on, during NYSE hours, at the symbol's price level of the day."""
    if rows == 0:
        return empty_table(spark, "trades")
    table = "trades"
    spec = generator(spark, table, rows, seed, partitions)
    spec = with_weighted(spec, table, seed, "side", SIDES, SIDE_WEIGHTS)
    spec = with_uniforms(spec, table, seed, "u_account", "u_symbol", "u_day", "u_second")
    spec = with_normals(spec, table, seed, "z_intraday", "z_notional")
    days = len(TRADING_DAYS)
    on_account = draw(spec.build(), "u_account", book.trading_accounts())
    with_symbol = draw(on_account, "u_symbol", symbol_rows(spark, securities))
    dated = with_symbol.withColumn(
        "day_index",
        F.expr(f"cast(earliest_trading_day + floor(u_day * ({days} - earliest_trading_day)) as int)"))
    priced = (
        dated.join(F.broadcast(build_price_path(spark, seed, securities)), ["symbol_index", "day_index"])
        .withColumn("price_cents", F.expr(f"cast(greatest(rint(day_price * exp({num(INTRADAY_PRICE_SIGMA)} * z_intraday) * 100), 1) as bigint)"))
        .withColumn("quantity", F.expr(f"cast(greatest(rint({num(TRADE_NOTIONAL_MEDIAN)} * exp({num(TRADE_NOTIONAL_SIGMA)} * z_notional) "
                                       "* 100 / price_cents), 1) as bigint)"))
        .withColumn("session_second", F.expr(f"floor(u_second * {number_at(SESSION_SECONDS.astype(np.int64).tolist(), 'day_index')})"))
    )
    # Market hours are New York wall-clock time; stored as UTC like every timestamp.
    utc_seconds = (f"cast({number_at(TRADING_DAYS.tolist(), 'day_index')} as bigint) * {SECONDS_PER_DAY} + {MARKET_OPEN_SECONDS} "
                   f"+ session_second + {number_at(NEW_YORK_BEHIND_UTC.tolist(), 'day_index')}")
    return conform(priced.select(
        F.expr(f"{TRADE_ID_START} + id").alias("trade_id"),
        "account_id",
        "symbol",
        "isin",
        "exchange",
        "side",
        "quantity",
        F.expr(money("price_cents")).alias("price"),
        F.expr(money("quantity * price_cents", 20)).alias("notional"),  # exact: whole cents times whole shares
        F.expr(f"timestamp_seconds({utc_seconds})").alias("timestamp"),
        F.expr(epoch_date(number_at(SETTLEMENT_DAYS.tolist(), "day_index"))).alias("settlement_date"),
    ), table)

# COMMAND ----------

# Transactions.

def build_transactions(spark: SparkSession, rows: int, seed: int, partitions: int, tier: int,
                       book: AccountBook, pools: Pools, fraud_rate: float) -> DataFrame:
    """Transactions 0..rows-1 on accounts drawn by transaction weight, typed by the account's type.

    Types and channels are integer codes looked up in flat weighted pools (a few array lookups):
    as nested CASEs, the stage's generated method grew past 8,000 bytes, which the JVM leaves
    uncompiled, and ran 2-3x slower."""
    if rows == 0:
        return empty_table(spark, "transactions")
    table = "transactions"
    spec = generator(spark, table, rows, seed, partitions)
    spec = with_weighted(spec, table, seed, "fee_cents", FEE_SCHEDULE_CENTS, FEE_WEIGHTS, "bigint")
    spec = with_weighted(spec, table, seed, "hour", range(24), HOUR_WEIGHTS_UTC, "int")
    spec = with_uniforms(spec, table, seed, "u_account", "u_kind", "u_channel", "u_direction", "u_fraud", "u_day",
                         "u_second", "u_company", "u_first", "u_last", "u_bank")
    spec = with_normals(spec, table, seed, "z_amount")
    on_account = draw(spec.build(), "u_account", book.all_accounts())
    code = {name: index for index, name in enumerate(TXN_TYPES)}
    channel = {name: index for index, name in enumerate(CHANNELS)}
    frame = on_account.withColumn(
        "kind", F.expr(number_at(TXN_TYPE_POOL, f"account_type_code * 100 + {uniform_index('u_kind', 100)}")))
    frame = frame.withColumns({
        "channel_code": F.expr(number_at(CHANNEL_POOL, f"kind * 100 + {uniform_index('u_channel', 100)}")),
        # Transfers go either way; every other type has its fixed sign.
        "sign": F.expr(f"CASE WHEN kind = {code['transfer']} THEN CASE WHEN u_direction < {num(TRANSFER_IN_SHARE)} "
                       f"THEN 1 ELSE -1 END ELSE {number_at(TXN_SIGN, 'kind')} END"),
        "is_fraud": F.expr(f"kind < {len(CUSTOMER_INITIATED)} AND u_fraud < {num(fraud_rate)}"),
        "day": F.expr(epoch_date(f"first_day + floor(u_day * ({EVENT_END} - first_day + 1))")),
    })
    lognormal = (f"{number_at([num(TXN_AMOUNT_LOGNORMAL[kind][0]) for kind in TXN_TYPES], 'kind')} "
                 f"* exp({number_at([num(TXN_AMOUNT_LOGNORMAL[kind][1]) for kind in TXN_TYPES], 'kind')} * z_amount) "
                 f"* CASE WHEN is_fraud THEN {num(FRAUD_AMOUNT_MULTIPLIER)} ELSE {num(1)} END")
    frame = frame.withColumn("cents", F.expr(f"cast(greatest(rint({lognormal} * 100), 1) as bigint)"))
    frame = frame.withColumns({
        # Fees from the fee schedule; withdrawals in $20 notes.
        "cents": F.expr(f"CASE kind WHEN {code['fee']} THEN fee_cents WHEN {code['withdrawal']} THEN "
                        f"greatest(cast(rint(cents / {WITHDRAWAL_STEP_CENTS}) as bigint), 1) * {WITHDRAWAL_STEP_CENTS} "
                        "ELSE cents END"),
        # A day from the account's first day in 2024 on; fees and interest move to the month's last
        # day (still on or after opening); system postings run at 06:00 UTC.
        "posted": F.expr(f"CASE WHEN kind IN ({code['fee']}, {code['interest']}) THEN last_day(day) ELSE day END"),
        "second": F.expr(f"CASE WHEN kind < {len(CUSTOMER_INITIATED)} THEN hour * 3600 + floor(u_second * 3600) "
                         f"ELSE {SYSTEM_POSTING_SECONDS} END"),
    })
    person = F.concat_ws(" ", pick(pools.first_names, uniform_index("u_first", len(pools.first_names))),
                         pick(pools.last_names, uniform_index("u_last", len(pools.last_names))))
    company = pick(pools.companies, uniform_index("u_company", len(pools.companies)))
    bank_index = uniform_index("u_bank", len(pools.banks))
    # The employer of an ACH or mobile deposit, the payee of a payment, the issuer of a dividend
    # (companies); the person of a transfer; none for cash, fees and interest.
    by_company = (f"(kind = {code['deposit']} AND channel_code IN ({channel['ach']}, {channel['mobile']})) "
                  f"OR kind IN ({code['payment']}, {code['dividend']})")
    wire = F.col("channel_code") == channel["wire"]
    return conform(frame.select(
        F.expr(f"{TXN_ID_START} + id").alias("txn_id"),
        "account_id",
        pick(TXN_TYPES, "kind").alias("type"),
        F.expr("CASE WHEN sign > 0 THEN 'credit' ELSE 'debit' END").alias("direction"),
        F.expr(money("sign * cents")).alias("amount"),
        "currency",
        F.expr(f"timestamp_seconds(cast(unix_date(posted) as bigint) * {SECONDS_PER_DAY} + second)").alias("timestamp"),
        pick(CHANNELS, "channel_code").alias("channel"),
        F.when(F.expr(by_company), company).when(F.col("kind") == code["transfer"], person).alias("counterparty"),
        F.when(wire, pick(pools.banks, bank_index)).alias("counterparty_bank"),
        F.when(wire, pick(pools.bank_bics, bank_index)).alias("counterparty_bic"),
        "is_fraud",
    ), table)

# COMMAND ----------

# Table and column comments (the descriptions of assets/schemas/financial_*.json; a test keeps
# them equal), written with Unity Catalog tables.
COMMENTS = {
    'customers': {
        "table": (
            'Bank customers (the spec names accounts.customer_id but no customers table; this one makes the '
            'key checkable): safe contact details, a US address whose city, state and postal code agree, date'
            ' of birth, the date the relationship began, segment, KYC status and a credit score.'
        ),
        "columns": {
            'customer_id': 'Surrogate key, sequential from 1000000.',
            'first_name': "Given name from the locale's Mimesis name pool.",
            'last_name': "Family name from the locale's Mimesis name pool.",
            'name': 'Full name, first_name and last_name joined by a space.',
            'email': (
                "first.last plus the customer's row number (unique), on an RFC 2606 reserved domain so no "
                "mail can reach a real person. Names without a Latin reading become 'client'."
            ),
            'phone': (
                'US phone number in the 555-0100..555-0199 range reserved for fiction; the area code is '
                'never N11.'
            ),
            'street_address': "House number (1..9999), street name and suffix from the locale's Mimesis pools.",
            'city': (
                'City; agrees with state and postal_code (drawn together from the bundled US places table, '
                'weighted by population, whatever the locale).'
            ),
            'state': 'Two-letter US state code of the city.',
            'postal_code': (
                "Five-digit ZIP code inside the city's ZIP range (its three-digit prefix belongs to the "
                'city).'
            ),
            'region': 'US Census region of the state.',
            'date_of_birth': (
                'Age when the customer joined ~ Normal(38, 13) years, at least 18 at customer_since and at '
                'most 95 on 2024-12-31.'
            ),
            'customer_since': (
                'Start of the relationship, uniform over 2005-01-01..2024-12-31 (relationships last '
                "decades); the customer's first account opens on this day."
            ),
            'segment': (
                'Customer segment; affluent and private customers keep larger balances (their Gamma balance'
                ' scale is multiplied by 4 and 20).'
            ),
            'kyc_status': 'Know-your-customer check status.',
            'credit_score': 'FICO-like score: Normal(715, 70) rounded and clipped to 300..850.',
        },
    },
    'accounts': {
        "table": (
            'Bank and brokerage accounts, the financial main entity: owner, type, status, currency, a Gamma-'
            "distributed balance (per type, scaled by the owner's segment) as of 2024-12-31, an AML risk "
            'rating and an opening date never before the owner became a customer.'
        ),
        "columns": {
            'account_id': 'Surrogate key, sequential from 100000000.',
            'customer_id': (
                'Owner. The first accounts (one per customer, in scrambled order) give every customer an '
                'account; the rest go to uniformly drawn customers, so a customer holds 1 + Poisson(0.6) '
                'accounts on average.'
            ),
            'account_number': (
                "12 digits: '99', nine digits unique to the row, and a Luhn check digit. No standard "
                'reserves fictitious account numbers; no routing number is generated, so these identify '
                'nothing.'
            ),
            'type': (
                'Account type; only brokerage and retirement accounts trade. If trades are requested and no'
                ' account came out brokerage or retirement (tiny runs only), the last account becomes '
                'brokerage.'
            ),
            'status': (
                'Status; it scales activity: dormant accounts get 2% and frozen ones 10% of an active '
                "account's transactions and trades."
            ),
            'currency': (
                'ISO 4217 currency of the account; brokerage and retirement accounts are always USD, the '
                'weights apply to the other types.'
            ),
            'balance': (
                "Balance on 2024-12-31 in the account's currency: Gamma(shape, scale x segment multiplier) "
                'by type; mean = shape x scale.'
            ),
            'risk_rating': 'Anti-money-laundering risk rating.',
            'opened_date': (
                "The owner's first account opens on customer_since; others uniformly between customer_since"
                ' and 2024-12-31.'
            ),
        },
    },
    'account_holders': {
        "table": (
            'Who holds each account: the N:M bridge between customers and accounts, one row per (account, '
            'customer). Every account has exactly one primary holder, its owner; a share of the accounts '
            '(--joint-rate, 15% by default; never retirement accounts, which have one owner by law) has 1-3 '
            'extra holders, other customers, each a joint owner or an authorized user. A holder is added on '
            'or after the account opened and on or after the holder became a customer.'
        ),
        "columns": {
            'account_id': 'The account held. Every account appears, with exactly one primary row.',
            'customer_id': (
                'The holder. For the primary row it equals accounts.customer_id; extra holders are other '
                'customers drawn uniformly, never the owner and never one customer twice on an account.'
            ),
            'holder_role': (
                'primary for the owner; an extra holder is a joint owner (75%) or an authorized user who may '
                'transact but owns nothing (25%).'
            ),
            'added_date': (
                "The primary holder's is the account's opened_date. An extra holder is added on the later of "
                "opened_date and the holder's customer_since (60%), otherwise uniformly between that day and "
                '2024-12-31.'
            ),
        },
    },
    'trades': {
        "table": (
            'Equity trades in 2024 on brokerage and retirement accounts only: NYSE trading days and hours '
            '(09:30-16:00 New York, 13:00 on early-close days), never before the account opened, Zipf symbol '
            'popularity, per-symbol price levels, notional = quantity x price exactly, T+2 settlement until '
            '2024-05-27 and T+1 from 2024-05-28. Positions are not tracked (a SELL need not follow a BUY).'
        ),
        "columns": {
            'trade_id': 'Surrogate key, sequential from 1 (not in time order).',
            'account_id': (
                'Trading account, drawn in proportion to activity (Pareto alpha 1.5) x status multiplier x '
                'trading activity (brokerage 1, retirement 0.25) x trading days the account was open in '
                '2024.'
            ),
            'symbol': (
                "Ticker of a US common stock from Mimesis' list (500 per run); popularity Zipf: weight "
                '1/rank, so the 10 most traded symbols take ~43% of trades. Prices, ISINs and exchanges are'
                ' invented and say nothing about the real companies.'
            ),
            'isin': (
                'Synthetic ISIN paired with the symbol: US + a synthetic CUSIP (6-character issuer, issue '
                '10, CUSIP check digit) + the ISO 6166 check digit (Luhn over the digits, letters '
                'A=10..Z=35).'
            ),
            'exchange': 'Listing exchange of the symbol (one per symbol).',
            'side': 'Buy or sell.',
            'quantity': (
                'Whole shares: a lognormal notional target (median 4000 USD, sigma 1.2) divided by the '
                'price, at least 1.'
            ),
            'price': (
                "Price per share in USD: the symbol's level on 2024-01-02 ~ lognormal(median 45, sigma "
                '1.0), a daily random walk of 1.5% log-returns, and 0.3% lognormal noise per trade; at '
                'least 1.00 at the day level.'
            ),
            'notional': 'quantity x price, exact.',
            'timestamp': (
                'Execution time (UTC): a trading day on or after the account opened, uniform over the '
                '09:30-16:00 New York session (13:00 close on 2024-07-03, 2024-11-29, 2024-12-24).'
            ),
            'settlement_date': 'Trade date + 2 NYSE business days before 2024-05-28, + 1 from then on (SEC T+1).',
        },
    },
    'transactions': {
        "table": (
            'Cash movements on accounts in 2024 (UTC): deposits, withdrawals, transfers, payments, fees, '
            'interest and dividends with type weights that depend on the account type, signed amounts '
            '(credits positive, debits negative), channel, counterparty, and a rare is_fraud flag; never '
            'before the account opened, heavy-tailed activity per account.'
        ),
        "columns": {
            'txn_id': 'Surrogate key, sequential from 1 (not in time order).',
            'account_id': (
                'Account, drawn in proportion to a Pareto(alpha 1.5, minimum 1) activity weight x status '
                'multiplier x days the account was open in 2024: the top tenth of weights holds ~46% of '
                'activity.'
            ),
            'type': (
                'Transaction type; weights depend on the account type (card payments from checking, '
                'dividends only on investment accounts).'
            ),
            'direction': (
                'credit (money in) or debit (money out): deposits, interest and dividends are credits; '
                'withdrawals, payments and fees debits; transfers half each.'
            ),
            'amount': (
                "Signed amount in the account's currency: positive for credits, negative for debits, never "
                'zero. |amount| ~ lognormal(median, sigma) by type; withdrawals in multiples of 20; fees '
                'from a fee schedule; fraudulent transactions are 3x larger.'
            ),
            'currency': 'Currency of the account.',
            'timestamp': (
                "When (UTC): a day from the later of the account's opening and 2024-01-01 to 2024-12-31; "
                'customer-initiated transactions by UTC hour weights (US daytime busiest), fees, interest '
                'and dividends posted at 06:00:00 UTC, fees and interest on the last day of a month.'
            ),
            'channel': 'How the transaction was made; weights depend on the type.',
            'counterparty': (
                'Other party: the employer of an ACH or mobile deposit, the payee of a payment, the payer '
                'of a dividend (Mimesis company names), the person of a transfer (Mimesis names); null for '
                'cash, fees and interest.'
            ),
            'counterparty_bank': 'Bank of the other party for wire transfers (Mimesis bank names); null otherwise.',
            'counterparty_bic': (
                'BIC of counterparty_bank for wire transfers: 4 letters from the bank name, US, and a '
                'location whose second character is 0, which ISO 9362 reserves for test BICs; null '
                'otherwise.'
            ),
            'is_fraud': (
                'Fraud label: a share --fraud-rate (default 0.002) of customer-initiated transactions (not '
                'fees, interest or dividends), with 3x amounts.'
            ),
        },
    },
}

# COMMAND ----------

# Output: Unity Catalog tables (the helpers copied verbatim from scripts/utils/output.py and
# uc_setup.py: contract comments, synthetic marker, refusals), or a folder of part files plus
# _manifest.json. Nothing is ever written over data this tool did not write, and every refusal
# comes before the first table is written.
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


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}


OUTPUT_FORMATS = ("delta", "parquet", "csv", "json")
CATALOG_FORMATS = ("delta", "parquet")  # parquet: the local catalog, where Delta needs jars
MANIFEST = "_manifest.json"


def table_contract(table: str) -> dict:
    """The contract's names, types and descriptions in the shape write_table reads."""
    comments = COMMENTS[table]
    return {"description": comments["table"],
            "columns": [{"name": name, "type": kind, "description": comments["columns"][name]}
                        for name, kind in SCHEMAS[table].items()]}


def check_catalog_targets(spark: SparkSession, catalog: str, schema: str, mode: str) -> None:
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
    """Refuse a folder holding these tables in another shape, or tables this generator did not write."""
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


def versions(spark: SparkSession) -> dict[str, str]:
    """Versions whose upgrades can change the values a seed produces."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0], "spark": spark.version}
    for package in ("pyspark", "databricks-connect", "dbldatagen", "mimesis", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


# COMMAND ----------

# Command line and notebook widgets: the same options either way.

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="financial.py",
        description="Generate bank customers, accounts, account holders, trades and transactions on Spark (dbldatagen).",
        epilog="Examples: financial.py --catalog main --schema demo --rows 1000000 (Databricks Connect); "
               "financial.py --local --output output/financial_spark (local Spark).",
    )
    sizes = parser.add_argument_group("sizes")
    sizes.add_argument("--rows", type=positive_int, default=DEFAULT_ACCOUNTS,
                       help=f"accounts, the main table, exactly (default {DEFAULT_ACCOUNTS:,})")
    sizes.add_argument("--customers", type=positive_int, help=f"customers (default {CUSTOMERS_PER_ACCOUNT} per account, at least 1)")
    sizes.add_argument("--trades", type=non_negative_int, help=f"trades (default {TRADES_PER_ACCOUNT:g} per account; 0 skips)")
    sizes.add_argument("--transactions", type=non_negative_int,
                       help=f"transactions (default {TRANSACTIONS_PER_ACCOUNT:g} per account; 0 skips)")
    sizes.add_argument("--fraud-rate", type=rate, default=DEFAULT_FRAUD_RATE,
                       help=f"share of customer-initiated transactions flagged is_fraud (default {DEFAULT_FRAUD_RATE})")
    sizes.add_argument("--joint-rate", type=rate, default=DEFAULT_JOINT_RATE,
                       help=f"share of accounts with extra holders in account_holders (joint owners, authorized users; "
                            f"1-3 each); retirement accounts always have one (default {DEFAULT_JOINT_RATE})")
    sizes.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    sizes.add_argument("--partitions", type=positive_int,
                       help=f"Spark partitions per table (default one per {ROWS_PER_PARTITION:,} rows, at least 2); "
                            "part of what a seed means: other partitions give other data")
    sizes.add_argument("--locale", type=mimesis_locale, default="en", help="Mimesis locale for names and streets (default en)")
    sizes.add_argument("--tier", type=int, choices=(2, 3),
                       help="2 = Connect-safe SQL only, 3 = notebook (default 3 in a notebook, else 2); same data here")
    where = parser.add_argument_group("destination (one of)")
    where.add_argument("--catalog", help="Unity Catalog catalog (must exist); needs --schema")
    where.add_argument("--schema", help="schema inside --catalog (created if missing)")
    where.add_argument("--output", metavar="DIR", help="folder for DIR/<table>/ part files and DIR/_manifest.json "
                       "(local, or a /Volumes/... path)")
    where.add_argument("--format", choices=OUTPUT_FORMATS, help="delta (default for --catalog) or parquet (default for --output), csv, json")
    where.add_argument("--mode", choices=("error", "overwrite"), default="error",
                       help="error (default): refuse existing tables; overwrite: replace tables this generator wrote")
    session = parser.add_argument_group("Spark session (default: Databricks Connect serverless)")
    session.add_argument("--local", action="store_true", help="a local pyspark session")
    session.add_argument("--remote", metavar="URL", help="Spark Connect URL, e.g. sc://localhost:15002")
    session.add_argument("--profile", help="~/.databrickscfg profile for Databricks Connect")
    parser.add_argument("--dry-run", action="store_true", help="print the planned tables and rows, start nothing")
    return parser


def parse_args(argv: list[str] | None = None, in_notebook: bool = False) -> argparse.Namespace:
    """Parse and settle the options: one destination, its format, the tier, the session flags."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.catalog and args.output:
        parser.error("choose one destination: --catalog/--schema (tables) or --output (a folder)")
    if bool(args.catalog) != bool(args.schema):
        parser.error("--catalog and --schema go together: pass both (the catalog must exist; the schema is created)")
    if not args.catalog and not args.output:
        parser.error("say where the data goes: --catalog C --schema S (Unity Catalog) or --output DIR (a folder)")
    if args.catalog and args.format not in (None, *CATALOG_FORMATS):
        parser.error(f"tables are written as {' or '.join(CATALOG_FORMATS)}, not {args.format}")
    for value, kind in ((args.catalog, "catalog"), (args.schema, "schema")):
        try:
            check_identifier(value, kind) if value else None
        except ValueError as error:
            parser.error(str(error))
    if args.local and args.remote:
        parser.error("--local and --remote exclude each other")
    if args.profile and (args.local or args.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    args.format = args.format or ("delta" if args.catalog else "parquet")
    args.tier = args.tier or (3 if in_notebook else 2)
    return args


def plan_rows(args: argparse.Namespace) -> dict[str, int]:
    accounts = args.rows

    def follow(override: int | None, ratio: float, minimum: int = 0) -> int:
        return override if override is not None else max(minimum, round(accounts * ratio))

    return {
        "customers": follow(args.customers, CUSTOMERS_PER_ACCOUNT, minimum=1),
        "accounts": accounts,
        # An estimate (drawn per account): 1 + rate x 0.9 x 1.18 per account; the run counts the rows written.
        "account_holders": round(accounts * (1 + args.joint_rate * SHAREABLE_ACCOUNT_SHARE * MEAN_EXTRA_HOLDERS)),
        "trades": follow(args.trades, TRADES_PER_ACCOUNT),
        "transactions": follow(args.transactions, TRANSACTIONS_PER_ACCOUNT),
    }


def plan_partitions(args: argparse.Namespace, rows: dict[str, int]) -> dict[str, int]:
    return {table: args.partitions or default_partitions(count) for table, count in rows.items()}


# Notebook widgets: one per option, same names (underscores) and defaults; empty means default.
WIDGETS = {
    "rows": str(DEFAULT_ACCOUNTS), "customers": "", "trades": "", "transactions": "",
    "fraud_rate": str(DEFAULT_FRAUD_RATE), "joint_rate": str(DEFAULT_JOINT_RATE), "seed": "42", "partitions": "", "locale": "en", "tier": "3",
    "catalog": "", "schema": "", "output": "", "format": "", "mode": "error", "dry_run": "false",
}


def notebook_argv(dbutils) -> list[str]:
    """Create the widgets (once) and turn their values into command-line options."""
    argv = []
    for name, default in WIDGETS.items():
        dbutils.widgets.text(name, default)
        value = dbutils.widgets.get(name).strip()
        if name == "dry_run":
            argv += ["--dry-run"] if value.lower() in ("true", "yes", "1") else []
        elif value:
            argv += [f"--{name.replace('_', '-')}", value]
    return argv


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)

# COMMAND ----------

# Generate: plan, build each table as a DataFrame, write parents before children, manifest last.

def build_tables(spark: SparkSession, args: argparse.Namespace,
                 store: Callable[[str, DataFrame], DataFrame] | None = None) -> dict[str, DataFrame]:
    """The five tables as DataFrames, parents first. ``store(table, frame)`` writes a table and
    returns it as stored; children then build on the stored parent, so no table is generated twice
    (without ``store`` they build on the lazy parents: same values, recomputed)."""
    store = store or (lambda table, frame: frame)
    rows, partitions = plan_rows(args), plan_partitions(args, plan_rows(args))
    pools = build_pools(args.locale, args.seed)
    securities = build_securities(args.seed)
    customers = build_customers(spark, rows["customers"], args.seed, partitions["customers"], args.tier, pools)
    stored = {"customers": store("customers", customers)}
    accounts = build_accounts(spark, rows["accounts"], args.seed, partitions["accounts"], args.tier, stored["customers"],
                              rows["customers"], with_trades=rows["trades"] > 0)
    stored["accounts"] = store("accounts", accounts)
    holders = build_account_holders(spark, args.seed, args.tier, stored["accounts"], stored["customers"],
                                    rows["customers"], args.joint_rate)
    stored["account_holders"] = store("account_holders", holders)
    book = account_book(stored["accounts"], args.seed)
    trades = build_trades(spark, rows["trades"], args.seed, partitions["trades"], args.tier, book, securities)
    stored["trades"] = store("trades", trades)
    transactions = build_transactions(spark, rows["transactions"], args.seed, partitions["transactions"], args.tier,
                                      book, pools, args.fraud_rate)
    stored["transactions"] = store("transactions", transactions)
    return {"customers": customers, "accounts": accounts, "account_holders": holders, "trades": trades,
            "transactions": transactions}


def read_folder_table(spark: SparkSession, directory: str, table: str, fmt: str) -> DataFrame:
    reader = spark.read.format(fmt).schema(", ".join(f"`{name}` {kind}" for name, kind in SCHEMAS[table].items()))
    if fmt == "csv":
        reader = reader.option("header", "true").option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
    return reader.load(f"{directory.rstrip('/')}/{table}")


def generate(spark: SparkSession, args: argparse.Namespace) -> dict:
    """Check the destination, then build and write every table, parents first; returns the
    summary. Raises OutputError before anything is written when the destination cannot be used."""
    started = time.perf_counter()
    rows = plan_rows(args)
    if args.catalog:
        check_catalog_targets(spark, args.catalog, args.schema, args.mode)
        destination = f"{args.catalog}.{args.schema}"
    else:
        check_folder_targets(args.output, args.mode)
        remove_manifest(args.output)  # written again last: a folder whose run died has none
        destination = args.output
    progress(f"financial: {sum(rows.values()):,} rows -> {destination} ({args.format}, seed {args.seed}, tier {args.tier})")
    tables = {}

    def store(table: str, frame: DataFrame) -> DataFrame:
        begun = time.perf_counter()
        try:
            stored = write_and_reread(table, frame)
        except Exception as error:  # the first write shows it; nothing is written then
            if args.format == "delta" and "DATA_SOURCE_NOT_FOUND" in str(error):
                raise OutputError("this Spark has no Delta Lake (Databricks has; local pyspark needs the delta-spark "
                                  "jars): pass --format parquet") from None
            raise
        if table in COUNTED:
            tables[table]["rows"] = stored.count()
        tables[table]["seconds"] = round(time.perf_counter() - begun, 3)
        progress(f"  {table}: {tables[table]['rows']:,} rows in {tables[table]['seconds']:.1f}s")
        return stored

    def write_and_reread(table: str, frame: DataFrame) -> DataFrame:
        if args.catalog:
            written = write_table(frame, args.catalog, args.schema, table, mode=args.mode, fmt=args.format,
                                  contract=table_contract(table), seed=args.seed)
            tables[table] = {"rows": rows[table], "target": written["table"]}
            stored = spark.read.table(qualified_name(args.catalog, args.schema, table))
        else:
            tables[table] = {"rows": rows[table],
                             **write_folder_table(frame, args.output, table, args.format, args.mode == "overwrite")}
            stored = read_folder_table(spark, args.output, table, args.format)
        return stored

    build_tables(spark, args, store)
    if args.output:
        write_folder_manifest(args.output, {"generator": GENERATOR, "industry": INDUSTRY, "seed": args.seed,
                                            "format": args.format, "arguments": vars(args), "versions": versions(spark),
                                            "tables": tables})
    return {"destination": destination, "seed": args.seed, "format": args.format, "tier": args.tier,
            "tables": tables, "seconds": round(time.perf_counter() - started, 3)}


def main(argv: list[str] | None = None) -> dict:
    dbutils = globals().get("dbutils")  # defined only in a Databricks notebook
    in_notebook = bool(os.environ.get("DATABRICKS_RUNTIME_VERSION")) and dbutils is not None
    if argv is None and in_notebook:
        argv = notebook_argv(dbutils)
    args = parse_args(argv, in_notebook)
    if args.dry_run:
        rows, partitions = plan_rows(args), plan_partitions(args, plan_rows(args))
        plan = {"dry_run": True, "destination": f"{args.catalog}.{args.schema}" if args.catalog else args.output,
                "format": args.format, "seed": args.seed, "tier": args.tier,
                "tables": {table: {"rows": rows[table], "partitions": partitions[table],
                                   **({"estimated_rows": True} if table in COUNTED else {})} for table in TABLES}}
        print(json.dumps(plan, indent=2))
        return plan
    try:
        if args.output:
            check_folder_targets(args.output, args.mode)  # before a session starts: fail fast
        spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
        summary = generate(spark, args)
    except OutputError as error:
        build_parser().error(str(error))
    print(json.dumps(summary, indent=2))
    return summary

# COMMAND ----------

if __name__ == "__main__":
    main()
