"""Machinery that keeps the skill's guides true: collect their code blocks, run or check them, and
check the skill's structure. Used by tests/test_docs_code.py and tests/test_structure.py; proven on
the fixture trees in tests/fixtures/docs/.

Fence convention (CONTRIBUTING.md, "Guides whose code is executed"):

    ```python                 Tier 1: runs as written in a fresh subprocess, cwd a temp folder
    ```python spark           runs in this test process with `spark` bound to the shared session
    ```python databricks      compiled and name-checked only (needs a workspace to run)
    ```python <kind> continued    continues the previous Python block of the same file

Every finding names the markdown file and line, so a failure says where to look.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import functools
import importlib
import inspect
import json
import linecache
import os
import re
import signal
import subprocess
import sys
import tempfile
import traceback
import typing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures" / "docs"
ALLOWLIST_FILE = TESTS / "databricks_only_allowlist.json"
SURFACE_FILE = FIXTURES / "databricks_surface.json"

PYTHON_LANGS = {"python", "py", "python3"}
SHELL_LANGS = {"bash", "sh", "shell", "console", "zsh"}
KINDS = ("tier1", "spark", "databricks")
FENCE_TAGS = {"spark", "databricks", "continued"}

# One chain of Tier 1 blocks may run this long. Guides teach small runs; a block that needs more
# is teaching the wrong thing.
BLOCK_TIMEOUT_SECONDS = 120


# --------------------------------------------------------------------------------------------
# Guide files and fences
# --------------------------------------------------------------------------------------------

def guide_files(root: Path = REPO) -> list[Path]:
    """SKILL.md, README.md and every markdown file under references/, in a stable order."""
    files = [root / name for name in ("SKILL.md", "README.md") if (root / name).is_file()]
    references = root / "references"
    if references.is_dir():
        files += sorted(p for p in references.rglob("*.md") if p.is_file())
    return files


def rel(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


@dataclass(frozen=True)
class Fence:
    line: int          # 1-based line of the opening fence
    info: str          # the info string after the backticks, stripped
    lines: tuple       # content lines, fence indentation removed
    closed: bool

    @property
    def lang(self) -> str:
        return self.info.split()[0].lower() if self.info.split() else ""

    @property
    def tags(self) -> list[str]:
        return self.info.split()[1:]

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    @property
    def code(self) -> str:
        return "".join(line + "\n" for line in self.lines)


_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def parse_fences(text: str) -> list[Fence]:
    """Fenced code blocks as CommonMark reads them (backtick or tilde fences, longer closes allowed)."""
    fences = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if not match or (match["fence"][0] == "`" and "`" in match["info"]):
            i += 1
            continue
        indent = len(match["indent"].expandtabs(4))
        char, width = match["fence"][0], len(match["fence"])
        closing = re.compile(rf"^[ \t]*{re.escape(char)}{{{width},}}[ \t]*$")
        body, j = [], i + 1
        while j < len(lines) and not closing.match(lines[j]):
            body.append(_dedent(lines[j], indent))
            j += 1
        fences.append(Fence(line=i + 1, info=match["info"].strip(), lines=tuple(body), closed=j < len(lines)))
        i = j + 1
    return fences


def _dedent(line: str, indent: int) -> str:
    expanded = line.expandtabs(4)
    strip = min(indent, len(expanded) - len(expanded.lstrip(" ")))
    return expanded[strip:]


def fenced_line_numbers(text: str) -> set[int]:
    """1-based numbers of lines that belong to fenced blocks (fence lines included)."""
    numbers = set()
    total = len(text.splitlines())
    for fence in parse_fences(text):
        end = fence.line + len(fence.lines) + (1 if fence.closed else 0)
        numbers.update(range(fence.line, min(end, total) + 1))
    return numbers


# --------------------------------------------------------------------------------------------
# Python blocks
# --------------------------------------------------------------------------------------------

@dataclass
class Block:
    path: Path
    rel: str
    line: int              # line of the opening fence
    first_code_line: int
    kind: str              # "tier1" | "spark" | "databricks"
    continued: bool
    code: str
    chain: list = field(default_factory=list, repr=False)   # blocks of its chain, in order

    @property
    def id(self) -> str:
        return f"{self.rel}:{self.line}:{self.kind}"

    @property
    def last_code_line(self) -> int:
        return self.first_code_line + max(len(self.code.splitlines()) - 1, 0)

    def padded_source(self) -> str:
        """The code preceded by blank lines, so its line numbers are the markdown file's."""
        return "\n" * (self.first_code_line - 1) + self.code


def classify_fence(fence: Fence) -> tuple[str, bool] | None:
    """(kind, continued) for a Python fence, None for any other language. Raises ValueError for
    tags outside the convention, so a typo never silently changes how a block is tested."""
    if fence.lang not in PYTHON_LANGS:
        return None
    tags = fence.tags
    unknown = [tag for tag in tags if tag not in FENCE_TAGS]
    if unknown:
        raise ValueError(f"unknown tag {unknown[0]!r} on a ```{fence.lang} fence "
                         f"(allowed: spark, databricks, continued)")
    if "spark" in tags and "databricks" in tags:
        raise ValueError("a block is either `spark` or `databricks`, not both")
    if len(set(tags)) != len(tags):
        raise ValueError(f"repeated tag in ```{fence.info}")
    kind = "spark" if "spark" in tags else "databricks" if "databricks" in tags else "tier1"
    return kind, "continued" in tags


def collect_blocks(files: list[Path], root: Path) -> tuple[list[Block], list[str]]:
    """Every Python block of the files, with its chain; plus problems (file:line: message)."""
    blocks, problems = [], []
    for path in files:
        relative = rel(path, root)
        previous = None
        for fence in parse_fences(path.read_text(encoding="utf-8")):
            if not fence.closed:
                problems.append(f"{relative}:{fence.line}: code fence is never closed")
            try:
                classified = classify_fence(fence)
            except ValueError as error:
                problems.append(f"{relative}:{fence.line}: {error}")
                continue
            if classified is None:
                continue
            kind, continued = classified
            block = Block(path, relative, fence.line, fence.first_code_line, kind, continued, fence.code)
            if continued:
                if previous is None:
                    problems.append(f"{relative}:{fence.line}: `continued` block has no earlier "
                                    f"Python block in this file to continue")
                    continue
                if previous.kind != kind:
                    problems.append(f"{relative}:{fence.line}: `continued` {kind} block follows a "
                                    f"{previous.kind} block (line {previous.line}); a chain has one kind")
                    continue
                block.chain = previous.chain
            else:
                block.chain = []
            block.chain.append(block)
            blocks.append(block)
            previous = block
    return blocks, problems


def chain_prefix(block: Block) -> list[Block]:
    """The blocks of its chain up to and including this one."""
    return block.chain[: block.chain.index(block) + 1]


def chain_source(blocks: list[Block]) -> str:
    """All blocks of a chain in one source whose line numbers are the markdown file's."""
    lines: list[str] = []
    for block in blocks:
        lines += [""] * (block.first_code_line - 1 - len(lines))
        lines += block.code.splitlines()
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Running blocks
# --------------------------------------------------------------------------------------------

@dataclass
class ChainRun:
    """Outcome of running a chain: the line of the block that failed (None: all passed)."""
    failed_line: int | None
    output: str

    def outcome_for(self, block: Block) -> str | None:
        """None if the block ran fine, else the failure message for it."""
        if self.failed_line is None or block.line < self.failed_line:
            return None
        if block.line == self.failed_line:
            return f"{block.rel}:{block.line}: block failed\n{self.output}"
        return (f"{block.rel}:{block.line}: not run: the block it continues "
                f"({block.rel}:{self.failed_line}) failed")


# Runs in the subprocess: exec each block in one namespace, like one script made of the chain.
# Line numbers and file names in tracebacks are the markdown's (linecache is primed with them).
_RUNNER = r"""
import json, linecache, sys, traceback
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
sys.argv = ["snippet.py"]
namespace = {"__name__": "__main__", "__builtins__": __builtins__}
for block in blocks:
    source = block["source"]
    linecache.cache[block["file"]] = (len(source), None, source.splitlines(True), block["file"])
    try:
        exec(compile(source, block["file"], "exec"), namespace)
    except SystemExit as stop:
        if stop.code not in (0, None):
            print(f"DOCS_BLOCK_FAILED {block['line']}", file=sys.stderr)
            print(f"SystemExit({stop.code!r})", file=sys.stderr)
            sys.exit(1)
    except BaseException:
        print(f"DOCS_BLOCK_FAILED {block['line']}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


def run_tier1_chain(blocks: list[Block], workdir: Path, timeout: float = BLOCK_TIMEOUT_SECONDS) -> ChainRun:
    """Run a Tier 1 chain in a fresh interpreter (this one's), cwd `workdir`, and report per block."""
    workdir.mkdir(parents=True, exist_ok=True)
    payload = workdir.parent / f"{workdir.name}-blocks.json"
    payload.write_text(json.dumps([{"file": b.rel, "line": b.line, "source": b.padded_source()}
                                   for b in blocks]), encoding="utf-8")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    # Own process group, so a timeout also ends whatever the block started (a `uv run`, a server).
    with subprocess.Popen([sys.executable, "-c", _RUNNER, str(payload)], cwd=workdir, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            # Which block was running is unknown: the chain's first block carries the verdict.
            return ChainRun(blocks[0].line, f"timed out after {timeout:.0f} s (the chain starting at line "
                                            f"{blocks[0].line}, {len(blocks)} block(s))")
    if process.returncode == 0:
        return ChainRun(None, stdout)
    marker = re.search(r"^DOCS_BLOCK_FAILED (\d+)$", stderr, re.M)
    failed = int(marker.group(1)) if marker else blocks[0].line
    details = re.sub(r"^DOCS_BLOCK_FAILED \d+\n", "", stderr, flags=re.M)
    return ChainRun(failed, f"exit code {process.returncode}\n{details[-6000:]}")


class BlockTimeout(Exception):
    pass


def run_spark_chain(blocks: list[Block], spark, workdir: Path, timeout: float = BLOCK_TIMEOUT_SECONDS) -> ChainRun:
    """Run a spark chain in this process with `spark` bound to the shared session, cwd `workdir`.

    The session is shared by every spark block (one JVM for all), so this restores what a block
    may leave behind: SQL confs, active streams, the working directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    namespace = {"__name__": "__main__", "__builtins__": builtins, "spark": spark}
    saved_cwd = os.getcwd()
    saved_conf = _spark_conf(spark)
    saved_hadoop_dir = _set_hadoop_working_directory(spark, workdir)

    def on_alarm(signum, frame):
        raise BlockTimeout(f"timed out after {timeout:.0f} s")

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    try:
        os.chdir(workdir)
        for block in blocks:
            source = block.padded_source()
            linecache.cache[block.rel] = (len(source), None, source.splitlines(True), block.rel)
            signal.alarm(int(timeout))
            try:
                exec(compile(source, block.rel, "exec"), namespace)
            except SystemExit as stop:
                if stop.code not in (0, None):
                    return ChainRun(block.line, f"SystemExit({stop.code!r})")
            except BaseException as error:  # noqa: BLE001 - any failure of the block is its verdict
                if isinstance(error, KeyboardInterrupt):
                    raise
                return ChainRun(block.line, _doc_traceback(error))
            finally:
                signal.alarm(0)
        return ChainRun(None, "")
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        os.chdir(saved_cwd)
        _stop_streams(spark)
        _restore_spark_conf(spark, saved_conf)
        if saved_hadoop_dir is not None:
            _set_hadoop_working_directory(spark, Path(saved_hadoop_dir))


def _doc_traceback(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    # Drop this module's own frames: what matters is the block and what it called.
    kept = [f for f in frames if f.filename != __file__]
    lines = traceback.format_list(kept) + traceback.format_exception_only(type(error), error)
    return "".join(lines)[-6000:]


def _spark_conf(spark) -> dict | None:
    try:
        return dict(spark.conf.getAll)
    except Exception:  # noqa: BLE001 - older sessions have no getAll; nothing to restore then
        return None


def _restore_spark_conf(spark, saved: dict | None) -> None:
    if saved is None:
        return
    current = _spark_conf(spark) or {}
    for key, value in current.items():
        if key not in saved:
            try:
                spark.conf.unset(key)
            except Exception:  # noqa: BLE001 - static confs cannot be unset; they were not set by a block either
                pass
        elif saved[key] != value:
            spark.conf.set(key, saved[key])


def _stop_streams(spark) -> None:
    try:
        for query in spark.streams.active:
            query.stop()
    except Exception:  # noqa: BLE001
        pass


def _set_hadoop_working_directory(spark, directory: Path) -> str | None:
    """Point the JVM's local filesystem at `directory` so a block's relative paths
    (`df.write.parquet("output/x")`) land in its temp folder, not where pytest started.
    Returns the previous directory, or None over Spark Connect (no JVM access)."""
    try:
        jvm = spark._jvm
        local_fs = jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark._jsc.hadoopConfiguration())
    except Exception:  # noqa: BLE001 - Connect sessions have no _jvm
        return None
    previous = local_fs.getWorkingDirectory().toUri().getPath()
    local_fs.setWorkingDirectory(jvm.org.apache.hadoop.fs.Path(str(directory)))
    return previous


# --------------------------------------------------------------------------------------------
# Databricks-only names: the allowlist and the recorded Databricks Connect / SDK surface
# --------------------------------------------------------------------------------------------

def load_allowlist(path: Path = ALLOWLIST_FILE, surface: Path = SURFACE_FILE) -> dict:
    """The Databricks-only allowlist plus the recorded databricks-connect/databricks-sdk surface."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["databricks_surface"] = json.loads(surface.read_text(encoding="utf-8"))
    return data


def allowlisted(name: str, entries: list[dict]) -> bool:
    """An allowlist entry covers its own name and every prefix of it (the module you import it
    from, the object you reach it through)."""
    return any(e["name"] == name or e["name"].startswith(name + ".") for e in entries)


# Runs inside a databricks-connect environment (Python 3.12, never beside pyspark) and prints the
# public names a guide can reach from `databricks.connect`, `databricks.sdk` and the notebook
# globals (`dbutils`, `display`, ...; databricks-sdk ships their stubs).
SURFACE_RECORDER = r"""
import importlib, importlib.metadata as md, inspect, json, sys

names = set()
opaque = set()   # walked no deeper: what lies beneath is accepted unchecked

def walk(qual, obj, depth, home):
    names.add(qual)
    if depth == 0:
        opaque.add(qual)
        return
    for attr in dir(obj):
        if attr.startswith("_"):
            continue
        try:
            child = getattr(obj, attr)   # on a class, a classproperty (`builder`) gives its value
        except Exception:
            names.add(f"{qual}.{attr}")
            continue
        if inspect.ismodule(child):
            continue                     # submodules are recorded only when walked explicitly
        names.add(f"{qual}.{attr}")
        module = getattr(child, "__module__", None) or type(child).__module__
        if not str(module).startswith(home):
            continue                     # re-exported foreign object (typing.Any, str values): a leaf
        if inspect.isclass(child) or not (callable(child) or isinstance(child, property)):
            walk(f"{qual}.{attr}", child, depth - 1, home)

connect = importlib.import_module("databricks.connect")
walk("databricks.connect", connect, 3, "databricks")
sdk = importlib.import_module("databricks.sdk")
walk("databricks.sdk", sdk, 1, "databricks")
walk("databricks.sdk.WorkspaceClient", sdk.WorkspaceClient, 1, "databricks")
walk("databricks.sdk.service.catalog", importlib.import_module("databricks.sdk.service.catalog"), 1, "databricks")
# databricks.sdk.runtime authenticates when imported; read its files without importing the package.
import ast, importlib.util, pathlib
runtime_dir = pathlib.Path(importlib.util.find_spec("databricks.sdk").submodule_search_locations[0]) / "runtime"
init_tree = ast.parse((runtime_dir / "__init__.py").read_text())
notebook_globals = next(ast.literal_eval(node.value) for node in init_tree.body
                        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "dbruntime_objects")
stub_spec = importlib.util.spec_from_file_location("ddg_dbutils_stub", runtime_dir / "dbutils_stub.py")
stub = importlib.util.module_from_spec(stub_spec)
stub_spec.loader.exec_module(stub)
walk("dbutils", stub.dbutils, 3, "ddg_dbutils_stub")
for name in notebook_globals:
    names.add(f"databricks.sdk.runtime.{name}")
print(json.dumps({
    "databricks-connect": md.version("databricks-connect"),
    "databricks-sdk": md.version("databricks-sdk"),
    "python": ".".join(map(str, sys.version_info[:3])),
    "notebook_globals": sorted(notebook_globals),
    "names": sorted(names),
    "opaque": sorted(opaque),
}))
"""


def record_databricks_surface(python: str) -> dict:
    """Run SURFACE_RECORDER with a databricks-connect environment's interpreter."""
    completed = subprocess.run([python, "-c", SURFACE_RECORDER], capture_output=True, text=True,
                               timeout=300, cwd=tempfile.gettempdir())
    if completed.returncode != 0:
        raise RuntimeError(f"recording the Databricks surface failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


# --------------------------------------------------------------------------------------------
# Static checks: names on imported modules, and keyword arguments of dbldatagen calls
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    line: int
    message: str


_MISSING = object()


class _Unknown(Exception):
    """Resolution cannot go further without running the code (a value, not a type)."""


class NameResolver:
    """Resolves dotted names (`dbldatagen.distributions.Gamma`) against the installed packages,
    the recorded Databricks surface and the Databricks-only allowlist."""

    def __init__(self, allowlist: dict):
        self.entries = allowlist["databricks_only"]
        self.surface = set(allowlist["databricks_surface"]["names"])
        # Folders on the way to a recorded name (`databricks.sdk.service`) exist too.
        self.surface |= {name.rsplit(".", i)[0] for name in self.surface for i in range(1, name.count(".") + 1)}
        self.opaque = set(allowlist["databricks_surface"]["opaque"])
        self.notebook_globals = set(allowlist["databricks_surface"]["notebook_globals"])
        self._cache: dict[str, str | None] = {}

    def problem(self, qualified: str) -> str | None:
        """None if the name exists (or cannot be known statically), else why it does not."""
        if qualified not in self._cache:
            self._cache[qualified] = self._problem(qualified)
        return self._cache[qualified]

    def _problem(self, qualified: str) -> str | None:
        if allowlisted(qualified, self.entries):
            return None
        parts = qualified.split(".")
        if parts[0] in ("databricks", "dbutils"):
            for i in range(2, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix not in self.surface and not allowlisted(prefix, self.entries):
                    owner = ".".join(parts[: i - 1])
                    siblings = [n.rpartition(".")[2] for n in self.surface if n.rpartition(".")[0] == owner]
                    return (f"`{prefix}` is not in the recorded databricks-connect/databricks-sdk "
                            f"surface nor in the Databricks-only allowlist{_suggest(parts[i - 1], siblings)}")
                if prefix in self.opaque:
                    return None
            return None
        try:
            obj = importlib.import_module(parts[0])
        except ImportError:
            return (f"module `{parts[0]}` is not installed in the test environment and "
                    f"`{qualified}` is not in the Databricks-only allowlist")
        for i, attr in enumerate(parts[1:], start=1):
            prefix = ".".join(parts[: i + 1])
            try:
                obj = _get_attribute(obj, attr)
            except _Unknown:
                return None
            if obj is _MISSING:
                if allowlisted(prefix, self.entries):
                    # Nothing installed to look into: the whole name must be an allowlisted API.
                    known = sorted(e["name"].rsplit(".", 1)[1] for e in self.entries
                                   if e["name"].rsplit(".", 1)[0] == ".".join(parts[:-1]))
                    return (f"`{qualified}` is not in the Databricks-only allowlist"
                            f"{_suggest(parts[-1], known)}")
                where = ".".join(parts[:i])
                owner = _describe(where)
                suggestion = _suggest(attr, _public_names_of(where))
                return f"`{prefix}`: {owner} `{where}` has no attribute `{attr}`{suggestion}"
        return None

    def resolve(self, qualified: str):
        """The object for an installed dotted name, or _MISSING."""
        parts = qualified.split(".")
        if parts[0] in ("databricks", "dbutils"):
            return _MISSING
        try:
            obj = importlib.import_module(parts[0])
            for attr in parts[1:]:
                obj = _get_attribute(obj, attr)
                if obj is _MISSING:
                    return _MISSING
            return obj
        except (ImportError, _Unknown):
            return _MISSING


def _describe(dotted: str) -> str:
    package = dotted.split(".")[0]
    version = _installed_version(package)
    return f"installed {package} {version}:" if version else "installed"


def _installed_version(distribution: str) -> str | None:
    import importlib.metadata as metadata
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _public_names_of(dotted: str) -> list[str]:
    parts = dotted.split(".")
    try:
        target = importlib.import_module(parts[0])
        for attr in parts[1:]:
            target = _get_attribute(target, attr)
        return [n for n in dir(target) if not n.startswith("_")] if target is not _MISSING else []
    except Exception:  # noqa: BLE001 - only used for a suggestion
        return []


def _suggest(name: str, candidates: list[str]) -> str:
    by_lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.75)
    return f" (did you mean `{by_lower[close[0]]}`?)" if close else ""


def _get_attribute(obj, attr: str):
    """getattr that also imports submodules, follows properties to their annotated return type,
    and raises _Unknown where only running the code would tell."""
    if inspect.ismodule(obj):
        if hasattr(obj, attr):
            return getattr(obj, attr)
        try:
            return importlib.import_module(f"{obj.__name__}.{attr}")
        except ModuleNotFoundError as error:
            if error.name and error.name != f"{obj.__name__}.{attr}":
                raise _Unknown from error   # the submodule exists but needs something not installed
            return _MISSING
        except ImportError as error:
            raise _Unknown from error
    try:
        static = inspect.getattr_static(obj, attr)
    except AttributeError:
        if inspect.isclass(obj) and hasattr(obj, "__getattr__"):
            raise _Unknown from None
        try:
            return getattr(obj, attr)
        except AttributeError:
            return _MISSING
        except Exception as error:  # noqa: BLE001 - dynamic attribute that needs a live object
            raise _Unknown from error
    if isinstance(static, (property, functools.cached_property)):
        # On a class a property is a descriptor, not a value: follow its annotated return type.
        return_type = _return_type(static.fget if isinstance(static, property) else static.func)
        if return_type is None:
            raise _Unknown from None
        return return_type
    try:
        return getattr(obj, attr)
    except Exception as error:  # noqa: BLE001 - descriptors that need a live object
        raise _Unknown from error


def _return_type(function):
    """The class a function is annotated to return, or None. A forward reference the module only
    imports for type checking (`-> "Catalog"`) is looked up among the package's loaded modules,
    preferring the one nearest the function's own module."""
    try:
        value = typing.get_type_hints(function).get("return")
        return value if inspect.isclass(value) else None
    except Exception:  # noqa: BLE001 - unresolvable forward references
        pass
    annotation = getattr(function, "__annotations__", {}).get("return")
    if not isinstance(annotation, str) or not re.fullmatch(r"[A-Za-z_]\w*", annotation.strip('"')):
        return None
    name, home = annotation.strip('"'), getattr(function, "__module__", "") or ""
    package = home.split(".")[0]
    candidates = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(package + "."):
            continue
        found = getattr(module, name, None)
        if inspect.isclass(found) and found.__module__ == module_name:
            candidates[module_name] = found
    if not candidates:
        return None

    def closeness(module_name: str) -> int:
        shared = 0
        for mine, theirs in zip(home.split("."), module_name.split("."), strict=False):
            if mine != theirs:
                break
            shared += 1
        return shared - module_name.count(".")

    return candidates[max(sorted(candidates), key=closeness)]


# -- scopes: what a block binds, imports, and leaves free -------------------------------------

def bound_names(tree: ast.AST) -> set[str]:
    """Every name the code binds anywhere (flow- and scope-insensitive: a lenient superset)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def imported_names(tree: ast.AST) -> dict[str, str]:
    """Local name -> the dotted name it stands for, from the code's import statements."""
    mapping = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    mapping[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    mapping[root] = root
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    mapping[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return mapping


def dotted_chain(node: ast.AST) -> list[str] | None:
    """['dg', 'distributions', 'Gamma'] for `dg.distributions.Gamma`; None if not rooted at a Name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _parents(tree: ast.AST) -> dict:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def check_names(tree: ast.AST, resolver: NameResolver) -> list[Finding]:
    """Imports resolve; every `module.attribute` chain on an imported name (or a Databricks
    notebook global) exists; no name is used that nothing defines."""
    findings = []
    imports = imported_names(tree)
    bound = bound_names(tree)
    notebook_globals = resolver.notebook_globals
    # Free names typed as what Databricks injects: `spark` is a SparkSession, `dbutils` the stub.
    typed_globals = {"spark": "pyspark.sql.SparkSession", "dbutils": "dbutils"}

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                problem = resolver.problem(alias.name)
                if problem:
                    findings.append(Finding(node.lineno, f"import {alias.name}: {problem}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                target = node.module if alias.name == "*" else f"{node.module}.{alias.name}"
                problem = resolver.problem(target)
                if problem:
                    findings.append(Finding(node.lineno, f"from {node.module} import {alias.name}: {problem}"))

    parents = _parents(tree)
    seen = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            continue   # not the longest chain
        chain = dotted_chain(node)
        if not chain:
            continue
        root = chain[0]
        if root in imports:
            qualified = ".".join([imports[root], *chain[1:]])
        elif root not in bound and root in typed_globals and root in notebook_globals:
            qualified = ".".join([typed_globals[root], *chain[1:]])
        else:
            continue
        if (node.lineno, qualified) in seen:
            continue
        seen.add((node.lineno, qualified))
        problem = resolver.problem(qualified)
        if problem:
            findings.append(Finding(node.lineno, f"{'.'.join(chain)}: {problem}"))

    known = bound | set(dir(builtins)) | notebook_globals | {"__name__", "__file__", "__doc__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known:
            if (node.lineno, node.id) not in seen:
                seen.add((node.lineno, node.id))
                findings.append(Finding(node.lineno, f"name `{node.id}` is not defined (not imported, "
                                                     f"assigned, nor a Databricks notebook global)"))
    return findings


# -- dbldatagen keyword arguments --------------------------------------------------------------

class DbldatagenRules:
    """What dbldatagen 0.4.0.post1 accepts, read from the installed package's own source."""

    def __init__(self):
        import dbldatagen
        from dbldatagen import column_spec_options, data_generator

        self.version = _installed_version("dbldatagen")
        self.DataGenerator = dbldatagen.DataGenerator
        options = column_spec_options.ColumnSpecOptions
        legacy = {getattr(data_generator, "_OLD_MIN_OPTION", "min"), getattr(data_generator, "_OLD_MAX_OPTION", "max")}
        # withColumn/withColumnSpec pass **kwargs on as column options, validated against this set.
        self.column_options = ((set(options._ALLOWED_PROPERTIES) | set(options._PROPERTY_ALIASES) | legacy)
                               - set(options._FORBIDDEN_PROPERTIES) - {"name", "type"})
        self.generator_parameters = _named_parameters(dbldatagen.DataGenerator.__init__)
        self.methods = {name for name in dir(dbldatagen.DataGenerator) if not name.startswith("_")}
        # Methods that hand the generator back, so a chain `.withColumn(...).withColumn(...)` stays one.
        self.chaining = {name for name, fn in inspect.getmembers(dbldatagen.DataGenerator, inspect.isfunction)
                         if not name.startswith("_") and re.search(r"return self\s*$", inspect.getsource(fn), re.M)}
        self.chaining |= {"withStructColumn", "clone"} & self.methods
        self.forwarding = {"withColumn", "withColumnSpec", "withColumnSpecs", "withStructColumn"}
        # DataGenerator(**kwargs) reads a few deprecated spellings and silently ignores everything else.
        self.deprecated_generator_keywords = {"starting_id": "startingId", "seed": "randomSeed",
                                              "seed_method": "randomSeedMethod (and it is ignored)",
                                              "batch_size": "batchSize", "use_pandas": None,
                                              "usePandas": None, "generateWithSelects": None}

    def method_keywords(self, method: str) -> set[str] | None:
        """Keywords a DataGenerator method accepts (None: anything)."""
        function = getattr(self.DataGenerator, method)
        named = _named_parameters(function)
        if method in self.forwarding:
            return named | self.column_options
        signature = _signature(function)
        if signature and any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            return None
        return named


def _signature(function):
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def _named_parameters(function) -> set[str]:
    signature = _signature(function)
    if signature is None:
        return set()
    return {name for name, p in signature.parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "self"}


_RULES: DbldatagenRules | None = None


def dbldatagen_rules() -> DbldatagenRules:
    global _RULES
    if _RULES is None:
        _RULES = DbldatagenRules()
    return _RULES


def check_keywords(tree: ast.AST, resolver: NameResolver, all_installed_calls: bool = False) -> list[Finding]:
    """Keyword arguments of dbldatagen calls (DataGenerator(...), .withColumn(...), any DataGenerator
    method, dbldatagen functions and classes) against the installed dbldatagen. With
    `all_installed_calls`, any call whose target resolves to an installed function is checked too."""
    rules = dbldatagen_rules()
    imports = imported_names(tree)
    findings: list[Finding] = []

    def qualified_callee(call: ast.Call) -> str | None:
        chain = dotted_chain(call.func)
        if chain and chain[0] in imports:
            return ".".join([imports[chain[0]], *chain[1:]])
        return None

    def is_generator_constructor(call: ast.AST) -> bool:
        if not isinstance(call, ast.Call):
            return False
        callee = qualified_callee(call)
        return callee is not None and resolver.resolve(callee) is rules.DataGenerator

    generator_names: set[str] = set()

    def is_generator(expr: ast.AST) -> bool:
        if is_generator_constructor(expr):
            return True
        if isinstance(expr, ast.Name):
            return expr.id in generator_names
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            return expr.func.attr in rules.chaining and is_generator(expr.func.value)
        return False

    # Names that hold a DataGenerator: assigned from one, to a fixpoint (gen = gen.withColumn(...)).
    assignments = [(t.id, node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   for t in node.targets if isinstance(t, ast.Name)]
    assignments += [(node.target.id, node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value]
    changed = True
    while changed:
        changed = False
        for name, value in assignments:
            if name not in generator_names and is_generator(value):
                generator_names.add(name)
                changed = True

    def keyword_problems(call: ast.Call, allowed: set[str], what: str, kind: str) -> None:
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg in allowed:
                continue
            hint = _suggest(keyword.arg, sorted(allowed))
            findings.append(Finding(keyword.lineno, f"{what.format(kw=keyword.arg)}: dbldatagen "
                                                    f"{rules.version} has no {kind} `{keyword.arg}`{hint}"))

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if is_generator_constructor(node):
            for keyword in node.keywords:
                if keyword.arg is None or keyword.arg in rules.generator_parameters:
                    continue
                if keyword.arg in rules.deprecated_generator_keywords:
                    current = rules.deprecated_generator_keywords[keyword.arg]
                    instead = f"; use `{current}`" if current else ""
                    findings.append(Finding(keyword.lineno, f"DataGenerator(..., {keyword.arg}=...): deprecated "
                                                            f"keyword in dbldatagen {rules.version}{instead}"))
                else:
                    hint = _suggest(keyword.arg, sorted(rules.generator_parameters))
                    findings.append(Finding(keyword.lineno, f"DataGenerator(..., {keyword.arg}=...): dbldatagen "
                                                            f"{rules.version} has no parameter `{keyword.arg}` "
                                                            f"(DataGenerator ignores unknown keywords silently){hint}"))
            continue
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = node.func.value
            if is_generator(receiver):
                if method not in rules.methods:
                    findings.append(Finding(node.lineno, f".{method}(...): dbldatagen {rules.version} "
                                                         f"DataGenerator has no method `{method}`"
                                                         f"{_suggest(method, sorted(rules.methods))}"))
                    continue
                allowed = rules.method_keywords(method)
                if allowed is not None:
                    kind = "column option" if method in rules.forwarding else "parameter"
                    keyword_problems(node, allowed, f".{method}(..., {{kw}}=...)", kind)
                continue
            if method == "withColumn" and node.keywords:
                # Receiver unknown (a parameter, a value from elsewhere). pyspark's
                # DataFrame.withColumn takes only colName/col; anything else is meant for dbldatagen.
                names = {k.arg for k in node.keywords if k.arg}
                if names <= {"colName", "col"}:
                    continue
                allowed = rules.method_keywords("withColumn")
                keyword_problems(node, allowed, ".withColumn(..., {kw}=...)", "column option")
                continue
        callee = qualified_callee(node)
        if callee is None:
            continue
        if not (callee.startswith("dbldatagen.") or all_installed_calls):
            continue
        target = resolver.resolve(callee)
        if target is _MISSING or not callable(target):
            continue
        signature = _signature(target)
        if signature is None or any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            continue
        allowed = {name for name, p in signature.parameters.items()
                   if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        for keyword in node.keywords:
            if keyword.arg is not None and keyword.arg not in allowed:
                package = callee.split(".")[0]
                version = _installed_version(package) or ""
                findings.append(Finding(keyword.lineno, f"{callee}(..., {keyword.arg}=...): installed {package} "
                                                        f"{version} takes no keyword `{keyword.arg}`"
                                                        f"{_suggest(keyword.arg, sorted(allowed))}"))
    return findings


_STATIC_CACHE: dict[tuple[int, int], list[str]] = {}


def static_findings(block: Block, resolver: NameResolver) -> list[str]:
    """Problems found without running: syntax, dbldatagen keywords (every kind), and for
    databricks blocks the names it uses. Messages are `file:line: ...`, attributed to this block."""
    key = (id(block), id(resolver))
    if key not in _STATIC_CACHE:
        _STATIC_CACHE[key] = _static_findings(block, resolver)
    return list(_STATIC_CACHE[key])


def _static_findings(block: Block, resolver: NameResolver) -> list[str]:
    blocks = chain_prefix(block)
    source = chain_source(blocks)
    if block.kind == "databricks":
        # Notebook cells may hold magics (`%pip install ...`, `%sql`, `!ls`): not Python, blanked
        # out line for line so the numbers still match the markdown.
        source = "\n".join("" if re.match(r"^[%!]", line) else line for line in source.split("\n"))
    try:
        tree = ast.parse(source, filename=block.rel)
    except SyntaxError as error:
        line = error.lineno or block.first_code_line
        if line < block.first_code_line:
            return []   # the earlier block of the chain reports it
        return [f"{block.rel}:{line}: SyntaxError: {error.msg}"]
    findings = check_keywords(tree, resolver, all_installed_calls=block.kind == "databricks")
    if block.kind == "databricks":
        findings += check_names(tree, resolver)
    own = [f for f in findings if block.first_code_line <= f.line <= block.last_code_line]
    return [f"{block.rel}:{f.line}: {f.message}" for f in sorted(own, key=lambda f: (f.line, f.message))]


def spark_block_misuse(block: Block) -> list[str]:
    """The shared session must outlive every block."""
    problems = []
    try:
        tree = ast.parse(block.padded_source())
    except SyntaxError:
        return problems
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "stop"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "spark"):
            problems.append(f"{block.rel}:{node.lineno}: a spark block must not stop the shared session")
    return problems


# --------------------------------------------------------------------------------------------
# Structure checks. Each takes the skill's root folder and returns problems as
# "path:line: message" strings (empty when the rule holds), so fixtures can prove each rule.
# --------------------------------------------------------------------------------------------

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SKILL_NAME = "databricks-data-gen"
# The Agent Skills specification's keys plus the Claude Code extras this skill may use.
ALLOWED_FRONTMATTER_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools",
                            "argument-hint", "disable-model-invocation", "user-invocable"}
SKILL_BODY_MAX_LINES = 500
CONTENTS_LIST_THRESHOLD = 100
MISSING_SKILL = "SKILL.md: missing (the file must be named exactly SKILL.md)"


def read_skill(root: Path) -> tuple[dict | None, str | None, int, list[str]]:
    """(frontmatter, body, line number where the body starts, problems)."""
    path = root / "SKILL.md"
    if "SKILL.md" not in os.listdir(root):
        return None, None, 0, [MISSING_SKILL]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, text, 1, ["SKILL.md:1: does not start with a `---` YAML frontmatter block"]
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return None, text, 1, ["SKILL.md:1: the frontmatter block is never closed with `---`"]
    import yaml

    try:
        frontmatter = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        return None, "\n".join(lines[end + 1:]), end + 2, [f"SKILL.md:{line}: frontmatter is not valid YAML: "
                                                           f"{getattr(error, 'problem', error)}"]
    if not isinstance(frontmatter, dict):
        return None, "\n".join(lines[end + 1:]), end + 2, ["SKILL.md:2: frontmatter is not a YAML mapping"]
    return frontmatter, "\n".join(lines[end + 1:]) + ("\n" if text.endswith("\n") else ""), end + 2, []


def frontmatter_problems(root: Path) -> list[str]:
    frontmatter, _, _, problems = read_skill(root)
    if frontmatter is None:
        return problems
    where = "SKILL.md frontmatter"
    unknown = sorted(set(frontmatter) - ALLOWED_FRONTMATTER_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(ALLOWED_FRONTMATTER_KEYS))})")
    name = frontmatter.get("name")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: `name` is missing")
    else:
        if len(name) > 64:
            problems.append(f"{where}: `name` is {len(name)} characters (at most 64)")
        if not NAME_PATTERN.match(name):
            problems.append(f"{where}: `name` {name!r} must be lowercase letters, digits and single hyphens")
        if name != SKILL_NAME:
            problems.append(f"{where}: `name` {name!r} must be {SKILL_NAME!r} (the folder it installs as)")
        if "claude" in name or "anthropic" in name:
            problems.append(f"{where}: `name` must not contain 'claude' or 'anthropic'")
    description = frontmatter.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append(f"{where}: `description` is missing")
    else:
        if len(description) > 1024:
            problems.append(f"{where}: `description` is {len(description)} characters (at most 1024)")
        if "<" in description or ">" in description:
            problems.append(f"{where}: `description` contains an angle bracket (`<` or `>`)")
        if re.match(r"^\s*(I|I'm|I'll|You|You're|We|We'll|Let's)\b", description) or \
                re.search(r"\bI (can|will|help)\b", description):
            problems.append(f"{where}: `description` must be third person (\"Generates ...\"), "
                            f"not {description.split()[0]!r} ...")
    hint = frontmatter.get("argument-hint")
    if not isinstance(hint, str) or not hint.strip():
        problems.append(f"{where}: `argument-hint` is missing")
    compatibility = frontmatter.get("compatibility")
    if isinstance(compatibility, str) and len(compatibility) > 500:
        problems.append(f"{where}: `compatibility` is {len(compatibility)} characters (at most 500)")
    return problems


def body_length_problems(root: Path, limit: int = SKILL_BODY_MAX_LINES) -> list[str]:
    _, body, start, problems = read_skill(root)
    if body is None:
        return problems
    count = len(body.splitlines())
    if count >= limit:
        return [f"SKILL.md:{start}: body is {count} lines (keep it under {limit}; move detail to references/)"]
    return []


# -- links -------------------------------------------------------------------------------------

_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


@dataclass(frozen=True)
class Link:
    line: int
    target: str


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of lines outside fenced blocks, with inline code spans blanked out."""
    fenced = fenced_line_numbers(text)
    result = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number not in fenced:
            result.append((number, _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)))
    return result


def links_in(text: str) -> list[Link]:
    links = []
    for number, line in prose_lines(text):
        for match in _INLINE_LINK.finditer(line):
            links.append(Link(number, match.group(1).strip("<>")))
        definition = _REFERENCE_DEFINITION.match(line)
        if definition:
            links.append(Link(number, definition.group(1).strip("<>")))
    return links


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.replace("`", "")
    text = re.sub(r"(\*\*|__|\*|(?<!\w)_|_(?!\w))", "", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    anchors, counts = set(), {}
    for _, line in [(n, l) for n, l in enumerate(text.splitlines(), 1) if n not in fenced_line_numbers(text)]:
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = github_anchor(heading.group(1))
            anchors.add(slug if slug not in counts else f"{slug}-{counts[slug]}")
            counts[slug] = counts.get(slug, 0) + 1
        anchors.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return anchors


def resolve_exact_case(start: Path, relative: str, root: Path) -> tuple[Path | None, str | None]:
    """Follow `relative` from folder `start` comparing names with real directory listings, so a
    link that only works on a case-insensitive filesystem is caught. (path, None) or (None, why)."""
    current = start
    for part in PurePosixPath(relative).parts:
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        try:
            entries = os.listdir(current)
        except (NotADirectoryError, FileNotFoundError):
            return None, f"`{current.name}` is not a folder"
        if part not in entries:
            same = [e for e in entries if e.lower() == part.lower()]
            if same:
                return None, f"case differs from the file on disk `{same[0]}`"
            return None, "no such file"
        current = current / part
    try:
        current.resolve().relative_to(root.resolve())
    except ValueError:
        return None, "points outside the skill folder (breaks once installed)"
    return current, None


def link_problems(root: Path) -> list[str]:
    """Every relative link in SKILL.md, README.md and references/ resolves, with exact case, and
    its #anchor names a heading of the target."""
    problems = []
    for path in guide_files(root):
        relative = rel(path, root)
        text = path.read_text(encoding="utf-8")
        for link in links_in(text):
            target = link.target
            if _SCHEME.match(target):
                continue
            if target.startswith("/"):
                problems.append(f"{relative}:{link.line}: link `{target}` is absolute; use a path relative to the file")
                continue
            file_part, _, anchor = target.partition("#")
            file_part = file_part.split("?")[0]
            from urllib.parse import unquote
            file_part = unquote(file_part)
            if file_part:
                resolved, why = resolve_exact_case(path.parent, file_part, root)
                if resolved is None:
                    problems.append(f"{relative}:{link.line}: link `{target}`: {why}")
                    continue
            else:
                resolved = path
            if anchor and resolved.is_file() and resolved.suffix == ".md":
                if anchor not in anchors_of(resolved.read_text(encoding="utf-8")):
                    problems.append(f"{relative}:{link.line}: link `{target}`: no heading with anchor `#{anchor}` "
                                    f"in {rel(resolved, root)}")
    return problems


def skill_link_targets(root: Path) -> set[Path]:
    path = root / "SKILL.md"
    targets = set()
    for link in links_in(path.read_text(encoding="utf-8")):
        if _SCHEME.match(link.target) or link.target.startswith(("/", "#")):
            continue
        resolved, _ = resolve_exact_case(root, link.target.partition("#")[0], root)
        if resolved is not None:
            targets.add(resolved.resolve())
    return targets


def unlinked_reference_problems(root: Path) -> list[str]:
    """Every file under references/ (industry-patterns/ too) is linked directly from SKILL.md."""
    if "SKILL.md" not in os.listdir(root):
        return [MISSING_SKILL]
    references = root / "references"
    if not references.is_dir():
        return []
    linked = skill_link_targets(root)
    return [f"{rel(p, root)}: not linked from SKILL.md (link every guide directly, with when to read it)"
            for p in sorted(references.rglob("*")) if p.is_file() and p.resolve() not in linked]


def evals_link_problems(root: Path) -> list[str]:
    """SKILL.md neither links nor points Claude at evals/ (evaluation material stays out of context)."""
    if "SKILL.md" not in os.listdir(root):
        return [MISSING_SKILL]
    problems = []
    text = (root / "SKILL.md").read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(r"(?<![\w/.-])(\./)?evals(/|\b)", line):
            problems.append(f"SKILL.md:{number}: mentions evals/ (keep evaluation material out of what Claude reads)")
    return problems


# -- scripts mentioned ---------------------------------------------------------------------------

_SEGMENT = r"(?:[\w.*-]|<[\w-]+>|\{[\w.,-]+\})+"
_SCRIPT_PATH = re.compile(rf"(?<![\w.-])scripts(?:/{_SEGMENT})*/?")


def script_mentions(text: str) -> list[tuple[int, str]]:
    """(line, path) for every `scripts/...` path in the text, fences included; URLs skipped."""
    mentions = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _SCRIPT_PATH.finditer(line):
            token_start = line.rfind(" ", 0, match.start()) + 1
            if re.match(r"\S*://", line[token_start:match.end()]):
                continue
            path = match.group(0).rstrip(".,:;")
            if path in ("scripts", "scripts/") and not re.match(r"scripts/", match.group(0)):
                continue   # the word "scripts" in prose
            mentions.append((number, path))
    return mentions


def _expand_braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    return [expanded for option in match.group(1).split(",")
            for expanded in _expand_braces(pattern[:match.start()] + option + pattern[match.end():])]


def missing_script_problems(root: Path) -> list[str]:
    """Every scripts/ path that SKILL.md, README.md or a guide mentions exists (exact case);
    placeholders (`<industry>`), globs and {a,b} must match at least one file."""
    problems = []
    for path in guide_files(root):
        relative = rel(path, root)
        for number, mention in script_mentions(path.read_text(encoding="utf-8")):
            if mention.rstrip("/") == "scripts":
                continue
            if re.search(r"[*<{]", mention):
                patterns = [re.sub(r"<[\w-]+>", "*", p) for p in _expand_braces(mention)]
                missing = [p for p in patterns if not any(_exact_case_exists(m, root)
                                                          for m in root.glob(p.rstrip("/")))]
                if missing:
                    problems.append(f"{relative}:{number}: `{mention}` matches no file ({', '.join(missing)})")
                continue
            resolved, why = resolve_exact_case(root, mention.rstrip("/"), root)
            if resolved is None:
                problems.append(f"{relative}:{number}: `{mention}`: {why}")
    return problems


def _exact_case_exists(path: Path, root: Path) -> bool:
    return resolve_exact_case(root, rel(path, root), root)[0] is not None


def skill_dir_variable_problems(root: Path) -> list[str]:
    """Commands in SKILL.md and the guides under references/ that run a bundled script reach it
    through ${CLAUDE_SKILL_DIR}, so they work wherever the skill is installed (Claude runs them
    from the user's project folder, not from the skill's)."""
    if "SKILL.md" not in os.listdir(root):
        return [MISSING_SKILL]
    documents = [root / "SKILL.md"] + sorted((root / "references").rglob("*.md")) if (root / "references").is_dir() else [root / "SKILL.md"]
    problems = []
    for document in documents:
        name = rel(document, root)
        text = document.read_text(encoding="utf-8")
        lines = text.splitlines()
        command_lines: list[tuple[int, str]] = []
        for fence in parse_fences(text):
            if fence.lang in SHELL_LANGS or fence.lang == "":
                command_lines += [(fence.line + 1 + i, l) for i, l in enumerate(fence.lines)]
        fenced = fenced_line_numbers(text)
        for number, line in enumerate(lines, start=1):
            if number in fenced:
                continue
            for span in re.findall(r"(`+)((?:(?!\1).)+?)\1", line):
                command_lines.append((number, span[1]))
        for number, command in command_lines:
            if not re.search(r"\b(uv\s+run|python3?(\.\d+)?|bash|sh)\s", command):
                continue
            for match in _SCRIPT_PATH.finditer(command):
                if not match.group(0).startswith("scripts/"):
                    continue
                before = command[:match.start()]
                if not before.endswith("${CLAUDE_SKILL_DIR}/"):
                    problems.append((name, number, f"{name}:{number}: `{match.group(0)}` in a command: write "
                                     f"`${{CLAUDE_SKILL_DIR}}/{match.group(0)}` so it runs wherever the skill is installed"))
    return [message for _, _, message in sorted(set(problems))]


# -- contents lists ------------------------------------------------------------------------------

def contents_list_problems(root: Path, threshold: int = CONTENTS_LIST_THRESHOLD) -> list[str]:
    """A reference file over `threshold` lines starts with a contents list: before its first
    section heading (other than a "Contents" heading), a list of at least two links to its own
    headings."""
    problems = []
    references = root / "references"
    if not references.is_dir():
        return problems
    for path in sorted(references.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if len(lines) <= threshold:
            continue
        fenced = fenced_line_numbers(text)
        anchors = anchors_of(text)
        items = 0
        for number, line in enumerate(lines, start=1):
            if number in fenced:
                break
            heading = re.match(r"^\s{0,3}(#{2,6})\s+(.*)$", line)
            if heading and not re.match(r"(table of )?contents\b", heading.group(2).strip(), re.I):
                break
            item = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+\[[^\]]+\]\(#([^)]+)\)", line)
            if item and item.group(1) in anchors:
                items += 1
        if items < 2:
            problems.append(f"{rel(path, root)}:1: {len(lines)} lines but no contents list before its first "
                            f"section (a list of links to its own #headings)")
    return problems


# -- version pins --------------------------------------------------------------------------------

_SPEC = r"((?:===|==|>=|<=|~=|!=|<|>)\s*[\w.*+!-]+(?:\s*,\s*(?:===|==|>=|<=|~=|!=|<|>)\s*[\w.*+!-]+)*)"
_CONNECT_SPEC = re.compile(rf"databricks-connect\s*{_SPEC}")
_DBLDATAGEN_SPEC = re.compile(rf"dbldatagen\s*{_SPEC}")
_DBLDATAGEN_PROSE = re.compile(r"dbldatagen\s+v?(\d+\.\d+[\w.]*\w)")
_PYTHON_OPTION = re.compile(r"--python[ =]\s*['\"]?(\d+\.\d+(?:\.\d+)?)")
_PIN_SECTION = re.compile(r"^(#{2,3})\s+version pins\b", re.I)
PIN_TEXT_SUFFIXES = {".md", ".py", ".txt", ".sh", ".toml", ".json", ".cfg", ".ini", ".yml", ".yaml", ""}


@dataclass(frozen=True)
class PinMention:
    where: str     # path:line
    what: str      # "databricks-connect" | "dbldatagen" | "python"
    value: str


def pin_files(root: Path) -> list[Path]:
    """Where version pins may appear: the guides, scripts/ and the tests' requirements files."""
    files = guide_files(root)
    scripts = root / "scripts"
    if scripts.is_dir():
        files += sorted(p for p in scripts.rglob("*") if p.is_file() and p.suffix in PIN_TEXT_SUFFIXES
                        and "__pycache__" not in p.parts)
    tests = root / "tests"
    if tests.is_dir():
        # tests/requirements*.txt and the environments tests build (tests/<env>/requirements*.txt).
        files += sorted(p for p in tests.rglob("requirements*.txt") if "fixtures" not in p.relative_to(tests).parts)
    return files


def pin_section_lines(root: Path) -> set[int]:
    """Line numbers of SKILL.md's "Version pins" section (the canonical place)."""
    path = root / "SKILL.md"
    if not path.is_file():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    fenced = fenced_line_numbers("\n".join(lines))
    for index, line in enumerate(lines):
        match = _PIN_SECTION.match(line)
        if match and index + 1 not in fenced:
            level = len(match.group(1))
            end = next((j for j in range(index + 1, len(lines)) if j + 1 not in fenced and
                        re.match(rf"^#{{1,{level}}}\s", lines[j])), len(lines))
            return set(range(index + 1, end + 1))
    return set()


def pin_mentions(root: Path, files: list[Path] | None = None, only_lines: dict | None = None,
                 skip_lines: dict | None = None) -> list[PinMention]:
    mentions = []
    for path in files if files is not None else pin_files(root):
        relative = rel(path, root)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if only_lines is not None and number not in only_lines.get(relative, set()):
                continue
            if skip_lines is not None and number in skip_lines.get(relative, set()):
                continue
            where = f"{relative}:{number}"
            for match in _CONNECT_SPEC.finditer(line):
                mentions.append(PinMention(where, "databricks-connect", re.sub(r"\s", "", match.group(1))))
            for match in _DBLDATAGEN_SPEC.finditer(line):
                mentions.append(PinMention(where, "dbldatagen", re.sub(r"\s", "", match.group(1))))
            for match in _DBLDATAGEN_PROSE.finditer(line):
                mentions.append(PinMention(where, "dbldatagen", "==" + match.group(1)))
            if "databricks-connect" in line:
                for match in _PYTHON_OPTION.finditer(line):
                    mentions.append(PinMention(where, "python", match.group(1)))
    return mentions


def canonical_pins(root: Path) -> tuple[dict[str, str], list[str]]:
    """The pins SKILL.md's "Version pins" section states first: databricks-connect spec,
    dbldatagen version, Python for Connect."""
    if "SKILL.md" not in os.listdir(root):
        return {}, [MISSING_SKILL]
    section = pin_section_lines(root)
    if not section:
        return {}, ["SKILL.md: no `## Version pins` section (the one place the pins are stated)"]
    mentions = pin_mentions(root, [root / "SKILL.md"], only_lines={"SKILL.md": section})
    text_lines = (root / "SKILL.md").read_text(encoding="utf-8").splitlines()
    canonical, problems = {}, []
    for mention in mentions:
        canonical.setdefault(mention.what, mention.value)
    if "python" not in canonical:
        # In the section a `--python 3.12` (or "Python 3.12") need not share a line with the client.
        for pattern in (_PYTHON_OPTION, re.compile(r"Python\s+(3\.\d+)")):
            found = next((m for n in sorted(section) for m in [pattern.search(text_lines[n - 1])] if m), None)
            if found:
                canonical["python"] = found.group(1)
                break
    first = min(section)
    for what, example in (("databricks-connect", "`databricks-connect>=16.4,<17`"),
                          ("dbldatagen", "`dbldatagen==0.4.0.post1`"), ("python", "`--python 3.12`")):
        if what not in canonical:
            problems.append(f"SKILL.md:{first}: the Version pins section states no {what} pin (e.g. {example})")
    return canonical, problems


def _agrees(what: str, value: str, canonical: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    if what == "python":
        return value == canonical
    try:
        wanted, given = SpecifierSet(canonical), SpecifierSet(value)
    except InvalidSpecifier:
        return value == canonical
    if str(wanted) == str(given):
        return True
    exact = [s for s in given if s.operator in ("==", "===") and "*" not in s.version]
    if what == "databricks-connect" and len(exact) == 1 and len(given) == 1:
        try:
            return Version(exact[0].version) in wanted   # an exact client pin inside the range
        except InvalidVersion:
            return False
    return False


def version_pin_problems(root: Path) -> list[str]:
    """Every databricks-connect spec, dbldatagen version and Connect Python version in the guides,
    scripts/ and tests/requirements*.txt agrees with SKILL.md's Version pins section."""
    canonical, problems = canonical_pins(root)
    if not canonical:
        return problems
    section = {"SKILL.md": pin_section_lines(root)}
    for mention in pin_mentions(root, skip_lines=section):
        wanted = canonical.get(mention.what)
        if wanted is not None and not _agrees(mention.what, mention.value, wanted):
            problems.append(f"{mention.where}: {mention.what} {mention.value} disagrees with SKILL.md's "
                            f"Version pins ({wanted})")
    surface = SURFACE_FILE if root == REPO else root / "tests" / "fixtures" / "docs" / "databricks_surface.json"
    if surface.is_file() and "databricks-connect" in canonical:
        recorded = json.loads(surface.read_text(encoding="utf-8"))["databricks-connect"]
        if not _agrees("databricks-connect", "==" + recorded, canonical["databricks-connect"]):
            problems.append(f"{rel(surface, root)}: recorded from databricks-connect {recorded}, outside "
                            f"SKILL.md's pin {canonical['databricks-connect']}: record it again")
    return problems


def version_pin_disagreements(root: Path) -> list[str]:
    """Without SKILL.md to defer to: the pins the other files state agree with one another."""
    section = {"SKILL.md": pin_section_lines(root)}
    by_kind: dict[str, list[PinMention]] = {}
    for mention in pin_mentions(root, skip_lines=section):
        by_kind.setdefault(mention.what, []).append(mention)
    problems = []
    for what, mentions in sorted(by_kind.items()):
        ranges = [m for m in mentions if not (what == "databricks-connect" and re.fullmatch(r"==[\w.]+", m.value))]
        reference = ranges[0] if ranges else mentions[0]
        for mention in mentions:
            if not _agrees(what, mention.value, reference.value):
                problems.append(f"{mention.where}: {what} {mention.value} disagrees with "
                                f"{reference.where} ({reference.value})")
    return problems
