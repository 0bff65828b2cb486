# Databricks notebook source
# MAGIC %md
# MAGIC # Healthcare synthetic data on Spark (dbldatagen)
# MAGIC
# MAGIC Providers, patients, encounters and claims of a US health system, the same tables and columns
# MAGIC as the Tier 1 generator `scripts/generators/polars/healthcare.py` and the contracts
# MAGIC `assets/schemas/healthcare_*.json`, with the same realism:
# MAGIC
# MAGIC - `providers` (patients / 50, at least 20; `--providers`): NPI with its Luhn check digit computed
# MAGIC   in SQL over "80840" + the first nine digits, specialty shares, credential, home facility of the
# MAGIC   provider's health system.
# MAGIC - `patients` (`--rows`, exact): US age pyramid counted at 2025-01-01, sex, phones 555-01XX, e-mails
# MAGIC   on example.com/.net/.org, city/state/ZIP that agree, payer by age band, synthetic MRN and member id.
# MAGIC - `encounters` (5 x patients; `--encounters`): weighted visit types, Gamma(0.8) frailty x age-band
# MAGIC   visit rate picks the patient (skewed counts), provider whose specialty fits the visit and the
# MAGIC   patient, clinic hours in local time stored as UTC, length of stay Gamma by type, never before birth.
# MAGIC - `claims` (1.5 x encounters; `--claims`): one per encounter plus extras by type, ICD-10-CM code with
# MAGIC   its description, Gamma billed amounts, allowed <= billed and paid <= allowed (Beta shares by
# MAGIC   payer), weighted status, submitted after discharge.
# MAGIC
# MAGIC Everything is SQL (ranges, values/weights, `expr`), so it runs the same in a notebook, over
# MAGIC Databricks Connect and on local Spark; keys are valid by construction and every count is exact.
# MAGIC Tier 3 (the notebook default) differs in one column only: street names per row from Mimesis.
# MAGIC
# MAGIC **In a notebook**: run all; set the widgets (`catalog` + `schema` for Unity Catalog tables, or
# MAGIC `output` for a folder such as `/Volumes/main/demo/files/healthcare`).
# MAGIC
# MAGIC **From a terminal** (never install pyspark and databricks-connect in one environment):
# MAGIC
# MAGIC     # Databricks Connect (serverless, or --profile NAME)
# MAGIC     uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \
# MAGIC         --with jmespath --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/healthcare.py --catalog main --schema demo --rows 10000
# MAGIC     # local Spark
# MAGIC     uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 --with jmespath \
# MAGIC         --with pyparsing --with mimesis==22.2.0 \
# MAGIC         scripts/generators/healthcare.py --local --output output/healthcare_spark

# COMMAND ----------

# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0

# COMMAND ----------

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

try:
    import dbldatagen as dg
    from pyspark.sql import DataFrame, Window
    from pyspark.sql import functions as F
except ImportError:  # reported with the command that installs them when a run needs them
    dg = DataFrame = Window = F = None

INDUSTRY = "healthcare"
GENERATOR = "scripts/generators/healthcare.py"
TABLES = ("providers", "patients", "encounters", "claims")
CONTRACT_FILES = {
    "providers": "healthcare_provider.json",
    "patients": "healthcare_patient.json",
    "encounters": "healthcare_encounter.json",
    "claims": "healthcare_claim.json",
}

# --- Sizes, ratios and ids: the Tier 1 generator's, so both tiers describe the same health system ----
DEFAULT_PATIENTS = 10_000
ENCOUNTERS_PER_PATIENT = 5.0  # US adults average ≈ 4–5 ambulatory visits a year, plus ED/inpatient
CLAIMS_PER_ENCOUNTER = 1.5  # one claim per office visit; facility + several professional claims per stay
PATIENTS_PER_PROVIDER = 50
MIN_PROVIDERS = 20  # so even --rows 1 has a provider in every specialty (16) and some spare

PATIENT_ID_START = 1_000_000
ENCOUNTER_ID_START = 20_000_000
CLAIM_ID_START = 300_000_000

# Rows per partition when --partitions is not given. Only the few dbldatagen-native random columns
# (credential, the null draws of phone and e-mail) use Spark's per-partition rand(seed); every
# other draw hashes a row key, so the partition count is part of the reproducibility contract for
# those columns only.
ROWS_PER_PARTITION = 1_000_000
# Claims get consecutive ids per encounter from running totals over blocks of this many encounters:
# each block is one task of the running-total window, so blocks must be many for the claims after
# it to spread over the cores, and large enough that the block totals (collected) stay few.
CLAIM_BLOCK_ENCOUNTERS = 1 << 16

# Fixed windows, never today's date: encounters fall on 2024 calendar days (local time); ages are
# counted at the day after the window, so a seed means the same ages next year.
WINDOW_START = date(2024, 1, 1)  # a Monday: weekday arithmetic below relies on it
WINDOW_DAYS = 366  # 2024 is a leap year
WINDOW_WEEKDAYS = 262  # 52 whole weeks plus Monday 30 and Tuesday 31 December
AGE_REFERENCE_DATE = date(2025, 1, 1)
EPOCH_DAY_OF_WINDOW = (WINDOW_START - date(1970, 1, 1)).days
REFERENCE_OFFSET = (AGE_REFERENCE_DATE - WINDOW_START).days  # days from window start to reference
DST_START, DST_END = date(2024, 3, 10), date(2024, 11, 3)  # US daylight saving time in 2024
DST_FIRST_DAY = (DST_START - WINDOW_START).days
DST_LAST_DAY = (DST_END - WINDOW_START).days
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000

# --- Patients: age pyramid, sex, payer (Tier 1's tables, see its comments for the sources) --------
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
PAYER_WEIGHTS_BY_AGE_BAND = {
    "0-17": (52, 0, 42, 6),
    "18-44": (66, 2, 18, 14),
    "45-64": (70, 7, 13, 10),
    "65-74": (5, 92, 2, 1),
    "75-84": (3, 95, 2, 0),
    "85+": (2, 96, 2, 0),
}
# Member ids: a made-up plan prefix + 9 digits (real Medicare MBIs never contain the letter Z).
MEMBER_ID_PREFIX = {"Commercial": "ZCM", "Medicare": "ZMR", "Medicaid": "ZMD"}
# (multiplier, increment, modulus) of the affine bijections that turn row numbers into ids, as in
# Tier 1, so row r carries the same MRN, member id and NPI in both tiers.
MRN_SCRAMBLE = (381_966_011, 141_421_357, 1_000_000_000)
MEMBER_ID_SCRAMBLE = (618_033_989, 271_828_183, 1_000_000_000)
NPI_SCRAMBLE = (123_606_797, 48_271_903, 200_000_000)  # NPI bases 100000000..299999999
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: no mail reaches anyone
PHONE_NULL_RATE = 0.02
EMAIL_NULL_RATE = 0.20  # many patients never give a portal e-mail
HOUSE_NUMBER_MAX = 20_000  # log-uniform house numbers 1..19999: many small numbers

# --- Providers: specialties and health systems -----------------------------------------------------
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
FACILITY_SUFFIXES = {
    "hospital": ("General Hospital", "Regional Medical Center", "Memorial Hospital", "Community Hospital"),
    "clinic": ("Medical Group", "Health Center", "Medical Associates", "Physicians"),
    "urgent care": ("Urgent Care", "Express Care", "Walk-In Clinic"),
    "surgery": ("Surgery Center", "Ambulatory Surgery Center"),
    "virtual": ("Virtual Care", "Telehealth"),
}
SETTINGS = tuple(FACILITY_SUFFIXES)
# UTC offset (hours behind UTC) of each state's main time zone; Arizona and Hawaii keep standard time.
UTC_OFFSET_STATES = {
    5: "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
    6: "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
    7: "AZ CO ID MT NM UT WY",
    8: "CA NV OR WA",
    9: "AK",
    10: "HI",
}
NO_DST_STATES = ("AZ", "HI")

# --- Encounters ------------------------------------------------------------------------------------
# weight: share of encounters (%); setting: which facility of the provider's system; weekdays:
# scheduled visits, Monday to Friday only; hours: local (open, close, slot minutes) or None for
# round-the-clock arrivals; los: length of stay in minutes = offset + Gamma(shape, scale);
# extra_claims: relative chance of each claim beyond the first.
ENCOUNTER_TYPES = {
    "outpatient": dict(weight=62, setting="clinic", weekdays=True, hours=(480, 1020, 15), los=(5, 4.0, 6.0), extra_claims=0.15),
    "telehealth": dict(weight=12, setting="virtual", weekdays=True, hours=(480, 1140, 15), los=(5, 3.0, 4.0), extra_claims=0.05),
    "emergency": dict(weight=10, setting="hospital", weekdays=False, hours=None, los=(30, 2.2, 100.0), extra_claims=1.6),
    "urgent care": dict(weight=7, setting="urgent care", weekdays=False, hours=(480, 1260, 5), los=(10, 3.0, 15.0), extra_claims=0.3),
    "inpatient": dict(weight=4, setting="hospital", weekdays=False, hours=None, los=(1440, 1.4, 3700.0), extra_claims=4.0),
    "ambulatory surgery": dict(weight=3, setting="surgery", weekdays=True, hours=(390, 900, 15), los=(60, 4.0, 45.0), extra_claims=2.0),
    "observation": dict(weight=2, setting="hospital", weekdays=False, hours=None, los=(240, 3.0, 400.0), extra_claims=2.0),
}  # fmt: skip
ENCOUNTER_TYPE_NAMES = tuple(ENCOUNTER_TYPES)
HOSPITAL_SETTINGS = ("hospital",)  # where bed-bound diagnoses happen and screenings do not
# ED arrivals by local hour (shape of the CDC NHAMCS hourly curve).
ARRIVAL_HOUR_WEIGHTS = (22, 18, 15, 13, 12, 13, 18, 28, 39, 47, 52, 53, 53, 52, 51, 51, 51, 51, 51, 49, 46, 41, 35, 28)
# Which specialties see each encounter type (relative weights), before the patient's age and sex
# rule some out.
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
}  # fmt: skip

# --- Claims ----------------------------------------------------------------------------------------
# A curated list of common ICD-10-CM codes (public domain, CMS/CDC FY2024 tabular list), code and
# description always paired. CPT descriptions are AMA-licensed and deliberately absent.
# weight: relative frequency; areas: matched against the specialty's areas; sex: "" any, "F"/"M";
# ages: inclusive age range at the visit; setting: "" any, "ambulatory", "hospital".
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
)  # fmt: skip
CLAIM_TYPES = ("institutional", "professional")  # UB-04 facility claim, CMS-1500 clinician claim
# Billed charges in USD, Gamma(shape, scale) by encounter type and claim type.
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
# allowed = billed × Beta(a, b) by payer; plan paid = allowed × Beta(a, b) (coinsurance); the
# patient owes the rest. Whole a, b: drawn exactly as Gamma(a) / (Gamma(a) + Gamma(b)), sums of log-uniforms.
ALLOWED_SHARE_BETA = {"Commercial": (6.0, 6.0), "Medicare": (4.0, 8.0), "Medicaid": (3.0, 9.0), "Self-pay": (8.0, 4.0)}
PLAN_PAID_SHARE_BETA = {"Commercial": (16.0, 4.0), "Medicare": (16.0, 4.0), "Medicaid": (49.0, 1.0), "Self-pay": None}
SUBMISSION_LAG_HOURS = (2.0, 72.0)  # Gamma(shape, scale): claims leave a few days after discharge
ADJUDICATION_LAG_DAYS = (2.5, 6.0)  # Gamma(shape, scale): electronic claims settle in ≈ 2 weeks

# Marsaglia–Tsang draws per Gamma value: each is accepted with probability ≥ 0.95 for shape ≥ 1,
# so all four fail for fewer than 1 in 10^5 rows (those take the distribution's mode-like d).
GAMMA_ATTEMPTS = 4
# The frailty rank table (see frailty_rank_table): points on a grid that is fine where it must be.
FRAILTY_TABLE_POINTS = 512

# Column comments for Unity Catalog when the contracts are not beside the script (a notebook
# imported on its own); with a checkout, the contracts' own descriptions are used.
COLUMN_COMMENTS = {
    "providers": {
        "provider_id": "NPI: 10 digits, Luhn check digit over 80840 + the first nine.",
        "first_name": "Given name.",
        "last_name": "Family name.",
        "name": "first_name and last_name joined by a space.",
        "credential": "MD, DO, NP or PA.",
        "specialty": "Clinical specialty.",
        "department": "Department of the specialty.",
        "facility": "Home facility in the provider's health system.",
        "city": "City of the health system.",
        "state": "Two-letter state of the health system.",
    },
    "patients": {
        "patient_id": "Surrogate key from 1000000.",
        "mrn": "Medical record number MR + 9 digits (synthetic).",
        "first_name": "Given name matching sex.",
        "last_name": "Family name.",
        "name": "first_name and last_name joined by a space.",
        "sex": "Administrative sex F/M.",
        "dob": "Date of birth (ages counted at 2025-01-01).",
        "phone": "US phone in the 555-0100..555-0199 range reserved for fiction.",
        "email": "E-mail on example.com/.net/.org.",
        "street_address": "House number and street.",
        "city": "City; agrees with state and postal_code.",
        "state": "Two-letter state of the city.",
        "postal_code": "Five-digit ZIP inside the city's range.",
        "region": "US Census region of the state.",
        "payer_type": "Primary coverage by age band.",
        "insurance_id": "Synthetic member id; null for Self-pay.",
    },
    "encounters": {
        "encounter_id": "Surrogate key from 20000000.",
        "patient_id": "Patient seen.",
        "provider_id": "Provider's NPI.",
        "encounter_type": "Visit type.",
        "department": "Department of the provider's specialty.",
        "facility": "Facility of the provider's health system for the setting.",
        "admit_datetime": "Start of the visit, UTC.",
        "discharge_datetime": "End of the visit, UTC.",
        "length_of_stay_minutes": "Minutes from admit to discharge.",
    },
    "claims": {
        "claim_id": "Surrogate key from 300000000, grouped by encounter.",
        "encounter_id": "Encounter billed.",
        "patient_id": "The encounter's patient.",
        "claim_type": "institutional (facility) or professional (clinician).",
        "payer_type": "The patient's payer.",
        "icd10_code": "Primary ICD-10-CM diagnosis.",
        "icd10_description": "Description of icd10_code.",
        "billed_amount": "Charges billed, USD.",
        "allowed_amount": "Amount the payer allows; null while pending.",
        "paid_amount": "Amount the plan pays; null while pending.",
        "patient_responsibility": "allowed_amount - paid_amount; null while pending.",
        "claim_status": "paid, denied, pending or appealed.",
        "submitted_datetime": "When the claim was sent, UTC.",
        "adjudicated_date": "Date the payer decided; null while pending.",
    },
}
TABLE_COMMENTS = {
    "providers": "Synthetic clinicians (NPI keyed) of US health systems.",
    "patients": "Synthetic patients (HIPAA-safe, all made up).",
    "encounters": "Synthetic clinical visits in 2024.",
    "claims": "Synthetic insurance claims for the encounters.",
}
# The contracts' column types: every table is cast to these before it is written.
TABLE_TYPES = {
    "providers": {"provider_id": "string", "first_name": "string", "last_name": "string", "name": "string",
                  "credential": "string", "specialty": "string", "department": "string", "facility": "string",
                  "city": "string", "state": "string"},
    "patients": {"patient_id": "bigint", "mrn": "string", "first_name": "string", "last_name": "string",
                 "name": "string", "sex": "string", "dob": "date", "phone": "string", "email": "string",
                 "street_address": "string", "city": "string", "state": "string", "postal_code": "string",
                 "region": "string", "payer_type": "string", "insurance_id": "string"},
    "encounters": {"encounter_id": "bigint", "patient_id": "bigint", "provider_id": "string",
                   "encounter_type": "string", "department": "string", "facility": "string",
                   "admit_datetime": "timestamp", "discharge_datetime": "timestamp",
                   "length_of_stay_minutes": "bigint"},
    "claims": {"claim_id": "bigint", "encounter_id": "bigint", "patient_id": "bigint", "claim_type": "string",
               "payer_type": "string", "icd10_code": "string", "icd10_description": "string",
               "billed_amount": "decimal(12,2)", "allowed_amount": "decimal(12,2)", "paid_amount": "decimal(12,2)",
               "patient_responsibility": "decimal(12,2)", "claim_status": "string",
               "submitted_datetime": "timestamp", "adjudicated_date": "date"},
}  # fmt: skip

# COMMAND ----------

# Bundled US places (the constants copied verbatim from scripts/utils/us_places.py): city, state,
# ZIP range and Census region always come from one row, picked by one shared index.

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


@lru_cache(maxsize=1)
def place_columns() -> dict[str, list]:
    """``US_PLACES`` as parallel lists (one entry per city), passed to Spark as literal arrays, plus
    each city's time zone (hours behind UTC) and whether it observes daylight saving time."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    offset_of = {state: hours for hours, states in UTC_OFFSET_STATES.items() for state in states.split()}
    columns = {"city": [], "state": [], "region": [], "zip_low": [], "zip_span": [], "weight": [],
               "utc_offset": [], "observes_dst": []}  # fmt: skip
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            columns["city"].append(city)
            columns["state"].append(state)
            columns["region"].append(region_of[state])
            columns["zip_low"].append(int(low))
            columns["zip_span"].append(int(low[:3] + high_suffix) - int(low) + 1)
            columns["weight"].append(int(thousands))
            columns["utc_offset"].append(offset_of[state])
            columns["observes_dst"].append(0 if state in NO_DST_STATES else 1)
    return columns


# COMMAND ----------

# Value pools, built once on the driver from Mimesis (the same construction as Tier 1: de-duplicated
# and sorted, since set order depends on PYTHONHASHSEED) and passed to Spark as SQL literals, so
# every column stays pure SQL.

NOT_A_PLACE_NAME = {"Access", "Hospital", "Medical", "Center", "Parking", "Lot", "Loop", "Tunnel", "Ccsf", "Sfgh", "Ggp"}
POOL_DRAWS = 3_000  # public Mimesis calls per pool; covers the en lists (≈ 1,000 names each)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, accents stripped (José → jose)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class Pools:
    first_names: tuple  # female names, then male names
    first_slugs: tuple
    female_first: int
    last_names: tuple  # female forms, then male forms (some locales inflect surnames)
    last_slugs: tuple
    female_last: int
    street_names: tuple
    street_suffixes: tuple
    place_names: tuple  # health-system names come from street names ("Alder", "Bayview")

    @property
    def streets(self) -> tuple:
        # Suffix index cycles through the sorted suffixes: every street gets one, deterministically.
        return tuple(f"{name} {self.street_suffixes[i % len(self.street_suffixes)]}" for i, name in enumerate(self.street_names))


@lru_cache(maxsize=8)
def build_pools(locale: str, seed: int) -> Pools:
    from mimesis import Address, Person
    from mimesis.enums import Gender
    from mimesis.locales import Locale

    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)

    def pool(draw) -> list[str]:
        return sorted({draw().strip() for _ in range(POOL_DRAWS)} - {""})

    female_first = pool(lambda: person.first_name(gender=Gender.FEMALE))
    male_first = pool(lambda: person.first_name(gender=Gender.MALE))
    female_last = pool(lambda: person.last_name(gender=Gender.FEMALE))
    male_last = pool(lambda: person.last_name(gender=Gender.MALE))
    street_names = pool(address.street_name)
    suffixes = pool(address.street_suffix)
    # Some street names are places themselves ("Letterman Hospital Access"): fine for a street,
    # confusing inside a facility name.
    place_names = [n for n in street_names if not (set(n.split()) & NOT_A_PLACE_NAME or any(c.isdigit() for c in n))]
    first, last = female_first + male_first, female_last + male_last
    # Non-Latin names (ja, zh, ru, …) have no ASCII letters: their e-mails use a neutral word.
    return Pools(
        first_names=tuple(first),
        first_slugs=tuple(ascii_slug(n) or "patient" for n in first),
        female_first=len(female_first),
        last_names=tuple(last),
        last_slugs=tuple(ascii_slug(n) or "user" for n in last),
        female_last=len(female_last),
        street_names=tuple(street_names),
        street_suffixes=tuple(suffixes),
        place_names=tuple(place_names or street_names),
    )


# COMMAND ----------

# SQL building blocks. Randomness: every draw hashes a row key with a stream seed (xxhash64, 53
# bits), so a parent's attributes (a patient's birth date, a provider's specialty) are recomputed
# from its key by the very same expression in every table that needs them — no join, no filter —
# and a value never depends on partitioning. dbldatagen's own random columns (credential, the
# phone and e-mail null draws) get their own randomSeed from column_seed.


def sql_number(value) -> str:
    """A SQL literal for a Python number: doubles get the D suffix (a bare 1.5 is a DECIMAL)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, (int, np.integer)):
        return f"{int(value)}L"
    return f"{float(value)!r}D"


# sql_string (a quoted SQL string literal) is the verbatim copy of scripts/utils/output.py in the
# output cell below.


def sql_array(values) -> str:
    return "array(" + ", ".join(sql_string(v) if isinstance(v, str) else sql_number(v) for v in values) + ")"


def pick(values, index_sql: str) -> str:
    """values[index] for a 0-based index expression."""
    return f"element_at({sql_array(values)}, CAST({index_sql} AS INT) + 1)"


def weighted_index(uniform_sql: str, weights) -> str:
    """Category index for a uniform draw: one draw against cumulative shares."""
    total, cumulative, cases = sum(weights), 0, []
    for index, weight in enumerate(weights[:-1]):
        cumulative += weight
        cases.append(f"WHEN {uniform_sql} < {cumulative / total!r}D THEN {index}")
    return f"CASE {' '.join(cases)} ELSE {len(weights) - 1} END"


def alias_table(weights) -> tuple[list[float], list[int]]:
    """Walker/Vose alias table: draw cell k uniformly, keep it with probability prob[k], else take
    alias[k]. One uniform and two array lookups per row for any number of choices (a CASE chain
    over 305 cities would test them one by one). Zero weights are never drawn."""
    n, total = len(weights), float(sum(weights))
    scaled = [w * n / total for w in weights]
    prob, alias = [1.0] * n, list(range(n))
    small = [i for i, s in enumerate(scaled) if s < 1.0]
    large = [i for i, s in enumerate(scaled) if s >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        prob[low], alias[low] = scaled[low], high
        scaled[high] += scaled[low] - 1.0
        (small if scaled[high] < 1.0 else large).append(high)
    return prob, alias


def alias_pick(uniform_sql: str, prob: list[float], alias: list[int], row_sql: str | None = None, width: int | None = None) -> str:
    """Index drawn from an alias table, or from row ``row_sql`` of alias tables of ``width`` choices
    stacked row by row (aliases relative to the row): the uniform's integer part picks the cell,
    its fraction decides between the cell and its alias."""
    width = width or len(prob)
    scaled = f"({uniform_sql} * {width}D)"
    cell = f"CAST(floor({scaled}) AS INT)"
    flat = cell if row_sql is None else f"(CAST({row_sql} AS INT) * {width} + {cell})"
    return (f"IF({scaled} - floor({scaled}) < element_at({sql_array([float(p) for p in prob])}, {flat} + 1), "
            f"{cell}, element_at({sql_array([int(a) for a in alias])}, {flat} + 1))")


def stacked_alias(matrix) -> tuple[list[float], list[int]]:
    """Alias tables of the rows of a (rows × choices) weight matrix, concatenated."""
    prob, alias = [], []
    for weights in matrix:
        row_prob, row_alias = alias_table(list(weights))
        prob.extend(row_prob)
        alias.extend(row_alias)
    return prob, alias


def rank_bounds(total: int, weights) -> list[int]:
    """Cumulative bounds giving each category round(total x share) members, summing to total."""
    cumulative = np.cumsum([0, *weights]) / sum(weights)
    return [int(math.floor(total * c + 0.5)) for c in cumulative]


def rank_case(rank_sql: str, bounds: list[int]) -> str:
    """The category k with bounds[k] <= rank < bounds[k+1]."""
    branches = " ".join(f"WHEN {rank_sql} < {b}L THEN {k}" for k, b in enumerate(bounds[1:-1]))
    return f"(CASE {branches} ELSE {len(bounds) - 2} END)" if branches else "0"


class Draws:
    """The seeded draws of one run, as SQL over row keys."""

    def __init__(self, seed: int):
        self.seed = seed

    def uniform(self, stream: str, *keys: str) -> str:
        """Uniform(0, 1), never 0 or 1: 53 bits of xxhash64 of the keys and the stream's seed."""
        hashed = ", ".join(f"CAST({key} AS BIGINT)" for key in keys)
        return (f"((shiftrightunsigned(xxhash64({hashed}, {column_seed(self.seed, stream)}L), 11) + 0.5D)"
                f" * {2.0**-53!r}D)")

    def below(self, stream: str, count_sql, *keys: str) -> str:
        """A uniform whole number 0 .. count-1 (count may be a SQL expression)."""
        return f"CAST(floor({self.uniform(stream, *keys)} * ({count_sql})) AS BIGINT)"

    def normal(self, stream: str, *keys: str) -> str:
        """Normal(0, 1) by Box–Muller: exact moments, not a rescaled shape."""
        radius = self.uniform(f"{stream}/radius", *keys)
        angle = self.uniform(f"{stream}/angle", *keys)
        return f"(sqrt(-2D * ln({radius})) * cos({2 * math.pi!r}D * {angle}))"

    def gamma(self, name: str, stream: str, key: str, shape_sql: str, scale_sql: str) -> dict[str, str]:
        """Columns ending in ``name`` = Gamma(shape, scale) with the true parameters (shape ≥ 1), by
        Marsaglia–Tsang: z normal, v = (1 + c z)^3, accept d v when ln u < z²/2 + d - d v + d ln v;
        the first of GAMMA_ATTEMPTS accepted candidates is taken. shape/scale may be SQL over
        columns. Each candidate is its own column, so the accept test refers to it by name instead
        of repeating its formula (smaller plans, faster to analyse and compile)."""
        columns = {f"{name}_d": f"({shape_sql}) - {1 / 3!r}D"}
        columns[f"{name}_c"] = f"1D / sqrt(9D * {name}_d)"
        branches = []
        for attempt in range(GAMMA_ATTEMPTS):
            z, v = f"{name}_z{attempt}", f"{name}_v{attempt}"
            columns[z] = self.normal(f"{stream}/z{attempt}", key)
            columns[v] = f"pow(1D + {name}_c * {z}, 3)"
            u = self.uniform(f"{stream}/u{attempt}", key)
            accept = f"1D + {name}_c * {z} > 0D AND ln({u}) < 0.5D * {z} * {z} + {name}_d - {name}_d * {v} + {name}_d * ln({v})"
            branches.append(f"WHEN {accept} THEN {name}_d * {v}")
        columns[name] = f"({scale_sql}) * (CASE {' '.join(branches)} ELSE {name}_d END)"
        return columns

    def gamma_integer_shape(self, stream: str, key: str, shape: int, scale: float) -> str:
        """Gamma with a whole-number shape: minus scale times the sum of shape log-uniforms."""
        logs = " + ".join(f"ln({self.uniform(f'{stream}/{i}', key)})" for i in range(shape))
        return f"(-{float(scale)!r}D * ({logs}))"

    def beta(self, stream: str, key: str, a: int, b: int) -> str:
        """Beta(a, b) for whole a, b, exactly: X / (X + Y) with X, Y Gamma(a), Gamma(b) sums of
        log-uniforms (written out, so Spark compiles it); U^(1/a) when b = 1, 1 - U^(1/b) when a = 1."""
        if b == 1:
            return f"pow({self.uniform(stream, key)}, {1 / a!r}D)"
        if a == 1:
            return f"(1D - pow({self.uniform(stream, key)}, {1 / b!r}D))"
        x = " + ".join(f"ln({self.uniform(f'{stream}/x{i}', key)})" for i in range(a))
        y = " + ".join(f"ln({self.uniform(f'{stream}/y{i}', key)})" for i in range(b))
        return f"(({x}) / ({x} + {y}))"

    def beta_by(self, stream: str, key: str, index_sql: str, parameters) -> str:
        """Beta with the (a, b) of category ``index_sql``; None gives 0 (nothing drawn)."""
        branches = " ".join(f"WHEN {i} THEN {'0D' if ab is None else self.beta(stream, key, int(ab[0]), int(ab[1]))}"
                            for i, ab in enumerate(parameters))
        return f"(CASE {index_sql} {branches} END)"


@dataclass(frozen=True)
class Shuffle:
    """A seeded bijection of 0 .. size-1 as SQL both ways: an affine map, then swap-or-not rounds
    (each pairs x with key - x mod size and swaps the pair when a keyed hash says so; each round is
    its own inverse, so the inverse runs them backwards). Positions from it deal out categories in
    exact shares (age bands, visit types, specialties) to rows at random, and the inverse finds the
    row holding a position without any join."""

    size: int
    multiplier: int
    inverse_multiplier: int
    shift: int
    keys: tuple
    salts: tuple

    ROUNDS = 8

    @classmethod
    def draw(cls, seed: int, name: str, size: int) -> "Shuffle":
        rng = random.Random(column_seed(seed, f"shuffle:{name}"))
        size = max(int(size), 1)
        multiplier = 1
        if size > 2:
            while True:
                multiplier = rng.randrange(size // 4 + 1, 3 * size // 4 + 2)
                if math.gcd(multiplier, size) == 1:
                    break
        keys = tuple(rng.randrange(size) for _ in range(cls.ROUNDS))
        salts = tuple(rng.randrange(1, 2**31) for _ in range(cls.ROUNDS))
        return cls(size, multiplier, pow(multiplier, -1, size) if size > 1 else 0, rng.randrange(size), keys, salts)

    def _product(self, a_sql: str, b: int) -> str:
        # a < size and b < size: the product fits a BIGINT while size² < 2^63.
        if self.size < 3_037_000_000:
            return f"pmod(({a_sql}) * {b}L, {self.size}L)"
        return f"CAST(pmod(CAST({a_sql} AS DECIMAL(38, 0)) * {b}, {self.size}) AS BIGINT)"

    def _rounds(self, backwards: bool) -> str:
        pairs = list(zip(self.keys, self.salts))
        if backwards:
            pairs.reverse()
        return "array(" + ", ".join(f"named_struct('k', {k}L, 's', {s}L)" for k, s in pairs) + ")"

    def _swap(self) -> str:
        partner = f"pmod(r.k - v, {self.size}L)"
        return f"IF((xxhash64(r.s, greatest(v, {partner})) & 1L) = 1L, {partner}, v)"

    def forward(self, x_sql: str) -> str:
        if self.size == 1:
            return "0L"
        start = f"pmod({self._product(f'CAST({x_sql} AS BIGINT)', self.multiplier)} + {self.shift}L, {self.size}L)"
        return f"aggregate({self._rounds(False)}, {start}, (v, r) -> {self._swap()})"

    def backward(self, y_sql: str) -> str:
        if self.size == 1:
            return "0L"
        unswapped = f"aggregate({self._rounds(True)}, CAST({y_sql} AS BIGINT), (v, r) -> {self._swap()})"
        return self._product(f"pmod({unswapped} - {self.shift}L, {self.size}L)", self.inverse_multiplier)


def affine_id_sql(row_sql: str, scramble: tuple) -> str:
    """Tier 1's affine_scramble in SQL: a bijection of 0..modulus-1 for unique synthetic ids."""
    multiplier, increment, modulus = scramble
    return f"pmod(CAST({row_sql} AS BIGINT) * {multiplier}L + {increment}L, {modulus}L)"


def npi_check_digit_sql(base_sql: str) -> str:
    """Luhn check digit of a nine-digit NPI base, computed as the NPI standard defines it: over the
    14-digit number "80840" followed by the base. From the payload's right, digits 1, 3, 5, … are
    doubled (the check digit will sit to their right) and a doubled digit above 9 loses 9. Written
    out digit by digit (no lambda), so Spark compiles it like any arithmetic."""
    payload = f"(80840000000000L + CAST({base_sql} AS BIGINT))"
    terms = []
    for position in range(14):  # 0 = rightmost digit of the payload
        digit = f"(({payload} div {10**position}L) % 10)"
        terms.append(f"(2 * {digit} - 9 * IF({digit} >= 5, 1, 0))" if position % 2 == 0 else digit)
    return f"((10 - ({' + '.join(terms)}) % 10) % 10)"


def npi_sql(row_sql: str) -> str:
    """The NPI of provider row ``row_sql``: Tier 1's nine-digit base (first digit 1 or 2) and its
    Luhn check digit."""
    base = f"(100000000L + {affine_id_sql(row_sql, NPI_SCRAMBLE)})"
    return f"CAST({base} * 10 + {npi_check_digit_sql(base)} AS STRING)"


def new_spec(spark, name: str, rows: int, seed: int, partitions: int):
    """A DataGenerator with partitions always given (over Connect dbldatagen would fall back to 200)
    and hash_fieldname, so any column without its own randomSeed still gets its own stream."""
    return dg.DataGenerator(spark, name=name, rows=rows, partitions=partitions, randomSeed=seed,
                            randomSeedMethod="hash_fieldname")


# COMMAND ----------

# The run's layout: every size, exact quota and table the four tables share, computed once on the
# driver from the seed and the row counts (no Spark needed), so each table recomputes what it needs
# about another table's rows from their keys.

AGE_BAND_DAYS_OLD = tuple(
    (
        max(1, (AGE_REFERENCE_DATE - AGE_REFERENCE_DATE.replace(year=AGE_REFERENCE_DATE.year - low)).days),
        (AGE_REFERENCE_DATE - AGE_REFERENCE_DATE.replace(year=AGE_REFERENCE_DATE.year - high)).days - 1,
    )
    for _, low, high, _, _ in AGE_BANDS
)  # fewest and most days lived before AGE_REFERENCE_DATE in each band (Tier 1's)
PATIENT_GROUPS = ("child", "adult female", "adult male")  # who a specialty may see
ICD10_AGE_BREAKS = tuple(sorted({0} | {c[5] for c in ICD10_CODES} | {c[6] + 1 for c in ICD10_CODES if c[6] < 120}))


def specialty_sees(group: str, sees: str) -> bool:
    return sees == "all" or sees == group or (sees == "adult" and group != "child")


def regularized_lower_gamma(shape: float, x: np.ndarray) -> np.ndarray:
    """P(shape, x) by its power series (x ≤ 60 here, where 400 terms converge)."""
    term = np.ones_like(x)
    total = np.ones_like(x)
    for k in range(1, 400):
        term = term * x / (shape + k)
        total += term
    return np.exp(shape * np.log(x) - x - math.lgamma(shape + 1)) * total


@lru_cache(maxsize=4)
def frailty_rank_table(shape: float = FRAILTY_SHAPE, points: int = FRAILTY_TABLE_POINTS) -> tuple[float, ...]:
    """Where in a band's frailty ranking the patient of a random encounter stands.

    Patients of a band are ranked by frailty (rank fraction q; frailty = Gamma(shape) quantile of q).
    An encounter picks a patient in proportion to frailty, so its patient's frailty F follows the
    size-biased law Gamma(shape + 1) and q = P(shape, F): the encounter's uniform u = P(shape + 1, F)
    gives q = P(shape, P⁻¹(shape + 1, u)), the inverse Lorenz curve of the frailty. Tabulated at
    u = (k / points)^γ with γ = (shape + 1) / shape, where q is nearly linear in k (q ~ u^(1/γ) near
    0), and interpolated linearly in SQL. The result: encounters per patient are Poisson around a
    Gamma(shape) frailty, i.e. negative binomial, exactly as Tier 1 draws them.
    """
    frailty = np.concatenate([np.geomspace(1e-12, 1.0, 40_000), np.linspace(1.0, 60.0, 40_000)[1:]])
    rank = regularized_lower_gamma(shape, frailty)
    visit_share = regularized_lower_gamma(shape + 1.0, frailty)
    gamma_exponent = (shape + 1.0) / shape
    targets = (np.arange(points + 1) / points) ** gamma_exponent
    table = np.interp(targets, visit_share, rank)
    table[0], table[-1] = 0.0, 1.0
    return tuple(float(v) for v in np.maximum.accumulate(table))


@dataclass(frozen=True)
class Layout:
    seed: int
    locale: str
    providers: int
    patients: int
    encounters: int
    claims: int

    # -- sizes and exact quotas --------------------------------------------------------------
    @property
    def systems(self) -> int:
        return max(3, math.ceil(self.providers / PROVIDERS_PER_SYSTEM))

    @property
    def band_bounds(self) -> list[int]:
        return rank_bounds(self.patients, [band[3] for band in AGE_BANDS])

    @property
    def band_sizes(self) -> list[int]:
        bounds = self.band_bounds
        return [bounds[b + 1] - bounds[b] for b in range(len(AGE_BANDS))]

    @property
    def specialty_sizes(self) -> list[int]:
        """Providers per specialty: one each first (so small runs have every specialty, like Tier 1's
        first 16 providers), the rest by share; below 16 providers, the first specialties only."""
        count = len(SPECIALTIES)
        if self.providers < count:
            return [1] * self.providers + [0] * (count - self.providers)
        bounds = rank_bounds(self.providers - count, [row[2] for row in SPECIALTIES])
        return [1 + bounds[s + 1] - bounds[s] for s in range(count)]

    @property
    def specialty_bounds(self) -> list[int]:
        return [int(v) for v in np.cumsum([0, *self.specialty_sizes])]

    @property
    def type_bounds(self) -> list[int]:
        return rank_bounds(self.encounters, [t["weight"] for t in ENCOUNTER_TYPES.values()])

    @property
    def type_sizes(self) -> list[int]:
        bounds = self.type_bounds
        return [bounds[t + 1] - bounds[t] for t in range(len(ENCOUNTER_TYPES))]

    # -- the permutations that deal those quotas to rows -------------------------------------
    @property
    def patient_shuffle(self) -> Shuffle:
        return Shuffle.draw(self.seed, "patients", self.patients)

    @property
    def provider_shuffle(self) -> Shuffle:
        return Shuffle.draw(self.seed, "providers", self.providers)

    @property
    def encounter_shuffle(self) -> Shuffle:
        return Shuffle.draw(self.seed, "encounters", self.encounters)

    @property
    def billing_shuffle(self) -> Shuffle:
        return Shuffle.draw(self.seed, "billed encounters", self.encounters)

    @property
    def system_name_multiplier(self) -> tuple[int, int]:
        """(multiplier, shift) of an affine bijection of the place-name pool: distinct system names
        while the pool lasts, as Tier 1's permutation gives."""
        names = len(build_pools(self.locale, self.seed).place_names)
        rng = random.Random(column_seed(self.seed, "system names"))
        multiplier = 1
        if names > 2:
            while True:
                multiplier = rng.randrange(names // 4 + 1, 3 * names // 4 + 2)
                if math.gcd(multiplier, names) == 1:
                    break
        return multiplier, rng.randrange(names)

    # -- conditional tables ------------------------------------------------------------------
    def specialty_matrix(self) -> np.ndarray:
        """P(specialty | encounter type, patient group), Tier 1's rule: the type's weights over the
        specialties that see the group and have providers; fallbacks keep every row non-empty."""
        count = np.asarray(self.specialty_sizes, dtype=np.float64)
        available = count > 0
        rows = []
        for type_name in ENCOUNTER_TYPE_NAMES:
            for group in PATIENT_GROUPS:
                eligible = np.asarray([specialty_sees(group, row[3]) for row in SPECIALTIES]) & available
                row = np.asarray([ENCOUNTER_SPECIALTY_WEIGHTS[type_name].get(s, 0.0) for s in SPECIALTY_NAMES]) * eligible
                if row.sum() == 0:
                    row = eligible * count
                if row.sum() == 0:
                    row = count.copy()
                rows.append(row)
        return np.asarray(rows)

    @staticmethod
    def diagnosis_matrix() -> np.ndarray:
        """ICD-10 weights for each (specialty, hospital setting?, sex, age bucket), Tier 1's rule:
        codes that share an area with the specialty, suit the setting and fit sex and age; then
        any that suits setting, sex and age; then any that fits sex and age."""
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
        return np.asarray(rows)

    def extra_claim_weights(self) -> list[float]:
        """Extra claims choose a visit type in proportion to its encounters × its extra_claims weight."""
        return [n * t["extra_claims"] for n, t in zip(self.type_sizes, ENCOUNTER_TYPES.values())]


# COMMAND ----------

# Parent attributes as SQL of the parent's row number: the same expression wherever it is needed.


def patient_days_old_sql(draws: Draws, row: str, band: str) -> str:
    """Days lived before 2025-01-01: uniform over the band's birth dates."""
    youngest = pick([d[0] for d in AGE_BAND_DAYS_OLD], band)
    oldest = pick([d[1] for d in AGE_BAND_DAYS_OLD], band)
    return f"({youngest} + {draws.below('patient dob', f'{oldest} - {youngest} + 1', row)})"


def patient_sex_sql(draws: Draws, row: str) -> str:
    return weighted_index(draws.uniform("patient sex", row), SEX_WEIGHTS)


def patient_payer_sql(draws: Draws, row: str, band: str) -> str:
    uniform = draws.uniform("patient payer", row)
    branches = " ".join(f"WHEN {b} THEN {weighted_index(uniform, PAYER_WEIGHTS_BY_AGE_BAND[label])}"
                        for b, (label, *_rest) in enumerate(AGE_BANDS))
    return f"(CASE {band} {branches} END)"


def provider_system_sql(draws: Draws, layout: Layout, row: str) -> str:
    return draws.below("provider system", layout.systems, row)


def system_place_sql(draws: Draws, system: str) -> str:
    prob, alias = alias_table(place_columns()["weight"])
    return alias_pick(draws.uniform("system place", system), prob, alias)


def system_name_sql(draws: Draws, layout: Layout, system: str) -> str:
    names = build_pools(layout.locale, layout.seed).place_names
    if layout.systems <= len(names):
        multiplier, shift = layout.system_name_multiplier
        index = f"pmod(CAST({system} AS BIGINT) * {multiplier}L + {shift}L, {len(names)}L)"
    else:
        index = draws.below("system name", len(names), system)
    return pick(names, index)


def facility_sql(draws: Draws, layout: Layout, system: str, setting: str) -> str:
    """"<system name> <suffix>": each system uses one suffix per setting, fixed by its number, so a
    facility name always means the same place (Tier 1's facility_table)."""
    suffixes = " ".join(f"WHEN {s} THEN {pick(options, f'{system} % {len(options)}')}"
                        for s, options in enumerate(FACILITY_SUFFIXES.values()))
    return f"concat({system_name_sql(draws, layout, system)}, ' ', CASE {setting} {suffixes} END)"


def place_value_sql(column: str, place: str) -> str:
    return pick(place_columns()[column], place)


# COMMAND ----------

# providers: one row per clinician; the provider's row number r (dbldatagen's id) decides everything.


def build_providers(spark, layout: Layout, partitions: int, tier: int = 2) -> DataFrame:
    draws, pools = Draws(layout.seed), build_pools(layout.locale, layout.seed)
    male_first, male_last = len(pools.first_names) - pools.female_first, len(pools.last_names) - pools.female_last
    home_setting = pick([SETTINGS.index(row[4]) for row in SPECIALTIES], "specialty_index")
    spec = (new_spec(spark, "providers", layout.providers, layout.seed, partitions).withIdOutput()
            .withColumn("credential", "string", values=list(CREDENTIALS), weights=list(CREDENTIAL_WEIGHTS),
                        random=True, randomSeed=column_seed(layout.seed, "credential")))  # fmt: skip
    frame = derive(
        spec.build(),
        {
            "position": layout.provider_shuffle.forward("id"),
            "system": provider_system_sql(draws, layout, "id"),
            "female": f"{draws.uniform('provider sex', 'id')} < 0.5D",
            "provider_id": npi_sql("id"),
        },
        {
            "specialty_index": rank_case("position", layout.specialty_bounds),
            "place": system_place_sql(draws, "system"),
            "first_index": f"IF(female, {draws.below('provider first name', pools.female_first, 'id')}, "
                           f"{pools.female_first} + {draws.below('provider first name', male_first, 'id')})",
            "last_index": f"IF(female, {draws.below('provider last name', pools.female_last, 'id')}, "
                          f"{pools.female_last} + {draws.below('provider last name', male_last, 'id')})",
        },
        {
            "first_name": pick(pools.first_names, "first_index"),
            "last_name": pick(pools.last_names, "last_index"),
            "specialty": pick(SPECIALTY_NAMES, "specialty_index"),
            "department": pick(DEPARTMENTS, "specialty_index"),
            "facility": facility_sql(draws, layout, "system", home_setting),
            "city": place_value_sql("city", "place"),
            "state": place_value_sql("state", "place"),
        },
        {"name": "concat_ws(' ', first_name, last_name)"},
    )
    return conform(frame, "providers")


def derive(frame: DataFrame, *stages: dict) -> DataFrame:
    """Add SQL columns in order; a column may use those before it (Spark's lateral column aliases,
    3.4+, so one select — one analysis — however many steps). The stages only group the steps.

    dbldatagen gives the rows, their ids and its own random columns; the derived columns are plain
    Spark SQL too, added after build() because dbldatagen re-parses every expr with pyparsing to
    order its build, which costs seconds for expressions carrying name pools as literal arrays.
    """
    columns = [F.expr(sql).alias(name) for stage in stages for name, sql in stage.items()]
    return frame.select("*", *columns)


# COMMAND ----------

# patients: one row per person; row r = patient_id - 1000000. Its position in a seeded shuffle
# deals the age bands in exact shares; within a band, the position also ranks the patient's
# frailty (see frailty_rank_table), which is how encounters find busy patients without a join.


def area_code_sql(draws: Draws, row: str) -> str:
    """Area code: first digit 2-9, second 0-8 (9 is reserved), never an N11 service code."""
    drawn = f"(200 + {draws.below('patient area code', 800, row)})"
    no_nine = f"IF(({drawn} div 10) % 10 = 9, {drawn} - 10, {drawn})"
    return f"IF({no_nine} % 100 = 11, {no_nine} - 1, {no_nine})"


def build_patients(spark, layout: Layout, partitions: int, tier: int = 2) -> DataFrame:
    draws, pools = Draws(layout.seed), build_pools(layout.locale, layout.seed)
    prob, alias = alias_table(place_columns()["weight"])
    male_first, male_last = len(pools.first_names) - pools.female_first, len(pools.last_names) - pools.female_last
    phone = (f"concat('(', CAST({area_code_sql(draws, 'id')} AS STRING), ') 555-01', "
             f"lpad(CAST({draws.below('patient phone', 100, 'id')} AS STRING), 2, '0'))")
    house = f"CAST(floor(exp({draws.uniform('patient house', 'id')} * {math.log(HOUSE_NUMBER_MAX)!r}D)) AS BIGINT)"
    spec = (new_spec(spark, "patients", layout.patients, layout.seed, partitions).withIdOutput()
            # dbldatagen's percentNulls draws its own rand(randomSeed) per row: independent of the number.
            .withColumn("phone", "string", expr=phone, percentNulls=PHONE_NULL_RATE, randomSeed=column_seed(layout.seed, "phone")))
    if tier == 3:
        spec = spec.withColumn("mimesis_street", "string", text=mimesis_text("address.street_name", seed=layout.seed, locale=layout.locale))
        street = f"concat(CAST({house} AS STRING), ' ', mimesis_street, ' ', " \
                 f"{pick(pools.street_suffixes, draws.below('patient street suffix', len(pools.street_suffixes), 'id'))})"
    else:
        street = f"concat(CAST({house} AS STRING), ' ', {pick(pools.streets, draws.below('patient street', len(pools.streets), 'id'))})"
    email = (f"IF({draws.uniform('patient email given', 'id')} < {EMAIL_NULL_RATE!r}D, NULL, "
             f"concat({pick(pools.first_slugs, 'first_index')}, '.', {pick(pools.last_slugs, 'last_index')}, "
             f"CAST(id + {PATIENT_ID_START} AS STRING), '@', {pick(EMAIL_DOMAINS, draws.below('patient email domain', len(EMAIL_DOMAINS), 'id'))}))")
    prefix = pick([MEMBER_ID_PREFIX.get(p, "") for p in PAYERS], "payer_index")
    postal = (f"lpad(CAST({place_value_sql('zip_low', 'place')} + "
              f"{draws.below('patient postal code', place_value_sql('zip_span', 'place'), 'id')} AS STRING), 5, '0')")
    frame = derive(
        spec.build(),
        {
            "position": layout.patient_shuffle.forward("id"),
            "sex_index": patient_sex_sql(draws, "id"),
            "place": alias_pick(draws.uniform("patient place", "id"), prob, alias),
        },
        {
            "band": rank_case("position", layout.band_bounds),
            "first_index": f"IF(sex_index = 0, {draws.below('patient first name', pools.female_first, 'id')}, "
                           f"{pools.female_first} + {draws.below('patient first name', male_first, 'id')})",
            "last_index": f"IF(sex_index = 0, {draws.below('patient last name', pools.female_last, 'id')}, "
                          f"{pools.female_last} + {draws.below('patient last name', male_last, 'id')})",
        },
        {
            "payer_index": patient_payer_sql(draws, "id", "band"),
            "days_old": patient_days_old_sql(draws, "id", "band"),
        },
        {
            "patient_id": f"id + {PATIENT_ID_START}",
            "mrn": f"concat('MR', lpad(CAST({affine_id_sql('id', MRN_SCRAMBLE)} AS STRING), 9, '0'))",
            "first_name": pick(pools.first_names, "first_index"),
            "last_name": pick(pools.last_names, "last_index"),
            "sex": pick(SEXES, "sex_index"),
            "dob": f"date_sub(DATE'{AGE_REFERENCE_DATE.isoformat()}', CAST(days_old AS INT))",
            "email": email,
            "street_address": street,
            "city": place_value_sql("city", "place"),
            "state": place_value_sql("state", "place"),
            "postal_code": postal,
            "region": place_value_sql("region", "place"),
            "payer_type": pick(PAYERS, "payer_index"),
            "insurance_id": f"IF({prefix} = '', NULL, concat({prefix}, lpad(CAST({affine_id_sql('id', MEMBER_ID_SCRAMBLE)} AS STRING), 9, '0')))",
        },
        {"name": "concat_ws(' ', first_name, last_name)"},
    )
    return conform(frame, "patients")


# COMMAND ----------

# encounters: row e = encounter_id - 20000000. Its position in a seeded shuffle deals the visit
# types in exact shares; the patient comes from an age band drawn by band size × visit rate and a
# frailty rank (inverse Lorenz table), the provider from the specialty drawn for the visit and the
# patient, then one of that specialty's providers uniformly — each found by inverting a shuffle.


def encounter_frame(spark, layout: Layout, partitions: int) -> DataFrame:
    """Every encounter column, with the internal ones (patient row, specialty, age, …) that claims
    need: claims build on this same frame, so they see exactly the encounters written."""
    draws = Draws(layout.seed)
    types = list(ENCOUNTER_TYPES.values())
    band_weights = [n * band[4] for n, band in zip(layout.band_sizes, AGE_BANDS)]
    specialty_prob, specialty_alias = stacked_alias(layout.specialty_matrix())
    table = list(frailty_rank_table())
    steps = [b - a for a, b in zip(table, table[1:])]
    gamma_exponent = (FRAILTY_SHAPE + 1.0) / FRAILTY_SHAPE
    grid = f"({FRAILTY_TABLE_POINTS}D * pow({draws.uniform('encounter frailty', 'id')}, {1 / gamma_exponent!r}D))"
    band_size = pick(layout.band_sizes, "band")
    u_day = draws.uniform("encounter day", "id")
    # 2024-01-01 is a Monday: the k-th weekday is day 7 (k div 5) + k % 5, and 5 (d div 7) + min(d % 7, 5)
    # weekdays precede day d.
    weekday_rank = f"least(weekdays_before + CAST(floor({u_day} * ({WINDOW_WEEKDAYS} - weekdays_before)) AS BIGINT), {WINDOW_WEEKDAYS - 1})"
    scheduled = f"{pick([int(t['weekdays']) for t in types], 'type_index')} = 1 AND weekdays_before < {WINDOW_WEEKDAYS}"
    any_day = f"earliest + CAST(floor({u_day} * ({WINDOW_DAYS} - earliest)) AS BIGINT)"
    local_date = f"date_add(DATE'{WINDOW_START.isoformat()}', CAST(day AS INT))"
    birth_date = f"date_sub(DATE'{AGE_REFERENCE_DATE.isoformat()}', CAST(days_old AS INT))"
    hours = [t["hours"] or (0, 1440, 1) for t in types]
    opens, closes, slot = (pick(list(column), "type_index") for column in zip(*hours))
    slot_minute = f"{opens} + {slot} * {draws.below('encounter slot', f'({closes} - {opens}) div {slot}', 'id')}"
    arrival_minute = (f"{weighted_index(draws.uniform('encounter arrival hour', 'id'), ARRIVAL_HOUR_WEIGHTS)} * 60 + "
                      f"{draws.below('encounter arrival minute', 60, 'id')}")
    round_the_clock = pick([int(t["hours"] is None) for t in types], "type_index")
    # Local → UTC with the facility state's offset, one hour less in daylight saving time. Clocks
    # spring forward at 02:00 on the first day (02:xx is read as standard time) and fall back at
    # 02:00 on the last (01:xx happens twice: the first is meant).
    in_dst = (f"(day > {DST_FIRST_DAY} OR (day = {DST_FIRST_DAY} AND minute >= 180)) AND "
              f"(day < {DST_LAST_DAY} OR (day = {DST_LAST_DAY} AND minute < 120)) AND {place_value_sql('observes_dst', 'place')} = 1")
    los_offset, los_shape, los_scale = (pick([float(v) for v in column], "type_index") for column in zip(*[t["los"] for t in types]))
    setting = pick([SETTINGS.index(t["setting"]) for t in types], "type_index")
    provider_position = (f"{pick(layout.specialty_bounds[:-1], 'specialty_index')} + "
                         f"{draws.below('encounter provider', pick(layout.specialty_sizes, 'specialty_index'), 'id')}")
    spec = new_spec(spark, "encounters", layout.encounters, layout.seed, partitions).withIdOutput()
    return derive(
        spec.build(),
        {
            # Patient: an age band by size × visit rate, then a frailty rank inside the band.
            "position": layout.encounter_shuffle.forward("id"),
            "band": weighted_index(draws.uniform("encounter band", "id"), band_weights),
            "frailty_cell": f"least(CAST(floor({grid}) AS INT), {FRAILTY_TABLE_POINTS - 1})",
            "frailty_fraction": f"{grid} - floor({grid})",
        },
        {
            "type_index": rank_case("position", layout.type_bounds),
            "frailty_rank": f"{pick(table, 'frailty_cell')} + frailty_fraction * {pick(steps, 'frailty_cell')}",
        },
        {"patient_position": f"{pick(layout.band_bounds[:-1], 'band')} + least(CAST(floor(frailty_rank * {band_size}) AS BIGINT), {band_size} - 1)"},
        {"patient_row": layout.patient_shuffle.backward("patient_position")},
        {
            "days_old": patient_days_old_sql(draws, "patient_row", "band"),
            "sex_index": patient_sex_sql(draws, "patient_row"),
            "payer_index": patient_payer_sql(draws, "patient_row", "band"),
        },
        # Local calendar day: uniform over the window from the birth day on, weekdays only for
        # scheduled visits (any day when no weekday is left after the birth).
        {"earliest": f"greatest({REFERENCE_OFFSET}L - days_old, 0L)"},
        {"weekdays_before": "5 * (earliest div 7) + least(earliest % 7, 5)"},
        {"day": f"IF({scheduled}, 7 * ({weekday_rank} div 5) + {weekday_rank} % 5, {any_day})"},
        # Age on that day in completed years, birthdays exact; the group decides who may see them.
        {"age": f"year({local_date}) - year({birth_date}) - IF(month({local_date}) * 32 + day({local_date}) < "
                f"month({birth_date}) * 32 + day({birth_date}), 1, 0)"},
        {"patient_group": "IF(age < 18, 0, IF(sex_index = 0, 1, 2))"},
        # Specialty that fits the visit and the patient, then one of its providers uniformly.
        {"specialty_index": alias_pick(draws.uniform("encounter specialty", "id"), specialty_prob, specialty_alias,
                                       f"type_index * {len(PATIENT_GROUPS)} + patient_group", len(SPECIALTIES))},
        {"provider_row": layout.provider_shuffle.backward(provider_position)},
        {"system": provider_system_sql(draws, layout, "provider_row")},
        {
            "place": system_place_sql(draws, "system"),
            # Local time: clinic slots for scheduled and urgent care, round-the-clock arrivals otherwise.
            "minute": f"IF({round_the_clock} = 1, {arrival_minute}, {slot_minute})",
            **draws.gamma("stay_drawn", "encounter length of stay", "id", los_shape, los_scale),
            "length_of_stay": f"CAST({los_offset} AS BIGINT) + CAST(round(stay_drawn) AS BIGINT)",
        },
        {"utc_offset_hours": f"{place_value_sql('utc_offset', 'place')} - IF({in_dst}, 1, 0)"},
        {"admit_micros": f"({EPOCH_DAY_OF_WINDOW}L + day) * {MICROS_PER_DAY}L + (minute + 60 * utc_offset_hours) * {MICROS_PER_MINUTE}L"},
        {
            "discharge_micros": f"admit_micros + length_of_stay * {MICROS_PER_MINUTE}L",
            "encounter_row": "id",
            "encounter_id": f"id + {ENCOUNTER_ID_START}",
            "patient_id": f"patient_row + {PATIENT_ID_START}",
            "provider_id": npi_sql("provider_row"),
            "encounter_type": pick(ENCOUNTER_TYPE_NAMES, "type_index"),
            "department": pick(DEPARTMENTS, "specialty_index"),
            "facility": facility_sql(draws, layout, "system", setting),
            "admit_datetime": "timestamp_micros(admit_micros)",
            "length_of_stay_minutes": "length_of_stay",
        },
        {"discharge_datetime": "timestamp_micros(discharge_micros)"},
    )


def build_encounters(spark, layout: Layout, partitions: int, tier: int = 2) -> DataFrame:
    return conform(encounter_frame(spark, layout, partitions), "encounters")


# COMMAND ----------

# claims: every encounter has one (or, with fewer claims than encounters, a seeded random subset
# has one each); the other claims pick a visit type by its encounters × extra-claims weight and an
# encounter of that type uniformly (inverting the encounter shuffle), are counted per encounter,
# and each encounter's claims take consecutive ids from running totals.


def extra_claim_counts(spark, layout: Layout, partitions: int) -> DataFrame:
    """(encounter_row, extra_claims) for the encounters that got claims beyond their first."""
    draws = Draws(layout.seed)
    spec = new_spec(spark, "extra_claims", layout.claims - layout.encounters, layout.seed, partitions).withIdOutput()
    position = (f"{pick(layout.type_bounds[:-1], 'type_index')} + "
                f"{draws.below('extra claim encounter', pick(layout.type_sizes, 'type_index'), 'id')}")
    frame = derive(
        spec.build(),
        {"type_index": weighted_index(draws.uniform("extra claim type", "id"), layout.extra_claim_weights())},
        {"encounter_row": layout.encounter_shuffle.backward(position)},
    )
    return frame.groupBy("encounter_row").agg(F.count(F.lit(1)).alias("extra_claims"))


def diagnosis_choices(spark) -> DataFrame:
    """The ICD-10 alias table of each (specialty, setting, sex, age bucket) row: 1,344 small rows
    joined by key (a literal array of 110,208 weights would make an unwieldy SQL text)."""
    rows = []
    for key, weights in enumerate(Layout.diagnosis_matrix()):
        prob, alias = alias_table(list(weights))
        rows.append((key, [float(p) for p in prob], [int(a) for a in alias]))
    return spark.createDataFrame(rows, "diagnosis_row int, diagnosis_prob array<double>, diagnosis_alias array<int>")


def build_claims(spark, layout: Layout, partitions: int, tier: int = 2, encounters: DataFrame | None = None) -> DataFrame:
    """The claims; ``encounters`` is encounter_frame's result when the caller has it already (its
    analysed plan is reused rather than built twice)."""
    draws = Draws(layout.seed)
    if encounters is None:
        encounters = encounter_frame(spark, layout, partitions)
    if layout.claims > layout.encounters:
        counted = (encounters.join(extra_claim_counts(spark, layout, partitions), "encounter_row", "left")
                   .withColumn("claim_count", F.expr("1 + coalesce(extra_claims, 0)")))
    elif layout.claims == layout.encounters:
        counted = encounters.withColumn("claim_count", F.lit(1))
    else:
        counted = encounters.withColumn("claim_count", F.expr(f"IF({layout.billing_shuffle.forward('encounter_row')} < {layout.claims}L, 1, 0)"))
    # Consecutive ids per encounter: block totals (few, collected) give each block's first id, a
    # running total inside the block gives each encounter's.
    counted = counted.withColumn("block", F.expr(f"encounter_row div {CLAIM_BLOCK_ENCOUNTERS}"))
    first_ids = [0]
    if layout.encounters > CLAIM_BLOCK_ENCOUNTERS:  # one block needs no totals (and no extra Spark job)
        totals = {row["block"]: row["claims"] for row in counted.groupBy("block").agg(F.sum("claim_count").alias("claims")).collect()}
        first_ids = [int(v) for v in np.cumsum([0] + [totals.get(b, 0) for b in range(max(totals) + 1)])[:-1]]
    running = Window.partitionBy("block").orderBy("encounter_row").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    claims = (counted
              .withColumn("first_claim_row", F.expr(pick(first_ids, "block")) + F.sum("claim_count").over(running) - F.col("claim_count"))
              .withColumn("sequence", F.explode(F.expr("IF(claim_count > 0, sequence(0, CAST(claim_count AS INT) - 1), array())")))
              .withColumn("claim_row", F.col("first_claim_row") + F.col("sequence")))  # fmt: skip
    types = list(ENCOUNTER_TYPES.values())
    facility_billed = pick([int(t["setting"] in ("hospital", "surgery")) for t in types], "type_index")
    hospital = pick([int(t["setting"] in HOSPITAL_SETTINGS) for t in types], "type_index")
    bucket = rank_case("age", [0, *ICD10_AGE_BREAKS[1:], 10**9])
    shape_scale = [BILLED_GAMMA[name].get(kind, BILLED_GAMMA[name]["professional"]) for name in ENCOUNTER_TYPE_NAMES for kind in CLAIM_TYPES]
    billed_cell = f"type_index * {len(CLAIM_TYPES)} + claim_type"
    billed = draws.gamma("billed_drawn", "claim billed", "claim_row", pick([s for s, _ in shape_scale], billed_cell),
                         pick([s for _, s in shape_scale], billed_cell))
    submission_shape, submission_scale = SUBMISSION_LAG_HOURS
    submission_hours = draws.gamma_integer_shape("claim submission lag", "claim_row", int(submission_shape), submission_scale)
    settle_days = draws.gamma("settle_days", "claim adjudication lag", "claim_row", *(sql_number(v) for v in ADJUDICATION_LAG_DAYS))
    rejected = f"status_index IN ({CLAIM_STATUSES.index('denied')}, {CLAIM_STATUSES.index('appealed')})"
    scaled_code = f"({draws.uniform('claim diagnosis', 'claim_row')} * {len(ICD10_CODES)}D)"
    code_cell = f"CAST(floor({scaled_code}) AS INT)"
    claims = derive(
        claims,
        {
            "claim_type": f"IF(sequence = 0 AND {facility_billed} = 1, 0, 1)",
            "diagnosis_row": f"CAST(((specialty_index * 2 + {hospital}) * {len(SEXES)} + sex_index) * {len(ICD10_AGE_BREAKS)} + {bucket} AS INT)",
            "status_index": weighted_index(draws.uniform("claim status", "claim_row"), CLAIM_STATUS_WEIGHTS),
            "allowed_share": draws.beta_by("claim allowed share", "claim_row", "payer_index", [ALLOWED_SHARE_BETA[p] for p in PAYERS]),
            # Self-pay: no plan, nothing paid.
            "plan_share": draws.beta_by("claim plan share", "claim_row", "payer_index", [PLAN_PAID_SHARE_BETA[p] for p in PAYERS]),
            "submitted_micros": f"discharge_micros + CAST(round({submission_hours} * 60D) AS BIGINT) * {MICROS_PER_MINUTE}L",
        },
        {**billed, **settle_days},
        {"billed_cents": "greatest(CAST(round(billed_drawn * 100D) AS BIGINT), 1L)"},
        {"allowed_drawn": "CAST(round(billed_cents * allowed_share) AS BIGINT)"},
        # Denied (and appealed: denied and contested) claims allow and pay nothing.
        {
            "allowed_cents": f"IF({rejected}, 0L, allowed_drawn)",
            "paid_cents": f"IF({rejected}, 0L, CAST(round(allowed_drawn * plan_share) AS BIGINT))",
            "adjudicated_day": f"submitted_micros div {MICROS_PER_DAY}L + CAST(ceil(settle_days) AS BIGINT)",
        },
    ).join(F.broadcast(diagnosis_choices(spark)), "diagnosis_row", "left")  # every key 0..1343 is there
    claims = derive(claims, {
        "code_index": f"IF({scaled_code} - floor({scaled_code}) < element_at(diagnosis_prob, {code_cell} + 1), "
                      f"{code_cell}, element_at(diagnosis_alias, {code_cell} + 1))"})

    def dollars(cents: str) -> str:
        return f"CAST(CAST({cents} AS DECIMAL(18, 0)) / 100 AS DECIMAL(12, 2))"

    # Pending claims are not adjudicated yet: no allowed, paid or settlement date.
    settled = f"status_index != {CLAIM_STATUSES.index('pending')}"
    frame = derive(claims, {
        "claim_id": f"{CLAIM_ID_START}L + claim_row",
        "claim_type_name": pick(CLAIM_TYPES, "claim_type"),
        "payer_type": pick(PAYERS, "payer_index"),
        "icd10_code": pick([c[0] for c in ICD10_CODES], "code_index"),
        "icd10_description": pick([c[1] for c in ICD10_CODES], "code_index"),
        "billed_amount": dollars("billed_cents"),
        "allowed_amount": f"IF({settled}, {dollars('allowed_cents')}, NULL)",
        "paid_amount": f"IF({settled}, {dollars('paid_cents')}, NULL)",
        "patient_responsibility": f"IF({settled}, {dollars('allowed_cents - paid_cents')}, NULL)",
        "claim_status": pick(CLAIM_STATUSES, "status_index"),
        "submitted_datetime": "timestamp_micros(submitted_micros)",
        "adjudicated_date": f"IF({settled}, date_add(DATE'1970-01-01', CAST(adjudicated_day AS INT)), NULL)",
    })
    return conform(frame.drop("claim_type").withColumnRenamed("claim_type_name", "claim_type"), "claims")


def conform(frame: DataFrame, table: str) -> DataFrame:
    """The contract's columns, in its order, cast to its types."""
    return frame.select(*(F.col(column).cast(sql_type).alias(column) for column, sql_type in TABLE_TYPES[table].items()))


# COMMAND ----------

# Tier 3 (notebooks): street names per row from Mimesis through dbldatagen's PyfuncText (a pandas
# UDF: not Connect-safe, needs Mimesis on the workers). mimesis_text, _row_seed, _provider_class and
# SAFE_DEFAULTS are verbatim copies of scripts/utils/mimesis_text.py.

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


# COMMAND ----------

# Session selection and column seeds: verbatim copies of scripts/utils/spark_session.py.

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


# COMMAND ----------

# Output: Unity Catalog tables (marked synthetic, commented from the contracts) or a folder of part
# files per table plus _manifest.json, the Tier 1 layout the validator reads. Copied verbatim from
# the manufacturing Spark generator (no shared scripts/utils/output.py exists yet).

FORMATS = ("parquet", "delta", "csv", "json")

# Unity Catalog writer: verbatim copies of scripts/utils/output.py (and catalog_exists of
# scripts/utils/uc_setup.py): checked three-level names, the contract's columns and comments,
# the synthetic marker, and never a table this tool did not create.

TOOL = "databricks-data-gen"
MARKER = {"synthetic": "true", "synthetic.generator": TOOL}
MODES = ("error", "overwrite", "append")
LAYERS = ("bronze", "silver", "gold")
SYNTHETIC_NOTE = "Synthetic data generated by databricks-data-gen; not real people or events."

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


class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""


def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def contract_mismatches(df, contract):
    """Differences between the frame's columns and the contract's (names, order-insensitive, and types)."""
    wanted = {column["name"]: column["type"].replace(" ", "").lower() for column in contract["columns"]}
    actual = {field.name: field.dataType.simpleString().lower() for field in df.schema.fields}
    problems = [f"missing column {name}" for name in wanted if name not in actual]
    problems += [f"unexpected column {name}" for name in actual if name not in wanted]
    problems += [f"column {name} is {actual[name]}, contract says {wanted[name]}"
                 for name in wanted if name in actual and actual[name] != wanted[name]]
    return problems


def table_properties(spark, full_name):
    return {row["key"]: row["value"] for row in spark.sql(f"SHOW TBLPROPERTIES {full_name}").collect()}


def created_by_this_tool(properties):
    return all(properties.get(key) == value for key, value in MARKER.items())


def write_table(df, catalog, schema, table, mode="error", fmt="delta", contract=None, comment=None,
                seed=None, require_contract_columns=True):
    """Write ``df`` as ``catalog.schema.table`` with comments and the synthetic marker (see module doc)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    full_name = qualified_name(catalog, schema, table)
    if contract is not None and require_contract_columns:
        problems = contract_mismatches(df, contract)
        if problems:
            raise OutputError(f"{full_name} does not match its contract: " + "; ".join(problems))
    spark = df.sparkSession
    exists = spark.catalog.tableExists(full_name)
    if exists:
        if not created_by_this_tool(table_properties(spark, full_name)):
            raise OutputError(f"{full_name} exists and was not created by {TOOL} (no synthetic marker): "
                              f"refusing to touch it; write to another schema or table, or drop it yourself")
        if mode == "error":
            raise OutputError(f"{full_name} exists (created by {TOOL}): pass --mode overwrite to replace it "
                              f"or --mode append to add to it")
    # "error", not "errorifexists": the Spark Connect client accepts only the short spelling.
    writer = df.write.format(fmt).mode(mode)
    if fmt == "delta" and mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    writer.saveAsTable(full_name)

    properties = dict(MARKER)
    if seed is not None:
        properties["synthetic.seed"] = str(seed)
    assignments = ", ".join(f"{sql_string(key)} = {sql_string(value)}" for key, value in properties.items())
    spark.sql(f"ALTER TABLE {full_name} SET TBLPROPERTIES ({assignments})")
    description = comment or (contract or {}).get("description")
    table_comment = f"{description} {SYNTHETIC_NOTE}" if description else SYNTHETIC_NOTE
    spark.sql(f"COMMENT ON TABLE {full_name} IS {sql_string(table_comment)}")
    present = set(df.columns)
    for column in (contract or {}).get("columns", []):
        if column["name"] in present and column.get("description"):
            spark.sql(f"ALTER TABLE {full_name} ALTER COLUMN {quote_identifier(column['name'], 'column')} "
                      f"COMMENT {sql_string(column['description'])}")
    return {"table": f"{catalog}.{schema}.{table}", "mode": mode, "format": fmt}


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}


def table_contract(table: str) -> dict:
    """The table's contract when the skill's assets are beside the script (a checkout), else the
    same shape from the copies here (a notebook imported on its own): names, types, descriptions."""
    try:
        path = Path(__file__).resolve().parents[2] / "assets" / "schemas" / CONTRACT_FILES[table]
    except NameError:  # notebooks have no __file__
        path = None
    if path is not None and path.is_file():
        return json.loads(path.read_text())
    return {"table": table, "description": TABLE_COMMENTS[table],
            "columns": [{"name": name, "type": kind, "description": COLUMN_COMMENTS[table][name]}
                        for name, kind in TABLE_TYPES[table].items()]}


def check_catalog_destination(spark, catalog: str, schema: str, tables, mode: str) -> None:
    """Refuse before anything is written: a missing catalog, any existing table this tool did not
    create, any existing table at all unless --mode overwrite. Creates the schema if needed."""
    if not catalog_exists(spark, catalog):
        raise OutputError(f"catalog {catalog!r} does not exist (or you cannot use it): create it first "
                          f"(CREATE CATALOG {quote_identifier(catalog, 'catalog')}) or pass another --catalog")
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {qualified_name(catalog, schema)}")
    refused = []
    for table in tables:
        name = qualified_name(catalog, schema, table)
        if not spark.catalog.tableExists(name):
            continue
        if not created_by_this_tool(table_properties(spark, name)):
            refused.append(f"{name} exists and was not created by {TOOL} (no synthetic marker): it is never "
                           "replaced; drop it yourself or pass another --schema")
        elif mode != "overwrite":
            refused.append(f"{name} already exists (created by {TOOL}): pass --mode overwrite to replace it")
    if refused:
        raise OutputError("; ".join(refused))


def local_path(directory: str) -> Path | None:
    """The folder as this process sees it, or None when only the Spark server can (a remote
    session writing to /Volumes/... from a laptop)."""
    path = Path(directory)
    if path.exists() or path.parent.exists():
        return path
    return None


def folder_bytes(path: Path) -> int:
    """Every file under the folder: the rule the validator checks the manifest's bytes with."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def check_folder_destination(directory: str, tables, mode: str) -> None:
    """Refuse before anything is written: a file in the way, an existing table folder in error mode,
    or, in overwrite mode, folders that no run of this generator wrote (no manifest naming it)."""
    path = local_path(directory)
    if path is None:
        return  # only the server sees it: Spark's own error mode refuses an existing folder
    if path.exists() and not path.is_dir():
        raise OutputError(f"--output {directory} is a file, not a folder")
    existing = [table for table in tables if (path / table).exists()]
    if not existing:
        return
    if mode == "error":
        raise OutputError(f"{', '.join(existing)} already exist in {directory}: pass --mode overwrite to replace "
                            "them (only folders this generator wrote), or another --output")
    try:
        manifest = json.loads((path / "_manifest.json").read_text())
    except (OSError, ValueError):
        manifest = {}
    if manifest.get("generator") != GENERATOR:
        raise OutputError(f"{', '.join(existing)} in {directory} were not written by {GENERATOR} (no _manifest.json "
                            "naming it): not replaced; remove them yourself or pass another --output")


def write_folder_table(frame: DataFrame, directory: str, table: str, fmt: str, mode: str) -> dict:
    writer = frame.write.format(fmt).mode("overwrite" if mode == "overwrite" else "error")
    if fmt == "parquet":
        writer = writer.option("compression", "zstd")
    elif fmt == "csv":
        # Offsets on timestamps: "timestamp" means a UTC instant, and the validator insists on it.
        writer = writer.option("header", "true").option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
    target = f"{directory.rstrip('/')}/{table}"
    writer.save(target)
    info = {"path": table}
    path = local_path(directory)
    if path is not None and (path / table).is_dir():
        info["bytes"] = folder_bytes(path / table)
    return info


def write_manifest(directory: str, manifest: dict) -> str | None:
    """DIR/_manifest.json, written last and atomically; through the Databricks SDK when only the
    workspace sees the folder (a Unity Catalog volume written over Databricks Connect)."""
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    path = local_path(directory)
    if path is not None:
        final = path / "_manifest.json"
        temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        temporary.write_text(text)
        os.replace(temporary, final)
        return str(final)
    if directory.startswith("/Volumes/"):
        import io

        from databricks.sdk import WorkspaceClient

        target = f"{directory.rstrip('/')}/_manifest.json"
        WorkspaceClient().files.upload(target, io.BytesIO(text.encode()), overwrite=True)
        return target
    progress(f"note: {directory} is not visible from this machine; _manifest.json not written")
    return None


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


# COMMAND ----------

# Command line (and notebook widgets), plan, run.


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


def locale_name(text: str) -> str:
    """argparse type: a Mimesis locale code such as en, de, pt-br."""
    try:
        from mimesis import Locale
    except ImportError:
        raise argparse.ArgumentTypeError("the name pools need Mimesis: add --with mimesis==22.2.0 to the uv "
                                         "command (in a notebook: %pip install mimesis==22.2.0)") from None
    known = sorted(locale.value for locale in Locale)
    if text.lower() not in known:
        raise argparse.ArgumentTypeError(f"unknown locale {text!r}; Mimesis knows {', '.join(known)}")
    return text.lower()


def in_notebook() -> bool:
    return bool(os.environ.get("DATABRICKS_RUNTIME_VERSION")) and globals().get("dbutils") is not None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="healthcare.py",
        description=(
            "Generate synthetic healthcare data (providers, patients, encounters, claims) on Spark with "
            "dbldatagen, into Unity Catalog (--catalog/--schema) or a folder (--output). Ratios: encounters = "
            f"{ENCOUNTERS_PER_PATIENT:g} × patients, claims = {CLAIMS_PER_ENCOUNTER:g} × encounters, "
            f"providers = patients / {PATIENTS_PER_PROVIDER} (at least {MIN_PROVIDERS}); every count is exact."
        ),
        epilog="The same --seed and sizes give the same data (and the same --partitions for the credential "
        "and the phone and e-mail null draws, which use Spark's per-partition rand).",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_PATIENTS, help=f"patients (default {DEFAULT_PATIENTS:,})")
    parser.add_argument("--providers", type=positive_int, help=f"providers (default patients / {PATIENTS_PER_PROVIDER}, at least {MIN_PROVIDERS})")
    parser.add_argument("--encounters", type=positive_int, help=f"encounters (default {ENCOUNTERS_PER_PATIENT:g} × patients)")
    parser.add_argument("--claims", type=positive_int,
                        help=f"claims (default {CLAIMS_PER_ENCOUNTER:g} × encounters; fewer than encounters leaves some unbilled)")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed; same seed, same data (default 42)")
    parser.add_argument("--locale", type=locale_name, default="en",
                        help="Mimesis locale for names and street names (default en); addresses stay US")
    parser.add_argument("--catalog", help="Unity Catalog catalog to write tables into (must exist); needs --schema")
    parser.add_argument("--schema", help="schema inside --catalog (created if missing)")
    parser.add_argument("--output", metavar="DIR",
                        help="folder to write DIR/<table>/ part files and DIR/_manifest.json into "
                        "(local path, or /Volumes/... on Databricks)")
    parser.add_argument("--format", choices=FORMATS,
                        help="table format: delta (default for --catalog), parquet (default for --output), csv, json")
    parser.add_argument("--mode", choices=("error", "overwrite"), default="error",
                        help="error (default): refuse existing tables; overwrite: replace tables this generator made")
    parser.add_argument("--tier", type=int, choices=(2, 3),
                        help="2 = Connect-safe SQL only (default outside a notebook); 3 = notebook (default there): "
                        "also street names per row from Mimesis (a pandas UDF)")
    parser.add_argument("--partitions", type=positive_int,
                        help=f"Spark partitions per table, at most (default: one per {ROWS_PER_PARTITION:,} rows of the table)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="generate on a local pyspark session")
    where.add_argument("--remote", metavar="URL", help="Spark Connect URL, e.g. sc://localhost:15002")
    parser.add_argument("--profile", help="Databricks config profile (default: DEFAULT auth, serverless)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (rows, partitions, target), start no Spark")
    return parser  # fmt: skip


# Widgets a notebook shows, by argparse destination; flags become true/false dropdowns.
NOTEBOOK_WIDGETS = ("rows", "providers", "encounters", "claims", "seed", "locale", "catalog", "schema", "output",
                    "format", "mode", "tier", "partitions", "dry_run")


def widget_arguments(parser: argparse.ArgumentParser, dbutils) -> list[str]:
    """The notebook's widgets (created with the command line's names and defaults) as arguments."""
    actions = {action.dest: action for action in parser._actions}
    argv = []
    for name in NOTEBOOK_WIDGETS:
        action = actions[name]
        flag = action.option_strings[-1]
        if action.nargs == 0:
            dbutils.widgets.dropdown(name, "false", ["false", "true"])
            if dbutils.widgets.get(name) == "true":
                argv.append(flag)
            continue
        default = "3" if name == "tier" else "" if action.default is None else str(action.default)
        dbutils.widgets.text(name, default)
        value = dbutils.widgets.get(name).strip()
        if value:
            argv += [flag, value]
    return argv


def parse_arguments(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    if argv is None and in_notebook():
        argv = widget_arguments(parser, globals()["dbutils"])
    elif argv is None and "ipykernel" in sys.modules:
        argv = []  # a Jupyter kernel's own argv (-f kernel.json) is not ours: call main([...]) instead
    args = parser.parse_args(argv)
    if args.tier is None:
        args.tier = 3 if in_notebook() else 2
    if (args.catalog is None) != (args.schema is None):
        parser.error("--catalog and --schema go together: pass both (tables go to catalog.schema.<table>)")
    if args.catalog is None and args.output is None:
        parser.error("say where the tables go: --catalog C --schema S (Unity Catalog) or --output DIR (a folder)")
    if args.catalog is not None and args.output is not None:
        parser.error("pass either --catalog/--schema or --output, not both")
    if args.profile and (args.local or args.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    if args.format is None:
        args.format = "delta" if args.catalog else "parquet"
    for kind in ("catalog", "schema"):
        if getattr(args, kind) is not None:
            try:
                check_identifier(getattr(args, kind), kind)
            except ValueError as error:
                parser.error(str(error))
    if args.rows > 1_000_000_000:
        parser.error("--rows above 1,000,000,000: MRNs and member ids have nine digits, so they would repeat")
    if (args.providers or 0) > 200_000_000:
        parser.error("--providers above 200,000,000: NPIs have a nine-digit base, so they would repeat")
    return parser, args


def plan_layout(args: argparse.Namespace) -> Layout:
    patients = args.rows
    encounters = args.encounters or max(1, round(patients * ENCOUNTERS_PER_PATIENT))
    return Layout(
        seed=args.seed,
        locale=args.locale,
        providers=args.providers or max(MIN_PROVIDERS, round(patients / PATIENTS_PER_PROVIDER)),
        patients=patients,
        encounters=encounters,
        claims=args.claims or max(1, round(encounters * CLAIMS_PER_ENCOUNTER)),
    )


def table_rows(layout: Layout) -> dict[str, int]:
    return {"providers": layout.providers, "patients": layout.patients, "encounters": layout.encounters, "claims": layout.claims}


def table_partitions(layout: Layout, requested: int | None) -> dict[str, int]:
    """One partition per ROWS_PER_PARTITION rows of each table (at most --partitions): no hundred
    tiny files for a small table, enough tasks for a big one."""
    return {table: max(1, min(requested or 10_000, -(-rows // ROWS_PER_PARTITION))) for table, rows in table_rows(layout).items()}


BUILDERS = {"providers": build_providers, "patients": build_patients, "encounters": build_encounters, "claims": build_claims}


def build_tables(spark, layout: Layout, partitions: dict[str, int], tier: int = 2) -> dict:
    """The four DataFrames, parents first (lazy: nothing runs until they are written). Claims
    build on the very frame the encounters table is cut from."""
    encounters = encounter_frame(spark, layout, partitions["encounters"])
    return {
        "providers": build_providers(spark, layout, partitions["providers"], tier),
        "patients": build_patients(spark, layout, partitions["patients"], tier),
        "encounters": conform(encounters, "encounters"),
        "claims": build_claims(spark, layout, partitions["claims"], tier, encounters),
    }


def library_versions(spark) -> dict[str, str]:
    """Versions that decide the values a seed produces (Spark's hash and rand, dbldatagen, Mimesis)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0], "spark": spark.version}
    for package in ("dbldatagen", "mimesis", "pyspark", "databricks-connect"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def generate(spark, args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> dict:
    """Check the destination, build and write every table (parents first), return the summary."""
    started = time.perf_counter()
    layout = plan_layout(args)
    rows = table_rows(layout)
    partitions = table_partitions(layout, args.partitions)
    destination = f"{args.catalog}.{args.schema}" if args.catalog else args.output
    try:
        if args.catalog:
            check_catalog_destination(spark, args.catalog, args.schema, TABLES, args.mode)
        else:
            check_folder_destination(args.output, TABLES, args.mode)
    except OutputError as refused:
        if parser is None:
            raise
        parser.error(str(refused))
    progress(f"healthcare: {', '.join(f'{n:,} {t}' for t, n in rows.items())} -> {destination} "
             f"({args.format}, tier {args.tier})")
    frames = build_tables(spark, layout, partitions, args.tier)
    tables = {}
    for table, frame in frames.items():
        table_started = time.perf_counter()
        if args.catalog:
            written = write_table(frame, args.catalog, args.schema, table, mode=args.mode, fmt=args.format,
                                  contract=table_contract(table), seed=args.seed)
            info = {"target": written["table"]}
        else:
            info = write_folder_table(frame, args.output, table, args.format, args.mode)
            info["target"] = f"{args.output.rstrip('/')}/{table}"
        info = {"rows": rows[table], **info, "seconds": round(time.perf_counter() - table_started, 3)}
        tables[table] = info
        progress(f"  {table}: {info['rows']:,} rows in {info['seconds']:.2f}s")
    if args.output:
        write_manifest(args.output, {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": vars(args),
            "partitions": partitions,
            "versions": library_versions(spark),
            "tables": {table: {k: v for k, v in info.items() if k != "target"} for table, info in tables.items()},
        })  # fmt: skip
    return {
        "destination": destination,
        "seed": args.seed,
        "format": args.format,
        "tier": args.tier,
        "tables": tables,
        "targets": {table: info["target"] for table, info in tables.items()},
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser, args = parse_arguments(argv)
    layout = plan_layout(args)
    if args.dry_run:
        partitions = table_partitions(layout, args.partitions)
        summary = {
            "dry_run": True,
            "destination": f"{args.catalog}.{args.schema}" if args.catalog else args.output,
            "format": args.format,
            "seed": args.seed,
            "tier": args.tier,
            "tables": {t: {"rows": n, "partitions": partitions[t]} for t, n in table_rows(layout).items()},
        }
        progress(f"dry run: {sum(table_rows(layout).values()):,} rows in {len(TABLES)} tables planned, nothing written")
        print(json.dumps(summary, indent=2))
        return summary
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "healthcare.py"
    if dg is None:
        command = LOCAL_COMMAND if args.local else CONNECT_COMMAND
        parser.error(f"dbldatagen and pyspark (or databricks-connect) are needed; run: {command.format(script=script)}")
    spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
    summary = generate(spark, args, parser)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
