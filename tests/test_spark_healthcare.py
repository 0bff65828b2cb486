"""Healthcare Spark generator (scripts/generators/healthcare.py) on real local Spark.

Built through the generator's own functions with the fixtures' sessions (classic local[2] and a
local Spark Connect server), written with --output semantics, then checked by the validator and by
counts made here. Realism is measured the way tests/test_polars_healthcare.py measures Tier 1 (the
same statistics, against the contracts, with the tolerance stated next to each check: about 4
standard errors unless said otherwise); fixed seeds keep every figure deterministic.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import SCHEMAS, SCRIPTS, load_script

hc = load_script("generators/healthcare.py")
tier1 = load_script("generators/polars/healthcare.py")
us_places_module = load_script("utils/us_places.py")
SCRIPT = SCRIPTS / "generators" / "healthcare.py"
TABLES = ("providers", "patients", "encounters", "claims")
ENTITY = {"providers": "provider", "patients": "patient", "encounters": "encounter", "claims": "claim"}
CONTRACTS = {table: json.loads((SCHEMAS / f"healthcare_{entity}.json").read_text()) for table, entity in ENTITY.items()}
PRIMARY_KEYS = {"providers": ["provider_id"], "patients": ["patient_id"], "encounters": ["encounter_id"], "claims": ["claim_id"]}
FOREIGN_KEYS = [  # (child, column, parent, column)
    ("encounters", "patient_id", "patients", "patient_id"),
    ("encounters", "provider_id", "providers", "provider_id"),
    ("claims", "encounter_id", "encounters", "encounter_id"),
    ("claims", "patient_id", "patients", "patient_id"),
]
REALISM_PATIENTS = 10_000  # 50,000 encounters, 75,000 claims: every band and billing key well filled


def column_hint(table: str, column: str) -> dict:
    return next(c for c in CONTRACTS[table]["columns"] if c["name"] == column)


def contract_weights(table: str, column: str) -> dict[str, float]:
    hint = column_hint(table, column)
    total = sum(hint["weights"])
    return {value: weight / total for value, weight in zip(hint["values"], hint["weights"])}


def run_generator(spark, directory: Path, *args: str) -> dict:
    parser, arguments = hc.parse_arguments([*args, "--output", str(directory)])
    return hc.generate(spark, arguments, parser)


def read(directory: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(directory / table / "*.parquet")


def read_all(directory: Path) -> dict[str, pl.DataFrame]:
    return {table: read(directory, table) for table in TABLES}


def sorted_frames(directory: Path) -> dict[str, pl.DataFrame]:
    return {table: read(directory, table).sort(PRIMARY_KEYS[table]) for table in TABLES}


def validator_report(directory: Path) -> str | None:
    """The validator's report when it finds errors, None when the folder is clean."""
    result = load_script("utils/validate.py").validate_directory(directory, industry="healthcare")
    return None if result.ok else str(result)


def integrity_problems(frames: dict[str, pl.DataFrame]) -> list[str]:
    """Duplicate primary keys and foreign-key orphans, counted here independently of validate.py."""
    problems = []
    for table, key in PRIMARY_KEYS.items():
        duplicates = frames[table].height - frames[table].select(key).unique().height
        if duplicates:
            problems.append(f"{table}: {duplicates} duplicate {key}")
    for child, column, parent, parent_column in FOREIGN_KEYS:
        orphans = frames[child].join(frames[parent].select(pl.col(parent_column).alias(column)), on=column, how="anti").height
        if orphans:
            problems.append(f"{child}.{column}: {orphans} orphans")
    mismatched = frames["claims"].join(frames["encounters"].select("encounter_id", "patient_id"), on="encounter_id", suffix="_enc")
    mismatched = mismatched.filter(pl.col("patient_id") != pl.col("patient_id_enc")).height
    if mismatched:
        problems.append(f"claims: {mismatched} with another patient than their encounter")
    return problems


def luhn_valid_npi(npi: str) -> bool:
    """The NPI check, written the textbook way: Luhn over '80840' + all ten digits sums to 0 mod 10."""
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def age_on(dob: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Completed years of age on ``day``."""
    month_day = lambda d: d.dt.month().cast(pl.Int32) * 32 + d.dt.day().cast(pl.Int32)  # noqa: E731
    before_birthday = month_day(day) < month_day(dob)
    return day.dt.year().cast(pl.Int64) - dob.dt.year().cast(pl.Int64) - before_birthday.cast(pl.Int64)


# --- The file itself (no Spark) -------------------------------------------------------------------


def notebook_cells() -> list[str]:
    """Cells as Databricks splits a Python notebook source file."""
    text = SCRIPT.read_text()
    assert text.startswith("# Databricks notebook source\n")
    return text.removeprefix("# Databricks notebook source\n").split("\n# COMMAND ----------\n")


def test_file_is_a_databricks_notebook_whose_cells_compile():
    text = SCRIPT.read_text()
    assert "# /// script" not in text  # no PEP 723 header: pyspark and databricks-connect never share an env
    cells = notebook_cells()
    assert len(cells) >= 10
    markdown = cells[0].strip().splitlines()
    assert markdown[0] == "# MAGIC %md" and all(line.startswith("# MAGIC") for line in markdown)
    assert cells[1].strip() == "# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0"
    for number, cell in enumerate(cells):
        compile(cell, f"cell {number}", "exec")  # MAGIC lines are comments already
    assert "def main(" in cells[-1] and cells[-1].rstrip().endswith("main()")


def top_level_definitions(path: Path) -> dict[str, str]:
    source = path.read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    return found


@pytest.mark.parametrize("pattern,names", [
    ("spark_session.py", ("get_spark", "column_seed", "LOCAL_SPARK_CONF", "CONNECT_COMMAND", "LOCAL_COMMAND")),
    ("mimesis_text.py", ("mimesis_text", "_row_seed", "_provider_class", "SAFE_DEFAULTS")),
    ("us_places.py", ("US_CENSUS_REGIONS", "US_PLACES")),
    ("output.py", ("TOOL", "MARKER", "MODES", "SYNTHETIC_NOTE", "MAX_NAME_LENGTH", "UC_FORBIDDEN", "TOOL_FORBIDDEN",
                   "check_identifier", "quote_identifier", "qualified_name", "OutputError", "sql_string",
                   "contract_mismatches", "table_properties", "created_by_this_tool", "write_table")),
    ("uc_setup.py", ("catalog_exists",)),
])  # fmt: skip
def test_inlined_helpers_are_verbatim_copies(pattern, names):
    shared = top_level_definitions(SCRIPTS / "utils" / pattern)
    copied = top_level_definitions(SCRIPT)
    assert [n for n in names if copied.get(n) != shared[n]] == []


def test_domain_constants_are_tier1s():
    """Both tiers describe the same health system: every shared table of facts is identical."""
    for name in ("DEFAULT_PATIENTS", "ENCOUNTERS_PER_PATIENT", "CLAIMS_PER_ENCOUNTER", "PATIENTS_PER_PROVIDER",
                 "MIN_PROVIDERS", "PATIENT_ID_START", "ENCOUNTER_ID_START", "CLAIM_ID_START", "AGE_BANDS", "SEXES", "SEX_WEIGHTS",
                 "FRAILTY_SHAPE", "PAYERS", "PAYER_WEIGHTS_BY_AGE_BAND", "MEMBER_ID_PREFIX", "MRN_SCRAMBLE",
                 "MEMBER_ID_SCRAMBLE", "NPI_SCRAMBLE", "EMAIL_DOMAINS", "PHONE_NULL_RATE", "EMAIL_NULL_RATE",
                 "SPECIALTIES", "CREDENTIALS", "CREDENTIAL_WEIGHTS", "PROVIDERS_PER_SYSTEM", "FACILITY_SUFFIXES",
                 "UTC_OFFSET_STATES", "NO_DST_STATES", "ENCOUNTER_TYPES", "HOSPITAL_SETTINGS", "ARRIVAL_HOUR_WEIGHTS",
                 "ENCOUNTER_SPECIALTY_WEIGHTS", "ICD10_CODES", "CLAIM_TYPES", "BILLED_GAMMA", "CLAIM_STATUSES",
                 "CLAIM_STATUS_WEIGHTS", "ALLOWED_SHARE_BETA", "PLAN_PAID_SHARE_BETA", "SUBMISSION_LAG_HOURS",
                 "ADJUDICATION_LAG_DAYS", "NOT_A_PLACE_NAME", "POOL_DRAWS", "PATIENT_GROUPS"):  # fmt: skip
        assert getattr(hc, name) == getattr(tier1, name), name
    # The default window (Tier 1's --start/--end defaults) and its calendar facts.
    assert (hc.WINDOW_START, hc.WINDOW_START + timedelta(days=hc.WINDOW_DAYS - 1)) == (tier1.DEFAULT_START, tier1.DEFAULT_END)
    assert hc.AGE_REFERENCE_DATE == tier1.DEFAULT_END + timedelta(days=1)
    assert tier1.us_daylight_time(2024) == (hc.DST_START, hc.DST_END)
    calendar = tier1.build_calendar(tier1.Season(tier1.DEFAULT_START, tier1.DEFAULT_END))
    assert hc.AGE_BAND_DAYS_OLD == tuple(map(tuple, calendar.age_band_days_old.tolist()))
    assert len(calendar.weekday_offsets) == hc.WINDOW_WEEKDAYS and hc.WINDOW_START.weekday() == 0  # a Monday
    assert list(hc.ICD10_AGE_BREAKS) == tier1.ICD10_AGE_BREAKS.tolist()
    # The same pools from the same seed and locale, and the same conditional tables.
    spark_pools, polars_pools = hc.build_pools("en", 42), tier1.build_pools("en", 42)
    for field in ("first_names", "first_slugs", "last_names", "last_slugs", "streets", "place_names"):
        assert list(getattr(spark_pools, field)) == getattr(polars_pools, field).to_list(), field
    assert np.array_equal(tier1.conditional_table(hc.Layout.diagnosis_matrix()), tier1.DIAGNOSIS_TABLE)
    layout = hc.Layout(seed=42, locale="en", providers=200, patients=1, encounters=1, claims=1)
    systems = tier1.make_health_systems(42, tier1.health_system_count(200), polars_pools, tier1.us_places())
    workforce = tier1.build_workforce(42, 200, systems)
    assert np.array_equal(tier1.conditional_table(layout.specialty_matrix()), workforce.specialty_table)


def test_column_types_and_comments_follow_the_contracts():
    validator = load_script("utils/validate.py")
    for table in TABLES:
        contract = CONTRACTS[table]
        assert {c["name"]: c["type"] for c in contract["columns"]} == hc.TABLE_TYPES[table]
        assert list(hc.TABLE_TYPES[table]) == list(tier1.TABLE_SCHEMAS[table])
        for column, sql_type in hc.TABLE_TYPES[table].items():
            assert validator.polars_type(sql_type) == tier1.TABLE_SCHEMAS[table][column], (table, column)
        assert list(hc.COLUMN_COMMENTS[table]) == [c["name"] for c in contract["columns"]]
        assert hc.table_contract(table) == contract  # comments for Unity Catalog come from the contract
        assert set(hc.TABLE_COMMENTS) == set(TABLES)  # and, in a notebook without the assets, from these


def test_help_runs_as_a_plain_script():
    run = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.split())
    for phrase in ["encounters = 5 × patients", "claims = 1.5 × encounters", "providers = patients / 50 (at least 20)",
                   "--providers", "--encounters", "--claims", "--catalog", "--partitions", "--tier", "--local", "exact"]:
        assert phrase in text, phrase


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rows", "0", "--output", "x"], "must be at least 1"),
        (["--rows", "abc", "--output", "x"], "expected a whole number"),
        (["--seed", "-1", "--output", "x"], "must be 0 or more"),
        (["--claims", "x", "--output", "x"], "expected a whole number"),
        (["--providers", "-2", "--output", "x"], "must be at least 1"),
        (["--format", "xlsx", "--output", "x"], "invalid choice"),
        (["--tier", "4", "--output", "x"], "invalid choice"),
        (["--locale", "xx-yy", "--output", "x"], "unknown locale"),
        (["--rows", "2000000000", "--output", "x"], "MRNs and member ids have nine digits"),
        (["--catalog", "main"], "--catalog and --schema go together"),
        (["--schema", "demo"], "--catalog and --schema go together"),
        ([], "say where the tables go"),
        (["--catalog", "main", "--schema", "demo", "--output", "x"], "not both"),
        (["--local", "--remote", "sc://localhost:1", "--output", "x"], "not allowed with argument"),
        (["--local", "--profile", "dev", "--output", "x"], "--profile applies to Databricks Connect only"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        hc.main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_dry_run_prints_the_plan_and_starts_no_spark(tmp_path, capsys):
    out = tmp_path / "out"
    plan = hc.main(["--rows", "300000", "--output", str(out), "--dry-run"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == plan and not out.exists()
    assert {t: plan["tables"][t]["rows"] for t in TABLES} == {"providers": 6000, "patients": 300_000,
                                                              "encounters": 1_500_000, "claims": 2_250_000}  # fmt: skip
    # One partition per million rows of each table.
    assert {t: plan["tables"][t]["partitions"] for t in TABLES} == {"providers": 1, "patients": 1, "encounters": 2, "claims": 3}
    assert plan["tier"] == 2 and plan["format"] == "parquet"
    overrides = hc.main(["--rows", "40", "--providers", "3", "--encounters", "57", "--claims", "130",
                         "--catalog", "main", "--schema", "demo", "--dry-run"])  # fmt: skip
    assert {t: overrides["tables"][t]["rows"] for t in TABLES} == {"providers": 3, "patients": 40, "encounters": 57, "claims": 130}
    assert overrides["format"] == "delta" and overrides["destination"] == "main.demo"
    defaults = hc.main(["--output", str(out), "--dry-run"])
    assert {t: defaults["tables"][t]["rows"] for t in TABLES} == {t: CONTRACTS[t]["rows"]["default"] for t in TABLES}


def test_folder_destination_refusals(tmp_path):
    refuse = hc.check_folder_destination
    (tmp_path / "file").write_text("x")
    with pytest.raises(hc.OutputError, match="is a file"):
        refuse(str(tmp_path / "file"), TABLES, "error")
    refuse(str(tmp_path / "fresh"), TABLES, "error")
    (tmp_path / "taken" / "claims").mkdir(parents=True)
    with pytest.raises(hc.OutputError, match="already exist.*--mode overwrite"):
        refuse(str(tmp_path / "taken"), TABLES, "error")
    with pytest.raises(hc.OutputError, match="were not written by"):
        refuse(str(tmp_path / "taken"), TABLES, "overwrite")
    (tmp_path / "taken" / "_manifest.json").write_text(json.dumps({"generator": hc.GENERATOR}))
    refuse(str(tmp_path / "taken"), TABLES, "overwrite")


# --- The building blocks, checked exactly --------------------------------------------------------


@pytest.mark.parametrize("weights", [[50, 30, 15, 5], [0, 3, 0, 1, 1], [1], [2.5, 7.25, 0.25], [row[2] for row in hc.SPECIALTIES]])
def test_alias_tables_carry_the_weights_exactly(weights):
    prob, alias = hc.alias_table(weights)
    n, total = len(weights), sum(weights)
    carried = np.zeros(n)
    for cell in range(n):
        carried[cell] += prob[cell] / n
        carried[alias[cell]] += (1 - prob[cell]) / n
    assert np.allclose(carried, np.asarray(weights) / total, atol=1e-12)


def test_frailty_rank_table_is_the_inverse_lorenz_curve_of_gamma():
    """Draw the frailty of an encounter's patient directly (size-biased: Gamma(shape + 1)); its rank
    among the patients, P(shape, F), must be what the table gives for u = P(shape + 1, F)."""
    shape = hc.FRAILTY_SHAPE
    frailty = np.random.default_rng(7).gamma(shape + 1, 1.0, 20_000)
    u = hc.regularized_lower_gamma(shape + 1, frailty)
    expected_rank = hc.regularized_lower_gamma(shape, frailty)
    table = np.asarray(hc.frailty_rank_table())
    grid = hc.FRAILTY_TABLE_POINTS * u ** (shape / (shape + 1))
    cell = np.minimum(np.floor(grid).astype(int), hc.FRAILTY_TABLE_POINTS - 1)
    interpolated = table[cell] + (grid - cell) * (table[cell + 1] - table[cell])
    assert np.max(np.abs(interpolated - expected_rank)) < 2e-4
    # The series itself: P(1, x) = 1 - e^-x exactly.
    x = np.asarray([0.01, 0.5, 3.0, 20.0])
    assert np.allclose(hc.regularized_lower_gamma(1.0, x), 1 - np.exp(-x), atol=1e-12)


@pytest.mark.parametrize("providers", [1, 3, 15, 16, 20, 200, 20_000])
def test_specialty_quotas_cover_every_specialty_first(providers):
    layout = hc.Layout(seed=42, locale="en", providers=providers, patients=1, encounters=1, claims=1)
    sizes = layout.specialty_sizes
    assert sum(sizes) == providers
    if providers < len(hc.SPECIALTIES):
        assert sizes == [1] * providers + [0] * (len(hc.SPECIALTIES) - providers)  # Tier 1's first providers
    else:
        assert min(sizes) >= 1
        weights = np.asarray([row[2] for row in hc.SPECIALTIES], dtype=float)
        shares = weights / weights.sum()  # relative weights (they sum to 95)
        # One each, then the rest dealt by share: each within one provider of its exact share.
        assert np.all(np.abs(np.asarray(sizes) - 1 - shares * (providers - len(hc.SPECIALTIES))) < 1)


# --- Spark: building blocks in SQL ------------------------------------------------------------------


@pytest.mark.spark
def test_sql_check_digit_and_npis_match_tier1(spark):
    # CMS's published example: base 123456789 has check digit 3 (NPI 1234567893).
    assert spark.sql(f"SELECT {hc.npi_check_digit_sql('123456789L')} AS digit").first()["digit"] == 3
    rows = 20_000
    npis = [r.npi for r in spark.range(rows).selectExpr(f"{hc.npi_sql('id')} AS npi").orderBy("id").collect()]
    assert npis == tier1.npi_for(np.arange(rows)).to_list()  # the same provider row has the same NPI in both tiers
    assert all(luhn_valid_npi(n) for n in npis) and len(set(npis)) == rows


@pytest.mark.spark
@pytest.mark.parametrize("size", [1, 2, 3, 17, 1000, 4097])
def test_shuffle_is_a_bijection_with_its_inverse(spark, size):
    shuffle = hc.Shuffle.draw(42, "test", size)
    rows = spark.range(size).selectExpr("id", f"{shuffle.forward('id')} AS position").selectExpr(
        "id", "position", f"{shuffle.backward('position')} AS back").collect()
    assert sorted(r.position for r in rows) == list(range(size))
    assert all(r.back == r.id for r in rows)
    if size > 100:
        positions = [r.position for r in sorted(rows, key=lambda r: r.id)]
        assert np.corrcoef(np.arange(size), positions)[0, 1] ** 2 < 0.01  # no trace of the row order
        assert hc.Shuffle.draw(7, "test", size) != shuffle


@pytest.mark.spark
def test_sql_gamma_and_beta_have_their_true_moments(spark):
    """Marsaglia–Tsang Gamma and Gamma-ratio Beta over hashed uniforms: mean and sd within 4
    standard errors (sd's standard error from the fourth moment) on 40,000 rows."""
    draws = hc.Draws(11)
    rows = 40_000
    columns = {
        **draws.gamma("gamma_14", "g", "id", "1.4D", "3700D"),
        **draws.gamma("gamma_25", "h", "id", "2.5D", "6D"),
        "gamma_2": draws.gamma_integer_shape("k", "id", 2, 72.0),
        "beta_4_8": draws.beta("b", "id", 4, 8),
        "beta_49_1": draws.beta("c", "id", 49, 1),
        "beta_16_4": draws.beta("d", "id", 16, 4),
    }
    names = ["gamma_14", "gamma_25", "gamma_2", "beta_4_8", "beta_49_1", "beta_16_4"]
    frame = hc.derive(spark.range(rows), columns).select(*names).toPandas()
    for column, shape, scale in [("gamma_14", 1.4, 3700.0), ("gamma_25", 2.5, 6.0), ("gamma_2", 2.0, 72.0)]:
        values = frame[column].to_numpy()
        mean, sd = shape * scale, math.sqrt(shape) * scale
        assert abs(values.mean() - mean) < 4 * sd / math.sqrt(rows), (column, values.mean())
        assert abs(values.std() - sd) < 4 * sd * math.sqrt((2 + 6 / shape) / 4 / rows), (column, values.std())
        assert values.min() > 0
    for column, a, b in [("beta_4_8", 4, 8), ("beta_49_1", 49, 1), ("beta_16_4", 16, 4)]:
        values = frame[column].to_numpy()
        mean, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        assert abs(values.mean() - mean) < 4 * sd / math.sqrt(rows), (column, values.mean())
        assert abs(values.std() / sd - 1) < 0.05, (column, values.std())
        assert 0 < values.min() and values.max() < 1


# --- A health system on classic Spark: integrity and realism ----------------------------------------


@pytest.fixture(scope="module")
def realism_dir(spark_modes, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("healthcare-spark")
    run_generator(spark_modes.classic(), directory, "--rows", str(REALISM_PATIENTS))
    return directory


@pytest.fixture(scope="module")
def realism(realism_dir) -> dict[str, pl.DataFrame]:
    frames = read_all(realism_dir)
    patients = frames["patients"]
    # Encounters with their patient, provider and age (on the UTC date and the day before: the
    # generator ages patients on the local date, which is the UTC date or the one before).
    frames["visits"] = (
        frames["encounters"]
        .join(patients.select("patient_id", "dob", "sex", "payer_type"), on="patient_id")
        .join(frames["providers"].select("provider_id", pl.col("department").alias("provider_department"),
                                         pl.col("facility").alias("home_facility"), "state"), on="provider_id")
        .with_columns(admit_date=pl.col("admit_datetime").dt.date())
        .with_columns(age=age_on(pl.col("dob"), pl.col("admit_date")),
                      age_day_before=age_on(pl.col("dob"), pl.col("admit_date") - pl.duration(days=1)))
    )  # fmt: skip
    return frames


@pytest.mark.spark
def test_realism_run_is_validator_clean_with_exact_rows(realism_dir, realism):
    assert validator_report(realism_dir) is None, validator_report(realism_dir)
    assert integrity_problems(realism) == []
    counts = {table: realism[table].height for table in TABLES}
    assert counts == {"providers": 200, "patients": REALISM_PATIENTS, "encounters": 5 * REALISM_PATIENTS,
                      "claims": round(7.5 * REALISM_PATIENTS)}  # fmt: skip
    manifest = json.loads((realism_dir / "_manifest.json").read_text())
    assert manifest["generator"] == hc.GENERATOR and manifest["industry"] == "healthcare" and manifest["seed"] == 42
    assert {t: e["rows"] for t, e in manifest["tables"].items()} == counts
    assert realism["claims"]["encounter_id"].n_unique() == counts["encounters"]  # every encounter billed
    assert realism["providers"]["provider_id"].map_elements(luhn_valid_npi, return_dtype=pl.Boolean).all()
    # Ids are sequential, and the claims of one encounter take consecutive ids.
    for table, key, start in [("patients", "patient_id", hc.PATIENT_ID_START), ("encounters", "encounter_id", hc.ENCOUNTER_ID_START),
                              ("claims", "claim_id", hc.CLAIM_ID_START)]:  # fmt: skip
        assert realism[table][key].sort().to_list() == list(range(start, start + counts[table])), table
    claims = realism["claims"].sort("claim_id")
    assert claims["encounter_id"].is_sorted()


@pytest.mark.spark
def test_provider_specialties_credentials_and_npis(spark):
    """Twenty thousand providers (Tier 1's size for this check): shares within 4 SE + 0.001, every
    NPI Luhn-valid and unique, department and home facility consistent with the specialty."""
    layout = hc.Layout(seed=42, locale="en", providers=20_000, patients=10, encounters=1, claims=1)
    providers = pl.from_pandas(hc.build_providers(spark, layout, 2).toPandas())
    assert providers.height == 20_000 and providers["provider_id"].is_unique().all()
    assert providers["provider_id"].map_elements(luhn_valid_npi, return_dtype=pl.Boolean).all()
    assert providers["provider_id"].str.contains(r"^[12][0-9]{9}$").all()
    for column in ("specialty", "credential"):
        observed = dict(providers[column].value_counts(normalize=True).iter_rows())
        for value, p in contract_weights("providers", column).items():
            assert abs(observed[value] - p) < 4 * math.sqrt(p * (1 - p) / 20_000) + 0.001, (column, value)
    departments = dict(zip(hc.SPECIALTY_NAMES, hc.DEPARTMENTS))
    assert (providers["department"] == providers["specialty"].replace_strict(departments)).all()
    hospital_based = {s[0] for s in hc.SPECIALTIES if s[4] == "hospital"}
    at_hospital = providers["facility"].str.contains(rf" ({'|'.join(hc.FACILITY_SUFFIXES['hospital'])})$")
    assert (at_hospital == providers["specialty"].is_in(list(hospital_based))).all()
    systems = providers.with_columns(system=pl.col("facility").str.replace(r" (\S+ )*(Hospital|Center|Group|Associates|Physicians)$", ""))
    assert systems.group_by("system", "city").len().height >= 0.9 * layout.systems
    assert providers.join(us_places_module.us_places(), on=["city", "state"], how="left")["zip_low"].null_count() == 0


@pytest.mark.spark
def test_age_pyramid_and_sex(realism):
    patients = realism["patients"]
    n = patients.height
    ages = patients.select(age=age_on(pl.col("dob"), pl.lit(date(2025, 1, 1))))["age"]
    assert ages.min() >= 0 and ages.max() < 100
    assert patients["dob"].max() <= date(2024, 12, 31) and patients["dob"].min() >= date(1925, 1, 2)
    for band in column_hint("patients", "dob")["distribution"]["parameters"].values():
        share = ((ages >= band["min_age"]) & (ages < band["max_age_exclusive"])).mean()
        p = band["share_percent"] / 100
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / n), (band, share)  # (exact quotas here)
    born_2024 = (patients["dob"] >= date(2024, 1, 1)).mean()
    assert abs(born_2024 - 0.221 / 18) < 0.004  # 1/18 of the 0-17 band ≈ 1.2%
    observed = dict(patients["sex"].value_counts(normalize=True).iter_rows())
    for sex, p in contract_weights("patients", "sex").items():
        assert abs(observed[sex] - p) < 4 * math.sqrt(p * (1 - p) / n)


@pytest.mark.spark
def test_payer_follows_age_band_and_member_ids(realism):
    patients = realism["patients"].with_columns(age=age_on(pl.col("dob"), pl.lit(date(2025, 1, 1))))
    bands = column_hint("patients", "dob")["distribution"]["parameters"]
    by_band = column_hint("patients", "payer_type")["distribution"]["parameters"]
    for label, band in bands.items():
        group = patients.filter((pl.col("age") >= band["min_age"]) & (pl.col("age") < band["max_age_exclusive"]))
        total = sum(by_band[label].values())
        observed = dict(group["payer_type"].value_counts(normalize=True).iter_rows())
        for payer, weight in by_band[label].items():
            p = weight / total
            assert abs(observed.get(payer, 0.0) - p) < 4 * math.sqrt(p * (1 - p) / group.height) + 0.002, (label, payer)
    assert (patients["insurance_id"].is_null() == (patients["payer_type"] == "Self-pay")).all()
    prefix = patients["insurance_id"].str.slice(0, 3)
    expected = patients["payer_type"].replace_strict(hc.MEMBER_ID_PREFIX, default=None)
    assert (prefix.is_null() | (prefix == expected)).all()
    assert patients["insurance_id"].drop_nulls().is_unique().all() and patients["mrn"].is_unique().all()
    # Row r has Tier 1's MRN and member digits (the same affine bijections).
    row = patients["patient_id"].to_numpy() - hc.PATIENT_ID_START
    assert (patients["mrn"].str.slice(2).cast(pl.Int64).to_numpy() == tier1.affine_scramble(row, *tier1.MRN_SCRAMBLE)).all()


@pytest.mark.spark
def test_contact_details_are_safe_and_unique(realism):
    patients = realism["patients"]
    n = patients.height
    phones, emails = patients["phone"], patients["email"]
    assert phones.drop_nulls().str.contains(r"^\([2-9][0-8][0-9]\) 555-01[0-9]{2}$").all()
    assert not phones.drop_nulls().str.contains(r"^\([2-9]11\)").any()
    assert emails.drop_nulls().str.contains(r"^[a-z0-9._-]+@example\.(com|net|org)$").all()
    assert emails.drop_nulls().is_unique().all()
    for column, rate in [("phone", hc.PHONE_NULL_RATE), ("email", hc.EMAIL_NULL_RATE)]:
        assert column_hint("patients", column)["null_rate"] == rate
        assert abs(patients[column].null_count() / n - rate) < 4 * math.sqrt(rate * (1 - rate) / n), column
    assert (patients["name"] == patients["first_name"] + " " + patients["last_name"]).all()
    house = patients["street_address"].str.extract(r"^(\d+) ").cast(pl.Int64)
    assert house.min() >= 1 and house.max() < hc.HOUSE_NUMBER_MAX
    # Log-uniform on [1, 20000): the median is sqrt(20000) ≈ 141 (±10%).
    assert abs(house.median() / math.sqrt(hc.HOUSE_NUMBER_MAX) - 1) < 0.1


@pytest.mark.spark
def test_city_state_postal_code_and_region_agree(realism):
    places = us_places_module.us_places()
    joined = realism["patients"].join(places, on=["city", "state"], how="left")
    assert joined["zip_low"].null_count() == 0
    postal = joined["postal_code"].cast(pl.Int64)
    assert ((postal >= joined["zip_low"]) & (postal <= joined["zip_high"])).all()
    assert (joined["region"] == joined["region_right"]).all()
    # Places weighted by population: the share of New York State residents within 4 SE.
    p = places.filter(pl.col("state") == "NY")["weight"].sum() / places["weight"].sum()
    share = (realism["patients"]["state"] == "NY").mean()
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / joined.height), share


@pytest.mark.spark
def test_encounter_types_are_weighted(realism):
    encounters = realism["encounters"]
    n = encounters.height
    observed = dict(encounters["encounter_type"].value_counts(normalize=True).iter_rows())
    for kind, p in contract_weights("encounters", "encounter_type").items():
        assert abs(observed[kind] - p) < 4 * math.sqrt(p * (1 - p) / n), (kind, observed[kind])
    assert observed["outpatient"] > 5 * observed["emergency"] > 5 * observed["inpatient"] / 2


@pytest.mark.spark
def test_length_of_stay_is_gamma_by_type(realism):
    encounters = realism["encounters"]
    stay = (encounters["discharge_datetime"] - encounters["admit_datetime"]).dt.total_minutes()
    assert (stay == encounters["length_of_stay_minutes"]).all()
    for kind, gamma in column_hint("encounters", "length_of_stay_minutes")["distribution"]["parameters"].items():
        values = encounters.filter(pl.col("encounter_type") == kind)["length_of_stay_minutes"].cast(pl.Float64) - gamma["offset"]
        mean = gamma["shape"] * gamma["scale"]
        assert values.min() >= 0
        # Mean within 4 SE (plus half a minute of rounding); coefficient of variation 1/sqrt(shape)
        # within 10% (it tells Gamma(shape) from an exponential).
        assert abs(values.mean() - mean) < 4 * mean / math.sqrt(gamma["shape"] * values.len()) + 0.5, (kind, values.mean())
        cv = values.std() / values.mean()
        assert abs(cv * math.sqrt(gamma["shape"]) - 1) < 0.10, (kind, cv)
    inpatient_days = encounters.filter(pl.col("encounter_type") == "inpatient")["length_of_stay_minutes"].mean() / 1440
    assert 4.2 < inpatient_days < 5.0  # US average stay ≈ 4.5-4.9 days


@pytest.mark.spark
def test_some_patients_have_many_encounters(realism):
    """Counts per patient within an age band are negative binomial: dispersion 1 + mean/shape."""
    counts = realism["patients"].select("patient_id", "dob").join(
        realism["encounters"].group_by("patient_id").len(), on="patient_id", how="left"
    ).with_columns(pl.col("len").fill_null(0), age=age_on(pl.col("dob"), pl.lit(date(2025, 1, 1))))
    shape = column_hint("encounters", "patient_id")["distribution"]["shape"]
    rates = column_hint("encounters", "patient_id")["distribution"]["visit_rate_by_age_band"]
    bands = column_hint("patients", "dob")["distribution"]["parameters"]
    means, expected_zero = {}, 0.0
    for label, band in bands.items():
        group = counts.filter((pl.col("age") >= band["min_age"]) & (pl.col("age") < band["max_age_exclusive"]))["len"]
        mean = group.mean()
        means[label] = (mean, group.var(), group.len())
        expected_zero += group.len() * (1 + mean / shape) ** -shape
        if group.len() > 2000:  # the dispersion estimate is noisy in small bands
            dispersion = group.var() / mean
            assert abs(dispersion / (1 + mean / shape) - 1) < 0.12, (label, dispersion)
    base_mean, base_var, base_n = means["18-44"]
    for label, (mean, var, n) in means.items():  # older patients visit more, in the ratio of their rates
        ratio = mean / base_mean
        se = ratio * math.sqrt(var / n / mean**2 + base_var / base_n / base_mean**2)
        assert abs(ratio - rates[label] / rates["18-44"]) < 4 * se, (label, ratio)
    zero_share = (counts["len"] == 0).mean()  # the negative-binomial zero class
    assert abs(zero_share - expected_zero / counts.height) < 0.015, zero_share
    assert 0.15 < zero_share < 0.30
    top = counts["len"].sort(descending=True).head(counts.height // 10).sum() / counts["len"].sum()
    assert top > 0.35, top
    assert counts["len"].max() >= 40


@pytest.mark.spark
def test_time_ordering_birth_admit_discharge_submitted_adjudicated(realism):
    visits = realism["visits"]
    assert (visits["dob"].cast(pl.Datetime("us")).dt.replace_time_zone("UTC") <= visits["admit_datetime"]).all()
    assert (visits["admit_datetime"] <= visits["discharge_datetime"]).all()
    claims = realism["claims"].join(realism["encounters"].select("encounter_id", "discharge_datetime"), on="encounter_id")
    assert (claims["submitted_datetime"] >= claims["discharge_datetime"]).all()
    settled = claims.filter(pl.col("adjudicated_date").is_not_null())
    assert (settled["adjudicated_date"] > settled["submitted_datetime"].dt.date()).all()
    newborn_visits = visits.filter(pl.col("dob") >= date(2024, 1, 1))
    assert newborn_visits.height > 50
    assert (newborn_visits["admit_datetime"].dt.date() >= newborn_visits["dob"]).all()
    window = column_hint("encounters", "admit_datetime")
    assert visits["admit_datetime"].min() >= pl.Series([window["min"]]).str.to_datetime(time_zone="UTC")[0]
    assert visits["admit_datetime"].max() <= pl.Series([window["max"]]).str.to_datetime(time_zone="UTC")[0]


ZONES = {5: "America/New_York", 6: "America/Chicago", 7: "America/Denver", 8: "America/Los_Angeles",
         9: "America/Anchorage", 10: "Pacific/Honolulu"}  # fmt: skip


def local_times(visits: pl.DataFrame) -> pl.DataFrame:
    """Admit times in the facility state's IANA time zone (tzdata decides daylight saving)."""
    zone_of = {s: ZONES[h] for h, states in hc.UTC_OFFSET_STATES.items() for s in states.split()}
    zone_of["AZ"] = "America/Phoenix"
    parts = []
    for zone in sorted(set(zone_of.values())):
        part = visits.filter(pl.col("state").is_in([s for s, z in zone_of.items() if z == zone]))
        parts.append(part.with_columns(local=pl.col("admit_datetime").dt.convert_time_zone(zone).dt.replace_time_zone(None)))
    return pl.concat(parts)


@pytest.mark.spark
def test_clinic_hours_and_weekdays_in_local_time(realism):
    visits = local_times(realism["visits"])
    for kind, spec in hc.ENCOUNTER_TYPES.items():
        group = visits.filter(pl.col("encounter_type") == kind)
        minute = group["local"].dt.hour().cast(pl.Int64) * 60 + group["local"].dt.minute()
        if spec["hours"]:
            opens, closes, slot = spec["hours"]
            assert ((minute >= opens) & (minute < closes)).all(), kind
            assert ((minute - opens) % slot == 0).all(), kind
        if spec["weekdays"]:
            assert (group["local"].dt.weekday() <= 5).all(), kind
    arrivals = visits.filter(pl.col("encounter_type").is_in(["emergency", "inpatient", "observation"]))
    observed = arrivals["local"].dt.hour().value_counts(normalize=True)
    total = sum(hc.ARRIVAL_HOUR_WEIGHTS)
    for hour, share in observed.iter_rows():
        p = hc.ARRIVAL_HOUR_WEIGHTS[hour] / total
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / arrivals.height), (hour, share)
    assert observed.height == 24


@pytest.mark.spark
def test_provider_fits_the_visit_and_the_patient(realism):
    visits = realism["visits"]
    assert (visits["department"] == visits["provider_department"]).all()
    assert (visits.filter(pl.col("encounter_type") == "emergency")["department"] == "Emergency Department").all()
    child = (pl.col("age") < 18) | (pl.col("age_day_before") < 18)
    adult = (pl.col("age") >= 18) | (pl.col("age_day_before") >= 18)
    adult_only = [s[1] for s in hc.SPECIALTIES if s[3] in ("adult", "adult female")]
    assert visits.filter((pl.col("department") == "Pediatrics") & ~child).height == 0
    assert visits.filter(pl.col("department").is_in(adult_only) & ~adult).height == 0
    assert visits.filter((pl.col("department") == "Obstetrics and Gynecology") & (pl.col("sex") != "F")).height == 0
    kids = visits.filter(pl.col("age_day_before") < 17, pl.col("encounter_type") == "outpatient")
    assert (kids["department"] == "Pediatrics").mean() > 0.45


@pytest.mark.spark
def test_facility_is_the_providers_system_in_the_visit_setting(realism):
    visits = realism["visits"]
    all_suffixes = "|".join(sorted({o for options in hc.FACILITY_SUFFIXES.values() for o in options}, key=len, reverse=True))
    strip = rf" ({all_suffixes})$"
    assert (visits["facility"].str.replace(strip, "") == visits["home_facility"].str.replace(strip, "")).all()
    for kind, spec in hc.ENCOUNTER_TYPES.items():
        names = visits.filter(pl.col("encounter_type") == kind)["facility"]
        assert names.str.contains(rf" ({'|'.join(hc.FACILITY_SUFFIXES[spec['setting']])})$").all(), kind


@pytest.mark.spark
def test_claims_per_encounter_follow_the_type_weights(realism):
    encounters, claims = realism["encounters"], realism["claims"]
    per = encounters.select("encounter_id", "encounter_type").join(claims.group_by("encounter_id").len(), on="encounter_id", how="left")
    assert per["len"].null_count() == 0 and per["len"].min() == 1
    weights = column_hint("claims", "encounter_id")["distribution"]["parameters"]
    mean_weight = per["encounter_type"].replace_strict(weights, return_dtype=pl.Float64).mean()
    extra = claims.height / encounters.height - 1
    for kind, weight in weights.items():
        counts = per.filter(pl.col("encounter_type") == kind)["len"]
        expected = 1 + extra * weight / mean_weight
        assert abs(counts.mean() - expected) < 4 * math.sqrt((expected - 1) / counts.len()) + 0.01, (kind, counts.mean())
        # Extras land on encounters at random (multinomial), not spread evenly.
        if kind == "inpatient":
            assert counts.var() > 0.5 * (expected - 1), counts.var()
    first = claims.sort("claim_id").join(encounters.select("encounter_id", "encounter_type"), on="encounter_id", maintain_order="left")
    first = first.with_columns(position=pl.int_range(pl.len()).over("encounter_id"))
    facility_types = ["emergency", "inpatient", "ambulatory surgery", "observation"]
    institutional = (pl.col("position") == 0) & pl.col("encounter_type").is_in(facility_types)
    expected = first.select(pl.when(institutional).then(pl.lit("institutional")).otherwise(pl.lit("professional"))).to_series()
    assert (first["claim_type"] == expected).all()


@pytest.mark.spark
def test_diagnoses_are_paired_and_fit_patient_and_setting(realism):
    claims = realism["claims"].join(realism["visits"], on="encounter_id", suffix="_visit")
    hint_codes, hint_descriptions = column_hint("claims", "icd10_code")["values"], column_hint("claims", "icd10_description")["values"]
    assert set(claims.select("icd10_code", "icd10_description").unique().iter_rows()) <= set(zip(hint_codes, hint_descriptions))
    assert claims["icd10_code"].n_unique() > 60
    table = pl.DataFrame([c[:8] for c in hc.ICD10_CODES], orient="row",
                         schema=["icd10_code", "desc", "weight", "areas", "code_sex", "min_age", "max_age", "code_setting"])  # fmt: skip
    checked = claims.join(table, on="icd10_code")
    fits_age = ((pl.col("age") >= pl.col("min_age")) & (pl.col("age") <= pl.col("max_age"))) | (
        (pl.col("age_day_before") >= pl.col("min_age")) & (pl.col("age_day_before") <= pl.col("max_age")))
    assert checked.filter(~fits_age).height == 0
    assert checked.filter((pl.col("code_sex") != "") & (pl.col("code_sex") != pl.col("sex"))).height == 0
    in_hospital = pl.col("encounter_type").is_in(["emergency", "inpatient", "observation"])
    assert checked.filter(in_hospital & (pl.col("code_setting") == "ambulatory")).height == 0
    assert checked.filter(~in_hospital & (pl.col("code_setting") == "hospital")).height == 0
    areas = pl.DataFrame({"department": hc.DEPARTMENTS, "specialty_areas": [s[5] for s in hc.SPECIALTIES]})
    matched = checked.join(areas, on="department").select(
        pl.col("areas").str.split(" ").list.set_intersection(pl.col("specialty_areas").str.split(" ")).list.len() > 0)
    assert matched.to_series().mean() == 1.0
    assert checked.filter(pl.col("icd10_code") == "O80")["department"].unique().to_list() == ["Obstetrics and Gynecology"]
    # Within one (department, setting) cell the codes follow their weights: Family Medicine office
    # visits of adults, hypertension (60) against hyperlipidemia (40) — ratio within 4 SE.
    cell = checked.filter(pl.col("department") == "Family Medicine", pl.col("encounter_type") == "outpatient", pl.col("age") >= 18)
    hypertension, lipids = (cell["icd10_code"] == "I10").sum(), (cell["icd10_code"] == "E78.5").sum()
    share = hypertension / (hypertension + lipids)
    assert abs(share - 0.6) < 4 * math.sqrt(0.24 / (hypertension + lipids)), share


@pytest.mark.spark
def test_billed_amounts_are_gamma_by_encounter_and_claim_type(realism):
    claims = realism["claims"].join(realism["encounters"].select("encounter_id", "encounter_type"), on="encounter_id")
    for key, gamma in column_hint("claims", "billed_amount")["distribution"]["parameters"].items():
        kind, claim_type = key.split("/")
        values = claims.filter(pl.col("encounter_type") == kind, pl.col("claim_type") == claim_type)["billed_amount"].cast(pl.Float64)
        mean = gamma["shape"] * gamma["scale"]
        assert values.len() > 500, key
        assert abs(values.mean() - mean) < 4 * mean / math.sqrt(gamma["shape"] * values.len()), (key, values.mean())
        cv = values.std() / values.mean()
        assert abs(cv * math.sqrt(gamma["shape"]) - 1) < 0.12, (key, cv)
    assert claims["billed_amount"].cast(pl.Float64).min() >= 0.01


@pytest.mark.spark
def test_money_adds_up_and_follows_payer_shares(realism):
    claims = realism["claims"].with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    n = claims.height
    observed = dict(claims["claim_status"].value_counts(normalize=True).iter_rows())
    for status, p in contract_weights("claims", "claim_status").items():
        assert abs(observed[status] - p) < 4 * math.sqrt(p * (1 - p) / n), status
    money = ("allowed_amount", "paid_amount", "patient_responsibility", "adjudicated_date")
    pending = claims.filter(pl.col("claim_status") == "pending")
    assert pending.select(pl.col(*money).null_count()).row(0) == (pending.height,) * 4
    settled = realism["claims"].filter(pl.col("claim_status") != "pending")
    assert settled.select(pl.col(*money).null_count()).row(0) == (0,) * 4
    assert (settled["allowed_amount"] - settled["paid_amount"] == settled["patient_responsibility"]).all()  # to the cent
    assert (settled["allowed_amount"] <= settled["billed_amount"]).all()
    assert (settled["paid_amount"] <= settled["allowed_amount"]).all()
    assert (settled["paid_amount"] >= 0).all() and (settled["patient_responsibility"] >= 0).all()
    rejected = settled.filter(pl.col("claim_status").is_in(["denied", "appealed"]))
    assert (rejected["allowed_amount"] == 0).all() and (rejected["paid_amount"] == 0).all()
    paid = claims.filter(pl.col("claim_status") == "paid")
    allowed_beta = column_hint("claims", "allowed_amount")["distribution"]["parameters"]
    paid_beta = column_hint("claims", "paid_amount")["distribution"]["parameters"]
    for payer in hc.PAYERS:
        group = paid.filter(pl.col("payer_type") == payer)
        share = group["allowed_amount"] / group["billed_amount"]
        a, b = allowed_beta[payer]["a"], allowed_beta[payer]["b"]
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        assert abs(share.mean() - a / (a + b)) < 4 * sd / math.sqrt(group.height) + 0.002, (payer, share.mean())
        plan = (group["paid_amount"] / group["allowed_amount"]).drop_nans()
        if payer == "Self-pay":
            assert (group["paid_amount"] == 0).all()
        else:
            a, b = paid_beta[payer]["a"], paid_beta[payer]["b"]
            sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
            assert abs(plan.mean() - a / (a + b)) < 4 * sd / math.sqrt(plan.len()) + 0.002, (payer, plan.mean())
    joined = realism["claims"].join(realism["patients"].select("patient_id", pl.col("payer_type").alias("patient_payer")), on="patient_id")
    assert (joined["payer_type"] == joined["patient_payer"]).all()


@pytest.mark.spark
def test_claims_are_submitted_and_settled_on_gamma_lags(realism):
    claims = realism["claims"].join(realism["encounters"].select("encounter_id", "discharge_datetime"), on="encounter_id")
    hours = (claims["submitted_datetime"] - claims["discharge_datetime"]).dt.total_minutes() / 60
    lag = column_hint("claims", "submitted_datetime")["distribution"]
    mean = lag["shape"] * lag["scale"]
    assert abs(hours.mean() - mean) < 4 * mean / math.sqrt(lag["shape"] * hours.len()) + 0.02, hours.mean()
    settled = claims.filter(pl.col("adjudicated_date").is_not_null())
    days = (settled["adjudicated_date"] - settled["submitted_datetime"].dt.date()).dt.total_days()
    settle = column_hint("claims", "adjudicated_date")["distribution"]
    assert abs(days.mean() - (settle["shape"] * settle["scale"] + 0.5)) < 0.15, days.mean()  # ceil() adds ≈ half a day


# --- Small runs, overrides, reproducibility -----------------------------------------------------------


@pytest.mark.spark
def test_small_runs_and_overrides_are_exact_and_clean(spark, tmp_path):
    cases = {
        "one": (["--rows", "1"], {"providers": 20, "patients": 1, "encounters": 5, "claims": 8}),
        "overrides": (["--rows", "40", "--providers", "3", "--encounters", "57", "--claims", "130"],
                      {"providers": 3, "patients": 40, "encounters": 57, "claims": 130}),
        "few_claims": (["--rows", "40", "--encounters", "57", "--claims", "20"],
                       {"providers": 20, "patients": 40, "encounters": 57, "claims": 20}),
    }  # fmt: skip
    for name, (args, expected) in cases.items():
        summary = run_generator(spark, tmp_path / name, *args)
        frames = read_all(tmp_path / name)
        assert {t: f.height for t, f in frames.items()} == expected == {t: summary["tables"][t]["rows"] for t in TABLES}, name
        assert validator_report(tmp_path / name) is None, validator_report(tmp_path / name)
        assert integrity_problems(frames) == [], name
    few = read(tmp_path / "few_claims", "claims")
    assert few["encounter_id"].n_unique() == 20  # fewer claims than encounters: a subset billed once each
    assert few["encounter_id"].max() > hc.ENCOUNTER_ID_START + 30  # not just the first ones
    # Three providers cover the first three specialties only; every visit still finds one.
    assert sorted(read(tmp_path / "overrides", "providers")["specialty"]) == sorted(hc.SPECIALTY_NAMES[:3])


@pytest.mark.spark
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_formats_are_validator_clean(spark, tmp_path, fmt):
    """CSV parts with a header and timestamps with their offset, JSON Lines parts: the validator
    parses every value back to the contract's type."""
    summary = run_generator(spark, tmp_path, "--rows", "12", "--format", fmt)
    assert summary["format"] == fmt and summary["tables"]["claims"]["rows"] == 90
    assert validator_report(tmp_path) is None, validator_report(tmp_path)


SMALL_RUN = ["--rows", "60", "--encounters", "200", "--claims", "260", "--seed", "7"]


@pytest.fixture(scope="module")
def classic_small_run(spark_modes, tmp_path_factory) -> Path:
    """One small classic run that the reproducibility and the Connect tests compare against."""
    directory = tmp_path_factory.mktemp("healthcare-small")
    run_generator(spark_modes.classic(), directory, *SMALL_RUN)
    return directory


@pytest.mark.spark
def test_same_seed_same_data_other_seed_other_data(spark, classic_small_run, tmp_path):
    run_generator(spark, tmp_path / "again", *SMALL_RUN)
    run_generator(spark, tmp_path / "other", *SMALL_RUN[:-1], "8")
    first, again, other = (sorted_frames(d) for d in (classic_small_run, tmp_path / "again", tmp_path / "other"))
    for table in TABLES:
        assert first[table].equals(again[table]), f"{table}: same seed gave different data"
    for table, column in [("providers", "specialty"), ("providers", "name"), ("providers", "credential"), ("patients", "dob"),
                          ("patients", "email"), ("patients", "phone"), ("encounters", "patient_id"),
                          ("encounters", "admit_datetime"), ("claims", "billed_amount"), ("claims", "icd10_code")]:  # fmt: skip
        assert first[table][column].to_list() != other[table][column].to_list(), (table, column)


# --- Over Spark Connect -------------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.connect
def test_connect_builds_the_same_valid_data_as_classic(spark_modes, spark_connect_server, classic_small_run, tmp_path):
    """Tier 2 over a Spark Connect client: validator clean, exact counts, and the very data the
    classic session builds from the same arguments."""
    summary = run_generator(spark_modes.connect(spark_connect_server.url), tmp_path / "connect", *SMALL_RUN, "--tier", "2")
    expected = {"providers": 20, "patients": 60, "encounters": 200, "claims": 260}
    assert {t: summary["tables"][t]["rows"] for t in TABLES} == expected
    assert validator_report(tmp_path / "connect") is None, validator_report(tmp_path / "connect")
    assert integrity_problems(read_all(tmp_path / "connect")) == []
    over_connect, classic = sorted_frames(tmp_path / "connect"), sorted_frames(classic_small_run)
    for table in TABLES:
        assert over_connect[table].equals(classic[table]), table


# --- Unity Catalog path, on the local catalog --------------------------------------------------------


@pytest.mark.spark
@pytest.mark.connect
def test_catalog_tables_are_marked_commented_and_never_overwritten_blindly(spark_any, request):
    spark = spark_any
    schema = f"healthcare_uc_{request.node.callspec.id}"
    base = ["--catalog", "spark_catalog", "--schema", schema, "--format", "parquet", "--rows", "5"]

    def run(*extra: str) -> dict:
        _, args = hc.parse_arguments([*base, *extra])
        return hc.generate(spark, args)

    spark.sql(f"DROP SCHEMA IF EXISTS spark_catalog.{schema} CASCADE")
    summary = run()
    assert summary["tables"]["claims"]["target"] == f"spark_catalog.{schema}.claims"
    name = f"spark_catalog.{schema}.claims"
    assert spark.table(name).count() == 38 and spark.table(f"spark_catalog.{schema}.patients").count() == 5
    properties = hc.table_properties(spark, name)
    assert (properties["synthetic"], properties["synthetic.generator"], properties["synthetic.seed"]) == ("true", hc.TOOL, "42")
    described = {r[0]: r[1] for r in spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
    assert described["Comment"] == f"{CONTRACTS['claims']['description']} {hc.SYNTHETIC_NOTE}"
    columns = {r.col_name: r.comment for r in spark.sql(f"DESCRIBE TABLE {name}").collect()}
    assert columns["icd10_code"] == column_hint("claims", "icd10_code")["description"]

    with pytest.raises(hc.OutputError, match="already exists.*pass --mode overwrite"):
        run()
    run("--mode", "overwrite", "--seed", "7")  # ours: replaced
    assert hc.table_properties(spark, name)["synthetic.seed"] == "7"
    # A table this tool did not make is never replaced, even with --mode overwrite, and nothing is
    # written before the refusal.
    spark.sql(f"DROP TABLE spark_catalog.{schema}.patients")
    spark.sql(f"CREATE TABLE spark_catalog.{schema}.patients (note STRING) USING parquet")
    with pytest.raises(hc.OutputError, match="not created by databricks-data-gen"):
        run("--mode", "overwrite")
    assert spark.table(f"spark_catalog.{schema}.patients").columns == ["note"]
    assert hc.table_properties(spark, name)["synthetic.seed"] == "7"
    _, missing = hc.parse_arguments(["--catalog", "no_such_catalog", "--schema", schema])
    with pytest.raises(hc.OutputError, match="catalog 'no_such_catalog' does not exist.*create it first"):
        hc.generate(spark, missing)
    spark.sql(f"DROP SCHEMA IF EXISTS spark_catalog.{schema} CASCADE")


def test_hostile_catalog_names_are_refused(capsys):
    for args in (["--catalog", "main`; DROP TABLE x", "--schema", "demo"], ["--catalog", "main", "--schema", "a.b"]):
        with pytest.raises(SystemExit) as stopped:
            hc.main([*args, "--dry-run"])
        assert stopped.value.code == 2 and "not allowed" in capsys.readouterr().err


# --- End to end: as a script, and as a notebook ------------------------------------------------------


@pytest.mark.spark
def test_runs_end_to_end_as_a_script_on_local_spark(tmp_path):
    # A fresh environment as a terminal has it: no Spark Connect mode left behind by other tests.
    environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE")}
    run = subprocess.run([sys.executable, str(SCRIPT), "--local", "--rows", "12", "--output", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=600, env=environment)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["tables"]["claims"]["rows"] == 90 and summary["tier"] == 2
    assert validator_report(tmp_path / "out") is None, validator_report(tmp_path / "out")
    again = subprocess.run([sys.executable, str(SCRIPT), "--local", "--rows", "12", "--output", str(tmp_path / "out")],
                           capture_output=True, text=True, timeout=600, env=environment)  # fmt: skip
    assert again.returncode == 2 and "already exist" in again.stderr and "Traceback" not in again.stderr


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


@pytest.mark.spark
def test_runs_as_a_notebook_with_widgets_and_tier3_street_names(spark, tmp_path, monkeypatch, capsys):
    """Every cell executed in one namespace as Databricks does, parameters from widgets, the
    notebook's own session, tier 3 by default: street names per row from Mimesis (a pandas UDF)."""
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    widgets = Widgets({"rows": "300", "output": str(tmp_path / "nb")})
    namespace = {"__name__": "__main__", "dbutils": type("DBUtils", (), {"widgets": widgets})(), "spark": spark}
    for number, cell in enumerate(notebook_cells()):
        exec(compile(cell, f"cell {number}", "exec"), namespace)
    summary = json.loads(capsys.readouterr().out)
    assert summary["tier"] == 3 and summary["tables"]["patients"]["rows"] == 300
    assert widgets.values["seed"] == "42" and widgets.values["dry_run"] == "false"  # defaults shown as widgets
    assert validator_report(tmp_path / "nb") is None, validator_report(tmp_path / "nb")
    streets = read(tmp_path / "nb", "patients")["street_address"]
    parts = streets.str.extract_groups(r"^(?<house>\d+) (?<street>.+) (?<suffix>\S+)$")
    pools = hc.build_pools("en", 42)
    assert parts.struct.field("suffix").is_in(list(pools.street_suffixes)).all()
    names = parts.struct.field("street")
    from mimesis import Address

    address = Address(seed=1)  # 30,000 public draws cover the en list (2,338 names) many times over
    every_name = {address.street_name() for _ in range(30_000)}
    assert names.is_in(list(every_name)).all()  # the locale's street names, the whole list…
    # …each with its own suffix draw (the Tier 2 pool pairs every street name with one suffix).
    pairs = pl.DataFrame({"street": names, "suffix": parts.struct.field("suffix")}).unique()
    assert pairs.group_by("street").len()["len"].max() > 1
