# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "numpy>=2.4,<2.5",
# ]
# ///
"""Date window and seasonality: the pattern every Tier 1 generator copies (verbatim;
tests/test_inlined_copies.py keeps the copies identical to this file).

Window: ``--start YYYY-MM-DD --end YYYY-MM-DD``, both days inclusive, UTC. The defaults are fixed
dates (never today's), so a seed means the same data next year.

Seasonality applies to event tables (purchases, visits, bank transactions), never to regularly
sampled sensor series. Each calendar day of the window gets a weight:

    weight(day) = monthly[month of day] x weekday[weekday of day] x product of the multipliers
                  of the campaigns covering the day

and an event's day is drawn with one uniform number per row, located in the cumulative weights
(``seasonal_days``): a single vectorised draw, in proportion to the weights, never before the
row's own first possible day (the customer's signup, the account's opening). The time of day is
drawn afterwards, as without seasonality. So on average a day with twice the weight gets twice
the events, a campaign day with multiplier 3 three times those of the same weekday and month
outside the campaign.

Flags: ``--seasonality PRESET`` (SEASONALITY_PRESETS, default none = flat), ``--monthly-weights``
(12 numbers, January first) and ``--weekday-weights`` (7 numbers, Monday first) replace the
preset's, and ``--campaign START:END:MULTIPLIER`` (repeatable; ``NAME=START:END:MULTIPLIER`` to
name it) multiplies the days from START to END.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date

import numpy as np

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
