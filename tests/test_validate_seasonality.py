"""validate.py --summary measures a run's configured seasonality on the data.

Generated runs with fixed seeds (retail, financial, healthcare) must show the configured campaign
multiplier (within 0.15) and the peak months' share (within 0.02 of the expectation the validator
reports); synthetic day counts pin down the arithmetic (trend, closed days, medians, a closure).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, load_script

validate = load_script("utils/validate.py")
SCRIPT = REPO / "scripts" / "utils" / "validate.py"
LIFT_TOLERANCE = 0.15  # absolute, on the multiplier
SHARE_TOLERANCE = 0.02  # absolute, on a share of events


def generate(industry: str, directory: Path, *options: str) -> Path:
    load_script(f"generators/polars/{industry}.py").main(["--output", str(directory), *options])
    return directory


def summary(directory: Path):
    result = validate.validate_directory(directory, summary=True)
    assert result.ok, [str(f) for f in result.errors]
    return result


def assert_lift(campaign: dict, multiplier: float, *, sized: bool = True) -> None:
    assert campaign["multiplier"] == multiplier
    assert abs(campaign["lift"] - multiplier) <= LIFT_TOLERANCE, campaign
    assert abs(campaign["lift"] - multiplier) <= 4 * campaign["standard_error"], campaign
    if sized:  # the run is big enough for the tolerance to mean something: three standard errors fit in it
        assert 3 * campaign["standard_error"] <= LIFT_TOLERANCE, campaign
    assert campaign["matches"], campaign


def assert_peak(measured: dict, months: list[str]) -> None:
    peak = measured["peak"]
    assert peak["months"] == months
    assert abs(peak["share"] - peak["expected"]) <= SHARE_TOLERANCE, peak
    assert peak["matches"], peak
    assert sum(m["share"] for m in measured["months"].values()) == pytest.approx(1, abs=1e-3)
    assert sum(m["expected"] for m in measured["months"].values()) == pytest.approx(1, abs=1e-3)


@pytest.fixture(scope="module")
def retail_run(tmp_path_factory) -> Path:
    # Black Friday to Cyber Monday at 3x on top of the retail preset (200,000 transactions).
    return generate("retail", tmp_path_factory.mktemp("retail_bf"), "--rows", "20000", "--seed", "11",
                    "--seasonality", "retail", "--campaign", "bf=2024-11-29:2024-12-02:3")


def test_retail_black_friday_lift_and_holiday_share(retail_run):
    block = summary(retail_run).seasonality
    assert block["preset"] == "retail" and list(block["columns"]) == ["transactions.timestamp"]
    measured = block["columns"]["transactions.timestamp"]
    assert measured["events"] == 200_000 and measured["days"] == 366 and measured["closed_days"] == 0
    (campaign,) = measured["campaigns"]
    assert campaign["name"] == "bf" and campaign["days"] == 4
    assert campaign["reference"] == "days without a campaign, Oct-Dec 2024"  # its months and the one before
    assert_lift(campaign, 3.0)  # measured 2.98 ± 0.03 (eight seeds: 2.96-3.04)
    assert_peak(measured, ["Nov", "Dec"])  # measured 0.264, expected 0.264 (weights alone 0.245)
    # Customers who sign up during the year raise later volume: the fitted trend accounts for it,
    # the weights alone would not (they expect about 0.02 less of November and December).
    assert measured["trend"] > 0.1
    assert measured["peak"]["share"] - measured["peak"]["weights_only"] > 0.01
    ratio = measured["weekend_weekday"]
    assert abs(ratio["ratio"] / ratio["expected"] - 1) < 0.05 and ratio["matches"], ratio  # Saturday-heavy: 1.26


def test_late_and_duplicate_rows_move_neither_share_nor_lift(retail_run, tmp_path):
    # The retail_run again with dirt: late rows leave the window (counted, left out), duplicates
    # copy random rows (same shape).
    dirty = generate("retail", tmp_path, "--rows", "20000", "--seed", "11", "--seasonality", "retail",
                     "--campaign", "bf=2024-11-29:2024-12-02:3", "--duplicate-rate", "0.01", "--late-rate", "0.02")
    clean = summary(retail_run).seasonality["columns"]["transactions.timestamp"]
    measured = summary(dirty).seasonality["columns"]["transactions.timestamp"]
    late = json.loads((dirty / "_manifest.json").read_text())["quality_injections"]["injected_rows"]["transactions"]["late"]
    # Late rows, plus the duplicates that happen to copy one (1% of them).
    assert late <= measured["outside_window"] <= late * 1.01 + 4 * late ** 0.5, (late, measured["outside_window"])
    assert clean["outside_window"] == 0
    assert abs(measured["peak"]["share"] - clean["peak"]["share"]) < 0.002  # measured 0.264 both
    assert abs(measured["campaigns"][0]["lift"] - clean["campaigns"][0]["lift"]) < 2 * clean["campaigns"][0]["standard_error"]
    assert_lift(measured["campaigns"][0], 3.0)


def test_summary_prints_the_block_and_json_carries_it(tmp_path):
    run = generate("retail", tmp_path, "--rows", "3000", "--seed", "5", "--format", "csv",
                   "--seasonality", "retail", "--campaign", "bf=2024-11-29:2024-12-02:3")
    text = subprocess.run([sys.executable, str(SCRIPT), str(run), "--summary"], capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    block = text.stdout[text.stdout.index("\nseasonality ("):]
    assert "seasonality (preset retail; campaigns bf 2024-11-29..2024-12-02 x3), measured:" in block
    assert "transactions.timestamp: 30,000 events over 366 days" in block
    for line in ("month % (expected): Jan ", "Nov+Dec: ", "weekend/weekday per day: ", "campaign bf x3: lift "):
        assert line in block, line
    as_json = subprocess.run([sys.executable, str(SCRIPT), str(run), "--summary", "--json"], capture_output=True, text=True)
    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)["seasonality"]
    assert found["campaigns"] == [{"name": "bf", "start": "2024-11-29", "end": "2024-12-02", "multiplier": 3.0}]
    measured = found["columns"]["transactions.timestamp"]
    assert set(measured) >= {"events", "months", "peak", "weekend_weekday", "campaigns", "trend"}
    assert abs(measured["campaigns"][0]["lift"] - 3) < 4 * measured["campaigns"][0]["standard_error"]  # CSV parsed the same
    # Without --summary nothing is measured.
    assert "seasonality" not in validate.validate_directory(run).to_dict()


def test_financial_lifts_survive_month_end_postings_and_trade_sessions(tmp_path):
    # 200,000 transactions and 100,000 trades (a campaign lift on 30,000 trades is ±0.1 noise).
    generate("financial", tmp_path, "--rows", "10000", "--trades", "100000", "--seed", "7", "--seasonality", "financial",
             "--campaign", "promo=2024-06-03:2024-06-14:2.5")
    block = summary(tmp_path).seasonality
    transactions = block["columns"]["transactions.timestamp"]
    # Fees and interest post on month ends (June 30 among the reference days): a lift from sums
    # would read about 1.9; per-day medians do not see that one day.
    assert_lift(transactions["campaigns"][0], 2.5)  # measured 2.50 ± 0.03
    assert_peak(transactions, ["Nov", "Dec"])  # measured 0.181, expected 0.185
    ratio = transactions["weekend_weekday"]
    assert abs(ratio["ratio"] / ratio["expected"] - 1) < 0.05, ratio  # quiet weekends: 0.49
    trades = block["columns"]["trades.timestamp"]
    # Trades keep to NYSE sessions: 104 weekend days and 9 weekday holidays (Christmas is the 10th
    # in 2024 but on a Wednesday, so counted) are closed, not a failure of the weights.
    assert trades["closed_days"] >= 104 + 8, trades["closed_days"]
    assert trades["weekend_weekday"] == {"ratio": None, "closed": "weekends"}
    assert_lift(trades["campaigns"][0], 2.5)  # measured 2.55 ± 0.04
    assert_peak(trades, ["Nov", "Dec"])


def test_healthcare_flu_campaign(tmp_path):
    generate("healthcare", tmp_path, "--rows", "10000", "--encounters", "100000", "--seed", "7", "--seasonality", "healthcare",
             "--campaign", "flu=2024-01-08:2024-01-21:2")
    measured = summary(tmp_path).seasonality["columns"]["encounters.admit_datetime"]
    # Scheduled visits on weekdays only and UTC days that are not the clinics' local days scatter
    # the per-day counts: eight seeds gave 1.92-2.08 (sd 0.055), so the error reported is wider.
    assert_lift(measured["campaigns"][0], 2.0, sized=False)  # measured 1.92 ± 0.11
    assert_peak(measured, ["Jan", "Feb"])  # measured 0.213, expected 0.212
    # Scheduled visits (most encounters) keep to weekdays, so weekends are far quieter than the
    # weekday weights alone say: reported, and marked off, not an error.
    assert measured["weekend_weekday"]["ratio"] < 0.5 * measured["weekend_weekday"]["expected"]


def test_flat_run_has_no_block_and_a_campaign_alone_has_one(tmp_path):
    flat = generate("retail", tmp_path / "flat", "--rows", "500")
    result = summary(flat)
    assert result.seasonality is None and "seasonality" not in result.to_dict()
    text = subprocess.run([sys.executable, str(SCRIPT), str(flat), "--summary"], capture_output=True, text=True)
    assert text.returncode == 0 and "\nseasonality" not in text.stdout
    campaign = generate("retail", tmp_path / "campaign", "--rows", "2000", "--campaign", "2024-07-01:2024-07-31:2")
    measured = summary(campaign).seasonality["columns"]["transactions.timestamp"]
    assert "peak" not in measured and "weekend_weekday" not in measured  # flat months and weekdays
    (entry,) = measured["campaigns"]
    assert entry["name"] == "2024-07-01..2024-07-31" and entry["reference"] == "days without a campaign, Jun-Aug 2024"
    assert abs(entry["lift"] - 2) < min(0.3, 4 * entry["standard_error"]), entry  # 20,000 transactions: 2.16 ± 0.07


def test_unreadable_configuration_is_a_note(tmp_path):
    run = generate("retail", tmp_path, "--rows", "200", "--seasonality", "retail")
    manifest = json.loads((run / "_manifest.json").read_text())
    manifest["window"]["seasonality"]["monthly_weights"] = [1, 2]
    (run / "_manifest.json").write_text(json.dumps(manifest))
    result = validate.validate_directory(run, summary=True)
    assert result.ok and result.seasonality is None
    (note,) = [n for n in result.notes if n.check == "summary"]
    assert "seasonality not measured" in note.message and "12 monthly" in note.message


# --- The arithmetic on synthetic day counts --------------------------------------------------------

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
RETAIL_MONTHS = [0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 0.9, 0.95, 1.2, 1.45]
RETAIL_WEEKDAYS = [0.85, 0.85, 0.9, 0.95, 1.1, 1.3, 1.05]


def config(monthly=RETAIL_MONTHS, weekday=RETAIL_WEEKDAYS, campaigns=()) -> dict:
    return {"preset": "test", "monthly": list(monthly), "weekday": list(weekday), "columns": ["t.ts"],
            "campaigns": [{"name": name, "start": dt.date.fromisoformat(a), "end": dt.date.fromisoformat(b), "multiplier": m}
                          for name, a, b, m in campaigns]}


def exact_counts(season: dict, level=lambda i: 1000.0, open_day=lambda day: True) -> dict[dt.date, int]:
    days = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    weights = validate._season_weights(days, season)
    return {day: round(w * level(i)) for i, (day, w) in enumerate(zip(days, weights)) if open_day(day)}


def test_exact_counts_with_growth_give_the_configuration_back():
    season = config(campaigns=[("bf", "2024-11-29", "2024-12-02", 3.0), ("dip", "2024-03-04", "2024-03-10", 0.5)])
    # Volume growing 25% over the year, as customers join.
    measured = validate.measure_season_column(exact_counts(season, lambda i: 800 + 200 * i / 365), season, FIRST, LAST)
    assert measured["trend"] == pytest.approx(0.25, abs=0.005)
    assert measured["peak"]["share"] == pytest.approx(measured["peak"]["expected"], abs=1e-4)
    assert measured["peak"]["weights_only"] < measured["peak"]["share"] - 0.01
    for month in measured["months"].values():
        assert month["share"] == pytest.approx(month["expected"], abs=1e-4)
    assert measured["weekend_weekday"]["ratio"] == pytest.approx(measured["weekend_weekday"]["expected"], rel=1e-3)
    lifts = {c["name"]: c["lift"] for c in measured["campaigns"]}
    assert lifts == pytest.approx({"bf": 3.0, "dip": 0.5}, abs=0.005)


def test_spikes_do_not_move_lifts_or_the_weekend_ratio():
    season = config(campaigns=[("promo", "2024-06-03", "2024-06-14", 2.5)])
    counts = exact_counts(season)
    for month_end in ("2024-06-30", "2024-03-31", "2024-08-31", "2024-11-30"):  # month-end postings, some on weekends
        counts[dt.date.fromisoformat(month_end)] += 3000
    measured = validate.measure_season_column(counts, season, FIRST, LAST)
    assert measured["campaigns"][0]["lift"] == pytest.approx(2.5, abs=0.01)
    assert measured["weekend_weekday"]["ratio"] == pytest.approx(measured["weekend_weekday"]["expected"], rel=0.01)


def test_closed_days_and_a_closure_campaign():
    season = config(campaigns=[("xmas", "2024-12-25", "2024-12-25", 0.0)])
    holiday = dt.date(2024, 7, 4)
    counts = exact_counts(season, open_day=lambda day: day.weekday() < 5 and day != holiday)
    measured = validate.measure_season_column(counts, season, FIRST, LAST)
    # 104 weekend days and July 4 are closed; Christmas has weight 0 (expects nothing), not closed.
    assert measured["closed_days"] == 105
    assert measured["weekend_weekday"] == {"ratio": None, "closed": "weekends"}
    (closure,) = measured["campaigns"]
    assert closure["lift"] == 0 and closure["matches"]
    assert measured["peak"]["share"] == pytest.approx(measured["peak"]["expected"], abs=1e-4)


def test_a_campaign_over_the_whole_window_has_no_baseline():
    season = config(monthly=[1] * 12, weekday=[1] * 7, campaigns=[("all", "2024-01-01", "2024-12-31", 2.0)])
    measured = validate.measure_season_column(exact_counts(season), season, FIRST, LAST)
    (entry,) = measured["campaigns"]
    assert entry["lift"] is None and "no day without a campaign" in entry["why"]
    assert "peak" not in measured and "weekend_weekday" not in measured
