"""CDC Tier 1 generator: replay onto Delta, feed invariants, measured rates, layout, bad input.

The key test replays the feed onto an empty Delta table with deltalake MERGE, once in the true
order of the changes (sequence_num) and once in the order the files arrive with a sequence
guard, and compares both with the expected_final.parquet the generator writes. Every rate is
measured on generated data (fixed seeds, so the figures are deterministic) against the value
configured, with the tolerance stated next to it: 4 binomial standard errors of the sample
unless said otherwise.
"""

from __future__ import annotations

import json
import math
import os
import runpy
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import SCHEMAS, SCRIPTS, load_script
from polars.testing import assert_frame_equal

cdc = load_script("generators/polars/cdc.py")
SCRIPT = SCRIPTS / "generators" / "polars" / "cdc.py"
PYTHON = sys.executable
KEY = "customer_id"
CUSTOMER_COLUMNS = list(cdc.CUSTOMERS_SCHEMA)
STATE_COLUMNS = list(cdc.STATE_SCHEMA)

# The replay feed: every realism option on, so the replays meet late, repeated and broken rows.
REPLAY_ARGS = ["--rows", "1500", "--batches", "6", "--late-rate", "0.1", "--duplicate-rate", "0.05",
               "--malformed-rate", "0.03", "--seed", "7"]
# The rates feed: 20,000 change events, enough to measure shares to about a percentage point.
RATES = {"update": 0.6, "delete": 0.15, "insert": 0.25, "reinsert": 0.3, "late": 0.08, "duplicate": 0.04, "malformed": 0.02}
RATES_ARGS = ["--rows", "10000", "--batches", "5", "--changes", "4000", "--update-rate", "0.6", "--delete-rate", "0.15",
              "--insert-rate", "0.25", "--reinsert-rate", "0.3", "--late-rate", "0.08", "--duplicate-rate", "0.04",
              "--malformed-rate", "0.02", "--seed", "11", "--format", "parquet"]


def generate(directory: Path, *arguments: str) -> dict:
    return cdc.main(["--output", str(directory), *arguments])


def manifest(directory: Path) -> dict:
    return json.loads((directory / "_manifest.json").read_text())


def parse_feed(frame: pl.DataFrame) -> pl.DataFrame:
    """JSON Lines and CSV carry text: parse every column as its contract type."""
    parsed = []
    for column, dtype in cdc.FEED_SCHEMA.items():
        text = pl.col(column).cast(pl.String)
        if dtype == pl.Datetime("us", "UTC"):
            parsed.append(text.str.to_datetime(time_unit="us", time_zone="UTC").alias(column))
        elif dtype == pl.Date:
            parsed.append(text.str.to_date().alias(column))
        else:
            parsed.append(text.cast(dtype).alias(column))
    return frame.select(parsed)


def read_file(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return parse_feed(pl.read_csv(path, infer_schema=False))
    return parse_feed(pl.read_ndjson(path, schema={column: pl.String for column in cdc.FEED_SCHEMA}))


def read_feed(directory: Path) -> pl.DataFrame:
    """Every feed file in arrival order (the manifest's), with its index (0 = initial) and row."""
    files = manifest(directory)["feed"]["files"]
    return pl.concat([
        read_file(directory / name).with_columns(file=pl.lit(index), row=pl.int_range(pl.len()))
        for index, name in enumerate(files)
    ])


def is_malformed() -> pl.Expr:
    return pl.col("operation").is_null() | pl.col(KEY).is_null() | ~pl.col("operation").is_in(cdc.OPERATIONS)


def changes(feed: pl.DataFrame) -> pl.DataFrame:
    """The valid changes, each once: malformed rows dropped, exact duplicates removed."""
    return feed.filter(~is_malformed()).unique(subset=list(cdc.FEED_SCHEMA), keep="first", maintain_order=True)


def batch_events(feed: pl.DataFrame) -> pl.DataFrame:
    """Valid change events after the initial load, each once (sequence past the initial rows)."""
    initial = feed.filter(pl.col("file") == 0).height
    return changes(feed).filter(pl.col("sequence_num") > initial)


def empty_target(path: Path, schema: dict) -> None:
    from deltalake import write_deltalake

    write_deltalake(str(path), pl.DataFrame(schema=schema).to_arrow())


def sequence_replay(events: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Apply the changes in sequence_num order with MERGE. A MERGE needs one source row per
    key, so the changes go in rounds: round r holds every key's r-th change, and each round is
    applied after the one before, which replays each key's changes one at a time, in order."""
    from deltalake import DeltaTable

    empty_target(path, cdc.STATE_SCHEMA)
    ordered = events.sort("sequence_num").with_columns(round=pl.int_range(pl.len()).over(KEY))
    for number in range(ordered["round"].max() + 1):
        source = ordered.filter(pl.col("round") == number).select(*STATE_COLUMNS, "operation")
        (
            DeltaTable(str(path))
            .merge(source.to_arrow(), predicate=f"t.{KEY} = s.{KEY}", source_alias="s", target_alias="t")
            .when_matched_update_all(predicate="s.operation = 'UPDATE'", except_cols=["operation"])
            .when_matched_delete(predicate="s.operation = 'DELETE'")
            .when_not_matched_insert_all(predicate="s.operation = 'APPEND'", except_cols=["operation"])
            .execute()
        )
    return pl.read_delta(str(path)).sort(KEY)


def arrival_replay(feed: pl.DataFrame, path: Path, guarded: bool = True) -> pl.DataFrame:
    """Apply the files in arrival order, the latest change per key of each file at a time.

    Guarded: a change applies only when its sequence_num is newer than the target row's, and a
    DELETE leaves a tombstone (``deleted``) instead of removing the row, so an older change
    arriving after it is recognised as older (what AUTO CDC's sequencing does). Unguarded: last
    arrival wins and deletes remove rows, which late events break.
    """
    from deltalake import DeltaTable

    empty_target(path, {**cdc.STATE_SCHEMA, "deleted": pl.Boolean})
    values = {column: f"s.{column}" for column in STATE_COLUMNS} | {"deleted": "s.operation = 'DELETE'"}
    for number in range(feed["file"].max() + 1):
        arrived = feed.filter((pl.col("file") == number) & ~is_malformed())
        latest = arrived.sort("sequence_num").group_by(KEY, maintain_order=True).last()
        merge = DeltaTable(str(path)).merge(latest.select(*STATE_COLUMNS, "operation").to_arrow(),
                                            predicate=f"t.{KEY} = s.{KEY}", source_alias="s", target_alias="t")
        if guarded:
            merge = merge.when_matched_update(values, predicate="s.sequence_num > t.sequence_num")
        else:
            merge = merge.when_matched_update(values)
        merge.when_not_matched_insert(values).execute()
    return pl.read_delta(str(path)).filter(~pl.col("deleted")).drop("deleted").sort(KEY)


def expected(directory: Path) -> pl.DataFrame:
    return pl.read_parquet(directory / "expected_final.parquet")


def within(measured: float, configured: float, n: int, sds: float = 4.0) -> bool:
    return abs(measured - configured) <= sds * math.sqrt(configured * (1 - configured) / n)


# ---------------------------------------------------------------------------------------------
# Fixtures: each feed generated once per module
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def replay_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("cdc_replay")
    generate(directory, *REPLAY_ARGS)
    return directory


@pytest.fixture(scope="module")
def replay_feed(replay_dir) -> pl.DataFrame:
    return read_feed(replay_dir)


@pytest.fixture(scope="module")
def rates_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("cdc_rates")
    generate(directory, *RATES_ARGS)
    return directory


@pytest.fixture(scope="module")
def rates_feed(rates_dir) -> pl.DataFrame:
    return read_feed(rates_dir)


# ---------------------------------------------------------------------------------------------
# Replays: the feed applied with MERGE ends exactly in expected_final.parquet
# ---------------------------------------------------------------------------------------------
def test_merge_replay_in_sequence_order_matches_expected_final(replay_dir, replay_feed, tmp_path) -> None:
    events = changes(replay_feed)
    assert events.height < replay_feed.height  # malformed rows and duplicates were there to drop
    replayed = sequence_replay(events, tmp_path / "target")
    assert replayed.height > 1500 * 0.9
    assert_frame_equal(replayed, expected(replay_dir))


def test_merge_replay_in_arrival_order_with_a_sequence_guard_matches_expected_final(replay_dir, replay_feed, tmp_path) -> None:
    assert replay_feed.filter(~is_malformed()).height > changes(replay_feed).height  # duplicates are replayed too
    replayed = arrival_replay(replay_feed, tmp_path / "guarded")
    assert_frame_equal(replayed, expected(replay_dir))


def test_arrival_order_without_the_guard_goes_wrong_on_late_events(replay_dir, replay_feed, tmp_path) -> None:
    # The late events are what makes sequencing necessary: last-arrival-wins ends elsewhere.
    naive = arrival_replay(replay_feed, tmp_path / "naive", guarded=False)
    wrong = naive.join(expected(replay_dir), on=STATE_COLUMNS, how="anti").height
    assert wrong > 10, "late events should leave stale rows when applied in arrival order"


def test_on_time_feed_replays_the_same_in_arrival_order_without_a_guard(tmp_path) -> None:
    # Without late events (the default) files arrive in sequence order: the plain apply is right.
    generate(tmp_path / "feed", "--rows", "400", "--batches", "4", "--seed", "3")
    feed = read_feed(tmp_path / "feed")
    assert_frame_equal(arrival_replay(feed, tmp_path / "naive", guarded=False), expected(tmp_path / "feed"))


def test_expected_scd2_is_the_history_of_the_feed(replay_dir, replay_feed) -> None:
    history = pl.read_parquet(replay_dir / "expected_scd2.parquet")
    assert history.schema == pl.Schema(cdc.SCD2_SCHEMA)
    # Built here from the feed: every APPEND/UPDATE opens a version at its sequence_num, the
    # key's next change (any operation) closes it.
    events = changes(replay_feed).sort(KEY, "sequence_num").with_columns(
        __END_AT=pl.col("sequence_num").shift(-1).over(KEY))
    versions = events.filter(pl.col("operation") != "DELETE").select(
        *STATE_COLUMNS, __START_AT=pl.col("sequence_num"), __END_AT=pl.col("__END_AT"))
    assert_frame_equal(history, versions.sort(KEY, "__START_AT"))
    current = history.filter(pl.col("__END_AT").is_null()).select(STATE_COLUMNS).sort(KEY)
    assert_frame_equal(current, expected(replay_dir))
    assert history["__END_AT"].is_not_null().sum() > 500  # plenty of closed versions
    # Keys deleted for good have no open version: absent from the final state.
    closed_only = history.group_by(KEY).agg(pl.col("__END_AT").is_not_null().all().alias("closed")).filter("closed")
    assert closed_only.height > 20
    assert closed_only.join(expected(replay_dir), on=KEY, how="semi").is_empty()


def test_no_scd2_skips_the_history_file(tmp_path) -> None:
    generate(tmp_path, "--rows", "50", "--batches", "1")
    assert (tmp_path / "expected_scd2.parquet").exists()
    summary = generate(tmp_path, "--rows", "50", "--batches", "1", "--no-scd2")
    assert not (tmp_path / "expected_scd2.parquet").exists()
    assert "expected_scd2" not in summary["tables"]


# ---------------------------------------------------------------------------------------------
# Feed invariants
# ---------------------------------------------------------------------------------------------
def test_updates_and_deletes_touch_only_keys_that_exist_at_that_point(replay_feed, rates_feed) -> None:
    for feed in (replay_feed, rates_feed):
        ordered = changes(feed).sort(KEY, "sequence_num").with_columns(before=pl.col("operation").shift(1).over(KEY))
        exists_before = pl.col("before").is_not_null() & (pl.col("before") != "DELETE")
        needs_key = ordered.filter(pl.col("operation").is_in(["UPDATE", "DELETE"]))
        assert needs_key.filter(~exists_before).is_empty()
        appends = ordered.filter(pl.col("operation") == "APPEND")
        assert appends.filter(exists_before).is_empty()  # an APPEND is a new key or a re-insert
        reinserts = appends.filter(pl.col("before") == "DELETE")
        assert reinserts.height > 10


def test_sequence_num_is_never_null_unique_per_key_and_orders_time(replay_feed, rates_feed) -> None:
    for feed in (replay_feed, rates_feed):
        assert feed["sequence_num"].null_count() == 0  # malformed rows included
        assert feed["operation_ts"].null_count() == 0
        distinct = feed.unique(subset=list(cdc.FEED_SCHEMA))
        assert distinct["sequence_num"].is_unique().all()  # one change per sequence value: per key too
        ordered = distinct.sort("sequence_num")
        assert ordered["operation_ts"].is_sorted()
        initial = feed.filter(pl.col("file") == 0)
        assert initial["sequence_num"].to_list() == list(range(1, initial.height + 1))
        assert (initial["operation"] == "APPEND").all()
        assert (initial["operation_ts"] == datetime(2024, 1, 1, tzinfo=UTC)).all()
        # Per key, times strictly increase too: operation_ts could sequence the valid changes.
        per_key = changes(feed).sort(KEY, "sequence_num").with_columns(previous=pl.col("operation_ts").shift(1).over(KEY))
        assert per_key.filter(pl.col("operation_ts") <= pl.col("previous")).is_empty()
        assert ordered["operation_ts"].max() <= datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_batches_cover_2024_in_order_and_late_rows_keep_their_time(replay_dir, replay_feed) -> None:
    batches = 6
    edges = [cdc.batch_window(batch, batches) for batch in range(1, batches + 1)]
    on_time = batch_events(replay_feed)
    moment = on_time["operation_ts"].dt.epoch("us").to_numpy()
    true_batch = np.searchsorted([end for _, end in edges], moment) + 1
    arrived = on_time["file"].to_numpy()
    assert (arrived >= true_batch).all()  # never early
    late = arrived > true_batch
    assert late.any() and (late == (arrived != true_batch)).all()


def test_updates_change_realistic_fields(rates_feed) -> None:
    ordered = changes(rates_feed).sort(KEY, "sequence_num")
    previous = ordered.select(pl.all().shift(1).over(KEY).name.prefix("old_"))
    updates = pl.concat([ordered, previous], how="horizontal").filter(pl.col("operation") == "UPDATE")
    changed = {column: updates[column].ne_missing(updates[f"old_{column}"]) for column in CUSTOMER_COLUMNS}
    assert not changed[KEY].any()
    for column in ("first_name", "signup_date", "lifetime_value"):
        assert not changed[column].any(), column
    assert pl.DataFrame(changed).select(pl.any_horizontal(pl.all())).to_series().all()  # every update changes something

    # Kind of each update: a new last name, else a move, else a new e-mail, else phone, else tier.
    kind = np.select(
        [changed["last_name"].to_numpy(), changed["street_address"].to_numpy(), changed["email"].to_numpy(),
         changed["phone"].to_numpy(), changed["loyalty_tier"].to_numpy()],
        ["last_name", "address", "email", "phone", "loyalty_tier"], default="none")
    n = updates.height
    total = sum(cdc.UPDATE_KINDS.values())
    for name, weight in cdc.UPDATE_KINDS.items():
        share = float((kind == name).mean())
        # 4 standard errors; a phone change is also the safety net of the rare no-op move (+0.3 points).
        slack = 0.003 if name == "phone" else 0.0
        assert abs(share - weight / total) <= 4 * math.sqrt(weight / total * (1 - weight / total) / n) + slack, (name, share)

    moves = updates.filter(pl.Series(kind == "address"))
    places = cdc.us_places()
    joined = moves.join(places, on=["city", "state"], how="left")
    assert joined["region"].eq(joined["region_right"]).all()  # region follows the state
    postal = joined["postal_code"].cast(pl.Int64)
    assert ((postal >= joined["zip_low"]) & (postal <= joined["zip_high"])).all()  # ZIP inside the city
    assert moves["city"].ne(moves["old_city"]).mean() > 0.9  # a move mostly changes city too

    # Name changes: name and e-mail follow the new last name.
    renamed = updates.filter(pl.Series(kind == "last_name"))
    assert (renamed["name"] == renamed["first_name"] + " " + renamed["last_name"]).all()
    assert renamed["email"].ne(renamed["old_email"]).mean() > 0.95
    assert updates["email"].str.contains(r"^[a-z0-9._-]+@example\.(com|net|org)$").all()
    assert updates["phone"].drop_nulls().str.contains(r"^\([2-9][0-9]{2}\) 555-01[0-9]{2}$").all()

    # Tier moves: one step 95% (80% up, 15% down), two steps 5%; reflection keeps the size.
    tiers = {name: index for index, name in enumerate(cdc.LOYALTY_TIERS)}
    tier_moves = updates.filter(pl.Series(kind == "loyalty_tier"))
    step = (tier_moves["loyalty_tier"].replace_strict(tiers) - tier_moves["old_loyalty_tier"].replace_strict(tiers)).to_numpy()
    m = step.size
    assert m > 1000
    assert within(float((np.abs(step) == 1).mean()), 0.95, m)
    assert within(float((np.abs(step) == 2).mean()), 0.05, m)
    assert (step > 0).mean() > 0.6  # mostly upgrades (reflection at Platinum turns some down)


def test_new_customers_and_reinserts(rates_feed) -> None:
    initial_rows = rates_feed.filter(pl.col("file") == 0).height
    ordered = changes(rates_feed).sort(KEY, "sequence_num")
    with_before = pl.concat([ordered, ordered.select(pl.all().shift(1).over(KEY).name.prefix("old_"))], how="horizontal")
    appends = with_before.filter((pl.col("operation") == "APPEND") & (pl.col("sequence_num") > initial_rows))
    new = appends.filter(pl.col("old_operation").is_null())
    # New keys continue after the initial load, each once, and sign up on the day of their APPEND.
    assert new[KEY].min() == cdc.FIRST_ID + initial_rows
    assert sorted(new[KEY]) == list(range(cdc.FIRST_ID + initial_rows, cdc.FIRST_ID + initial_rows + new.height))
    assert (new["signup_date"] == new["operation_ts"].dt.date()).all()
    # A re-insert brings the deleted customer back with the values it was deleted with.
    back = appends.filter(pl.col("old_operation") == "DELETE")
    assert back.height > 100
    for column in CUSTOMER_COLUMNS:
        assert back[column].eq_missing(back[f"old_{column}"]).all(), column
    initial = rates_feed.filter(pl.col("file") == 0)
    assert initial["signup_date"].max() <= datetime(2023, 12, 31).date()


def test_operation_shares_and_injection_rates_match_the_settings(rates_dir, rates_feed) -> None:
    events = batch_events(rates_feed)
    n = events.height
    assert n == 5 * 4000
    ops = events["operation"].value_counts().rows()
    shares = {op: count / n for op, count in ops}
    assert within(shares["UPDATE"], RATES["update"], n)
    assert within(shares["DELETE"], RATES["delete"], n)
    assert within(shares["APPEND"], RATES["insert"], n)

    ordered = changes(rates_feed).sort(KEY, "sequence_num").with_columns(before=pl.col("operation").shift(1).over(KEY))
    inserts = ordered.filter((pl.col("operation") == "APPEND") & (pl.col("sequence_num") > 10_000))
    reinserted = inserts.filter(pl.col("before") == "DELETE").height
    # Re-inserts need a deleted key; with 15% deletes there always is one after the first step.
    assert within(reinserted / inserts.height, RATES["reinsert"], inserts.height)

    # Late: share of the events of batches 1..K-1 that arrive in a later file.
    edges = [end for _, end in (cdc.batch_window(batch, 5) for batch in range(1, 6))]
    arrivals = rates_feed.filter(~is_malformed() & (pl.col("sequence_num") > 10_000)).unique(
        subset=list(cdc.FEED_SCHEMA), keep="first", maintain_order=True)
    true_batch = np.searchsorted(edges, arrivals["operation_ts"].dt.epoch("us").to_numpy()) + 1
    eligible = true_batch < 5
    late = (arrivals["file"].to_numpy() > true_batch)[eligible]
    assert within(float(late.mean()), RATES["late"], late.size)

    valid_rows = rates_feed.filter(~is_malformed() & (pl.col("file") > 0)).height
    duplicates = valid_rows - n
    assert within(duplicates / n, RATES["duplicate"], n)
    malformed = rates_feed.filter(is_malformed())
    assert within(malformed.height / n, RATES["malformed"], n)
    null_operation = malformed["operation"].null_count() / malformed.height
    assert within(null_operation, cdc.MALFORMED_NULL_OPERATION, malformed.height)
    assert malformed.filter(pl.col("operation").is_null() & pl.col(KEY).is_null()).is_empty()  # one defect each
    assert malformed.filter(pl.col("file") == 0).is_empty()  # the initial load is clean

    counts = manifest(rates_dir)["feed"]["counts"]
    assert counts["updates"] == events.filter(pl.col("operation") == "UPDATE").height
    assert counts["deletes"] == events.filter(pl.col("operation") == "DELETE").height
    assert counts["inserts"] + counts["reinserts"] == inserts.height
    assert counts["reinserts"] == reinserted
    assert counts["late"] == int(late.sum())
    assert (counts["duplicates"], counts["malformed"]) == (duplicates, malformed.height)


def test_realism_options_are_off_by_default(tmp_path) -> None:
    generate(tmp_path, "--rows", "2000", "--batches", "3")
    feed = read_feed(tmp_path)
    assert feed.filter(is_malformed()).is_empty()
    assert feed.height == feed.unique(subset=list(cdc.FEED_SCHEMA)).height
    assert feed["sequence_num"].is_sorted()  # files in order, rows in order: nothing late
    counts = manifest(tmp_path)["feed"]["counts"]
    assert counts["late"] == counts["duplicates"] == counts["malformed"] == 0
    events = batch_events(feed)
    assert events.height == 3 * 200  # 10% of --rows per batch
    shares = {op: count / events.height for op, count in events["operation"].value_counts().rows()}
    assert within(shares["UPDATE"], 0.7, events.height)
    assert within(shares["DELETE"], 0.1, events.height)
    assert "quality_injections" not in manifest(tmp_path)


def test_missing_operation_shares_take_the_rest_in_default_proportion(tmp_path) -> None:
    summary = generate(tmp_path, "--rows", "100", "--batches", "1", "--delete-rate", "0.2", "--dry-run")
    assert summary["rates"]["delete"] == 0.2
    assert summary["rates"]["update"] == pytest.approx(0.8 * 0.7 / 0.9)
    assert summary["rates"]["insert"] == pytest.approx(0.8 * 0.2 / 0.9)


def test_a_table_emptied_by_deletes_refills_with_inserts(tmp_path) -> None:
    generate(tmp_path, "--rows", "20", "--batches", "3", "--changes", "40", "--update-rate", "0", "--delete-rate", "1",
             "--insert-rate", "0")
    feed = read_feed(tmp_path)
    events = batch_events(feed)
    assert events.height == 3 * 40
    assert events.filter(pl.col("operation") == "APPEND").height > 0  # deletes past the last key became inserts
    assert_frame_equal(sequence_replay(changes(feed), tmp_path / "target"), expected(tmp_path))


# ---------------------------------------------------------------------------------------------
# Files: layout, formats, contracts, manifest
# ---------------------------------------------------------------------------------------------
def test_file_layout_and_manifest(replay_dir) -> None:
    names = sorted(p.name for p in replay_dir.iterdir())
    feed_files = ["initial.json"] + [f"batch_{batch:03d}.json" for batch in range(1, 7)]
    assert names == sorted([*feed_files, "expected_final.parquet", "expected_scd2.parquet", "_manifest.json"])
    recorded = manifest(replay_dir)
    assert recorded["generator"] == "scripts/generators/polars/cdc.py"
    assert (recorded["industry"], recorded["seed"], recorded["format"]) == ("cdc", 7, "json")
    assert recorded["feed"]["files"] == feed_files
    assert recorded["arguments"]["late_rate"] == 0.1
    assert {"polars", "numpy", "mimesis"} <= set(recorded["versions"])
    for name, info in recorded["tables"].items():
        path = replay_dir / info["path"]
        assert info["bytes"] == path.stat().st_size
        assert info["rows"] == (read_file(path) if name.startswith(("initial", "batch_")) else pl.read_parquet(path)).height
    assert recorded["tables"]["expected_final"]["rows"] == expected(replay_dir).height
    # Which contract each file follows: what a validator needs to map the feed layout.
    assert {name: info.get("contract") for name, info in recorded["tables"].items()} == {
        **{Path(name).stem: "customer_changes" for name in feed_files},
        "expected_final": "customers_current", "expected_scd2": None}
    # The DDL Auto Loader's .schema() takes: every column, Spark types.
    ddl = recorded["feed"]["spark_schema"]
    assert ddl.startswith("customer_id BIGINT, first_name STRING")
    assert "lifetime_value DECIMAL(12,2)" in ddl and ddl.endswith("sequence_num BIGINT, operation_ts TIMESTAMP")
    assert recorded["quality_injections"] == {
        "nulls": {"customer_changes.operation": 0.03, "customer_changes.customer_id": 0.03},
        "duplicate_rate": {"customer_changes": 0.05},
    }


def test_batch_names_are_zero_padded_to_sort_in_order() -> None:
    assert cdc.batch_name(1, 10) == "batch_001"
    assert cdc.batch_name(42, 999) == "batch_042"
    assert cdc.batch_name(7, 1500) == "batch_0007"
    names = [cdc.batch_name(batch, 1500) for batch in range(1, 1501)]
    assert names == sorted(names)


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_formats_read_back_with_polars_and_hold_the_same_feed(tmp_path, fmt) -> None:
    arguments = ["--rows", "300", "--batches", "2", "--duplicate-rate", "0.1", "--malformed-rate", "0.1", "--seed", "5"]
    generate(tmp_path / "parquet", *arguments, "--format", "parquet")
    generate(tmp_path / fmt, *arguments, "--format", fmt)
    feed_files = sorted(p.name for p in (tmp_path / fmt).iterdir() if cdc.FEED_FILE.match(p.name))
    assert feed_files == [f"batch_001.{fmt}", f"batch_002.{fmt}", f"initial.{fmt}"]
    reference = read_feed(tmp_path / "parquet")
    assert reference.schema == pl.Schema({**cdc.FEED_SCHEMA, "file": pl.Int32, "row": pl.Int64})
    assert_frame_equal(read_feed(tmp_path / fmt), reference)
    assert_frame_equal(expected(tmp_path / fmt), expected(tmp_path / "parquet"))


def test_json_lines_are_what_auto_loader_reads(replay_dir) -> None:
    lines = (replay_dir / "batch_001.json").read_text().splitlines()
    first = json.loads(lines[0])
    assert list(first) == list(cdc.FEED_SCHEMA)
    assert isinstance(first["sequence_num"], int) and isinstance(first[KEY], int)
    assert first["operation_ts"].endswith("+00:00")  # an offset: a UTC instant for TIMESTAMP
    assert all(json.loads(line)["operation"] in (*cdc.OPERATIONS, None) for line in lines)


def validation_folder(source: Path, feed_file: str, target: Path) -> Path:
    """One feed file as table customer_changes beside expected_final as customers_current, with
    the run's quality injections: the layout the validator reads today (one file per table)."""
    target.mkdir()
    extension = Path(feed_file).suffix
    shutil.copy(source / feed_file, target / f"customer_changes{extension}")
    shutil.copy(source / "expected_final.parquet", target / "customers_current.parquet")
    recorded = manifest(source)
    tables = {
        "customer_changes": {"path": f"customer_changes{extension}", "rows": recorded["tables"][Path(feed_file).stem]["rows"]},
        "customers_current": {"path": "customers_current.parquet", "rows": recorded["tables"]["expected_final"]["rows"]},
    }
    slim = {"industry": "cdc", "tables": tables, **({"quality_injections": recorded["quality_injections"]}
                                                    if "quality_injections" in recorded else {})}
    (target / "_manifest.json").write_text(json.dumps(slim))
    return target


def test_every_feed_file_and_the_final_state_match_their_contracts(replay_dir, tmp_path) -> None:
    validate = load_script("utils/validate.py")
    injected = set()
    for index, name in enumerate(manifest(replay_dir)["feed"]["files"]):
        folder = validation_folder(replay_dir, name, tmp_path / f"check_{index}")
        result = validate.validate_directory(folder, industry="cdc")
        assert result.ok, f"{name}:\n{result}"
        assert set(result.tables) == {"customer_changes", "customers_current"}
        injected |= {note.check for note in result.notes if "injected" in note.message}
    assert injected == {"nullable", "pk"}  # null operations/keys and duplicates, reported as injected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_other_formats_and_a_non_latin_locale_match_the_contracts(tmp_path, fmt) -> None:
    validate = load_script("utils/validate.py")
    generate(tmp_path / "feed", "--rows", "300", "--batches", "2", "--format", fmt, "--locale", "ru", "--seed", "9")
    for name in ("initial", "batch_002"):
        result = validate.validate_directory(validation_folder(tmp_path / "feed", f"{name}.{fmt}", tmp_path / name), industry="cdc")
        assert result.ok, str(result)


def test_the_validator_catches_a_broken_feed(replay_dir, tmp_path) -> None:
    # Not a test that cannot fail: an operation outside APPEND/UPDATE/DELETE is reported.
    validate = load_script("utils/validate.py")
    folder = validation_folder(replay_dir, "batch_002.json", tmp_path / "broken")
    text = (folder / "customer_changes.json").read_text().replace('"operation":"UPDATE"', '"operation":"MERGE"', 1)
    (folder / "customer_changes.json").write_text(text)
    result = validate.validate_directory(folder, industry="cdc")
    assert not result.ok
    assert [(finding.column, finding.check) for finding in result.errors] == [("operation", "values")]


def test_contracts_describe_the_generated_columns() -> None:
    feed = json.loads((SCHEMAS / "cdc_customer_change.json").read_text())
    current = json.loads((SCHEMAS / "cdc_customer_current.json").read_text())
    retail = json.loads((SCHEMAS / "retail_customer.json").read_text())
    retail_types = [(column["name"], column["type"]) for column in retail["columns"]]
    change_types = [("operation", "string"), ("sequence_num", "bigint"), ("operation_ts", "timestamp")]
    assert [(column["name"], column["type"]) for column in feed["columns"]] == retail_types + change_types
    assert [(column["name"], column["type"]) for column in current["columns"]] == retail_types + change_types[1:]
    assert list(cdc.FEED_SCHEMA) == [name for name, _ in retail_types + change_types]
    assert next(c for c in feed["columns"] if c["name"] == "operation")["values"] == list(cdc.OPERATIONS)


# ---------------------------------------------------------------------------------------------
# Reproducibility, re-runs, command line
# ---------------------------------------------------------------------------------------------
def test_same_seed_same_feed_and_different_seed_differs(tmp_path) -> None:
    arguments = ["--rows", "500", "--batches", "3", "--late-rate", "0.2", "--duplicate-rate", "0.1", "--malformed-rate", "0.05"]
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        generate(tmp_path / name, *arguments, "--seed", seed)
    files = [p.name for p in sorted((tmp_path / "a").iterdir()) if p.name != "_manifest.json"]
    assert len(files) == 6
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert all((tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes() for name in files)


def test_a_rerun_removes_feed_files_of_the_earlier_run(tmp_path) -> None:
    generate(tmp_path, "--rows", "50", "--batches", "5")
    (tmp_path / "notes.txt").write_text("mine")
    generate(tmp_path, "--rows", "50", "--batches", "2")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["_manifest.json", "batch_001.json", "batch_002.json", "expected_final.parquet",
                     "expected_scd2.parquet", "initial.json", "notes.txt"]
    generate(tmp_path, "--rows", "50", "--batches", "2", "--format", "csv")
    feed_files = sorted(p.name for p in tmp_path.iterdir() if cdc.FEED_FILE.match(p.name))
    assert feed_files == ["batch_001.csv", "batch_002.csv", "initial.csv"]  # the JSON feed is gone


def test_a_volume_style_output_path_is_created(tmp_path) -> None:
    volume = tmp_path / "Volumes" / "main" / "default" / "landing" / "cdc" / "customers"
    summary = generate(volume, "--rows", "20", "--batches", "1")
    assert summary["output"] == str(volume)
    assert (volume / "initial.json").is_file() and (volume / "batch_001.json").is_file()


def test_dry_run_writes_nothing(tmp_path) -> None:
    report = generate(tmp_path / "out", "--rows", "1000", "--batches", "4", "--duplicate-rate", "0.1", "--dry-run")
    assert not (tmp_path / "out").exists()
    assert report["files"] == ["initial.json", "batch_001.json", "batch_002.json", "batch_003.json", "batch_004.json"]
    assert report["rows"] == {"initial": 1000, "changes_per_batch": 100, "feed_rows": 1440}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--rows", "0"], "--rows: must be at least 1"),
        (["--batches", "0"], "--batches: must be at least 1"),
        (["--changes", "ten"], "--changes: expected a whole number"),
        (["--late-rate", "1.5"], "--late-rate: must be between 0 and 1"),
        (["--duplicate-rate", "-0.1"], "--duplicate-rate: must be between 0 and 1"),
        (["--update-rate", "0.8", "--delete-rate", "0.3"], "add up to 1.1: the operation shares must add up to 1 at most"),
        (["--update-rate", "0.5", "--delete-rate", "0.1", "--insert-rate", "0.1"], "add up to 0.7, not 1"),
        (["--format", "delta"], "invalid choice: 'delta'"),
        (["--table", "orders"], "invalid choice: 'orders'"),
    ],
)
def test_bad_input_is_a_clear_error(arguments, message, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cdc.main(["--dry-run", *arguments])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_output_that_is_a_file_is_a_clear_error_and_nothing_is_written(tmp_path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    run = subprocess.run([PYTHON, str(SCRIPT), "--rows", "10", "--output", str(target)], capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert "is a file, not a folder" in run.stderr and "Traceback" not in run.stderr
    assert target.read_text() == "x"


def test_script_runs_standalone_with_help_and_a_pep723_header(tmp_path) -> None:
    source = SCRIPT.read_text()
    assert source.startswith("# /// script\n") and '"polars>=2.1,<2.2"' in source
    run = subprocess.run([PYTHON, str(SCRIPT), "--help"], capture_output=True, text=True, check=False)
    assert run.returncode == 0
    for flag in ("--batches", "--changes", "--update-rate", "--late-rate", "--duplicate-rate", "--malformed-rate", "--no-scd2"):
        assert flag in run.stdout
    run = subprocess.run([PYTHON, str(SCRIPT), "--rows", "30", "--batches", "2", "--output", str(tmp_path / "out")],
                         capture_output=True, text=True, check=False, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["tables"]["initial"]["rows"] == 30
    # Pools are sorted, so the hash seed does not change the data.
    generate(tmp_path / "here", "--rows", "30", "--batches", "2")
    for name in ("initial.json", "batch_002.json", "expected_final.parquet"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


# ---------------------------------------------------------------------------------------------
# The guide (references/cdc-patterns.md): its command, its schema and its replay check
# ---------------------------------------------------------------------------------------------
GUIDE = SCRIPTS.parent / "references" / "cdc-patterns.md"


def guide_blocks(language: str) -> list[str]:
    """Fenced blocks of the guide whose info string is exactly ``language``."""
    blocks, current, inside = [], [], None
    for line in GUIDE.read_text().splitlines():
        if inside is None and line.startswith("```") and len(line) > 3:
            inside, current = line[3:].strip(), []
        elif inside is not None and line.startswith("```"):
            if inside == language:
                blocks.append("\n".join(current))
            inside = None
        elif inside is not None:
            current.append(line)
    return blocks


def run_guide_replay_block(directory: Path) -> dict:
    """Run the guide's Tier 1 block as a script in ``directory`` (its FEED is out/cdc there)."""
    (replay_block,) = guide_blocks("python")
    script = directory / "guide_replay.py"
    script.write_text(replay_block)
    return runpy.run_path(str(script), run_name="__main__")


def test_the_guide_command_runs_and_writes_the_layout_it_describes(tmp_path) -> None:
    command = guide_blocks("bash")[0].replace("\\\n", " ").split()
    assert command[:3] == ["uv", "run", "${CLAUDE_SKILL_DIR}/scripts/generators/polars/cdc.py"]
    arguments = command[3:]
    arguments[arguments.index("--output") + 1] = str(tmp_path / "customers")
    summary = cdc.main(arguments)
    assert summary["tables"]["initial"]["rows"] == 10_000
    assert sorted(p.name for p in (tmp_path / "customers").iterdir())[:3] == ["_manifest.json", "batch_001.json", "batch_002.json"]
    assert (tmp_path / "customers" / "batch_010.json").is_file()


def test_the_guide_schema_is_the_generators(replay_dir) -> None:
    ddl = manifest(replay_dir)["feed"]["spark_schema"]
    assert ddl == cdc.spark_schema(cdc.FEED_SCHEMA)
    for block in guide_blocks("python databricks")[:2]:
        declared = "".join(part for part in block.split('FEED_SCHEMA = (')[1].split(")\n")[0].split('"')[1::2])
        assert declared == ddl
    assert f"schema => '{ddl}'" in guide_blocks("sql")[0]


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_the_guide_replay_check_passes_on_generated_feeds(tmp_path, fmt, monkeypatch) -> None:
    generate(tmp_path / "out" / "cdc", *REPLAY_ARGS, "--format", fmt)
    monkeypatch.chdir(tmp_path)
    namespace = run_guide_replay_block(tmp_path)
    replayed = namespace["replay"](Path("out/cdc"), tmp_path / "target")
    assert_frame_equal(replayed, expected(tmp_path / "out" / "cdc"))


def test_the_guide_replay_check_fails_on_a_wrong_expected_table(tmp_path, monkeypatch) -> None:
    generate(tmp_path / "out" / "cdc", "--rows", "200", "--batches", "2")
    wrong = expected(tmp_path / "out" / "cdc").with_columns(pl.col("loyalty_tier").reverse())
    wrong.write_parquet(tmp_path / "out" / "cdc" / "expected_final.parquet")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="does not end in expected_final"):
        run_guide_replay_block(tmp_path)


@pytest.mark.spark
def test_spark_reads_the_feed_with_the_manifest_schema_and_glob(spark, replay_dir, replay_feed, tmp_path) -> None:
    """What the guide tells Auto Loader, checked with local Spark's file source (same options)."""
    ddl = manifest(replay_dir)["feed"]["spark_schema"]
    glob = "{initial,batch_}*.json"
    feed = spark.read.schema(ddl).option("mode", "FAILFAST").option("pathGlobFilter", glob).json(str(replay_dir))
    assert feed.count() == replay_feed.height
    # Every decimal and timestamp parsed (FAILFAST would raise on a malformed line).
    assert feed.filter("lifetime_value IS NULL OR operation_ts IS NULL OR signup_date IS NULL").count() == 0
    latest = feed.orderBy("sequence_num", ascending=False).first()
    assert latest["sequence_num"] == replay_feed["sequence_num"].max()
    assert latest["operation_ts"] == replay_feed.sort("sequence_num")["operation_ts"][-1].replace(tzinfo=None)
    # Without the glob the expected_*.parquet files beside the feed come in as junk rows.
    assert spark.read.schema(ddl).json(str(replay_dir)).count() > feed.count()
    # The streaming read and the de-duplication of the Python view (few state partitions: a small test).
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    try:
        stream = spark.readStream.schema(ddl).option("pathGlobFilter", glob).json(str(replay_dir))
        query = (stream.dropDuplicates(["customer_id", "sequence_num"]).writeStream.format("memory")
                 .queryName("cdc_changes").trigger(availableNow=True)
                 .option("checkpointLocation", str(tmp_path / "checkpoint")).start())
        query.awaitTermination()
        assert spark.table("cdc_changes").count() == replay_feed.unique(subset=list(cdc.FEED_SCHEMA)).height
        # SELECT DISTINCT over a stream is an aggregation: refused in append mode (the guide's SQL note).
        stream.createOrReplaceTempView("cdc_feed")
        with pytest.raises(Exception, match="STREAMING_OUTPUT_MODE"):
            spark.sql("SELECT DISTINCT * FROM cdc_feed").writeStream.format("memory").queryName("cdc_distinct") \
                .option("checkpointLocation", str(tmp_path / "checkpoint2")).start()
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", partitions)
        spark.catalog.dropTempView("cdc_feed")
        spark.catalog.dropTempView("cdc_changes")


def test_validator_checks_the_feed_folder_as_written(tmp_path):
    """validate.py reads initial + batches as one feed table (manifest `feed`) and expected_final
    under its own contract; a planted bad operation in one batch is caught."""
    validate = load_script("utils/validate.py")
    generate(tmp_path, "--rows", "300", "--batches", "3")
    clean = validate.validate_directory(tmp_path)
    assert clean.ok, str(clean)
    assert clean.industry == "cdc"
    batch = tmp_path / "batch_002.json"
    lines = batch.read_text().splitlines()
    row = json.loads(lines[0])
    row["operation"] = "UPSERT"
    lines[0] = json.dumps(row)
    batch.write_text("\n".join(lines) + "\n")
    planted = validate.validate_directory(tmp_path)
    assert not planted.ok
    assert any(f.check == "values" and f.column == "operation" and f.count == 1 for f in planted.errors), str(planted)
