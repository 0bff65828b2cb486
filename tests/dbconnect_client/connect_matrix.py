"""Which dbldatagen features work on a given Spark session: the evidence behind the Connect-safe rule.

Runs the same small specs on whatever session it is given — classic local Spark, a pyspark 4.0
Spark Connect client, or a databricks-connect 16.4 client (pyspark 3.5 fork, Python 3.12) — and
returns, per feature, whether it worked, the error if not, and what it measured. Imported by the
tests in-process and run as a script by tests/test_databricks_connect_client.py inside the
databricks-connect environment (``python connect_matrix.py sc://localhost:PORT`` prints JSON).

Keep it importable on Python 3.11 and 3.12 and on pyspark 3.5 and 4.0: standard library,
pyspark and dbldatagen only.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

ROWS = 2000
PARTITIONS = 2


def _spec(spark, rows=ROWS, **options):
    import dbldatagen as dg

    options.setdefault("randomSeed", 42)
    options.setdefault("randomSeedMethod", "hash_fieldname")
    options.setdefault("partitions", PARTITIONS)
    return (dg.DataGenerator(spark, name="matrix", rows=rows, **options)
            .withColumn("amount", "int", minValue=-50, maxValue=50, random=True))


def constraint_SqlExpr(spark):
    from dbldatagen.constraints import SqlExpr

    rows = _spec(spark).withConstraint(SqlExpr("amount > 0")).build().collect()
    return {"rows": len(rows), "min_amount": min(r.amount for r in rows)}


def constraint_PositiveValues(spark):
    from dbldatagen.constraints import PositiveValues

    rows = _spec(spark).withConstraint(PositiveValues(columns="amount", strict=True)).build().collect()
    return {"rows": len(rows), "min_amount": min(r.amount for r in rows)}


def withSqlConstraint(spark):
    rows = _spec(spark).withSqlConstraint("amount > 0").build().collect()
    return {"rows": len(rows), "min_amount": min(r.amount for r in rows)}


def where_after_build(spark):
    rows = _spec(spark).build().where("amount > 0").collect()
    return {"rows": len(rows), "min_amount": min(r.amount for r in rows)}


def values_weights(spark):
    frame = (_spec(spark).withColumn("tier", "string", values=["Bronze", "Silver", "Gold", "Platinum"],
                                     weights=[50, 30, 15, 5], random=True).build())
    counts = {r.tier: r["count"] for r in frame.groupBy("tier").count().collect()}
    return {"shares": {tier: round(n / ROWS, 3) for tier, n in sorted(counts.items())}}


def ranges(spark):
    frame = (_spec(spark)
             .withColumn("quantity", "int", minValue=1, maxValue=9, random=True)
             .withColumn("price", "decimal(10,2)", minValue=1, maxValue=500, step=0.01, random=True)
             .build())
    row = frame.selectExpr("min(quantity) q0", "max(quantity) q1", "min(price) p0", "max(price) p1").first()
    return {"quantity": [row.q0, row.q1], "price": [float(row.p0), float(row.p1)]}


def dates(spark):
    frame = (_spec(spark)
             .withColumn("order_date", "date", begin="2024-01-01", end="2024-12-31", interval="1 day", random=True)
             .withColumn("event_ts", "timestamp", begin="2024-01-01 00:00:00", end="2024-12-31 23:59:59",
                         interval="1 minute", random=True)
             .build())
    row = frame.selectExpr("string(min(order_date)) d0", "string(max(order_date)) d1",
                           "string(min(event_ts)) t0", "string(max(event_ts)) t1").first()
    return {"order_date": [row.d0, row.d1], "event_ts": [row.t0, row.t1]}


def sql_expr(spark):
    frame = _spec(spark).withColumn("doubled", "int", expr="amount * 2", baseColumn="amount").build()
    mismatches = frame.where("doubled <> amount * 2").count()
    return {"mismatches": mismatches}


def percentNulls(spark):
    frame = (_spec(spark).withColumn("phone_ext", "int", minValue=100, maxValue=999, random=True,
                                     percentNulls=0.2).build())
    return {"null_share": round(frame.where("phone_ext is null").count() / ROWS, 3)}


def template(spark):
    rows = _spec(spark).withColumn("code", "string", template=r"ddd-dddd").build().limit(5).collect()
    return {"examples": [r.code for r in rows]}


def distribution(spark):
    from dbldatagen.distributions import Gamma

    frame = (_spec(spark).withColumn("spend", "double", minValue=0, maxValue=1000,
                                     distribution=Gamma(2.0, 250.0), random=True).build())
    row = frame.selectExpr("min(spend) s0", "max(spend) s1", "avg(spend) mean").first()
    return {"spend": [row.s0, row.s1], "mean": round(row.mean, 1)}


def _upper_text(context, value):
    return f"ROW-{value}"


def text_PyfuncText(spark):
    from dbldatagen import PyfuncText

    rows = _spec(spark).withColumn("label", "string", text=PyfuncText(_upper_text)).build().limit(3).collect()
    return {"examples": [r.label for r in rows]}


def text_ILText(spark):
    import dbldatagen as dg

    rows = _spec(spark).withColumn("note", "string", text=dg.ILText(words=(2, 4))).build().limit(3).collect()
    return {"examples": [r.note for r in rows]}


def partitions_omitted(spark):
    """Without ``partitions=``: classic reads defaultParallelism; Connect has no sparkContext.

    ``spec.partitions`` is what ``build()`` passes to ``spark.range(numPartitions=...)``; reading
    it avoids running 200 tasks on two cores just to count them.
    """
    import dbldatagen as dg

    spec = (dg.DataGenerator(spark, rows=ROWS, randomSeed=42, randomSeedMethod="hash_fieldname")
            .withColumn("amount", "int", minValue=1, maxValue=9, random=True))
    return {"partitions": spec.partitions}


def _pair_equality(spark, **options):
    import dbldatagen as dg

    frame = (dg.DataGenerator(spark, rows=ROWS, partitions=PARTITIONS, **options).withIdOutput()
             .withColumn("quantity", "int", minValue=1, maxValue=100, random=True)
             .withColumn("discount_pct", "int", minValue=1, maxValue=100, random=True)
             .build())
    row = frame.selectExpr("avg(cast(quantity = discount_pct as int)) same",
                           "sum(hash(id, quantity, discount_pct)) fingerprint").first()
    return round(row.same, 3), row.fingerprint


def seeding(spark):
    """randomSeed alone -> "fixed": equal columns. hash_fieldname -> distinct columns, but the seed
    value is ignored (rand(hash('<column name>'))). Per-column randomSeed -> both fixed."""
    fixed_same, _ = _pair_equality(spark, randomSeed=42)
    hashed_same, hashed_42 = _pair_equality(spark, randomSeed=42, randomSeedMethod="hash_fieldname")
    _, hashed_42_again = _pair_equality(spark, randomSeed=42, randomSeedMethod="hash_fieldname")
    _, hashed_7 = _pair_equality(spark, randomSeed=7, randomSeedMethod="hash_fieldname")
    _, unseeded = _pair_equality(spark)
    return {
        "fixed_equal_share": fixed_same,
        "hash_fieldname_equal_share": hashed_same,
        "hash_fieldname_repeatable": hashed_42 == hashed_42_again,
        "hash_fieldname_seed_42_equals_seed_7": hashed_42 == hashed_7,
        "unseeded_equals_hash_fieldname": unseeded == hashed_42,
    }


def column_seeds(spark):
    """The working pattern: a per-column randomSeed derived from (run seed, column name)."""
    import zlib

    import dbldatagen as dg

    def run(seed):
        def column_seed(name):
            return zlib.crc32(f"{seed}:{name}".encode()) & 0x7FFFFFFF

        frame = (dg.DataGenerator(spark, rows=ROWS, partitions=PARTITIONS, randomSeed=seed,
                                  randomSeedMethod="hash_fieldname").withIdOutput()
                 .withColumn("quantity", "int", minValue=1, maxValue=100, random=True,
                             randomSeed=column_seed("quantity"))
                 .withColumn("discount_pct", "int", minValue=1, maxValue=100, random=True,
                             randomSeed=column_seed("discount_pct"))
                 .build())
        row = frame.selectExpr("avg(cast(quantity = discount_pct as int)) same",
                               "sum(hash(id, quantity, discount_pct)) fingerprint").first()
        return round(row.same, 3), row.fingerprint

    (same_42, print_42), (_, print_42_again), (_, print_7) = run(42), run(42), run(7)
    return {"equal_share": same_42, "repeatable": print_42 == print_42_again, "seed_changes_data": print_42 != print_7}


# ILText fails on every NumPy >= 1.25 whatever the client (numpy.clip casting); it is shown on
# classic Spark only (tests/test_spark_infra.py), to keep the Connect runs short.
FEATURES = [constraint_SqlExpr, constraint_PositiveValues, withSqlConstraint, where_after_build,
            values_weights, ranges, dates, sql_expr, percentNulls, template, distribution,
            text_PyfuncText, text_ILText, partitions_omitted, seeding, column_seeds]
CONNECT_FEATURES = [f.__name__ for f in FEATURES if f is not text_ILText]


def run_matrix(spark, names=None) -> dict:
    outcome = {}
    for feature in FEATURES:
        if names and feature.__name__ not in names:
            continue
        started = time.perf_counter()
        try:
            outcome[feature.__name__] = {"ok": True, "result": feature(spark)}
        except Exception as error:  # the point is to record what fails and how
            # First line says what failed; for errors from Python workers the last line of the
            # worker's traceback says why.
            lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
            outcome[feature.__name__] = {"ok": False, "error": f"{type(error).__name__}: {' '.join(lines)[:400]}",
                                         "cause": lines[-1][:400] if lines else "",
                                         "where": traceback.format_exc().strip().splitlines()[-3:-1]}
        outcome[feature.__name__]["seconds"] = round(time.perf_counter() - started, 2)
    return outcome


if __name__ == "__main__":
    import argparse
    import importlib.metadata
    import importlib.util
    import platform

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="Spark Connect URL, e.g. sc://localhost:15002")
    parser.add_argument("--features", nargs="*", help="run only these features")
    parser.add_argument("--session-code", help="path of scripts/utils/spark_session.py: open the session with "
                                               "its get_spark(remote=URL) instead of DatabricksSession directly")
    arguments = parser.parse_args()

    if arguments.session_code:
        spec = importlib.util.spec_from_file_location("spark_session", arguments.session_code)
        session_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(session_module)
        session = session_module.get_spark(remote=arguments.url)
    else:
        from databricks.connect import DatabricksSession

        session = DatabricksSession.builder.remote(arguments.url).getOrCreate()

    def version(package):
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    import pyspark

    report = {
        "client": {"python": platform.python_version(), "pyspark": pyspark.__version__,
                   "databricks-connect": version("databricks-connect"), "dbldatagen": version("dbldatagen"),
                   "session_class": f"{type(session).__module__}.{type(session).__name__}",
                   "server_spark": session.version},
        "features": run_matrix(session, arguments.features or CONNECT_FEATURES),
    }
    session.stop()
    json.dump(report, sys.stdout, indent=1)
    print()
