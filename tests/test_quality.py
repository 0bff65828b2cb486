"""Data-quality injection (scripts/utils/quality.py): each kind measured on a synthetic chunk.

Rates are measured on 200,000 rows with fixed seeds; tolerances are four binomial standard
errors (e.g. 0.2 percentage points at 5%). The generators' own tests measure the same kinds on
their tables and check that the validator reports them as injected.
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import load_script

quality = load_script("utils/quality.py")

ROWS = 200_000
DAY_US = 86_400_000_000
WINDOW = (int(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000,
          int(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000)
SCHEMAS = {"events": {"event_id": pl.Int64, "device_id": pl.Int64, "at": pl.Datetime("us", "UTC"),
                      "booked_on": pl.Date, "value": pl.Float64}}
KEYS = {"events": ("event_id", "device_id")}


def tolerance(share: float, rows: int = ROWS) -> float:
    return 4 * (share * (1 - share) / rows) ** 0.5


def events(start: int = 0, n: int = ROWS) -> pl.DataFrame:
    rng = np.random.default_rng([7, start])
    at = np.sort(rng.integers(WINDOW[0], WINDOW[1], n))
    return pl.DataFrame({
        "event_id": np.arange(start, start + n),
        "device_id": rng.integers(0, 500, n),
        "at": pl.Series(at).cast(pl.Datetime("us", "UTC")),
        "booked_on": pl.Series(at // DAY_US + 1).cast(pl.Int32).cast(pl.Date),
        "value": rng.normal(size=n),
    })


def settings(seed: int = 42, **options) -> object:
    values = {"seed": seed, "nulls": {}, "duplicate_rate": 0.0, "duplicate_tables": ("events",), "late_rate": 0.0,
              "late_columns": {"events": ("at", "booked_on")}, "window_us": WINDOW}
    values.update(options)
    return quality.Quality(**values)


def dirty(config, chunk: int = 0, frame: pl.DataFrame | None = None) -> pl.DataFrame:
    original = events() if frame is None else frame
    return quality.inject_quality(config, "events", chunk, lambda: original)


def test_nulls_hit_the_configured_share_of_one_column():
    config = settings(nulls={"events": {"value": 0.05}})
    out = dirty(config)
    share = out["value"].null_count() / out.height
    assert abs(share - 0.05) < tolerance(0.05), share  # measured 0.0502
    assert out.drop("value").equals(events().drop("value"))
    assert config.injected["events"][0]["nulls"] == {"value": out["value"].null_count()}


def test_duplicates_are_exact_copies_right_after_their_original():
    config = settings(duplicate_rate=0.04)
    out = dirty(config)
    copies = out.height - ROWS
    assert abs(copies / out.height - 0.04) < tolerance(0.04), copies / out.height  # share of output rows
    assert out.unique(maintain_order=True).equals(events())  # nothing but exact copies added
    repeated = out["event_id"].diff() == 0
    assert repeated.sum() == copies  # every copy sits right after its original
    assert config.injected["events"][0]["duplicates"] == copies


def test_late_rows_land_after_the_window_in_order_and_keep_distinct_times():
    config = settings(late_rate=0.03)
    original = events()
    out = dirty(config, frame=original)
    offset = (out["at"].dt.epoch("us") - original["at"].dt.epoch("us")).to_numpy()
    late = offset != 0
    assert abs(late.mean() - 0.03) < tolerance(0.03), late.mean()
    moved = out.filter(pl.Series(late))["at"].dt.epoch("us").to_numpy()
    low = WINDOW[1] + quality.LATE_GAP_DAYS * DAY_US
    assert moved.min() >= low and moved.max() < low + quality.LATE_SPAN_DAYS * DAY_US
    assert (np.diff(moved) >= 0).all()  # late rows keep their order in time
    distinct = original["at"].filter(pl.Series(late)).n_unique()
    assert len(np.unique(moved)) == distinct  # distinct instants stay distinct
    # The date column moves with its row, by whole days, and stays on or after the event's day.
    days = (out["booked_on"] - original["booked_on"]).dt.total_days().to_numpy()
    assert (days[~late] == 0).all() and (days[late] > 0).all()
    assert (out["booked_on"].cast(pl.Int64) * DAY_US >= out["at"].dt.epoch("us") // DAY_US * DAY_US).all()


def test_same_seed_same_dirt_other_seed_other_dirt_and_kinds_independent():
    options = {"nulls": {"events": {"value": 0.1}}, "duplicate_rate": 0.02, "late_rate": 0.02}
    first, again = dirty(settings(**options)), dirty(settings(**options))
    assert_frame_equal(first, again)
    assert not first.equals(dirty(settings(seed=43, **options)))
    assert not first.equals(dirty(settings(**options), chunk=1))
    # Turning duplicates off leaves the late rows and nulls where they were.
    without = dirty(settings(**{**options, "duplicate_rate": 0.0}))
    assert_frame_equal(first.unique(maintain_order=True), without)


def test_with_quality_leaves_clean_tables_alone_and_wraps_the_others():
    producers = [lambda: events(0, 10), lambda: events(10, 10)]
    assert quality.with_quality(settings(), "events", producers) is producers
    wrapped = quality.with_quality(settings(duplicate_rate=0.5), "events", producers)
    assert [frame().height for frame in wrapped] != [10, 10]


def test_manifest_is_in_the_validators_shape():
    config = settings(nulls={"events": {"value": 0.1}}, duplicate_rate=0.02, late_rate=0.01)
    dirty(config)
    manifest = quality.quality_manifest(config)
    assert manifest["nulls"] == {"events.value": 0.1}
    assert manifest["duplicate_rate"] == {"events": 0.02}
    assert manifest["late_rate"] == {"events.at": 0.01, "events.booked_on": 0.01}
    counts = manifest["injected_rows"]["events"]
    assert counts["duplicates"] > 0 and counts["late"] > 0 and counts["nulls"]["value"] > 0
    assert quality.quality_manifest(settings()) is None
    tables = quality.annotate_tables(config, {"events": {"rows": ROWS + counts["duplicates"]}})
    assert tables["events"]["planned_rows"] == ROWS and tables["events"]["duplicate_rows"] == counts["duplicates"]


def parse(*argv: str):
    parser = argparse.ArgumentParser(prog="gen.py")
    parser.add_argument("--seed", type=int, default=1)
    quality.add_quality_arguments(parser, ("events",), {"events": ("at",)})
    args = parser.parse_args(list(argv))
    return quality.quality_settings(parser, args, SCHEMAS, KEYS, ("events",), {"events": ("at",)}, WINDOW)


@pytest.mark.parametrize("argv,message", [
    (["--inject-nulls", "orders.value=0.1"], "no table 'orders'; tables: events"),
    (["--inject-nulls", "events.colour=0.1"], "events has no column 'colour'; columns: event_id, device_id, at, booked_on, value"),
    (["--inject-nulls", "events.device_id=0.1"], "device_id is a key column"),
    (["--inject-nulls", "events.value=0.1", "--inject-nulls", "events.value=0.2"], "given twice"),
    (["--inject-nulls", "events.value"], "expected TABLE.COLUMN=RATE"),
    (["--inject-nulls", "events.value=1.5"], "must be between 0 and 1"),
    (["--duplicate-rate", "0.6"], "--duplicate-rate must be at most 0.5"),
    (["--late-rate", "-0.1"], "must be between 0 and 1"),
])
def test_bad_flags_stop_with_a_message_naming_what_is_valid(argv, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse(*argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_good_flags_give_the_settings():
    config = parse("--inject-nulls", "events.value=0.25", "--duplicate-rate", "0.1", "--late-rate", "0.05")
    assert config.nulls == {"events": {"value": 0.25}} and config.duplicate_rate == 0.1 and config.late_rate == 0.05
    assert config.active("events") and not settings().active("events")
