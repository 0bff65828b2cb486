"""Scripts stay self-contained by carrying verbatim copies of shared helpers.

Every top-level function or constant a script defines under the same name as one in a
scripts/utils/ pattern file must be identical to it, so fixing a helper in utils and re-copying
it is the only way helpers change.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import SCRIPTS

# Pattern file -> the scripts that copy pieces of it.
SPARK_GENERATORS = sorted((SCRIPTS / "generators").glob("*.py"))
PATTERNS = {
    # The Tier 1 generators and the utilities that write or read files the same way.
    "utils/local_output.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py"))
    + [SCRIPTS / "utils" / "file_drip.py", SCRIPTS / "utils" / "introspect_local.py"],
    # Retail, healthcare and financial copy the linked US places; checking every generator also
    # catches one that starts copying them later.
    "utils/us_places.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py")),
    # Window, seasonality and data-quality injection flags of every Tier 1 generator.
    "utils/seasonality.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py")),
    "utils/quality.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py")),
    # The Unity Catalog bridge reuses the Spark utilities' session, naming and marker code...
    # (The Spark generators carry the same session, naming and writer code.)
    "utils/spark_session.py": [SCRIPTS / "utils" / "uc_bridge.py", *SPARK_GENERATORS],
    "utils/uc_setup.py": [SCRIPTS / "utils" / "uc_bridge.py", *SPARK_GENERATORS],
    "utils/output.py": [SCRIPTS / "utils" / "uc_bridge.py", *SPARK_GENERATORS],
    # ...and every Tier 1 generator carries the bridge for --catalog/--schema (listed after the
    # three above, so one sync pass carries a change in them through to the generators).
    "utils/uc_bridge.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py")),
}


def top_level_definitions(path: Path) -> dict[str, str]:
    source = path.read_text()
    tree = ast.parse(source)
    # ast.get_source_segment re-splits the whole file on every call (slow on 2,000-line files);
    # the same slices from lines split once (offsets are UTF-8 bytes, as ast counts them).
    lines = [line.encode() for line in source.splitlines(keepends=True)]

    def segment(node: ast.AST) -> str:
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            return lines[first][node.col_offset:node.end_col_offset].decode()
        return (lines[first][node.col_offset:] + b"".join(lines[first + 1:last]) + lines[last][:node.end_col_offset]).decode()

    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = segment(node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = segment(node)
    return found


def copied_names(shared: dict[str, str], copied: dict[str, str]) -> set[str]:
    """Names a script must keep identical to the pattern: everything both define, except
    private helpers (a script's own, bar two every writer shares) and each script's main()."""
    own = {name for name in shared if name.startswith("_") and name not in ("_path_bytes", "_remove")} | {"main"}
    return (shared.keys() & copied.keys()) - own


CASES = [(pattern, script) for pattern, scripts in PATTERNS.items() for script in scripts]


@pytest.mark.parametrize("pattern,script", CASES, ids=[f"{p}->{s.name}" for p, s in CASES])
def test_copies_match_the_pattern(pattern: str, script: Path) -> None:
    shared = top_level_definitions(SCRIPTS / pattern)
    copied = top_level_definitions(script)
    differing = [name for name in copied_names(shared, copied) if shared[name] != copied[name]]
    assert not differing, f"{script.name} has edited copies of {pattern}: {sorted(differing)}; re-copy them"


def test_patterns_that_share_a_helper_agree() -> None:
    """A script may copy one helper from several patterns (quality.py carries local_output's
    `rate` so it runs alone): those patterns must hold one and the same definition."""
    definitions = {pattern: top_level_definitions(SCRIPTS / pattern) for pattern in PATTERNS}
    differing = set()
    for script in {script for scripts in PATTERNS.values() for script in scripts}:
        sources = [pattern for pattern, scripts in PATTERNS.items() if script in scripts]
        for name in top_level_definitions(script).keys() - {"main"}:
            versions = {definitions[pattern][name] for pattern in sources if name in definitions[pattern]}
            if len(versions) > 1:
                differing.add((script.name, name))
    assert not differing, f"helpers defined differently in patterns copied into the same script: {sorted(differing)}"
