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
PATTERNS = {
    "utils/local_output.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py")),
    # Retail, healthcare and financial copy the linked US places; checking every generator also
    # catches one that starts copying them later.
    "utils/us_places.py": sorted((SCRIPTS / "generators" / "polars").glob("*.py")),
}


def top_level_definitions(path: Path) -> dict[str, str]:
    source = path.read_text()
    tree = ast.parse(source)
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    return found


CASES = [(pattern, script) for pattern, scripts in PATTERNS.items() for script in scripts]


@pytest.mark.parametrize("pattern,script", CASES, ids=[f"{p}->{s.name}" for p, s in CASES])
def test_copies_match_the_pattern(pattern: str, script: Path) -> None:
    shared = top_level_definitions(SCRIPTS / pattern)
    copied = top_level_definitions(script)
    private = {name for name in shared if name.startswith("_") and name not in ("_path_bytes", "_remove")}
    differing = [name for name in shared.keys() & copied.keys() - private if shared[name] != copied[name]]
    assert not differing, f"{script.name} has edited copies of {pattern}: {sorted(differing)}; re-copy them"
