"""Describe an existing table with dbldatagen's DataAnalyzer: a summary, and generator code that mimics it.

    uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \\
        --with jmespath --with pyparsing scripts/utils/introspect.py main.sales.customers [--summary]

Prints a dbldatagen generator for the table (``--summary``: the per-column statistics as JSON).
By default the code comes from the schema alone; ``--from-data`` also reads up to
``--sample-rows`` rows (the first ones, not a random sample) for numeric and date ranges and null
rates. The code never carries string values from the table, but the ``--summary`` output does
(min/max of every column): real data, so do not paste it into code or chat that leaves the
workspace.

What this wrapper adds to DataAnalyzer:

- ANSI mode: Spark 4 (and serverless) turn ``spark.sql.ansi.enabled`` on, and DataAnalyzer's
  summary then fails with ``CAST_INVALID_INPUT``. It runs with ANSI off and restores the previous
  setting afterwards, even on error. The summary is collected inside that window, because Spark
  evaluates lazily.
- Over Spark Connect, DataAnalyzer's ``df.cache()`` is skipped (serverless refuses caching).
- DataAnalyzer's stray debugging prints go to stderr, so stdout carries only the result.
- The generated code follows this project's rules instead of DataAnalyzer's stubs: ``partitions``
  given; every random column seeded with its own ``randomSeed=column_seed(SEED, name)`` (the
  generator-level ``randomSeedMethod="hash_fieldname"`` alone ignores the seed, so every
  ``--seed`` gave the same data), booleans a seeded coin instead of ``id % 2 = 1``; strings
  built with SQL (a prefix and a random number, no template UDF) and dates over a fixed window
  instead of ``current_date()``, so the code is Connect-safe and gives the same data on every run
  with the same ``SEED`` and other data with another. Give columns real values before using it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys

ANSI = "spark.sql.ansi.enabled"
DEFAULT_WINDOW = ("2024-01-01", "2024-12-31")
# Put at the top of the generated code: column_seed as in scripts/utils/spark_session.py (the
# tests check that both give the same seeds).
SEED_PREAMBLE = '''import zlib

# Every column's randomSeed derives from SEED: change it for other data, keep it for the same.
SEED = {seed}


def column_seed(seed, column):
    """randomSeed of one column: stable across processes (crc32, not the salted hash()), distinct per column."""
    return zlib.crc32(f"{{seed}}:{{column}}".encode()) & 0x7FFFFFFF

'''

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


@contextlib.contextmanager
def ansi_disabled(spark):
    """Run a block with ANSI mode off; the previous setting (or its absence) is restored after."""
    try:
        previous = spark.conf.get(ANSI)
    except Exception:  # unset and without a default on this server
        previous = None
    spark.conf.set(ANSI, "false")
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(ANSI)
        else:
            spark.conf.set(ANSI, previous)


def _is_connect(df):
    return type(df).__module__.startswith("pyspark.sql.connect")


def _analyzer(spark, df):
    from dbldatagen import DataAnalyzer

    if _is_connect(df):
        # DataAnalyzer caches the frame first; serverless refuses cache(), so make it a no-op.
        df = df.alias("analysed")
        object.__setattr__(df, "cache", lambda: df)
    return DataAnalyzer(df, sparkSession=spark)


def summary_rows(spark, df):
    """DataAnalyzer's summary (one row per measure: schema, count, null_probability, distinct_count,
    min, max, mean, stddev, print_len_min, print_len_max), collected as dicts."""
    # dbldatagen 0.4.0.post1 prints debugging lines ("schema …", "src_fields …") while summarising:
    # sent to stderr so that stdout stays machine-readable.
    with ansi_disabled(spark), contextlib.redirect_stdout(sys.stderr):
        return [row.asDict() for row in _analyzer(spark, df).summarizeToDF().collect()]


def _connect_safe(code, name, rows, partitions, seed, date_ranges, keys=None):
    """Rewrite DataAnalyzer's stub code to this project's rules (see the module docstring).

    ``keys`` maps integer key columns (all values distinct in the sampled data) to their minimum.
    """
    keys = keys or {}
    # No generator-level random=True: every generated column sets its own, and a column added by
    # hand (e.g. baseColumnType="values" mapping one drawn index onto linked columns) must not
    # become random behind its author's back.
    header = (f"    dg.DataGenerator(sparkSession=spark, name={name!r}, rows={rows}, partitions={partitions},\n"
              "                     randomSeed=SEED, randomSeedMethod='hash_fieldname')")
    code = re.sub(r"    dg\.DataGenerator\(sparkSession=spark,.*?\n\s*\)", header, code, count=1, flags=re.S)

    def string_column(match):
        column = match.group(1)
        return f".withColumn('{column}', 'string', prefix='{column}', minValue=1, maxValue=1000000"

    code = re.sub(r"\.withColumn\('([^']+)', 'string', template=r'\\\\w'", string_column, code)

    def date_column(match):
        column = match.group(1)
        begin, end = date_ranges.get(column, DEFAULT_WINDOW)
        return f".withColumn('{column}', 'date', begin='{begin}', end='{end}', interval='1 day'"

    code = re.sub(r"\.withColumn\('([^']+)', 'date', expr='current_date\(\)'", date_column, code)

    def key_column(match):
        # A column whose sampled values were all distinct integers is a key: a random draw over
        # its range repeats values as soon as rows approach the range, so it becomes a sequence.
        column, column_type = match.group(1), match.group(2)
        return f".withColumn('{column}', '{column_type}', expr='id + {keys[column]}')"

    for column in keys:
        code = re.sub(rf"\.withColumn\('({re.escape(column)})', '([a-z]+)', .*\)", key_column, code, count=1)

    def decimal_column(match):
        # dbldatagen's step defaults to 1: decimal(p, s) columns step by one unit of their scale.
        column, precision, scale = match.group(1), match.group(2), int(match.group(3))
        step = f"{10 ** -scale:.{scale}f}" if scale else "1"
        return f".withColumn('{column}', 'decimal({precision},{scale})', step={step}, "

    code = re.sub(r"\.withColumn\('([^']+)', 'decimal\((\d+),\s*(\d+)\)', (?!expr=)", decimal_column, code)
    return _seeded_per_column(code, seed)


def _seeded_per_column(code, seed):
    """Give every random column its own ``randomSeed=column_seed(SEED, name)``.

    The header's ``randomSeedMethod='hash_fieldname'`` seeds each column from ``hash('<name>')``
    and ignores ``randomSeed``: without this, every ``--seed`` gives the same data. A seed on the
    column switches that column to the "fixed" method with its own seed (dbldatagen 0.4.0.post1,
    ``DataGenerator.withColumn``), so the data follows SEED and columns with equal ranges still
    differ. Boolean stubs (``id % 2 = 1``, not random at all) become a seeded coin; constant stubs
    (``expr='null'``, binary) need no seed.
    """
    def boolean_column(match):
        return f".withColumn('{match.group(1)}', 'boolean', values=[False, True]"

    code = re.sub(r"\.withColumn\('([^']+)', 'boolean', expr='id % 2 = 1'", boolean_column, code)

    def seeded(match):
        column, column_type, rest = match.groups()
        if rest.startswith("expr="):
            return match.group(0)
        return f".withColumn('{column}', {column_type}, random=True, randomSeed=column_seed(SEED, '{column}'), {rest}"

    code = re.sub(r"\.withColumn\('([^']+)', ('[^']+'), (.*)", seeded, code)
    return code.replace("import pyspark.sql.types\n", "import pyspark.sql.types\n" + SEED_PREAMBLE.format(seed=seed), 1)


def _integer_keys(df):
    """Integer columns whose sampled values are all present and distinct, with their minimum."""
    from pyspark.sql import functions as F

    integral = [f.name for f in df.schema.fields if f.dataType.simpleString() in ("tinyint", "smallint", "int", "bigint")]
    if not integral:
        return {}
    row = df.select(F.count(F.lit(1)).alias("|rows"),
                    *[F.count_distinct(c).alias(f"{c}|distinct") for c in integral],
                    *[F.count(c).alias(f"{c}|present") for c in integral],
                    *[F.min(c).alias(f"{c}|min") for c in integral]).first().asDict()
    return {c: row[f"{c}|min"] for c in integral
            if row["|rows"] > 1 and row[f"{c}|distinct"] == row[f"{c}|present"] == row["|rows"]}


def generator_code(spark, df, name="synthetic", rows=100_000, partitions=4, seed=42, from_data=False):
    """Python source defining ``generation_spec`` (a dbldatagen DataGenerator) shaped like ``df``."""
    from dbldatagen import DataAnalyzer

    date_ranges, keys = {}, {}
    with ansi_disabled(spark), contextlib.redirect_stdout(sys.stderr):
        if from_data:
            analyzer = _analyzer(spark, df)
            code = analyzer.scriptDataGeneratorFromData(suppressOutput=True, name=name)
            summary = analyzer._dataSummary or {}
            keys.update(_integer_keys(df))
            for field in df.schema.fields:
                if field.dataType.simpleString() == "date":
                    low, high = summary.get("min", {}).get(field.name), summary.get("max", {}).get(field.name)
                    if low and high:
                        date_ranges[field.name] = (low, high)
        else:
            code = DataAnalyzer.scriptDataGeneratorFromSchema(df.schema, suppressOutput=True, name=name)
    return _connect_safe(code, name, rows, partitions, seed, date_ranges, keys)


def parse_table_name(text):
    """'catalog.schema.table' or 'schema.table' -> quoted SQL name; each part checked."""
    parts = text.split(".")
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"table name {text!r} must be catalog.schema.table or schema.table")
    return ".".join(quote_identifier(part, kind) for part, kind in zip(parts, ("catalog", "schema", "table")[-len(parts):]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", help="catalog.schema.table to describe")
    parser.add_argument("--summary", action="store_true", help="print DataAnalyzer's summary as JSON instead")
    parser.add_argument("--from-data", action="store_true", help="read sample rows for ranges and null rates")
    parser.add_argument("--sample-rows", type=int, default=100_000, help="rows read with --from-data/--summary")
    parser.add_argument("--rows", type=int, default=100_000, help="rows the generated code makes")
    parser.add_argument("--partitions", type=int, default=4, help="partitions the generated code uses")
    parser.add_argument("--seed", type=int, default=42, help="SEED of the generated code: each column's randomSeed derives from it")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="local pyspark session")
    where.add_argument("--remote", metavar="URL", help="Spark Connect URL (sc://host:port)")
    parser.add_argument("--profile", help="Databricks config profile")
    arguments = parser.parse_args(argv)
    try:
        table = parse_table_name(arguments.table)
    except ValueError as error:
        parser.error(str(error))
    for option in ("sample_rows", "rows", "partitions"):
        if getattr(arguments, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    spark = get_spark(local=arguments.local, remote=arguments.remote, profile=arguments.profile)
    if not spark.catalog.tableExists(table):
        parser.error(f"table {arguments.table} does not exist or is not visible to you")
    df = spark.table(table)
    if arguments.summary or arguments.from_data:
        df = df.limit(arguments.sample_rows)
    if arguments.summary:
        print(json.dumps(summary_rows(spark, df), default=str))
    else:
        name = table.replace("`", "").split(".")[-1]
        print(generator_code(spark, df, name=name, rows=arguments.rows, partitions=arguments.partitions,
                             seed=arguments.seed, from_data=arguments.from_data))


if __name__ == "__main__":
    main()
