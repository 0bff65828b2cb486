"""Shared test helpers: load the project's scripts by path (they are not a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
SCHEMAS = REPO / "assets" / "schemas"


def load_script(relative_path: str):
    """Import a script (e.g. "generators/polars/retail.py") as a module, once per session."""
    path = SCRIPTS / relative_path
    name = "ddg_" + relative_path.replace("/", "_").removesuffix(".py")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


# Local Spark fixtures (classic session, Spark Connect server and client) and the start-up
# timings they report: tests/conftest_spark.py.
from conftest_spark import (  # noqa: E402,F401
    pytest_terminal_summary,
    spark,
    spark_any,
    spark_connect,
    spark_connect_server,
    spark_modes,
    spark_workdir,
)
