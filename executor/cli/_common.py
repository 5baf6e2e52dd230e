"""Options and error handling shared by every CLI command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from executor.config import default_db_url, normalize_db_url

__all__ = [
    "CatalogOption",
    "CatalogPinOption",
    "DbOption",
    "EndMarkerOption",
    "HomeOption",
    "JsonOption",
    "PolicyOption",
    "PolicyPinOption",
    "WitnessOption",
    "click_errors",
    "current_context",
    "emit_json",
    "fail",
    "friendly_errors",
    "open_steward",
    "parse_pairs",
    "resolve_db",
    "settings_from",
    "warn_unauthenticated",
]

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


def click_errors() -> Any:
    """The exceptions module of the click that Typer runs on.

    Typer vendors its own copy of click (``typer._click``) since 0.2x: the
    ``click`` package's UsageError or context are not the ones it uses.
    """
    try:
        from typer._click import exceptions
    except ImportError:  # an older Typer runs on the click package
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def current_context() -> Any:
    """The running command's click context, or None."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # an older Typer runs on the click package
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


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


CatalogOption = Annotated[str | None, typer.Option("--catalog", help="Catalog directory (default: the shipped one).")]
PolicyOption = Annotated[
    str | None,
    typer.Option("--policy", help="Policy YAML file (default: policies/default.yaml); 'none': catalog classes only."),
]
PolicyPinOption = Annotated[
    str | None,
    typer.Option("--policy-sha256", help="Refuse any policy of another version (default: $STEWARD_POLICY_SHA256)."),
]
CatalogPinOption = Annotated[
    str | None,
    typer.Option("--catalog-sha256", help="Refuse any catalog of another version (default: $STEWARD_CATALOG_SHA256)."),
]
EndMarkerOption = Annotated[
    bool,
    typer.Option("--require-end-marker",
                 help="Refuse policy and catalog files not ending with `end: true` ($STEWARD_REQUIRE_END_MARKER=1)."),
]
WitnessOption = Annotated[
    str | None,
    typer.Option("--witness", help="Also write each signed checkpoint to this folder ($STEWARD_WITNESS_DIR)."),
]
HomeOption = Annotated[
    str | None,
    typer.Option("--home", help="Folder for evidence, checkpoints and keys (default: $STEWARD_HOME, else ./.steward)."),
]


def settings_from(
    db: str | None, catalog: str | None = None, policy: str | None = None, home: str | None = None,
    *, policy_sha256: str | None = None, catalog_sha256: str | None = None, require_end_marker: bool = False,
    witness: str | None = None,
) -> Any:
    """Settings for a command from its common options (a flag left unset keeps the environment's value)."""
    from pathlib import Path

    from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings
    from executor.integrity import policy_path_option

    kwargs: dict[str, Any] = {
        "db_url": resolve_db(db),
        "catalog_dir": Path(catalog) if catalog else DEFAULT_CATALOG_DIR,
        "policy_path": policy_path_option(policy, DEFAULT_POLICY_PATH),
    }
    if home:
        kwargs["home"] = Path(home).resolve()
    if policy_sha256:
        kwargs["policy_sha256"] = policy_sha256
    if catalog_sha256:
        kwargs["catalog_sha256"] = catalog_sha256
    if require_end_marker:
        kwargs["require_end_marker"] = True
    if witness:
        kwargs["witness_dir"] = Path(witness).expanduser()
    return Settings(**kwargs)


def open_steward(
    db: str | None, catalog: str | None = None, policy: str | None = None, home: str | None = None, *, by: str = "cli",
    log_level: str = "WARNING", **integrity: Any,
) -> Any:
    """A Steward service for a command (the import is deferred to keep --help fast).

    Logs of the command go to stderr as JSON at ``log_level`` (``STEWARD_LOG_LEVEL``
    wins); spans are exported when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.
    ``integrity`` takes settings_from's keyword options (pins, end marker, witness).
    """
    from executor.logs import configure_logging
    from executor.service import Steward
    from executor.tracing import configure_tracing

    configure_logging(log_level)
    configure_tracing(f"steward-{by}")
    return Steward(settings_from(db, catalog, policy, home, **integrity), loaded_by=by)


def warn_unauthenticated(verb: str) -> None:
    """One line on stderr after a local act: its identity is whatever the caller typed."""
    typer.echo(
        f"warning: {verb} without --server: the identity was not authenticated (any name can be typed); "
        "use --server URL --token OPERATOR_KEY to act as an authenticated operator",
        err=True,
    )


def parse_pairs(pairs: list[str] | None, what: str) -> dict[str, str]:
    """``k=v`` strings to a dict; a clear error for anything else."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"{what} {pair!r} must look like key=value")
        out[key.strip()] = value
    return out
