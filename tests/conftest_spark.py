"""Spark fixtures, imported by conftest.py. How they fit together:

- ``spark``: the classic local session (pyspark 4.0.x, ``local[2]``, UTC, TIMESTAMP_MICROS parquet).
- ``spark_connect``: a pyspark Spark Connect client session against ``spark_connect_server``, a
  local Spark Connect server the tests start on a free port and stop at the end.
- ``spark_any``: the same test once on each (ids ``classic`` and ``connect``).

One test process holds one kind of session at a time: requesting ``spark`` after
``spark_connect`` (or the reverse) stops the other first (``spark_support.SparkModes``). So take
the session from the fixture in each test; never keep one across tests in a module global.
Classic tables live in an in-memory catalog that a switch to Connect clears; the Connect server's
catalog lives as long as the server.

When Java or pyspark is missing or Spark cannot start, these fixtures skip — or fail when
``DDG_REQUIRE_SPARK=1`` (set by .ci/run).
"""

from __future__ import annotations

import sys

import pytest

from spark_support import TIMINGS, ConnectServer, SparkModes, live_group_members, spark_problem, unavailable


@pytest.fixture(scope="session")
def spark_workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="session")
def spark_modes(spark_workdir):
    problem = spark_problem()
    if problem:
        unavailable(f"local Spark is not available: {problem}")
    modes = SparkModes(spark_workdir)
    yield modes
    modes.stop()


@pytest.fixture
def spark(spark_modes):
    """The classic local[2] session."""
    try:
        return spark_modes.classic()
    except Exception as error:  # a JVM that cannot start raises many kinds of errors
        unavailable(f"classic Spark could not start: {type(error).__name__}: {error}")


@pytest.fixture(scope="session")
def spark_connect_server(spark_workdir, spark_modes):
    """A local Spark Connect server whose Python workers run this interpreter."""
    server = ConnectServer(spark_workdir, worker_python=sys.executable)
    try:
        server.start()
    except Exception as error:
        unavailable(f"the Spark Connect server could not start: {error}")
    yield server
    # Close client sessions first: a Connect client whose server has gone retries its release
    # call for minutes before giving up.
    spark_modes.stop_connect()
    group = server.process.pid if server.process else None
    server.stop()
    assert group is None or not live_group_members(group), "the Connect server left processes behind"


@pytest.fixture
def spark_connect(spark_modes, spark_connect_server):
    """A pyspark Spark Connect client session (``SparkSession.builder.remote``)."""
    try:
        return spark_modes.connect(spark_connect_server.url)
    except Exception as error:
        unavailable(f"could not connect to the local Spark Connect server: {type(error).__name__}: {error}")


@pytest.fixture(params=["classic", "connect"])
def spark_any(request):
    """Runs the test once on the classic session and once over Spark Connect."""
    return request.getfixturevalue("spark" if request.param == "classic" else "spark_connect")


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_sep("-", "local Spark start-up")
        for what, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{what}: {seconds}")
