"""Every Python block in SKILL.md, README.md and references/ is run or checked (convention in
CONTRIBUTING.md, "Guides whose code is executed"; machinery in docs_support.py):

- ```python            Tier 1: runs as written in a fresh interpreter, cwd an empty temp folder
- ```python spark      runs here with `spark` = the shared local session
- ```python databricks compiled; imports, `module.attribute` chains and names checked
- `continued`          the block continues the previous Python block of its file

In every block, keyword arguments of dbldatagen calls are checked against the installed
dbldatagen. Test ids are `file:fence-line:kind`.

The second half proves the machinery on tests/fixtures/docs/: the `good` tree passes, every
planted failure in `bad-blocks` is reported with the expected message.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import docs_support as ds

REPO = ds.REPO
GOOD = ds.FIXTURES / "good"
BAD_BLOCKS = ds.FIXTURES / "bad-blocks"

ALLOWLIST = ds.load_allowlist()
RESOLVER = ds.NameResolver(ALLOWLIST)

GUIDE_BLOCKS, GUIDE_FENCE_PROBLEMS = ds.collect_blocks(ds.guide_files(REPO), REPO)
GOOD_BLOCKS, GOOD_FENCE_PROBLEMS = ds.collect_blocks(ds.guide_files(GOOD), GOOD)
BAD_FILES = [BAD_BLOCKS / "references" / "blocks.md"]
BAD_BLOCKS_LIST, _ = ds.collect_blocks(BAD_FILES, BAD_BLOCKS)

# Chains run once; each block's test reads the chain's outcome. Tier 1 chains of every selected
# test are started together on the first request, two at a time, while pytest moves on.
_CHAIN_RUNS: dict[int, ds.ChainRun] = {}
_TIER1_FUTURES: dict[int, Future] = {}
_TIER1_POOL = ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1)), thread_name_prefix="docs-tier1")


def block_params(blocks: list[ds.Block], none_reason: str) -> list:
    if not blocks:
        return [pytest.param(None, id="no-python-blocks", marks=pytest.mark.skip(reason=none_reason))]
    return [pytest.param(b, id=b.id, marks=[pytest.mark.spark] if b.kind == "spark" else []) for b in blocks]


def runnable_part(chain: list[ds.Block]) -> list[ds.Block]:
    """The blocks of a chain before the first one with static problems: only those are run."""
    for index, block in enumerate(chain):
        if ds.static_findings(block, RESOLVER) or (block.kind == "spark" and ds.spark_block_misuse(block)):
            return chain[:index]
    return chain


def start_tier1_chains(request, tmp_path_factory) -> None:
    """Submit the Tier 1 chain of every selected test that has not started yet."""
    for item in request.session.items:
        candidate = getattr(getattr(item, "callspec", None), "params", {}).get("block")
        if not isinstance(candidate, ds.Block) or candidate.kind != "tier1":
            continue
        key = id(candidate.chain)
        runnable = runnable_part(candidate.chain)
        if key in _TIER1_FUTURES or not runnable:
            continue
        workdir = tmp_path_factory.mktemp(re.sub(r"\W+", "-", f"{runnable[0].rel}-{runnable[0].line}"))
        _TIER1_FUTURES[key] = _TIER1_POOL.submit(ds.run_tier1_chain, runnable, workdir / "cwd")


def check_block(block: ds.Block, request, tmp_path_factory) -> list[str]:
    """Problems with one block: static ones first (a block with any is not run), then its run."""
    problems = ds.static_findings(block, RESOLVER)
    if block.kind == "spark":
        problems += ds.spark_block_misuse(block)
    if problems or block.kind == "databricks":
        return problems
    chain = block.chain
    runnable = runnable_part(chain)
    if block not in runnable:
        stopper = chain[len(runnable)]
        return [f"{block.rel}:{block.line}: not run: the block it continues ({stopper.rel}:{stopper.line}) "
                f"has static problems"]
    key = id(chain)
    if key not in _CHAIN_RUNS:
        if block.kind == "tier1":
            if key not in _TIER1_FUTURES:
                start_tier1_chains(request, tmp_path_factory)
            if key not in _TIER1_FUTURES:   # a test not among the session's items (called directly)
                workdir = tmp_path_factory.mktemp("docs-tier1")
                _TIER1_FUTURES[key] = _TIER1_POOL.submit(ds.run_tier1_chain, runnable, workdir / "cwd")
            _CHAIN_RUNS[key] = _TIER1_FUTURES[key].result()
        else:
            workdir = tmp_path_factory.mktemp(re.sub(r"\W+", "-", f"{runnable[0].rel}-{runnable[0].line}"))
            _CHAIN_RUNS[key] = ds.run_spark_chain(runnable, request.getfixturevalue("spark"), workdir / "cwd")
    outcome = _CHAIN_RUNS[key].outcome_for(block)
    if outcome and DATABRICKS_ONLY_FAILURE.search(outcome):
        outcome += "\n(hint: code that needs a workspace goes in a ```python databricks block)"
    return [outcome] if outcome else []


DATABRICKS_ONLY_FAILURE = re.compile(r"No module named '(databricks|dlt|pyspark\.pipelines)|"
                                     r"name '(dbutils|display|displayHTML)' is not defined")


# --------------------------------------------------------------------------------------------
# The skill's own guides
# --------------------------------------------------------------------------------------------

def test_guide_fences_follow_the_convention():
    assert not GUIDE_FENCE_PROBLEMS, "\n".join(GUIDE_FENCE_PROBLEMS)


@pytest.mark.parametrize("block", block_params(
    GUIDE_BLOCKS, "no Python blocks in SKILL.md, README.md or references/ yet: nothing to run "
                  "(the collector and runners are proven on tests/fixtures/docs by the tests below)"))
def test_guide_block(block, request, tmp_path_factory):
    problems = check_block(block, request, tmp_path_factory)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# The machinery, proven on fixtures
# --------------------------------------------------------------------------------------------

def test_collector_finds_every_kind_of_block_in_the_good_fixture():
    found = [(b.rel, b.line, b.kind, b.continued, [c.line for c in b.chain]) for b in GOOD_BLOCKS]
    assert GOOD_FENCE_PROBLEMS == []
    assert found == [
        ("SKILL.md", 27, "tier1", False, [27]),
        ("references/blocks.md", 7, "tier1", False, [7, 25]),
        ("references/blocks.md", 25, "tier1", True, [7, 25]),
        ("references/blocks.md", 36, "spark", False, [36, 50]),
        ("references/blocks.md", 50, "spark", True, [36, 50]),
        ("references/blocks.md", 61, "databricks", False, [61]),
        ("references/blocks.md", 82, "databricks", False, [82]),
        ("references/notebook.md", 5, "databricks", False, [5]),
    ]
    # The bash block of the same file is not a Python block; tildes and longer fences count too.
    fences = ds.parse_fences("~~~python\na = 1\n~~~\n````python\n```\nstill code\n````\n")
    assert [(f.line, f.lang, f.code) for f in fences] == [(1, "python", "a = 1\n"),
                                                          (4, "python", "```\nstill code\n")]


def test_collector_reports_malformed_fences():
    files = [BAD_BLOCKS / "references" / name for name in ("continued-first.md", "unclosed.md")]
    _, problems = ds.collect_blocks(files, BAD_BLOCKS)
    assert problems == [
        "references/continued-first.md:3: `continued` block has no earlier Python block in this file to continue",
        "references/continued-first.md:11: `continued` spark block follows a tier1 block (line 7); a chain has one kind",
        "references/continued-first.md:15: unknown tag 'sprak' on a ```python fence (allowed: spark, databricks, continued)",
        "references/continued-first.md:19: a block is either `spark` or `databricks`, not both",
        "references/unclosed.md:3: code fence is never closed",
    ]


def test_block_line_numbers_are_the_markdown_files():
    block = GOOD_BLOCKS[1]
    lines = (GOOD / block.rel).read_text().splitlines()
    assert lines[block.line - 1] == "```python"
    source = block.padded_source().splitlines()
    assert source[block.first_code_line - 1] == lines[block.first_code_line - 1] == "from pathlib import Path"
    chained = ds.chain_source(block.chain).splitlines()
    continued = block.chain[1]
    assert chained[continued.first_code_line - 1] == lines[continued.first_code_line - 1]


@pytest.mark.parametrize("block", block_params(GOOD_BLOCKS, "fixture missing"))
def test_good_fixture_block_passes(block, request, tmp_path_factory):
    problems = check_block(block, request, tmp_path_factory)
    assert not problems, "\n".join(problems)


def expectations(block: ds.Block, blocks: list[ds.Block]) -> list[str]:
    """The `<!-- expect: ... -->` comments right above a fixture block, placeholders filled in."""
    lines = block.path.read_text().splitlines()
    found, index = [], block.line - 2
    while index >= 0 and lines[index].startswith("<!-- expect:"):
        found.insert(0, lines[index][len("<!-- expect:"):-len("-->")].strip())
        index -= 1
    previous = [b for b in blocks if b.rel == block.rel and b.line < block.line]

    def fill(text: str) -> str:
        text = re.sub(r"\{L\+(\d+)\}", lambda m: str(block.line + int(m.group(1))), text)
        text = text.replace("{L}", str(block.line))
        return text.replace("{prev}", str(previous[-1].line) if previous else "?")

    return [fill(e) for e in found]


@pytest.mark.parametrize("block", block_params(BAD_BLOCKS_LIST, "fixture missing"))
def test_planted_failure_is_reported_where_it_is(block, request, tmp_path_factory):
    expected = expectations(block, BAD_BLOCKS_LIST)
    problems = check_block(block, request, tmp_path_factory)
    if block.path.read_text().splitlines()[block.line - 2] == "<!-- expect-none -->":
        assert problems == [], "\n".join(problems)   # a sound block amid broken ones
        return
    assert expected, f"{block.id}: fixture block without <!-- expect: --> comments"
    report = "\n".join(problems)
    for text in expected:
        assert text in report, f"expected {text!r} in:\n{report}"
    # Static findings are one per line; each must be one we planted.
    static = [p for p in problems if "block failed" not in p and "not run" not in p]
    assert len(static) <= len(expected), report


@pytest.mark.spark
def test_spark_blocks_write_relative_paths_into_their_temp_folder(spark, tmp_path, repo):
    before = set((repo).iterdir())
    block = GOOD_BLOCKS[3]
    run = ds.run_spark_chain(block.chain, spark, tmp_path / "cwd")
    assert run.failed_line is None, run.output
    assert (tmp_path / "cwd" / "output" / "customers").is_dir()
    assert set(repo.iterdir()) == before, "a spark block wrote into the repository"


@pytest.mark.spark
def test_spark_chain_restores_session_conf(spark, tmp_path):
    block = ds.Block(Path("x.md"), "x.md", 1, 2, "spark", False,
                     'spark.conf.set("spark.sql.shuffle.partitions", "7")\n'
                     'spark.conf.set("ddg.docs.marker", "set-by-block")\n')
    block.chain = [block]
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    assert ds.run_spark_chain([block], spark, tmp_path / "cwd").failed_line is None
    assert spark.conf.get("spark.sql.shuffle.partitions") == partitions
    assert spark.conf.get("ddg.docs.marker", None) is None


def test_tier1_chain_times_out_with_a_message(tmp_path):
    block = ds.Block(Path("x.md"), "x.md", 4, 5, "tier1", False, "import time\ntime.sleep(30)\n")
    block.chain = [block]
    run = ds.run_tier1_chain([block], tmp_path / "cwd", timeout=2)
    assert run.failed_line == 4 and "timed out after 2 s" in run.output


# --------------------------------------------------------------------------------------------
# Why the keyword check exists, and what it is checked against
# --------------------------------------------------------------------------------------------

@pytest.mark.spark
def test_dbldatagen_ignores_unknown_generator_keywords_but_rejects_column_options(spark):
    """DataGenerator(**kwargs) swallows a misspelt keyword: a guide naming `seedMethod` would
    teach a no-op that nothing at run time reveals. Column options, by contrast, raise."""
    import dbldatagen as dg

    def tiers(**generator_options):
        return [row.tier for row in (
            dg.DataGenerator(spark, rows=200, partitions=1, randomSeed=7, **generator_options)
            .withColumn("tier", "int", minValue=1, maxValue=100, random=True)
            .build().orderBy("id").collect())]

    assert tiers(seedMethod="hash_fieldname") == tiers()           # silently ignored
    assert tiers(randomSeedMethod="hash_fieldname") != tiers()     # the real parameter changes the data
    with pytest.raises(Exception, match="invalid column option minvalue"):
        (dg.DataGenerator(spark, rows=10, partitions=1)
         .withColumn("quantity", "int", minvalue=1, maxValue=10).build())


def test_column_option_rules_come_from_the_installed_dbldatagen():
    rules = ds.dbldatagen_rules()
    assert rules.version == "0.4.0.post1"
    # The options api-facts.md lists, all accepted:
    listed = ("values weights percentNulls uniqueValues begin end interval expr template text format prefix "
              "suffix baseColumn baseColumnType omit numColumns numFeatures structType precision scale random "
              "distribution minValue maxValue step dataRange").split()
    assert set(listed) <= rules.column_options
    assert "minvalue" not in rules.column_options and "range" not in rules.column_options
    assert {"randomSeedMethod", "randomSeed", "partitions", "rows", "sparkSession"} <= rules.generator_parameters
    assert "seedMethod" not in rules.generator_parameters
    assert {"withColumn", "withIdOutput", "withColumnSpec"} <= rules.chaining
    assert "build" not in rules.chaining


def test_name_checker_follows_properties_and_submodules():
    tree = ast.parse("import pyspark.sql.functions as F\nfrom pyspark.sql import SparkSession\n"
                     "F.expr\nSparkSession.builder.appName\nspark.read.format\nspark.read.formatt\n"
                     "import dbldatagen as dg\ndg.distributions.Gamma\ndg.constraints.SqlExpr\n"
                     "spark.catalog.tableExists\nspark.catalog.tableExist\nspark.conf.set\n")
    findings = [(f.line, f.message) for f in ds.check_names(tree, RESOLVER)]
    assert findings == [
        (6, "spark.read.formatt: `pyspark.sql.SparkSession.read.formatt`: installed pyspark 4.0.5: "
            "`pyspark.sql.SparkSession.read` has no attribute `formatt` (did you mean `format`?)"),
        # `catalog` is a cached_property annotated with a forward reference ("Catalog").
        (11, "spark.catalog.tableExist: `pyspark.sql.SparkSession.catalog.tableExist`: installed pyspark "
             "4.0.5: `pyspark.sql.SparkSession.catalog` has no attribute `tableExist` (did you mean "
             "`tableExists`?)"),
    ]


def test_notebook_magics_are_blanked_not_compiled():
    block = GOOD_BLOCKS[-1]
    assert "%pip install" in block.code and ds.static_findings(block, RESOLVER) == []


def test_allowlist_entries_are_databricks_only_and_documented():
    for entry in ALLOWLIST["databricks_only"]:
        assert entry["doc"].startswith("https://docs.databricks.com/"), entry
        assert RESOLVER.resolve(entry["name"]) is ds._MISSING, (
            f"{entry['name']} exists in the installed packages: check it there, not by allowlist")
    assert len(ALLOWLIST["databricks_only"]) <= 20, "keep the allowlist short"


@pytest.mark.databricks_connect
def test_recorded_databricks_surface_matches_the_wheel():
    """The recorded databricks-connect/databricks-sdk names are what the real wheels expose."""
    import spark_support

    recorded = ALLOWLIST["databricks_surface"]
    python = spark_support.python312()
    if python is None:
        spark_support.unavailable("no Python 3.12 interpreter for a databricks-connect environment")
    if shutil.which("uv") is None:
        spark_support.unavailable("uv is not installed")
    env_python = spark_support.ensure_venv(
        "docs-databricks-surface", python,
        [f"databricks-connect=={recorded['databricks-connect']}", f"databricks-sdk=={recorded['databricks-sdk']}"])
    fresh = ds.record_databricks_surface(str(env_python))
    for key in ("databricks-connect", "databricks-sdk", "notebook_globals", "names", "opaque"):
        assert fresh[key] == recorded[key], (
            f"{key} differs from {ds.SURFACE_FILE.relative_to(REPO)}: re-record it with "
            f"docs_support.record_databricks_surface({str(env_python)!r})")


def test_recorded_surface_has_what_the_guides_rely_on():
    names = set(ALLOWLIST["databricks_surface"]["names"])
    assert {"databricks.connect.DatabricksSession.builder.serverless",
            "databricks.connect.DatabricksSession.builder.profile",
            "databricks.connect.DatabricksSession.builder.remote",
            "databricks.connect.DatabricksSession.builder.withEnvironment",
            "databricks.connect.DatabricksEnv.withDependencies",
            "dbutils.widgets.get", "dbutils.widgets.text", "databricks.sdk.WorkspaceClient"} <= names
    assert json.loads(ds.SURFACE_FILE.read_text())["python"].startswith("3.12")
