"""An entry's canonical body, built in Python and, for fast verification, in SQL.

The body is the canonical JSON of an entry without its hash; its leaf hash is
SHA-256(0x00 || body). ``entry_body`` is the definition. ``body_sql`` is the
same text rendered by the database (SQLite ``json_quote``, PostgreSQL
``to_json``), so a verifier can fetch four short columns per row and hash
without building strings in Python.

Both databases escape strings exactly as Python's JSON encoder does (quote,
backslash, the short escapes, ``\\u00xx`` for other control characters,
everything else literal); a test pins that. Where they would differ anyway,
the database's text does not hash to the stored hash, and the verifier
recomputes that entry with ``entry_body`` before calling it modified. A
database rendering can never make a changed entry pass: both are valid JSON
encodings of the fields, so equal bytes mean equal fields.

This module imports nothing from the rest of the package: the parallel
verification workers load it without the package's dependencies.
"""

from __future__ import annotations

from hashlib import sha256
from json.encoder import encode_basestring

__all__ = ["ZERO_HASH", "body_sql", "entry_body", "entry_leaf"]

ZERO_HASH = "0" * 64
_enc = encode_basestring


def entry_body(
    seq: int,
    ts: str,
    type_: str,
    action_id: str | None,
    actor: str,
    payload_text: str,
    prev_hash: str,
) -> str:
    """Canonical JSON of an entry without its hash (keys in sorted order).

    ``payload_text`` must already be canonical JSON; it is spliced in as is,
    which is what makes verifying a million entries cheap.
    """
    return (
        '{"action_id":'
        + ("null" if action_id is None else _enc(action_id))
        + ',"actor":'
        + _enc(actor)
        + ',"payload":'
        + payload_text
        + ',"prev_hash":'
        + _enc(prev_hash)
        + ',"seq":'
        + str(seq)
        + ',"ts":'
        + _enc(ts)
        + ',"type":'
        + _enc(type_)
        + "}"
    )


def entry_leaf(body: str) -> bytes:
    """The leaf hash (= entry hash) of a canonical entry body."""
    return sha256(b"\x00" + body.encode("utf-8")).digest()


def body_sql(dialect: str) -> str:
    """A SQL expression over ``audit_entries`` giving ``entry_body`` of the row as UTF-8 bytes."""
    if dialect == "postgresql":
        def q(col: str) -> str:
            return f"to_json({col})::text"
        seq, wrap = "seq::text", "convert_to({}, 'UTF8')"
    else:
        def q(col: str) -> str:
            return f"json_quote({col})"
        seq, wrap = "seq", "CAST({} AS BLOB)"
    parts = (
        f"""'{{"action_id":' || COALESCE({q("action_id")}, 'null')""",
        f"""',"actor":' || {q("actor")}""",
        """',"payload":' || payload""",
        f"""',"prev_hash":' || {q("prev_hash")}""",
        f"""',"seq":' || {seq}""",
        f"""',"ts":' || {q("ts")}""",
        f"""',"type":' || {q("type")} || '}}'""",
    )
    return wrap.format(" || ".join(parts))
