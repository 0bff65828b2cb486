"""The Databricks Connect client path, against a local Spark Connect server (no workspace needed).

databricks-connect 16.4.x (as SKILL.md pins it: Python 3.12, a pyspark 3.5.2 fork) lives in its
own cached environment, never beside pyspark. It talks to a pyspark 4.0.x Spark Connect server
started here whose Python workers are Python 3.12 too (UDFs run in the server's Python, which
must match the client's minor version — as on serverless, where it is 3.12).

What it proves, test by test, is the evidence behind references/dbldatagen-connect-patterns.md:
which dbldatagen features work over a 16.4 client and which fail, and how seeding behaves.
The matrix runs once (tests/dbconnect_client/connect_matrix.py, one subprocess) and each test
checks one fact from it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from spark_support import (ConnectServer, ensure_venv, live_group_members, pyspark_home, python312, spark_problem,
                           unavailable)

pytestmark = [pytest.mark.spark, pytest.mark.connect, pytest.mark.databricks_connect]

CLIENT_DIR = Path(__file__).parent / "dbconnect_client"
MATRIX = CLIENT_DIR / "connect_matrix.py"
SESSION_CODE = REPO / "scripts" / "utils" / "spark_session.py"


def requirements(name: str) -> list[str]:
    lines = (CLIENT_DIR / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def interpreter312():
    found = python312()
    if found is None:
        unavailable("no Python 3.12 interpreter (set DDG_PYTHON312, or install one with pyenv or uv)")
    return found


@pytest.fixture(scope="module")
def dbconnect_python(interpreter312):
    try:
        return ensure_venv("dbconnect-16.4", interpreter312, requirements("requirements.txt"))
    except Exception as error:
        unavailable(f"could not build the databricks-connect environment: {error}")


@pytest.fixture(scope="module")
def server312(interpreter312, tmp_path_factory):
    problem = spark_problem()
    if problem:
        unavailable(f"local Spark is not available: {problem}")
    import py4j

    home = pyspark_home()
    try:
        worker = ensure_venv("spark-worker-py3.12", interpreter312, requirements("worker-requirements.txt"),
                             links={"pyspark": home, "py4j": Path(py4j.__file__).parent})
    except Exception as error:
        unavailable(f"could not build the Python 3.12 worker environment: {error}")
    server = ConnectServer(tmp_path_factory.mktemp("connect312"), worker_python=str(worker), name="connect-py312")
    try:
        server.start()
    except Exception as error:
        unavailable(f"the Python 3.12 Spark Connect server could not start: {error}")
    yield server
    group = server.process.pid
    server.stop()
    assert not live_group_members(group), "the Connect server left processes behind"


def run_client(python: Path, *arguments: str, timeout: int = 600) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYTHONPATH", "SPARK_HOME")}
    result = subprocess.run([str(python), str(MATRIX), *arguments], capture_output=True, text=True,
                            timeout=timeout, env=environment)
    assert result.returncode == 0, f"client failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def matrix164(dbconnect_python, server312):
    """The feature matrix over databricks-connect 16.4, opened through get_spark(remote=URL)."""
    return run_client(dbconnect_python, server312.url, "--session-code", str(SESSION_CODE))


def feature(matrix: dict, name: str) -> dict:
    return matrix["features"][name]


# --- the client itself --------------------------------------------------------------------------

def test_client_is_databricks_connect_16_4_on_python_3_12(matrix164):
    client = matrix164["client"]
    assert client["python"].startswith("3.12.")
    assert client["databricks-connect"].startswith("16.4.")
    assert client["pyspark"].startswith("3.5.")  # the fork databricks-connect 16.4 bundles
    assert client["dbldatagen"] == "0.4.0.post1"


def test_get_spark_remote_uses_databricks_session_against_a_pyspark_4_server(matrix164):
    # get_spark(remote=...) from scripts/utils/spark_session.py ran inside the client environment.
    assert matrix164["client"]["session_class"] == "pyspark.sql.connect.session.SparkSession"
    assert matrix164["client"]["server_spark"].startswith("4.0.")


def test_documented_uv_command_reaches_the_server(interpreter312, server312):
    """The exact command SKILL.md gives for Databricks Connect, with --remote instead of a workspace."""
    command = ["uv", "run", "--no-project", "--python", interpreter312, "--with", "databricks-connect>=16.4,<17",
               "--with", "dbldatagen==0.4.0.post1", "--with", "jmespath", "--with", "pyparsing",
               str(SESSION_CODE), "--remote", server312.url]
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "SPARK_HOME")}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    reported = json.loads(result.stdout.strip().splitlines()[-1])
    assert reported["spark_version"].startswith("4.0.")
    assert reported["time_zone"] == "UTC"


# --- Connect-safe rule: constraints fail over 16.4, filters after build() work ---------------------

@pytest.mark.parametrize("name", ["constraint_SqlExpr", "constraint_PositiveValues", "withSqlConstraint"])
def test_dbconnect164_constraints_fail(matrix164, name):
    outcome = feature(matrix164, name)
    assert not outcome["ok"]
    assert outcome["error"] == "AssertionError: Constraint expressions must be Pyspark SQL columns or None"


def test_dbconnect164_where_after_build_works(matrix164):
    outcome = feature(matrix164, "where_after_build")
    assert outcome["ok"], outcome
    assert outcome["result"]["rows"] > 0 and outcome["result"]["min_amount"] >= 1


# --- SQL-expressible features work --------------------------------------------------------------

def test_dbconnect164_values_weights_work(matrix164):
    outcome = feature(matrix164, "values_weights")
    assert outcome["ok"], outcome
    expected = {"Bronze": 0.50, "Silver": 0.30, "Gold": 0.15, "Platinum": 0.05}
    for tier, share in expected.items():  # 2,000 rows: 3 standard errors of a 50% share ≈ 0.034
        assert abs(outcome["result"]["shares"][tier] - share) < 0.035, (tier, outcome)


def test_dbconnect164_ranges_work(matrix164):
    outcome = feature(matrix164, "ranges")
    assert outcome["ok"], outcome
    assert outcome["result"]["quantity"] == [1, 9]
    low, high = outcome["result"]["price"]
    assert 1 <= low < 5 and 495 < high <= 500


def test_dbconnect164_dates_work(matrix164):
    outcome = feature(matrix164, "dates")
    assert outcome["ok"], outcome
    first, last = outcome["result"]["order_date"]
    assert "2024-01-01" <= first <= last <= "2024-12-31"
    first_ts, last_ts = outcome["result"]["event_ts"]
    assert "2024-01-01 00:00:00" <= first_ts <= last_ts <= "2024-12-31 23:59:59"


def test_dbconnect164_expr_works(matrix164):
    outcome = feature(matrix164, "sql_expr")
    assert outcome["ok"] and outcome["result"]["mismatches"] == 0, outcome


def test_dbconnect164_percent_nulls_work(matrix164):
    outcome = feature(matrix164, "percentNulls")
    assert outcome["ok"], outcome
    assert abs(outcome["result"]["null_share"] - 0.2) < 0.03  # 3 standard errors at 2,000 rows


def test_dbconnect164_partitions_omitted_falls_back_to_200(matrix164):
    outcome = feature(matrix164, "partitions_omitted")
    assert outcome["ok"] and outcome["result"]["partitions"] == 200, outcome


# --- UDF-backed features: work only when the server's Python matches and has dbldatagen -------------

@pytest.mark.parametrize("name", ["template", "distribution", "text_PyfuncText"])
def test_dbconnect164_udf_features_work_with_matching_server_python(matrix164, name):
    outcome = feature(matrix164, name)
    assert outcome["ok"], outcome


def test_dbconnect164_udf_fails_when_server_python_differs(dbconnect_python, spark_connect_server):
    """The shared test server's workers run this interpreter (not 3.12): UDFs are refused."""
    if sys.version_info[:2] == (3, 12):
        pytest.skip("the test interpreter is Python 3.12 too: no version mismatch to show")
    matrix = run_client(dbconnect_python, spark_connect_server.url, "--features", "template", "values_weights")
    assert feature(matrix, "values_weights")["ok"]  # SQL-only columns do not care
    outcome = feature(matrix, "template")
    assert not outcome["ok"]
    assert "Python versions in the Spark Connect client and server are different" in outcome["error"]


# --- seeding --------------------------------------------------------------------------------------

def test_dbconnect164_random_seed_alone_makes_equal_columns(matrix164):
    result = feature(matrix164, "seeding")["result"]
    assert result["fixed_equal_share"] == 1.0


def test_dbconnect164_hash_fieldname_distinct_columns_but_seed_ignored(matrix164):
    result = feature(matrix164, "seeding")["result"]
    assert result["hash_fieldname_equal_share"] < 0.05  # two independent 1..100 columns: ≈1%
    assert result["hash_fieldname_repeatable"]
    assert result["hash_fieldname_seed_42_equals_seed_7"]
    assert result["unseeded_equals_hash_fieldname"]


def test_dbconnect164_per_column_seeds_differ_by_column_and_by_seed(matrix164):
    result = feature(matrix164, "column_seeds")["result"]
    assert result["equal_share"] < 0.05 and result["repeatable"] and result["seed_changes_data"]
