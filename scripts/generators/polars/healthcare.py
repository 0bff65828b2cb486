# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.4,<2.5",
#   "mimesis>=22.2,<23",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""Healthcare synthetic data, Tier 1: Polars + Mimesis, vectorised, no Spark.

Tables (written parent before child; contracts in assets/schemas/healthcare_*.json):

- ``providers``  clinicians, ``provider_id`` is a Luhn-valid NPI; specialty, department and
                 home facility of their health system.                ≈ patients / 50, at least 20
- ``patients``   people with a realistic age pyramid, sex, contact details on reserved
                 ranges, a US address whose city/state/ZIP agree, payer and member id.  --rows
- ``encounters`` visits in the window (2024 by default): weighted type (outpatient ≫ telehealth > emergency > urgent
                 care > inpatient …), a provider whose specialty fits the visit and the
                 patient, facility, admit/discharge with a length of stay by type.  5 × patients
- ``claims``     1..n per encounter (facility claim plus professional claims): ICD-10-CM code
                 with its description, Gamma billed amount, allowed ≤ billed, paid ≤ allowed,
                 weighted status, submitted after discharge.                 1.5 × encounters

Every ratio has a flag (``--providers``, ``--encounters``, ``--claims``); each count is exact.
Realism that tests measure: skewed encounters per patient (Gamma "frailty", older patients
visit more), no encounter before birth, local clinic hours stored as UTC, diagnoses that fit
the specialty, setting, sex and age, payer by age band, Beta allowed and paid shares.

Window, seasonality, dirty data (each measured by tests/test_polars_healthcare.py):
``--start/--end`` move the encounter window (2016 or later); ages are counted on the day after it,
US daylight saving time follows each year's dates, and _manifest.json records the run's bounds
for the validator. ``--seasonality healthcare`` (winter peak, quiet weekends), ``--monthly-weights``,
``--weekday-weights`` and ``--campaign`` weight visit days (scheduled visits stay on weekdays,
newborns are still seen only after birth). ``--inject-nulls``, ``--duplicate-rate`` (encounters,
claims) and ``--late-rate`` (admissions 1-8 days past the window, discharge and the encounter's
claims moved with them) make dirty data the validator reports as injected.

Same ``--seed`` → same data (with the pinned polars/numpy/mimesis versions above).
Tables of any size are generated and written in chunks of 1M rows; what stays in memory for
the whole run is a few numbers per patient and per provider (≈15 bytes per patient).

Unity Catalog: ``--catalog C --schema S`` also writes every table to C.S.<table> over
Databricks Connect (Arrow slices; synthetic marker and contract comments; existing tables only
replaced with ``--mode overwrite`` and only if this tool made them): ``uv run --python 3.12 --with
"databricks-connect>=16.4,<17" scripts/generators/polars/healthcare.py --catalog main --schema demo``.
Without --catalog nothing imports pyspark or databricks-connect.

Example: ``uv run scripts/generators/polars/healthcare.py --rows 10000 --format delta``
In a notebook: paste the file, then call ``main(["--rows", "5000", "--output", "/Volumes/…"])``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shlex
import shutil
import sys
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

# ---------------------------------------------------------------------------------------------
# Sizes and ratios
# ---------------------------------------------------------------------------------------------
INDUSTRY = "healthcare"
GENERATOR = "scripts/generators/polars/healthcare.py"
DEFAULT_PATIENTS = 10_000
ENCOUNTERS_PER_PATIENT = 5.0  # US adults average ≈ 4–5 ambulatory visits a year, plus ED/inpatient
CLAIMS_PER_ENCOUNTER = 1.5  # one claim per office visit; facility + several professional claims per stay
PATIENTS_PER_PROVIDER = 50
MIN_PROVIDERS = 20  # so even --rows 1 has a provider in every specialty (16) and some spare

PATIENT_ID_START = 1_000_000
ENCOUNTER_ID_START = 20_000_000
CLAIM_ID_START = 300_000_000

# Seed salts: each table (and each group of columns another table needs) has its own stream,
# so a table's data depends only on (seed, salt, chunk start).
PROVIDER_TRAITS_SALT = 11  # specialty, health system: encounters need them
PROVIDERS_SALT = 12  # names, credential
SYSTEMS_SALT = 13  # health-system names and cities
PATIENT_TRAITS_SALT = 21  # dob, sex, payer, frailty: encounters and claims need them
PATIENTS_SALT = 22  # names, contact details, address
ENCOUNTERS_SALT = 31
CLAIMS_SALT = 41

# Fixed windows, never today's date: encounters fall on the calendar days of --start..--end
# (local time; 2024 by default); ages are counted at the day after the window, so a seed means
# the same ages next year. Calendar (below) builds every date table from the window.
DEFAULT_START, DEFAULT_END = date(2024, 1, 1), date(2024, 12, 31)
# ICD-10-CM codes are used from 2015-10-01, and US daylight saving time follows its 2007 rule
# (second Sunday of March to first Sunday of November, 02:00 local): windows start in 2016 or later.
MIN_WINDOW_YEAR = 2016
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000

# ---------------------------------------------------------------------------------------------
# Patients: age pyramid, sex, payer
# ---------------------------------------------------------------------------------------------
# Age at AGE_REFERENCE_DATE, uniform inside each band; shares follow the US Census 2023
# population estimates. The 0–17 band includes the 2024 births (1/18 of 22.1% ≈ 1.2%, close to
# the US birth rate of 1.1%), which is why no encounter may precede the patient's birth.
# visit_rate: relative encounter rate (CDC NAMCS/NHAMCS visits per person by age, rounded).
AGE_BANDS = (
    # label, min age, max age (exclusive), share %, visit rate
    ("0-17", 0, 18, 22.1, 0.9),
    ("18-44", 18, 45, 35.9, 0.7),
    ("45-64", 45, 65, 24.8, 1.2),
    ("65-74", 65, 75, 10.3, 1.9),
    ("75-84", 75, 85, 5.0, 2.4),
    ("85+", 85, 100, 1.9, 2.6),
)
SEXES = ("F", "M")
SEX_WEIGHTS = (50.5, 49.5)
# Encounters per patient = Poisson(rate × frailty) with frailty ~ Gamma(shape, 1/shape): mean 1,
# so counts are negative binomial — most patients visit a few times, a few visit very often.
FRAILTY_SHAPE = 0.8

PAYERS = ("Commercial", "Medicare", "Medicaid", "Self-pay")
# Coverage by age band (KFF/Census 2023, rounded): Medicare from 65, Medicaid/CHIP for many
# children, the uninsured mostly working-age adults.
PAYER_WEIGHTS_BY_AGE_BAND = {
    "0-17": (52, 0, 42, 6),
    "18-44": (66, 2, 18, 14),
    "45-64": (70, 7, 13, 10),
    "65-74": (5, 92, 2, 1),
    "75-84": (3, 95, 2, 0),
    "85+": (2, 96, 2, 0),
}
# Member ids: a made-up plan prefix + 9 digits. Real Medicare MBIs are 11 characters and never
# contain the letter Z, so these cannot be one; they look like member ids but identify no one.
MEMBER_ID_PREFIX = {"Commercial": "ZCM", "Medicare": "ZMR", "Medicaid": "ZMD"}
# (multiplier, increment, modulus) of the affine bijections that turn row numbers into ids:
# multipliers near modulus × 0.618 (or × 0.382), coprime to the modulus (see affine_scramble).
MRN_SCRAMBLE = (381_966_011, 141_421_357, 1_000_000_000)
MEMBER_ID_SCRAMBLE = (618_033_989, 271_828_183, 1_000_000_000)
NPI_SCRAMBLE = (123_606_797, 48_271_903, 200_000_000)  # NPI bases 100000000..299999999
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: no mail reaches anyone
PHONE_NULL_RATE = 0.02
EMAIL_NULL_RATE = 0.20  # many patients never give a portal e-mail

# ---------------------------------------------------------------------------------------------
# Providers: specialties and health systems
# ---------------------------------------------------------------------------------------------
# share: % of providers; sees: the patients it may see; home setting: where its providers'
# home facility is; diagnosis areas: matched against the areas of ICD10_CODES.
SPECIALTIES = (
    # specialty, department, share, sees, home setting, diagnosis areas
    ("Family Medicine", "Family Medicine", 18, "all", "clinic", "primary acute"),
    ("Internal Medicine", "Internal Medicine", 15, "adult", "clinic", "primary chronic"),
    ("Pediatrics", "Pediatrics", 9, "child", "clinic", "pediatric"),
    ("Emergency Medicine", "Emergency Department", 8, "all", "hospital", "acute injury"),
    ("Hospital Medicine", "Hospital Medicine", 6, "adult", "hospital", "inpatient"),
    ("Cardiology", "Cardiology", 5, "adult", "clinic", "cardiac"),
    ("Obstetrics and Gynecology", "Obstetrics and Gynecology", 6, "adult female", "clinic", "obstetric womens"),
    ("Orthopedic Surgery", "Orthopedics", 5, "all", "clinic", "musculoskeletal injury"),
    ("General Surgery", "General Surgery", 4, "all", "hospital", "surgical"),
    ("Psychiatry", "Behavioral Health", 4, "all", "clinic", "behavioral"),
    ("Dermatology", "Dermatology", 3, "all", "clinic", "skin"),
    ("Endocrinology", "Endocrinology", 2, "adult", "clinic", "endocrine"),
    ("Pulmonology", "Pulmonology", 2, "adult", "clinic", "respiratory"),
    ("Oncology", "Oncology", 3, "adult", "clinic", "oncology"),
    ("Neurology", "Neurology", 3, "all", "clinic", "neuro"),
    ("Gastroenterology", "Gastroenterology", 2, "adult", "clinic", "digestive"),
)
SPECIALTY_NAMES = tuple(row[0] for row in SPECIALTIES)
DEPARTMENTS = tuple(row[1] for row in SPECIALTIES)
CREDENTIALS = ("MD", "DO", "NP", "PA")
CREDENTIAL_WEIGHTS = (64, 10, 19, 7)  # physicians and advanced practice clinicians who bill
PROVIDERS_PER_SYSTEM = 40  # health systems (hospital + clinics) scale with the provider count
# A system's facilities share its name: "Alder Regional Medical Center", "Alder Medical Group".
FACILITY_SUFFIXES = {
    "hospital": ("General Hospital", "Regional Medical Center", "Memorial Hospital", "Community Hospital"),
    "clinic": ("Medical Group", "Health Center", "Medical Associates", "Physicians"),
    "urgent care": ("Urgent Care", "Express Care", "Walk-In Clinic"),
    "surgery": ("Surgery Center", "Ambulatory Surgery Center"),
    "virtual": ("Virtual Care", "Telehealth"),
}
# UTC offset (hours behind UTC) of each state's main time zone; states split between zones
# use the zone most of their population lives in. Arizona and Hawaii keep standard time.
UTC_OFFSET_STATES = {
    5: "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
    6: "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
    7: "AZ CO ID MT NM UT WY",
    8: "CA NV OR WA",
    9: "AK",
    10: "HI",
}
NO_DST_STATES = ("AZ", "HI")

# ---------------------------------------------------------------------------------------------
# Encounters
# ---------------------------------------------------------------------------------------------
# weight: share of encounters (%); setting: which facility of the provider's system;
# weekdays: scheduled visits, Monday to Friday only; hours: local (open, close, slot minutes) or None for
# round-the-clock arrivals (ARRIVAL_HOUR_WEIGHTS); los: length of stay in minutes =
# offset + Gamma(shape, scale); extra_claims: relative chance of each claim beyond the first.
ENCOUNTER_TYPES = {
    "outpatient": dict(weight=62, setting="clinic", weekdays=True, hours=(480, 1020, 15), los=(5, 4.0, 6.0), extra_claims=0.15),
    "telehealth": dict(weight=12, setting="virtual", weekdays=True, hours=(480, 1140, 15), los=(5, 3.0, 4.0), extra_claims=0.05),
    "emergency": dict(weight=10, setting="hospital", weekdays=False, hours=None, los=(30, 2.2, 100.0), extra_claims=1.6),
    "urgent care": dict(weight=7, setting="urgent care", weekdays=False, hours=(480, 1260, 5), los=(10, 3.0, 15.0), extra_claims=0.3),
    "inpatient": dict(weight=4, setting="hospital", weekdays=False, hours=None, los=(1440, 1.4, 3700.0), extra_claims=4.0),
    "ambulatory surgery": dict(weight=3, setting="surgery", weekdays=True, hours=(390, 900, 15), los=(60, 4.0, 45.0), extra_claims=2.0),
    "observation": dict(weight=2, setting="hospital", weekdays=False, hours=None, los=(240, 3.0, 400.0), extra_claims=2.0),
}
ENCOUNTER_TYPE_NAMES = tuple(ENCOUNTER_TYPES)
HOSPITAL_SETTINGS = ("hospital",)  # where bed-bound diagnoses happen and screenings do not
# ED arrivals by local hour (shape of the CDC NHAMCS hourly curve): low before dawn, a plateau
# from late morning to evening.
ARRIVAL_HOUR_WEIGHTS = (22, 18, 15, 13, 12, 13, 18, 28, 39, 47, 52, 53, 53, 52, 51, 51, 51, 51, 51, 49, 46, 41, 35, 28)
# Which specialties see each encounter type (relative weights), before the patient's age and
# sex rule some out (a child is never seen in Internal Medicine, a man never in OB/GYN).
# Pediatrics competes only for children, so its weight sets the children's share (≈ 55% of
# their office visits; family physicians and the all-age specialties see the rest).
ENCOUNTER_SPECIALTY_WEIGHTS = {
    "outpatient": {
        "Family Medicine": 30, "Internal Medicine": 22, "Pediatrics": 60, "Obstetrics and Gynecology": 7,
        "Cardiology": 6, "Orthopedic Surgery": 6, "Psychiatry": 5, "Dermatology": 4, "Endocrinology": 3,
        "Oncology": 3, "Neurology": 3, "Gastroenterology": 3, "Pulmonology": 2, "General Surgery": 2,
    },
    "telehealth": {
        "Family Medicine": 30, "Psychiatry": 30, "Internal Medicine": 20, "Pediatrics": 25, "Endocrinology": 4,
        "Cardiology": 3, "Dermatology": 3, "Neurology": 2,
    },
    "emergency": {"Emergency Medicine": 1},
    "urgent care": {"Family Medicine": 60, "Emergency Medicine": 25, "Pediatrics": 15},
    "inpatient": {
        "Hospital Medicine": 40, "Obstetrics and Gynecology": 12, "Cardiology": 10, "General Surgery": 10,
        "Internal Medicine": 8, "Orthopedic Surgery": 6, "Pediatrics": 30, "Oncology": 4, "Pulmonology": 4,
        "Neurology": 3, "Psychiatry": 3, "Gastroenterology": 2,
    },
    "ambulatory surgery": {
        "General Surgery": 35, "Orthopedic Surgery": 30, "Gastroenterology": 20, "Obstetrics and Gynecology": 10,
        "Dermatology": 5,
    },
    "observation": {"Hospital Medicine": 50, "Cardiology": 20, "Pediatrics": 20, "Internal Medicine": 15, "Emergency Medicine": 10},
}

# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------
# A curated list of common ICD-10-CM codes (public domain, CMS/CDC FY2024 tabular list), code
# and description always paired. CPT descriptions are AMA-licensed and deliberately absent.
# weight: relative frequency; areas: matched against the specialty's areas; sex: "" any, "F"/"M";
# ages: inclusive age range at the visit; setting: "" any, "ambulatory" (screenings, exams),
# "hospital" (needs a bed: deliveries, sepsis, hip fractures).
ICD10_CODES = (
    # code, description, weight, areas, sex, min age, max age, setting
    ("I10", "Essential (primary) hypertension", 60, "primary chronic cardiac", "", 18, 120, ""),
    ("E11.9", "Type 2 diabetes mellitus without complications", 30, "primary chronic endocrine", "", 18, 120, ""),
    ("E11.65", "Type 2 diabetes mellitus with hyperglycemia", 12, "chronic endocrine inpatient", "", 18, 120, ""),
    ("E78.5", "Hyperlipidemia, unspecified", 40, "primary chronic cardiac", "", 18, 120, "ambulatory"),
    ("E66.9", "Obesity, unspecified", 10, "primary endocrine", "", 2, 120, "ambulatory"),
    ("E03.9", "Hypothyroidism, unspecified", 14, "primary chronic endocrine", "", 10, 120, ""),
    ("E55.9", "Vitamin D deficiency, unspecified", 8, "primary", "", 0, 120, "ambulatory"),
    ("D64.9", "Anemia, unspecified", 8, "primary inpatient oncology", "", 0, 120, ""),
    ("Z00.00", "Encounter for general adult medical examination without abnormal findings", 35, "primary", "", 18, 120, "ambulatory"),
    ("Z00.129", "Encounter for routine child health examination without abnormal findings", 40, "pediatric primary", "", 0, 17, "ambulatory"),
    ("Z23", "Encounter for immunization", 20, "primary pediatric", "", 0, 120, "ambulatory"),
    ("J06.9", "Acute upper respiratory infection, unspecified", 30, "primary pediatric acute respiratory", "", 0, 120, ""),
    ("J02.9", "Acute pharyngitis, unspecified", 14, "primary pediatric acute", "", 0, 120, ""),
    ("J01.90", "Acute sinusitis, unspecified", 8, "primary acute", "", 2, 120, ""),
    ("J20.9", "Acute bronchitis, unspecified", 10, "primary acute respiratory", "", 0, 120, ""),
    ("H66.90", "Otitis media, unspecified, unspecified ear", 14, "pediatric acute", "", 0, 120, ""),
    ("H10.9", "Unspecified conjunctivitis", 5, "pediatric primary acute", "", 0, 120, ""),
    ("R05.9", "Cough, unspecified", 10, "primary pediatric acute respiratory", "", 0, 120, ""),
    ("R50.9", "Fever, unspecified", 8, "pediatric acute", "", 0, 120, ""),
    ("U07.1", "COVID-19", 8, "primary acute respiratory inpatient", "", 0, 120, ""),
    ("N39.0", "Urinary tract infection, site not specified", 12, "primary acute womens", "", 0, 120, ""),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis", 14, "primary digestive", "", 0, 120, ""),
    ("K59.00", "Constipation, unspecified", 5, "pediatric digestive", "", 0, 120, ""),
    ("A09", "Infectious gastroenteritis and colitis, unspecified", 8, "pediatric acute digestive", "", 0, 120, ""),
    ("R10.9", "Unspecified abdominal pain", 14, "acute digestive surgical", "", 0, 120, ""),
    ("R11.2", "Nausea with vomiting, unspecified", 6, "acute digestive pediatric", "", 0, 120, ""),
    ("R07.9", "Chest pain, unspecified", 16, "acute cardiac", "", 18, 120, ""),
    ("R51.9", "Headache, unspecified", 8, "acute neuro primary", "", 3, 120, ""),
    ("R42", "Dizziness and giddiness", 5, "acute neuro", "", 18, 120, ""),
    ("R55", "Syncope and collapse", 5, "acute cardiac inpatient", "", 10, 120, ""),
    ("R06.02", "Shortness of breath", 6, "acute respiratory cardiac", "", 0, 120, ""),
    ("M54.50", "Low back pain, unspecified", 18, "primary musculoskeletal", "", 18, 120, ""),
    ("M25.561", "Pain in right knee", 8, "musculoskeletal primary", "", 10, 120, ""),
    ("M17.11", "Unilateral primary osteoarthritis, right knee", 8, "musculoskeletal surgical", "", 45, 120, ""),
    ("Q65.2", "Congenital dislocation of hip, unspecified", 2, "musculoskeletal pediatric", "", 0, 5, ""),
    ("M81.0", "Age-related osteoporosis without current pathological fracture", 5, "womens musculoskeletal endocrine", "", 50, 120, "ambulatory"),
    ("S93.401A", "Sprain of unspecified ligament of right ankle, initial encounter", 8, "injury musculoskeletal", "", 5, 120, ""),
    ("S61.411A", "Laceration without foreign body of right hand, initial encounter", 6, "injury", "", 2, 120, ""),
    ("S52.501A", "Unspecified fracture of the lower end of right radius, initial encounter for closed fracture", 4, "injury musculoskeletal", "", 2, 120, ""),
    ("S06.0X0A", "Concussion without loss of consciousness, initial encounter", 4, "injury neuro", "", 2, 120, ""),
    ("S72.001A", "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture", 3, "injury musculoskeletal surgical inpatient", "", 60, 120, "hospital"),
    ("I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris", 14, "cardiac chronic", "", 35, 120, ""),
    ("I48.91", "Unspecified atrial fibrillation", 12, "cardiac chronic inpatient", "", 40, 120, ""),
    ("I50.9", "Heart failure, unspecified", 10, "cardiac inpatient", "", 40, 120, ""),
    ("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction", 4, "cardiac inpatient acute", "", 35, 120, "hospital"),
    ("I63.9", "Cerebral infarction, unspecified", 4, "neuro inpatient", "", 40, 120, "hospital"),
    ("A41.9", "Sepsis, unspecified organism", 8, "inpatient", "", 0, 120, "hospital"),
    ("J18.9", "Pneumonia, unspecified organism", 12, "inpatient respiratory acute pediatric", "", 0, 120, ""),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", 12, "respiratory chronic inpatient", "", 40, 120, ""),
    ("J45.909", "Unspecified asthma, uncomplicated", 12, "respiratory pediatric primary", "", 2, 120, ""),
    ("G47.33", "Obstructive sleep apnea (adult) (pediatric)", 6, "respiratory neuro", "", 2, 120, "ambulatory"),
    ("N18.30", "Chronic kidney disease, stage 3 unspecified", 6, "chronic inpatient", "", 30, 120, ""),
    ("F41.1", "Generalized anxiety disorder", 16, "behavioral primary", "", 8, 120, ""),
    ("F32.A", "Depression, unspecified", 10, "behavioral primary", "", 12, 120, ""),
    ("F33.1", "Major depressive disorder, recurrent, moderate", 10, "behavioral", "", 12, 120, ""),
    ("F90.0", "Attention-deficit hyperactivity disorder, predominantly inattentive type", 8, "behavioral pediatric", "", 4, 120, "ambulatory"),
    ("F10.20", "Alcohol dependence, uncomplicated", 4, "behavioral inpatient", "", 18, 120, ""),
    ("F84.0", "Autistic disorder", 6, "behavioral pediatric", "", 2, 120, ""),
    ("F89", "Unspecified disorder of psychological development", 3, "behavioral pediatric", "", 0, 17, ""),
    ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus", 8, "neuro", "", 8, 120, ""),
    ("G40.909", "Epilepsy, unspecified, not intractable, without status epilepticus", 4, "neuro pediatric", "", 0, 120, ""),
    ("G30.9", "Alzheimer's disease, unspecified", 4, "neuro", "", 60, 120, ""),
    ("L70.0", "Acne vulgaris", 8, "skin", "", 10, 60, "ambulatory"),
    ("L30.9", "Dermatitis, unspecified", 8, "skin pediatric primary", "", 0, 120, ""),
    ("L03.90", "Cellulitis, unspecified", 5, "skin acute inpatient", "", 0, 120, ""),
    ("L57.0", "Actinic keratosis", 6, "skin", "", 40, 120, "ambulatory"),
    ("K80.20", "Calculus of gallbladder without cholecystitis without obstruction", 5, "digestive surgical", "", 18, 120, ""),
    ("K35.80", "Unspecified acute appendicitis", 4, "surgical inpatient", "", 5, 120, "hospital"),
    ("K57.30", "Diverticulosis of large intestine without perforation or abscess without bleeding", 5, "digestive", "", 40, 120, ""),
    ("K40.90", "Unilateral inguinal hernia, without obstruction or gangrene, not specified as recurrent", 5, "surgical", "", 0, 120, ""),
    ("Z12.11", "Encounter for screening for malignant neoplasm of colon", 10, "digestive", "", 45, 120, "ambulatory"),
    ("Z34.90", "Encounter for supervision of normal pregnancy, unspecified, unspecified trimester", 12, "obstetric", "F", 18, 45, "ambulatory"),
    ("O80", "Encounter for full-term uncomplicated delivery", 8, "obstetric", "F", 18, 45, "hospital"),
    ("Z01.419", "Encounter for gynecological examination (general) (routine) without abnormal findings", 12, "womens", "F", 18, 120, "ambulatory"),
    ("Z12.31", "Encounter for screening mammogram for malignant neoplasm of breast", 10, "womens", "F", 40, 120, "ambulatory"),
    ("N95.1", "Menopausal and female climacteric states", 5, "womens endocrine", "F", 40, 70, "ambulatory"),
    ("N40.0", "Benign prostatic hyperplasia without lower urinary tract symptoms", 6, "primary chronic", "M", 45, 120, ""),
    ("C50.911", "Malignant neoplasm of unspecified site of right female breast", 6, "oncology", "F", 25, 120, ""),
    ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung", 5, "oncology inpatient", "", 40, 120, ""),
    ("C61", "Malignant neoplasm of prostate", 5, "oncology", "M", 45, 120, ""),
    ("Z51.11", "Encounter for antineoplastic chemotherapy", 10, "oncology", "", 18, 120, "ambulatory"),
    ("P59.9", "Neonatal jaundice, unspecified", 4, "pediatric inpatient", "", 0, 0, ""),
)
CLAIM_TYPES = ("institutional", "professional")  # UB-04 facility claim, CMS-1500 clinician claim
# Billed charges in USD, Gamma(shape, scale) by encounter type and claim type: the first claim
# of a hospital, ED or surgery-center visit is the facility's; every other claim is professional.
BILLED_GAMMA = {
    "outpatient": {"professional": (3.0, 70.0)},
    "telehealth": {"professional": (3.0, 45.0)},
    "emergency": {"institutional": (1.8, 1400.0), "professional": (2.0, 250.0)},
    "urgent care": {"professional": (2.5, 90.0)},
    "inpatient": {"institutional": (1.5, 24000.0), "professional": (2.0, 400.0)},
    "ambulatory surgery": {"institutional": (2.2, 4500.0), "professional": (2.0, 900.0)},
    "observation": {"institutional": (2.0, 3500.0), "professional": (2.0, 250.0)},
}
CLAIM_STATUSES = ("paid", "denied", "pending", "appealed")
CLAIM_STATUS_WEIGHTS = (80, 9, 8, 3)  # industry initial denial rates run ≈ 10%
# allowed = billed × Beta(a, b) by payer (negotiated rates: Medicaid pays least, Medicare less
# than commercial plans; the uninsured get a self-pay discount); plan paid = allowed × Beta(a, b)
# (coinsurance); the patient owes the rest, so allowed = paid + patient_responsibility exactly.
ALLOWED_SHARE_BETA = {"Commercial": (6.0, 6.0), "Medicare": (4.0, 8.0), "Medicaid": (3.0, 9.0), "Self-pay": (8.0, 4.0)}
PLAN_PAID_SHARE_BETA = {"Commercial": (16.0, 4.0), "Medicare": (16.0, 4.0), "Medicaid": (49.0, 1.0), "Self-pay": None}
SUBMISSION_LAG_HOURS = (2.0, 72.0)  # Gamma(shape, scale): claims leave a few days after discharge
ADJUDICATION_LAG_DAYS = (2.5, 6.0)  # Gamma(shape, scale): electronic claims settle in ≈ 2 weeks

# ---------------------------------------------------------------------------------------------
# Bundled US places (copied verbatim from scripts/utils/us_places.py)
# ---------------------------------------------------------------------------------------------
US_CENSUS_REGIONS = {
    "Northeast": "CT ME MA NH RI VT NJ NY PA",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "South": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "West": "AZ CO ID MT NV NM UT WY AK CA HI OR WA",
}

US_PLACES = """\
AK|Anchorage,99501-99,290
AL|Huntsville,35801-24,215;Birmingham,35203-44,196;Montgomery,36104-19,195;Mobile,36602-95,183
AL|Tuscaloosa,35401-06,111
AR|Little Rock,72201-27,203
AZ|Phoenix,85003-86,1650;Tucson,85701-57,543;Mesa,85201-15,472;Chandler,85224-86,261
AZ|Gilbert,85233-98,248;Glendale,85301-10,240;Scottsdale,85250-66,237;Peoria,85345-83,191
AZ|Tempe,85281-88,176;Surprise,85374-88,143
CA|Los Angeles,90001-79,3821;San Diego,92101-99,1404;San Jose,95101-48,997
CA|San Francisco,94102-88,828;Fresno,93701-37,542;Sacramento,95811-64,525
CA|Long Beach,90802-33,474;Oakland,94601-21,419;Bakersfield,93301-14,374;Anaheim,92801-99,351
CA|Riverside,92501-08,317;Santa Ana,92701-99,310;Stockton,95202-19,306;Chula Vista,91910-15,266
CA|Irvine,92602-20,257;Fremont,94536-55,232;San Bernardino,92401-11,216;Fontana,92335-37,213
CA|Modesto,95350-58,211;Oxnard,93030-36,207;Moreno Valley,92551-57,204
CA|Huntington Beach,92646-49,202;Glendale,91201-10,201;Santa Clarita,91350-90,182
CA|Santa Rosa,95401-09,178;Oceanside,92054-58,176;Garden Grove,92840-45,175
CA|Rancho Cucamonga,91701-39,175;Ontario,91758-64,171;Elk Grove,95757-58,167;Corona,92878-83,164
CA|Lancaster,93534-36,161;Palmdale,93550-91,158;Hayward,94541-45,158;Salinas,93901-08,157
CA|Sunnyvale,94085-89,156;Pomona,91766-68,153;Escondido,92025-29,151;Valencia,91354-55,148
CA|Torrance,90501-06,144;Pasadena,91101-07,142;Orange,92862-69,141;Fullerton,92831-35,141
CA|Van Nuys,91401-11,136;Roseville,95661-78,130;Visalia,93277-92,130;Thousand Oaks,91360-62,129
CA|Concord,94518-21,129;Simi Valley,93063-65,127;Santa Clara,95050-54,126
CA|Victorville,92392-95,122;Vallejo,94589-92,122;Chico,95926-73,121;Berkeley,94702-10,121
CA|El Monte,91731-32,117;Carlsbad,92008-11,115;Downey,90240-42,114;Costa Mesa,92626-27,113
CA|Fairfield,94533-34,113;Inglewood,90301-11,112;Antioch,94509-31,111;Temecula,92590-92,110
CA|Murrieta,92562-63,110;Richmond,94801-50,110;West Covina,91790-92,108;Norwalk,90650-50,107
CA|Daly City,94014-15,107;Burbank,91501-06,105;Santa Maria,93454-58,105;Clovis,93611-19,104
CA|El Cajon,92019-21,104;San Mateo,94401-04,104
CO|Denver,80202-99,729;Colorado Springs,80902-51,457;Aurora,80010-45,359
CO|Fort Collins,80521-28,171;Thornton,80241-41,133;Westminster,80030-31,116;Arvada,80002-07,115
CO|Pueblo,81001-08,109;Greeley,80631-34,109;Boulder,80301-05,107
CT|Bridgeport,06604-10,148;New Haven,06510-19,130;Stamford,06901-10,129;Hartford,06101-52,121
CT|Waterbury,06701-10,109
DC|Washington,20001-45,690
DE|Wilmington,19801-10,71
FL|Jacksonville,32202-77,1010;Miami,33122-98,487;Tampa,33602-47,415;Orlando,32801-39,335
FL|St. Petersburg,33701-30,257;Hialeah,33010-18,237;Tallahassee,32301-17,202
FL|Fort Lauderdale,33301-94,183;Cape Coral,33904-93,175;Pembroke Pines,33028-28,167
FL|Port Saint Lucie,34952-87,165;Hollywood,33019-29,150;Gainesville,32601-53,145
FL|Coral Springs,33065-71,129;West Palm Beach,33401-17,121;Palm Bay,32905-09,120
FL|Clearwater,33755-65,117;Miami Gardens,33056-56,113;Pompano Beach,33060-76,108
FL|Lakeland,33801-15,104;Brandon,33510-11,103
GA|Atlanta,30303-69,511;Columbus,31901-09,207;Savannah,31401-21,148;Athens,30601-07,127
HI|Honolulu,96813-50,351
IA|Des Moines,50307-95,214;Cedar Rapids,52401-11,130
ID|Boise,83702-16,236
IL|Chicago,60601-99,2664;Aurora,60502-06,201;Rockford,61101-14,148;Joliet,60431-36,148
IL|Naperville,60540-65,147;Peoria,61602-15,115;Springfield,62701-12,114;Elgin,60120-24,112
IN|Indianapolis,46201-90,888;Fort Wayne,46802-45,260;Evansville,47708-25,120
KS|Wichita,67202-76,396;Overland Park,66204-51,187;Kansas City,66101-18,153;Olathe,66061-62,134
KS|Topeka,66603-83,126
KY|Louisville,40202-99,624;Lexington,40502-17,320
LA|New Orleans,70112-70,363;Baton Rouge,70801-36,227;Shreveport,71101-29,188
LA|Metairie,70001-06,138;Lafayette,70501-08,121
MA|Boston,02108-99,654;Worcester,01602-55,207;Springfield,01103-52,154;Lowell,01850-54,111
MA|Cambridge,02138-42,110
MD|Baltimore,21201-87,586
ME|Portland,04101-09,67
MI|Detroit,48201-43,646;Grand Rapids,49503-48,195;Warren,48088-93,134
MI|Sterling Heights,48310-14,132;Ann Arbor,48103-09,117;Lansing,48906-33,113
MN|Minneapolis,55401-55,411;Saint Paul,55101-31,303;Rochester,55901-06,112
MO|Kansas City,64101-67,475;St. Louis,63101-80,280;Springfield,65802-10,170
MO|Columbia,65201-99,129;Independence,64050-58,117
MS|Jackson,39201-69,154
MT|Billings,59101-06,117
NC|Charlotte,28202-87,911;Raleigh,27601-17,482;Greensboro,27401-95,285;Durham,27701-13,258
NC|Winston-Salem,27101-27,241;Fayetteville,28301-14,202;Cary,27511-19,160
NC|Wilmington,28401-12,116;High Point,27260-65,110
ND|Fargo,58102-04,119
NE|Omaha,68102-76,486;Lincoln,68502-88,295
NH|Manchester,03101-09,110
NJ|Newark,07102-14,282;Jersey City,07302-11,264;Paterson,07501-24,148;Elizabeth,07201-08,129
NM|Albuquerque,87101-23,565
NV|Las Vegas,89101-99,642;Henderson,89002-74,286;Reno,89501-23,264;North Las Vegas,89030-87,235
NY|Brooklyn,11201-56,2736;New York,10001-90,1488;Bronx,10451-75,1385;Staten Island,10301-14,469
NY|Buffalo,14201-28,258;Jamaica,11430-36,217;Rochester,14604-26,210;Yonkers,10701-10,201
NY|Astoria,11102-06,150;Syracuse,13202-24,144;Elmhurst,11373-73,113;Corona,11368-68,110
OH|Columbus,43201-40,913;Cleveland,44102-44,365;Cincinnati,45202-55,311;Toledo,43601-23,266
OH|Akron,44301-33,198;Dayton,45402-79,136
OK|Oklahoma City,73102-95,681;Tulsa,74103-72,413;Norman,73026-72,128;Broken Arrow,74011-14,107
OR|Portland,97201-67,653;Eugene,97401-08,177;Salem,97301-17,176;Gresham,97030-80,111
PA|Philadelphia,19102-54,1574;Pittsburgh,15201-95,304;Allentown,18101-95,120
RI|Providence,02903-09,191
SC|Columbia,29201-29,142;Charleston,29401-92,133;North Charleston,29405-20,108
SD|Sioux Falls,57103-10,172
TN|Nashville,37201-38,689;Memphis,38103-57,633;Knoxville,37902-38,191;Chattanooga,37402-50,181
TN|Clarksville,37040-43,167;Murfreesboro,37127-30,165
TX|Houston,77002-99,2314;San Antonio,78201-85,1527;Dallas,75201-87,1326;Fort Worth,76102-79,1008
TX|Austin,78701-99,974;El Paso,79901-38,679;Arlington,76001-18,388;Corpus Christi,78401-19,316
TX|Plano,75023-94,284;Laredo,78040-46,256;Lubbock,79401-24,249;Garland,75040-44,237
TX|Irving,75038-63,237;Cypress,77429-33,201;Amarillo,79101-24,199;Grand Prairie,75050-54,188
TX|Brownsville,78520-26,187;McKinney,75069-72,163;Frisco,75033-36,154;Pasadena,77502-07,154
TX|Mesquite,75149-81,145;Killeen,76541-49,141;McAllen,78501-04,140;Carrollton,75006-10,133
TX|Midland,79701-12,133;Waco,76701-98,132;Denton,76201-10,131;Abilene,79601-06,125
TX|Round Rock,78664-81,116;Beaumont,77701-13,115;Odessa,79761-66,114;Richardson,75080-82,111
TX|Pearland,77581-84,109;College Station,77840-45,108;Wichita Falls,76301-10,105
TX|Lewisville,75057-77,104;Tyler,75701-09,104
UT|Salt Lake City,84101-80,216;West Valley City,84119-28,136;Provo,84601-06,115
UT|West Jordan,84081-88,112
VA|Virginia Beach,23451-64,455;Norfolk,23502-23,238;Chesapeake,23320-25,235
VA|Richmond,23219-98,227;Arlington,22201-14,208;Newport News,23601-08,186
VA|Alexandria,22301-32,159;Hampton,23661-69,137
VT|Burlington,05401-08,42
WA|Seattle,98101-99,781;Spokane,99201-24,229;Tacoma,98402-66,223;Vancouver,98660-86,196
WA|Bellevue,98004-08,140;Kent,98030-42,127;Everett,98201-08,108
WI|Milwaukee,53202-33,564;Madison,53703-26,280;Green Bay,54301-13,105
WV|Huntington,25701-05,49
WY|Cheyenne,82001-09,65
"""


def us_places() -> pl.DataFrame:
    """Parse ``US_PLACES`` into one row per city, with its Census region and population weight."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    records = []
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            records.append((city, state, low[:3], int(low), int(low[:3] + high_suffix), region_of[state], int(thousands)))
    return pl.DataFrame(
        records,
        schema={
            "city": pl.String,
            "state": pl.String,
            "zip_prefix": pl.String,
            "zip_low": pl.Int64,
            "zip_high": pl.Int64,
            "region": pl.String,
            "weight": pl.Int64,
        },
        orient="row",
    )


def draw_us_places(places: pl.DataFrame, rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Draw ``n`` linked (city, state, postal_code, region) rows, weighted by population.

    One uniform draw per row picks the place: each city owns as many slots of a lookup table as
    its weight (whole thousands of people), so the draw's slot is its city, a weighted choice
    without a per-row search; a second draw picks the ZIP inside that city's range. ZIPs are
    gathered from the 100,000 five-digit strings rather than zero-padded row by row.
    """
    weight = places["weight"].to_numpy()
    city_of_slot = np.repeat(np.arange(len(weight)), weight)
    index = pl.Series(city_of_slot[(rng.random(n) * len(city_of_slot)).astype(np.int64)])
    chosen = places.select(pl.col("city", "state", "region", "zip_low", "zip_high").gather(index))
    low = chosen["zip_low"].to_numpy()
    postal = low + (rng.random(n) * (chosen["zip_high"].to_numpy() - low + 1)).astype(np.int64)
    five_digits = pl.select(pl.int_range(100_000).cast(pl.String).str.zfill(5)).to_series()
    return chosen.select("city", "state", five_digits.gather(postal).alias("postal_code"), "region")


# ---------------------------------------------------------------------------------------------
# Table schemas (the generator's copy of the contracts)
# ---------------------------------------------------------------------------------------------
MONEY = pl.Decimal(12, 2)
UTC = pl.Datetime("us", "UTC")
PROVIDERS_SCHEMA = {
    "provider_id": pl.String,
    "first_name": pl.String,
    "last_name": pl.String,
    "name": pl.String,
    "credential": pl.String,
    "specialty": pl.String,
    "department": pl.String,
    "facility": pl.String,
    "city": pl.String,
    "state": pl.String,
}
PATIENTS_SCHEMA = {
    "patient_id": pl.Int64,
    "mrn": pl.String,
    "first_name": pl.String,
    "last_name": pl.String,
    "name": pl.String,
    "sex": pl.String,
    "dob": pl.Date,
    "phone": pl.String,
    "email": pl.String,
    "street_address": pl.String,
    "city": pl.String,
    "state": pl.String,
    "postal_code": pl.String,
    "region": pl.String,
    "payer_type": pl.String,
    "insurance_id": pl.String,
}
ENCOUNTERS_SCHEMA = {
    "encounter_id": pl.Int64,
    "patient_id": pl.Int64,
    "provider_id": pl.String,
    "encounter_type": pl.String,
    "department": pl.String,
    "facility": pl.String,
    "admit_datetime": UTC,
    "discharge_datetime": UTC,
    "length_of_stay_minutes": pl.Int64,
}
CLAIMS_SCHEMA = {
    "claim_id": pl.Int64,
    "encounter_id": pl.Int64,
    "patient_id": pl.Int64,
    "claim_type": pl.String,
    "payer_type": pl.String,
    "icd10_code": pl.String,
    "icd10_description": pl.String,
    "billed_amount": MONEY,
    "allowed_amount": MONEY,
    "paid_amount": MONEY,
    "patient_responsibility": MONEY,
    "claim_status": pl.String,
    "submitted_datetime": UTC,
    "adjudicated_date": pl.Date,
}
TABLE_SCHEMAS = {
    "providers": PROVIDERS_SCHEMA,
    "patients": PATIENTS_SCHEMA,
    "encounters": ENCOUNTERS_SCHEMA,
    "claims": CLAIMS_SCHEMA,
}
# Primary and foreign key columns (the contracts' primary_key and foreign_keys): never nulled.
KEY_COLUMNS = {
    "providers": ("provider_id",),
    "patients": ("patient_id",),
    "encounters": ("encounter_id", "patient_id", "provider_id"),
    "claims": ("claim_id", "encounter_id", "patient_id"),
}
# --duplicate-rate copies rows of the fact tables (what pipelines deliver at least once), not of
# the people keys point at. --late-rate moves admissions (discharge with them) past the window,
# and make_claims moves the claims of those encounters alike; seasonality shapes visit days.
DUPLICATE_TABLES = ("encounters", "claims")
LATE_COLUMNS = {"encounters": ("admit_datetime", "discharge_datetime")}
# Bytes per row measured on this generator's output at --rows 100000, for --dry-run estimates
# (Delta is written by pyarrow with its own compression defaults, hence larger than parquet).
BYTES_PER_ROW = {
    "parquet": {"providers": 30, "patients": 50, "encounters": 18, "claims": 26},
    "csv": {"providers": 115, "patients": 170, "encounters": 148, "claims": 170},
    "json": {"providers": 245, "patients": 365, "encounters": 296, "claims": 412},
    "delta": {"providers": 45, "patients": 85, "encounters": 24, "claims": 34},
}


# ---------------------------------------------------------------------------------------------
# Sampling helpers (vectorised: one uniform draw per row, then arithmetic or a search)
# ---------------------------------------------------------------------------------------------
def weighted_index(rng: np.random.Generator, weights: Iterable[float], n: int) -> np.ndarray:
    """n draws of an index into ``weights`` with those relative probabilities."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    drawn = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
    return np.minimum(drawn, len(cumulative) - 1)


def search_in_order(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """np.searchsorted(haystack, needles, side="right"), with the needles searched in sorted order.

    Same result; but against a large haystack (80 MB of cumulative weights for 10M patients)
    random needles miss the CPU cache on every probe, and sorted ones walk it once: ≈ 10× faster.
    """
    order = np.argsort(needles)
    found = np.empty(len(needles), dtype=np.int64)
    found[order] = np.searchsorted(haystack, needles[order], side="right")
    return found


def conditional_table(weights: np.ndarray) -> np.ndarray:
    """Flatten a (rows × choices) weight matrix so one searchsorted draws from any row.

    Row r's cumulative probabilities are shifted into (r, r + 1]; searching r + u (u uniform in
    [0, 1)) therefore lands inside row r's block. Every row must have a positive total.
    """
    cumulative = np.minimum(np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1), 1.0)
    cumulative[:, -1] = 1.0  # exactly, whatever the rounding: the row's block ends at r + 1
    return (cumulative + np.arange(len(weights))[:, None]).ravel()


def draw_conditional(table: np.ndarray, choices: int, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each element, an index into the choices of its own ``row`` of a conditional_table."""
    drawn = np.searchsorted(table, row + u, side="right") - row * choices
    return np.clip(drawn, 0, choices - 1)


def affine_scramble(index: np.ndarray, multiplier: int, increment: int, modulus: int) -> np.ndarray:
    """A bijection of 0..modulus-1: unique ids without a lookup table or de-duplication pass.

    The multiplier must be coprime to the modulus (odd and not a multiple of 5 for powers of
    ten); one near modulus × 0.618 (the golden ratio) spreads consecutive rows across the range,
    so ids do not reveal the row order at a glance.
    """
    return (index.astype(np.int64) * multiplier + increment) % modulus


def npi_check_digit(base: np.ndarray) -> np.ndarray:
    """Luhn check digit of NPIs whose first nine digits are ``base`` (100000000..299999999).

    The NPI standard computes Luhn over "80840" + the nine digits; the prefix always contributes
    24, so only the nine digits need summing. From the right of the nine, digits 1, 3, 5, 7, 9
    are doubled (the check digit will sit to their right).
    """
    total = np.full(base.shape, 24, dtype=np.int64)
    remaining = base.astype(np.int64)
    for position in range(9):
        digit = remaining % 10
        remaining //= 10
        if position % 2 == 0:
            digit = digit * 2
            digit = digit - 9 * (digit > 9)
        total += digit
    return (10 - total % 10) % 10


def labels(values: Iterable[str], index: np.ndarray) -> pl.Series:
    """The label of each index: a Polars gather, far cheaper than building NumPy string arrays."""
    return pl.Series(list(values), dtype=pl.String).gather(pl.Series(index, dtype=pl.Int64))


def dollars(cents_column: str) -> pl.Expr:
    """Integer cents → decimal(12,2) dollars, exactly (no float rounding on the way)."""
    return (pl.col(cents_column).cast(pl.Decimal(18, 2)) / 100).cast(MONEY)


def civil_date_parts(start: date, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(year, month*32 + day-of-month) of days counted from ``start``, for exact ages."""
    calendar = np.datetime64(start.isoformat(), "D") + day.astype("timedelta64[D]")
    year_start = calendar.astype("datetime64[Y]")
    month_start = calendar.astype("datetime64[M]")
    month = (month_start - year_start.astype("datetime64[M]")).astype(np.int64) + 1
    day_of_month = (calendar - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return year_start.astype(np.int64) + 1970, month * 32 + day_of_month


def age_in_years(calendar: Calendar, birth_day: np.ndarray, on_day: np.ndarray) -> np.ndarray:
    """Completed years of age on ``on_day`` (both as days from the window's start), birthdays exact."""
    born, on = birth_day - calendar.first_calendar_day, on_day - calendar.first_calendar_day
    year, month_day = calendar.calendar_year, calendar.calendar_month_day
    return year[on] - year[born] - (month_day[on] < month_day[born])


def us_daylight_time(year: int) -> tuple[date, date]:
    """First and last day of US daylight saving time: the second Sunday of March and the first
    Sunday of November (the 2007 rule); clocks change at 02:00 local time."""
    march, november = date(year, 3, 1), date(year, 11, 1)
    return march + timedelta(days=(6 - march.weekday()) % 7 + 7), november + timedelta(days=(6 - november.weekday()) % 7)


@dataclass(frozen=True)
class Calendar:
    """The window's days and every date table patients and encounters gather from. Days are
    counted from the window's first day (negative before it)."""

    start: date
    days: int
    day_cumulative: np.ndarray  # running sum of the seasonal weight of every day
    weekday_offsets: np.ndarray  # Monday-Friday days, when scheduled visits happen
    weekday_cumulative: np.ndarray  # the same weights over those days only
    dst_from: np.ndarray  # per day: local minute from which daylight time holds (1440: not that day)
    dst_until: np.ndarray  # per day: local minute until which it holds
    age_band_days_old: np.ndarray  # (band, fewest/most days lived before the reference day)
    first_calendar_day: int  # before the oldest possible birth
    calendar_year: np.ndarray  # every day from first_calendar_day to the window's end, decoded once:
    calendar_month_day: np.ndarray  # ages then cost two gathers per row

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to the window's first day."""
        return (self.start - date(1970, 1, 1)).days

    @property
    def reference_offset(self) -> int:
        """Ages are counted on the day after the window (AGE_BANDS)."""
        return self.days

    def bounds(self) -> dict[str, dict[str, str]]:
        """The window-dependent contract bounds of this run (_manifest.json "bounds")."""
        first, last = self.start, self.start + timedelta(days=self.days - 1)
        # Earliest admission: local midnight of the first day in the eastern zone (UTC-5, or -4
        # in daylight time); latest: the end of the last day in Hawaii (UTC-10, no daylight time).
        earliest = f"{first}T0{4 if self.dst_from[0] == 0 else 5}:00:00Z"
        latest = f"{last + timedelta(days=1)}T10:00:00Z"
        oldest = first + timedelta(days=self.reference_offset - int(self.age_band_days_old.max()))
        return {
            "patients.dob": {"min": oldest.isoformat(), "max": last.isoformat()},
            "encounters.admit_datetime": {"min": earliest, "max": latest},
            "encounters.discharge_datetime": {"min": earliest},
            "claims.submitted_datetime": {"min": earliest},
            "claims.adjudicated_date": {"min": first.isoformat()},
        }


def build_calendar(season: Season) -> Calendar:
    start, days = season.first, season.days
    reference = season.last + timedelta(days=1)
    # Fewest and most days lived before the reference day for each band, from calendar dates (a
    # band [18, 45) means born after reference - 45 years and on or before reference - 18 years);
    # at least one day, so every birth is on or before the window's last day.
    band_days = np.asarray(
        [(max(1, (reference - years_before(reference, low)).days), (reference - years_before(reference, high)).days - 1)
         for _, low, high, _, _ in AGE_BANDS],
        dtype=np.int64,
    )
    first_calendar_day = days - int(band_days.max()) - 1
    calendar_year, calendar_month_day = civil_date_parts(start, np.arange(first_calendar_day, days))
    window = np.datetime64(start.isoformat(), "D") + np.arange(days).astype("timedelta64[D]")
    weekdays = np.flatnonzero(np.is_busday(window))
    # Daylight time per day: all day between the changes; from 03:00 (read as standard time,
    # i.e. 02:xx does not exist) on the spring day; until 02:00 on the autumn day (01:xx happens
    # twice: the first is taken).
    dst_from, dst_until = np.full(days, 1440), np.full(days, 1440)
    for year in range(season.first.year, season.last.year + 1):
        spring, autumn = ((day - start).days for day in us_daylight_time(year))
        inside = np.arange(max(spring, 0), min(autumn, days - 1) + 1)
        dst_from[inside] = 0
        if 0 <= spring < days:
            dst_from[spring] = 180
        if 0 <= autumn < days:
            dst_until[autumn] = 120
    day_cumulative = season.cumulative()
    weights = np.diff(day_cumulative, prepend=0.0)
    return Calendar(start, days, day_cumulative, weekdays, np.cumsum(weights[weekdays]), dst_from, dst_until,
                    band_days, first_calendar_day, calendar_year, calendar_month_day)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th with no leap year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# ---------------------------------------------------------------------------------------------
# Value pools from Mimesis (built once, de-duplicated and sorted: set order depends on
# PYTHONHASHSEED, a sorted list does not)
# ---------------------------------------------------------------------------------------------
NOT_A_PLACE_NAME = {"Access", "Hospital", "Medical", "Center", "Parking", "Lot", "Loop", "Tunnel", "Ccsf", "Sfgh", "Ggp"}
POOL_DRAWS = 3_000  # public Mimesis calls per pool; covers the en lists (≈ 1,000 names each)


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, accents stripped (José → jose)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class Pools:
    first_names: pl.Series  # female names, then male names
    first_slugs: pl.Series
    female_first: int  # how many of first_names are female
    last_names: pl.Series  # female forms, then male forms (some locales inflect surnames)
    last_slugs: pl.Series
    female_last: int
    streets: pl.Series
    place_names: pl.Series  # health-system names come from street names ("Alder", "Bayview")


def build_pools(locale: str, seed: int) -> Pools:
    from mimesis import Address, Person
    from mimesis.enums import Gender
    from mimesis.locales import Locale

    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)

    def pool(draw: Callable[[], str]) -> list[str]:
        return sorted({draw().strip() for _ in range(POOL_DRAWS)} - {""})

    female_first = pool(lambda: person.first_name(gender=Gender.FEMALE))
    male_first = pool(lambda: person.first_name(gender=Gender.MALE))
    female_last = pool(lambda: person.last_name(gender=Gender.FEMALE))
    male_last = pool(lambda: person.last_name(gender=Gender.MALE))
    street_names = pool(address.street_name)
    suffixes = pool(address.street_suffix)
    # Some street names are places themselves ("Letterman Hospital Access", "Ccsf Parking Lot"):
    # fine for a street, confusing inside a facility name.
    place_names = [n for n in street_names if not (set(n.split()) & NOT_A_PLACE_NAME or any(c.isdigit() for c in n))]
    # Suffix index cycles through the sorted suffixes: every street gets one, deterministically.
    streets = [f"{name} {suffixes[i % len(suffixes)]}" for i, name in enumerate(street_names)]
    first, last = female_first + male_first, female_last + male_last
    # Non-Latin names (ja, zh, ru, …) have no ASCII letters: their e-mails use a neutral word.
    return Pools(
        first_names=pl.Series(first, dtype=pl.String),
        first_slugs=pl.Series([_ascii_slug(n) or "patient" for n in first], dtype=pl.String),
        female_first=len(female_first),
        last_names=pl.Series(last, dtype=pl.String),
        last_slugs=pl.Series([_ascii_slug(n) or "user" for n in last], dtype=pl.String),
        female_last=len(female_last),
        streets=pl.Series(streets, dtype=pl.String),
        place_names=pl.Series(place_names or street_names, dtype=pl.String),
    )


def draw_person_names(pools: Pools, rng: np.random.Generator, female: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of first and last names that match each person's sex."""
    n = len(female)
    male_first = len(pools.first_names) - pools.female_first
    male_last = len(pools.last_names) - pools.female_last
    first = np.where(
        female,
        (rng.random(n) * pools.female_first).astype(np.int64),
        pools.female_first + (rng.random(n) * male_first).astype(np.int64),
    )
    last = np.where(
        female,
        (rng.random(n) * pools.female_last).astype(np.int64),
        pools.female_last + (rng.random(n) * male_last).astype(np.int64),
    )
    return first, last


# ---------------------------------------------------------------------------------------------
# Health systems and providers
# ---------------------------------------------------------------------------------------------
def health_system_count(providers: int) -> int:
    return max(3, math.ceil(providers / PROVIDERS_PER_SYSTEM))


def make_health_systems(seed: int, count: int, pools: Pools, places: pl.DataFrame) -> pl.DataFrame:
    """One row per health system: its name and the city its facilities are in."""
    rng = np.random.default_rng([seed, SYSTEMS_SALT, 0])
    names = len(pools.place_names)
    if count <= names:  # distinct names while the pool lasts
        name_index = rng.permutation(names)[:count]
    else:
        name_index = rng.integers(0, names, count)
    location = draw_us_places(places, rng, count)
    return pl.DataFrame({"system_name": pools.place_names.gather(name_index)}).with_columns(
        location.select("city", "state")
    )


def provider_traits(seed: int, start: int, n: int, systems: int) -> dict[str, np.ndarray]:
    """Specialty and health system of providers start..start+n-1 (encounters need them)."""
    rng = np.random.default_rng([seed, PROVIDER_TRAITS_SALT, start])
    specialty = weighted_index(rng, [row[2] for row in SPECIALTIES], n).astype(np.int8)
    if start == 0:  # the first providers cover every specialty, so small runs still have each one
        covered = min(n, len(SPECIALTIES))
        specialty[:covered] = np.arange(covered)
    system = rng.integers(0, systems, n).astype(np.int32)
    return {"specialty": specialty, "system": system}


def npi_for(index: np.ndarray) -> pl.Series:
    """Unique, Luhn-valid NPIs (first digit 1 or 2) for provider rows ``index``."""
    base = 100_000_000 + affine_scramble(index, *NPI_SCRAMBLE)
    return pl.Series(base * 10 + npi_check_digit(base), dtype=pl.Int64).cast(pl.String)


SETTINGS = tuple(FACILITY_SUFFIXES)


def facility_table(systems: pl.DataFrame) -> pl.Series:
    """Every facility name, at index system × len(SETTINGS) + setting.

    Each system uses one suffix per setting, fixed by its index ("Alder General Hospital",
    "Alder Medical Group", …), so a facility name always means the same place.
    """
    index = np.arange(systems.height)
    per_setting = [
        pl.concat_str(systems["system_name"], pl.lit(" "), labels(options, index % len(options))).alias(setting)
        for setting, options in FACILITY_SUFFIXES.items()
    ]
    return pl.select(pl.concat_list(per_setting).alias("facility")).to_series().explode()


def facility_of(facilities: pl.Series, system: np.ndarray, setting: np.ndarray) -> pl.Series:
    return facilities.gather(pl.Series(system.astype(np.int64) * len(SETTINGS) + setting, dtype=pl.Int64))


def make_providers(
    start: int, n: int, *, seed: int, pools: Pools, systems: pl.DataFrame, facilities: pl.Series
) -> pl.DataFrame:
    """Provider rows start..start+n-1."""
    traits = provider_traits(seed, start, n, systems.height)
    rng = np.random.default_rng([seed, PROVIDERS_SALT, start])
    female = rng.random(n) < 0.5
    first, last = draw_person_names(pools, rng, female)
    credential = weighted_index(rng, CREDENTIAL_WEIGHTS, n)
    specialty, system = traits["specialty"], traits["system"]
    home_setting = np.asarray([SETTINGS.index(row[4]) for row in SPECIALTIES])[specialty]
    frame = pl.DataFrame(
        {
            "provider_id": npi_for(np.arange(start, start + n)),
            "first_name": pools.first_names.gather(first),
            "last_name": pools.last_names.gather(last),
            "credential": labels(CREDENTIALS, credential),
            "specialty": labels(SPECIALTY_NAMES, specialty),
            "department": labels(DEPARTMENTS, specialty),
            "facility": facility_of(facilities, system, home_setting),
            "city": systems["city"].gather(system),
            "state": systems["state"].gather(system),
        }
    )
    return frame.with_columns(name=pl.concat_str("first_name", pl.lit(" "), "last_name")).select(
        [pl.col(c).cast(t) for c, t in PROVIDERS_SCHEMA.items()]
    )


# ---------------------------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------------------------
AGE_BAND_LABELS = tuple(band[0] for band in AGE_BANDS)


def patient_traits(seed: int, start: int, n: int, calendar: Calendar) -> dict[str, np.ndarray]:
    """Birth day, sex, payer and visit weight of patients start..start+n-1.

    Encounters and claims need these for any patient, so they come from their own stream and
    can be recomputed without the names and addresses.
    """
    rng = np.random.default_rng([seed, PATIENT_TRAITS_SALT, start])
    band = weighted_index(rng, [b[3] for b in AGE_BANDS], n)
    # Days lived before the reference day (the day after the window), uniform over the band's
    # birth dates.
    youngest, oldest = calendar.age_band_days_old[band, 0], calendar.age_band_days_old[band, 1]
    days_old = youngest + (rng.random(n) * (oldest - youngest + 1)).astype(np.int64)
    birth_day = (calendar.reference_offset - days_old).astype(np.int32)  # days from the window's start
    sex = weighted_index(rng, SEX_WEIGHTS, n).astype(np.int8)
    payer_table = conditional_table(np.asarray([PAYER_WEIGHTS_BY_AGE_BAND[b] for b in AGE_BAND_LABELS], dtype=np.float64))
    payer = draw_conditional(payer_table, len(PAYERS), band, rng.random(n)).astype(np.int8)
    frailty = rng.gamma(FRAILTY_SHAPE, 1.0 / FRAILTY_SHAPE, n)
    visit_weight = frailty * np.asarray([b[4] for b in AGE_BANDS])[band]
    return {"birth_day": birth_day, "sex": sex, "payer": payer, "band": band.astype(np.int8), "visit_weight": visit_weight}


def make_patients(start: int, n: int, *, seed: int, pools: Pools, places: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """Patient rows start..start+n-1."""
    traits = patient_traits(seed, start, n, calendar)
    rng = np.random.default_rng([seed, PATIENTS_SALT, start])
    row = np.arange(start, start + n, dtype=np.int64)
    female = traits["sex"] == 0
    first, last = draw_person_names(pools, rng, female)
    location = draw_us_places(places, rng, n)
    # Area code: first digit 2-9, second 0-8 (9 is reserved), never an N11 service code.
    area = 200 + (rng.random(n) * 800).astype(np.int64)
    area = np.where((area // 10) % 10 == 9, area - 10, area)
    area = np.where(area % 100 == 11, area - 1, area)
    line = (rng.random(n) * 100).astype(np.int64)  # 555-0100..555-0199, reserved for fiction
    house = np.floor(np.exp(rng.random(n) * np.log(20_000))).astype(np.int64)  # many small numbers
    street = (rng.random(n) * len(pools.streets)).astype(np.int64)
    domain = (rng.random(n) * len(EMAIL_DOMAINS)).astype(np.int64)
    phone_missing = rng.random(n) < PHONE_NULL_RATE
    email_missing = rng.random(n) < EMAIL_NULL_RATE
    payer = labels(PAYERS, traits["payer"])
    member_digits = affine_scramble(row, *MEMBER_ID_SCRAMBLE)
    mrn_digits = affine_scramble(row, *MRN_SCRAMBLE)
    frame = pl.DataFrame(
        {
            "patient_id": PATIENT_ID_START + row,
            "mrn_digits": mrn_digits,
            "first_name": pools.first_names.gather(first),
            "last_name": pools.last_names.gather(last),
            "first_slug": pools.first_slugs.gather(first),
            "last_slug": pools.last_slugs.gather(last),
            "sex": labels(SEXES, traits["sex"]),
            "birth_epoch_day": traits["birth_day"].astype(np.int32) + calendar.epoch_day,
            "area": area,
            "line": line,
            "phone_missing": phone_missing,
            "email_missing": email_missing,
            "domain": pl.Series(EMAIL_DOMAINS, dtype=pl.String).gather(domain),
            "house": house,
            "street": pools.streets.gather(street),
            "payer_type": payer,
            "member_digits": member_digits,
        }
    ).with_columns(location)
    prefix = pl.col("payer_type").replace_strict(MEMBER_ID_PREFIX, default=None, return_dtype=pl.String)
    return frame.select(
        "patient_id",
        mrn=pl.concat_str(pl.lit("MR"), pl.col("mrn_digits").cast(pl.String).str.zfill(9)),
        first_name="first_name",
        last_name="last_name",
        name=pl.concat_str("first_name", pl.lit(" "), "last_name"),
        sex="sex",
        dob=pl.col("birth_epoch_day").cast(pl.Date),
        phone=pl.when(~pl.col("phone_missing")).then(
            pl.concat_str(
                pl.lit("("), pl.col("area").cast(pl.String), pl.lit(") 555-01"), pl.col("line").cast(pl.String).str.zfill(2)
            )
        ),
        email=pl.when(~pl.col("email_missing")).then(
            pl.concat_str(
                "first_slug", pl.lit("."), "last_slug", pl.col("patient_id").cast(pl.String), pl.lit("@"), "domain"
            )
        ),
        street_address=pl.concat_str(pl.col("house").cast(pl.String), pl.lit(" "), "street"),
        city="city",
        state="state",
        postal_code="postal_code",
        region="region",
        payer_type="payer_type",
        insurance_id=pl.concat_str(prefix, pl.col("member_digits").cast(pl.String).str.zfill(9)),
    ).select([pl.col(c).cast(t) for c, t in PATIENTS_SCHEMA.items()])


# ---------------------------------------------------------------------------------------------
# The run's lookup arrays: a few numbers per patient and provider, never whole tables
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Population:
    birth_day: np.ndarray  # int32, days from the window's start (negative: born before it)
    sex: np.ndarray  # int8 index into SEXES
    payer: np.ndarray  # int8 index into PAYERS
    visit_cumulative: np.ndarray  # float64 running sum of visit weights: weighted patient draws


@dataclass(frozen=True)
class Workforce:
    specialty: np.ndarray  # int8 per provider
    system: np.ndarray  # int32 per provider
    by_specialty: np.ndarray  # provider indexes sorted by specialty
    specialty_start: np.ndarray  # where each specialty's providers begin in by_specialty
    specialty_count: np.ndarray
    system_utc_offset: np.ndarray  # standard-time hours behind UTC, per system
    system_observes_dst: np.ndarray  # bool per system
    specialty_table: np.ndarray  # conditional_table over (encounter type, patient group)


def build_population(seed: int, patients: int, calendar: Calendar) -> Population:
    parts = [patient_traits(seed, start, n, calendar) for start, n in chunk_bounds(patients)]
    weights = np.concatenate([p["visit_weight"] for p in parts])
    return Population(
        birth_day=np.concatenate([p["birth_day"] for p in parts]),
        sex=np.concatenate([p["sex"] for p in parts]),
        payer=np.concatenate([p["payer"] for p in parts]),
        visit_cumulative=np.cumsum(weights),
    )


PATIENT_GROUPS = ("child", "adult female", "adult male")  # who a specialty may see


def specialty_sees(group: str, sees: str) -> bool:
    return sees == "all" or sees == group or (sees == "adult" and group != "child")


def build_workforce(seed: int, providers: int, systems: pl.DataFrame) -> Workforce:
    parts = [provider_traits(seed, start, n, systems.height) for start, n in chunk_bounds(providers)]
    specialty = np.concatenate([p["specialty"] for p in parts])
    system = np.concatenate([p["system"] for p in parts])
    count = np.bincount(specialty, minlength=len(SPECIALTIES))
    offset_of = {s: hours for hours, states in UTC_OFFSET_STATES.items() for s in states.split()}
    states = systems["state"].to_list()
    # P(specialty | encounter type, patient group): the type's weights, restricted to specialties
    # that see this group and have providers. If none qualifies (tiny --providers), fall back to
    # any eligible specialty with providers, then to any specialty with providers.
    weights = np.zeros((len(ENCOUNTER_TYPES) * len(PATIENT_GROUPS), len(SPECIALTIES)))
    available = count > 0
    for t, type_name in enumerate(ENCOUNTER_TYPE_NAMES):
        for g, group in enumerate(PATIENT_GROUPS):
            eligible = np.asarray([specialty_sees(group, row[3]) for row in SPECIALTIES]) & available
            row = np.asarray([ENCOUNTER_SPECIALTY_WEIGHTS[type_name].get(s, 0.0) for s in SPECIALTY_NAMES]) * eligible
            if row.sum() == 0:
                row = eligible * count.astype(np.float64)
            if row.sum() == 0:
                row = count.astype(np.float64)
            weights[t * len(PATIENT_GROUPS) + g] = row
    return Workforce(
        specialty=specialty,
        system=system,
        by_specialty=np.argsort(specialty, kind="stable"),
        specialty_start=np.concatenate([[0], np.cumsum(count)[:-1]]),
        specialty_count=count,
        system_utc_offset=np.asarray([offset_of[s] for s in states], dtype=np.int64),
        system_observes_dst=np.asarray([s not in NO_DST_STATES for s in states]),
        specialty_table=conditional_table(weights),
    )


# ---------------------------------------------------------------------------------------------
# Encounters
# ---------------------------------------------------------------------------------------------
def encounter_core(
    start: int, n: int, *, seed: int, population: Population, workforce: Workforce, calendar: Calendar
) -> dict[str, np.ndarray]:
    """Who, with whom, what and when for encounters start..start+n-1, as NumPy arrays.

    Claims call this again for the same chunk: the values depend only on (seed, start), so the
    claims of an encounter see the same patient, provider, type and times the encounters table
    holds, without keeping the encounters in memory.
    """
    rng = np.random.default_rng([seed, ENCOUNTERS_SALT, start])
    types = ENCOUNTER_TYPES.values()
    kind = weighted_index(rng, [t["weight"] for t in types], n)

    # Patients in proportion to their visit weight: skewed, and more for older patients.
    total = population.visit_cumulative[-1]
    patient = search_in_order(population.visit_cumulative, rng.random(n) * total)
    patient = np.minimum(patient, len(population.visit_cumulative) - 1)
    birth_day = population.birth_day[patient].astype(np.int64)

    # Local calendar day over the window from the birth day on (newborns of the window), in
    # proportion to the seasonal day weights (uniform without seasonality); on weekdays only for
    # scheduled visits (any day when no weekday is left after the birth).
    earliest = np.maximum(birth_day, 0)
    u_day = rng.random(n)
    any_day = seasonal_days(calendar.day_cumulative, u_day, earliest)
    first_weekday = np.searchsorted(calendar.weekday_offsets, earliest)
    weekday = calendar.weekday_offsets[seasonal_days(calendar.weekday_cumulative, u_day, first_weekday)] if len(
        calendar.weekday_offsets) else any_day
    weekdays_left = weight_from(calendar.weekday_cumulative, first_weekday)
    scheduled = np.asarray([t["weekdays"] for t in types])[kind] & (weekdays_left > 0)
    day = np.where(scheduled, weekday, any_day)

    # Specialty that fits the visit type and the patient on that day, then one of its providers.
    age = age_in_years(calendar, birth_day, day)
    group = np.where(age < 18, 0, np.where(population.sex[patient] == 0, 1, 2))
    specialty = draw_conditional(workforce.specialty_table, len(SPECIALTIES), kind * len(PATIENT_GROUPS) + group, rng.random(n))
    pick = (rng.random(n) * workforce.specialty_count[specialty]).astype(np.int64)
    provider = workforce.by_specialty[workforce.specialty_start[specialty] + pick]
    system = workforce.system[provider]

    # Local time: clinic slots for scheduled and urgent care, round-the-clock arrivals otherwise.
    hours = [t["hours"] or (0, 1440, 1) for t in types]
    opens, closes, slot = (np.asarray(col)[kind] for col in zip(*hours))
    slot_minute = opens + slot * (rng.random(n) * ((closes - opens) // slot)).astype(np.int64)
    arrival_minute = weighted_index(rng, ARRIVAL_HOUR_WEIGHTS, n) * 60 + (rng.random(n) * 60).astype(np.int64)
    round_the_clock = np.asarray([t["hours"] is None for t in types])[kind]
    minute = np.where(round_the_clock, arrival_minute, slot_minute)

    # Local → UTC with the facility state's offset, one hour less in daylight saving time. Clocks
    # spring forward at 02:00 on the first day (02:xx does not exist: read as standard time, i.e.
    # 03:xx daylight time) and fall back at 02:00 on the last (01:xx happens twice: the first).
    in_dst = (minute >= calendar.dst_from[day]) & (minute < calendar.dst_until[day])
    in_dst &= workforce.system_observes_dst[system]
    utc_offset_hours = workforce.system_utc_offset[system] - in_dst
    admit = (calendar.epoch_day + day) * MICROS_PER_DAY + (minute + 60 * utc_offset_hours) * MICROS_PER_MINUTE

    offset, shape, scale = (np.asarray(col)[kind] for col in zip(*[t["los"] for t in types]))
    length_of_stay = offset + np.rint(rng.gamma(shape, scale)).astype(np.int64)
    return {
        "kind": kind,
        "patient": patient,
        "provider": provider,
        "specialty": specialty,
        "system": system,
        "age": age,
        "admit": admit,
        "length_of_stay": length_of_stay,
        "discharge": admit + length_of_stay * MICROS_PER_MINUTE,
    }


def make_encounters(
    start: int, n: int, *, seed: int, population: Population, workforce: Workforce, facilities: pl.Series,
    calendar: Calendar
) -> pl.DataFrame:
    """Encounter rows start..start+n-1."""
    core = encounter_core(start, n, seed=seed, population=population, workforce=workforce, calendar=calendar)
    setting = np.asarray([SETTINGS.index(t["setting"]) for t in ENCOUNTER_TYPES.values()])[core["kind"]]
    return pl.DataFrame(
        {
            "encounter_id": ENCOUNTER_ID_START + np.arange(start, start + n, dtype=np.int64),
            "patient_id": PATIENT_ID_START + core["patient"].astype(np.int64),
            "provider_id": npi_for(core["provider"]),
            "encounter_type": labels(ENCOUNTER_TYPE_NAMES, core["kind"]),
            "department": labels(DEPARTMENTS, core["specialty"]),
            "facility": facility_of(facilities, core["system"], setting),
            "admit_datetime": pl.Series(core["admit"]).cast(UTC),
            "discharge_datetime": pl.Series(core["discharge"]).cast(UTC),
            "length_of_stay_minutes": core["length_of_stay"],
        }
    ).select([pl.col(c).cast(t) for c, t in ENCOUNTERS_SCHEMA.items()])


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------
ICD10_AGE_BREAKS = np.unique([0] + [c[5] for c in ICD10_CODES] + [c[6] + 1 for c in ICD10_CODES if c[6] < 120])


def build_diagnosis_table() -> np.ndarray:
    """conditional_table of ICD-10 codes for each (specialty, hospital setting?, sex, age bucket).

    A code qualifies when it shares an area with the specialty, suits the setting and fits the
    patient's sex and age; weights are the codes' frequencies. Fallbacks (never empty): any code
    that suits setting, sex and age; then any that fits sex and age.
    """
    weight = np.asarray([c[2] for c in ICD10_CODES], dtype=np.float64)
    areas = [set(c[3].split()) for c in ICD10_CODES]
    rows = []
    for specialty in SPECIALTIES:
        specialty_areas = set(specialty[5].split())
        area_match = np.asarray([bool(a & specialty_areas) for a in areas])
        for hospital in (False, True):
            setting_ok = np.asarray([c[7] != ("ambulatory" if hospital else "hospital") for c in ICD10_CODES])
            for sex in SEXES:
                sex_ok = np.asarray([c[4] in ("", sex) for c in ICD10_CODES])
                for low in ICD10_AGE_BREAKS:
                    age_ok = np.asarray([c[5] <= low <= c[6] for c in ICD10_CODES])
                    for candidates in (area_match & setting_ok & sex_ok & age_ok, setting_ok & sex_ok & age_ok, sex_ok & age_ok):
                        if candidates.any():
                            rows.append(weight * candidates)
                            break
    return conditional_table(np.asarray(rows))


DIAGNOSIS_TABLE = build_diagnosis_table()


def claim_quota(start: int, n: int, encounters: int, claims: int) -> tuple[int, int]:
    """(first claim row, claim count) for the claims of encounters start..start+n-1.

    Quotas split ``claims`` across encounter chunks in proportion, so the total is exact.
    """
    first = start * claims // encounters
    return first, (start + n) * claims // encounters - first


def make_claims(
    start: int, n: int, *, seed: int, encounters: int, claims: int, population: Population, workforce: Workforce,
    calendar: Calendar, quality: Quality
) -> pl.DataFrame:
    """The claims of encounters start..start+n-1 (any number of rows)."""
    core = encounter_core(start, n, seed=seed, population=population, workforce=workforce, calendar=calendar)
    if quality.late_rate:
        # --late-rate moves some encounters past the window (quality.py, on the encounters table);
        # their claims move with them: the same stream, chunk and admission times give the same
        # offsets, so a claim is still submitted after its encounter's discharge.
        late = late_offsets(quality_stream(quality.seed, "encounters", start // CHUNK_ROWS, "late"), core["admit"],
                            quality.late_rate, quality.window_us)
        core["discharge"] = core["discharge"] + late
    rng = np.random.default_rng([seed, CLAIMS_SALT, start])
    first_claim, quota = claim_quota(start, n, encounters, claims)

    # Every encounter gets one claim; the rest go to encounters in proportion to their type's
    # extra_claims weight (inpatient stays collect many professional claims, office visits few).
    # With fewer claims than encounters, a random subset of encounters is billed so far.
    if quota >= n:
        extra_weight = np.asarray([t["extra_claims"] for t in ENCOUNTER_TYPES.values()])[core["kind"]]
        cumulative = np.cumsum(extra_weight)
        extra = search_in_order(cumulative, rng.random(quota - n) * cumulative[-1])
        per_encounter = 1 + np.bincount(np.minimum(extra, n - 1), minlength=n)
    else:
        per_encounter = np.zeros(n, dtype=np.int64)
        per_encounter[rng.choice(n, quota, replace=False)] = 1
    encounter = np.repeat(np.arange(n), per_encounter)
    sequence = np.arange(quota) - np.repeat(np.cumsum(per_encounter) - per_encounter, per_encounter)
    m = quota

    kind = core["kind"][encounter]
    patient = core["patient"][encounter]
    setting = np.asarray([t["setting"] for t in ENCOUNTER_TYPES.values()])
    facility_billed = np.isin(setting, ["hospital", "surgery"])[kind]
    claim_type = np.where((sequence == 0) & facility_billed, 0, 1)  # 0 institutional, 1 professional

    # Diagnosis: fits the specialty, the setting (no delivery in an office), sex and age.
    hospital = np.isin(setting, HOSPITAL_SETTINGS)[kind]
    bucket = np.searchsorted(ICD10_AGE_BREAKS, core["age"][encounter], side="right") - 1
    row = ((core["specialty"][encounter] * 2 + hospital) * len(SEXES) + population.sex[patient]) * len(ICD10_AGE_BREAKS) + bucket
    code = draw_conditional(DIAGNOSIS_TABLE, len(ICD10_CODES), row, rng.random(m))

    # Billed: Gamma by (encounter type, claim type); numpy takes per-row shape and scale arrays.
    shape = np.ones((len(ENCOUNTER_TYPES), 2))
    scale = np.ones((len(ENCOUNTER_TYPES), 2))
    for t, gammas in enumerate(BILLED_GAMMA[name] for name in ENCOUNTER_TYPE_NAMES):
        for c, claim_kind in enumerate(CLAIM_TYPES):
            shape[t, c], scale[t, c] = gammas.get(claim_kind, gammas["professional"])
    billed = np.maximum(np.rint(rng.gamma(shape[kind, claim_type], scale[kind, claim_type]) * 100), 1).astype(np.int64)

    payer = population.payer[patient]
    status = weighted_index(rng, CLAIM_STATUS_WEIGHTS, m)
    allowed_a, allowed_b = (np.asarray(col)[payer] for col in zip(*[ALLOWED_SHARE_BETA[p] for p in PAYERS]))
    allowed = np.rint(billed * rng.beta(allowed_a, allowed_b)).astype(np.int64)
    paid_beta = [PLAN_PAID_SHARE_BETA[p] or (1.0, 1.0) for p in PAYERS]
    paid_a, paid_b = (np.asarray(col)[payer] for col in zip(*paid_beta))
    plan_share = rng.beta(paid_a, paid_b) * np.asarray([PLAN_PAID_SHARE_BETA[p] is not None for p in PAYERS])[payer]
    paid = np.rint(allowed * plan_share).astype(np.int64)
    # Denied (and appealed, i.e. denied and contested) claims allow and pay nothing.
    rejected = np.isin(status, [CLAIM_STATUSES.index("denied"), CLAIM_STATUSES.index("appealed")])
    allowed = np.where(rejected, 0, allowed)
    paid = np.where(rejected, 0, paid)

    lag_shape, lag_scale = SUBMISSION_LAG_HOURS
    submitted = core["discharge"][encounter] + np.rint(rng.gamma(lag_shape, lag_scale, m) * 60).astype(np.int64) * MICROS_PER_MINUTE
    settle_shape, settle_scale = ADJUDICATION_LAG_DAYS
    adjudicated_day = submitted // MICROS_PER_DAY + np.ceil(rng.gamma(settle_shape, settle_scale, m)).astype(np.int64)

    pending = pl.col("status") == "pending"
    return (
        pl.DataFrame(
            {
                "claim_id": CLAIM_ID_START + first_claim + np.arange(m, dtype=np.int64),
                "encounter_id": ENCOUNTER_ID_START + start + encounter.astype(np.int64),
                "patient_id": PATIENT_ID_START + patient.astype(np.int64),
                "claim_type": labels(CLAIM_TYPES, claim_type),
                "payer_type": labels(PAYERS, payer),
                "icd10_code": labels((c[0] for c in ICD10_CODES), code),
                "icd10_description": labels((c[1] for c in ICD10_CODES), code),
                "billed_cents": billed,
                "allowed_cents": allowed,
                "paid_cents": paid,
                "status": labels(CLAIM_STATUSES, status),
                "submitted": submitted,
                "adjudicated_day": adjudicated_day,
            }
        )
        .with_columns(responsibility_cents=pl.col("allowed_cents") - pl.col("paid_cents"))
        .select(
            "claim_id",
            "encounter_id",
            "patient_id",
            "claim_type",
            "payer_type",
            "icd10_code",
            "icd10_description",
            billed_amount=dollars("billed_cents"),
            # Pending claims are not adjudicated yet: no allowed, paid or settlement date.
            allowed_amount=pl.when(~pending).then(dollars("allowed_cents")),
            paid_amount=pl.when(~pending).then(dollars("paid_cents")),
            patient_responsibility=pl.when(~pending).then(dollars("responsibility_cents")),
            claim_status="status",
            submitted_datetime=pl.col("submitted").cast(UTC),
            adjudicated_date=pl.when(~pending).then(pl.col("adjudicated_day").cast(pl.Int32).cast(pl.Date)),
        )
        .select([pl.col(c).cast(t) for c, t in CLAIMS_SCHEMA.items()])
    )


# ---------------------------------------------------------------------------------------------
# Output helpers (copied verbatim from scripts/utils/local_output.py)
# ---------------------------------------------------------------------------------------------
FORMATS = ("parquet", "csv", "json", "delta")
# One million rows per chunk: large enough for Polars to parallelise each column, small enough
# that a chunk of the widest table stays well under 1 GiB. Chunk size is part of the
# reproducibility contract: changing it changes the data a seed produces.
CHUNK_ROWS = 1_000_000


def table_path(directory: Path, table: str, fmt: str) -> Path:
    """Where a table lands: DIR/<table>.<fmt> for files, DIR/<table>/ for Delta."""
    return directory / table if fmt == "delta" else directory / f"{table}.{fmt}"


def chunk_bounds(rows: int, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """(first row, row count) of each chunk; an empty table still gets one empty chunk."""
    return [(start, min(chunk_rows, rows - start)) for start in range(0, rows, chunk_rows)] or [(0, 0)]


def _path_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_table(
    directory: Path,
    table: str,
    fmt: str,
    chunks: Iterable[Callable[[], pl.DataFrame]],
    schema: dict[str, pl.DataType],
) -> dict:
    """Write one table from its chunks, atomically, and return its rows, file name and bytes.

    ``chunks`` are zero-argument functions, each returning the next slice of the table (build
    them with ``functools.partial(make_table, start, n)`` over ``chunk_bounds``). They are called
    lazily, in order, so only a chunk or two is in memory at a time; a chunk may hold any number
    of rows (line items per transaction chunk, say). ``schema`` is the table's Polars schema
    (the generator's copy of its contract); every chunk is checked against it.
    """
    final = table_path(directory, table, fmt)
    # The table is written inside a private staging folder next to its final place (same file
    # system, so the swap is a rename). Removing the folder on failure also defeats a writer
    # thread that is still flushing when the error arrives: it cannot recreate a file there.
    staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    _remove(staging)
    staging.mkdir()
    temporary = staging / final.name
    heights: list[int] = []

    failures: list[BaseException] = []

    def counted(make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        try:
            frame = make_chunk()
        except BaseException as error:  # remembered: deltalake re-raises it as a DeltaError
            failures.append(error)
            raise
        heights.append(frame.height)
        return frame

    try:
        if fmt == "delta":
            import pyarrow as pa
            from deltalake import write_deltalake

            arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
            batches = (
                batch
                for make_chunk in chunks
                for batch in counted(make_chunk).to_arrow().cast(arrow_schema).to_batches()
            )
            write_deltalake(temporary, pa.RecordBatchReader.from_batches(arrow_schema, batches))
        else:
            frame = pl.concat(
                [pl.defer(partial(counted, make_chunk), schema=schema) for make_chunk in chunks]
                or [pl.LazyFrame(schema=schema)]
            )
            if fmt == "parquet":
                frame.sink_parquet(temporary, compression="zstd")
            elif fmt == "csv":
                frame.sink_csv(temporary)
            elif fmt == "json":
                frame.sink_ndjson(temporary, check_extension=False)
            else:
                raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        # Swap in: a file is replaced in one step; a Delta folder in two renames, the old one
        # moved aside first so that a failure between them leaves it recoverable, never mixed.
        if final.is_dir() and not final.is_symlink():
            aside = final.with_name(f".{final.name}.old-{os.getpid()}")
            _remove(aside)
            os.rename(final, aside)
            os.rename(temporary, final)
            _remove(aside)
        else:
            os.replace(temporary, final)
    except BaseException as error:
        _remove(staging)
        if failures and failures[0] is not error:
            raise failures[0] from error
        raise
    _remove(staging)
    return {"rows": sum(heights), "path": final.name, "bytes": _path_bytes(final)}


def write_manifest(directory: Path, manifest: dict) -> Path:
    """Write DIR/_manifest.json atomically; call it after every table is written."""

    def readable(value):
        # What json cannot write itself, as data another tool can read: dataclasses (a parsed
        # --campaign, say) as objects, dates as ISO 8601, anything else as its text.
        if hasattr(value, "__dataclass_fields__"):
            return {name: getattr(value, name) for name in value.__dataclass_fields__}
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    final = directory / "_manifest.json"
    temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(manifest, indent=2, default=readable) + "\n")
    os.replace(temporary, final)
    return final


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose upgrades can change the values a seed produces."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0]}
    for package in ("polars", "numpy", "mimesis", "deltalake"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (underscores allowed: 1_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line, or use the defaults when pasted into a notebook.

    A notebook kernel's own argv (``-f kernel.json``) is not ours to parse: in a Jupyter or
    Databricks notebook, call ``main(["--rows", "5000"])`` to pass options.
    """
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    return parser.parse_args(argv)


def prepare_output_dir(parser: argparse.ArgumentParser, directory: Path) -> Path:
    """Create the output folder, or stop with a clear message when it cannot be used."""
    if directory.exists() and not directory.is_dir():
        parser.error(f"--output {directory} is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        parser.error(f"--output {directory} cannot be written: {error.strerror or error}")
    return directory


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


def timed(label: str, action: Callable[[], dict]) -> dict:
    """Run one table's generate-and-write step, report it, and add its seconds."""
    started = time.perf_counter()
    result = action()
    result["seconds"] = round(time.perf_counter() - started, 3)
    progress(f"  {label}: {result['rows']:,} rows in {result['seconds']:.2f}s")
    return result


# ---------------------------------------------------------------------------------------------
# Window and seasonality (copied verbatim from scripts/utils/seasonality.py)
# ---------------------------------------------------------------------------------------------
# Preset: (monthly weights January..December, weekday weights Monday..Sunday, what it models).
# Illustrative shapes, not measurements of any one business: say so when a demo relies on them.
SEASONALITY_PRESETS = {
    "none": ((1,) * 12, (1,) * 7, "flat: every day alike"),
    "retail": (
        (0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 0.9, 0.95, 1.2, 1.45),
        (0.85, 0.85, 0.9, 0.95, 1.1, 1.3, 1.05),
        "holiday peak in November and December, quiet January and February; Saturday busiest",
    ),
    "healthcare": (
        (1.1, 1.05, 1.02, 0.98, 0.97, 0.93, 0.92, 0.97, 1.0, 1.02, 1.0, 1.04),
        (1.15, 1.05, 1.0, 1.0, 0.95, 0.5, 0.45),
        "winter respiratory season, summer dip; Monday busiest, weekends light",
    ),
    "financial": (
        (0.95, 0.92, 1.0, 1.0, 1.0, 0.98, 1.0, 1.0, 0.97, 1.0, 1.05, 1.13),
        (1.1, 1.05, 1.05, 1.05, 1.15, 0.6, 0.45),
        "December spending, payday Fridays, quiet weekends",
    ),
    "weekday": (
        (1, 1, 1, 1, 1, 1, 1, 0.9, 1, 1, 1, 0.85),
        (1, 1, 1, 1, 1, 0.2, 0.1),
        "office hours business: weekends near zero, August and December holidays",
    ),
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Campaign:
    name: str
    first: date
    last: date
    multiplier: float


@dataclass(frozen=True)
class Season:
    """The window and the weights its event days are drawn with."""

    first: date
    last: date
    preset: str = "none"
    monthly: tuple[float, ...] = (1.0,) * 12
    weekday: tuple[float, ...] = (1.0,) * 7
    campaigns: tuple[Campaign, ...] = ()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def flat(self) -> bool:
        return len(set(self.monthly)) == 1 and len(set(self.weekday)) == 1 and not self.campaigns

    def cumulative(self) -> np.ndarray:
        """Running sum of the day weights, one entry per day of the window."""
        return np.cumsum(day_weights(self.first, self.last, self.monthly, self.weekday, self.campaigns))


def iso_day(text: str) -> date:
    """argparse type: a calendar day YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def weight(text: str) -> float:
    """argparse type: a weight of 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of 0 or more, got {text!r}")
    return value


def campaign(text: str) -> Campaign:
    """argparse type: [NAME=]START:END:MULTIPLIER, e.g. black-friday=2024-11-29:2024-12-02:3."""
    name, equals, spec = text.partition("=")
    if not equals:
        name, spec = "", text
    parts = spec.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected [NAME=]START:END:MULTIPLIER (e.g. 2024-11-29:2024-12-02:3), got {text!r}")
    first, last = iso_day(parts[0]), iso_day(parts[1])
    if last < first:
        raise argparse.ArgumentTypeError(f"campaign {text!r} ends before it starts")
    return Campaign(name.strip() or f"{first}..{last}", first, last, weight(parts[2]))


def add_window_arguments(parser: argparse.ArgumentParser, start: date, end: date | None, events: str,
                         end_help: str = "") -> None:
    parser.add_argument("--start", type=iso_day, default=start, metavar="YYYY-MM-DD",
                        help=f"first day of the {events} window, UTC (default {start})")
    parser.add_argument("--end", type=iso_day, default=end, metavar="YYYY-MM-DD",
                        help=end_help or f"last day of the {events} window, inclusive (default {end})")


def add_seasonality_arguments(parser: argparse.ArgumentParser, tables: str) -> None:
    group = parser.add_argument_group(f"seasonality of {tables} (default: none, every day alike)")
    presets = "; ".join(f"{name}: {about}" for name, (_, _, about) in SEASONALITY_PRESETS.items())
    group.add_argument("--seasonality", choices=list(SEASONALITY_PRESETS), default="none", help=presets)
    group.add_argument("--monthly-weights", type=weight, nargs=12, metavar="W",
                       help="12 relative weights, January to December (replace the preset's)")
    group.add_argument("--weekday-weights", type=weight, nargs=7, metavar="W",
                       help="7 relative weights, Monday to Sunday (replace the preset's)")
    group.add_argument("--campaign", type=campaign, action="append", default=[], metavar="[NAME=]START:END:MULT",
                       help="multiply the weight of the days START..END (inclusive) by MULT; repeatable")


def window_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, max_days: int | None = None) -> tuple[date, date]:
    """The window's first and last day, checked."""
    if args.end < args.start:
        parser.error(f"--end {args.end} is before --start {args.start}")
    days = (args.end - args.start).days + 1
    if max_days is not None and days > max_days:
        parser.error(f"the window --start {args.start} --end {args.end} spans {days:,} days; at most {max_days:,}")
    return args.start, args.end


def season_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, first: date, last: date) -> Season:
    """The preset with the weight overrides and campaigns applied, checked against the window."""
    monthly, weekday, _ = SEASONALITY_PRESETS[args.seasonality]
    monthly = tuple(float(w) for w in (args.monthly_weights or monthly))
    weekday = tuple(float(w) for w in (args.weekday_weights or weekday))
    for each in args.campaign:
        if each.last < first or each.first > last:
            parser.error(f"--campaign {each.name} ({each.first}..{each.last}) lies outside the window {first}..{last}")
    season = Season(first, last, args.seasonality, monthly, weekday, tuple(args.campaign))
    if season.cumulative()[-1] <= 0:
        parser.error("the seasonality weights give every day of the window a weight of 0: raise some of them")
    return season


def day_weights(first: date, last: date, monthly, weekday, campaigns=()) -> np.ndarray:
    """One weight per calendar day first..last: month x weekday x covering campaigns."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    day_of_week = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    weights = np.asarray(monthly, dtype=np.float64)[month] * np.asarray(weekday, dtype=np.float64)[day_of_week]
    for each in campaigns:
        weights[(days >= np.datetime64(each.first, "D")) & (days <= np.datetime64(each.last, "D"))] *= each.multiplier
    return weights


def weight_from(cumulative: np.ndarray, lowest: np.ndarray | int) -> np.ndarray:
    """The day weight from each row's ``lowest`` offset to the window's end: how much of the
    window a customer who joined then can still act in (its days, without seasonality)."""
    lowest = np.asarray(lowest, dtype=np.int64)
    if len(cumulative) == 0:
        return np.zeros(lowest.shape)
    return cumulative[-1] - np.where(lowest > 0, cumulative[np.clip(lowest - 1, 0, len(cumulative) - 1)], 0.0)


def seasonal_days(cumulative: np.ndarray, u: np.ndarray, lowest: np.ndarray | int = 0) -> np.ndarray:
    """Day offsets (0 = the window's first day) drawn in proportion to the day weights, one
    uniform ``u`` per row, never before the row's ``lowest`` offset."""
    if len(u) == 0:
        return np.zeros(0, dtype=np.int64)
    before = cumulative[-1] - weight_from(cumulative, lowest)
    target = before + u * (cumulative[-1] - before)
    return np.minimum(np.searchsorted(cumulative, target, side="right"), len(cumulative) - 1)


def season_manifest(season: Season, tables: list[str]) -> dict:
    """What _manifest.json records about the window and its seasonality."""
    return {
        "start": season.first.isoformat(),
        "end": season.last.isoformat(),
        "seasonality": {
            "preset": season.preset,
            "monthly_weights": list(season.monthly),
            "weekday_weights": list(season.weekday),
            "campaigns": [{"name": c.name, "start": c.first.isoformat(), "end": c.last.isoformat(), "multiplier": c.multiplier}
                          for c in season.campaigns],
            "applies_to": tables,
        },
    }


# ---------------------------------------------------------------------------------------------
# Data-quality injection (copied verbatim from scripts/utils/quality.py)
# ---------------------------------------------------------------------------------------------
QUALITY_SALT = 9_001  # keeps injection streams apart from every table's own streams
LATE_GAP_DAYS = 1  # late rows start one day after the window ends (clear of local-time spill-over)
LATE_SPAN_DAYS = 7  # and fall within the week after that
MAX_DUPLICATE_RATE = 0.5  # above one copy per original row the table is more copy than data
MICROS_PER_DAY = 86_400_000_000


@dataclass
class Quality:
    """The run's injection settings and what was injected (filled in as chunks are written)."""

    seed: int
    nulls: dict[str, dict[str, float]] = field(default_factory=dict)  # table -> column -> rate
    duplicate_rate: float = 0.0
    duplicate_tables: tuple[str, ...] = ()
    late_rate: float = 0.0
    late_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> event time first
    window_us: tuple[int, int] = (0, 1)  # the run's window [start, end) in UTC microseconds
    injected: dict[str, list[dict]] = field(default_factory=dict)  # table -> one record per chunk

    def active(self, table: str) -> bool:
        return bool(
            self.nulls.get(table)
            or (self.duplicate_rate and table in self.duplicate_tables)
            or (self.late_rate and table in self.late_columns)
        )


def null_injection(text: str) -> tuple[str, str, float]:
    """argparse type: TABLE.COLUMN=RATE, e.g. customers.email=0.05."""
    target, equals, share = text.partition("=")
    table, dot, column = target.strip().partition(".")
    if not (equals and dot and table and column):
        raise argparse.ArgumentTypeError(f"expected TABLE.COLUMN=RATE (e.g. customers.email=0.05), got {text!r}")
    try:
        value = float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the rate in {text!r} must be a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"the rate in {text!r} must be between 0 and 1")
    return table, column.strip(), value


def add_quality_arguments(parser: argparse.ArgumentParser, duplicate_tables: tuple[str, ...],
                          late_columns: dict[str, tuple[str, ...]]) -> None:
    """The three injection flags, with the tables each applies to in their help."""
    group = parser.add_argument_group(
        "data quality injection (all off by default; recorded in _manifest.json, reported by scripts/utils/validate.py)")
    group.add_argument("--inject-nulls", action="append", type=null_injection, default=[], metavar="TABLE.COLUMN=RATE",
                       help="null out RATE of the column's values (repeatable); key columns are refused")
    group.add_argument("--duplicate-rate", type=rate, default=0.0, metavar="RATE",
                       help=f"share of rows that are exact copies of another row, in {', '.join(duplicate_tables)} "
                       f"(at most {MAX_DUPLICATE_RATE:g}); those tables get more rows than planned")
    late = ", ".join(f"{table}.{columns[0]}" for table, columns in late_columns.items())
    group.add_argument("--late-rate", type=rate, default=0.0, metavar="RATE",
                       help=f"share of events whose timestamp ({late}) lands {LATE_GAP_DAYS} to "
                       f"{LATE_GAP_DAYS + LATE_SPAN_DAYS} days after the window ends")


def quality_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, schemas: dict[str, dict],
                     keys: dict[str, tuple[str, ...]], duplicate_tables: tuple[str, ...],
                     late_columns: dict[str, tuple[str, ...]], window_us: tuple[int, int]) -> Quality:
    """Check the injection flags against the generator's tables; parser.error names what is valid."""
    nulls: dict[str, dict[str, float]] = {}
    for table, column, share in args.inject_nulls:
        if table not in schemas:
            parser.error(f"--inject-nulls {table}.{column}: no table {table!r}; tables: {', '.join(schemas)}")
        if column not in schemas[table]:
            parser.error(f"--inject-nulls {table}.{column}: {table} has no column {column!r}; "
                         f"columns: {', '.join(schemas[table])}")
        if column in keys.get(table, ()):
            allowed = [name for name in schemas[table] if name not in keys[table]]
            parser.error(f"--inject-nulls {table}.{column}: {column} is a key column (primary or foreign key of "
                         f"{table}); a null there breaks integrity, not just completeness. Choose one of: {', '.join(allowed)}")
        if column in nulls.get(table, {}):
            parser.error(f"--inject-nulls {table}.{column} is given twice: give each column once")
        nulls.setdefault(table, {})[column] = share
    if args.duplicate_rate > MAX_DUPLICATE_RATE:
        parser.error(f"--duplicate-rate must be at most {MAX_DUPLICATE_RATE:g} (one copy per original row), got {args.duplicate_rate:g}")
    return Quality(seed=args.seed, nulls=nulls, duplicate_rate=args.duplicate_rate, duplicate_tables=duplicate_tables,
                   late_rate=args.late_rate, late_columns=late_columns, window_us=window_us)


def quality_stream(seed: int, table: str, chunk: int, kind: str) -> np.random.Generator:
    """The random stream of one injection kind in one chunk of one table (crc32: stable across runs)."""
    return np.random.default_rng([seed, QUALITY_SALT, zlib.crc32(table.encode()), chunk, zlib.crc32(kind.encode())])


def late_offsets(rng: np.random.Generator, event_us: np.ndarray, late_rate: float, window_us: tuple[int, int]) -> np.ndarray:
    """Microseconds to add to each row's times: 0 on time; for late rows, what moves the event
    time t to end + gap + (t - start) x span / window length (order kept, never two on one instant)."""
    start, end = window_us
    late = rng.random(len(event_us)) < late_rate
    moved = end + LATE_GAP_DAYS * MICROS_PER_DAY + np.floor(
        (event_us - start) / (end - start) * (LATE_SPAN_DAYS * MICROS_PER_DAY)).astype(np.int64)
    return np.where(late, moved - event_us, 0)


def shift_times(frame: pl.DataFrame, columns: tuple[str, ...], offset_us: np.ndarray) -> pl.DataFrame:
    """Move each row's time columns by its offset: timestamps exactly, dates by whole days up."""
    days = -(-offset_us // MICROS_PER_DAY)
    shifted = []
    for column in columns:
        if frame.schema[column] == pl.Date:
            shifted.append((pl.col(column).cast(pl.Int32) + pl.Series(days, dtype=pl.Int32)).cast(pl.Date).alias(column))
        else:
            shifted.append((pl.col(column) + pl.Series(offset_us).cast(pl.Duration("us"))).alias(column))
    return frame.with_columns(shifted)


def inject_quality(quality: Quality, table: str, chunk: int, make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """One chunk with the configured dirt: late times, then nulls, then duplicate rows."""
    frame = make_chunk()
    record = {"rows": frame.height, "late": 0, "nulls": {}, "duplicates": 0}
    columns = quality.late_columns.get(table)
    if quality.late_rate and columns and frame.height:
        event_us = frame[columns[0]].dt.epoch("us").to_numpy()
        offset = late_offsets(quality_stream(quality.seed, table, chunk, "late"), event_us, quality.late_rate, quality.window_us)
        frame = shift_times(frame, columns, offset)
        record["late"] = int(np.count_nonzero(offset))
    for column, share in quality.nulls.get(table, {}).items():
        hit = quality_stream(quality.seed, table, chunk, f"nulls:{column}").random(frame.height) < share
        frame = frame.with_columns(pl.when(pl.lit(pl.Series(hit))).then(None).otherwise(pl.col(column)).alias(column))
        record["nulls"][column] = int(np.count_nonzero(hit))
    if quality.duplicate_rate and table in quality.duplicate_tables and frame.height:
        rng = quality_stream(quality.seed, table, chunk, "duplicates")
        # Copies d such that d / (n + d) = rate on average: n x rate / (1 - rate), rounded at random.
        expected = frame.height * quality.duplicate_rate / (1 - quality.duplicate_rate)
        copies = int(expected) + int(rng.random() < expected - int(expected))
        order = np.sort(np.concatenate([np.arange(frame.height), rng.integers(0, frame.height, copies)]), kind="stable")
        frame = frame[order]  # each copy right after its original
        record["duplicates"] = copies
    quality.injected.setdefault(table, []).append(record)
    return frame


def with_quality(quality: Quality, table: str, chunks: list[Callable[[], pl.DataFrame]]) -> list[Callable[[], pl.DataFrame]]:
    """The table's chunk producers, each wrapped to inject the configured dirt (unchanged if none)."""
    if not quality.active(table):
        return chunks
    return [partial(inject_quality, quality, table, index, make_chunk) for index, make_chunk in enumerate(chunks)]


def quality_manifest(quality: Quality) -> dict | None:
    """``quality_injections`` for _manifest.json (None when nothing is injected), plus the rows
    each kind touched per table."""
    config: dict = {}
    if quality.nulls:
        config["nulls"] = {f"{table}.{column}": share for table, columns in quality.nulls.items() for column, share in columns.items()}
    if quality.duplicate_rate:
        config["duplicate_rate"] = {table: quality.duplicate_rate for table in quality.duplicate_tables}
    if quality.late_rate:
        config["late_rate"] = {f"{table}.{column}": quality.late_rate
                               for table, columns in quality.late_columns.items() for column in columns}
    if not config:
        return None
    config["injected_rows"] = {
        table: {
            "duplicates": sum(r["duplicates"] for r in records),
            "late": sum(r["late"] for r in records),
            "nulls": {column: sum(r["nulls"].get(column, 0) for r in records) for column in quality.nulls.get(table, {})},
        }
        for table, records in sorted(quality.injected.items())
    }
    return config


def annotate_tables(quality: Quality, tables: dict[str, dict]) -> dict[str, dict]:
    """Add planned_rows and duplicate_rows to the summary of each table that got duplicates."""
    for table, records in quality.injected.items():
        copies = sum(r["duplicates"] for r in records)
        if copies and table in tables:
            tables[table]["planned_rows"] = tables[table]["rows"] - copies
            tables[table]["duplicate_rows"] = copies
    return tables


# The same as scripts/utils/local_output.py's rate (a test keeps the two equal); here so this file
# runs on its own.
def rate(text: str) -> float:
    """argparse type: a share between 0 and 1 (0.05 = 5%)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


# ---------------------------------------------------------------------------------------------
# Unity Catalog bridge for --catalog/--schema (copied verbatim from scripts/utils/uc_bridge.py)
# ---------------------------------------------------------------------------------------------
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


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}


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


# --- copied verbatim from scripts/utils/output.py (tests keep it identical) ---
TOOL = "databricks-data-gen"
MARKER = {"synthetic": "true", "synthetic.generator": TOOL}
SYNTHETIC_NOTE = "Synthetic data generated by databricks-data-gen; not real people or events."


class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""


def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_properties(spark, full_name):
    return {row["key"]: row["value"] for row in spark.sql(f"SHOW TBLPROPERTIES {full_name}").collect()}


def created_by_this_tool(properties):
    return all(properties.get(key) == value for key, value in MARKER.items())


# --- the bridge ---
# Sizes of one createDataFrame call (one Spark Connect message). Local data above the server's
# spark.sql.session.localRelationCacheThreshold (64 MiB by default) is uploaded as an artifact and
# big messages meet gRPC limits (128 MiB), so a table goes over in slices well below both.
ROWS_PER_MESSAGE = 200_000
MAX_MESSAGE_BYTES = 32 * 2**20
UC_MODES = ("error", "overwrite")
TABLE_FORMATS = ("delta", "parquet")  # delta on Databricks; parquet on local Spark (no Delta jars there)
# What to run when this environment cannot reach Databricks: uv layers databricks-connect (which
# pins numpy<2) over the script's own environment; the Tier 1 generators give identical data on
# numpy 1.26 and 2.4 (tested).
UC_COMMAND = 'uv run --python 3.12 --with "databricks-connect>=16.4,<17" {script} {arguments}'


@dataclass
class UnityTarget:
    """Where the tables go, and the session that writes them; checked before anything is generated."""

    spark: object
    catalog: str
    schema: str
    mode: str = "error"
    table_format: str = "delta"
    replace: tuple[str, ...] = ()  # existing tables of this tool that --mode overwrite replaces


def add_unity_catalog_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Unity Catalog (Databricks Connect): also write every table to CATALOG.SCHEMA.<table>")
    group.add_argument("--catalog", help="an existing catalog (spark_catalog on local Spark)")
    group.add_argument("--schema", help="schema in it, created if missing")
    group.add_argument("--mode", choices=UC_MODES, default="error",
                       help="error (default): refuse existing tables; overwrite: replace tables this tool created "
                       "(never others)")
    group.add_argument("--table-format", choices=TABLE_FORMATS, default="delta", help="table format (default delta)")
    group.add_argument("--profile", help="~/.databrickscfg profile (default: DEFAULT auth, serverless)")
    group.add_argument("--remote", metavar="URL", help="a Spark Connect URL instead, e.g. sc://localhost:15002")
    group.add_argument("--local", action="store_true", help="a local pyspark session instead (tries the tables locally)")


def unity_catalog_target(parser: argparse.ArgumentParser, args: argparse.Namespace, tables: list[str], script: str,
                         argv: list[str] | None = None) -> UnityTarget | None:
    """Check the Unity Catalog options and the target before any data is generated.

    None without --catalog. Otherwise opens the session (get_spark), checks that the catalog
    exists (a clear error, never a silent default), creates the schema if missing and refuses
    tables this tool did not create (and, with --mode error, any existing table).
    """
    if args.catalog is None and args.schema is None:
        return None
    if args.catalog is None or args.schema is None:
        parser.error("--catalog and --schema go together: give both")
    for name, kind in ((args.catalog, "catalog"), (args.schema, "schema"), *((table, "table") for table in tables)):
        try:
            check_identifier(name, kind)
        except ValueError as error:
            parser.error(str(error))
    if args.format not in ("parquet", "delta"):
        parser.error(f"--catalog uploads the tables written to --output: use --format parquet or delta, not {args.format}")
    if args.local and (args.remote or args.profile):
        parser.error("--local runs a local Spark: not with --remote or --profile")
    if not os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        def installed(module: str) -> bool:
            try:
                return importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                return False

        remote = args.remote or os.environ.get("SPARK_REMOTE")
        if args.local:
            usable = installed("pyspark")
        elif remote:
            usable = installed("databricks.connect") or installed("pyspark.sql.connect")
        else:
            usable = installed("databricks.connect")
        if not usable:
            try:  # this file's path from here, so the command runs as printed
                script = os.path.relpath(Path(__file__).resolve())
            except NameError:  # pasted into a notebook: the path inside the skill
                pass
            given = shlex.join(argv if argv is not None else sys.argv[1:])
            parser.error("--catalog writes over Databricks Connect, which is not installed in this environment; run:\n  "
                         + UC_COMMAND.format(script=script, arguments=given))
    spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
    if not catalog_exists(spark, args.catalog):
        parser.error(f"catalog {args.catalog!r} does not exist (or you cannot see it): create it (CREATE CATALOG, "
                     f"or scripts/utils/uc_setup.py --create-catalog) or pass an existing one with --catalog")
    try:
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {qualified_name(args.catalog, args.schema)} COMMENT {sql_string(SYNTHETIC_NOTE)}")
    except Exception as error:  # privileges, mostly: Spark's own first line says which
        parser.error(f"cannot create schema {args.catalog}.{args.schema}: {str(error).strip().splitlines()[0]}")
    foreign, ours = [], []
    for table in tables:
        name = qualified_name(args.catalog, args.schema, table)
        if spark.catalog.tableExists(name):
            (ours if created_by_this_tool(table_properties(spark, name)) else foreign).append(table)
    where = f"{args.catalog}.{args.schema}"
    if foreign:
        parser.error(f"in {where}, {', '.join(foreign)} exist and were not created by {TOOL} (no synthetic marker): "
                     "refusing to touch them; choose another --schema, or drop them yourself")
    if ours and args.mode == "error":
        parser.error(f"in {where}, {', '.join(ours)} exist (created by {TOOL} earlier): pass --mode overwrite to "
                     "replace them, or choose another --schema")
    replace = ours
    return UnityTarget(spark, args.catalog, args.schema, args.mode, args.table_format, tuple(replace))


def spark_type_of(dtype: pl.DataType):
    """The Spark type of a Polars column type (CONTRIBUTING.md's contract type mapping)."""
    from pyspark.sql import types as T

    simple = {pl.Int64: T.LongType, pl.Int32: T.IntegerType, pl.Int16: T.ShortType, pl.Int8: T.ByteType,
              pl.Float64: T.DoubleType, pl.Float32: T.FloatType, pl.String: T.StringType,
              pl.Boolean: T.BooleanType, pl.Date: T.DateType}
    if isinstance(dtype, pl.Decimal):
        return T.DecimalType(dtype.precision, dtype.scale)
    if isinstance(dtype, pl.Datetime):
        return T.TimestampType() if dtype.time_zone else T.TimestampNTZType()
    if isinstance(dtype, (pl.List, pl.Array)):
        return T.ArrayType(spark_type_of(dtype.inner))
    for polars_type, spark_type in simple.items():
        if dtype == polars_type:
            return spark_type()
    raise ValueError(f"no Spark type for Polars {dtype}")


def spark_schema_of(schema: dict[str, pl.DataType], comments: dict[str, str] | None = None):
    """A StructType with the contract's column descriptions as column comments (every column
    nullable: --inject-nulls may empty any non-key column)."""
    from pyspark.sql import types as T

    comments = comments or {}
    return T.StructType([
        T.StructField(name, spark_type_of(dtype), True, {"comment": comments[name]} if comments.get(name) else {})
        for name, dtype in schema.items()
    ])


def contract_descriptions(industry: str, table: str) -> tuple[str | None, dict[str, str]]:
    """(table description, {column: description}) from the bundled contract, when this file sits
    in the skill (assets/schemas above it); (None, {}) when pasted elsewhere."""
    try:
        here = Path(__file__).resolve()
    except NameError:  # a notebook cell has no __file__
        return None, {}
    for folder in here.parents:
        for path in sorted((folder / "assets" / "schemas").glob(f"{industry}_*.json")):
            contract = json.loads(path.read_text())
            if contract.get("table") == table:
                return contract.get("description"), {c["name"]: c.get("description", "") for c in contract["columns"]}
    return None, {}


def table_messages(frames: Iterable[pl.DataFrame], rows_per_message: int = ROWS_PER_MESSAGE) -> Iterator[pa.Table]:
    """Arrow slices of at most rows_per_message rows and about MAX_MESSAGE_BYTES each (large
    strings and lists, not views: the Spark Connect clients cast them to the table's types)."""
    for frame in frames:
        for start in range(0, frame.height, rows_per_message):
            part = frame.slice(start, rows_per_message).to_arrow(compat_level=pl.CompatLevel.oldest())
            pieces = max(1, -(-part.nbytes // MAX_MESSAGE_BYTES))
            step = -(-part.num_rows // pieces)
            for offset in range(0, part.num_rows, step):
                yield part.slice(offset, step)


def write_unity_catalog_table(target: UnityTarget, table: str, frames: Iterable[pl.DataFrame],
                              schema: dict[str, pl.DataType], *, comment: str | None = None,
                              comments: dict[str, str] | None = None, properties: dict[str, str] | None = None,
                              rows_per_message: int = ROWS_PER_MESSAGE) -> dict:
    """Write Polars frames to CATALOG.SCHEMA.table over Spark Connect, one Arrow slice per message.

    The first message creates the table with the synthetic marker in its properties (so a table
    this tool created always carries it), the others append; when all are sent the properties get
    ``synthetic.rows`` (a table without it is an interrupted load) and the table its comment. A
    failure drops the partial table. Replacing (``target.replace``) drops the old table first.
    """
    spark, name = target.spark, qualified_name(target.catalog, target.schema, table)
    struct = spark_schema_of(schema, comments)
    marker = {**MARKER, **(properties or {})}
    rows = messages = 0
    try:
        if table in target.replace:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
        for message in table_messages(frames, rows_per_message):
            frame = spark.createDataFrame(message, schema=struct)
            if messages == 0:
                writer = frame.writeTo(name).using(target.table_format)
                for key, value in marker.items():
                    writer = writer.tableProperty(key, value)
                writer.create()
            else:
                frame.write.format(target.table_format).mode("append").saveAsTable(name)
            rows, messages = rows + message.num_rows, messages + 1
        if messages == 0:  # an empty table still gets created, with its columns
            writer = spark.createDataFrame([], schema=struct).writeTo(name).using(target.table_format)
            for key, value in marker.items():
                writer = writer.tableProperty(key, value)
            writer.create()
        spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ({sql_string('synthetic.rows')} = {sql_string(rows)})")
        described = f"{comment} {SYNTHETIC_NOTE}" if comment else SYNTHETIC_NOTE
        spark.sql(f"COMMENT ON TABLE {name} IS {sql_string(described)}")
    except Exception as error:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
            left = "the partial table was dropped"
        except Exception:
            left = f"drop the partial table yourself: DROP TABLE {name}"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OutputError(f"writing {target.catalog}.{target.schema}.{table} failed after {messages} "
                          f"message(s), {rows:,} rows: {first_line}; {left}") from error
    return {"table": f"{target.catalog}.{target.schema}.{table}", "rows": rows, "messages": messages}


def local_table_frames(path: Path, rows_per_message: int = ROWS_PER_MESSAGE) -> Iterator[pl.DataFrame]:
    """A table written by a Tier 1 generator (parquet file or Delta folder), in record batches."""
    if path.is_dir():
        from deltalake import DeltaTable

        batches = DeltaTable(str(path)).to_pyarrow_dataset().to_batches(batch_size=rows_per_message)
    else:
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(batch_size=rows_per_message)
    for batch in batches:
        yield pl.from_arrow(batch)


def publish_to_unity_catalog(target: UnityTarget, directory: Path, tables: dict[str, dict],
                             schemas: dict[str, dict[str, pl.DataType]], industry: str, seed: int, script: str,
                             rows_per_message: int = ROWS_PER_MESSAGE) -> dict:
    """Upload each table a generator just wrote to --output (parents first); returns where each went."""
    published = {}
    for table, written in tables.items():
        comment, comments = contract_descriptions(industry, table)
        frames = local_table_frames(Path(directory) / written["path"], rows_per_message)
        published[table] = write_unity_catalog_table(
            target, table, (frame.cast(schemas[table]) for frame in frames), schemas[table], comment=comment,
            comments=comments, properties={"synthetic.seed": str(seed), "synthetic.source": script},
            rows_per_message=rows_per_message)
        print(f"  {table} -> {published[table]['table']}: {published[table]['rows']:,} rows in "
              f"{published[table]['messages']} message(s)", file=sys.stderr, flush=True)
    return {"catalog": target.catalog, "schema": target.schema, "format": target.table_format, "tables": published}


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    patients: int
    providers: int
    encounters: int
    claims: int

    def rows(self) -> dict[str, int]:
        return {"providers": self.providers, "patients": self.patients, "encounters": self.encounters, "claims": self.claims}


def make_plan(args: argparse.Namespace) -> Plan:
    patients = args.rows
    encounters = args.encounters or max(1, round(patients * ENCOUNTERS_PER_PATIENT))
    return Plan(
        patients=patients,
        providers=args.providers or max(MIN_PROVIDERS, round(patients / PATIENTS_PER_PROVIDER)),
        encounters=encounters,
        claims=args.claims or max(1, round(encounters * CLAIMS_PER_ENCOUNTER)),
    )


def build_parser() -> argparse.ArgumentParser:
    from mimesis.locales import Locale

    parser = argparse.ArgumentParser(
        prog="healthcare.py",
        description=(
            "Generate synthetic healthcare data (providers, patients, encounters, claims) with "
            "Polars + Mimesis. Ratios: encounters = "
            f"{ENCOUNTERS_PER_PATIENT:g} × patients, claims = {CLAIMS_PER_ENCOUNTER:g} × encounters, "
            f"providers = patients / {PATIENTS_PER_PROVIDER} (at least {MIN_PROVIDERS}); every count is exact."
        ),
        epilog="Example: uv run scripts/generators/polars/healthcare.py --rows 10000 --format delta",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_PATIENTS, help=f"patients (default {DEFAULT_PATIENTS:,})")
    parser.add_argument("--providers", type=positive_int, help=f"providers (default patients / {PATIENTS_PER_PROVIDER}, at least {MIN_PROVIDERS})")
    parser.add_argument("--encounters", type=positive_int, help=f"encounters (default {ENCOUNTERS_PER_PATIENT:g} × patients)")
    parser.add_argument("--claims", type=positive_int, help=f"claims (default {CLAIMS_PER_ENCOUNTER:g} × encounters; fewer than encounters leaves some unbilled)")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed; same seed, same data (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY, help="output folder (default output/healthcare)")
    parser.add_argument("--format", choices=FORMATS, default="parquet", help="file format (json = JSON Lines; default parquet)")
    parser.add_argument("--locale", choices=sorted(locale.value for locale in Locale), default="en", metavar="LOCALE", help="Mimesis locale for names and street names (default en); addresses stay US")
    parser.add_argument("--dry-run", action="store_true", help="print the planned rows and estimated size, write nothing")
    add_window_arguments(parser, DEFAULT_START, DEFAULT_END, "encounters (local calendar days)")
    add_seasonality_arguments(parser, "encounter days (scheduled visits stay on weekdays)")
    add_quality_arguments(parser, DUPLICATE_TABLES, LATE_COLUMNS)
    add_unity_catalog_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    plan = make_plan(args)
    rows = plan.rows()
    first, last = window_settings(parser, args)
    if first.year < MIN_WINDOW_YEAR:
        parser.error(f"--start {first}: windows start in {MIN_WINDOW_YEAR} or later (ICD-10-CM codes, the 2007 US daylight time rule)")
    season = season_settings(parser, args, first, last)
    calendar = build_calendar(season)
    epoch_day = calendar.epoch_day
    window_us = (epoch_day * MICROS_PER_DAY, (epoch_day + calendar.days) * MICROS_PER_DAY)
    quality = quality_settings(parser, args, TABLE_SCHEMAS, KEY_COLUMNS, DUPLICATE_TABLES, LATE_COLUMNS, window_us)
    window = season_manifest(season, ["encounters.admit_datetime"])

    if args.dry_run:
        if args.output.exists() and not args.output.is_dir():
            parser.error(f"--output {args.output} is a file, not a folder")
        estimate = {table: {"rows": n, "estimated_bytes": n * BYTES_PER_ROW[args.format][table]} for table, n in rows.items()}
        summary = {
            "dry_run": True,
            "output": str(args.output),
            "seed": args.seed,
            "format": args.format,
            "window": window,
            "tables": estimate,
            "estimated_bytes": sum(t["estimated_bytes"] for t in estimate.values()),
        }
        progress(f"dry run: {sum(rows.values()):,} rows in {len(rows)} tables planned, nothing written")
        if args.catalog:
            summary["unity_catalog"] = [f"{args.catalog}.{args.schema}.{table}" for table in TABLE_SCHEMAS]
        print(json.dumps(summary, indent=2))
        return summary

    target = unity_catalog_target(parser, args, list(TABLE_SCHEMAS), GENERATOR, argv)
    directory = prepare_output_dir(parser, args.output)
    started = time.perf_counter()
    progress(f"healthcare: {', '.join(f'{n:,} {t}' for t, n in rows.items())} → {directory} ({args.format})")
    pools = build_pools(args.locale, args.seed)
    places = us_places()
    systems = make_health_systems(args.seed, health_system_count(plan.providers), pools, places)
    facilities = facility_table(systems)
    workforce = build_workforce(args.seed, plan.providers, systems)
    population = build_population(args.seed, plan.patients, calendar)

    def chunks(make: Callable[..., pl.DataFrame], total: int, **context) -> list[Callable[[], pl.DataFrame]]:
        return [partial(make, start, n, seed=args.seed, **context) for start, n in chunk_bounds(total)]

    jobs = {
        "providers": chunks(make_providers, plan.providers, pools=pools, systems=systems, facilities=facilities),
        "patients": chunks(make_patients, plan.patients, pools=pools, places=places, calendar=calendar),
        "encounters": chunks(make_encounters, plan.encounters, population=population, workforce=workforce,
                             facilities=facilities, calendar=calendar),
        # One claims chunk per encounters chunk: it recomputes that chunk's encounters.
        "claims": chunks(
            make_claims, plan.encounters, encounters=plan.encounters, claims=plan.claims, population=population,
            workforce=workforce, calendar=calendar, quality=quality,
        ),
    }
    tables = {
        table: timed(table, partial(write_table, directory, table, args.format, with_quality(quality, table, producers),
                                    TABLE_SCHEMAS[table]))
        for table, producers in jobs.items()
    }
    annotate_tables(quality, tables)
    injections = quality_manifest(quality)
    arguments = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    write_manifest(
        directory,
        {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": arguments,
            "versions": library_versions(),
            "window": window,
            "bounds": calendar.bounds(),
            **({"quality_injections": injections} if injections else {}),
            "tables": tables,
        },
    )
    summary = {
        "output": str(directory),
        "seed": args.seed,
        "format": args.format,
        "tables": tables,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if injections:
        summary["quality_injections"] = injections
    if target is not None:
        try:
            summary["unity_catalog"] = publish_to_unity_catalog(target, directory, tables, TABLE_SCHEMAS, INDUSTRY,
                                                                args.seed, GENERATOR)
        except OutputError as error:
            parser.exit(1, f"{parser.prog}: error: {error}\n")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
