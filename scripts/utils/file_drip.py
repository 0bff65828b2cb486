# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""File drip: land a generated table in a folder as small files arriving over time, for Auto
Loader and Structured Streaming demos (Tier 1: Polars, no Spark).

    uv run scripts/generators/polars/iot.py --rows 50 --days 2 --output output/iot
    uv run scripts/utils/file_drip.py output/iot/sensor_readings.parquet \\
        --landing /Volumes/main/iot/landing/sensor_readings --files 24 --interval 10

What it does: reads one table (a ``.parquet``, ``.csv`` or ``.json`` JSON Lines file, a Delta
folder, or a Spark folder of part files: whatever a bundled generator wrote), sorts it by time
(``--order-by``, default the first timestamp column; stable, so rows with equal times keep the
source's order), cuts it into ``--files K`` files of consecutive rows (sizes differ by at most
one row) and writes one every ``--interval S`` seconds into ``--landing DIR``: file 1 holds the
earliest rows, file K the latest, as a source that keeps producing data would deliver them.
``--interval 0`` writes them all at once (tests, backfills).

Files: ``DIR/part-00001.json``, ``part-00002.json`` … (``--prefix`` replaces ``part``; json =
JSON Lines, the default, or csv with a header, or parquet), numbered so they sort in arrival
order. Each one appears whole: it is written under a hidden name in the same folder
(``.part-00001.json.tmp-<pid>``: Spark's file source skips names starting with ``.`` or ``_``,
and a reader's ``pathGlobFilter`` such as ``part-*.json`` never matches it) and renamed into
place when complete, so a stream never reads half a file.
(Where the folder cannot rename, e.g. some FUSE mounts, the file is copied into place and a
warning says so.)

Never overwrites. A landing folder that already holds parts of this prefix is refused unless
``--append`` (numbering continues after the highest part, so new files sort after the old) or
``--start-file N`` resumes an interrupted drip: it writes files N..K of the same split under
the same names (ctrl-c prints the resume command). Parts must all be one format.

Types: parquet and Delta sources keep theirs. CSV and JSON sources are read with Polars'
inference (numbers, booleans); text columns whose every value is an ISO date-time
(``2024-01-01T00:30:37+00:00``) become timestamps (UTC when they carry an offset). Decimals in
text sources come back as doubles: drip a parquet source when the landing files must be
parquet with the contract's types.

The whole table is held in memory (a drip is for demo-sized tables; millions of rows are fine).
Progress goes to stderr, a JSON summary (every part's rows, bytes, first and last time, and
when it landed) to stdout. Naming the landing folder after the table lets the validator check
the landed parts: ``uv run scripts/utils/validate.py LANDING_PARENT --industry iot --allow-missing``.
In a notebook: ``main(["output/iot/sensor_readings.parquet", "--landing", "/Volumes/...", "--files", "12"])``.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

SCRIPT = "scripts/utils/file_drip.py"
LANDING_FORMATS = ("json", "csv", "parquet")  # what Auto Loader and file streams read
SOURCE_FORMATS = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
DEFAULT_FILES = 10
DEFAULT_INTERVAL = 5.0
DEFAULT_PREFIX = "part"
# part-00001 .. part-99999: fixed-width numbers sort in arrival order as text, which is the order
# a directory listing (and Auto Loader's lexical-order optimisations) sees them in.
NUMBER_WIDTH = 5
MAX_NUMBER = 10**NUMBER_WIDTH - 1
# A prefix is a plain file-name word: never hidden (a leading "." or "_" would make Spark and Auto
# Loader skip every part), never a path.
PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# A text value is taken for a timestamp only with a time of day after the date: "2024-01-01"
# alone stays text (a date column is not an event time).
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
# Errors of a folder that cannot rename a file into place (FUSE mounts of object storage).
NO_RENAME = {errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV}


# ---------------------------------------------------------------------------------------------
# Reading the source table


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "_"))


def read_source(parser: argparse.ArgumentParser, source: Path) -> tuple[pl.DataFrame, str]:
    """The whole table and a word for what it was (parquet, csv, json, delta, spark parquet …)."""
    if not source.exists():
        parser.error(f"source {source} does not exist: pass a table a generator wrote, "
                     "e.g. output/iot/sensor_readings.parquet (run the generator first)")
    if source.is_dir():
        if (source / "_delta_log").is_dir():
            try:
                return pl.read_delta(str(source)), "delta"
            except Exception as error:  # deltalake's own error classes, or a missing package
                parser.error(f"source {source} cannot be read as a Delta table: {type(error).__name__}: "
                             f"{str(error).splitlines()[0] if str(error) else ''}")
        parts = sorted(p for p in source.rglob("*") if p.is_file() and not any(
            _hidden(Path(part)) for part in p.relative_to(source).parts) and not p.name.endswith(".crc"))
        formats = {SOURCE_FORMATS.get(p.suffix.lower()) for p in parts}
        # A generator's --output folder (its _manifest.json, or one sub-folder per table) is
        # several tables; a Spark table folder holds part files, maybe under key=value folders.
        tables = sorted({p.relative_to(source).parts[0] for p in parts
                         if p.parent == source or "=" not in p.relative_to(source).parts[0]})
        if (source / "_manifest.json").exists() or any((source / t).is_dir() for t in tables):
            parser.error(f"source {source} is a folder of tables ({', '.join(tables) or 'none'}): pass one table, "
                         f"e.g. {source / (tables[0] if tables else 'sensor_readings.parquet')}")
        if not parts or None in formats or len(formats) != 1:
            parser.error(f"source {source} is a folder but neither a Delta table (no _delta_log) nor a folder of "
                         "part files of one format (.parquet, .csv or .json): pass a table file or folder")
        fmt = formats.pop()
        return _read_files(parser, [p for p in parts if p.stat().st_size], fmt, source), f"spark {fmt}"
    fmt = SOURCE_FORMATS.get(source.suffix.lower())
    if fmt is None:
        parser.error(f"source {source} is not a table file: expected .parquet, .csv or .json (JSON Lines), "
                     "a Delta folder or a folder of part files")
    return _read_files(parser, [source], fmt, source), fmt


def _read_files(parser: argparse.ArgumentParser, files: list[Path], fmt: str, source: Path) -> pl.DataFrame:
    names = [str(p) for p in files]
    if not files:  # Spark's text parts of an empty table are zero-byte files
        return pl.DataFrame()
    try:
        if fmt == "parquet":
            return pl.read_parquet(names)
        if fmt == "csv":
            frame = pl.concat([pl.read_csv(n, infer_schema_length=None) for n in names], how="diagonal_relaxed")
        else:
            frame = pl.concat([pl.read_ndjson(n, infer_schema_length=None) for n in names], how="diagonal_relaxed")
    except (pl.exceptions.PolarsError, OSError) as error:
        parser.error(f"source {source} cannot be read as {fmt}: {str(error).splitlines()[0]}")
    # A column with no value at all has no type in text; text is the least surprising one.
    frame = frame.with_columns(pl.col(name).cast(pl.String) for name, dtype in frame.schema.items() if dtype == pl.Null)
    return parse_text_timestamps(frame)


def parse_text_timestamps(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns whose every non-null value is an ISO date-time become Datetime("us"), in UTC
    when the values carry an offset (how the generators write timestamps into CSV and JSON)."""
    parsed = {}
    for name, dtype in frame.schema.items():
        if dtype != pl.String or frame[name].null_count() == frame.height:
            continue
        values = frame[name].drop_nulls()
        if not values.str.contains(ISO_DATETIME).all():
            continue
        try:
            times = values.str.to_datetime(time_unit="us", strict=False)
        except pl.exceptions.PolarsError:  # mixed formats Polars cannot infer one pattern for
            continue
        if times.null_count() == 0:
            parsed[name] = frame[name].str.to_datetime(time_unit="us", strict=False)
    return frame.with_columns(**parsed) if parsed else frame


# ---------------------------------------------------------------------------------------------
# Planning the split


def order_columns(parser: argparse.ArgumentParser, frame: pl.DataFrame, order_by: str | None, keep_order: bool) -> list[str]:
    """The columns to sort by: --order-by (comma-separated), else the first timestamp column."""
    if keep_order:
        if order_by:
            parser.error("give --order-by or --keep-order, not both")
        return []
    if order_by:
        columns = [c.strip() for c in order_by.split(",") if c.strip()]
        missing = [c for c in columns if c not in frame.columns]
        if not columns or missing:
            parser.error(f"--order-by {order_by!r}: no column {', '.join(missing) or '(empty)'} in the table "
                         f"(columns: {', '.join(frame.columns)})")
        return columns
    for kinds in ((pl.Datetime,), (pl.Date,)):
        found = [name for name, dtype in frame.schema.items() if isinstance(dtype, kinds)]
        if found:
            return found[:1]
    parser.error(f"the table has no timestamp or date column to order the files by (columns: "
                 f"{', '.join(frame.columns)}): pass --order-by COLUMN, or --keep-order to keep the source's row order")


def split_bounds(rows: int, files: int) -> list[tuple[int, int]]:
    """(first row, row count) of each file: consecutive rows, sizes differing by at most one
    (the first rows % files files get the extra row)."""
    size, extra = divmod(rows, files)
    bounds, start = [], 0
    for index in range(files):
        n = size + (1 if index < extra else 0)
        bounds.append((start, n))
        start += n
    return bounds


PART_PATTERN = r"^{prefix}-(\d{{{width},}})\.(json|csv|parquet)$"


def existing_parts(landing: Path, prefix: str) -> dict[int, str]:
    """Parts of this prefix already in the landing folder: number -> file name."""
    pattern = re.compile(PART_PATTERN.format(prefix=re.escape(prefix), width=NUMBER_WIDTH))
    found = {}
    if landing.is_dir():
        for entry in landing.iterdir():
            match = pattern.match(entry.name)
            if match:
                found[int(match.group(1))] = entry.name
    return found


def part_name(prefix: str, number: int, fmt: str) -> str:
    return f"{prefix}-{number:0{NUMBER_WIDTH}d}.{fmt}"


@dataclass
class Part:
    index: int  # 1..K within the split
    number: int  # the number in its file name
    name: str
    start: int
    rows: int


def plan_parts(parser: argparse.ArgumentParser, args: argparse.Namespace, rows: int, existing: dict[int, str]) -> list[Part]:
    """The files this run writes, with their names; refuses anything that would overwrite a part
    or land one that sorts before parts a reader may already have taken."""
    if rows == 0:
        parser.error(f"source {args.source} has no rows: nothing to drip")
    if args.files > rows:
        parser.error(f"--files {args.files:,} is more than the table's {rows:,} rows: every file needs at least one row")
    if args.start_file > args.files:
        parser.error(f"--start-file {args.start_file} is past the last file (--files {args.files})")
    formats = sorted({name.rsplit(".", 1)[1] for name in existing.values()})
    if formats and formats != [args.format]:
        parser.error(f"--landing {args.landing} already holds {args.prefix}-* parts as {', '.join(formats)}: "
                     f"a reader of one format would miss the {args.format} files; use another --landing or --prefix")
    highest = max(existing, default=0)
    if args.append:
        first_number = highest + 1
    else:
        first_number = args.start_file
        clashing = sorted(n for n in existing if n >= first_number)
        if clashing:
            shown = ", ".join(existing[n] for n in clashing[:3]) + (" …" if len(clashing) > 3 else "")
            resume = (f", --start-file {highest + 1} to resume an interrupted drip whose first files these are"
                      if highest < args.files and args.start_file == 1 else "")
            parser.error(f"--landing {args.landing} already holds {len(existing):,} {args.prefix}-* part(s) ({shown}) "
                         f"that this run would overwrite or land out of order: pass --append to add new files after them"
                         f"{resume}, or start from an empty folder (and a fresh stream checkpoint)")
    bounds = split_bounds(rows, args.files)
    parts = []
    for index in range(args.start_file, args.files + 1):
        number = first_number + index - args.start_file
        if number > MAX_NUMBER:
            parser.error(f"part numbers would pass {MAX_NUMBER:,} ({NUMBER_WIDTH} digits keep them in arrival order): "
                         "use fewer --files or a new --landing / --prefix")
        start, n = bounds[index - 1]
        parts.append(Part(index, number, part_name(args.prefix, number, args.format), start, n))
    return parts


# ---------------------------------------------------------------------------------------------
# Writing


def prepare_landing(parser: argparse.ArgumentParser, landing: Path, create: bool) -> None:
    """The landing folder must be a folder we can write (created when missing)."""
    if landing.exists() and not landing.is_dir():
        parser.error(f"--landing {landing} is a file, not a folder")
    if not create:
        return
    try:
        landing.mkdir(parents=True, exist_ok=True)
        probe = landing / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        parser.error(f"--landing {landing} cannot be written: {error.strerror or error}")


def _write_frame(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "json":
        frame.write_ndjson(path)
    elif fmt == "csv":
        frame.write_csv(path)
    elif fmt == "parquet":
        frame.write_parquet(path, compression="zstd")
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(LANDING_FORMATS)}")


_copy_warned = False


def write_part(frame: pl.DataFrame, landing: Path, name: str, fmt: str) -> int:
    """Write one part under a hidden name, then move it into place in one step; returns its bytes."""
    global _copy_warned
    final = landing / name
    temporary = landing / f".{name}.tmp-{os.getpid()}"
    try:
        _write_frame(frame, temporary, fmt)
        if final.exists():  # another writer took the name since the plan was made
            raise FileExistsError(errno.EEXIST, f"{final} appeared while the drip ran: another writer uses this folder")
        try:
            os.replace(temporary, final)
        except OSError as error:
            if error.errno not in NO_RENAME:
                raise
            if not _copy_warned:
                progress(f"  warning: {landing} cannot rename files ({error.strerror}): parts are copied into place, "
                         "so a reader polling the folder could see one half-written")
                _copy_warned = True
            shutil.copyfile(temporary, final)
            temporary.unlink()
    finally:
        if temporary.exists():
            temporary.unlink()
    return final.stat().st_size


# ---------------------------------------------------------------------------------------------
# Command line (positive_int, non_negative_int, parse_arguments, progress: copied verbatim from
# scripts/utils/local_output.py)


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (underscores allowed: 1_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line, or use the defaults when pasted into a notebook.

    A notebook kernel's own argv (``-f kernel.json``) is not ours to parse: in a Jupyter or
    Databricks notebook, call ``main(["--rows", "5000"])`` to pass options.
    """
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    return parser.parse_args(argv)


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


def seconds(text: str) -> float:
    """argparse type: a number of seconds, 0 or more (0.5 allowed)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


def prefix_word(text: str) -> str:
    """argparse type: a file-name prefix that is neither hidden nor a path."""
    if not PREFIX_PATTERN.match(text):
        raise argparse.ArgumentTypeError(f"must be letters, digits, '-' or '_', starting with a letter or digit "
                                         f"(a leading '.' or '_' hides files from Spark and Auto Loader), got {text!r}")
    return text


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="file_drip.py",
        description="Land a generated table in a folder as small files arriving over time (for Auto Loader / "
        "Structured Streaming demos): sorted by time, cut into --files K files of consecutive rows, one written "
        "every --interval seconds, each appearing whole (hidden temporary name, then a rename).",
        epilog="Example: file_drip.py output/iot/sensor_readings.parquet --landing "
        "/Volumes/main/iot/landing/sensor_readings --files 24 --interval 10. Existing parts are never "
        "overwritten: --append adds after them, --start-file N resumes an interrupted drip. "
        "Progress on stderr, JSON summary on stdout.",
    )
    parser.add_argument("source", type=Path,
                        help="the table: a .parquet, .csv or .json (JSON Lines) file, a Delta folder or a folder of "
                        "part files, e.g. output/iot/sensor_readings.parquet")
    parser.add_argument("--landing", type=Path, required=True, metavar="DIR",
                        help="folder the files land in (created if missing); a /Volumes/<catalog>/<schema>/<volume>/... "
                        "path works on Databricks")
    parser.add_argument("--files", type=positive_int, default=DEFAULT_FILES, metavar="K",
                        help=f"number of files K the table is cut into (default {DEFAULT_FILES})")
    parser.add_argument("--interval", type=seconds, default=DEFAULT_INTERVAL, metavar="SECONDS",
                        help=f"seconds between files (default {DEFAULT_INTERVAL:g}); 0 writes them all at once")
    parser.add_argument("--format", choices=LANDING_FORMATS, default="json",
                        help="json (JSON Lines, default: what Auto Loader demos read), csv (with a header) or parquet")
    parser.add_argument("--order-by", metavar="COLUMN[,COLUMN...]",
                        help="sort by these columns before cutting (default: the first timestamp column, else the first date column)")
    parser.add_argument("--keep-order", action="store_true", help="keep the source's row order instead of sorting")
    parser.add_argument("--prefix", type=prefix_word, default=DEFAULT_PREFIX,
                        help=f"file name prefix (default {DEFAULT_PREFIX}: {part_name(DEFAULT_PREFIX, 1, 'json')}, ...)")
    parser.add_argument("--append", action="store_true",
                        help="the landing folder may already hold parts of this prefix: number the new files after them")
    parser.add_argument("--start-file", type=positive_int, default=1, metavar="N",
                        help="write files N..K of the split only (resume an interrupted drip; default 1)")
    parser.add_argument("--dry-run", action="store_true", help="print the planned files and rows, write nothing")
    return parser


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    started = time.perf_counter()
    prepare_landing(parser, args.landing, create=False)
    frame, kind = read_source(parser, args.source)
    order = order_columns(parser, frame, args.order_by, args.keep_order)
    if order:
        # Stable: rows with equal times keep the source's order, so a seed gives the same files.
        frame = frame.sort(order, nulls_last=True, maintain_order=True)
        nulls = frame[order[0]].null_count()
        if nulls:
            progress(f"  note: {nulls:,} rows have no {order[0]}: they land in the last file(s)")
    parts = plan_parts(parser, args, frame.height, existing_parts(args.landing, args.prefix))
    time_column = order[0] if order else None

    def describe(part: Part) -> dict:
        entry = {"path": part.name, "rows": part.rows}
        if time_column is not None:
            values = frame[time_column].slice(part.start, part.rows).drop_nulls()
            if len(values):
                entry["first"], entry["last"] = _json_value(values.min()), _json_value(values.max())
        return entry

    summary = {"source": str(args.source), "landing": str(args.landing), "format": args.format,
               "order_by": order, "files": len(parts), "rows": sum(p.rows for p in parts),
               "interval": args.interval}
    if args.dry_run:
        summary.update(dry_run=True, parts=[describe(p) for p in parts])
        print(json.dumps(summary, indent=2))
        return summary

    prepare_landing(parser, args.landing, create=True)
    progress(f"file_drip: {frame.height:,} rows of {args.source} ({kind}) ordered by {', '.join(order) or 'source order'} "
             f"-> {len(parts)} {args.format} file(s) in {args.landing}, one every {args.interval:g}s")
    written = []
    first_due = time.monotonic()
    for position, part in enumerate(parts):
        # Due times from one clock start, so slow writes do not stretch the schedule.
        wait = first_due + position * args.interval - time.monotonic()
        try:
            if wait > 0:
                time.sleep(wait)
            size = write_part(frame.slice(part.start, part.rows), args.landing, part.name, args.format)
        except KeyboardInterrupt:
            parser.exit(130, f"file_drip: interrupted after {len(written)} of {len(parts)} file(s); resume with the "
                        f"same options and --start-file {part.index}\n")
        except OSError as error:
            parser.exit(1, f"file_drip: error: writing {args.landing / part.name} failed: {error.strerror or error}\n")
        entry = describe(part)
        entry.update(bytes=size, landed_after=round(time.monotonic() - first_due, 3))
        written.append(entry)
        span = f", {entry['first']} .. {entry['last']}" if "first" in entry else ""
        progress(f"  [{part.index}/{args.files}] {part.name}: {part.rows:,} rows{span} (+{entry['landed_after']:.1f}s)")
    summary.update(parts=written, seconds=round(time.perf_counter() - started, 3))
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # summary piped into `head`: stop quietly
        sys.stderr.close()
        sys.exit(1)
