"""The local Spark the Spark-tier tests stand on, and the dbldatagen facts the guides rely on.

- The fixtures really give classic local[2] Spark and a Spark Connect session on a server the tests
  start; the two alternate in one process; missing Java skips, or fails under DDG_REQUIRE_SPARK=1.
- Parquet written by Spark reads back in Polars as UTC-aware microsecond timestamps.
- The feature matrix (tests/dbconnect_client/connect_matrix.py) on classic Spark and over a pyspark
  4.0 Connect client; tests/test_databricks_connect_client.py runs it over databricks-connect 16.4.
- Seeding traps measured: randomSeed alone ("fixed") → equal columns; hash_fieldname ignores the
  seed value; UDF-backed columns repeat per Arrow batch and, under hash_fieldname, change with
  PYTHONHASHSEED; a per-column randomSeed fixes the SQL columns. percentNulls on a weighted
  column takes its nulls from the first value.
- Streaming from the rate source into parquet, classic and Connect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

import spark_support
from conftest import REPO

pytestmark = [pytest.mark.spark]

MATRIX_PATH = Path(__file__).parent / "dbconnect_client" / "connect_matrix.py"


@pytest.fixture(scope="module")
def matrix_module():
    import importlib.util

    from pyspark import cloudpickle

    spec = importlib.util.spec_from_file_location("ddg_connect_matrix", MATRIX_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)  # its PyfuncText function runs in the workers
    return module


@pytest.fixture(scope="module")
def classic_matrix(spark_modes, matrix_module):
    try:
        session = spark_modes.classic()
    except Exception as error:
        spark_support.unavailable(f"classic Spark could not start: {error}")
    return matrix_module.run_matrix(session)


@pytest.fixture(scope="module")
def connect_matrix(spark_modes, spark_connect_server, matrix_module):
    session = spark_modes.connect(spark_connect_server.url)
    return matrix_module.run_matrix(session, matrix_module.CONNECT_FEATURES)


# --- the sessions ---------------------------------------------------------------------------------

def test_classic_session_is_local_2_with_test_settings(spark, spark_modes):
    assert spark.sparkContext.master == "local[2]"
    assert spark.sparkContext.defaultParallelism == 2
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.sparkContext.uiWebUrl is None
    assert spark.conf.get("spark.sql.warehouse.dir").startswith(f"file:{spark_modes.workdir}")


def test_python_workers_run_this_interpreter(spark):
    from pyspark.sql.functions import udf

    @udf("string")
    def worker_environment(_):
        import importlib.util
        import sys as worker_sys

        return f"{worker_sys.prefix}|{importlib.util.find_spec('dbldatagen') is not None}"

    # sys.prefix, not the executable: a virtual environment's python is a symlink to the base one.
    (found,) = {row[0] for row in spark.range(2).select(worker_environment("id")).collect()}
    assert found == f"{sys.prefix}|True"


def test_connect_session_is_a_connect_client_on_its_own_port(spark_connect, spark_connect_server):
    assert type(spark_connect).__module__ == "pyspark.sql.connect.session"
    assert spark_connect_server.port != 15002
    assert spark_connect.version.startswith("4.0.")
    assert spark_connect.range(10).selectExpr("sum(id) total").first().total == 45


def test_classic_and_connect_alternate_in_one_process(spark_modes, spark_connect_server):
    for _ in range(2):
        classic = spark_modes.classic()
        assert type(classic).__module__ == "pyspark.sql.session"
        assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ
        assert classic.range(3).count() == 3
        connect = spark_modes.connect(spark_connect_server.url)
        assert type(connect).__module__ == "pyspark.sql.connect.session"
        assert connect.range(4).count() == 4


def test_parquet_timestamps_read_back_in_polars_as_utc_micros(spark_any, tmp_path):
    output = tmp_path / "events"
    (spark_any.sql("""SELECT 1 AS event_id, TIMESTAMP'2024-03-10 07:30:00' AS event_ts,
                             TIMESTAMP_NTZ'2024-03-10 07:30:00' AS local_ts, DATE'2024-03-10' AS event_date""")
     .write.parquet(str(output)))
    frame = pl.read_parquet(output / "*.parquet")
    assert frame.schema == {"event_id": pl.Int32, "event_ts": pl.Datetime("us", "UTC"),
                            "local_ts": pl.Datetime("us"), "event_date": pl.Date}
    assert str(frame["event_ts"][0]) == "2024-03-10 07:30:00+00:00"


def test_unavailable_skips_by_default_and_fails_when_required(monkeypatch):
    monkeypatch.setattr(spark_support, "REQUIRE_SPARK", False)
    with pytest.raises(pytest.skip.Exception):
        spark_support.unavailable("no Java")
    monkeypatch.setattr(spark_support, "REQUIRE_SPARK", True)
    with pytest.raises(pytest.fail.Exception, match="DDG_REQUIRE_SPARK=1 but no Java"):
        spark_support.unavailable("no Java")


@pytest.mark.parametrize("required", [False, True], ids=["skips", "fails-under-DDG_REQUIRE_SPARK"])
def test_missing_java_skips_or_fails_a_real_run(required, tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "DDG_REQUIRE_SPARK")}
    environment["PATH"] = str(tmp_path)  # no java on it; the interpreter is called by absolute path
    if required:
        environment["DDG_REQUIRE_SPARK"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_spark_infra.py::test_classic_session_is_local_2_with_test_settings"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=300)
    if required:
        assert result.returncode == 1, result.stdout[-2000:]
        assert "DDG_REQUIRE_SPARK=1 but local Spark is not available: Java is not installed" in result.stdout
    else:
        assert result.returncode == 0, result.stdout[-2000:]
        assert "1 skipped" in result.stdout


# --- the feature matrix on classic Spark and over the pyspark 4.0 Connect client --------------------

@pytest.mark.parametrize("name", ["constraint_SqlExpr", "constraint_PositiveValues", "withSqlConstraint"])
def test_constraints_work_on_classic_and_pyspark40_connect(classic_matrix, connect_matrix, name):
    for matrix in (classic_matrix, connect_matrix):
        assert matrix[name]["ok"], matrix[name]
        assert matrix[name]["result"]["min_amount"] >= 1
    # A constraint is a filter after generation: the same rows as where() after build().
    assert classic_matrix[name]["result"]["rows"] == classic_matrix["where_after_build"]["result"]["rows"]


@pytest.mark.parametrize("name", ["where_after_build", "values_weights", "ranges", "dates", "sql_expr",
                                  "percentNulls", "template", "distribution", "text_PyfuncText"])
def test_features_work_on_classic_and_pyspark40_connect(classic_matrix, connect_matrix, name):
    assert classic_matrix[name]["ok"], classic_matrix[name]
    assert connect_matrix[name]["ok"], connect_matrix[name]


@pytest.mark.parametrize("name", ["where_after_build", "values_weights", "ranges", "dates", "percentNulls",
                                  "seeding", "column_seeds"])
def test_sql_columns_are_identical_on_classic_and_connect(classic_matrix, connect_matrix, name):
    """Same seed and partitions: the same data whichever way the session was opened."""
    assert classic_matrix[name]["result"] == connect_matrix[name]["result"]


def test_weighted_values_and_null_rates_match_their_settings(classic_matrix):
    shares = classic_matrix["values_weights"]["result"]["shares"]
    for tier, share in {"Bronze": 0.50, "Silver": 0.30, "Gold": 0.15, "Platinum": 0.05}.items():
        assert abs(shares[tier] - share) < 0.035, shares  # 3 standard errors of a 50% share at 2,000 rows
    assert abs(classic_matrix["percentNulls"]["result"]["null_share"] - 0.2) < 0.03


def test_iltext_fails_on_numpy_1_25_plus(classic_matrix):
    outcome = classic_matrix["text_ILText"]
    assert not outcome["ok"]
    assert "Cannot cast ufunc 'clip'" in outcome["cause"]


def test_partitions_omitted_reads_parallelism_on_classic_and_falls_back_to_200_over_connect(
        classic_matrix, connect_matrix):
    assert classic_matrix["partitions_omitted"]["result"]["partitions"] == 2
    assert connect_matrix["partitions_omitted"]["result"]["partitions"] == 200


def test_random_seed_alone_makes_equal_range_columns_equal(classic_matrix):
    assert classic_matrix["seeding"]["result"]["fixed_equal_share"] == 1.0


def test_hash_fieldname_gives_distinct_repeatable_columns_but_ignores_the_seed(classic_matrix):
    result = classic_matrix["seeding"]["result"]
    assert result["hash_fieldname_equal_share"] < 0.05
    assert result["hash_fieldname_repeatable"]
    assert result["hash_fieldname_seed_42_equals_seed_7"]
    assert result["unseeded_equals_hash_fieldname"]


def test_per_column_seeds_differ_by_column_and_follow_the_run_seed(classic_matrix):
    result = classic_matrix["column_seeds"]["result"]
    assert result["equal_share"] < 0.05 and result["repeatable"] and result["seed_changes_data"]


def test_column_seed_in_spark_session_matches_the_evidence():
    import zlib

    from conftest import load_script

    column_seed = load_script("utils/spark_session.py").column_seed
    assert column_seed(42, "quantity") == zlib.crc32(b"42:quantity") & 0x7FFFFFFF
    assert column_seed(42, "quantity") != column_seed(42, "discount_pct") != column_seed(7, "discount_pct")


def test_percent_nulls_on_weighted_values_takes_the_nulls_from_the_first_value(spark):
    """percentNulls reuses the draw that picked the weighted value, so the nulls all come out of
    the first value's share (50/30/15/5 with 20% nulls gives ≈37/37/19/6 among non-nulls). Drawing
    the nulls with a separate rand() in an expr keeps the weights."""
    import dbldatagen as dg

    weights = {"Bronze": 0.50, "Silver": 0.30, "Gold": 0.15, "Platinum": 0.05}
    spec = (dg.DataGenerator(spark, rows=20000, partitions=2, randomSeed=42, randomSeedMethod="hash_fieldname")
            .withColumn("tier_builtin", "string", values=list(weights), weights=[50, 30, 15, 5], random=True,
                        randomSeed=11, percentNulls=0.2)
            .withColumn("tier_all", "string", values=list(weights), weights=[50, 30, 15, 5], random=True,
                        randomSeed=11, omit=True)
            .withColumn("tier_separate", "string", baseColumn="tier_all",
                        expr="CASE WHEN rand(12) < 0.2 THEN NULL ELSE tier_all END"))
    frame = spec.build().toPandas()
    for column, should_match in (("tier_builtin", False), ("tier_separate", True)):
        assert abs(frame[column].isna().mean() - 0.2) < 0.01  # 3 standard errors at 20,000 rows ≈ 0.009
        shares = frame[column].value_counts(normalize=True)
        # 3 standard errors of a 50% share among 16,000 non-null rows ≈ 0.012
        matches = all(abs(shares[tier] - share) < 0.015 for tier, share in weights.items())
        assert matches == should_match, (column, shares.round(3).to_dict())
    assert frame["tier_builtin"].value_counts(normalize=True)["Bronze"] < 0.40


# --- UDF-backed columns: seeded per Arrow batch, and per process under hash_fieldname ----------------

def test_seeded_udf_columns_repeat_in_every_arrow_batch(spark):
    """distribution= and template= re-seed NumPy with the same seed for every batch: each
    partition (here one batch each) gets the very same sequence."""
    import dbldatagen as dg
    from dbldatagen.distributions import Gamma

    spec = (dg.DataGenerator(spark, rows=2000, partitions=2, randomSeed=42, randomSeedMethod="hash_fieldname")
            .withColumn("spend", "double", minValue=0, maxValue=1000, distribution=Gamma(2.0, 250.0), random=True)
            .withColumn("code", "string", template=r"dddddd"))
    frame = spec.build().withColumn("part", __import__("pyspark.sql.functions", fromlist=["x"])
                                    .spark_partition_id()).toPandas()
    first, second = frame[frame.part == 0].reset_index(drop=True), frame[frame.part == 1].reset_index(drop=True)
    assert len(first) == len(second) == 1000
    assert (first.spend == second.spend).all()
    assert (first.code == second.code).all()


HASHSEED_CLIENT = textwrap.dedent("""
    import json, sys
    import dbldatagen as dg
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
    def codes(**column_options):
        spec = (dg.DataGenerator(spark, rows=20, partitions=1, randomSeed=42, randomSeedMethod="hash_fieldname")
                .withColumn("code", "string", template=r"dddddd", **column_options))
        return [row.code for row in spec.build().collect()]
    print(json.dumps({"hash_fieldname": codes(), "column_seed": codes(randomSeed=1234, random=True)}))
""")


def test_hash_fieldname_udf_columns_change_with_pythonhashseed(spark_connect_server):
    """dbldatagen seeds a hash_fieldname column's text/distribution with Python's hash(name),
    which is salted per process: two runs differ unless PYTHONHASHSEED is fixed. A per-column
    randomSeed (fixed method) makes them repeatable."""
    outputs = []
    for hash_seed in ("1", "2"):
        environment = dict(os.environ, PYTHONHASHSEED=hash_seed)
        environment.pop("SPARK_CONNECT_MODE_ENABLED", None)
        result = subprocess.run([sys.executable, "-c", HASHSEED_CLIENT, spark_connect_server.url],
                                capture_output=True, text=True, timeout=300, env=environment)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert outputs[0]["hash_fieldname"] != outputs[1]["hash_fieldname"]
    assert outputs[0]["column_seed"] == outputs[1]["column_seed"]


# --- streaming ----------------------------------------------------------------------------------------

def committed_rows(query) -> int:
    """Input rows of the micro-batches this query has committed so far."""
    # The property, not progress["numInputRows"]: over Connect the key can be None and the
    # property then sums the sources.
    return sum(progress.numInputRows or 0 for progress in query.recentProgress)


def test_rate_stream_writes_parquet(spark_any, tmp_path):
    """A short rate-source stream into parquet. Waits for a committed batch, then stops:
    processAllAvailable() on a rate source returns only once a trigger finds no new rows, which
    never happens while each micro-batch takes longer than the trigger interval (seen here: a
    classic run blocked for minutes on a loaded two-core machine)."""
    import dbldatagen as dg

    spec = (dg.DataGenerator(spark_any, name="events", rows=1000, partitions=2, randomSeed=42,
                             randomSeedMethod="hash_fieldname")
            .withColumn("device_id", "int", minValue=1, maxValue=50, random=True)
            .withColumn("reading", "double", minValue=0, maxValue=100, random=True))
    stream = spec.build(withStreaming=True, options={"rowsPerSecond": 200})
    output, checkpoint = tmp_path / "readings", tmp_path / "checkpoint"
    query = (stream.writeStream.format("parquet").option("checkpointLocation", str(checkpoint))
             .trigger(processingTime="1 second").start(str(output)))
    try:
        deadline = time.monotonic() + 120
        while committed_rows(query) == 0 and time.monotonic() < deadline:
            assert query.exception() is None, query.exception()
            time.sleep(0.5)
    finally:
        query.stop()
    assert committed_rows(query) > 0
    # Spark reads only committed files (the sink's _spark_metadata log); a batch cut short by
    # stop() may have left a partial file that a plain glob would pick up.
    written = spark_any.read.parquet(str(output))
    assert written.count() >= committed_rows(query) > 0
    bounds = written.selectExpr("min(device_id) low", "max(device_id) high").first()
    assert 1 <= bounds.low <= bounds.high <= 50
