"""Options and error handling shared by every CLI command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from executor.config import default_db_url, normalize_db_url

__all__ = ["DbOption", "JsonOption", "emit_json", "fail", "friendly_errors", "resolve_db"]

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite path (default: $STEWARD_DB, else ./steward.db)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

P = ParamSpec("P")
R = TypeVar("R")


def resolve_db(db: str | None) -> str:
    """The SQLAlchemy URL for ``--db``, falling back to the environment."""
    return normalize_db_url(db) if db else default_db_url()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero: never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit_json(obj: Any) -> None:
    """Print ``obj`` as one JSON object on stdout."""
    sys.stdout.write(json.dumps(obj, sort_keys=True, default=str) + "\n")


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn any unexpected exception into a one-line message and exit code 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the CLI's promise: one line, never a traceback
            fail(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))

    return wrapper
