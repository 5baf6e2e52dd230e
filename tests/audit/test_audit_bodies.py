"""Entry bodies rendered by the database, and the light verification worker."""

from __future__ import annotations

import subprocess
import sys
from hashlib import sha256

from sqlalchemy import Engine

from audit import AuditLog
from audit._bodies import ZERO_HASH, body_sql, entry_body, entry_leaf
from audit._chain import ChainChecker
from audit.models import Event

# Every ASCII control character but NUL (PostgreSQL text cannot hold it), the
# characters JSON escapes, DEL, and non-ASCII up to the astral plane.
AWKWARD = "".join(chr(i) for i in range(1, 0x80)) + "é€\u2028\u2029\ufeff😀"


class TestBodySql:
    """The database renders exactly the canonical body, so both hash alike."""

    def test_database_body_is_the_canonical_body(self, engine: Engine) -> None:
        """Awkward strings in every field: each row's SQL body equals ``entry_body`` byte for byte."""
        log = AuditLog(engine)
        log.append_many([
            Event("step.completed", AWKWARD, {"text": AWKWARD}, AWKWARD),
            Event("request.received", AWKWARD[::-1], {}, None),
        ])
        mark = "%s" if engine.dialect.name == "postgresql" else "?"
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                f"SELECT seq, ts, type, action_id, actor, payload, prev_hash, hash, {body_sql(engine.dialect.name)} "
                f"FROM audit_entries WHERE seq >= {mark} ORDER BY seq", (0,)
            )
            rows = cursor.fetchall()
        finally:
            raw.close()
        log.close()
        assert len(rows) == 2
        for seq, ts, typ, aid, actor, payload, prev, stored, body in rows:
            canonical = entry_body(seq, ts, typ, aid, actor, payload, prev)
            assert bytes(body) == canonical.encode("utf-8")
            assert sha256(b"\x00" + bytes(body)).hexdigest() == stored


class TestFeedBodies:
    """A body the database rendered differently is recomputed before it is blamed."""

    @staticmethod
    def _entries(n: int) -> list[tuple[int, str, str, bytes]]:
        rows, prev = [], ZERO_HASH
        for seq in range(n):
            body = entry_body(seq, "2026-01-01T00:00:00.000Z", "t", None, "a", f'{{"i":{seq}}}', prev)
            h = entry_leaf(body).hex()
            rows.append((seq, prev, h, body.encode()))
            prev = h
        return rows

    def test_differently_rendered_body_is_not_blamed(self) -> None:
        """Row 3's body is rendered otherwise; the exact leaf is asked for once, nothing is reported."""
        rows = self._entries(8)
        exact = {seq: entry_leaf(body.decode()) for seq, _, _, body in rows}
        rows[3] = (*rows[3][:3], rows[3][3].replace(b'"t"', b'"\\u0074"'))  # valid JSON, other bytes
        asked: list[int] = []

        def exact_leaf(seq: int) -> bytes:
            asked.append(seq)
            return exact[seq]

        reference = ChainChecker()
        reference.feed_bodies(self._entries(8), exact_leaf)
        checker = ChainChecker()
        checker.feed_bodies(rows, exact_leaf)
        checker.finish()
        assert asked == [3] and not checker.problems and checker.count == 8
        assert checker.frontier.root() == reference.frontier.root()

    def test_modified_body_is_blamed(self) -> None:
        """A body whose canonical form does not match its hash either is named as modified."""
        rows = self._entries(8)
        rows[5] = (*rows[5][:3], rows[5][3].replace(b'"i":5', b'"i":6'))

        def exact_leaf(seq: int) -> bytes:
            return sha256(b"\x00" + rows[seq][3]).digest()

        checker = ChainChecker()
        checker.feed_bodies(rows, exact_leaf)
        checker.finish()
        assert checker.first_bad_seq == 5 and "modified" in checker.problems[0]


def test_worker_imports_no_heavy_dependencies() -> None:
    """A verification worker loads the chain checker without SQLAlchemy or pydantic."""
    code = (
        "import sys, audit._verify_worker\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'pydantic', 'psycopg', 'cryptography') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
