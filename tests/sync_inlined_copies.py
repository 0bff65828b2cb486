"""Re-copy shared helpers into the scripts that carry verbatim copies of them.

    python tests/sync_inlined_copies.py            # rewrite every stale copy
    python tests/sync_inlined_copies.py --check    # list stale copies, change nothing

Change a helper in its pattern file under scripts/utils/ first, then run this;
tests/test_inlined_copies.py fails until every copy matches. Only definitions a script
already has are replaced: which helpers a script copies stays the script's choice.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inlined_copies import PATTERNS, SCRIPTS, copied_names, top_level_definitions  # noqa: E402


def segments(path: Path) -> dict[str, tuple[int, int]]:
    """Character spans of the top-level definitions of a file."""
    source = path.read_text()
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    spans = {}
    for node in ast.parse(source).body:
        name = None
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        if name:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            start = line_starts[first - 1] + (node.col_offset if first == node.lineno else 0)
            end = line_starts[node.end_lineno - 1] + node.end_col_offset
            spans[name] = (start, end)
    return spans


def main() -> int:
    check_only = "--check" in sys.argv
    stale = 0
    for pattern, scripts in PATTERNS.items():
        shared = top_level_definitions(SCRIPTS / pattern)
        for script in scripts:
            copied = top_level_definitions(script)
            names = [n for n in copied_names(shared, copied) if shared[n] != copied[n]]
            if not names:
                continue
            stale += len(names)
            print(f"{script.relative_to(SCRIPTS.parent)}: {', '.join(sorted(names))}")
            if check_only:
                continue
            source = script.read_text()
            spans = segments(script)
            for name in sorted(names, key=lambda n: spans[n][0], reverse=True):
                start, end = spans[name]
                source = source[:start] + shared[name] + source[end:]
            script.write_text(source)
    return 1 if (check_only and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
