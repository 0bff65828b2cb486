# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.4,<2.5",
#   "mimesis>=22.2,<23",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""Tier 1 financial data: bank customers, their accounts and holders, brokerage trades, cash transactions.

Tables (parents first), with the rows each gets by default:

- ``customers``    --customers, 0.625 per account (1.6 accounts per customer): name, safe email
  and phone, a US address whose city/state/ZIP agree, date of birth, customer_since, segment,
  KYC status, credit score.
- ``accounts``     --rows, the main entity (the spec's financial key table; 10,000 by default):
  type, status, currency, Gamma-distributed balance per type, risk rating, opened_date, a
  synthetic account number.
- ``account_holders`` about 1.16 per account: the N:M bridge of customers and accounts (key
  account_id + customer_id). Every account's owner is its primary holder, added on the opening
  day; a share of the accounts (--joint-rate, 0.15; never retirement accounts) has 1-3 extra
  holders, other customers, each a joint owner or an authorized user.
- ``trades``       --trades, 3 per account: equity trades, only on brokerage and retirement
  accounts, on NYSE trading days and hours, at per-symbol price levels; notional = quantity x
  price exactly; T+2 settlement before 2024-05-28, T+1 from then on.
- ``transactions`` --transactions, 20 per account: deposits, withdrawals, transfers, payments,
  fees, interest and dividends weighted by account type, signed amounts (credits positive,
  debits negative), channel, counterparty, a rare ``is_fraud`` flag (--fraud-rate).

Linked facts: every account's opened_date is on or after its customer's customer_since, and a
customer's first account opens on customer_since itself; a holder is added on or after both the
account's opening and the holder's own customer_since; trades and transactions fall in the
window (2024 by default) and never before their account opened. Activity per account is heavy-tailed (Pareto weights).
The contracts in assets/schemas/financial_*.json describe every column and distribution.

Window, seasonality, dirty data (each measured by tests/test_polars_financial.py):
``--start/--end`` move the trades-and-transactions window (default calendar 2024; from 2001 on):
the NYSE calendar (holidays and early closes from the exchange's rules, T+3/T+2/T+1 settlement
by date), customer_since (19 years before the window to its end) and opening dates follow, and
_manifest.json records the run's bounds for the validator. ``--seasonality financial``,
``--monthly-weights``, ``--weekday-weights`` and ``--campaign`` weight the days transactions and
trades (sessions only) fall on, never before the account opened. ``--inject-nulls``,
``--duplicate-rate`` (trades, transactions) and ``--late-rate`` (event times 1-8 days past the
window; a late trade's settlement date moves with it) make dirty data the validator reports as
injected.

Why these tables: the spec's main financial table is accounts, so --rows counts accounts; it
names accounts.customer_id but no customers table, so one is added here, which turns the id into
a foreign key the validator checks instead of a number pointing nowhere.

Locales: --locale changes names, street addresses (in the locale's own format), company and bank
names. Cities, states and ZIP codes always come from the bundled US places table, phones stay in
the US 555-01XX fiction range and BICs carry country US: the data reads as a US bank whose
customers have, say, German names.

Memory: the few numbers children need from their parents live in arrays (customers ~5 bytes,
accounts ~31 bytes each, so 10M accounts take ~0.3 GiB); every table is generated and written in
1M-row chunks, never whole.

Unity Catalog: ``--catalog C --schema S`` also writes every table to C.S.<table> over
Databricks Connect (Arrow slices; synthetic marker and contract comments; existing tables only
replaced with ``--mode overwrite`` and only if this tool made them): ``uv run --python 3.12 --with
"databricks-connect>=16.4,<17" scripts/generators/polars/financial.py --catalog main --schema demo``.
Without --catalog nothing imports pyspark or databricks-connect.

Example: ``uv run scripts/generators/polars/financial.py --rows 100000 --format delta``.
In a notebook: ``main(["--rows", "5000", "--output", "/Volumes/main/demo/raw/financial"])``.
Reproducibility: the same seed, options and pinned library versions give the same data.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import sys
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from mimesis import Address, Finance, Person
from mimesis.datasets import STOCK_TICKERS
from mimesis.keys import romanize
from mimesis.locales import Locale

INDUSTRY = "financial"
GENERATOR = "scripts/generators/polars/financial.py"

# --- Sizes -------------------------------------------------------------------------------------
DEFAULT_ACCOUNTS = 10_000
# Demo choices, documented in the contracts: most customers hold one account, some a checking
# and savings pair or more (1 + Poisson(0.6) accounts each).
CUSTOMERS_PER_ACCOUNT = 0.625
TRADES_PER_ACCOUNT = 3.0
TRANSACTIONS_PER_ACCOUNT = 20.0
DEFAULT_FRAUD_RATE = 0.002

# Every random draw comes from default_rng([seed, salt, first row of the chunk]); one salt per
# table (and per precomputed profile) keeps tables independent of each other.
CUSTOMER_PROFILE_SALT = 101
CUSTOMERS_SALT = 102
ACCOUNT_PROFILE_SALT = 201
ACCOUNTS_SALT = 202
HOLDERS_SALT = 203
SECURITIES_SALT = 301
TRADES_SALT = 302
TRANSACTIONS_SALT = 401
PERSON_NAMES_SALT = 501

CUSTOMER_ID_START = 1_000_000
ACCOUNT_ID_START = 100_000_000
TRADE_ID_START = 1
TXN_ID_START = 1


# --- Fixed windows (never today's date) --------------------------------------------------------
def day_number(iso_date: str) -> int:
    """Days since 1970-01-01, the integer form Polars stores a Date in."""
    return int(np.datetime64(iso_date, "D").astype(np.int64))


# Trades and transactions happen in the window --start/--end (default calendar 2024); customers
# and accounts date from before it (Calendar below builds every date table from the window).
DEFAULT_START, DEFAULT_END = date(2024, 1, 1), date(2024, 12, 31)
# Banking relationships last decades, so customers joined over twenty years, uniformly: from 19
# years before the window starts (2005-01-01 by default) to its last day.
CUSTOMER_YEARS = 19
SECONDS_PER_DAY = 86_400
MICROSECONDS = 1_000_000

# --- Customers -----------------------------------------------------------------------------------
SEGMENTS = ("mass", "affluent", "private")
SEGMENT_WEIGHTS = (80, 16, 4)
# Affluent and private-banking customers keep larger balances: their Gamma scale is multiplied.
SEGMENT_BALANCE_MULTIPLIER = np.array([1.0, 4.0, 20.0])
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

# --- Accounts ------------------------------------------------------------------------------------
ACCOUNT_TYPES = ("checking", "savings", "money_market", "brokerage", "retirement")
ACCOUNT_TYPE_WEIGHTS = (40, 30, 8, 12, 10)
# Only investment accounts trade (a checking account holds no securities).
INVESTMENT_TYPES = ("brokerage", "retirement")
# Balance in account currency, Gamma(shape, scale) for the mass segment (mean = shape x scale):
# everyday checking small, savings and money market larger, investment accounts largest; a shape
# at or below 1 puts many accounts near zero, as real deposit books do.
BALANCE_GAMMA = {
    "checking": (1.2, 4_000.0),
    "savings": (0.9, 15_000.0),
    "money_market": (1.5, 20_000.0),
    "brokerage": (0.8, 60_000.0),
    "retirement": (1.1, 80_000.0),
}
GAMMA_SHAPE = np.array([BALANCE_GAMMA[kind][0] for kind in ACCOUNT_TYPES])
GAMMA_SCALE = np.array([BALANCE_GAMMA[kind][1] for kind in ACCOUNT_TYPES])
ACCOUNT_STATUSES = ("active", "dormant", "frozen")
ACCOUNT_STATUS_WEIGHTS = (93, 5, 2)
# Dormant accounts barely move; frozen ones (a legal or compliance hold) see a little activity.
STATUS_ACTIVITY = np.array([1.0, 0.02, 0.1])
RISK_RATINGS = ("low", "medium", "high")
RISK_RATING_WEIGHTS = (70, 24, 6)
# Deposit accounts of US customers are mostly in dollars; investment accounts always are.
CURRENCIES = ("USD", "EUR", "GBP", "CAD")
CURRENCY_WEIGHTS = (94, 3, 2, 1)
# Activity per account: Pareto(alpha = 1.5, minimum 1) weights, so a few accounts carry a large
# share of all activity (the top tenth of weights holds 0.1 ** (1 - 1/1.5) = 46% of the total).
ACTIVITY_PARETO_ALPHA = 1.5
# Retirement accounts trade a quarter as often as brokerage accounts.
TRADING_ACTIVITY = np.array([0.0, 0.0, 0.0, 1.0, 0.25])
# Account numbers: 12 digits, "99" + nine digits + a Luhn check digit. No standard reserves a
# fictitious range, but no routing number is generated either, so they identify nothing; the
# nine digits are the row number through a bijection mod 10**9, so they are unique.
ACCOUNT_NUMBER_PREFIX = 99 * 10**9
ACCOUNT_NUMBER_MULTIPLIER = 387_420_489  # 3**18: coprime to 10**9, so the map is a bijection

# --- Account holders: the N:M bridge between customers and accounts ---------------------------
# Every account has one primary holder, its owner (accounts.customer_id). A share of the accounts
# that may have several owners (--joint-rate) gets extra holders: other customers, drawn uniformly,
# never the owner and never one customer twice on an account. Retirement accounts (IRAs) never do:
# US law gives an individual retirement account one owner.
DEFAULT_JOINT_RATE = 0.15  # couples' joint checking and savings, a parent on a student's account
SINGLE_OWNER_TYPES = ("retirement",)
HOLDER_ROLES = ("primary", "joint", "authorized_user")
# A joint account gets 1, 2 or 3 extra holders (mostly the owner's partner); each is a joint owner
# or an authorized user (may transact, owns nothing).
EXTRA_HOLDER_WEIGHTS = (85, 12, 3)
EXTRA_ROLE_WEIGHTS = (75, 25)  # joint, authorized_user
# Most extra holders sign the opening papers with the owner; the rest are added later, uniformly
# up to the window's end. Either way never before the holder became a customer.
ADDED_AT_OPENING_SHARE = 0.6
SHAREABLE_ACCOUNT_SHARE = 1 - sum(w for kind, w in zip(ACCOUNT_TYPES, ACCOUNT_TYPE_WEIGHTS)
                                  if kind in SINGLE_OWNER_TYPES) / sum(ACCOUNT_TYPE_WEIGHTS)
MEAN_EXTRA_HOLDERS = sum((k + 1) * w for k, w in enumerate(EXTRA_HOLDER_WEIGHTS)) / sum(EXTRA_HOLDER_WEIGHTS)


def holders_per_account(joint_rate: float) -> float:
    """Expected account_holders rows per account: 1 + rate x 0.9 x 1.18 (1.159 by default)."""
    return 1 + joint_rate * SHAREABLE_ACCOUNT_SHARE * MEAN_EXTRA_HOLDERS


# --- Securities and trades -------------------------------------------------------------------
N_SECURITIES = 500
# Symbol popularity follows Zipf (weight 1/rank): the ten most traded of 500 symbols take
# H(10)/H(500) = 43% of trades.
SYMBOL_ZIPF_EXPONENT = 1.0
# Price level of a symbol on 2024-01-02: lognormal with median $45 (sigma 1.0 in log space), then
# a daily random walk of 1.5% and 0.3% noise around the day's level for each trade.
BASE_PRICE_MEDIAN, BASE_PRICE_SIGMA = 45.0, 1.0
DAILY_RETURN_SIGMA = 0.015
INTRADAY_PRICE_SIGMA = 0.003
# Order size: a lognormal notional target (median $4,000), turned into whole shares.
TRADE_NOTIONAL_MEDIAN, TRADE_NOTIONAL_SIGMA = 4_000.0, 1.2
SIDES = ("BUY", "SELL")
SIDE_WEIGHTS = (55, 45)
EXCHANGES = ("NASDAQ", "NYSE", "NYSE American")
EXCHANGE_WEIGHTS = (50, 45, 5)
# NYSE calendar rules (nyse_closures builds any year's holidays from them): sessions 09:30-16:00
# New York time, 13:00 on early-close days; settlement T+3 until 2017-09-04, T+2 from 2017-09-05,
# T+1 from 2024-05-28.
MARKET_OPEN_SECONDS = 9 * 3600 + 30 * 60  # 09:30 New York
REGULAR_SESSION_SECONDS, EARLY_CLOSE_SESSION_SECONDS = 6.5 * 3600, 3.5 * 3600
SETTLEMENT_CYCLES = ((day_number("2017-09-05"), 3), (day_number("2024-05-28"), 2))  # (from, cycle before it)
# One-off closures the yearly rules cannot know (national days of mourning, 9/11, Hurricane Sandy).
# The rules and closures below hold from 2001 on: earlier windows are refused.
MIN_WINDOW_YEAR = 2001
NYSE_SPECIAL_CLOSURES = ("2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "2004-06-11", "2007-01-02",
                         "2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09")

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
# +1 credit, -1 debit; transfers go either way (TRANSFER_IN_SHARE of them are incoming).
TXN_SIGN = np.array([1, -1, 0, -1, -1, 1, 1])
TRANSFER_IN_SHARE = 0.5
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
TXN_MEDIAN = np.array([TXN_AMOUNT_LOGNORMAL[kind][0] for kind in TXN_TYPES])
TXN_SIGMA = np.array([TXN_AMOUNT_LOGNORMAL[kind][1] for kind in TXN_TYPES])
FEE_SCHEDULE_CENTS = (250, 300, 1200, 1500, 3500)  # ATM, paper statement, maintenance, wire, overdraft
FEE_WEIGHTS = (30, 20, 25, 10, 15)
WITHDRAWAL_STEP_CENTS = 2_000
# Fraud: a share of customer-initiated transactions (all but fees, interest and dividends), with
# amounts three times the usual size: card testing aside, fraud goes for the money.
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
# Customer-initiated transactions by UTC hour: busiest 15:00-22:00 UTC (US daytime), quietest
# 05:00-10:00 UTC (US night). System postings (fee, interest, dividend) run at 06:00:00 UTC;
# fees and interest post on the last day of a month.
HOUR_WEIGHTS_UTC = (6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 6, 6)
SYSTEM_POSTING_SECONDS = 6 * 3600

# Primary and foreign key columns (the contracts' primary_key and foreign_keys): never nulled.
KEY_COLUMNS = {
    "customers": ("customer_id",),
    "accounts": ("account_id", "customer_id"),
    "account_holders": ("account_id", "customer_id"),
    "trades": ("trade_id", "account_id"),
    "transactions": ("txn_id", "account_id"),
}
# --duplicate-rate copies rows of the fact tables (what pipelines deliver at least once), not of
# the customers and accounts keys point at; --late-rate moves event times (a late trade's
# settlement date moves with it); seasonality shapes the days of both.
DUPLICATE_TABLES = ("trades", "transactions")
LATE_COLUMNS = {"trades": ("timestamp", "settlement_date"), "transactions": ("timestamp",)}


# --- The run's calendar: every date table, built from the window ------------------------------
def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th with no leap year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 19 * l) // 433
    month = (h + l - 7 * m + 90) // 25
    return date(year, month, (h + l - 7 * m + 33 * month + 19) % 32)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (Monday 0) of a month; n = -1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def nyse_closures(first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    """NYSE full-day holidays and 13:00 early closes of these years, from the exchange's rules.

    A holiday on a Saturday closes the Friday before (except New Year's Day: no Dec 31 closure),
    one on a Sunday the Monday after; Juneteenth from 2022. Early closes: July 3 and Christmas
    Eve when they fall Monday to Thursday, and the day after Thanksgiving.
    """
    holidays, early = [], []
    for year in range(first_year, last_year + 1):
        def observed(day: date) -> date:
            return day - timedelta(days=1) if day.weekday() == 5 else day + timedelta(days=1) if day.weekday() == 6 else day

        new_year = date(year, 1, 1)
        if new_year.weekday() != 5:
            holidays.append(observed(new_year))
        holidays += [nth_weekday(year, 1, 0, 3), nth_weekday(year, 2, 0, 3), easter(year) - timedelta(days=2),
                     nth_weekday(year, 5, 0, -1), observed(date(year, 7, 4)), nth_weekday(year, 9, 0, 1),
                     nth_weekday(year, 11, 3, 4), observed(date(year, 12, 25))]
        if year >= 2022:
            holidays.append(observed(date(year, 6, 19)))
        thanksgiving = nth_weekday(year, 11, 3, 4)
        early += [day for day in (date(year, 7, 3), date(year, 12, 24)) if day.weekday() <= 3]
        early.append(thanksgiving + timedelta(days=1))
    holidays += [date.fromisoformat(day) for day in NYSE_SPECIAL_CLOSURES if first_year <= int(day[:4]) <= last_year]
    return np.array(sorted(holidays), dtype="datetime64[D]"), np.array(sorted(early), dtype="datetime64[D]")


@dataclass(frozen=True)
class Calendar:
    """The window's days and trading days with everything trades and transactions gather from."""

    first: int  # window's first and last day, days since 1970
    last: int
    customer_since_first: int
    trading_days: np.ndarray  # NYSE sessions in the window, days since 1970
    session_seconds: np.ndarray  # per trading day
    new_york_behind_utc: np.ndarray  # seconds, per trading day (5 h standard, 4 h daylight time)
    settlement_days: np.ndarray  # per trading day
    month_end: np.ndarray  # per window day: its month's last day, or the window's if sooner
    day_cumulative: np.ndarray  # running sum of the window's seasonal day weights
    trade_cumulative: np.ndarray  # the same over trading days only

    def bounds(self) -> dict[str, dict[str, str]]:
        """The window-dependent contract bounds of this run (_manifest.json "bounds")."""
        def day(number: int) -> str:
            return str(np.datetime64(int(number), "D"))

        def instant(seconds: float) -> str:
            return str(np.datetime64(int(seconds), "s")) + "Z"

        spans = {
            "customers.customer_since": {"min": day(self.customer_since_first), "max": day(self.last)},
            "customers.date_of_birth": {"min": day(self.last - MAX_AGE_AT_END_DAYS), "max": day(self.last - ADULT_DAYS)},
            "accounts.opened_date": {"min": day(self.customer_since_first), "max": day(self.last)},
            "account_holders.added_date": {"min": day(self.customer_since_first), "max": day(self.last)},
            "transactions.timestamp": {"min": f"{day(self.first)}T00:00:00Z", "max": f"{day(self.last)}T23:59:59Z"},
        }
        if self.trading_days.size:
            opens = self.trading_days * SECONDS_PER_DAY + MARKET_OPEN_SECONDS + self.new_york_behind_utc
            spans["trades.timestamp"] = {"min": instant(opens[0]), "max": instant(opens[-1] + self.session_seconds[-1])}
            spans["trades.settlement_date"] = {"min": day(self.settlement_days[0]), "max": day(self.settlement_days[-1])}
        return spans


def build_calendar(season: Season) -> Calendar:
    first, last = day_number(season.first.isoformat()), day_number(season.last.isoformat())
    # Holidays of the year after the window too: a settlement date can fall in it.
    holidays, early_closes = nyse_closures(season.first.year, season.last.year + 1)
    window = np.arange(first, last + 1).astype("datetime64[D]")
    trading = np.is_busday(window, holidays=holidays)
    trading_days = window[trading].astype(np.int64)
    # Per trading day: seconds New York is behind UTC, from the time zone database, and the
    # settlement day, so trades need only gathers, not calendar arithmetic.
    noon = pl.Series((trading_days * SECONDS_PER_DAY + 12 * 3600) * MICROSECONDS, dtype=pl.Int64).cast(pl.Datetime("us"))
    behind = (noon.dt.replace_time_zone("America/New_York").dt.convert_time_zone("UTC").dt.replace_time_zone(None) - noon)
    cycle = np.where(trading_days < SETTLEMENT_CYCLES[0][0], SETTLEMENT_CYCLES[0][1],
                     np.where(trading_days < SETTLEMENT_CYCLES[1][0], SETTLEMENT_CYCLES[1][1], 1))
    month_end = ((window.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1).astype(np.int64)
    day_cumulative = season.cumulative()
    weights = np.diff(day_cumulative, prepend=0.0)
    return Calendar(
        first=first,
        last=last,
        customer_since_first=day_number(years_before(season.first, CUSTOMER_YEARS).isoformat()),
        trading_days=trading_days,
        session_seconds=np.where(np.isin(trading_days, early_closes.astype(np.int64)),
                                 EARLY_CLOSE_SESSION_SECONDS, REGULAR_SESSION_SECONDS),
        new_york_behind_utc=behind.dt.total_seconds().to_numpy(),
        settlement_days=np.busday_offset(trading_days.astype("datetime64[D]"), cycle, holidays=holidays).astype(np.int64),
        month_end=np.minimum(month_end, last),
        day_cumulative=day_cumulative,
        trade_cumulative=np.cumsum(weights[trading]),
    )


# --- Bundled reference data: US places (copied verbatim from scripts/utils/us_places.py) --------
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


# --- Polars schemas: the generator's copy of assets/schemas/financial_*.json -----------------
MONEY = pl.Decimal(18, 2)
CUSTOMERS_SCHEMA = {
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
    "date_of_birth": pl.Date,
    "customer_since": pl.Date,
    "segment": pl.String,
    "kyc_status": pl.String,
    "credit_score": pl.Int16,
}
ACCOUNTS_SCHEMA = {
    "account_id": pl.Int64,
    "customer_id": pl.Int64,
    "account_number": pl.String,
    "type": pl.String,
    "status": pl.String,
    "currency": pl.String,
    "balance": MONEY,
    "risk_rating": pl.String,
    "opened_date": pl.Date,
}
ACCOUNT_HOLDERS_SCHEMA = {
    "account_id": pl.Int64,
    "customer_id": pl.Int64,
    "holder_role": pl.String,
    "added_date": pl.Date,
}
TRADES_SCHEMA = {
    "trade_id": pl.Int64,
    "account_id": pl.Int64,
    "symbol": pl.String,
    "isin": pl.String,
    "exchange": pl.String,
    "side": pl.String,
    "quantity": pl.Int64,
    "price": MONEY,
    "notional": pl.Decimal(20, 2),
    "timestamp": pl.Datetime("us", "UTC"),
    "settlement_date": pl.Date,
}
TRANSACTIONS_SCHEMA = {
    "txn_id": pl.Int64,
    "account_id": pl.Int64,
    "type": pl.String,
    "direction": pl.String,
    "amount": MONEY,
    "currency": pl.String,
    "timestamp": pl.Datetime("us", "UTC"),
    "channel": pl.String,
    "counterparty": pl.String,
    "counterparty_bank": pl.String,
    "counterparty_bic": pl.String,
    "is_fraud": pl.Boolean,
}


# --- Value pools, built once from Mimesis ---------------------------------------------------------
POOL_DRAWS = 4_000  # enough draws to see nearly every value of Mimesis' name and street lists
PERSON_NAMES = 20_000  # full names of transfer counterparties, paired once per run
# Characters of a synthetic CUSIP issuer code (no I or O: they read as 1 and 0).
CUSIP_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# BIC location characters; the second location character is always "0", which marks a test BIC.
BIC_LOCATION_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def weighted_pool(weights: Iterable[int]) -> np.ndarray:
    """Category indices repeated by their integer weights: one uniform draw from the pool is a
    weighted choice with exactly these proportions, and far cheaper than a per-row search."""
    weights = list(weights)
    return np.repeat(np.arange(len(weights), dtype=np.int8), weights)


SEGMENT_POOL = weighted_pool(SEGMENT_WEIGHTS)
KYC_POOL = weighted_pool(KYC_WEIGHTS)
ACCOUNT_TYPE_POOL = weighted_pool(ACCOUNT_TYPE_WEIGHTS)
ACCOUNT_STATUS_POOL = weighted_pool(ACCOUNT_STATUS_WEIGHTS)
RISK_RATING_POOL = weighted_pool(RISK_RATING_WEIGHTS)
CURRENCY_POOL = weighted_pool(CURRENCY_WEIGHTS)
SIDE_POOL = weighted_pool(SIDE_WEIGHTS)
EXCHANGE_POOL = weighted_pool(EXCHANGE_WEIGHTS)
FEE_POOL = np.repeat(np.array(FEE_SCHEDULE_CENTS, dtype=np.int64), FEE_WEIGHTS)
HOUR_POOL = weighted_pool(HOUR_WEIGHTS_UTC)
IS_INVESTMENT = np.isin(np.array(ACCOUNT_TYPES), INVESTMENT_TYPES)
IS_SINGLE_OWNER = np.isin(np.array(ACCOUNT_TYPES), SINGLE_OWNER_TYPES)
EXTRA_HOLDER_POOL = 1 + weighted_pool(EXTRA_HOLDER_WEIGHTS).astype(np.int64)  # 1, 2 or 3
EXTRA_ROLE_POOL = 1 + weighted_pool(EXTRA_ROLE_WEIGHTS).astype(np.int64)  # index into HOLDER_ROLES
MAX_EXTRA_HOLDERS = len(EXTRA_HOLDER_WEIGHTS)
# One 100-entry pool per account type (rows of TXN_TYPE_WEIGHTS) and per transaction type
# (CHANNEL_WEIGHTS), so a single uniform draw picks the type or channel for any row.
TXN_TYPE_POOLS = np.stack([weighted_pool(TXN_TYPE_WEIGHTS[kind]) for kind in ACCOUNT_TYPES])
CHANNEL_POOLS = np.stack(
    [
        np.repeat(np.arange(len(CHANNELS), dtype=np.int8), [CHANNEL_WEIGHTS[kind].get(c, 0) for c in CHANNELS])
        for kind in TXN_TYPES
    ]
)
TXN_CODE = {kind: code for code, kind in enumerate(TXN_TYPES)}
CHANNEL_CODE = {channel: code for code, channel in enumerate(CHANNELS)}


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


@dataclass(frozen=True)
class Pools:
    """Mimesis values for one run; every per-row choice is an index into one of these."""

    first_names: pl.Series
    last_names: pl.Series
    first_name_slugs: pl.Series  # same order as first_names, ASCII for emails
    last_name_slugs: pl.Series
    street_addresses: pl.Series  # the locale's own address format ("123 Main Street", "Hauptstraße 12")
    companies: pl.Series  # employers, merchants, dividend payers
    counterparties: pl.Series  # companies, then PERSON_NAMES full names
    banks: pl.Series  # counterparty banks of wire transfers
    bank_bics: pl.Series  # same order as banks
    places: pl.DataFrame


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
    pair = np.random.default_rng([seed, PERSON_NAMES_SALT])
    person_names = (
        pl.Series(first_names)[pair.integers(0, len(first_names), PERSON_NAMES)]
        + " "
        + pl.Series(last_names)[pair.integers(0, len(last_names), PERSON_NAMES)]
    )
    taken: set[str] = set()
    return Pools(
        first_names=pl.Series(first_names),
        last_names=pl.Series(last_names),
        first_name_slugs=pl.Series([email_slug(latin(name)) for name in first_names]),
        last_name_slugs=pl.Series([email_slug(latin(name)) for name in last_names]),
        street_addresses=pl.Series(distinct_sorted(address.address)),
        companies=pl.Series(companies),
        counterparties=pl.Series(companies).append(person_names),
        banks=pl.Series(banks),
        bank_bics=pl.Series([synthetic_bic(latin(bank), index, taken) for index, bank in enumerate(banks)]),
        places=us_places(),
    )


# --- Securities: symbols, ISINs, price levels ------------------------------------------------------
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
    symbols: pl.Series
    isins: pl.Series
    exchanges: pl.Series
    popularity_cumulative: np.ndarray  # Zipf weights, cumulative, one per symbol
    day_prices: np.ndarray  # (symbol, trading day) price level in USD


def build_securities(seed: int, trading_days: int) -> Securities:
    """N_SECURITIES common-stock tickers from Mimesis with synthetic US ISINs and price paths.

    Tickers are real-looking symbols; ISINs (US + synthetic CUSIP with its check digit + ISIN
    check digit), prices and exchanges are invented and say nothing about the real companies.
    """
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
    popularity = 1.0 / rank.astype(np.float64) ** SYMBOL_ZIPF_EXPONENT
    base = BASE_PRICE_MEDIAN * np.exp(BASE_PRICE_SIGMA * rng.standard_normal(N_SECURITIES))
    returns = DAILY_RETURN_SIGMA * rng.standard_normal((N_SECURITIES, trading_days))
    returns[:, :1] = 0.0  # the first trading day trades at the base price level
    return Securities(
        symbols=pl.Series(symbols),
        isins=pl.Series(isins),
        exchanges=labels(EXCHANGES, EXCHANGE_POOL[rng.integers(0, EXCHANGE_POOL.size, N_SECURITIES)]),
        popularity_cumulative=np.cumsum(popularity),
        day_prices=np.maximum(base[:, None] * np.exp(np.cumsum(returns, axis=1)), 1.0),
    )


# --- Customers and accounts: the numbers child tables need, planned once ---------------------------
@dataclass(frozen=True)
class CustomerBook:
    since_day: np.ndarray  # customer_since, days since 1970
    segment: np.ndarray  # index into SEGMENTS


def plan_customers(seed: int, n_customers: int, calendar: Calendar) -> CustomerBook:
    """Join date and segment of every customer (5 bytes each): accounts depend on both."""
    since = np.empty(n_customers, dtype=np.int32)
    segment = np.empty(n_customers, dtype=np.int8)
    for start, n in chunk_bounds(n_customers):
        rng = np.random.default_rng([seed, CUSTOMER_PROFILE_SALT, start])
        since_first = calendar.customer_since_first
        since[start : start + n] = since_first + rng.integers(0, calendar.last - since_first + 1, n)
        segment[start : start + n] = SEGMENT_POOL[rng.integers(0, SEGMENT_POOL.size, n)]
    return CustomerBook(since_day=since, segment=segment)


@dataclass(frozen=True)
class AccountBook:
    customer: np.ndarray  # row index into customers
    type: np.ndarray  # index into ACCOUNT_TYPES
    status: np.ndarray  # index into ACCOUNT_STATUSES
    currency: np.ndarray  # index into CURRENCIES
    opened_day: np.ndarray
    transaction_weights: np.ndarray  # cumulative: activity x status x days open in 2024
    trade_weights: np.ndarray  # cumulative: activity x status x trading activity x trading days open

    def draw(self, cumulative: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
        """Accounts for n events, in proportion to their weights (a weighted choice by search).

        The targets are searched in sorted order and put back in draw order: the same answer as a
        plain search, but cache-friendly, 2.5x faster at 1M accounts and 10x at 10M.
        """
        target = rng.random(n) * cumulative[-1]
        order = np.argsort(target)
        account = np.empty(n, dtype=np.int64)
        account[order] = np.searchsorted(cumulative, target[order], side="right")
        return account


# A multiplier coprime to any realistic customer count (2**31 - 1 is prime): row -> customer by
# (row x multiplier + shift) mod customers is a bijection, so the first `customers` accounts
# belong to distinct customers in a scrambled order and every customer holds at least one.
CUSTOMER_SHUFFLE = 2_147_483_647


def plan_accounts(seed: int, n_accounts: int, customers: CustomerBook, with_trades: bool, calendar: Calendar) -> AccountBook:
    """Owner, type, status, currency, opening day and activity weight of every account.

    A customer's first account opens on customer_since, further accounts uniformly between then
    and the end of 2024. If trades are wanted but no account came out brokerage or retirement
    (likely only below ~20 accounts), the last account becomes brokerage so trades have a home.
    """
    n_customers = customers.since_day.size
    shift = int(np.random.default_rng([seed, ACCOUNT_PROFILE_SALT]).integers(0, n_customers))
    owner = np.empty(n_accounts, dtype=np.int32 if n_customers < 2**31 else np.int64)
    kind = np.empty(n_accounts, dtype=np.int8)
    status = np.empty(n_accounts, dtype=np.int8)
    currency = np.empty(n_accounts, dtype=np.int8)
    opened = np.empty(n_accounts, dtype=np.int32)
    # Weights are filled chunk by chunk and summed in place: no account-wide temporaries, so the
    # book costs ~31 bytes per account (10M accounts: ~0.3 GiB).
    transaction_weights = np.empty(n_accounts, dtype=np.float64)
    trade_weights = np.empty(n_accounts, dtype=np.float64)
    has_investment_account = False
    for start, n in chunk_bounds(n_accounts):
        rng = np.random.default_rng([seed, ACCOUNT_PROFILE_SALT, start])
        rows = slice(start, start + n)
        row = np.arange(start, start + n, dtype=np.int64)
        first_account = row < n_customers
        chunk_owner = np.where(first_account, (row * CUSTOMER_SHUFFLE + shift) % n_customers, rng.integers(0, n_customers, n))
        chunk_kind = ACCOUNT_TYPE_POOL[rng.integers(0, ACCOUNT_TYPE_POOL.size, n)]
        chunk_status = ACCOUNT_STATUS_POOL[rng.integers(0, ACCOUNT_STATUS_POOL.size, n)]
        chunk_currency = np.where(IS_INVESTMENT[chunk_kind], 0, CURRENCY_POOL[rng.integers(0, CURRENCY_POOL.size, n)])
        since = customers.since_day[chunk_owner].astype(np.int64)
        later = since + (rng.random(n) * (calendar.last - since + 1)).astype(np.int64)
        chunk_opened = np.where(first_account, since, later)
        activity = rng.pareto(ACTIVITY_PARETO_ALPHA, n) + 1.0
        has_investment_account |= bool(IS_INVESTMENT[chunk_kind].any())
        if with_trades and start + n == n_accounts and n and not has_investment_account:
            chunk_kind[-1] = ACCOUNT_TYPES.index("brokerage")
            chunk_currency[-1] = CURRENCIES.index("USD")
        first_day = np.maximum(chunk_opened, calendar.first)
        weight = activity * STATUS_ACTIVITY[chunk_status]
        # Activity scales with the share of the window's (seasonal) day weight from the opening
        # day on: the number of days, or trading days, open without seasonality.
        days_open = weight_from(calendar.day_cumulative, first_day - calendar.first)
        trade_days_open = weight_from(calendar.trade_cumulative, np.searchsorted(calendar.trading_days, first_day))
        owner[rows], kind[rows], status[rows] = chunk_owner, chunk_kind, chunk_status
        currency[rows], opened[rows] = chunk_currency, chunk_opened
        transaction_weights[rows] = weight * days_open
        trade_weights[rows] = weight * TRADING_ACTIVITY[chunk_kind] * trade_days_open
    return AccountBook(
        customer=owner,
        type=kind,
        status=status,
        currency=currency,
        opened_day=opened,
        transaction_weights=np.cumsum(transaction_weights, out=transaction_weights),
        trade_weights=np.cumsum(trade_weights, out=trade_weights),
    )


# --- One function per table: rows start .. start+n-1 -------------------------------------------------
def money(cents: np.ndarray, precision: int = 18) -> pl.Series:
    """Whole cents as an exact decimal(precision, 2): integer arithmetic, no float rounding."""
    return (pl.Series(cents, dtype=pl.Int64).cast(pl.Decimal(38, 2)) / 100).cast(pl.Decimal(precision, 2))


def dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days, dtype=pl.Int32).cast(pl.Date)


def labels(values: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    """Category names for integer codes (a gather, no per-row Python; int64 indices are the
    fast path, small integer types are ~10x slower)."""
    return pl.Series(values)[codes.astype(np.int64)]


def gather_or_null(pool: pl.Series, index: np.ndarray, present: np.ndarray) -> pl.Series:
    """pool[index] where present, null elsewhere: one gather, no string work for absent rows."""
    return pool.gather(pl.Series(np.ma.masked_array(index, mask=~present)))


def luhn_check_digit(payload: np.ndarray, digits: int) -> np.ndarray:
    """Luhn check digit for each integer payload of `digits` digits (loop over digit places)."""
    remaining = payload.copy()
    total = np.zeros_like(payload)
    for place in range(digits):
        digit = remaining % 10
        remaining //= 10
        if place % 2 == 0:  # the rightmost payload digit is doubled once the check digit follows
            digit = digit * 2
            digit = digit - 9 * (digit > 9)
        total += digit
    return (10 - total % 10) % 10


def make_customers(start: int, n: int, seed: int, customers: CustomerBook, pools: Pools, calendar: Calendar) -> pl.DataFrame:
    rng = np.random.default_rng([seed, CUSTOMERS_SALT, start])
    first = rng.integers(0, pools.first_names.len(), n)
    last = rng.integers(0, pools.last_names.len(), n)
    domain = rng.integers(0, len(EMAIL_DOMAINS), n)
    # Area code NXX (never N11, a service code) in front of the 555-01XX numbers kept for fiction.
    area = rng.integers(2, 10, n) * 100 + rng.integers(0, 9, n) * 10 + rng.integers(0, 10, n)
    area = np.where(area % 100 == 11, area - 1, area)
    line = rng.integers(0, 100, n)
    house = rng.integers(1, 10_000, n)
    street = rng.integers(0, pools.street_addresses.len(), n)
    place = draw_us_places(pools.places, rng, n)
    since = customers.since_day[start : start + n].astype(np.int64)
    youngest = np.full(n, ADULT_DAYS)
    oldest = np.maximum(MAX_AGE_AT_END_DAYS - (calendar.last - since), youngest)
    age_days = np.clip(
        (AGE_AT_JOINING_MEAN + AGE_AT_JOINING_SD * rng.standard_normal(n)) * 365.25, youngest, oldest
    ).astype(np.int64)
    kyc = KYC_POOL[rng.integers(0, KYC_POOL.size, n)]
    score = np.clip(np.rint(rng.normal(CREDIT_SCORE_MEAN, CREDIT_SCORE_SD, n)), CREDIT_SCORE_MIN, CREDIT_SCORE_MAX)
    row = np.arange(start, start + n, dtype=np.int64)
    frame = pl.DataFrame(
        {
            "customer_id": CUSTOMER_ID_START + row,
            "first_name": pools.first_names[first],
            "last_name": pools.last_names[last],
            "first_slug": pools.first_name_slugs[first],
            "last_slug": pools.last_name_slugs[last],
            "row": row,
            "domain": labels(EMAIL_DOMAINS, domain),
            "area": area,
            "line": line,
            "house": house,
            "street": pools.street_addresses[street],
            "date_of_birth": dates(since - age_days),
            "customer_since": dates(since),
            "segment": labels(SEGMENTS, customers.segment[start : start + n]),
            "kyc_status": labels(KYC_STATUSES, kyc),
            "credit_score": score.astype(np.int16),
        }
    ).hstack(place)
    return frame.select(
        "customer_id",
        "first_name",
        "last_name",
        name=pl.concat_str("first_name", pl.lit(" "), "last_name"),
        # The row number makes the address unique: slugs hold no digits, so no two collide.
        email=pl.concat_str("first_slug", pl.lit("."), "last_slug", pl.col("row").cast(pl.String), pl.lit("@"), "domain"),
        phone=pl.format("({}) 555-01{}", "area", pl.col("line").cast(pl.String).str.zfill(2)),
        # The locale's address format with a fresh house number in place of the pool's first one.
        street_address=pl.col("street").str.replace(r"\d+", pl.col("house").cast(pl.String)),
        city="city",
        state="state",
        postal_code="postal_code",
        region="region",
        date_of_birth="date_of_birth",
        customer_since="customer_since",
        segment="segment",
        kyc_status="kyc_status",
        credit_score="credit_score",
    )


def make_accounts(
    start: int, n: int, seed: int, book: AccountBook, customers: CustomerBook, number_shift: int
) -> pl.DataFrame:
    rng = np.random.default_rng([seed, ACCOUNTS_SALT, start])
    rows = slice(start, start + n)
    kind = book.type[rows]
    owner = book.customer[rows]
    scale = GAMMA_SCALE[kind] * SEGMENT_BALANCE_MULTIPLIER[customers.segment[owner]]
    balance_cents = np.rint(rng.gamma(GAMMA_SHAPE[kind], scale) * 100).astype(np.int64)
    risk = RISK_RATING_POOL[rng.integers(0, RISK_RATING_POOL.size, n)]
    row = np.arange(start, start + n, dtype=np.int64)
    payload = ACCOUNT_NUMBER_PREFIX + (row * ACCOUNT_NUMBER_MULTIPLIER + number_shift) % 10**9
    number = payload * 10 + luhn_check_digit(payload, 11)
    return pl.DataFrame(
        {
            "account_id": ACCOUNT_ID_START + row,
            "customer_id": CUSTOMER_ID_START + owner.astype(np.int64),
            "account_number": pl.Series(number, dtype=pl.Int64).cast(pl.String),
            "type": labels(ACCOUNT_TYPES, kind),
            "status": labels(ACCOUNT_STATUSES, book.status[rows]),
            "currency": labels(CURRENCIES, book.currency[rows]),
            "balance": money(balance_cents),
            "risk_rating": labels(RISK_RATINGS, risk),
            "opened_date": dates(book.opened_day[rows]),
        },
        schema=ACCOUNTS_SCHEMA,
    )


def other_customers(rng: np.random.Generator, owner: np.ndarray, n_customers: int, k: int) -> np.ndarray:
    """k customers per row, distinct and none of them the row's owner: sampling without
    replacement, vectorised. Draw j picks the r-th of the n_customers - 1 - j customers still free
    (r uniform), counting past those taken before it in ascending order; the pick is an offset
    1 .. n_customers - 1 from the owner, so it is never the owner. Columns j >= n_customers - 1
    are meaningless (there is nobody left); callers use at most n_customers - 1 of them."""
    picked = np.zeros((owner.size, k), dtype=np.int64)
    for j in range(k):
        free = max(n_customers - 1 - j, 1)
        r = (rng.random(owner.size) * free).astype(np.int64)
        for taken in np.sort(picked[:, :j], axis=1).T:
            r += r >= taken
        picked[:, j] = r
    return (owner.astype(np.int64)[:, None] + 1 + picked) % n_customers


def make_account_holders(start: int, n: int, seed: int, book: AccountBook, customers: CustomerBook,
                         joint_rate: float, calendar: Calendar) -> pl.DataFrame:
    """Holders of accounts start .. start+n-1 (a chunk of accounts, so of variable rows): the
    owner as primary, on the opening day, then the joint account's extra holders."""
    rng = np.random.default_rng([seed, HOLDERS_SALT, start])
    rows = slice(start, start + n)
    owner = book.customer[rows].astype(np.int64)
    opened = book.opened_day[rows].astype(np.int64)
    n_customers = customers.since_day.size
    joint = ~IS_SINGLE_OWNER[book.type[rows]] & (rng.random(n) < joint_rate)
    extra = EXTRA_HOLDER_POOL[rng.integers(0, EXTRA_HOLDER_POOL.size, n)]
    extra = np.where(joint, np.minimum(extra, n_customers - 1), 0)  # a tiny run may have nobody else to add
    others = other_customers(rng, owner, n_customers, MAX_EXTRA_HOLDERS)
    role = EXTRA_ROLE_POOL[rng.integers(0, EXTRA_ROLE_POOL.size, (n, MAX_EXTRA_HOLDERS))]
    # Added on the later of the opening day and the holder's own customer_since, or (the rest)
    # uniformly from then to the window's end.
    earliest = np.maximum(opened[:, None], customers.since_day[others].astype(np.int64))
    later = earliest + (rng.random((n, MAX_EXTRA_HOLDERS)) * (calendar.last - earliest + 1)).astype(np.int64)
    added = np.where(rng.random((n, MAX_EXTRA_HOLDERS)) < ADDED_AT_OPENING_SHARE, earliest, later)
    # Column 0 is the primary holder; a row-major mask keeps each account's holders together.
    keep = np.arange(MAX_EXTRA_HOLDERS + 1)[None, :] <= extra[:, None]
    account = np.broadcast_to(np.arange(start, start + n, dtype=np.int64)[:, None], keep.shape)[keep]
    return pl.DataFrame(
        {
            "account_id": ACCOUNT_ID_START + account,
            "customer_id": CUSTOMER_ID_START + np.column_stack([owner, others])[keep],
            "holder_role": labels(HOLDER_ROLES, np.column_stack([np.zeros(n, dtype=np.int64), role])[keep]),
            "added_date": dates(np.column_stack([opened, added])[keep]),
        },
        schema=ACCOUNT_HOLDERS_SCHEMA,
    )


def make_trades(start: int, n: int, seed: int, book: AccountBook, securities: Securities, calendar: Calendar) -> pl.DataFrame:
    rng = np.random.default_rng([seed, TRADES_SALT, start])
    account = book.draw(book.trade_weights, rng, n)
    first_day = np.maximum(book.opened_day[account].astype(np.int64), calendar.first)
    earliest = np.searchsorted(calendar.trading_days, first_day)  # first trading day on or after opening
    # A trading day from then on, in proportion to its seasonal weight (uniform without it).
    day = seasonal_days(calendar.trade_cumulative, rng.random(n), earliest)
    session_second = (rng.random(n) * calendar.session_seconds[day]).astype(np.int64)
    # Market hours are New York wall-clock time; stored as UTC like every timestamp.
    utc = (calendar.trading_days[day] * SECONDS_PER_DAY + MARKET_OPEN_SECONDS + session_second
           + calendar.new_york_behind_utc[day]) * MICROSECONDS
    symbol = np.searchsorted(
        securities.popularity_cumulative, rng.random(n) * securities.popularity_cumulative[-1], side="right"
    )
    price_level = securities.day_prices[symbol, day] * np.exp(INTRADAY_PRICE_SIGMA * rng.standard_normal(n))
    price_cents = np.maximum(np.rint(price_level * 100), 1).astype(np.int64)
    target = TRADE_NOTIONAL_MEDIAN * np.exp(TRADE_NOTIONAL_SIGMA * rng.standard_normal(n))
    quantity = np.maximum(np.rint(target * 100 / price_cents), 1).astype(np.int64)
    side = SIDE_POOL[rng.integers(0, SIDE_POOL.size, n)]
    row = np.arange(start, start + n, dtype=np.int64)
    return pl.DataFrame(
        {
            "trade_id": TRADE_ID_START + row,
            "account_id": ACCOUNT_ID_START + account,
            "symbol": securities.symbols[symbol],
            "isin": securities.isins[symbol],
            "exchange": securities.exchanges[symbol],
            "side": labels(SIDES, side),
            "quantity": quantity,
            "price": money(price_cents),
            "notional": money(quantity * price_cents, 20),
            "timestamp": pl.Series(utc, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
            "settlement_date": dates(calendar.settlement_days[day]),
        },
        schema=TRADES_SCHEMA,
    )


def make_transactions(
    start: int, n: int, seed: int, book: AccountBook, pools: Pools, fraud_rate: float, calendar: Calendar
) -> pl.DataFrame:
    rng = np.random.default_rng([seed, TRANSACTIONS_SALT, start])
    account = book.draw(book.transaction_weights, rng, n)
    kind = TXN_TYPE_POOLS[book.type[account], rng.integers(0, 100, n)]
    channel = CHANNEL_POOLS[kind, rng.integers(0, 100, n)]
    sign = np.where(TXN_SIGN[kind] != 0, TXN_SIGN[kind], np.where(rng.random(n) < TRANSFER_IN_SHARE, 1, -1))
    customer_initiated = kind < TXN_CODE["fee"]
    fraud = customer_initiated & (rng.random(n) < fraud_rate)
    amount = TXN_MEDIAN[kind] * np.exp(TXN_SIGMA[kind] * rng.standard_normal(n)) * np.where(fraud, FRAUD_AMOUNT_MULTIPLIER, 1.0)
    cents = np.maximum(np.rint(amount * 100), 1).astype(np.int64)
    cash = np.maximum(np.rint(cents / WITHDRAWAL_STEP_CENTS), 1).astype(np.int64) * WITHDRAWAL_STEP_CENTS
    fee = FEE_POOL[rng.integers(0, FEE_POOL.size, n)]
    cents = np.select([kind == TXN_CODE["withdrawal"], kind == TXN_CODE["fee"]], [cash, fee], cents)
    # When: a day from the account's first day in the window on, in proportion to its seasonal
    # weight (uniform without it); fees and interest move to the month's last day (still on or
    # after opening, and never past the window), system postings run at 06:00 UTC.
    first_day = np.maximum(book.opened_day[account].astype(np.int64), calendar.first)
    day = calendar.first + seasonal_days(calendar.day_cumulative, rng.random(n), first_day - calendar.first)
    day = np.where((kind == TXN_CODE["fee"]) | (kind == TXN_CODE["interest"]), calendar.month_end[day - calendar.first], day)
    second = HOUR_POOL[rng.integers(0, HOUR_POOL.size, n)].astype(np.int64) * 3600 + rng.integers(0, 3600, n)
    second = np.where(customer_initiated, second, SYSTEM_POSTING_SECONDS)
    # Who is on the other side: the employer of an ACH or mobile deposit, the payee of a payment,
    # the issuer of a dividend (companies), the person of a transfer; cash, fees and interest have
    # none. Wire transfers also name the other bank and its test BIC.
    company = rng.integers(0, pools.companies.len(), n)
    person = pools.companies.len() + rng.integers(0, PERSON_NAMES, n)
    bank = rng.integers(0, pools.banks.len(), n)
    by_company = (
        ((kind == TXN_CODE["deposit"]) & np.isin(channel, [CHANNEL_CODE["ach"], CHANNEL_CODE["mobile"]]))
        | (kind == TXN_CODE["payment"])
        | (kind == TXN_CODE["dividend"])
    )
    by_person = kind == TXN_CODE["transfer"]
    wire = channel == CHANNEL_CODE["wire"]
    row = np.arange(start, start + n, dtype=np.int64)
    return pl.DataFrame(
        {
            "txn_id": TXN_ID_START + row,
            "account_id": ACCOUNT_ID_START + account,
            "type": labels(TXN_TYPES, kind),
            "direction": labels(("debit", "credit"), sign > 0),
            "amount": money(sign * cents),
            "currency": labels(CURRENCIES, book.currency[account]),
            "timestamp": pl.Series((day * SECONDS_PER_DAY + second) * MICROSECONDS, dtype=pl.Int64).cast(
                pl.Datetime("us", "UTC")
            ),
            "channel": labels(CHANNELS, channel),
            "counterparty": gather_or_null(pools.counterparties, np.where(by_person, person, company), by_company | by_person),
            "counterparty_bank": gather_or_null(pools.banks, bank, wire),
            "counterparty_bic": gather_or_null(pools.bank_bics, bank, wire),
            "is_fraud": fraud,
        },
        schema=TRANSACTIONS_SCHEMA,
    )


# --- Output and CLI helpers (copied verbatim from scripts/utils/local_output.py) ---------------------
FORMATS = ("parquet", "csv", "json", "delta")
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


# --- Window and seasonality (copied verbatim from scripts/utils/seasonality.py) -------------------
# Preset: (monthly weights January..December, weekday weights Monday..Sunday, what it models).
# Illustrative shapes, not measurements of any one business: say so when a demo relies on them.
SEASONALITY_PRESETS = {
    "none": ((1,) * 12, (1,) * 7, "flat: every day alike"),
    "retail": (
        (0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 0.9, 0.95, 1.2, 1.45),
        (0.85, 0.85, 0.9, 0.95, 1.1, 1.3, 1.05),
        "holiday peak in November and December, quiet January and February; Saturday busiest",
    ),
    "healthcare": (
        (1.1, 1.05, 1.02, 0.98, 0.97, 0.93, 0.92, 0.97, 1.0, 1.02, 1.0, 1.04),
        (1.15, 1.05, 1.0, 1.0, 0.95, 0.5, 0.45),
        "winter respiratory season, summer dip; Monday busiest, weekends light",
    ),
    "financial": (
        (0.95, 0.92, 1.0, 1.0, 1.0, 0.98, 1.0, 1.0, 0.97, 1.0, 1.05, 1.13),
        (1.1, 1.05, 1.05, 1.05, 1.15, 0.6, 0.45),
        "December spending, payday Fridays, quiet weekends",
    ),
    "weekday": (
        (1, 1, 1, 1, 1, 1, 1, 0.9, 1, 1, 1, 0.85),
        (1, 1, 1, 1, 1, 0.2, 0.1),
        "office hours business: weekends near zero, August and December holidays",
    ),
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Campaign:
    name: str
    first: date
    last: date
    multiplier: float


@dataclass(frozen=True)
class Season:
    """The window and the weights its event days are drawn with."""

    first: date
    last: date
    preset: str = "none"
    monthly: tuple[float, ...] = (1.0,) * 12
    weekday: tuple[float, ...] = (1.0,) * 7
    campaigns: tuple[Campaign, ...] = ()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def flat(self) -> bool:
        return len(set(self.monthly)) == 1 and len(set(self.weekday)) == 1 and not self.campaigns

    def cumulative(self) -> np.ndarray:
        """Running sum of the day weights, one entry per day of the window."""
        return np.cumsum(day_weights(self.first, self.last, self.monthly, self.weekday, self.campaigns))


def iso_day(text: str) -> date:
    """argparse type: a calendar day YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def weight(text: str) -> float:
    """argparse type: a weight of 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of 0 or more, got {text!r}")
    return value


def campaign(text: str) -> Campaign:
    """argparse type: [NAME=]START:END:MULTIPLIER, e.g. black-friday=2024-11-29:2024-12-02:3."""
    name, equals, spec = text.partition("=")
    if not equals:
        name, spec = "", text
    parts = spec.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected [NAME=]START:END:MULTIPLIER (e.g. 2024-11-29:2024-12-02:3), got {text!r}")
    first, last = iso_day(parts[0]), iso_day(parts[1])
    if last < first:
        raise argparse.ArgumentTypeError(f"campaign {text!r} ends before it starts")
    return Campaign(name.strip() or f"{first}..{last}", first, last, weight(parts[2]))


def add_window_arguments(parser: argparse.ArgumentParser, start: date, end: date | None, events: str,
                         end_help: str = "") -> None:
    parser.add_argument("--start", type=iso_day, default=start, metavar="YYYY-MM-DD",
                        help=f"first day of the {events} window, UTC (default {start})")
    parser.add_argument("--end", type=iso_day, default=end, metavar="YYYY-MM-DD",
                        help=end_help or f"last day of the {events} window, inclusive (default {end})")


def add_seasonality_arguments(parser: argparse.ArgumentParser, tables: str) -> None:
    group = parser.add_argument_group(f"seasonality of {tables} (default: none, every day alike)")
    presets = "; ".join(f"{name}: {about}" for name, (_, _, about) in SEASONALITY_PRESETS.items())
    group.add_argument("--seasonality", choices=list(SEASONALITY_PRESETS), default="none", help=presets)
    group.add_argument("--monthly-weights", type=weight, nargs=12, metavar="W",
                       help="12 relative weights, January to December (replace the preset's)")
    group.add_argument("--weekday-weights", type=weight, nargs=7, metavar="W",
                       help="7 relative weights, Monday to Sunday (replace the preset's)")
    group.add_argument("--campaign", type=campaign, action="append", default=[], metavar="[NAME=]START:END:MULT",
                       help="multiply the weight of the days START..END (inclusive) by MULT; repeatable")


def window_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, max_days: int | None = None) -> tuple[date, date]:
    """The window's first and last day, checked."""
    if args.end < args.start:
        parser.error(f"--end {args.end} is before --start {args.start}")
    days = (args.end - args.start).days + 1
    if max_days is not None and days > max_days:
        parser.error(f"the window --start {args.start} --end {args.end} spans {days:,} days; at most {max_days:,}")
    return args.start, args.end


def season_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, first: date, last: date) -> Season:
    """The preset with the weight overrides and campaigns applied, checked against the window."""
    monthly, weekday, _ = SEASONALITY_PRESETS[args.seasonality]
    monthly = tuple(float(w) for w in (args.monthly_weights or monthly))
    weekday = tuple(float(w) for w in (args.weekday_weights or weekday))
    for each in args.campaign:
        if each.last < first or each.first > last:
            parser.error(f"--campaign {each.name} ({each.first}..{each.last}) lies outside the window {first}..{last}")
    season = Season(first, last, args.seasonality, monthly, weekday, tuple(args.campaign))
    if season.cumulative()[-1] <= 0:
        parser.error("the seasonality weights give every day of the window a weight of 0: raise some of them")
    return season


def day_weights(first: date, last: date, monthly, weekday, campaigns=()) -> np.ndarray:
    """One weight per calendar day first..last: month x weekday x covering campaigns."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    day_of_week = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    weights = np.asarray(monthly, dtype=np.float64)[month] * np.asarray(weekday, dtype=np.float64)[day_of_week]
    for each in campaigns:
        weights[(days >= np.datetime64(each.first, "D")) & (days <= np.datetime64(each.last, "D"))] *= each.multiplier
    return weights


def weight_from(cumulative: np.ndarray, lowest: np.ndarray | int) -> np.ndarray:
    """The day weight from each row's ``lowest`` offset to the window's end: how much of the
    window a customer who joined then can still act in (its days, without seasonality)."""
    lowest = np.asarray(lowest, dtype=np.int64)
    if len(cumulative) == 0:
        return np.zeros(lowest.shape)
    return cumulative[-1] - np.where(lowest > 0, cumulative[np.clip(lowest - 1, 0, len(cumulative) - 1)], 0.0)


def seasonal_days(cumulative: np.ndarray, u: np.ndarray, lowest: np.ndarray | int = 0) -> np.ndarray:
    """Day offsets (0 = the window's first day) drawn in proportion to the day weights, one
    uniform ``u`` per row, never before the row's ``lowest`` offset."""
    if len(u) == 0:
        return np.zeros(0, dtype=np.int64)
    before = cumulative[-1] - weight_from(cumulative, lowest)
    target = before + u * (cumulative[-1] - before)
    return np.minimum(np.searchsorted(cumulative, target, side="right"), len(cumulative) - 1)


def season_manifest(season: Season, tables: list[str]) -> dict:
    """What _manifest.json records about the window and its seasonality."""
    return {
        "start": season.first.isoformat(),
        "end": season.last.isoformat(),
        "seasonality": {
            "preset": season.preset,
            "monthly_weights": list(season.monthly),
            "weekday_weights": list(season.weekday),
            "campaigns": [{"name": c.name, "start": c.first.isoformat(), "end": c.last.isoformat(), "multiplier": c.multiplier}
                          for c in season.campaigns],
            "applies_to": tables,
        },
    }


# --- Data-quality injection (copied verbatim from scripts/utils/quality.py) ------------------------
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


# --- Unity Catalog bridge for --catalog/--schema (copied verbatim from scripts/utils/uc_bridge.py) ----
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


# --- Command line -----------------------------------------------------------------------------------
TABLES = ("customers", "accounts", "account_holders", "trades", "transactions")  # parents before children
SCHEMAS = {"customers": CUSTOMERS_SCHEMA, "accounts": ACCOUNTS_SCHEMA, "account_holders": ACCOUNT_HOLDERS_SCHEMA,
           "trades": TRADES_SCHEMA, "transactions": TRANSACTIONS_SCHEMA}
# account_holders is made per chunk of accounts (its rows per account vary); the others per chunk of their own rows.
CHUNKED_BY = {"account_holders": "accounts"}
# Bytes per row measured on 100,000-account runs (seed 42, en), for --dry-run's size estimate.
BYTES_PER_ROW = {
    "parquet": {"customers": 43, "accounts": 15, "account_holders": 5, "trades": 20, "transactions": 17},
    "csv": {"customers": 168, "accounts": 76, "account_holders": 37, "trades": 106, "transactions": 102},
    "json": {"customers": 386, "accounts": 201, "account_holders": 97, "trades": 236, "transactions": 268},
    "delta": {"customers": 73, "accounts": 32, "account_holders": 12, "trades": 28, "transactions": 27},
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="financial.py",
        description="Generate bank customers, accounts, account holders, trades and transactions (Polars + Mimesis).",
        epilog="Example: uv run scripts/generators/polars/financial.py --rows 100000 --format delta",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ACCOUNTS,
                        help=f"accounts, the main table (default {DEFAULT_ACCOUNTS:,})")
    parser.add_argument("--customers", type=positive_int,
                        help=f"customers (default {CUSTOMERS_PER_ACCOUNT} per account, at least 1)")
    parser.add_argument("--trades", type=non_negative_int,
                        help=f"trades (default {TRADES_PER_ACCOUNT:g} per account)")
    parser.add_argument("--transactions", type=non_negative_int,
                        help=f"transactions (default {TRANSACTIONS_PER_ACCOUNT:g} per account)")
    parser.add_argument("--fraud-rate", type=rate, default=DEFAULT_FRAUD_RATE,
                        help=f"share of customer-initiated transactions flagged is_fraud (default {DEFAULT_FRAUD_RATE})")
    parser.add_argument("--joint-rate", type=rate, default=DEFAULT_JOINT_RATE,
                        help=f"share of accounts with extra holders in account_holders (joint owners, authorized "
                        f"users; 1-3 each); retirement accounts always have one (default {DEFAULT_JOINT_RATE})")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY,
                        help="output folder (default output/financial)")
    parser.add_argument("--format", choices=FORMATS, default="parquet", help="file format (default parquet)")
    parser.add_argument("--locale", type=mimesis_locale, default="en",
                        help="Mimesis locale for names, streets and companies (default en)")
    parser.add_argument("--dry-run", action="store_true", help="print the planned rows and size, write nothing")
    add_window_arguments(parser, DEFAULT_START, DEFAULT_END, "trades and transactions")
    add_seasonality_arguments(parser, "trades (NYSE sessions only) and transactions")
    add_quality_arguments(parser, DUPLICATE_TABLES, LATE_COLUMNS)
    add_unity_catalog_arguments(parser)
    return parser


def plan_rows(args: argparse.Namespace) -> dict[str, int]:
    accounts = args.rows

    def follow(override: int | None, ratio: float, minimum: int = 0) -> int:
        return override if override is not None else max(minimum, round(accounts * ratio))

    return {
        "customers": follow(args.customers, CUSTOMERS_PER_ACCOUNT, minimum=1),
        "accounts": accounts,
        "account_holders": round(accounts * holders_per_account(args.joint_rate)),  # an estimate: drawn per account
        "trades": follow(args.trades, TRADES_PER_ACCOUNT),
        "transactions": follow(args.transactions, TRANSACTIONS_PER_ACCOUNT),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    rows = plan_rows(args)
    first, last = window_settings(parser, args)
    if first.year < MIN_WINDOW_YEAR:
        parser.error(f"--start {first}: the NYSE calendar rules here hold from {MIN_WINDOW_YEAR} on")
    season = season_settings(parser, args, first, last)
    calendar = build_calendar(season)
    if rows["trades"] and not calendar.trading_days.size:
        parser.error(f"the window {first}..{last} has no NYSE trading day: widen it or pass --trades 0")
    window_us = (calendar.first * SECONDS_PER_DAY * MICROSECONDS, (calendar.last + 1) * SECONDS_PER_DAY * MICROSECONDS)
    quality = quality_settings(parser, args, SCHEMAS, KEY_COLUMNS, DUPLICATE_TABLES, LATE_COLUMNS, window_us)
    window = season_manifest(season, ["trades.timestamp", "transactions.timestamp"])
    if args.dry_run:
        sizes = {table: rows[table] * BYTES_PER_ROW[args.format][table] for table in TABLES}
        plan = {
            "dry_run": True,
            "output": str(args.output),
            "format": args.format,
            "seed": args.seed,
            "window": window,
            "tables": {table: {"rows": rows[table], "estimated_bytes": sizes[table],
                               **({"estimated_rows": True} if table in CHUNKED_BY else {})} for table in TABLES},
            "estimated_bytes": sum(sizes.values()),
        }
        if args.catalog:
            plan["unity_catalog"] = [f"{args.catalog}.{args.schema}.{table}" for table in SCHEMAS]
        print(json.dumps(plan, indent=2))
        return plan
    target = unity_catalog_target(parser, args, list(SCHEMAS), GENERATOR, argv)
    directory = prepare_output_dir(parser, args.output)
    started = time.perf_counter()
    progress(f"financial: {sum(rows.values()):,} rows -> {directory} ({args.format}, seed {args.seed})")
    pools = build_pools(args.locale, args.seed)
    customers = plan_customers(args.seed, rows["customers"], calendar)
    book = plan_accounts(args.seed, rows["accounts"], customers, rows["trades"] > 0, calendar)
    securities = build_securities(args.seed, calendar.trading_days.size)
    number_shift = int(np.random.default_rng([args.seed, ACCOUNTS_SALT]).integers(0, 10**9))
    makers = {
        "customers": partial(make_customers, seed=args.seed, customers=customers, pools=pools, calendar=calendar),
        "accounts": partial(make_accounts, seed=args.seed, book=book, customers=customers, number_shift=number_shift),
        "account_holders": partial(make_account_holders, seed=args.seed, book=book, customers=customers,
                                   joint_rate=args.joint_rate, calendar=calendar),
        "trades": partial(make_trades, seed=args.seed, book=book, securities=securities, calendar=calendar),
        "transactions": partial(make_transactions, seed=args.seed, book=book, pools=pools, fraud_rate=args.fraud_rate,
                                calendar=calendar),
    }
    tables = {}
    for table in TABLES:
        chunks = with_quality(quality, table, [partial(makers[table], start, n)
                                               for start, n in chunk_bounds(rows[CHUNKED_BY.get(table, table)])])
        tables[table] = timed(table, partial(write_table, directory, table, args.format, chunks, SCHEMAS[table]))
    annotate_tables(quality, tables)
    injections = quality_manifest(quality)
    arguments = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    write_manifest(
        directory,
        {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": arguments,
            "versions": library_versions(),
            "window": window,
            "bounds": calendar.bounds(),
            **({"quality_injections": injections} if injections else {}),
            "tables": tables,
        },
    )
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
