"""The Spark-tier utilities on real local Spark: spark_session, uc_setup, output, introspect, mimesis_text.

Unity Catalog itself is not here: locally the only catalog is ``spark_catalog`` (no CREATE
CATALOG, no volumes, parquet instead of Delta). What can run locally runs; the SQL that only
Databricks would execute is checked as text.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, SCHEMAS, SCRIPTS, load_script
from spark_support import load_spark_script

pytestmark = [pytest.mark.spark]

SESSION_PIECES = ("LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND", "get_spark")
IDENTIFIER_PIECES = ("MAX_NAME_LENGTH", "UC_FORBIDDEN", "TOOL_FORBIDDEN", "check_identifier", "quote_identifier",
                     "qualified_name")
COPIES = [(source, piece, target)
          for source, pieces, targets in [
              ("utils/spark_session.py", SESSION_PIECES, ("utils/uc_setup.py", "utils/output.py", "utils/introspect.py")),
              ("utils/uc_setup.py", IDENTIFIER_PIECES, ("utils/output.py", "utils/introspect.py"))]
          for piece in pieces for target in targets]


def definitions(relative_path):
    source = (SCRIPTS / relative_path).read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    return found


@pytest.mark.parametrize("source,piece,target", COPIES, ids=[f"{p}->{t.split('/')[-1]}" for _, p, t in COPIES])
def test_inlined_copies_match_their_pattern(source, piece, target):
    assert definitions(target).get(piece) == definitions(source)[piece], f"re-copy {piece} from {source} into {target}"


@pytest.mark.parametrize("script", ["spark_session", "uc_setup", "output", "introspect", "mimesis_text"])
def test_utils_have_help(script):
    result = subprocess.run([sys.executable, str(SCRIPTS / "utils" / f"{script}.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage:" in result.stdout, result.stderr


# --- spark_session.get_spark ------------------------------------------------------------------------

def test_get_spark_local_returns_the_local_session_with_utc(spark):
    session = load_script("utils/spark_session.py").get_spark(local=True)
    assert session is spark
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"
    assert session.conf.get("spark.sql.parquet.outputTimestampType") == "TIMESTAMP_MICROS"
    assert os.environ["PYSPARK_PYTHON"] == sys.executable


def test_get_spark_inside_databricks_returns_the_running_session(spark, monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    # Flags are ignored in a notebook: there is exactly one session.
    assert load_script("utils/spark_session.py").get_spark(remote="sc://nowhere:1") is spark


def test_get_spark_remote_and_spark_remote_open_connect_sessions(spark_connect, spark_connect_server, monkeypatch):
    get_spark = load_script("utils/spark_session.py").get_spark
    session = get_spark(remote=spark_connect_server.url)
    assert type(session).__module__ == "pyspark.sql.connect.session"
    assert session.range(5).count() == 5
    monkeypatch.setenv("SPARK_REMOTE", spark_connect_server.url)
    assert type(get_spark()).__module__ == "pyspark.sql.connect.session"
    assert get_spark().conf.get("spark.sql.session.timeZone") == "UTC"


def test_get_spark_without_databricks_connect_names_the_command(monkeypatch):
    try:
        import databricks.connect  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("databricks-connect is installed here")
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    with pytest.raises(SystemExit) as stopped:
        load_script("utils/spark_session.py").get_spark(profile="demo")
    assert 'uv run --python 3.12 --with "databricks-connect>=16.4,<17"' in str(stopped.value)


def test_spark_session_cli_refuses_profile_with_local():
    result = subprocess.run([sys.executable, str(SCRIPTS / "utils" / "spark_session.py"), "--local", "--profile", "x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--profile applies to Databricks Connect only" in result.stderr


# --- uc_setup -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def uc_setup():
    return load_script("utils/uc_setup.py")


@pytest.mark.parametrize("name", ["main", "retail_demo", "Sales2024", "demo-data", "données", "x" * 255])
def test_identifier_accepts_unity_catalog_names(uc_setup, name):
    assert uc_setup.check_identifier(name) == name
    assert uc_setup.quote_identifier(name) == f"`{name}`"


@pytest.mark.parametrize("name,reason", [
    ("", "must not be empty"), ("x" * 256, "longer than 255"), ("a.b", "a period"), ("a b", "a space"),
    ("a/b", "a forward slash"), ("a\x00b", "control character"), ("a\nb", "control character"),
    ("a\x7fb", "control character"), ("a`b", "a backtick"), ("x`; DROP SCHEMA main CASCADE; --", "a backtick"),
    ("a'b", "a quote"), ('a"b', "a double quote"), ("a\\b", "a backslash"), ("a;b", "a semicolon"),
])
def test_identifier_refuses_hostile_or_invalid_names(uc_setup, name, reason):
    with pytest.raises(ValueError, match=reason):
        uc_setup.check_identifier(name, "schema")


def test_provisioning_sql_is_quoted_and_idempotent(uc_setup):
    statements = uc_setup.provisioning_statements("main", "retail-demo", "landing", create_catalog=True)
    comment = "COMMENT 'Synthetic data generated by databricks-data-gen'"
    assert statements == [f"CREATE CATALOG IF NOT EXISTS `main` {comment}",
                          f"CREATE SCHEMA IF NOT EXISTS `main`.`retail-demo` {comment}",
                          f"CREATE VOLUME IF NOT EXISTS `main`.`retail-demo`.`landing` {comment}"]
    assert uc_setup.provisioning_statements("main", "demo") == [f"CREATE SCHEMA IF NOT EXISTS `main`.`demo` {comment}"]


def test_uc_setup_cli_dry_run_and_refusal(uc_setup):
    script = str(SCRIPTS / "utils" / "uc_setup.py")
    result = subprocess.run([sys.executable, script, "--catalog", "main", "--schema", "demo", "--volume", "raw",
                             "--dry-run"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statements"][-1].startswith("CREATE VOLUME IF NOT EXISTS `main`.`demo`.`raw`")
    hostile = subprocess.run([sys.executable, script, "--catalog", "main", "--schema", "x`; DROP TABLE t; --",
                              "--dry-run"], capture_output=True, text=True, timeout=60)
    assert hostile.returncode == 2 and "contains a backtick" in hostile.stderr and not hostile.stdout


def test_uc_setup_creates_a_schema_on_local_spark_twice(spark, uc_setup, capsys):
    first = uc_setup.provision_with_sql(spark, "spark_catalog", "uc_setup_demo")
    again = uc_setup.provision_with_sql(spark, "spark_catalog", "uc_setup_demo")
    assert first == again
    assert "uc_setup_demo" in {row[0] for row in spark.sql("SHOW SCHEMAS").collect()}
    uc_setup.main(["--catalog", "spark_catalog", "--schema", "uc_setup_cli", "--local"])
    assert json.loads(capsys.readouterr().out)["statements"][0].startswith("CREATE SCHEMA IF NOT EXISTS")
    assert "uc_setup_cli" in {row[0] for row in spark.sql("SHOW SCHEMAS").collect()}


def test_uc_setup_refuses_a_missing_catalog_and_local_volumes(spark, uc_setup):
    with pytest.raises(uc_setup.ProvisioningError, match="catalog 'no_such_catalog' does not exist: create it"):
        uc_setup.provision_with_sql(spark, "no_such_catalog", "demo")
    with pytest.raises(uc_setup.ProvisioningError, match="volumes exist only in Unity Catalog"):
        uc_setup.provision_with_sql(spark, "spark_catalog", "demo", volume="landing")
    # Open-source Spark has no CREATE CATALOG: Spark's own error comes back as a clear message.
    with pytest.raises(uc_setup.ProvisioningError, match="CREATE CATALOG IF NOT EXISTS `main` .* failed"):
        uc_setup.provision_with_sql(spark, "main", "demo", create_catalog=True)


# --- output ---------------------------------------------------------------------------------------------

CUSTOMERS_SQL = """
SELECT CAST(1000000 + id AS BIGINT) AS customer_id, 'Ada' AS first_name, 'O''Neil' AS last_name,
       'Ada O''Neil' AS name, concat('ada.', id, '@example.com') AS email, '(212) 555-0100' AS phone,
       '1 Main St' AS street_address, 'Springfield' AS city, 'IL' AS state, '62701' AS postal_code,
       'Midwest' AS region, 'Gold' AS loyalty_tier, DATE'2023-05-01' AS signup_date,
       CAST(123.45 AS DECIMAL(12,2)) AS lifetime_value
FROM range({rows})
"""


@pytest.fixture(scope="module")
def output():
    return load_script("utils/output.py")


@pytest.fixture(scope="module")
def retail_contracts(output):
    return output.load_contracts("retail", SCHEMAS)


def described(spark, full_name):
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {full_name}").collect()
    columns = {row.col_name: row.comment for row in rows[: rows.index(next(r for r in rows if not r.col_name))]}
    details = {row.col_name: row.data_type for row in rows}
    return columns, details


def test_write_table_documents_and_marks_and_refuses_overwrites(spark_any, output, retail_contracts):
    spark = spark_any
    spark.sql("CREATE SCHEMA IF NOT EXISTS output_demo")
    contract = retail_contracts["customers"]
    customers = spark.sql(CUSTOMERS_SQL.format(rows=10))
    name = "`spark_catalog`.`output_demo`.`customers`"
    spark.sql(f"DROP TABLE IF EXISTS {name}")

    result = output.write_table(customers, "spark_catalog", "output_demo", "customers", fmt="parquet",
                                contract=contract, seed=42)
    assert result == {"table": "spark_catalog.output_demo.customers", "mode": "error", "format": "parquet"}
    properties = output.table_properties(spark, name)
    assert properties["synthetic"] == "true" and properties["synthetic.generator"] == "databricks-data-gen"
    assert properties["synthetic.seed"] == "42"
    columns, details = described(spark, name)
    assert details["Comment"] == f"{contract['description']} {output.SYNTHETIC_NOTE}"
    assert columns == {column["name"]: column["description"] for column in contract["columns"]}

    with pytest.raises(output.OutputError, match="exists .*pass --mode overwrite"):
        output.write_table(customers, "spark_catalog", "output_demo", "customers", fmt="parquet", contract=contract)
    output.write_table(spark.sql(CUSTOMERS_SQL.format(rows=3)), "spark_catalog", "output_demo", "customers",
                       mode="overwrite", fmt="parquet", contract=contract)
    assert spark.table(name).count() == 3
    output.write_table(customers, "spark_catalog", "output_demo", "customers", mode="append", fmt="parquet",
                       contract=contract)
    assert spark.table(name).count() == 13
    assert output.created_by_this_tool(output.table_properties(spark, name))  # still marked after overwrite


def test_write_table_never_touches_a_table_it_did_not_create(spark, output, retail_contracts):
    spark.sql("CREATE SCHEMA IF NOT EXISTS output_foreign")
    spark.sql("CREATE TABLE IF NOT EXISTS output_foreign.customers (customer_id BIGINT) USING parquet")
    spark.sql("INSERT INTO output_foreign.customers VALUES (7)")
    customers = spark.sql(CUSTOMERS_SQL.format(rows=5))
    for mode in ("error", "overwrite", "append"):
        with pytest.raises(output.OutputError, match="was not created by databricks-data-gen"):
            output.write_table(customers, "spark_catalog", "output_foreign", "customers", mode=mode, fmt="parquet",
                               contract=retail_contracts["customers"])
    assert [row[0] for row in spark.table("output_foreign.customers").collect()] == [7]


def test_write_table_refuses_contract_mismatches_and_bad_names(spark, output, retail_contracts):
    spark.sql("CREATE SCHEMA IF NOT EXISTS output_checks")
    wrong = spark.sql(CUSTOMERS_SQL.format(rows=2)).drop("phone").withColumn("customer_id", __import__(
        "pyspark.sql.functions", fromlist=["col"]).col("customer_id").cast("int"))
    with pytest.raises(output.OutputError, match="missing column phone; column customer_id is int, contract says bigint"):
        output.write_table(wrong, "spark_catalog", "output_checks", "customers", fmt="parquet",
                           contract=retail_contracts["customers"])
    assert not spark.catalog.tableExists("spark_catalog.output_checks.customers")
    with pytest.raises(ValueError, match="contains a backtick"):
        output.write_table(wrong, "spark_catalog", "output_checks", "t`; DROP TABLE x; --", fmt="parquet")
    with pytest.raises(ValueError, match="mode must be one of"):
        output.write_table(wrong, "spark_catalog", "output_checks", "t", mode="replace", fmt="parquet")


def test_sql_string_round_trips_quotes_and_backslashes(spark, output):
    text = "O'Brien \"quoted\" back\\slash; DROP TABLE x; --\nsecond line"
    assert spark.sql(f"SELECT {output.sql_string(text)} AS text").first().text == text


def test_write_medallion_names_layers_and_list_and_drop_touch_only_its_tables(spark, output, retail_contracts,
                                                                               capsys):
    spark.sql("CREATE SCHEMA IF NOT EXISTS medallion_demo")
    spark.sql("CREATE TABLE IF NOT EXISTS medallion_demo.hand_made (x INT) USING parquet")
    customers = spark.sql(CUSTOMERS_SQL.format(rows=4))
    raw = customers.selectExpr("*", "current_timestamp() AS _ingested_at")
    by_tier = customers.groupBy("loyalty_tier").count()
    written = output.write_medallion({"bronze": {"customers": raw}, "silver": {"customers": customers},
                                      "gold": {"customers_by_tier": by_tier}},
                                     "spark_catalog", "medallion_demo", contracts=retail_contracts, fmt="parquet")
    assert [w["table"] for w in written] == ["spark_catalog.medallion_demo.bronze_customers",
                                             "spark_catalog.medallion_demo.silver_customers",
                                             "spark_catalog.medallion_demo.gold_customers_by_tier"]
    bronze_columns, _ = described(spark, "medallion_demo.bronze_customers")
    assert bronze_columns["email"] and bronze_columns["_ingested_at"] is None
    with pytest.raises(ValueError, match="unknown layer"):
        output.write_medallion({"platinum": {}}, "spark_catalog", "medallion_demo")

    output.main(["--catalog", "spark_catalog", "--schema", "medallion_demo", "--list", "--local"])
    listed = json.loads(capsys.readouterr().out)["tables"]
    assert listed == ["bronze_customers", "gold_customers_by_tier", "silver_customers"]
    output.main(["--catalog", "spark_catalog", "--schema", "medallion_demo", "--drop", "--local"])
    assert json.loads(capsys.readouterr().out)["dropped"] == listed
    assert {row.tableName for row in spark.sql("SHOW TABLES IN medallion_demo").collect()} == {"hand_made"}


# --- introspect -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def introspect():
    return load_script("utils/introspect.py")


def orders_frame(spark):
    return spark.sql("""
        SELECT CAST(id AS BIGINT) AS order_id, CAST(id % 7 AS INT) AS store_id,
               concat('cust-', id % 13) AS customer_ref,
               CASE WHEN id % 5 = 0 THEN NULL ELSE CAST(id * 1.5 AS DECIMAL(10,2)) END AS amount,
               date_add(DATE'2023-02-01', CAST(id % 300 AS INT)) AS order_date,
               id % 2 = 0 AS is_online
        FROM range(200)""")


def test_dataanalyzer_fails_under_ansi_and_the_wrapper_restores_ansi(spark, introspect):
    from dbldatagen import DataAnalyzer

    assert spark.conf.get("spark.sql.ansi.enabled") == "true"  # Spark 4's default
    with pytest.raises(Exception, match="CAST_INVALID_INPUT"):
        DataAnalyzer(orders_frame(spark), sparkSession=spark).summarizeToDF().collect()
    rows = introspect.summary_rows(spark, orders_frame(spark))
    measures = {row["measure_"]: row for row in rows}
    assert measures["count"]["order_id"] == "200"
    assert float(measures["null_probability"]["amount"]) == 0.2
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    with pytest.raises(ZeroDivisionError), introspect.ansi_disabled(spark):
        assert spark.conf.get("spark.sql.ansi.enabled") == "false"
        raise ZeroDivisionError
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"


@pytest.mark.parametrize("from_data", [False, True], ids=["from-schema", "from-data"])
def test_generated_code_builds_connect_safe_and_repeatable(spark_any, introspect, from_data):
    code = introspect.generator_code(spark_any, orders_frame(spark_any), name="orders", rows=500, partitions=2,
                                     seed=7, from_data=from_data)
    assert "template=" not in code and "current_date()" not in code
    assert "partitions=2" in code and "randomSeedMethod='hash_fieldname'" in code
    assert spark_any.conf.get("spark.sql.ansi.enabled") == "true"

    def build():
        namespace = {"spark": spark_any}
        exec(compile(code, "generated.py", "exec"), namespace)
        return namespace["generation_spec"].build()

    frame = build()
    assert frame.count() == 500
    assert frame.columns == ["order_id", "store_id", "customer_ref", "amount", "order_date", "is_online"]
    bounds = frame.selectExpr("string(min(order_date)) low", "string(max(order_date)) high").first()
    expected = ("2023-02-01", "2023-11-28") if from_data else introspect.DEFAULT_WINDOW
    assert expected[0] <= bounds.low <= bounds.high <= expected[1]
    if from_data:
        assert frame.where("amount IS NULL").count() > 0  # null rate carried over from the data
    assert sorted(map(tuple, frame.collect())) == sorted(map(tuple, build().collect()))


def test_generated_code_seeds_every_column_from_the_seed(spark, introspect):
    """randomSeedMethod='hash_fieldname' alone ignores randomSeed (every seed gave the same rows):
    the emitted code seeds each random column with column_seed(SEED, name), as the generators do."""
    session = load_script("utils/spark_session.py")

    def build(seed):
        code = introspect.generator_code(spark, orders_frame(spark), name="orders", rows=300, partitions=2,
                                         seed=seed, from_data=True)
        namespace = {"spark": spark}
        exec(compile(code, "generated.py", "exec"), namespace)
        return code, namespace, sorted(map(tuple, namespace["generation_spec"].build().collect()))

    code, namespace, rows = build(7)
    assert namespace["SEED"] == 7
    # order_id's sampled values were all distinct: a key, emitted as a sequence (the same for every seed)
    assert ".withColumn('order_id', 'bigint', expr='id + 0')" in code
    for column in ("store_id", "customer_ref", "amount", "order_date", "is_online"):
        assert f"randomSeed=column_seed(SEED, '{column}')" in code
        assert namespace["column_seed"](7, column) == session.column_seed(7, column)
    assert build(7)[2] == rows
    other = build(8)[2]
    assert other != rows
    # every random column follows the seed, not just one (booleans were `id % 2 = 1` before)
    for index in range(1, len(rows[0])):
        assert [row[index] for row in other] != [row[index] for row in rows], f"column {index} ignores the seed"


def test_generated_code_keeps_keys_unique_and_decimals_in_cents(spark, introspect):
    """A random draw over a key's sampled range repeats keys; a decimal with dbldatagen's default
    step of 1 ends every value in the same cents. The emitted code avoids both."""
    code = introspect.generator_code(spark, orders_frame(spark), name="orders", rows=1000, partitions=2,
                                     seed=3, from_data=True)
    assert "random=True)" not in code.split(".withColumn")[0]  # no generator-level random=True
    namespace = {"spark": spark}
    exec(compile(code, "generated.py", "exec"), namespace)
    frame = namespace["generation_spec"].build()
    stats = frame.selectExpr("count(distinct order_id) keys", "min(order_id) low",
                             "count(distinct amount * 100 % 100) cents").first()
    assert stats.keys == 1000 and stats.low == 0  # 1,000 rows from a 200-row sample: still unique
    assert stats.cents > 50  # cents vary (all equal with step 1)


def test_introspect_cli_on_a_local_table(spark, introspect, capsys):
    spark.sql("CREATE SCHEMA IF NOT EXISTS introspect_demo")
    orders_frame(spark).write.mode("overwrite").saveAsTable("introspect_demo.orders")
    introspect.main(["spark_catalog.introspect_demo.orders", "--local", "--from-data", "--rows", "50"])
    code = capsys.readouterr().out
    assert "name='orders', rows=50" in code and ".withColumn('amount', 'decimal(10,2)'" in code
    introspect.main(["introspect_demo.orders", "--local", "--summary"])
    assert {row["measure_"] for row in json.loads(capsys.readouterr().out)} >= {"count", "min", "max"}
    with pytest.raises(SystemExit):
        introspect.main(["a.b.c.d", "--local"])


# --- mimesis_text -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mimesis_text():
    return load_spark_script("utils/mimesis_text.py")


def people(spark, mimesis_text, seed, partitions):
    import dbldatagen as dg

    spec = (dg.DataGenerator(spark, rows=300, partitions=partitions, randomSeed=seed, randomSeedMethod="hash_fieldname")
            .withIdOutput()
            .withColumn("full_name", "string", text=mimesis_text.mimesis_text("person.full_name", seed=seed))
            .withColumn("email", "string", text=mimesis_text.mimesis_text("person.email", seed=seed))
            .withColumn("city", "string", text=mimesis_text.mimesis_text("address.city", seed=seed, locale="de")))
    return {row.id: (row.full_name, row.email, row.city) for row in spec.build().collect()}


def test_mimesis_text_is_reproducible_per_row_whatever_the_partitioning(spark, mimesis_text):
    one_partition = people(spark, mimesis_text, seed=42, partitions=1)
    three_partitions = people(spark, mimesis_text, seed=42, partitions=3)
    assert one_partition == three_partitions
    other_seed = people(spark, mimesis_text, seed=43, partitions=1)
    assert sum(one_partition[i] != other_seed[i] for i in one_partition) > 290
    names = [value[0] for value in one_partition.values()]
    assert len(set(names)) > 250  # not a short cycle repeated per batch
    assert all(value[1].rsplit("@", 1)[1] in ("example.com", "example.net", "example.org")
               for value in one_partition.values())


def test_mimesis_text_works_over_connect(spark_connect, mimesis_text):
    rows = people(spark_connect, mimesis_text, seed=42, partitions=2)
    assert len(rows) == 300 and all(all(value) for value in rows.values())


@pytest.mark.parametrize("method,options,message", [
    ("persona.full_name", {}, "unknown Mimesis provider 'persona'"),
    ("person.nickname_x", {}, "has no method 'nickname_x'"),
    ("person.full_name", {"locale": "xx"}, "unknown Mimesis locale 'xx'"),
])
def test_mimesis_text_refuses_unknown_names_before_spark_runs(mimesis_text, method, options, message):
    with pytest.raises(ValueError, match=message):
        mimesis_text.mimesis_text(method, seed=1, **options)


def test_mimesis_text_cli_refuses_bad_input_without_spark():
    script = str(SCRIPTS / "utils" / "mimesis_text.py")
    result = subprocess.run([sys.executable, script, "person.nope"], capture_output=True, text=True, timeout=60,
                            cwd=REPO)
    assert result.returncode == 2 and "has no method 'nope'" in result.stderr
