"""Spark CDC generator (scripts/generators/cdc.py) on real local Spark, classic and over Connect.

One feed with every realism option on is generated once on the classic local[2] session and read
back as Auto Loader would read it (Spark, the manifest's DDL). The key test replays it onto an
empty Delta table with deltalake MERGE in sequence_num order and compares with expected_final/
exactly. Every rate is measured on that feed (fixed seed, so the figures are deterministic)
against the value configured, with the tolerance stated next to it: 4 binomial standard errors
unless said otherwise. The same arguments over a local Spark Connect server, with other
partitions and another format, must give the very same rows.
"""

from __future__ import annotations

import ast
import json
import math
import os
import runpy
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import SCHEMAS, SCRIPTS, load_script
from polars.testing import assert_frame_equal

cdc = load_script("generators/cdc.py")
tier1 = load_script("generators/polars/cdc.py")
SCRIPT = SCRIPTS / "generators" / "cdc.py"
KEY = "customer_id"
CUSTOMER_COLUMNS = list(cdc.CUSTOMER_COLUMNS)
STATE_COLUMNS = list(cdc.STATE_COLUMNS)

# The feed: 4 batches of 2,500 events over 4,000 customers, every realism option on, so the
# replays meet late, repeated and broken rows and the shares can be measured to a few points.
RATES = {"update": 0.6, "delete": 0.15, "insert": 0.25, "reinsert": 0.3, "late": 0.08, "duplicate": 0.04, "malformed": 0.02}
FEED_ARGS = ["--rows", "4000", "--batches", "4", "--changes", "2500", "--update-rate", "0.6", "--delete-rate", "0.15",
             "--insert-rate", "0.25", "--reinsert-rate", "0.3", "--late-rate", "0.08", "--duplicate-rate", "0.04",
             "--malformed-rate", "0.02", "--seed", "11"]  # fmt: skip
BATCHES = 4


def run_generator(spark, directory: Path, *args: str) -> dict:
    _, arguments = cdc.parse_args([*args, "--output", str(directory)])
    return cdc.generate(spark, arguments)


def manifest(directory: Path) -> dict:
    return json.loads((directory / "_manifest.json").read_text())


def parse_text(frame: pl.DataFrame) -> pl.DataFrame:
    """JSON Lines and CSV carry text: parse every column as its contract type (as the validator does)."""
    parsed = []
    for column, dtype in tier1.FEED_SCHEMA.items():
        text = pl.col(column).cast(pl.String)
        if dtype == pl.Datetime("us", "UTC"):
            parsed.append(text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.6fZ", time_unit="us", time_zone="UTC").alias(column))
        elif dtype == pl.Date:
            parsed.append(text.str.to_date().alias(column))
        else:
            parsed.append(text.cast(dtype).alias(column))
    return frame.select(parsed)


def read_folder(directory: Path, name: str, fmt: str) -> pl.DataFrame:
    """One delivery folder's part files, read with Polars (tests of Spark's own read: below)."""
    parts = sorted((directory / name).glob("part-*"))
    if fmt == "parquet":
        return pl.concat([pl.read_parquet(part) for part in parts])
    if fmt == "csv":
        return parse_text(pl.concat([pl.read_csv(part, infer_schema=False) for part in parts if part.stat().st_size]))
    text = {column: pl.String for column in tier1.FEED_SCHEMA}
    return parse_text(pl.concat([pl.read_ndjson(part, schema=text) for part in parts]))


def read_feed(directory: Path) -> pl.DataFrame:
    """Every folder of the feed in arrival order, with its index (0 = initial)."""
    recorded = manifest(directory)
    return pl.concat([read_folder(directory, name, recorded["format"]).with_columns(file=pl.lit(index))
                      for index, name in enumerate(recorded["feed"]["files"])])


def expected(directory: Path, name: str = "expected_final") -> pl.DataFrame:
    return pl.read_parquet(directory / name / "*.parquet").sort(KEY, *(["__START_AT"] if name == "expected_scd2" else []))


def is_malformed() -> pl.Expr:
    return pl.col("operation").is_null() | pl.col(KEY).is_null() | ~pl.col("operation").is_in(cdc.OPERATIONS)


def changes(feed: pl.DataFrame) -> pl.DataFrame:
    """The valid changes, each once: malformed rows dropped, exact duplicates removed."""
    return feed.filter(~is_malformed()).drop("file").unique(maintain_order=True)


def batch_events(feed: pl.DataFrame) -> pl.DataFrame:
    """Valid change events after the initial load, each once, with the folder they landed in first."""
    initial = feed.filter(pl.col("file") == 0).height
    return (feed.filter(~is_malformed() & (pl.col("sequence_num") > initial))
            .unique(subset=list(cdc.FEED_COLUMNS), keep="first", maintain_order=True))


def empty_target(path: Path, schema: dict) -> None:
    from deltalake import write_deltalake

    write_deltalake(str(path), pl.DataFrame(schema=schema).to_arrow())


def sequence_replay(events: pl.DataFrame, path: Path, schema: dict) -> pl.DataFrame:
    """Apply the changes in sequence_num order with MERGE, in rounds (round r holds every key's
    r-th change: a MERGE wants one source row per key), as tests/test_polars_cdc.py does."""
    from deltalake import DeltaTable

    empty_target(path, schema)
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


def arrival_replay(feed: pl.DataFrame, path: Path, schema: dict, guarded: bool = True) -> pl.DataFrame:
    """Apply the folders in arrival order, the latest change per key of each at a time; guarded: a
    change applies only when newer than the target row, deletes leave tombstones (AUTO CDC's
    sequencing); unguarded: last arrival wins."""
    from deltalake import DeltaTable

    empty_target(path, {**schema, "deleted": pl.Boolean})
    values = {column: f"s.{column}" for column in STATE_COLUMNS} | {"deleted": "s.operation = 'DELETE'"}
    for number in range(feed["file"].max() + 1):
        arrived = feed.filter((pl.col("file") == number) & ~is_malformed())
        latest = arrived.sort("sequence_num").group_by(KEY, maintain_order=True).last()
        merge = DeltaTable(str(path)).merge(latest.select(*STATE_COLUMNS, "operation").to_arrow(),
                                            predicate=f"t.{KEY} = s.{KEY}", source_alias="s", target_alias="t")
        merge = merge.when_matched_update(values, predicate="s.sequence_num > t.sequence_num" if guarded else None)
        merge.when_not_matched_insert(values).execute()
    return pl.read_delta(str(path)).filter(~pl.col("deleted")).drop("deleted").sort(KEY)


def within(measured: float, configured: float, n: int, sds: float = 4.0) -> bool:
    return abs(measured - configured) <= sds * math.sqrt(configured * (1 - configured) / n)


def validator(directory: Path):
    return load_script("utils/validate.py").validate_directory(directory)


# --- The file itself (no Spark) -------------------------------------------------------------------


def notebook_cells() -> list[str]:
    """Cells as Databricks splits a Python notebook source file."""
    text = SCRIPT.read_text()
    assert text.startswith("# Databricks notebook source\n")
    return text.removeprefix("# Databricks notebook source\n").split("\n# COMMAND ----------\n")


def test_file_is_a_databricks_notebook_whose_cells_compile():
    assert "# /// script" not in SCRIPT.read_text()  # pyspark and databricks-connect never share an env
    cells = notebook_cells()
    assert len(cells) >= 8
    markdown = cells[0].strip().splitlines()
    assert markdown[0] == "# MAGIC %md" and all(line.startswith("# MAGIC") for line in markdown)
    assert cells[1].strip() == "# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0"
    for number, cell in enumerate(cells):
        compile(cell, f"cell {number}", "exec")  # a notebook compiles each cell on its own
    assert "def main(" in cells[-1] and cells[-1].rstrip().endswith("main()")


def top_level_definitions(path: Path) -> dict[str, str]:
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = "".join(lines[node.lineno - 1:node.end_lineno])
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = "".join(lines[node.lineno - 1:node.end_lineno])
    return found


@pytest.mark.parametrize("pattern,names", [
    ("spark_session.py", ["get_spark", "column_seed", "LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND"]),
    ("output.py", ["OutputError", "sql_string"]),
    ("us_places.py", ["US_CENSUS_REGIONS", "US_PLACES"]),
    ("uc_setup.py", []),
])  # fmt: skip
def test_shared_helpers_are_verbatim_copies(pattern, names):
    shared = top_level_definitions(SCRIPTS / "utils" / pattern)
    copied = top_level_definitions(SCRIPT)
    assert [n for n in names if copied.get(n) != shared[n]] == []
    # and nothing else the generator defines shadows a differing helper of the same name
    assert [n for n in shared.keys() & copied.keys() if copied[n] != shared[n] and n != "main"] == []


def test_columns_are_the_contracts():
    feed = json.loads((SCHEMAS / "cdc_customer_change.json").read_text())
    current = json.loads((SCHEMAS / "cdc_customer_current.json").read_text())
    assert cdc.FEED_COLUMNS == {c["name"]: c["type"] for c in feed["columns"]}
    assert list(cdc.FEED_COLUMNS) == [c["name"] for c in feed["columns"]]  # contract order
    assert cdc.STATE_COLUMNS == {c["name"]: c["type"] for c in current["columns"]}
    assert next(c for c in feed["columns"] if c["name"] == "operation")["values"] == list(cdc.OPERATIONS)
    assert cdc.spark_schema(cdc.FEED_COLUMNS) == tier1.spark_schema(tier1.FEED_SCHEMA)  # the guide's DDL


def test_help_runs_as_a_plain_script():
    run = subprocess.run([sys.executable, str(SCRIPT), "--help"], check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for flag in ("--batches", "--changes", "--late-rate", "--duplicate-rate", "--malformed-rate", "--reinsert-rate",
                 "--format", "--no-scd2", "--partitions", "--tier"):
        assert flag in run.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rows", "0", "--output", "x"], "--rows: must be at least 1"),
        (["--batches", "0", "--output", "x"], "--batches: must be at least 1"),
        (["--batches", "1001", "--output", "x"], "at most 1,000"),
        (["--changes", "ten", "--output", "x"], "--changes: expected a whole number"),
        (["--late-rate", "1.5", "--output", "x"], "--late-rate: must be between 0 and 1"),
        (["--update-rate", "0.8", "--delete-rate", "0.3", "--output", "x"], "the operation shares must add up to 1 at most"),
        (["--update-rate", "0.5", "--delete-rate", "0.1", "--insert-rate", "0.1", "--output", "x"], "add up to 0.7, not 1"),
        (["--format", "delta", "--output", "x"], "invalid choice: 'delta'"),
        (["--tier", "4", "--output", "x"], "invalid choice"),
        (["--locale", "xx-yy", "--output", "x"], "unknown locale"),
        ([], "say where the feed lands: --output DIR"),
        (["--local", "--remote", "sc://localhost:1", "--output", "x"], "not allowed with argument"),
        (["--local", "--profile", "dev", "--output", "x"], "--profile applies to Databricks Connect only"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        cdc.main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_dry_run_prints_the_plan_and_starts_no_spark(tmp_path, capsys):
    out = tmp_path / "out"
    plan = cdc.main(["--rows", "1000", "--batches", "3", "--output", str(out), "--dry-run"])
    assert json.loads(capsys.readouterr().out) == plan and not out.exists()
    assert plan["folders"] == ["initial", "batch_001", "batch_002", "batch_003", "expected_final", "expected_scd2"]
    assert plan["rows"]["changes_per_batch"] == 100 and plan["tier"] == 2 and plan["format"] == "json"
    counts = plan["counts"]
    assert plan["rows"]["expected_final"] == 1000 + counts["inserts"] + counts["reinserts"] - counts["deletes"]
    assert cdc.batch_name(7, 1000) == "batch_0007" and cdc.batch_name(7, 12) == "batch_007"


@pytest.mark.parametrize("arguments", [FEED_ARGS, ["--rows", "1500", "--batches", "6", "--malformed-rate", "0.03", "--seed", "7"]])
def test_counts_are_tier1s(tmp_path, arguments):
    """Same seed and options: the same updates, deletes, inserts, re-inserts and malformed rows as
    the Tier 1 generator (both draw each step's counts from the same NumPy streams)."""
    _, args = cdc.parse_args([*arguments, "--output", "x"])
    counts = cdc.plan_run(args).totals()
    summary = tier1.main([*arguments, "--output", str(tmp_path), "--format", "parquet", "--no-scd2"])
    assert counts == {name: summary["counts"][name] for name in counts}
    assert counts["reinserts"] > 0


def test_deletes_beyond_the_initial_customers_become_inserts():
    """This tier's one difference in counts (documented in --help): only initial customers are
    deleted, each once, so with extreme delete shares the surplus becomes new customers."""
    _, args = cdc.parse_args(["--rows", "50", "--batches", "5", "--changes", "40", "--delete-rate", "0.6", "--seed", "3",
                              "--output", "x"])
    counts = cdc.plan_run(args).totals()
    assert counts["deletes"] == 50  # every initial customer, once
    assert counts["updates"] + counts["deletes"] + counts["inserts"] + counts["reinserts"] == 5 * 40


def test_plan_keeps_keys_alive_and_sequences_dense():
    """The counters every key expression reads: deletes never exceed the initial customers not yet
    deleted, re-inserts the dead ones, updates the alive ones; sequence numbers follow on."""
    for arguments in (FEED_ARGS, ["--rows", "30", "--batches", "8", "--changes", "60", "--delete-rate", "0.7",
                                  "--reinsert-rate", "1", "--seed", "5"]):
        _, args = cdc.parse_args([*arguments, "--output", "x"])
        plan = cdc.plan_run(args)
        sequence = args.rows
        for step in plan.steps:
            alive = args.rows - step.deleted + step.reinserted + step.created
            assert step.deletes <= args.rows - step.deleted and step.reinserts <= step.deleted - step.reinserted
            assert step.updates + step.deletes <= alive
            assert step.sequence == sequence and step.width_us > 0
            sequence += step.rows
        last = plan.last
        assert last.start_us + last.width_us == cdc.micros(datetime(2025, 1, 1, tzinfo=UTC)) - 1


def test_folder_refusals_and_stale_batches(tmp_path):
    refuse = cdc.check_folder_targets
    (tmp_path / "file").write_text("x")
    with pytest.raises(cdc.OutputError, match="is a file"):
        refuse(str(tmp_path / "file"), "error")
    refuse(str(tmp_path / "fresh"), "error")  # nothing there yet: fine
    (tmp_path / "tier1").mkdir()
    (tmp_path / "tier1" / "batch_001.json").write_text("{}")
    with pytest.raises(cdc.OutputError, match="holds a Tier 1 feed"):
        refuse(str(tmp_path / "tier1"), "overwrite")
    (tmp_path / "taken" / "batch_001").mkdir(parents=True)
    with pytest.raises(cdc.OutputError, match="not written by .* never replaced"):
        refuse(str(tmp_path / "taken"), "overwrite")
    (tmp_path / "taken" / "_manifest.json").write_text(json.dumps({"generator": cdc.GENERATOR}))
    with pytest.raises(cdc.OutputError, match="from an earlier run: pass --mode overwrite"):
        refuse(str(tmp_path / "taken"), "error")
    refuse(str(tmp_path / "taken"), "overwrite")
    for name in ("initial", "batch_002", "batch_003", "notes"):
        (tmp_path / "taken" / name).mkdir()
    assert cdc.remove_stale_batches(str(tmp_path / "taken"), {"initial", "batch_001"}) == ["batch_002", "batch_003"]
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["_manifest.json", "batch_001", "initial", "notes"]


# --- The feed on classic Spark -------------------------------------------------------------------


@pytest.fixture(scope="module")
def feed_dir(spark_modes, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("cdc_spark")
    run_generator(spark_modes.classic(), directory, *FEED_ARGS, "--partitions", "1")
    return directory


@pytest.fixture(scope="module")
def feed(feed_dir) -> pl.DataFrame:
    return read_feed(feed_dir)


@pytest.mark.spark
def test_feed_matches_the_contracts_and_its_manifest(feed_dir, feed):
    result = validator(feed_dir)
    assert result.ok, str(result)
    assert result.industry == "cdc" and set(result.tables) == {"customer_changes", "customers_current", "expected_scd2"}
    injected = {note.check for note in result.notes if "injected" in note.message}
    assert injected == {"nullable", "pk"}  # null operations/keys and duplicates, reported as injected
    recorded = manifest(feed_dir)
    names = ["initial", "batch_001", "batch_002", "batch_003", "batch_004"]
    assert recorded["feed"]["files"] == names
    assert [recorded["tables"][name]["rows"] for name in names] == [feed.filter(pl.col("file") == i).height for i in range(5)]
    assert recorded["tables"]["expected_final"]["rows"] == expected(feed_dir).height
    for name in names:  # Spark part folders: Auto Loader reads each part file as a file landing
        assert list((feed_dir / name).glob("part-*.json")) and (feed_dir / name / "_SUCCESS").exists()


@pytest.mark.spark
def test_a_stream_reads_the_folders_as_the_manifest_says(spark, feed_dir, feed, tmp_path):
    """What Auto Loader is told (references/cdc-patterns.md), with local Spark's file stream
    source: the manifest's DDL, load path glob and suffix filter; every value parsed, the same rows
    as Polars reads, nothing from expected_* (nor from the stage, which is gone)."""
    recorded = manifest(feed_dir)["feed"]
    assert recorded["load_path"] == f"{feed_dir}/{{initial,batch_*}}" and recorded["path_glob_filter"] == "*.json"
    assert not list(feed_dir.glob("_cdc_staging*"))
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    try:
        stream = (spark.readStream.schema(recorded["spark_schema"]).option("pathGlobFilter", recorded["path_glob_filter"])
                  .json(recorded["load_path"]))
        query = (stream.writeStream.format("memory").queryName("cdc_spark_feed").trigger(availableNow=True)
                 .option("checkpointLocation", str(tmp_path / "checkpoint")).start())
        query.awaitTermination()
        read = pl.from_arrow(spark.table("cdc_spark_feed").toArrow())
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", partitions)
        spark.catalog.dropTempView("cdc_spark_feed")
    assert_frame_equal(read.sort("sequence_num", KEY), feed.drop("file").sort("sequence_num", KEY))


@pytest.mark.spark
def test_merge_replay_in_sequence_order_matches_expected_final(feed_dir, feed, tmp_path):
    events = changes(feed)
    assert events.height < feed.height  # malformed rows and duplicates were there to drop
    replayed = sequence_replay(events, tmp_path / "target", tier1.STATE_SCHEMA)
    final = expected(feed_dir)
    assert final.schema == pl.Schema(tier1.STATE_SCHEMA)  # the Tier 1 types, read from Spark's parquet
    assert replayed.height > 3000
    assert_frame_equal(replayed, final)


@pytest.mark.spark
def test_the_guides_replay_check_passes_on_the_spark_feed(feed_dir, tmp_path, monkeypatch):
    """references/cdc-patterns.md's Tier 1 replay block, run on this feed's folders of part files."""
    guide = (SCRIPTS.parent / "references" / "cdc-patterns.md").read_text()
    (block,) = [text.split("\n", 1)[1] for text in guide.split("```")[1::2] if text.split("\n", 1)[0].strip() == "python"]
    monkeypatch.chdir(tmp_path)  # the block's own FEED (out/cdc) is not there, so it only defines
    script = tmp_path / "guide_replay.py"
    script.write_text(block)
    namespace = runpy.run_path(str(script), run_name="guide")  # not __main__: its own FEED is not there
    assert_frame_equal(namespace["replay"](feed_dir, tmp_path / "target"), expected(feed_dir))


@pytest.mark.spark
def test_arrival_order_needs_the_sequence_guard(feed_dir, feed, tmp_path):
    assert_frame_equal(arrival_replay(feed, tmp_path / "guarded", tier1.STATE_SCHEMA), expected(feed_dir))
    naive = arrival_replay(feed, tmp_path / "naive", tier1.STATE_SCHEMA, guarded=False)
    assert naive.join(expected(feed_dir), on=STATE_COLUMNS, how="anti").height > 10  # late events leave stale rows


@pytest.mark.spark
def test_expected_scd2_is_the_history_of_the_feed(feed_dir, feed):
    history = expected(feed_dir, "expected_scd2")
    assert history.schema == pl.Schema(tier1.SCD2_SCHEMA)
    events = changes(feed).sort(KEY, "sequence_num").with_columns(__END_AT=pl.col("sequence_num").shift(-1).over(KEY))
    versions = events.filter(pl.col("operation") != "DELETE").select(
        *STATE_COLUMNS, __START_AT=pl.col("sequence_num"), __END_AT=pl.col("__END_AT"))
    assert_frame_equal(history, versions.sort(KEY, "__START_AT"))
    current = history.filter(pl.col("__END_AT").is_null()).select(STATE_COLUMNS).sort(KEY)
    assert_frame_equal(current, expected(feed_dir))


@pytest.mark.spark
def test_updates_and_deletes_touch_only_keys_alive_at_that_point(feed):
    ordered = changes(feed).sort(KEY, "sequence_num").with_columns(before=pl.col("operation").shift(1).over(KEY))
    exists_before = pl.col("before").is_not_null() & (pl.col("before") != "DELETE")
    assert ordered.filter(pl.col("operation").is_in(["UPDATE", "DELETE"]) & ~exists_before).is_empty()
    appends = ordered.filter(pl.col("operation") == "APPEND")
    assert appends.filter(exists_before).is_empty()  # an APPEND is a new key or a re-insert
    assert appends.filter(pl.col("before") == "DELETE").height > 100  # deleted customers come back
    # One change per key per quarter-batch step (found from its time), so at most 4 per batch.
    _, args = cdc.parse_args([*FEED_ARGS, "--output", "x"])
    ends = [step.start_us + step.width_us for step in cdc.plan_run(args).steps]
    events = changes(feed).filter(pl.col("sequence_num") > 4000)
    steps = pl.Series(np.searchsorted(ends, events["operation_ts"].dt.epoch("us").to_numpy()))
    assert events.select(KEY, step=steps).is_duplicated().sum() == 0


@pytest.mark.spark
def test_sequence_num_is_unique_never_null_and_orders_time(feed):
    assert feed["sequence_num"].null_count() == 0 and feed["operation_ts"].null_count() == 0  # malformed rows too
    distinct = feed.drop("file").unique()
    assert distinct["sequence_num"].is_unique().all()  # one change per sequence value: per key too
    ordered = distinct.sort("sequence_num")
    assert ordered["sequence_num"].to_list() == list(range(1, distinct.height + 1))  # dense, as Tier 1
    assert ordered["operation_ts"].is_sorted()
    initial = feed.filter(pl.col("file") == 0)
    assert sorted(initial["sequence_num"].to_list()) == list(range(1, 4001)) and (initial["operation"] == "APPEND").all()
    assert (initial["operation_ts"] == datetime(2024, 1, 1, tzinfo=UTC)).all()
    per_key = changes(feed).sort(KEY, "sequence_num").with_columns(previous=pl.col("operation_ts").shift(1).over(KEY))
    assert per_key.filter(pl.col("operation_ts") <= pl.col("previous")).is_empty()
    assert ordered["operation_ts"].max() <= datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.spark
def test_late_rows_keep_their_time_and_arrive_later(feed):
    edges = [cdc.batch_window(batch, BATCHES)[1] for batch in range(1, BATCHES + 1)]
    events = batch_events(feed)
    true_batch = np.searchsorted(edges, events["operation_ts"].dt.epoch("us").to_numpy()) + 1
    arrived = events["file"].to_numpy()
    assert (arrived >= true_batch).all()  # never early
    late = arrived > true_batch
    eligible = true_batch < BATCHES  # the last batch's events cannot be late
    assert within(late[eligible].mean(), RATES["late"], int(eligible.sum()))
    # Delays ~ Geometric(0.6), capped at the last batch: one batch 60% of the time (among delays
    # not capped, i.e. events of batch 1 and 2 whose 2-batch delay still fits).
    delays = (arrived - true_batch)[late & (true_batch <= BATCHES - 2)]
    assert within(float((delays == 1).mean()), cdc.LATE_DELAY_P, delays.size)


@pytest.mark.spark
def test_operation_duplicate_and_malformed_shares(feed_dir, feed):
    counts = manifest(feed_dir)["feed"]["counts"]
    events = batch_events(feed)
    n = events.height
    assert n == counts["updates"] + counts["deletes"] + counts["inserts"] + counts["reinserts"] == 4 * 2500
    operations = events["operation"].value_counts()
    shares = dict(zip(operations["operation"], operations["count"] / n))
    assert within(shares["UPDATE"], RATES["update"], n) and within(shares["DELETE"], RATES["delete"], n)
    assert within(shares["APPEND"], RATES["insert"], n)
    assert within(counts["reinserts"] / (counts["inserts"] + counts["reinserts"]), RATES["reinsert"],
                  counts["inserts"] + counts["reinserts"])
    # Duplicates: exact copies, in the same folder or (half the time) the next one.
    valid = feed.filter(~is_malformed() & (pl.col("sequence_num") > 4000))
    copies = valid.group_by(list(cdc.FEED_COLUMNS)).agg(pl.col("file").sort()).filter(pl.col("file").list.len() > 1)
    assert copies.height == counts["duplicates"] and copies["file"].list.len().max() == 2
    assert within(copies.height / n, RATES["duplicate"], n)
    moved = (copies["file"].list.last() > copies["file"].list.first()).mean()
    landed_last = copies.filter(pl.col("file").list.first() == BATCHES).height  # cannot move past the last folder
    assert within(float(moved), cdc.DUPLICATE_NEXT_BATCH * (1 - landed_last / copies.height), copies.height)
    # Malformed: extra rows per event, 60% null operation, 40% null key, never a null sequence.
    broken = feed.filter(is_malformed())
    assert broken.height == counts["malformed"] and within(broken.height / n, RATES["malformed"], n)
    assert within(broken["operation"].is_null().mean(), cdc.MALFORMED_NULL_OPERATION, broken.height)
    assert (broken["operation"].is_null() ^ broken[KEY].is_null()).all()
    # A malformed row copies an event of its step: same values under another sequence_num.
    values = [c for c in CUSTOMER_COLUMNS if c != KEY]
    assert broken.join(valid, on=values, how="semi", nulls_equal=True).height == broken.height


@pytest.mark.spark
def test_updates_change_realistic_fields(feed):
    ordered = changes(feed).sort(KEY, "sequence_num")
    previous = ordered.select(pl.all().shift(1).over(KEY).name.prefix("old_"))
    updates = pl.concat([ordered, previous], how="horizontal").filter(pl.col("operation") == "UPDATE")
    changed = {column: updates[column].ne_missing(updates[f"old_{column}"]) for column in CUSTOMER_COLUMNS}
    for column in (KEY, "first_name", "signup_date", "lifetime_value"):
        assert not changed[column].any(), column
    # Each update changes exactly one kind of thing (so SCD type 2 opens a version for every one).
    kind = np.select(
        [changed["last_name"].to_numpy(), changed["street_address"].to_numpy(), changed["email"].to_numpy(),
         changed["phone"].to_numpy(), changed["loyalty_tier"].to_numpy()],
        ["last_name", "address", "email", "phone", "loyalty_tier"], default="none")
    assert (kind != "none").all()
    n, total = updates.height, sum(cdc.UPDATE_KINDS.values())
    for name, weight in cdc.UPDATE_KINDS.items():
        assert within(float((kind == name).mean()), weight / total, n), name
    moves = updates.filter(pl.Series(kind == "address"))
    places = tier1.us_places()
    joined = moves.join(places, on=["city", "state"], how="left")
    assert joined["region"].eq(joined["region_right"]).all()  # region follows the state
    postal = joined["postal_code"].cast(pl.Int64)
    assert ((postal >= joined["zip_low"]) & (postal <= joined["zip_high"])).all()  # ZIP inside the city
    # An e-mail change always moves to another domain (and draws a style); a last-name change
    # writes first.newlast on the same domain.
    emails = updates.filter(pl.Series(kind == "email"))
    assert (emails["email"].str.split("@").list.last() != emails["old_email"].str.split("@").list.last()).all()
    renamed = updates.filter(pl.Series(kind == "last_name"))
    assert (renamed["name"] == renamed["first_name"] + " " + renamed["last_name"]).all()
    for row in renamed.iter_rows(named=True):
        local, domain = row["email"].split("@")
        assert local == f"{cdc.email_form(row['first_name'], 'customer')}.{cdc.email_form(row['last_name'], '')}{row[KEY]}"
        assert domain == row["old_email"].split("@")[1]
    assert updates["email"].str.contains(r"^[a-z0-9._-]+@example\.(com|net|org)$").all()
    assert updates["phone"].drop_nulls().str.contains(r"^\([2-9][0-9]{2}\) 555-01[0-9]{2}$").all()
    # Tier moves: +1 80%, -1 15%, +2 5%, reflected at the ends (so the size of the step is kept).
    tiers = {name: index for index, name in enumerate(cdc.LOYALTY_TIERS)}
    moved = updates.filter(pl.Series(kind == "loyalty_tier")).select(
        step=pl.col("loyalty_tier").replace_strict(tiers) - pl.col("old_loyalty_tier").replace_strict(tiers))
    sizes = moved["step"].abs()
    assert set(sizes.unique()) <= {1, 2} and within(float((sizes == 2).mean()), 0.05, moved.height)


@pytest.mark.spark
def test_initial_customers_follow_the_retail_distributions(feed):
    initial = feed.filter(pl.col("file") == 0)
    n = initial.height
    assert initial[KEY].sort().to_list() == list(range(cdc.FIRST_ID, cdc.FIRST_ID + n))
    tiers = initial["loyalty_tier"].value_counts()
    total = sum(cdc.LOYALTY_TIERS.values())
    for name, count in zip(tiers["loyalty_tier"], tiers["count"]):
        assert within(count / n, cdc.LOYALTY_TIERS[name] / total, n), name
    assert within(initial["phone"].is_null().mean(), cdc.PHONE_NULL_RATE, n)
    value = initial["lifetime_value"].cast(pl.Float64)
    assert abs(value.mean() - 500) <= 4 * math.sqrt(2 * 250**2 / n)  # Gamma(2, 250): sd sqrt(2) x 250
    assert initial["signup_date"].min() >= datetime(2020, 1, 1).date() and initial["signup_date"].max() <= datetime(2023, 12, 31).date()
    assert initial["email"].is_unique().all() and (initial["name"] == initial["first_name"] + " " + initial["last_name"]).all()
    # New customers sign up on the day of their APPEND.
    inserted = changes(feed).filter((pl.col(KEY) >= cdc.FIRST_ID + n) & (pl.col("operation") == "APPEND"))
    assert inserted.height > 1000 and (inserted["signup_date"] == inserted["operation_ts"].dt.date()).all()


@pytest.mark.spark
def test_update_picks_spread_like_a_uniform_draw(feed_dir, feed):
    """The keyed permutations pick updates like a uniform draw: the share of initial customers
    never updated matches prod(1 - updates/alive) over the steps, and picks do not favour a part
    of the key range."""
    _, args = cdc.parse_args([*FEED_ARGS, "--output", "x"])
    plan = cdc.plan_run(args)
    events = changes(feed).filter(pl.col("sequence_num") > 4000)
    deleted = set(events.filter(pl.col("operation") == "DELETE")[KEY])
    updated = events.filter(pl.col("operation") == "UPDATE")
    kept = [key for key in range(cdc.FIRST_ID, cdc.FIRST_ID + 4000) if key not in deleted]  # never deleted
    never = 1 - len(set(updated[KEY]) & set(kept)) / len(kept)
    expect = math.prod(1 - s.updates / (4000 - s.deleted + s.reinserted + s.created - s.deletes) for s in plan.steps)
    assert within(never, expect, len(kept))
    initial_updates = updated.filter(pl.col(KEY) < cdc.FIRST_ID + 4000)[KEY] - cdc.FIRST_ID
    assert abs(initial_updates.mean() - 1999.5) <= 4 * 4000 / math.sqrt(12 * initial_updates.len())


# --- Over Spark Connect: the same rows ---------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.connect
def test_connect_with_other_partitions_and_format_gives_the_same_rows(spark_modes, spark_connect_server, feed_dir, feed,
                                                                     tmp_path):
    """Tier 2 over a Spark Connect client, 3 partitions and CSV instead of 2 and JSON: the very
    rows of the classic feed in every folder, and the same expected tables (so the same seed
    gives the same data whatever the session and the partitions)."""
    summary = run_generator(spark_modes.connect(spark_connect_server.url), tmp_path / "connect", *FEED_ARGS,
                            "--partitions", "3", "--format", "csv")
    assert summary["tier"] == 2 and summary["counts"] == manifest(feed_dir)["feed"]["counts"]
    result = validator(tmp_path / "connect")
    assert result.ok, str(result)
    assert 1 <= len(list((tmp_path / "connect" / "batch_001").glob("part-*.csv"))) <= 3  # at most --partitions
    over_connect = read_feed(tmp_path / "connect")
    assert_frame_equal(over_connect.sort("file", "sequence_num", KEY), feed.sort("file", "sequence_num", KEY))
    for name in ("expected_final", "expected_scd2"):
        assert_frame_equal(expected(tmp_path / "connect", name), expected(feed_dir, name))


@pytest.mark.spark
def test_another_seed_gives_other_customers_and_other_changes(spark, feed):
    """Seed 8 against seed 11, same sizes: other initial customers, other keys changed. (Built
    and collected, not written: the rows a run would write.)"""
    _, args = cdc.parse_args([*FEED_ARGS[:-1], "8", "--output", "x"])
    plan = cdc.plan_run(args)
    pools = cdc.build_pools("en", 8)
    initial = pl.from_arrow(cdc.initial_feed(spark, plan, pools, 1).toArrow()).sort(KEY)
    same = feed.filter(pl.col("file") == 0).drop("file").sort(KEY)
    assert (initial[KEY] == same[KEY]).all()
    for column in ("first_name", "email", "street_address", "signup_date", "lifetime_value"):
        assert (initial[column] != same[column]).mean() > 0.9, column
    events = pl.from_arrow(cdc.events(spark, plan, 1).select("sequence_num", "key").toArrow())
    theirs = set(zip(events["sequence_num"], events["key"] + cdc.FIRST_ID))
    ours = list(changes(feed).filter(pl.col("sequence_num") > 4000).select("sequence_num", KEY).iter_rows())
    assert sum(pair in theirs for pair in ours) / len(ours) < 0.05  # the same key at the same point: rare


# --- As a notebook: widgets, tier 3 -------------------------------------------------------------------


class Widgets:
    """dbutils.widgets as a notebook has it: text and dropdown widgets keep the value set first."""

    def __init__(self, values: dict[str, str]):
        self.values = dict(values)

    def text(self, name, default, label=None):
        self.values.setdefault(name, default)

    def dropdown(self, name, default, choices, label=None):
        self.values.setdefault(name, default)

    def get(self, name):
        return self.values[name]


def test_runs_as_a_notebook_with_widgets(tmp_path, monkeypatch, capsys):
    """Every cell executed in one namespace as Databricks does, parameters from widgets (created
    with the command line's names and defaults), tier 3 by default. A dry run: the Spark path is
    the one the tests above take."""
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    widgets = Widgets({"rows": "300", "batches": "2", "seed": "8", "format": "csv", "no_scd2": "true",
                       "malformed_rate": "0.05", "dry_run": "true", "output": str(tmp_path / "nb")})
    namespace = {"__name__": "__main__", "dbutils": type("DBUtils", (), {"widgets": widgets})(), "spark": None}
    for number, cell in enumerate(notebook_cells()):
        exec(compile(cell, f"cell {number}", "exec"), namespace)
    summary = json.loads(capsys.readouterr().out)
    assert summary["tier"] == 3 and summary["format"] == "csv" and summary["rows"]["initial"] == 300
    assert summary["folders"] == ["initial", "batch_001", "batch_002", "expected_final"]  # no_scd2
    assert widgets.values["late_rate"] == "0.0" and widgets.values["mode"] == "error"  # defaults shown as widgets
    assert not (tmp_path / "nb").exists()


@pytest.mark.slow
@pytest.mark.spark
def test_runs_end_to_end_as_a_script_on_local_spark(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE")}
    arguments = [sys.executable, str(SCRIPT), "--local", "--rows", "200", "--batches", "2", "--format", "parquet",
                 "--output", str(tmp_path / "out")]
    run = subprocess.run(arguments, check=False, capture_output=True, text=True, timeout=900, env=environment)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout)["tables"]["initial"]["rows"] == 200
    assert validator(tmp_path / "out").ok
    again = subprocess.run(arguments, check=False, capture_output=True, text=True, timeout=900, env=environment)
    assert again.returncode == 2 and "from an earlier run: pass --mode overwrite" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.connect
@pytest.mark.databricks_connect
def test_databricks_connect_16_4_client_generates_the_classic_feed(spark_modes, tmp_path):
    """The Tier 2 path as a Databricks Connect user runs it (get_spark -> DatabricksSession.remote,
    Python 3.12, the pyspark 3.5 fork, NumPy 1.26 planning the steps) against a local pyspark 4.0
    Connect server: validator clean, and the very rows classic Spark writes."""
    from spark_support import ConnectServer, ensure_venv, python312, unavailable

    interpreter = python312()
    if interpreter is None:
        unavailable("no Python 3.12 interpreter for the databricks-connect client")
    requirements = [line.strip() for line in (Path(__file__).parent / "dbconnect_client" / "requirements.txt")
                    .read_text().splitlines() if line.strip() and not line.startswith("#")]  # fmt: skip
    client = ensure_venv("dbconnect-16.4-mimesis", interpreter, [*requirements, "mimesis==22.2.0"])
    args = ["--rows", "600", "--batches", "3", "--late-rate", "0.1", "--duplicate-rate", "0.05", "--malformed-rate", "0.03",
            "--seed", "5"]
    server = ConnectServer(tmp_path / "server", worker_python=sys.executable, name="cdc-dbconnect")
    server.start()
    try:
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("SPARK_REMOTE", "PYTHONPATH", "SPARK_HOME", "SPARK_CONNECT_MODE_ENABLED")}
        run = subprocess.run([str(client), str(SCRIPT), "--remote", server.url, "--output", str(tmp_path / "dbconnect"),
                              *args], check=False, capture_output=True, text=True, timeout=900, env=environment)  # fmt: skip
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    assert validator(tmp_path / "dbconnect").ok, str(validator(tmp_path / "dbconnect"))
    versions = manifest(tmp_path / "dbconnect")["versions"]
    assert versions["databricks-connect"].startswith("16.4.") and versions["python"].startswith("3.12.")
    run_generator(spark_modes.classic(), tmp_path / "classic", *args)
    assert_frame_equal(read_feed(tmp_path / "dbconnect").sort("file", "sequence_num", KEY),
                       read_feed(tmp_path / "classic").sort("file", "sequence_num", KEY))
    assert_frame_equal(expected(tmp_path / "dbconnect"), expected(tmp_path / "classic"))
