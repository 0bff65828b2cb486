"""Healthcare Tier 1 generator: contracts, integrity, reproducibility, realism, bad input.

Every realism property is measured on generated data (fixed seeds, so the figures are
deterministic) against the value the contract configures, with the tolerance stated next to it
(about 4 standard errors of the sample unless said otherwise).
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
import sys
import types
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import REPO, SCHEMAS, SCRIPTS, load_script

healthcare = load_script("generators/polars/healthcare.py")
us_places_module = load_script("utils/us_places.py")
SCRIPT = SCRIPTS / "generators" / "polars" / "healthcare.py"
PYTHON = sys.executable
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
UTC = pl.Datetime("us", "UTC")


def column_hint(table: str, column: str) -> dict:
    return next(c for c in CONTRACTS[table]["columns"] if c["name"] == column)


def contract_weights(table: str, column: str) -> dict[str, float]:
    hint = column_hint(table, column)
    total = sum(hint["weights"])
    return {value: weight / total for value, weight in zip(hint["values"], hint["weights"])}


def generate(directory: Path, *arguments: str) -> dict:
    return healthcare.main(["--output", str(directory), *arguments])


def read_all(directory: Path) -> dict[str, pl.DataFrame]:
    return {table: pl.read_parquet(directory / f"{table}.parquet") for table in TABLES}


def validate(directory: Path):
    validator = load_script("utils/validate.py")
    return validator.validate_directory(directory, industry="healthcare")


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
    # A claim's patient is its encounter's patient.
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
    # dt.month()/dt.day() are Int8: widen before arithmetic.
    month_day = lambda d: d.dt.month().cast(pl.Int32) * 32 + d.dt.day().cast(pl.Int32)  # noqa: E731
    before_birthday = month_day(day) < month_day(dob)
    return day.dt.year().cast(pl.Int64) - dob.dt.year().cast(pl.Int64) - before_birthday.cast(pl.Int64)


# ---------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------
def test_npi_check_digit_matches_the_cms_example_and_textbook_luhn() -> None:
    # CMS's published example: 123456789 → check digit 3 (NPI 1234567893).
    assert healthcare.npi_check_digit(np.array([123456789]))[0] == 3
    assert luhn_valid_npi("1234567893") and not luhn_valid_npi("1234567894")
    rng = np.random.default_rng(5)
    base = rng.integers(100_000_000, 300_000_000, 20_000)
    npis = [f"{b}{c}" for b, c in zip(base, healthcare.npi_check_digit(base))]
    assert all(luhn_valid_npi(n) for n in npis)
    # Every other last digit fails: the check digit is the only one that works.
    assert not any(luhn_valid_npi(n[:9] + str((int(n[9]) + 1) % 10)) for n in npis[:2000])


def test_identifiers_are_unique_bijections() -> None:
    # An affine map x -> (a*x + b) mod m is a bijection exactly when gcd(a, m) = 1.
    scrambles = [healthcare.NPI_SCRAMBLE, healthcare.MRN_SCRAMBLE, healthcare.MEMBER_ID_SCRAMBLE]
    for multiplier, _, modulus in scrambles:
        assert math.gcd(multiplier, modulus) == 1
    rows = np.arange(0, 300_000)
    npis = healthcare.npi_for(rows)
    assert npis.n_unique() == rows.size and npis.str.contains(r"^[12][0-9]{9}$").all()
    assert npis.str.starts_with("2").mean() > 0.4  # the whole 1xxxxxxxxx-2xxxxxxxxx range is used
    for scramble in scrambles[1:]:
        scrambled = healthcare.affine_scramble(rows, *scramble)
        assert np.unique(scrambled).size == rows.size
        assert not np.all(np.diff(scrambled[:1000]) > 0)  # not in row order


# ---------------------------------------------------------------------------------------------
# Contracts, integrity and sizes
# ---------------------------------------------------------------------------------------------
def test_every_table_has_a_contract_matching_its_schema() -> None:
    validator = load_script("utils/validate.py")
    for table, schema in healthcare.TABLE_SCHEMAS.items():
        contract = CONTRACTS[table]
        assert contract["table"] == table and contract["industry"] == "healthcare"
        assert [column["name"] for column in contract["columns"]] == list(schema)
        for column in contract["columns"]:
            assert validator.polars_type(column["type"]) == schema[column["name"]], (table, column["name"])
        assert contract["primary_key"] == PRIMARY_KEYS[table]
    # The spec's key columns keep their names.
    for table, keys in {"patients": ["patient_id", "name", "dob", "mrn", "insurance_id"],
                        "encounters": ["encounter_id", "patient_id", "provider_id", "admit_datetime"],
                        "claims": ["claim_id", "encounter_id", "icd10_code", "billed_amount"]}.items():
        assert set(keys) <= set(healthcare.TABLE_SCHEMAS[table]), table


def test_contract_rows_match_the_generator_ratios() -> None:
    assert CONTRACTS["encounters"]["rows"]["ratio"] == healthcare.ENCOUNTERS_PER_PATIENT
    assert CONTRACTS["claims"]["rows"]["ratio"] == healthcare.CLAIMS_PER_ENCOUNTER
    assert CONTRACTS["providers"]["rows"]["ratio"] == 1 / healthcare.PATIENTS_PER_PROVIDER
    plan = healthcare.make_plan(healthcare.build_parser().parse_args([]))
    assert plan.rows() == {table: CONTRACTS[table]["rows"]["default"] for table in TABLES}


@pytest.mark.parametrize("rows", [1, 10, 1000])
def test_small_runs_are_validator_clean(tmp_path: Path, rows: int) -> None:
    summary = generate(tmp_path, "--rows", str(rows))
    result = validate(tmp_path)
    assert result.ok, str(result)
    frames = read_all(tmp_path)
    assert integrity_problems(frames) == []
    counts = {table: frame.height for table, frame in frames.items()}
    assert counts == {table: summary["tables"][table]["rows"] for table in TABLES}
    assert counts["patients"] == rows
    assert counts["providers"] == max(20, round(rows / 50))
    assert counts["encounters"] == 5 * rows
    assert counts["claims"] == round(7.5 * rows)
    assert frames["claims"]["encounter_id"].n_unique() == counts["encounters"]  # every encounter billed
    assert frames["providers"]["provider_id"].map_elements(luhn_valid_npi, return_dtype=pl.Boolean).all()
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["industry"] == "healthcare" and manifest["seed"] == 42
    assert {table: entry["rows"] for table, entry in manifest["tables"].items()} == counts
    assert set(manifest["versions"]) >= {"polars", "numpy", "mimesis"}


def test_overrides_set_each_table_size_exactly(tmp_path: Path) -> None:
    generate(tmp_path, "--rows", "40", "--providers", "3", "--encounters", "57", "--claims", "130")
    frames = read_all(tmp_path)
    assert {t: f.height for t, f in frames.items()} == {"providers": 3, "patients": 40, "encounters": 57, "claims": 130}
    assert integrity_problems(frames) == []
    assert validate(tmp_path).ok
    # Fewer claims than encounters: a random subset of encounters is billed, once each.
    generate(tmp_path / "few", "--rows", "40", "--encounters", "57", "--claims", "20")
    claims = pl.read_parquet(tmp_path / "few" / "claims.parquet")
    assert claims.height == 20 and claims["encounter_id"].n_unique() == 20
    assert claims["encounter_id"].max() > healthcare.ENCOUNTER_ID_START + 30  # not just the first ones


def test_chunks_join_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small chunks exercise the boundaries: ids run on, and claims, which recompute their
    encounters chunk by chunk, still agree with the encounters table."""
    original = healthcare.chunk_bounds
    monkeypatch.setattr(healthcare, "chunk_bounds", lambda rows, chunk_rows=997: original(rows, min(chunk_rows, 997)))
    generate(tmp_path, "--rows", "800", "--providers", "2500")
    frames = read_all(tmp_path)
    assert integrity_problems(frames) == []
    for table, key, start in [("patients", "patient_id", healthcare.PATIENT_ID_START),
                              ("encounters", "encounter_id", healthcare.ENCOUNTER_ID_START),
                              ("claims", "claim_id", healthcare.CLAIM_ID_START)]:
        assert frames[table][key].to_list() == list(range(start, start + frames[table].height)), table
    assert frames["claims"].height == 6000 and frames["claims"]["encounter_id"].is_sorted()
    joined = frames["claims"].join(frames["encounters"], on="encounter_id")
    assert joined.height == 6000
    assert (joined["submitted_datetime"] >= joined["discharge_datetime"]).all()
    assert validate(tmp_path).ok


# ---------------------------------------------------------------------------------------------
# Formats read back
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parquet_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    directory = tmp_path_factory.mktemp("healthcare-parquet")
    generate(directory, "--rows", "60")
    return read_all(directory)


def test_delta_reads_back_identical(tmp_path: Path, parquet_reference: dict[str, pl.DataFrame]) -> None:
    from deltalake import DeltaTable

    generate(tmp_path, "--rows", "60", "--format", "delta")
    result = validate(tmp_path)
    assert result.ok, str(result)
    for table in TABLES:
        assert DeltaTable(str(tmp_path / table)).version() == 0
        assert_frame_equal(pl.read_delta(str(tmp_path / table)), parquet_reference[table])


def parse_text(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == UTC:
        return pl.col(column).str.to_datetime(time_unit="us", time_zone="UTC")
    if dtype == pl.Date:
        return pl.col(column).str.to_date()
    return pl.col(column).cast(dtype)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_formats_read_back(tmp_path: Path, fmt: str, parquet_reference: dict[str, pl.DataFrame]) -> None:
    generate(tmp_path, "--rows", "60", "--format", fmt)
    result = validate(tmp_path)
    assert result.ok, str(result)
    for table in TABLES:
        schema = healthcare.TABLE_SCHEMAS[table]
        reader = pl.read_csv if fmt == "csv" else pl.read_ndjson
        frame = reader(tmp_path / f"{table}.{fmt}", schema={column: pl.String for column in schema})
        parsed = frame.select(parse_text(column, dtype) for column, dtype in schema.items())
        assert_frame_equal(parsed, parquet_reference[table], check_dtypes=True)


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------
def test_same_seed_same_data_different_seed_different_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", "--rows", "300", "--seed", "7")
    generate(tmp_path / "b", "--rows", "300", "--seed", "7")
    generate(tmp_path / "c", "--rows", "300", "--seed", "8")
    first, again, other = read_all(tmp_path / "a"), read_all(tmp_path / "b"), read_all(tmp_path / "c")
    for table in TABLES:
        assert_frame_equal(first[table], again[table])
    for table, column in [("providers", "specialty"), ("providers", "name"), ("patients", "dob"), ("patients", "email"),
                          ("encounters", "patient_id"), ("encounters", "admit_datetime"), ("claims", "billed_amount"),
                          ("claims", "icd10_code")]:
        assert first[table][column].to_list() != other[table][column].to_list(), (table, column)


def test_a_table_does_not_depend_on_other_tables_sizes(tmp_path: Path) -> None:
    generate(tmp_path / "a", "--rows", "200")
    generate(tmp_path / "b", "--rows", "200", "--encounters", "77", "--claims", "90")
    for table in ("providers", "patients"):
        assert_frame_equal(pl.read_parquet(tmp_path / "a" / f"{table}.parquet"), pl.read_parquet(tmp_path / "b" / f"{table}.parquet"))
    generate(tmp_path / "c", "--rows", "200", "--claims", "1600")
    assert_frame_equal(pl.read_parquet(tmp_path / "a" / "encounters.parquet"), pl.read_parquet(tmp_path / "c" / "encounters.parquet"))


# ---------------------------------------------------------------------------------------------
# Realism, measured on one larger run (20,000 patients, 100,000 encounters, 150,000 claims)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def realism(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    directory = tmp_path_factory.mktemp("healthcare-realism")
    generate(directory, "--rows", "20000")
    frames = read_all(directory)
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
    )
    return frames


def test_providers_all_carry_valid_npis(realism) -> None:
    ids = realism["providers"]["provider_id"]
    assert ids.n_unique() == ids.len() == 400
    assert ids.map_elements(luhn_valid_npi, return_dtype=pl.Boolean).all()
    assert ids.str.contains(r"^[12][0-9]{9}$").all()


def test_provider_specialties_and_credentials(tmp_path: Path) -> None:
    generate(tmp_path, "--rows", "10", "--providers", "20000", "--encounters", "1", "--claims", "1")
    providers = pl.read_parquet(tmp_path / "providers.parquet")
    assert providers["provider_id"].is_unique().all()
    assert providers["provider_id"].map_elements(luhn_valid_npi, return_dtype=pl.Boolean).all()
    for column in ("specialty", "credential"):
        observed = dict(providers[column].value_counts(normalize=True).iter_rows())
        for value, p in contract_weights("providers", column).items():
            assert abs(observed[value] - p) < 4 * math.sqrt(p * (1 - p) / 20_000) + 0.001, (column, value)
    departments = dict(zip(healthcare.SPECIALTY_NAMES, healthcare.DEPARTMENTS))
    assert (providers["department"] == providers["specialty"].replace_strict(departments)).all()
    hospital_based = {s[0] for s in healthcare.SPECIALTIES if s[4] == "hospital"}
    at_hospital = providers["facility"].str.contains(rf" ({'|'.join(healthcare.FACILITY_SUFFIXES['hospital'])})$")
    assert (at_hospital == providers["specialty"].is_in(list(hospital_based))).all()
    # Providers of one health system share its city; systems ≈ providers / 40.
    systems = providers.with_columns(system=pl.col("facility").str.replace(r" (\S+ )*(Hospital|Center|Group|Associates|Physicians)$", ""))
    assert systems.group_by("system", "city").len().height >= 0.9 * healthcare.health_system_count(20_000)


def test_age_pyramid_and_sex(realism) -> None:
    patients = realism["patients"]
    n = patients.height
    reference = date(2025, 1, 1)
    ages = patients.select(age=age_on(pl.col("dob"), pl.lit(reference)))["age"]
    assert ages.min() >= 0 and ages.max() < 100
    assert patients["dob"].max() <= date(2024, 12, 31) and patients["dob"].min() >= date(1925, 1, 2)
    for band in column_hint("patients", "dob")["distribution"]["parameters"].values():
        share = ((ages >= band["min_age"]) & (ages < band["max_age_exclusive"])).mean()
        p = band["share_percent"] / 100
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / n), (band, share)
    born_2024 = (patients["dob"] >= date(2024, 1, 1)).mean()
    assert abs(born_2024 - 0.221 / 18) < 0.004  # 1/18 of the 0-17 band ≈ 1.2%
    observed = dict(patients["sex"].value_counts(normalize=True).iter_rows())
    for sex, p in contract_weights("patients", "sex").items():
        assert abs(observed[sex] - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_payer_follows_age_band_and_member_ids(realism) -> None:
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
    self_pay = patients["payer_type"] == "Self-pay"
    assert (patients["insurance_id"].is_null() == self_pay).all()
    prefix = patients["insurance_id"].str.slice(0, 3)
    expected = patients["payer_type"].replace_strict(healthcare.MEMBER_ID_PREFIX, default=None)
    assert (prefix.is_null() | (prefix == expected)).all()
    assert patients["insurance_id"].drop_nulls().is_unique().all() and patients["mrn"].is_unique().all()


def test_contact_details_are_safe_and_unique(realism) -> None:
    patients = realism["patients"]
    n = patients.height
    phones, emails = patients["phone"], patients["email"]
    assert phones.drop_nulls().str.contains(r"^\([2-9][0-8][0-9]\) 555-01[0-9]{2}$").all()
    assert not phones.drop_nulls().str.contains(r"^\([2-9]11\)").any()
    assert emails.drop_nulls().str.contains(r"^[a-z0-9._-]+@example\.(com|net|org)$").all()
    assert emails.drop_nulls().is_unique().all()
    for column, rate in [("phone", healthcare.PHONE_NULL_RATE), ("email", healthcare.EMAIL_NULL_RATE)]:
        assert column_hint("patients", column)["null_rate"] == rate
        assert abs(patients[column].null_count() / n - rate) < 4 * math.sqrt(rate * (1 - rate) / n)
    assert (patients["name"] == patients["first_name"] + " " + patients["last_name"]).all()


def test_city_state_postal_code_and_region_agree(realism) -> None:
    places = us_places_module.us_places()
    joined = realism["patients"].join(places, on=["city", "state"], how="left")
    assert joined["zip_low"].null_count() == 0
    postal = joined["postal_code"].cast(pl.Int64)
    assert ((postal >= joined["zip_low"]) & (postal <= joined["zip_high"])).all()
    assert (joined["region"] == joined["region_right"]).all()
    providers = realism["providers"].join(places, on=["city", "state"], how="left")
    assert providers["zip_low"].null_count() == 0


def test_encounter_types_are_weighted(realism) -> None:
    encounters = realism["encounters"]
    n = encounters.height
    observed = dict(encounters["encounter_type"].value_counts(normalize=True).iter_rows())
    weights = contract_weights("encounters", "encounter_type")
    for kind, p in weights.items():
        assert abs(observed[kind] - p) < 4 * math.sqrt(p * (1 - p) / n), (kind, observed[kind])
    assert observed["outpatient"] > 5 * observed["emergency"] > 5 * observed["inpatient"] / 2


def test_length_of_stay_is_gamma_by_type(realism) -> None:
    encounters = realism["encounters"]
    stay = (encounters["discharge_datetime"] - encounters["admit_datetime"]).dt.total_minutes()
    assert (stay == encounters["length_of_stay_minutes"]).all()
    parameters = column_hint("encounters", "length_of_stay_minutes")["distribution"]["parameters"]
    for kind, gamma in parameters.items():
        values = encounters.filter(pl.col("encounter_type") == kind)["length_of_stay_minutes"].cast(pl.Float64) - gamma["offset"]
        mean = gamma["shape"] * gamma["scale"]
        assert values.min() >= 0
        # Mean within 4 standard errors (plus half a minute of rounding); coefficient of
        # variation 1/sqrt(shape) within 10% (it tells Gamma(shape) from an exponential).
        assert abs(values.mean() - mean) < 4 * mean / math.sqrt(gamma["shape"] * values.len()) + 0.5, (kind, values.mean())
        cv = values.std() / values.mean()
        assert abs(cv * math.sqrt(gamma["shape"]) - 1) < 0.10, (kind, cv)
    inpatient_days = encounters.filter(pl.col("encounter_type") == "inpatient")["length_of_stay_minutes"].mean() / 1440
    assert 4.2 < inpatient_days < 5.0  # US average stay ≈ 4.5-4.9 days


def test_some_patients_have_many_encounters(realism) -> None:
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
    # Older patients visit more: band means in the ratio of their visit rates (±4 SE).
    base_mean, base_var, base_n = means["18-44"]
    for label, (mean, var, n) in means.items():
        ratio = mean / base_mean
        se = ratio * math.sqrt(var / n / mean**2 + base_var / base_n / base_mean**2)
        assert abs(ratio - rates[label] / rates["18-44"]) < 4 * se, (label, ratio)
    # Share of patients without an encounter: the negative-binomial zero class.
    zero_share = (counts["len"] == 0).mean()
    assert abs(zero_share - expected_zero / counts.height) < 0.015, zero_share
    assert 0.15 < zero_share < 0.30
    # The busiest tenth of patients hold far more than a tenth of the encounters.
    top = counts["len"].sort(descending=True).head(counts.height // 10).sum() / counts["len"].sum()
    assert top > 0.35, top
    assert counts["len"].max() >= 40


def test_time_ordering_birth_admit_discharge_submitted_adjudicated(realism) -> None:
    visits = realism["visits"]
    assert (visits["dob"].cast(pl.Datetime("us")).dt.replace_time_zone("UTC") <= visits["admit_datetime"]).all()
    assert (visits["admit_datetime"] <= visits["discharge_datetime"]).all()
    claims = realism["claims"].join(realism["encounters"].select("encounter_id", "discharge_datetime"), on="encounter_id")
    assert (claims["submitted_datetime"] >= claims["discharge_datetime"]).all()
    settled = claims.filter(pl.col("adjudicated_date").is_not_null())
    assert (settled["adjudicated_date"] > settled["submitted_datetime"].dt.date()).all()
    # Newborns of 2024 are seen only after birth, and some are seen.
    newborn_visits = visits.filter(pl.col("dob") >= date(2024, 1, 1))
    assert newborn_visits.height > 100
    assert (newborn_visits["admit_datetime"].dt.date() >= newborn_visits["dob"]).all()
    window = column_hint("encounters", "admit_datetime")
    assert visits["admit_datetime"].min() >= pl.Series([window["min"]]).str.to_datetime(time_zone="UTC")[0]
    assert visits["admit_datetime"].max() <= pl.Series([window["max"]]).str.to_datetime(time_zone="UTC")[0]


ZONES = {5: "America/New_York", 6: "America/Chicago", 7: "America/Denver", 8: "America/Los_Angeles",
         9: "America/Anchorage", 10: "Pacific/Honolulu"}


def local_times(visits: pl.DataFrame) -> pl.DataFrame:
    """Admit times in the facility state's IANA time zone (tzdata decides daylight saving)."""
    zone_of = {s: ZONES[h] for h, states in healthcare.UTC_OFFSET_STATES.items() for s in states.split()}
    zone_of["AZ"] = "America/Phoenix"
    parts = []
    for zone in sorted(set(zone_of.values())):
        states = [s for s, z in zone_of.items() if z == zone]
        part = visits.filter(pl.col("state").is_in(states))
        parts.append(part.with_columns(local=pl.col("admit_datetime").dt.convert_time_zone(zone).dt.replace_time_zone(None)))
    return pl.concat(parts)


def test_clinic_hours_and_weekdays_in_local_time(realism) -> None:
    visits = local_times(realism["visits"])
    for kind, spec in healthcare.ENCOUNTER_TYPES.items():
        group = visits.filter(pl.col("encounter_type") == kind)
        minute = group["local"].dt.hour().cast(pl.Int64) * 60 + group["local"].dt.minute()
        if spec["hours"]:
            opens, closes, slot = spec["hours"]
            assert ((minute >= opens) & (minute < closes)).all(), kind
            assert ((minute - opens) % slot == 0).all(), kind
        if spec["weekdays"]:
            assert (group["local"].dt.weekday() <= 5).all(), kind
    # Round-the-clock arrivals follow the hourly curve (each hour's share within 4 SE).
    arrivals = visits.filter(pl.col("encounter_type").is_in(["emergency", "inpatient", "observation"]))
    observed = arrivals["local"].dt.hour().value_counts(normalize=True)
    total = sum(healthcare.ARRIVAL_HOUR_WEIGHTS)
    for hour, share in observed.iter_rows():
        p = healthcare.ARRIVAL_HOUR_WEIGHTS[hour] / total
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / arrivals.height), (hour, share)
    assert observed.height == 24


def test_provider_fits_the_visit_and_the_patient(realism) -> None:
    visits = realism["visits"]
    assert (visits["department"] == visits["provider_department"]).all()
    emergency = visits.filter(pl.col("encounter_type") == "emergency")
    assert (emergency["department"] == "Emergency Department").all()
    child = (pl.col("age") < 18) | (pl.col("age_day_before") < 18)
    adult = (pl.col("age") >= 18) | (pl.col("age_day_before") >= 18)
    adult_only = [s[1] for s in healthcare.SPECIALTIES if s[3] in ("adult", "adult female")]
    assert visits.filter((pl.col("department") == "Pediatrics") & ~child).height == 0
    assert visits.filter(pl.col("department").is_in(adult_only) & ~adult).height == 0
    assert visits.filter((pl.col("department") == "Obstetrics and Gynecology") & (pl.col("sex") != "F")).height == 0
    # Children are mostly seen in Pediatrics for office visits.
    kids = visits.filter(pl.col("age_day_before") < 17, pl.col("encounter_type") == "outpatient")
    assert (kids["department"] == "Pediatrics").mean() > 0.45


def test_facility_is_the_providers_system_in_the_visit_setting(realism) -> None:
    visits = realism["visits"]
    suffixes = {setting: options for setting, options in healthcare.FACILITY_SUFFIXES.items()}
    all_suffixes = "|".join(sorted({o for options in suffixes.values() for o in options}, key=len, reverse=True))
    strip = rf" ({all_suffixes})$"
    system = visits["facility"].str.replace(strip, "")
    assert (system == visits["home_facility"].str.replace(strip, "")).all()
    for kind, spec in healthcare.ENCOUNTER_TYPES.items():
        names = visits.filter(pl.col("encounter_type") == kind)["facility"]
        pattern = rf" ({'|'.join(suffixes[spec['setting']])})$"
        assert names.str.contains(pattern).all(), kind


def test_claims_per_encounter_follow_the_type_weights(realism) -> None:
    encounters, claims = realism["encounters"], realism["claims"]
    assert claims.height == round(1.5 * encounters.height)
    per = encounters.select("encounter_id", "encounter_type").join(claims.group_by("encounter_id").len(), on="encounter_id", how="left")
    assert per["len"].null_count() == 0 and per["len"].min() == 1
    weights = column_hint("claims", "encounter_id")["distribution"]["parameters"]
    mean_weight = per["encounter_type"].replace_strict(weights, return_dtype=pl.Float64).mean()
    extra = claims.height / encounters.height - 1
    for kind, weight in weights.items():
        counts = per.filter(pl.col("encounter_type") == kind)["len"]
        expected = 1 + extra * weight / mean_weight
        assert abs(counts.mean() - expected) < 4 * math.sqrt((expected - 1) / counts.len()) + 0.01, (kind, counts.mean())
    # The facility bills first for hospital, ED and surgery-center visits; clinicians bill the rest.
    first = claims.join(encounters.select("encounter_id", "encounter_type"), on="encounter_id").with_columns(
        position=pl.int_range(pl.len()).over("encounter_id"))
    facility_types = ["emergency", "inpatient", "ambulatory surgery", "observation"]
    institutional = (pl.col("position") == 0) & pl.col("encounter_type").is_in(facility_types)
    expected = first.select(pl.when(institutional).then(pl.lit("institutional")).otherwise(pl.lit("professional"))).to_series()
    assert (first["claim_type"] == expected).all()


def test_diagnoses_are_paired_and_fit_patient_and_setting(realism) -> None:
    claims = realism["claims"].join(realism["visits"], on="encounter_id", suffix="_visit")
    hint_codes, hint_descriptions = column_hint("claims", "icd10_code")["values"], column_hint("claims", "icd10_description")["values"]
    pairs = set(zip(hint_codes, hint_descriptions))
    assert set(claims.select("icd10_code", "icd10_description").unique().iter_rows()) <= pairs
    assert claims["icd10_code"].n_unique() > 60
    table = pl.DataFrame([c[:8] for c in healthcare.ICD10_CODES], orient="row",
                         schema=["icd10_code", "desc", "weight", "areas", "code_sex", "min_age", "max_age", "code_setting"])
    checked = claims.join(table, on="icd10_code")
    fits_age = ((pl.col("age") >= pl.col("min_age")) & (pl.col("age") <= pl.col("max_age"))) | (
        (pl.col("age_day_before") >= pl.col("min_age")) & (pl.col("age_day_before") <= pl.col("max_age")))
    assert checked.filter(~fits_age).height == 0
    assert checked.filter((pl.col("code_sex") != "") & (pl.col("code_sex") != pl.col("sex"))).height == 0
    in_hospital = pl.col("encounter_type").is_in(["emergency", "inpatient", "observation"])
    assert checked.filter(in_hospital & (pl.col("code_setting") == "ambulatory")).height == 0
    assert checked.filter(~in_hospital & (pl.col("code_setting") == "hospital")).height == 0
    # The code shares an area with the provider's specialty (fallbacks are for tiny runs).
    areas = pl.DataFrame({"department": healthcare.DEPARTMENTS, "specialty_areas": [s[5] for s in healthcare.SPECIALTIES]})
    matched = checked.join(areas, on="department").select(
        pl.col("areas").str.split(" ").list.set_intersection(pl.col("specialty_areas").str.split(" ")).list.len() > 0)
    assert matched.to_series().mean() == 1.0
    assert dict(checked["icd10_code"].value_counts().sort("count", descending=True).head(3).iter_rows())  # non-empty
    assert checked.filter(pl.col("icd10_code") == "O80")["department"].unique().to_list() == ["Obstetrics and Gynecology"]


def test_billed_amounts_are_gamma_by_encounter_and_claim_type(realism) -> None:
    claims = realism["claims"].join(realism["encounters"].select("encounter_id", "encounter_type"), on="encounter_id")
    parameters = column_hint("claims", "billed_amount")["distribution"]["parameters"]
    for key, gamma in parameters.items():
        kind, claim_type = key.split("/")
        values = claims.filter(pl.col("encounter_type") == kind, pl.col("claim_type") == claim_type)["billed_amount"].cast(pl.Float64)
        mean = gamma["shape"] * gamma["scale"]
        assert values.len() > 500, key
        assert abs(values.mean() - mean) < 4 * mean / math.sqrt(gamma["shape"] * values.len()), (key, values.mean())
        cv = values.std() / values.mean()
        assert abs(cv * math.sqrt(gamma["shape"]) - 1) < 0.12, (key, cv)
    assert claims["billed_amount"].cast(pl.Float64).min() >= 0.01


def test_money_adds_up_and_follows_payer_shares(realism) -> None:
    claims = realism["claims"].with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    n = claims.height
    observed = dict(claims["claim_status"].value_counts(normalize=True).iter_rows())
    for status, p in contract_weights("claims", "claim_status").items():
        assert abs(observed[status] - p) < 4 * math.sqrt(p * (1 - p) / n), status
    pending = claims.filter(pl.col("claim_status") == "pending")
    assert pending.select(pl.col("allowed_amount", "paid_amount", "patient_responsibility", "adjudicated_date").null_count()).row(0) == (pending.height,) * 4
    settled = realism["claims"].filter(pl.col("claim_status") != "pending")
    assert settled.select(pl.col("allowed_amount", "paid_amount", "patient_responsibility", "adjudicated_date").null_count()).row(0) == (0,) * 4
    # Exact decimal arithmetic: responsibility is allowed minus paid, to the cent.
    assert (settled["allowed_amount"] - settled["paid_amount"] == settled["patient_responsibility"]).all()
    assert (settled["allowed_amount"] <= settled["billed_amount"]).all()
    assert (settled["paid_amount"] <= settled["allowed_amount"]).all()
    assert (settled["paid_amount"] >= 0).all() and (settled["patient_responsibility"] >= 0).all()
    rejected = settled.filter(pl.col("claim_status").is_in(["denied", "appealed"]))
    assert (rejected["allowed_amount"] == 0).all() and (rejected["paid_amount"] == 0).all()
    paid = claims.filter(pl.col("claim_status") == "paid")
    allowed_beta = column_hint("claims", "allowed_amount")["distribution"]["parameters"]
    paid_beta = column_hint("claims", "paid_amount")["distribution"]["parameters"]
    for payer in healthcare.PAYERS:
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
    # The claim's payer is the patient's.
    joined = realism["claims"].join(realism["patients"].select("patient_id", pl.col("payer_type").alias("patient_payer")), on="patient_id")
    assert (joined["payer_type"] == joined["patient_payer"]).all()


def test_claims_are_submitted_and_settled_on_gamma_lags(realism) -> None:
    claims = realism["claims"].join(realism["encounters"].select("encounter_id", "discharge_datetime"), on="encounter_id")
    hours = (claims["submitted_datetime"] - claims["discharge_datetime"]).dt.total_minutes() / 60
    lag = column_hint("claims", "submitted_datetime")["distribution"]
    mean = lag["shape"] * lag["scale"]
    assert abs(hours.mean() - mean) < 4 * mean / math.sqrt(lag["shape"] * hours.len()) + 0.02, hours.mean()
    settled = claims.filter(pl.col("adjudicated_date").is_not_null())
    days = (settled["adjudicated_date"] - settled["submitted_datetime"].dt.date()).dt.total_days()
    settle = column_hint("claims", "adjudicated_date")["distribution"]
    # ceil() of a continuous lag adds about half a day to the Gamma mean.
    assert abs(days.mean() - (settle["shape"] * settle["scale"] + 0.5)) < 0.15, days.mean()


# ---------------------------------------------------------------------------------------------
# Locales, notebooks, paths, dry run
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("locale", ["de", "ja"])
def test_other_locales_run_with_us_places(tmp_path: Path, locale: str) -> None:
    generate(tmp_path, "--rows", "300", "--locale", locale)
    result = validate(tmp_path)
    assert result.ok, str(result)
    patients = pl.read_parquet(tmp_path / "patients.parquet")
    english = healthcare.build_pools("en", 42)
    assert not patients["last_name"].is_in(english.last_names.implode()).all()
    if locale == "ja":
        assert patients["last_name"].str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").all()
        assert patients["email"].drop_nulls().str.starts_with("patient.user").all()  # no Latin letters to use
    joined = patients.join(us_places_module.us_places(), on=["city", "state"], how="left")
    assert joined["zip_low"].null_count() == 0


def test_notebook_kernel_argv_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/root/.local/share/jupyter/runtime/kernel-1.json"])
    summary = healthcare.main()
    assert summary["tables"]["patients"]["rows"] == healthcare.DEFAULT_PATIENTS
    assert (tmp_path / "output" / "healthcare" / "claims.parquet").exists()


def test_volumes_style_output_path_is_created(tmp_path: Path) -> None:
    target = tmp_path / "Volumes" / "main" / "demo" / "landing" / "healthcare"
    generate(target, "--rows", "5")
    assert (target / "_manifest.json").exists()


def test_dry_run_plans_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "never"
    report = generate(target, "--rows", "5000", "--dry-run")
    captured = capsys.readouterr()
    assert not target.exists()
    assert json.loads(captured.out) == report
    assert "nothing written" in captured.err
    generate(tmp_path / "real", "--rows", "5000")
    real = json.loads((tmp_path / "real" / "_manifest.json").read_text())["tables"]
    assert {table: entry["rows"] for table, entry in report["tables"].items()} == {t: e["rows"] for t, e in real.items()}
    actual = sum(entry["bytes"] for entry in real.values())
    assert 0.5 < report["estimated_bytes"] / actual < 2, (report["estimated_bytes"], actual)


# ---------------------------------------------------------------------------------------------
# Bad input: clear message, non-zero exit, no traceback, nothing written
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--rows", "0"], "must be at least 1"),
        (["--rows", "-5"], "must be at least 1"),
        (["--rows", "abc"], "expected a whole number"),
        (["--seed", "abc"], "expected a whole number"),
        (["--seed", "-1"], "must be 0 or more"),
        (["--encounters", "0"], "must be at least 1"),
        (["--claims", "x"], "expected a whole number"),
        (["--providers", "-2"], "must be at least 1"),
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--locale", "xx"], "invalid choice: 'xx'"),
    ],
)
def test_bad_arguments_are_rejected(tmp_path: Path, capsys: pytest.CaptureFixture, arguments: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        generate(tmp_path / "out", *arguments)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_file_or_unwritable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    for extra in ([], ["--dry-run"]):
        with pytest.raises(SystemExit) as stopped:
            generate(a_file, "--rows", "5", *extra)
        assert stopped.value.code == 2
        assert "is a file, not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        generate(a_file / "below", "--rows", "5")
    assert stopped.value.code == 2
    assert "cannot be written" in capsys.readouterr().err
    assert a_file.read_text() == "not a folder"


@pytest.mark.parametrize("arguments", [["--rows", "0"], ["--seed", "abc"], ["--format", "xml"], ["--locale", "xx"], ["--output", "{file}"]])
def test_bad_input_from_the_command_line_has_no_traceback(tmp_path: Path, arguments: list[str]) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    arguments = [argument.format(file=a_file) for argument in arguments]
    run = subprocess.run([PYTHON, str(SCRIPT), "--output", str(tmp_path / "out"), *arguments],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "usage: healthcare.py" in run.stderr and "error:" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert not (tmp_path / "out").exists()


def test_help_documents_the_ratios() -> None:
    run = subprocess.run([PYTHON, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    for phrase in ["encounters = 5 × patients", "claims = 1.5 × encounters", "providers = patients / 50 (at least 20)",
                   "--encounters", "--claims", "--providers", "--dry-run", "--locale", "exact"]:
        assert phrase in text, phrase


def test_killed_write_leaves_the_previous_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, "--rows", "50")
    before = pl.read_parquet(tmp_path / "claims.parquet")

    def broken(*_arguments, **_keywords):
        raise KeyboardInterrupt

    monkeypatch.setattr(healthcare, "make_claims", broken)
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path, "--rows", "50", "--seed", "9")
    assert_frame_equal(pl.read_parquet(tmp_path / "claims.parquet"), before)
    assert not [path.name for path in tmp_path.iterdir() if ".tmp-" in path.name]


# ---------------------------------------------------------------------------------------------
# The PEP 723 header: uv resolves the script's own dependencies
# ---------------------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_runs_through_uv_with_its_own_header(tmp_path: Path) -> None:
    run = subprocess.run(["uv", "run", "scripts/generators/polars/healthcare.py", "--rows", "10", "--output", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["tables"]["patients"]["rows"] == 10
    assert validate(tmp_path).ok


# ---------------------------------------------------------------------------------------------
# Slow: 10 million encounters (15 million claims) in 1M-row chunks, memory bounded
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ten_million_encounters_stream_in_bounded_memory(tmp_path: Path) -> None:
    run = subprocess.run([PYTHON, str(SCRIPT), "--rows", "2000000", "--output", str(tmp_path)],
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-2000:]
    peak_bytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert peak_bytes < 2 * 2**30, f"peak RSS {peak_bytes / 2**30:.2f} GiB"
    encounters = pl.scan_parquet(tmp_path / "encounters.parquet")
    claims = pl.scan_parquet(tmp_path / "claims.parquet")
    assert encounters.select(pl.len(), pl.col("encounter_id").n_unique()).collect().row(0) == (10_000_000, 10_000_000)
    assert claims.select(pl.len(), pl.col("claim_id").n_unique()).collect().row(0) == (15_000_000, 15_000_000)
    late = claims.join(encounters.select("encounter_id", "discharge_datetime"), on="encounter_id").filter(
        pl.col("submitted_datetime") < pl.col("discharge_datetime")).select(pl.len()).collect().item()
    assert late == 0
    result = validate(tmp_path)
    assert result.ok, str(result)


# ---------------------------------------------------------------------------------------------
# Date window, seasonality and data-quality injection (scripts/utils/seasonality.py, quality.py)
# ---------------------------------------------------------------------------------------------
seasonality = load_script("utils/seasonality.py")
validator = load_script("utils/validate.py")
CAMPAIGN = ("2024-01-08", "2024-01-21", 2.0)
SCHEDULED = [kind for kind, spec in healthcare.ENCOUNTER_TYPES.items() if spec["weekdays"]]


def local_visits(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    visits = frames["encounters"].join(frames["providers"].select("provider_id", "state"), on="provider_id")
    return local_times(visits).with_columns(day=pl.col("local").dt.date())


def per_day(visits: pl.DataFrame, first: date = date(2024, 1, 1), days: int = 366) -> np.ndarray:
    return np.bincount((visits["day"] - first).dt.total_days().to_numpy(), minlength=days)


@pytest.fixture(scope="module")
def seasonal(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """The realism run again (same seed and sizes) with the healthcare preset and a flu campaign."""
    directory = tmp_path_factory.mktemp("healthcare-seasonal")
    generate(directory, "--rows", "20000", "--seasonality", "healthcare",
             "--campaign", f"flu={CAMPAIGN[0]}:{CAMPAIGN[1]}:{CAMPAIGN[2]:g}")
    return read_all(directory)


def test_seasonality_shapes_visit_days(realism, seasonal) -> None:
    # Expected: each day's flat-run volume x its configured weight, per group of visit types
    # (scheduled visits are drawn among weekdays only, round-the-clock ones among all days).
    monthly, weekday, _ = seasonality.SEASONALITY_PRESETS["healthcare"]
    campaign = (seasonality.Campaign("flu", date.fromisoformat(CAMPAIGN[0]), date.fromisoformat(CAMPAIGN[1]), CAMPAIGN[2]),)
    weights = seasonality.day_weights(date(2024, 1, 1), date(2024, 12, 31), monthly, weekday, campaign)
    plain = seasonality.day_weights(date(2024, 1, 1), date(2024, 12, 31), monthly, weekday)
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2025-01-01"))
    nov_dec = days.astype("datetime64[M]").astype(int) % 12 >= 10
    weekend = (days.astype(int) + 3) % 7 >= 5
    in_campaign = (days >= np.datetime64(CAMPAIGN[0])) & (days <= np.datetime64(CAMPAIGN[1]))
    january = (days.astype("datetime64[M]") == np.datetime64("2024-01")) & ~in_campaign
    flat_visits, season_visits = local_visits(realism), local_visits(seasonal)
    for group, members in (("scheduled", pl.col("encounter_type").is_in(SCHEDULED)),
                           ("round the clock", ~pl.col("encounter_type").is_in(SCHEDULED))):
        flat, season = per_day(flat_visits.filter(members)), per_day(season_visits.filter(members))
        share = season[nov_dec].sum() / season.sum()
        expected = (flat * weights)[nov_dec].sum() / (flat * weights).sum()
        assert abs(share - expected) < 0.012, (group, share, expected)  # measured 0.1644 vs 0.1644; 0.1656 vs 0.1632
        baseline = flat * plain
        lift = (season[in_campaign].sum() / baseline[in_campaign].sum()) / (season[january].sum() / baseline[january].sum())
        # Four standard errors of the ratio of four counts (3% and 6% here).
        error = math.sqrt(sum(1 / counts[days].sum() for counts in (season, flat) for days in (in_campaign, january)))
        assert abs(lift / CAMPAIGN[2] - 1) < 4 * error, (group, lift)  # measured 1.95 (scheduled), 2.14
        if group == "scheduled":
            assert season[weekend].sum() == 0
        else:  # configured Sat 0.5, Sun 0.45 against Mon-Fri 0.95-1.15
            ratio = season[weekend & ~in_campaign].mean() / season[~weekend & ~in_campaign].mean()
            expected_ratio = (flat * weights)[weekend & ~in_campaign].mean() / (flat * weights)[~weekend & ~in_campaign].mean()
            assert abs(ratio / expected_ratio - 1) < 0.06, (ratio, expected_ratio)  # measured 0.467 vs 0.459


def test_seasonality_keeps_every_visit_after_birth(seasonal) -> None:
    joined = seasonal["encounters"].join(seasonal["patients"].select("patient_id", "dob"), on="patient_id")
    # The local day is the UTC date or the one before: never before the birth day.
    assert ((joined["admit_datetime"].dt.date()) >= joined["dob"]).all()


def test_custom_window_with_its_own_daylight_time_stays_validator_clean(tmp_path: Path) -> None:
    generate(tmp_path, "--rows", "800", "--start", "2023-03-01", "--end", "2023-11-30")
    frames = read_all(tmp_path)
    visits = local_visits(frames)
    assert visits["day"].min() >= date(2023, 3, 1) and visits["day"].max() <= date(2023, 11, 30)
    # Clinic hours hold in local time across 2023's clock changes (12 March, 5 November).
    outpatient = visits.filter(pl.col("encounter_type") == "outpatient")
    minute = outpatient["local"].dt.hour().cast(pl.Int64) * 60 + outpatient["local"].dt.minute()
    assert ((minute >= 480) & (minute < 1020)).all()
    assert frames["patients"]["dob"].max() <= date(2023, 11, 30)
    result = validator.validate_directory(tmp_path, industry="healthcare")
    assert result.ok, str(result)
    assert {f.table for f in result.notes if f.check == "window"} == {"patients", "encounters", "claims"}


def test_default_window_bounds_are_the_contracts() -> None:
    calendar = healthcare.build_calendar(seasonality.Season(healthcare.DEFAULT_START, healthcare.DEFAULT_END))
    for key, bound in calendar.bounds().items():
        table, column = key.split(".")
        hint = column_hint(table, column)
        assert {k: hint.get(k) for k in bound} == bound, key


def test_key_columns_are_the_contracts_keys() -> None:
    for table, contract in CONTRACTS.items():
        keys = set(contract["primary_key"]) | {c for fk in contract["foreign_keys"] for c in fk["columns"]}
        assert set(healthcare.KEY_COLUMNS[table]) == keys, table


def test_injected_rates_claims_follow_late_encounters_and_the_validator_says_so(tmp_path: Path) -> None:
    summary = generate(tmp_path, "--rows", "3000", "--inject-nulls", "claims.icd10_code=0.05",
                       "--duplicate-rate", "0.02", "--late-rate", "0.03")
    frames = read_all(tmp_path)
    encounters, claims = frames["encounters"], frames["claims"]

    def within(measured: float, configured: float, n: int) -> None:
        assert abs(measured - configured) < 4 * math.sqrt(configured * (1 - configured) / n), (measured, configured)

    within(claims["icd10_code"].null_count() / claims.height, 0.05, claims.height)  # measured 0.0470
    for table in ("encounters", "claims"):
        copies = frames[table].height - frames[table].unique().height
        within(copies / frames[table].height, 0.02, frames[table].height)  # measured 0.0200 in both
        assert summary["tables"][table]["duplicate_rows"] == copies
    late = encounters.filter(pl.col("admit_datetime") >= pl.datetime(2025, 1, 2, time_zone="UTC"))
    within(late.height / encounters.height, 0.03, encounters.height)  # measured 0.0304
    # Late encounters keep their length of stay, and their claims moved with them.
    assert ((late["discharge_datetime"] - late["admit_datetime"]).dt.total_minutes() == late["length_of_stay_minutes"]).all()
    joined = claims.join(encounters.unique("encounter_id").select("encounter_id", "discharge_datetime"), on="encounter_id")
    assert (joined["submitted_datetime"] >= joined["discharge_datetime"]).all()
    assert (joined["adjudicated_date"].is_null() | (joined["adjudicated_date"] >= joined["submitted_datetime"].dt.date())).all()
    result = validator.validate_directory(tmp_path, industry="healthcare")
    assert result.ok, str(result)
    notes = {(f.table, f.column, f.check): f.message for f in result.notes}
    assert "injected by --inject-nulls (configured 5%" in notes[("claims", "icd10_code", "nullable")]
    assert "injected by --duplicate-rate (configured 2%" in notes[("encounters", "encounter_id", "pk")]
    assert "injected by --duplicate-rate (configured 2%" in notes[("claims", "claim_id", "pk")]
    assert "injected by --late-rate (configured 3%" in notes[("encounters", "admit_datetime", "max")]


@pytest.mark.parametrize("arguments,message", [
    (["--inject-nulls", "claims.patient_id=0.1"], "patient_id is a key column"),
    (["--inject-nulls", "visits.reason=0.1"], "tables: providers, patients, encounters, claims"),
    (["--start", "2012-01-01", "--end", "2012-12-31"], "windows start in 2016 or later"),
])
def test_bad_quality_and_window_flags_are_rejected(tmp_path: Path, capsys: pytest.CaptureFixture, arguments, message) -> None:
    with pytest.raises(SystemExit) as stopped:
        generate(tmp_path, *arguments)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
