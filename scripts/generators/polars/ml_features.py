# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.4,<2.5",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""Tier 1 ML features: a customer churn training table with a label at a set rate, feature drift
after a cut-over date, and an embedding-style array<double> column.

One table, ``churn_features``: one row per customer (--rows, default 10,000), observed on a
``snapshot_date`` drawn uniformly from the window (--start/--end, default calendar 2024). Columns:

- attributes: region (US Census regions, weighted by population), plan_type (basic, standard,
  premium), contract_type (month_to_month, one_year, two_year), payment_method;
- features: tenure_months (log-normal, longer on longer contracts), monthly_charges (log-normal
  around the plan's price), data_usage_gb (log-normal by plan and engagement), sessions_30d,
  days_since_last_login (counts driven by a hidden engagement score), support_calls_90d,
  late_payments_12m (counts driven by a hidden dissatisfaction score and the payment method);
- ``embedding``: --embedding-dim (default 8) unit-length doubles whose direction follows the
  hidden engagement and dissatisfaction scores and the plan (a behaviour embedding);
- ``label``: churns within 30 days of the snapshot. A churn risk score (logit scale) adds up
  contract type, tenure, charges, support calls, days since the last login, sessions, late
  payments and payment method, plus logistic noise; the highest-scoring --label-rate share of
  each million-row chunk is labelled true, so the rate is exact (to one row per chunk) and a
  model can learn the label from the features (logistic regression: AUC about 0.85).

Drift: with ``--drift-date D`` the --drift-features (default monthly_charges,data_usage_gb)
of rows whose snapshot_date is on or after D move by --drift-strength (default 1.0) standard
deviations: the log-normal features (tenure_months, monthly_charges, data_usage_gb) are
multiplied by exp(strength x the sd of their log among customers on the same contract or plan),
so strength 1 is a 13% price rise; the count features' per-customer means move by strength x
their standard deviation. Every other column keeps exactly the values it has without drift
(each column draws from its own random stream). The rule linking features to the label stays
the same, so the label rate after D follows the drifted features (a price rise brings more
churn; the summary reports the rate before and after). At strength 1 the population stability
index before vs after D (10 bins at the deciles before D) is 0.44-0.55 for a log-normal
feature and 0.5-1.4 for a count; about 0 for every feature that does not drift.

Dirty data: ``--inject-nulls churn_features.COLUMN=RATE``, ``--duplicate-rate`` and
``--late-rate`` (snapshot dates 1-8 days past the window), recorded for the validator.

Unity Catalog: ``--catalog C --schema S`` also writes the table to C.S.churn_features over
Databricks Connect (the embedding lands as ARRAY<DOUBLE>): ``uv run --python 3.12 --with
"databricks-connect>=16.4,<17" scripts/generators/polars/ml_features.py --catalog main --schema demo``.
Without --catalog nothing imports pyspark or databricks-connect.

Example: ``uv run scripts/generators/polars/ml_features.py --rows 100000 --label-rate 0.03
--drift-date 2024-07-01 --embedding-dim 16``.
In a notebook: ``main(["--rows", "5000", "--output", "/Volumes/main/demo/raw/ml"])``.
Reproducibility: the same seed, options and pinned library versions give the same data; the
embedding's values also depend on --embedding-dim, no other column does.
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
from datetime import date
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

INDUSTRY = "ml"
GENERATOR = "scripts/generators/polars/ml_features.py"
TABLE = "churn_features"

# --- Sizes and defaults ------------------------------------------------------------------------
DEFAULT_CUSTOMERS = 10_000
DEFAULT_LABEL_RATE = 0.05  # churn training sets are imbalanced; 3-10% positives is typical
DEFAULT_EMBEDDING_DIM = 8
MAX_EMBEDDING_DIM = 4_096
# A write chunk holds at most this many embedding values (128 MiB of doubles), so a wide
# embedding (768 dimensions, say) is written in smaller pieces than the million-row chunks the
# other columns and the label are drawn in.
EMBEDDING_VALUES_PER_CHUNK = 2**24

# Every column draws from its own stream, spawned from (seed, salt, first row of the chunk):
# drift in one column never changes another, and a column's values do not depend on the others.
FEATURES_SALT = 601
EMBEDDING_SALT = 602
PROJECTION_SALT = 603
STREAM_NAMES = ("snapshot", "region", "plan", "contract", "payment", "engagement", "dissatisfaction",
                "tenure_months", "monthly_charges", "data_usage_gb", "sessions_30d", "days_since_last_login",
                "support_calls_90d", "late_payments_12m", "label")  # append new streams: old ones keep their values
CUSTOMER_ID_START = 1_000_000

# --- Fixed window (never today's date) ---------------------------------------------------------
DEFAULT_START, DEFAULT_END = date(2024, 1, 1), date(2024, 12, 31)

# --- Customer attributes -------------------------------------------------------------------------
# US Census regions by 2020 census population share (17.4, 20.8, 38.1, 23.7 %).
REGIONS = ("Northeast", "Midwest", "South", "West")
REGION_WEIGHTS = (17, 21, 38, 24)
PLAN_TYPES = ("basic", "standard", "premium")
PLAN_WEIGHTS = (45, 35, 20)
# Contract and payment mixes of the IBM Telco customer churn sample (7,043 customers: 55%
# month-to-month, 21% one-year, 24% two-year; 34% electronic check, 23% mailed check, 22% bank
# transfer, 22% credit card), the usual public reference for churn data.
CONTRACT_TYPES = ("month_to_month", "one_year", "two_year")
CONTRACT_WEIGHTS = (55, 21, 24)
PAYMENT_METHODS = ("electronic_check", "mailed_check", "bank_transfer", "credit_card")
PAYMENT_WEIGHTS = (34, 23, 22, 21)

# --- Features (two hidden per-customer scores, engagement and dissatisfaction, each Normal(0, 1),
# tie the features together the way real behaviour does) ------------------------------------------
# Months as a customer: log-normal, median by contract type, sigma 0.8; rounded up, 1..180.
TENURE_MEDIAN = np.array([8.0, 24.0, 40.0])  # month_to_month, one_year, two_year
TENURE_SIGMA = 0.8
TENURE_MAX = 180
# Monthly bill (USD): log-normal around the plan's list price (sigma 0.12: add-ons, discounts).
PLAN_PRICE = np.array([30.0, 60.0, 95.0])  # basic, standard, premium
CHARGES_SIGMA = 0.12
# Data used in the last 30 days (GB): log-normal, median by plan, x exp(0.35 x engagement).
USAGE_MEDIAN = np.array([6.0, 18.0, 40.0])
USAGE_SIGMA = 0.7
USAGE_ENGAGEMENT = 0.35
# Counts with a per-customer mean m x exp(b x score - b^2/2) (so the population mean is m):
# app sessions in the last 30 days (Poisson), days since the last login (geometric from 0),
# support calls in the last 90 days (Poisson), late payments in the last 12 months (Poisson; mean
# by payment method: electronic checks bounce more often).
SESSIONS_MEAN, SESSIONS_ENGAGEMENT = 14.0, 0.45
LOGIN_GAP_MEAN, LOGIN_GAP_ENGAGEMENT = 3.0, -0.5
SUPPORT_CALLS_MEAN, SUPPORT_CALLS_DISSATISFACTION = 0.7, 0.5
LATE_PAYMENTS_MEAN = np.array([0.6, 0.3, 0.2, 0.2])  # electronic_check, mailed_check, bank_transfer, credit_card
LATE_PAYMENTS_DISSATISFACTION = 0.3

# --- Label: churn risk on the logit scale (the weights of a plausible churn model) -----------------
CHURN_BY_CONTRACT = np.array([1.2, 0.0, -1.0])  # month-to-month customers leave most easily
CHURN_PER_LOG_TENURE = -0.45  # loyalty grows with tenure
CHURN_PER_DOLLAR = 0.02  # per dollar of monthly charges above CHURN_CHARGES_REFERENCE
CHURN_CHARGES_REFERENCE = 60.0
CHURN_PER_SUPPORT_CALL = 0.45
CHURN_PER_LOG_LOGIN_GAP = 0.25  # x log(1 + days since the last login)
CHURN_PER_SESSION = -0.025
CHURN_PER_LATE_PAYMENT = 0.3
CHURN_BY_PAYMENT = np.array([0.4, 0.0, 0.0, 0.0])  # electronic check: the Telco sample's churniest
# Logistic noise: how much of churn the features cannot explain. 0.8 gives a held-out AUC of
# about 0.85 for a logistic regression on the features, as good churn models reach.
CHURN_NOISE_SCALE = 0.8
# The embedding: Normal(0, 1) noise in every dimension plus 0.6 x a fixed random projection of
# (engagement, dissatisfaction, plan - 1), scaled to unit length.
EMBEDDING_SIGNAL = 0.6

# --- Drift ----------------------------------------------------------------------------------------
DEFAULT_DRIFT_FEATURES = ("monthly_charges", "data_usage_gb")  # a price rise and heavier use
DEFAULT_DRIFT_STRENGTH = 1.0
MAX_DRIFT_STRENGTH = 3.0
# How each numeric feature drifts: "log" features are multiplied by exp(strength x sd of their
# log), "rate" features' per-customer mean moves by strength x their standard deviation
# (drift_units below says which standard deviation).
DRIFT_SCALES = {
    "tenure_months": "log",
    "monthly_charges": "log",
    "data_usage_gb": "log",
    "sessions_30d": "rate",
    "days_since_last_login": "rate",
    "support_calls_90d": "rate",
    "late_payments_12m": "rate",
}
DRIFTABLE = tuple(DRIFT_SCALES)


def weighted_pool(weights: Iterable[int]) -> np.ndarray:
    """Codes 0..k-1, each repeated by its weight: a uniform index into it is an exact weighted draw."""
    weights = tuple(weights)
    return np.repeat(np.arange(len(weights)), weights)


REGION_POOL = weighted_pool(REGION_WEIGHTS)
PLAN_POOL = weighted_pool(PLAN_WEIGHTS)
CONTRACT_POOL = weighted_pool(CONTRACT_WEIGHTS)
PAYMENT_POOL = weighted_pool(PAYMENT_WEIGHTS)


def count_sd(means: np.ndarray, weights: np.ndarray, loading: float, geometric: bool = False) -> float:
    """Standard deviation of a count whose mean is mu = m x exp(b x z - b^2/2), z ~ Normal(0, 1),
    m drawn from `means` with `weights`: Var = E[Var(count | mu)] + Var(mu), where E[mu^2] =
    E[m^2] x exp(b^2) and Var(count | mu) is mu (Poisson) or mu + mu^2 (geometric from 0)."""
    mean = float(weights @ means)
    second = float(weights @ means**2) * math.exp(loading**2)
    conditional = mean + (second if geometric else 0.0)
    return math.sqrt(conditional + second - mean**2)


def drift_units() -> dict[str, float]:
    """The standard deviation each driftable feature moves by per unit of --drift-strength, from
    the distributions above (the tests measure them). Log features: the sd of the log among
    customers alike in what sets their median (contract for tenure, plan for charges and usage),
    so strength 1 is a 13% price rise, not a move from one plan's prices to the next one's.
    Counts: their standard deviation over all customers before the cut-over."""
    one = np.ones(1)
    payment = np.asarray(PAYMENT_WEIGHTS, dtype=np.float64) / sum(PAYMENT_WEIGHTS)
    return {
        "tenure_months": TENURE_SIGMA,
        "monthly_charges": CHARGES_SIGMA,
        "data_usage_gb": math.hypot(USAGE_SIGMA, USAGE_ENGAGEMENT),
        "sessions_30d": count_sd(SESSIONS_MEAN * one, one, SESSIONS_ENGAGEMENT),
        "days_since_last_login": count_sd(LOGIN_GAP_MEAN * one, one, LOGIN_GAP_ENGAGEMENT, geometric=True),
        "support_calls_90d": count_sd(SUPPORT_CALLS_MEAN * one, one, SUPPORT_CALLS_DISSATISFACTION),
        "late_payments_12m": count_sd(LATE_PAYMENTS_MEAN, payment, LATE_PAYMENTS_DISSATISFACTION),
    }


DRIFT_UNITS = drift_units()

# --- Table schema (the columns and types of assets/schemas/ml_churn_features.json) ----------------
CHURN_FEATURES_SCHEMA = {
    "customer_id": pl.Int64,
    "snapshot_date": pl.Date,
    "region": pl.String,
    "plan_type": pl.String,
    "contract_type": pl.String,
    "payment_method": pl.String,
    "tenure_months": pl.Int32,
    "monthly_charges": pl.Float64,
    "data_usage_gb": pl.Float64,
    "sessions_30d": pl.Int32,
    "days_since_last_login": pl.Int32,
    "support_calls_90d": pl.Int32,
    "late_payments_12m": pl.Int32,
    "embedding": pl.List(pl.Float64),
    "label": pl.Boolean,
}
# CSV holds no lists: there the embedding is its JSON text, "[0.12, -0.5, ...]" (what the
# validator and Spark's from_json read back).
CSV_SCHEMA = {**CHURN_FEATURES_SCHEMA, "embedding": pl.String}
KEY_COLUMNS = {TABLE: ("customer_id",)}
DUPLICATE_TABLES = (TABLE,)
LATE_COLUMNS = {TABLE: ("snapshot_date",)}


# --- The run's settings, and the table in million-row blocks --------------------------------------
@dataclass(frozen=True)
class Settings:
    """What the rows depend on (hashable: a block is cached under it)."""

    seed: int
    rows: int
    first_day: int  # the window, days since 1970-01-01
    days: int
    label_rate: float
    drift_day: int | None = None  # the cut-over, days since 1970-01-01
    drift: tuple[tuple[str, float], ...] = ()  # (feature, shift on its drift scale)


@dataclass(frozen=True)
class Block:
    """The columns of rows start .. start+n-1 without the embedding, and the hidden scores the
    embedding is built from (n x 3: engagement, dissatisfaction, plan - 1)."""

    start: int
    frame: pl.DataFrame
    hidden: np.ndarray


def streams(seed: int, salt: int, start: int, names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    """One independent generator per purpose, spawned from (seed, salt, start)."""
    children = np.random.SeedSequence([seed, salt, start]).spawn(len(names))
    return dict(zip(names, (np.random.default_rng(child) for child in children)))


def labels(values: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    return pl.Series(values)[codes.astype(np.int64)]


def scaled_mean(mean: np.ndarray | float, loading: float, score: np.ndarray) -> np.ndarray:
    """mean x exp(b x score - b^2/2): the population mean stays `mean`."""
    return mean * np.exp(loading * score - loading**2 / 2)


def top_share(risk: np.ndarray, share: float) -> np.ndarray:
    """True for the round(share x n) highest values, false elsewhere: an exact rate."""
    n = risk.size
    k = round(share * n)
    chosen = np.zeros(n, dtype=bool)
    if k:
        chosen[np.argpartition(-risk, k - 1)[:k]] = True
    return chosen


@lru_cache(maxsize=1)  # the pieces of one block are written one after another
def make_block(start: int, settings: Settings) -> Block:
    """Rows start .. start+n-1 of one million-row block: every column but the embedding."""
    n = min(CHUNK_ROWS, settings.rows - start)
    r = streams(settings.seed, FEATURES_SALT, start, STREAM_NAMES)
    snapshot = settings.first_day + r["snapshot"].integers(0, settings.days, n)
    after = snapshot >= settings.drift_day if settings.drift_day is not None else np.zeros(n, dtype=bool)
    drift = dict(settings.drift)

    def shift(feature: str) -> np.ndarray | float:
        return np.where(after, drift[feature], 0.0) if feature in drift else 0.0

    region = REGION_POOL[r["region"].integers(0, REGION_POOL.size, n)]
    plan = PLAN_POOL[r["plan"].integers(0, PLAN_POOL.size, n)]
    contract = CONTRACT_POOL[r["contract"].integers(0, CONTRACT_POOL.size, n)]
    payment = PAYMENT_POOL[r["payment"].integers(0, PAYMENT_POOL.size, n)]
    engagement = r["engagement"].standard_normal(n)
    dissatisfaction = r["dissatisfaction"].standard_normal(n)

    log_tenure = np.log(TENURE_MEDIAN[contract]) + TENURE_SIGMA * r["tenure_months"].standard_normal(n)
    tenure = np.clip(np.ceil(np.exp(log_tenure + shift("tenure_months"))), 1, TENURE_MAX)
    charges = np.round(PLAN_PRICE[plan] * np.exp(CHARGES_SIGMA * r["monthly_charges"].standard_normal(n)
                                                 + shift("monthly_charges")), 2)
    usage = np.round(USAGE_MEDIAN[plan] * np.exp(USAGE_ENGAGEMENT * engagement + USAGE_SIGMA
                                                 * r["data_usage_gb"].standard_normal(n) + shift("data_usage_gb")), 2)

    def moved(mean: np.ndarray, feature: str) -> np.ndarray:
        return np.maximum(mean + shift(feature), 0.0)

    sessions = r["sessions_30d"].poisson(moved(scaled_mean(SESSIONS_MEAN, SESSIONS_ENGAGEMENT, engagement), "sessions_30d"))
    gap = moved(scaled_mean(LOGIN_GAP_MEAN, LOGIN_GAP_ENGAGEMENT, engagement), "days_since_last_login")
    login_gap = r["days_since_last_login"].geometric(1.0 / (1.0 + gap)) - 1  # days without a login before one
    support = r["support_calls_90d"].poisson(
        moved(scaled_mean(SUPPORT_CALLS_MEAN, SUPPORT_CALLS_DISSATISFACTION, dissatisfaction), "support_calls_90d"))
    late = r["late_payments_12m"].poisson(
        moved(scaled_mean(LATE_PAYMENTS_MEAN[payment], LATE_PAYMENTS_DISSATISFACTION, dissatisfaction), "late_payments_12m"))

    # The label follows the features as written (drifted ones included): one rule throughout.
    risk = (CHURN_BY_CONTRACT[contract] + CHURN_PER_LOG_TENURE * np.log(tenure)
            + CHURN_PER_DOLLAR * (charges - CHURN_CHARGES_REFERENCE) + CHURN_PER_SUPPORT_CALL * support
            + CHURN_PER_LOG_LOGIN_GAP * np.log1p(login_gap) + CHURN_PER_SESSION * sessions
            + CHURN_PER_LATE_PAYMENT * late + CHURN_BY_PAYMENT[payment]
            + r["label"].logistic(0.0, CHURN_NOISE_SCALE, n))
    frame = pl.DataFrame({
        "customer_id": CUSTOMER_ID_START + np.arange(start, start + n, dtype=np.int64),
        "snapshot_date": pl.Series(snapshot, dtype=pl.Int32).cast(pl.Date),
        "region": labels(REGIONS, region),
        "plan_type": labels(PLAN_TYPES, plan),
        "contract_type": labels(CONTRACT_TYPES, contract),
        "payment_method": labels(PAYMENT_METHODS, payment),
        "tenure_months": pl.Series(tenure, dtype=pl.Float64).cast(pl.Int32),
        "monthly_charges": charges,
        "data_usage_gb": usage,
        "sessions_30d": pl.Series(sessions).cast(pl.Int32),
        "days_since_last_login": pl.Series(login_gap).cast(pl.Int32),
        "support_calls_90d": pl.Series(support).cast(pl.Int32),
        "late_payments_12m": pl.Series(late).cast(pl.Int32),
        "label": top_share(risk, settings.label_rate),
    })
    hidden = np.column_stack([engagement, dissatisfaction, plan - 1.0])
    return Block(start, frame, hidden)


def embedding_projection(seed: int, dim: int) -> np.ndarray:
    """The fixed 3 x dim map from the hidden scores to embedding space, one per run."""
    return np.random.default_rng([seed, PROJECTION_SALT, dim]).standard_normal((3, dim))


def embedding_vectors(rng: np.random.Generator, hidden: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """Unit vectors: signal (the projected hidden scores) plus Normal(0, 1) noise, normalised."""
    vectors = EMBEDDING_SIGNAL * (hidden @ projection) + rng.standard_normal((hidden.shape[0], projection.shape[1]))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def piece_bounds(rows: int, dim: int) -> list[tuple[int, int]]:
    """Write chunks: the million-row blocks, cut smaller for wide embeddings (never across a block)."""
    step = max(1, min(CHUNK_ROWS, EMBEDDING_VALUES_PER_CHUNK // max(dim, 1)))
    return [(start + offset, min(step, n - offset)) for start, n in chunk_bounds(rows, CHUNK_ROWS)
            for offset in range(0, n, step)]


def make_churn_features(start: int, n: int, settings: Settings, projection: np.ndarray, as_text: bool = False,
                        tally: list[dict[bool, tuple[int, int]]] | None = None) -> pl.DataFrame:
    """Rows start .. start+n-1 of churn_features (a piece of one block), embedding included.
    ``tally`` gets one record per piece: {after the cut-over: (rows, positives)}."""
    block_start = start // CHUNK_ROWS * CHUNK_ROWS
    block = make_block(block_start, settings)
    offset = start - block_start
    frame = block.frame.slice(offset, n)
    rng = np.random.default_rng([settings.seed, EMBEDDING_SALT, start])
    vectors = embedding_vectors(rng, block.hidden[offset:offset + n], projection)
    embedding = pl.Series("embedding", vectors).cast(pl.List(pl.Float64))
    if as_text:
        items = embedding.list.eval(pl.element().cast(pl.String)).list.join(", ")
        embedding = pl.select(pl.format("[{}]", pl.lit(items))).to_series().alias("embedding")
    if tally is not None and n:
        after = (frame["snapshot_date"].cast(pl.Int32) >= settings.drift_day) if settings.drift_day is not None \
            else pl.Series([False] * n)
        counts = frame.select(label=pl.col("label"), after=after).group_by("after").agg(
            rows=pl.len(), positives=pl.col("label").sum())
        # One append per piece (atomic, should Polars call pieces from several threads).
        tally.append({is_after: (rows, positives) for is_after, rows, positives in counts.iter_rows()})
    return frame.insert_column(frame.columns.index("label"), embedding)


# --- Output and CLI helpers (copied verbatim from scripts/utils/local_output.py) ---------------------
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


# --- Window (copied verbatim from scripts/utils/seasonality.py) ----------------------------------------
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
TABLES = (TABLE,)
SCHEMAS = {TABLE: CHURN_FEATURES_SCHEMA}
# Bytes per row measured on 100,000-row runs (seed 42) without the embedding, and per embedding
# value (from runs with --embedding-dim 16), for --dry-run's size estimate.
BYTES_PER_ROW = {"parquet": 11, "csv": 92, "json": 337, "delta": 16}
BYTES_PER_EMBEDDING_VALUE = {"parquet": 8, "csv": 21, "json": 20, "delta": 8}


def feature_list(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated names of numeric features, e.g. monthly_charges,data_usage_gb."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected feature names separated by commas; choose from {', '.join(DRIFTABLE)}")
    unknown = [name for name in names if name not in DRIFT_SCALES]
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)} cannot drift; choose from {', '.join(DRIFTABLE)}")
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"a feature is named twice in {text!r}")
    return names


def drift_strength(text: str) -> float:
    """argparse type: standard deviations to move by, -3..3 (negative moves down)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of standard deviations, got {text!r}") from None
    if not -MAX_DRIFT_STRENGTH <= value <= MAX_DRIFT_STRENGTH:
        raise argparse.ArgumentTypeError(f"must be between {-MAX_DRIFT_STRENGTH:g} and {MAX_DRIFT_STRENGTH:g}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml_features.py",
        description="Generate a customer churn feature table: imbalanced label, feature drift after a "
                    "cut-over date, an array<double> embedding (Polars).",
        epilog="Example: uv run scripts/generators/polars/ml_features.py --rows 100000 --label-rate 0.03 "
               "--drift-date 2024-07-01 --embedding-dim 16",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_CUSTOMERS,
                        help=f"customers, one row each (default {DEFAULT_CUSTOMERS:,})")
    parser.add_argument("--label-rate", type=rate, default=DEFAULT_LABEL_RATE,
                        help=f"share of rows labelled true (churners), exact to one row per million (default {DEFAULT_LABEL_RATE})")
    parser.add_argument("--embedding-dim", type=non_negative_int, default=DEFAULT_EMBEDDING_DIM,
                        help=f"length of every embedding array (default {DEFAULT_EMBEDDING_DIM}; 0 keeps the column, "
                             f"every array empty; at most {MAX_EMBEDDING_DIM:,})")
    drift = parser.add_argument_group("drift (default: none)")
    drift.add_argument("--drift-date", type=iso_day, metavar="YYYY-MM-DD",
                       help="cut-over: rows with snapshot_date on or after it get the drifted features")
    drift.add_argument("--drift-features", type=feature_list, metavar="A,B",
                       help=f"features that drift (default {','.join(DEFAULT_DRIFT_FEATURES)}); any of {', '.join(DRIFTABLE)}")
    drift.add_argument("--drift-strength", type=drift_strength, metavar="SD",
                       help=f"how far they move, in standard deviations (default {DEFAULT_DRIFT_STRENGTH:g}: monthly_charges "
                            f"x1.13, data_usage_gb x2.19; -{MAX_DRIFT_STRENGTH:g}..{MAX_DRIFT_STRENGTH:g}, negative moves down)")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY, help="output folder (default output/ml)")
    parser.add_argument("--format", choices=FORMATS, default="parquet",
                        help="file format (default parquet; in csv the embedding is JSON text)")
    parser.add_argument("--dry-run", action="store_true", help="print the planned rows and size, write nothing")
    add_window_arguments(parser, DEFAULT_START, DEFAULT_END, "snapshot_date")
    add_quality_arguments(parser, DUPLICATE_TABLES, LATE_COLUMNS)
    add_unity_catalog_arguments(parser)
    return parser


def day_number(day: date) -> int:
    """Days since 1970-01-01, the integer form Polars stores a Date in."""
    return (day - date(1970, 1, 1)).days


def plan_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[Settings, dict]:
    """The checked settings, and what the manifest and summary say about the label and drift."""
    first, last = window_settings(parser, args)
    if args.embedding_dim > MAX_EMBEDDING_DIM:
        parser.error(f"--embedding-dim must be at most {MAX_EMBEDDING_DIM:,}, got {args.embedding_dim:,}")
    if args.drift_date is None and (args.drift_features is not None or args.drift_strength is not None):
        parser.error("--drift-features and --drift-strength need --drift-date (the cut-over)")
    drift, about_drift = (), None
    if args.drift_date is not None:
        if not first < args.drift_date <= last:
            parser.error(f"--drift-date {args.drift_date} must fall after the window's first day and no later than its "
                         f"last ({first}..{last}): both periods need rows")
        features = args.drift_features or DEFAULT_DRIFT_FEATURES
        strength = DEFAULT_DRIFT_STRENGTH if args.drift_strength is None else args.drift_strength
        drift = tuple((feature, strength * DRIFT_UNITS[feature]) for feature in features)
        about_drift = {
            "date": args.drift_date.isoformat(),
            "features": list(features),
            "strength": strength,
            # What one run's shift is in the feature's own terms.
            "shift": {feature: ({"scale": "log", "multiplier": round(math.exp(shift), 4)} if DRIFT_SCALES[feature] == "log"
                                else {"scale": "rate", "mean_change": round(shift, 4)}) for feature, shift in drift},
        }
    settings = Settings(seed=args.seed, rows=args.rows, first_day=day_number(first), days=(last - first).days + 1,
                        label_rate=args.label_rate, drift_day=day_number(args.drift_date) if args.drift_date else None,
                        drift=drift)
    positives = sum(round(args.label_rate * n) for _, n in chunk_bounds(args.rows, CHUNK_ROWS))
    about = {"label": {"column": "label", "rate": args.label_rate, "positives": positives},
             "drift": about_drift, "embedding_dim": args.embedding_dim}
    return settings, about


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    settings, about = plan_settings(parser, args)
    first, last = args.start, args.end
    window_us = (settings.first_day * MICROS_PER_DAY, (settings.first_day + settings.days) * MICROS_PER_DAY)
    quality = quality_settings(parser, args, SCHEMAS, KEY_COLUMNS, DUPLICATE_TABLES, LATE_COLUMNS, window_us)
    window = {"start": first.isoformat(), "end": last.isoformat()}
    if args.dry_run:
        size = args.rows * (BYTES_PER_ROW[args.format] + args.embedding_dim * BYTES_PER_EMBEDDING_VALUE[args.format])
        plan = {
            "dry_run": True,
            "output": str(args.output),
            "format": args.format,
            "seed": args.seed,
            "window": window,
            "ml": about,
            "tables": {TABLE: {"rows": args.rows, "estimated_bytes": size}},
            "estimated_bytes": size,
        }
        if args.catalog:
            plan["unity_catalog"] = [f"{args.catalog}.{args.schema}.{table}" for table in SCHEMAS]
        print(json.dumps(plan, indent=2))
        return plan
    target = unity_catalog_target(parser, args, list(SCHEMAS), GENERATOR, argv)
    directory = prepare_output_dir(parser, args.output)
    started = time.perf_counter()
    progress(f"ml: {args.rows:,} customers -> {directory} ({args.format}, seed {args.seed})")
    projection = embedding_projection(args.seed, args.embedding_dim)
    tally: list[dict[bool, tuple[int, int]]] = []
    schema = CSV_SCHEMA if args.format == "csv" else CHURN_FEATURES_SCHEMA
    make = partial(make_churn_features, settings=settings, projection=projection, as_text=args.format == "csv", tally=tally)
    chunks = with_quality(quality, TABLE, [partial(make, start, n) for start, n in piece_bounds(args.rows, args.embedding_dim)])
    try:
        tables = {TABLE: timed(TABLE, partial(write_table, directory, TABLE, args.format, chunks, schema))}
    finally:
        make_block.cache_clear()  # a block can hold a million rows: do not keep it past the run
    annotate_tables(quality, tables)
    injections = quality_manifest(quality)
    if settings.drift_day is not None:
        for period, is_after in (("before", False), ("after", True)):
            rows = sum(record.get(is_after, (0, 0))[0] for record in tally)
            positives = sum(record.get(is_after, (0, 0))[1] for record in tally)
            about["label"][f"rate_{period}_drift"] = round(positives / rows, 6) if rows else None
    arguments = {key: str(value) if isinstance(value, (Path, date)) else value for key, value in vars(args).items()}
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
            "bounds": {f"{TABLE}.snapshot_date": {"min": first.isoformat(), "max": last.isoformat()}},
            "ml": about,
            **({"quality_injections": injections} if injections else {}),
            "tables": tables,
        },
    )
    summary = {
        "output": str(directory),
        "seed": args.seed,
        "format": args.format,
        "ml": about,
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
