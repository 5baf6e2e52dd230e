"""The verification core shared by the live verifier, the offline verifier and the checkpointer.

``ChainChecker`` consumes entries in seq order (their stored seq, prev_hash and
hash, plus the leaf hash recomputed from their contents) and checks:

- seq runs 0..n-1 without gaps,
- every entry's hash matches its contents,
- every prev_hash is the previous entry's hash,
- the Merkle root of the first ``size`` recomputed leaves equals the root of
  every checkpoint of that size.

It names the first bad seq as precisely as the evidence allows. A broken link
between two self-consistent entries is blamed on the entry *before* the break
(rewritten with a fresh hash), unless the next link breaks too (then the
entry itself was rewritten, prev_hash included), or the entry links to the
hash two back (then the entry before it was inserted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from audit._bodies import ZERO_HASH
from audit.merkle import Frontier

__all__ = ["MAX_PROBLEMS", "ChainChecker", "RootClaim"]

MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class RootClaim:
    """A (signed or trusted) claim: the first ``size`` entries have Merkle root ``root``."""

    size: int
    root: bytes
    label: str  # how to name it in problems, e.g. "checkpoint 1200"


@dataclass
class ChainChecker:
    """Streaming checks over entries in seq order."""

    claims: Sequence[RootClaim] = ()
    start: int = 0
    prev_hash: str = ZERO_HASH
    frontier: Frontier = field(default_factory=Frontier)
    collect_nodes: bool = False

    def __post_init__(self) -> None:
        self.count = self.start
        self.problems: list[str] = []
        self.extra_problems = 0
        self.first_bad_seq: int | None = None
        self.first_bad_claim: int | None = None
        self.good_claim_sizes: list[int] = []
        self.node_hashes: list[bytes] = []  # interior nodes completed, in (seq, level) order
        self._prev = self.prev_hash
        self._prev2: str | None = None
        self._pending: tuple[int, int] | None = None  # (position, stored seq) of an unexplained break
        self._seq_offset = 0  # stored seq minus position; reported when it changes
        self._claims = sorted(self.claims, key=lambda c: c.size)
        self._next_claim = 0
        while self._next_claim < len(self._claims) and self._claims[self._next_claim].size <= self.start:
            self._next_claim += 1  # claims at or below the start were checked by someone else

    # -- reporting ------------------------------------------------------------------------

    def problem(self, text: str) -> None:
        """Record a finding (capped at MAX_PROBLEMS lines)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.extra_problems += 1

    def blame(self, seq: int, text: str) -> None:
        """Record a finding about entry ``seq``."""
        seq = max(seq, 0)
        if self.first_bad_seq is None or seq < self.first_bad_seq:
            self.first_bad_seq = seq
        self.problem(text)

    def blame_claim(self, claim: RootClaim, text: str) -> None:
        """Record a failed checkpoint (named by its tree size; unknown sizes only by label)."""
        if claim.size >= 1 and (self.first_bad_claim is None or claim.size < self.first_bad_claim):
            self.first_bad_claim = claim.size
        self.problem(text)

    # -- feeding --------------------------------------------------------------------------

    def feed(self, seq: int, prev_hash: str, stored_hash: str, leaf: bytes) -> None:
        """One entry: its stored seq, prev_hash and hash, and its recomputed leaf hash."""
        pos = self.count
        self_ok = leaf.hex() == stored_hash
        link_ok = prev_hash == self._prev
        if not (seq - pos == self._seq_offset and self_ok and link_ok and self._pending is None):
            self._explain(pos, seq, prev_hash, self_ok, link_ok)
        completed = self.frontier.push(leaf)
        if self.collect_nodes:
            self.node_hashes.extend(completed)
        self._prev2, self._prev = self._prev, stored_hash
        self.count = pos + 1
        claims = self._claims
        while self._next_claim < len(claims) and claims[self._next_claim].size == self.count:
            self._check_claim(claims[self._next_claim])
            self._next_claim += 1

    def feed_bodies(
        self, rows: Sequence[tuple[Any, ...]], exact_leaf: Callable[[int], bytes] | None = None
    ) -> None:
        """Rows ``(seq, prev_hash, hash, body)`` in seq order, ``body`` the entry's body as UTF-8 bytes.

        The live verifier passes bodies the database rendered (``audit._bodies.body_sql``)
        and ``exact_leaf``: a row whose body does not hash to its stored hash is
        recomputed with ``exact_leaf(seq)`` (the canonical body, built in Python)
        before it counts as irregular. The offline verifier passes the exported
        canonical bodies and no ``exact_leaf``. Verifying a million entries is
        mostly this loop, so it keeps its state in locals and pushes onto the
        frontier directly; anything irregular, and every entry that completes a
        checkpoint, goes through the general ``feed``.
        """
        frontier = self.frontier
        nodes = self.node_hashes if self.collect_nodes else None
        i, n = 0, len(rows)
        while i < n:
            claims, k = self._claims, self._next_claim
            stop = n if k >= len(claims) else min(n, i + claims[k].size - self.count - 1)
            if self._pending is not None or self._seq_offset != 0:
                stop = i
            pos, prev, prev2 = self.count, self._prev, self._prev2
            stack, size = frontier._stack, frontier._size  # the hot loop owns the frontier here
            while i < stop:
                seq, p, h, body = rows[i]
                leaf = sha256(b"\x00" + body).digest()
                if seq != pos or p != prev or leaf.hex() != h:
                    break
                m, x = size, leaf
                while m & 1:
                    x = sha256(b"\x01" + stack.pop() + x).digest()
                    if nodes is not None:
                        nodes.append(x)
                    m >>= 1
                stack.append(x)
                size += 1
                prev2, prev = prev, h
                pos += 1
                i += 1
            frontier._size, self.count, self._prev, self._prev2 = size, pos, prev, prev2
            if i < n:
                seq, p, h, body = rows[i]
                leaf = sha256(b"\x00" + body).digest()
                if leaf.hex() != h and exact_leaf is not None:
                    leaf = exact_leaf(seq)  # the database may render an odd string differently
                self.feed(seq, p, h, leaf)  # irregular, or completes a checkpoint
                i += 1

    def _explain(self, pos: int, seq: int, prev_hash: str, self_ok: bool, link_ok: bool) -> None:
        if self._pending is not None:
            p_pos, p_seq = self._pending
            self._pending = None
            if not link_ok:
                self.blame(p_pos, f"seq {p_pos}: entry rewritten (its prev_hash and hash changed)")
                link_ok = True  # explained by the rewrite just blamed
            else:
                self.blame(p_seq - 1, f"seq {p_seq - 1}: entry rewritten (seq {p_seq} no longer links to it)")
        if seq - pos != self._seq_offset:
            self._seq_offset = seq - pos
            if seq != pos:
                self.blame(pos, f"seq {pos}: missing; found seq {seq} in its place (deleted, inserted or reordered)")
        inserted = not link_ok and pos > 0 and self._prev2 is not None and prev_hash == self._prev2
        if inserted:
            self.blame(pos - 1, f"seq {pos - 1}: inserted (seq {pos} links past it)")
        if not self_ok:
            self.blame(pos, f"seq {pos}: hash does not match the entry's contents (modified)")
        elif not link_ok and not inserted:
            if pos == 0:
                self.blame(0, "seq 0: prev_hash is not the zero hash")
            elif seq == pos:  # a misplaced entry was blamed above; its broken link says nothing new
                self._pending = (pos, seq)

    def _check_claim(self, claim: RootClaim) -> None:
        if self.frontier.root() == claim.root:
            self.good_claim_sizes.append(claim.size)
            return
        good = max((s for s in self.good_claim_sizes if s < claim.size), default=0)
        self.blame_claim(
            claim,
            f"{claim.label}: signed root does not match entries 0..{claim.size - 1} "
            f"(rewritten somewhere in seq {good}..{claim.size - 1}, or a forked log)",
        )

    def finish(self) -> None:
        """Resolve pending findings and claims beyond the end of the log."""
        if self._pending is not None:
            _, p_seq = self._pending
            self._pending = None
            self.blame(p_seq - 1, f"seq {p_seq - 1}: entry rewritten (seq {p_seq} no longer links to it)")
        for claim in self._claims[self._next_claim :]:
            if claim.size > self.count:
                self.blame_claim(
                    claim,
                    f"{claim.label}: covers {claim.size} entries but the log has only {self.count} "
                    "(truncated)",
                )
                self.blame(self.count, f"seq {self.count}: missing (the log was cut short)")

    def covered(self, seq: int) -> bool:
        """Whether a checkpoint that verified covers entry ``seq``."""
        return any(size > seq for size in self.good_claim_sizes)
