"""RFC 6962 / 9162 Merkle hashing, proofs and verifiers, against the published vectors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from _audit_support import RFC6962_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import InvalidProofError, verify_consistency, verify_inclusion
from audit.errors import ProofUnavailableError
from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    merkle_root,
    node_hash,
    subtree_nodes,
)


def _vector_files() -> list[Path]:
    files = sorted(RFC6962_DIR.rglob("*.json")) if RFC6962_DIR.is_dir() else []
    return files


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH, written recursively straight from the RFC (the reference)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


LEAVES = [leaf_hash(b"entry %d" % i) for i in range(70)]


def inclusion(index: int, size: int) -> list[bytes]:
    return [mth(LEAVES[a:b]) for a, b in inclusion_ranges(index, size)]


def consistency(size1: int, size2: int) -> list[bytes]:
    return [mth(LEAVES[a:b]) for a, b in consistency_ranges(size1, size2)]


class TestVectors:
    """Every transparency-dev/merkle test vector (../shared/testdata/rfc6962)."""

    def test_vector_directory_present(self) -> None:
        """The shared vectors exist; their absence fails loudly instead of skipping."""
        assert RFC6962_DIR.is_dir(), f"missing RFC 6962 test vectors at {RFC6962_DIR}"
        assert len(_vector_files()) >= 150

    @pytest.mark.parametrize(
        "path", _vector_files(), ids=lambda p: str(p.relative_to(RFC6962_DIR))
    )
    def test_vector(self, path: Path) -> None:
        """Happy paths verify; every mangled proof, root, size or index is rejected."""
        case: dict[str, Any] = json.loads(path.read_text())
        proof = [_b64(p) for p in case["proof"] or []]
        if "leafIdx" in case:
            def run() -> None:
                verify_inclusion(_b64(case["leafHash"]), case["leafIdx"], case["treeSize"],
                                 proof, _b64(case["root"]))
        else:
            def run() -> None:
                verify_consistency(case["size1"], case["size2"], proof,
                                   _b64(case["root1"]), _b64(case["root2"]))
        if case["wantErr"]:
            with pytest.raises(InvalidProofError):
                run()
        else:
            run()


class TestTree:
    """Incremental roots and generated proofs match the RFC definitions."""

    def test_frontier_matches_reference(self) -> None:
        """The O(log n) frontier gives MTH for every size up to 70."""
        f = Frontier()
        assert f.root() == EMPTY_ROOT
        for n, leaf in enumerate(LEAVES, start=1):
            f.push(leaf)
            assert f.root() == mth(LEAVES[:n])
            assert len(f.nodes) == n.bit_count()

    def test_push_reports_completed_nodes(self) -> None:
        """push() returns exactly the interior nodes the leaf completes."""
        f = Frontier()
        assert f.push(LEAVES[0]) == []
        assert f.push(LEAVES[1]) == [mth(LEAVES[:2])]
        f.push(LEAVES[2])
        assert f.push(LEAVES[3]) == [mth(LEAVES[2:4]), mth(LEAVES[:4])]

    def test_subtree_nodes_cover_ranges(self) -> None:
        """Right-edge ranges decompose into aligned perfect subtrees."""
        assert subtree_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
        assert subtree_nodes(8, 13) == [(2, 2), (0, 12)]

    def test_all_small_proofs_verify(self) -> None:
        """Every inclusion and consistency proof up to 40 leaves verifies."""
        for n in range(1, 41):
            root = mth(LEAVES[:n])
            for i in range(n):
                verify_inclusion(LEAVES[i], i, n, inclusion(i, n), root)
            for m in range(1, n + 1):
                verify_consistency(m, n, consistency(m, n), mth(LEAVES[:m]), root)

    def test_out_of_range_proofs_unavailable(self) -> None:
        """Asking for a leaf beyond the tree, or from an empty tree, is refused."""
        with pytest.raises(ProofUnavailableError):
            inclusion_ranges(5, 5)
        with pytest.raises(ProofUnavailableError):
            consistency_ranges(0, 5)
        assert merkle_root([]) == EMPTY_ROOT


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[(bit // 8) % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


def _shape(index: int, size: int) -> tuple[bool, ...]:
    """Which side each sibling of an inclusion path is on."""
    if not 0 <= index < size:
        return ()
    return tuple(b <= index for _, b in inclusion_ranges(index, size))


def _cshape(size1: int, size2: int) -> tuple[object, ...]:
    """The branch structure of a consistency proof."""
    if not 0 < size1 < size2:
        return ()
    return (size1 & (size1 - 1) == 0, *((b <= size1) for _, b in consistency_ranges(size1, size2)))


class TestAdversarialProofs:
    """Randomized tampering with valid proofs: every variant is rejected."""

    @given(st.integers(2, 64).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
           st.integers(0, 255), st.sampled_from(["flip", "drop", "extra", "index", "size", "leaf", "root"]))
    @settings(max_examples=400, database=None, deadline=None)
    def test_inclusion_tampering(self, ni: tuple[int, int], bit: int, how: str) -> None:
        """A flipped bit anywhere, a wrong length, index or size never verifies."""
        n, i = ni
        proof, root, leaf, index, size = inclusion(i, n), mth(LEAVES[:n]), LEAVES[i], i, n
        if how == "flip":
            if not proof:
                return
            k = bit % len(proof)
            proof[k] = _flip(proof[k], bit)
        elif how == "drop":
            if not proof:
                return
            proof = proof[:-1]
        elif how == "extra":
            proof = [*proof, LEAVES[bit % 70]]
        elif how == "index":
            index = i + 1 if i + 1 < n else i - 1
        elif how == "size":
            size = n + 1 if bit % 2 else n - 1
        elif how == "leaf":
            leaf = _flip(leaf, bit)
        else:
            root = _flip(root, bit)
        if how == "size" and size >= 1 and _shape(i, size) == _shape(i, n):
            return  # same path shape: a proof cannot tell these sizes apart (the checkpoint does)
        with pytest.raises(InvalidProofError):
            verify_inclusion(leaf, index, size, proof, root)

    @given(st.integers(2, 64).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))),
           st.integers(0, 255), st.sampled_from(["flip", "drop", "extra", "swap", "size1", "size2"]))
    @settings(max_examples=400, database=None, deadline=None)
    def test_consistency_tampering(self, sizes: tuple[int, int], bit: int, how: str) -> None:
        """Flipped bits, truncated or padded proofs, swapped roots and wrong sizes never verify."""
        m, n = sizes
        proof, r1, r2, s1, s2 = consistency(m, n), mth(LEAVES[:m]), mth(LEAVES[:n]), m, n
        if how == "flip":
            k = bit % len(proof)
            proof[k] = _flip(proof[k], bit)
        elif how == "drop":
            proof = proof[:-1]
        elif how == "extra":
            proof = [*proof, LEAVES[bit % 70]]
        elif how == "swap":
            r1, r2 = r2, r1
        elif how == "size1":
            s1 = m + 1 if m + 1 < n else m - 1
            if s1 < 1:
                return
        else:
            s2 = n + 1
        if how in ("size1", "size2") and _cshape(s1, s2) == _cshape(m, n):
            return  # same proof shape: only the signed sizes can tell these apart
        with pytest.raises(InvalidProofError):
            verify_consistency(s1, s2, proof, r1, r2)
