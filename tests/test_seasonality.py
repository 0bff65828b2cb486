"""Window and seasonality (scripts/utils/seasonality.py): day weights and the day draw, measured.

The draw is measured on 1,000,000 uniforms with a fixed seed: each day's share against its
weight's share, the lower bound per row, and campaign parsing and checks. The generators' tests
measure the resulting Nov+Dec share, weekend ratio and campaign lift on their own event tables.
"""

from __future__ import annotations

import argparse
from datetime import date

import numpy as np
import pytest

from conftest import load_script

seasonality = load_script("utils/seasonality.py")

FIRST, LAST = date(2024, 1, 1), date(2024, 12, 31)


def test_presets_have_twelve_months_and_seven_weekdays():
    for name, (monthly, weekday, about) in seasonality.SEASONALITY_PRESETS.items():
        assert len(monthly) == 12 and len(weekday) == 7 and about, name
        assert min(monthly) > 0 and min(weekday) > 0, name
    retail_monthly = seasonality.SEASONALITY_PRESETS["retail"][0]
    assert retail_monthly[10] > 1 and retail_monthly[11] == max(retail_monthly)  # November and December peak


def test_day_weight_is_month_times_weekday_times_campaigns():
    monthly = tuple(range(1, 13))
    weekday = (1, 2, 3, 4, 5, 6, 7)
    campaigns = (seasonality.Campaign("a", date(2024, 11, 28), date(2024, 12, 1), 3.0),
                 seasonality.Campaign("b", date(2024, 12, 1), date(2024, 12, 1), 2.0))
    weights = seasonality.day_weights(FIRST, LAST, monthly, weekday, campaigns)
    assert len(weights) == 366
    offset = (date(2024, 11, 29) - FIRST).days  # a Friday in November
    assert weights[offset] == 11 * 5 * 3
    assert weights[(date(2024, 12, 1) - FIRST).days] == 12 * 7 * 3 * 2  # Sunday, both campaigns
    assert weights[0] == 1 * 1  # 2024-01-01 was a Monday
    assert weights[(date(2024, 11, 27) - FIRST).days] == 11 * 3  # Wednesday, before the campaign


def test_days_are_drawn_in_proportion_to_their_weights():
    weights = seasonality.day_weights(FIRST, LAST, seasonality.SEASONALITY_PRESETS["retail"][0],
                                      seasonality.SEASONALITY_PRESETS["retail"][1],
                                      (seasonality.Campaign("x", date(2024, 7, 1), date(2024, 7, 3), 4.0),))
    u = np.random.default_rng(1).random(1_000_000)
    days = seasonality.seasonal_days(np.cumsum(weights), u)
    measured = np.bincount(days, minlength=366) / len(u)
    expected = weights / weights.sum()
    # Per day ~2,700 draws: relative error within 4 standard errors (about 8%).
    assert np.all(np.abs(measured - expected) < 4 * np.sqrt(expected / len(u))), np.abs(measured / expected - 1).max()
    july = slice((date(2024, 7, 1) - FIRST).days, (date(2024, 7, 4) - FIRST).days)
    assert abs(measured[july].sum() / expected[july].sum() - 1) < 0.03


def test_no_day_before_the_rows_own_first_day_and_the_rest_in_proportion():
    weights = seasonality.day_weights(FIRST, LAST, (1,) * 12, (1, 1, 1, 1, 1, 3, 3))
    cumulative = np.cumsum(weights)
    rng = np.random.default_rng(2)
    lowest = rng.integers(0, 366, 500_000)
    days = seasonality.seasonal_days(cumulative, rng.random(500_000), lowest)
    assert (days >= lowest).all() and days.max() <= 365
    # Among rows whose first day is 300, weekend days come up three times as often per day.
    late = seasonality.seasonal_days(cumulative, rng.random(400_000), np.full(400_000, 300))
    weekday_of = (np.arange(300, 366) + 0) % 7  # offsets from a Monday
    counts = np.bincount(late, minlength=366)[300:]
    ratio = counts[weekday_of >= 5].mean() / counts[weekday_of < 5].mean()
    assert abs(ratio - 3) < 0.1, ratio


def test_zero_weight_days_are_never_drawn():
    weights = seasonality.day_weights(FIRST, LAST, (1,) * 12, (1, 1, 1, 1, 1, 1, 0))  # closed on Sundays
    days = seasonality.seasonal_days(np.cumsum(weights), np.random.default_rng(3).random(200_000))
    assert not (weights[days] == 0).any()


@pytest.mark.parametrize("text,expected", [
    ("2024-11-29:2024-12-02:3", ("2024-11-29..2024-12-02", date(2024, 11, 29), date(2024, 12, 2), 3.0)),
    ("black-friday=2024-11-29:2024-12-02:2.5", ("black-friday", date(2024, 11, 29), date(2024, 12, 2), 2.5)),
    ("outage=2024-03-01:2024-03-01:0", ("outage", date(2024, 3, 1), date(2024, 3, 1), 0.0)),
])
def test_campaigns_parse(text, expected):
    parsed = seasonality.campaign(text)
    assert (parsed.name, parsed.first, parsed.last, parsed.multiplier) == expected


@pytest.mark.parametrize("text", ["2024-11-29:2024-12-02", "x=2024-13-01:2024-12-02:2", "2024-12-02:2024-11-29:2",
                                  "2024-11-29:2024-12-02:-1", "2024-11-29:2024-12-02:many"])
def test_bad_campaigns_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        seasonality.campaign(text)


def parse(*argv: str):
    parser = argparse.ArgumentParser(prog="gen.py")
    seasonality.add_window_arguments(parser, FIRST, LAST, "events")
    seasonality.add_seasonality_arguments(parser, "events")
    args = parser.parse_args(list(argv))
    first, last = seasonality.window_settings(parser, args)
    return seasonality.season_settings(parser, args, first, last)


def test_flags_combine_preset_overrides_and_campaigns():
    season = parse("--seasonality", "retail", "--weekday-weights", *["1"] * 7, "--campaign", "2024-05-01:2024-05-02:2")
    assert season.monthly == seasonality.SEASONALITY_PRESETS["retail"][0]
    assert season.weekday == (1.0,) * 7 and len(season.campaigns) == 1 and not season.flat
    assert parse().flat and parse().days == 366
    manifest = seasonality.season_manifest(season, ["events.at"])
    assert manifest["start"] == "2024-01-01" and manifest["seasonality"]["preset"] == "retail"
    assert manifest["seasonality"]["campaigns"][0]["multiplier"] == 2.0


@pytest.mark.parametrize("argv,message", [
    (["--start", "2024-05-01", "--end", "2024-04-30"], "--end 2024-04-30 is before --start 2024-05-01"),
    (["--campaign", "2023-01-01:2023-01-05:2"], "lies outside the window 2024-01-01..2024-12-31"),
    (["--monthly-weights", *["0"] * 12], "every day of the window a weight of 0"),
    (["--weekday-weights", "1", "1"], "expected 7 arguments"),
    (["--start", "2024-02-30"], "expected a date YYYY-MM-DD"),
    (["--seasonality", "summer"], "invalid choice"),
])
def test_bad_flags_stop_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse(*argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
