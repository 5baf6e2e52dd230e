"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

Leaves and nodes are domain-separated (0x00 and 0x01 prefixes); a tree of n
leaves splits at the largest power of two below n. The log keeps a
``Frontier`` (the O(log n) roots of the perfect subtrees covering the leaves
so far), so appending never rehashes old leaves.

Proofs are described here as lists of leaf ranges ``(start, end)``: each
element of a proof is the Merkle hash of one range. Every such range is either
a perfect, aligned subtree or the right edge of the tree, so its hash can be
assembled from at most log2(n) stored perfect subtrees (``subtree_nodes``).
That is what keeps proofs at one million entries to a handful of reads.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from hashlib import sha256

from audit.errors import InvalidProofError, ProofUnavailableError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "consistency_ranges",
    "fold_subtrees",
    "inclusion_ranges",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "root_from_inclusion_proof",
    "subtree_nodes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Root of consecutive perfect subtrees, largest first (a right-edge range)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


class Frontier:
    """The roots of the perfect subtrees covering the first ``size`` leaves."""

    __slots__ = ("_size", "_stack")

    def __init__(self, size: int = 0, nodes: Iterable[bytes] = ()) -> None:
        self._stack = list(nodes)
        if len(self._stack) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} nodes")
        self._size = size

    @property
    def size(self) -> int:
        """Number of leaves pushed so far."""
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """The perfect subtree roots, left (largest) to right."""
        return tuple(self._stack)

    def copy(self) -> Frontier:
        """An independent copy."""
        return Frontier(self._size, self._stack)

    def push(self, leaf: bytes) -> list[bytes]:
        """Add one leaf hash; return the interior nodes it completed, level 1 upwards."""
        completed: list[bytes] = []
        stack = self._stack
        n = self._size
        h = leaf
        while n & 1:
            h = sha256(b"\x01" + stack.pop() + h).digest()
            completed.append(h)
            n >>= 1
        stack.append(h)
        self._size += 1
        return completed

    def push_subtree(self, node: bytes, level: int) -> list[bytes]:
        """Add the root of a perfect subtree of 2**level leaves (size must be aligned to it).

        Returns the interior nodes this completes, from level ``level + 1`` upwards.
        """
        if self._size & ((1 << level) - 1):
            raise ValueError(f"a frontier of size {self._size} cannot take a level-{level} subtree")
        completed: list[bytes] = []
        stack, n, h = self._stack, self._size >> level, node
        while n & 1:
            h = sha256(b"\x01" + stack.pop() + h).digest()
            completed.append(h)
            n >>= 1
        stack.append(h)
        self._size += 1 << level
        return completed

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves pushed so far."""
        return fold_subtrees(self._stack)


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """Merkle tree hash of a sequence of leaf hashes."""
    f = Frontier()
    for leaf in leaves:
        f.push(leaf)
    return f.root()


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Perfect aligned subtrees ``(level, index)`` covering ``[start, end)``, left to right."""
    out: list[tuple[int, int]] = []
    while start < end:
        size = start & -start if start else 1 << (end.bit_length() - 1)
        while start + size > end:
            size >>= 1
        level = size.bit_length() - 1
        out.append((level, start >> level))
        start += size
    return out


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PATH(index, D[size]) (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofUnavailableError(f"leaf {index} is not in a tree of size {size}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PROOF(size1, D[size2]) (RFC 9162 2.1.4.1)."""
    if not 0 < size1 <= size2:
        raise ProofUnavailableError(f"no consistency proof from size {size1} to {size2}")
    out: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while True:
        if m == hi - lo:
            if not complete:
                out.append((lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    out.reverse()
    return out


def _require_hashes(what: str, hashes: Iterable[bytes]) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise InvalidProofError(f"{what} has a {len(h)}-byte hash, expected {HASH_SIZE}")


def root_from_inclusion_proof(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 2.1.3.2 steps 1-5)."""
    if size <= 0 or not 0 <= index < size:
        raise InvalidProofError(f"leaf index {index} is outside a tree of size {size}")
    _require_hashes("leaf", [leaf])
    _require_hashes("proof", proof)
    inner = (index ^ (size - 1)).bit_length()
    expected = inner + (index >> inner).bit_count()
    if len(proof) != expected:
        raise InvalidProofError(f"inclusion proof has {len(proof)} hashes, expected {expected}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InvalidProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise InvalidProofError unless ``proof`` shows leaf ``index`` in the tree ``root``."""
    _require_hashes("root", [root])
    computed = root_from_inclusion_proof(leaf, index, size, proof)
    if not hmac.compare_digest(computed, root):
        raise InvalidProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise InvalidProofError unless tree ``root2`` extends tree ``root1`` (RFC 9162 2.1.4.2).

    A consistency proof from the empty tree proves nothing, so ``size1`` must be
    at least 1. Equal sizes need an empty proof and equal roots.
    """
    if size1 < 1:
        raise InvalidProofError("a consistency proof from an empty tree proves nothing")
    if size2 < size1:
        raise InvalidProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == size2:
        if proof:
            raise InvalidProofError("equal sizes need an empty consistency proof")
        if not hmac.compare_digest(root1, root2):
            raise InvalidProofError("equal sizes but different roots")
        return
    if not proof:
        raise InvalidProofError("empty consistency proof")
    _require_hashes("root", [root1, root2])
    _require_hashes("proof", proof)
    shift = (size1 & -size1).bit_length() - 1
    inner = (((size1 - 1) >> shift) ^ ((size2 - 1) >> shift)).bit_length()
    border = ((size1 - 1) >> shift >> inner).bit_count()
    start = 0 if size1 == 1 << shift else 1
    if len(proof) != start + inner + border:
        raise InvalidProofError(
            f"consistency proof has {len(proof)} hashes, expected {start + inner + border}"
        )
    path = [root1, *proof] if start == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofError("consistency proof is too short")
    if not (hmac.compare_digest(fr, root1) and hmac.compare_digest(sr, root2)):
        raise InvalidProofError("consistency proof does not match the roots")
