"""Mimesis-backed text columns for dbldatagen (notebooks, Tier 3): ``text=mimesis_text("person.full_name", seed=42)``.

Copy ``mimesis_text`` (with ``_row_seed``, ``_provider_class`` and ``SAFE_DEFAULTS``) into a
generator or notebook. It returns a dbldatagen ``PyfuncText`` built with ``PyfuncTextFactory``,
for ``DataGenerator.withColumn(name, "string", text=...)``.

Why not plain PyfuncText: its docs promise no repeatability, and dbldatagen's own seeded text
and distribution generators restart the same random sequence in every Arrow batch (every 10,000
rows repeat) and, under ``randomSeedMethod="hash_fieldname"``, change with PYTHONHASHSEED. Here
each row's value comes from a Mimesis provider reseeded from (seed, column method, the row's base
value) — by default the row id, or the column named by ``baseColumn=`` — so a row's text is the
same however the data is partitioned or batched, on every run, and differs between seeds.

Cost: one reseed and one Mimesis call per row, ≈10–20 µs, in pandas UDFs on the workers. For
millions of rows of a few distinct values (first names, cities) a SQL pick from a small pool is
cheaper; use this where the variety matters (full addresses, sentences, company names).

Needs Mimesis (22.x) wherever the UDF runs: the notebook's cluster (``%pip install
mimesis==22.2.0``) or, over Databricks Connect, the server side (serverless:
``DatabricksEnv().withDependencies("mimesis==22.2.0", "dbldatagen==0.4.0.post1", ...)``) with the
client on the same Python minor version (3.12). It is a UDF: not Connect-safe (Tier 2) by default.

Safe synthetic PII: ``person.email`` defaults to RFC 2606 domains (example.com/.net/.org). Mimesis
phone masks cannot keep the area code in 2–9; build phone numbers with SQL instead.

Run it to preview columns on local Spark:
``uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 --with jmespath
--with pyparsing --with mimesis==22.2.0 scripts/utils/mimesis_text.py person.full_name address.city``
"""

from __future__ import annotations

import hashlib

SAFE_DEFAULTS = {
    "person.email": {"domains": ["example.com", "example.net", "example.org"]},
}


def _provider_class(provider_name):
    import mimesis

    providers = {name.lower(): getattr(mimesis, name) for name in mimesis.__all__
                 if isinstance(getattr(mimesis, name, None), type)
                 and issubclass(getattr(mimesis, name), mimesis.BaseProvider)
                 and name not in ("BaseProvider", "BaseDataProvider", "Generic")}
    found = providers.get(provider_name.lower())
    if found is None:
        raise ValueError(f"unknown Mimesis provider {provider_name!r}; one of: {', '.join(sorted(providers))}")
    return found


def _row_seed(seed, salt, value):
    # Stable across processes and platforms (Python's hash() of a str is salted per process).
    digest = hashlib.blake2b(f"{seed}:{salt}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def mimesis_text(method, *, seed, locale="en", **method_arguments):
    """A dbldatagen text generator calling Mimesis ``provider.method`` (e.g. ``"address.city"``).

    ``method_arguments`` go to the Mimesis method (``mimesis_text("text.sentence", seed=1)``,
    ``mimesis_text("person.email", seed=1, unique=False)``). Raises ValueError at once for an
    unknown provider, method or locale, not later inside a Spark task.
    """
    import mimesis
    from dbldatagen import PyfuncTextFactory

    provider_name, _, method_name = method.partition(".")
    provider_class = _provider_class(provider_name)
    if not method_name or not callable(getattr(provider_class, method_name, None)):
        raise ValueError(f"Mimesis {provider_class.__name__} has no method {method_name!r}")
    localized = issubclass(provider_class, mimesis.BaseDataProvider)
    if localized:
        try:
            mimesis.Locale(locale)
        except ValueError:
            raise ValueError(f"unknown Mimesis locale {locale!r}") from None
    arguments = {**SAFE_DEFAULTS.get(f"{provider_class.__name__.lower()}.{method_name}", {}), **method_arguments}
    salt = f"{provider_class.__name__}.{method_name}"

    def initialise(context):
        import mimesis as worker_mimesis

        options = {"locale": worker_mimesis.Locale(locale)} if localized else {}
        context.provider = provider_class(seed=seed, **options)
        context.method = getattr(context.provider, method_name)

    def generate(context, value):
        if value is None:
            return None
        context.provider.reseed(_row_seed(seed, salt, value))
        return str(context.method(**arguments))

    return PyfuncTextFactory(name=f"MimesisText({salt})").withInit(initialise)(generate)


if __name__ == "__main__":
    import argparse
    import json
    import os
    import sys

    parser = argparse.ArgumentParser(
        description="Preview Mimesis text columns generated through dbldatagen on local Spark.")
    parser.add_argument("methods", nargs="+", metavar="PROVIDER.METHOD", help="e.g. person.full_name address.city")
    parser.add_argument("--rows", type=int, default=5, help="rows to show (default 5)")
    parser.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    parser.add_argument("--locale", default="en", help="Mimesis locale (default en)")
    arguments = parser.parse_args()
    if not 1 <= arguments.rows <= 10_000:
        parser.error("--rows must be between 1 and 10000")
    try:
        generators = {method.replace(".", "_"): mimesis_text(method, seed=arguments.seed, locale=arguments.locale)
                      for method in arguments.methods}
    except (ValueError, ImportError) as error:
        parser.error(str(error))
    from pyspark.sql import SparkSession

    import dbldatagen as dg

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spec = dg.DataGenerator(spark, rows=arguments.rows, partitions=1, randomSeed=arguments.seed,
                            randomSeedMethod="hash_fieldname")
    for column, generator in generators.items():
        spec = spec.withColumn(column, "string", text=generator)
    for row in spec.build().collect():
        print(json.dumps(row.asDict(), ensure_ascii=False))
