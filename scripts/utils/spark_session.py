"""Spark session selection and column seeding: the pattern every Spark generator copies.

Copy ``get_spark`` (with ``LOCAL_SPARK_CONF``, ``CONNECT_COMMAND`` and ``LOCAL_COMMAND``) and
``column_seed`` verbatim into a generator; tests keep the copies identical to this file.

Where the session comes from, decided once:

1. Inside Databricks (a notebook or job: ``DATABRICKS_RUNTIME_VERSION`` is set) → the session that
   is already running there. Flags are ignored: a notebook has exactly one session.
2. ``local=True`` → a local pyspark session (``local[*]``); sets ``PYSPARK_PYTHON`` to this
   interpreter unless already set, because pandas UDFs (templates, text, distributions) run in
   Python workers that must import dbldatagen.
3. ``remote="sc://…"`` or ``SPARK_REMOTE`` set → Spark Connect to that URL: through
   ``DatabricksSession.builder.remote`` when databricks-connect is installed, else pyspark's
   ``SparkSession.builder.remote``.
4. Otherwise → Databricks Connect: ``DatabricksSession.builder.serverless()``; with ``profile``,
   that ``~/.databrickscfg`` profile's workspace, on its cluster when the profile names one
   (``cluster_id``), else on serverless.

Sessions this function creates use the UTC time zone, so timestamp literals mean the same
instant everywhere; local ones also write parquet timestamps as TIMESTAMP_MICROS, which Polars
reads back as UTC-aware (the INT96 default reads back naive). A notebook's session is left as it is.

The two kinds of environment never mix: databricks-connect and pyspark both install the
``pyspark`` package, so run a generator either way, never both in one environment::

    uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \\
        --with jmespath --with pyparsing SCRIPT [--profile NAME]          # Databricks Connect
    uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 \\
        --with jmespath --with pyparsing SCRIPT --local                   # local Spark

Run this file to check a connection: ``… spark_session.py [--local | --remote URL | --profile NAME]``
prints the session's Spark version and kind as JSON.
"""

from __future__ import annotations

import os
import sys
import zlib

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


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Open the Spark session a generator would use and print what it is.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="local pyspark session")
    where.add_argument("--remote", metavar="URL", help="Spark Connect URL, e.g. sc://localhost:15002")
    parser.add_argument("--profile", help="Databricks config profile (default: DEFAULT auth, serverless)")
    arguments = parser.parse_args()
    if arguments.profile and (arguments.local or arguments.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    spark = get_spark(local=arguments.local, remote=arguments.remote, profile=arguments.profile)
    print(json.dumps({"spark_version": spark.version,
                      "session": f"{type(spark).__module__}.{type(spark).__name__}",
                      "time_zone": spark.conf.get("spark.sql.session.timeZone")}))
