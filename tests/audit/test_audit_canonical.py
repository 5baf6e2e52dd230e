"""Canonical JSON (RFC 8785 style): one byte string per value."""

from __future__ import annotations

import json
import math
import struct
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import CanonicalizationError, canonical_json
from audit.canonical import canonical_text, format_number

# RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript serialization.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


class Color(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class TestNumbers:
    """Numbers follow ECMAScript's shortest round-trip form."""

    @pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
    def test_rfc8785_appendix_b(self, bits: str, expected: str) -> None:
        """Each IEEE-754 value serializes as RFC 8785 Appendix B says."""
        value = struct.unpack(">d", bytes.fromhex(bits))[0]
        assert format_number(value) == expected
        assert canonical_json(value) == expected.encode()

    def test_integers_stay_exact(self) -> None:
        """Integers, even huge ones, are written as integers."""
        assert canonical_json(2**70) == b"1180591620717411303424"
        assert canonical_json([1, -2, 0]) == b"[1,-2,0]"

    def test_integral_floats_lose_the_point(self) -> None:
        """1.0 is written as 1, like ECMAScript."""
        assert canonical_json({"a": 1.0, "b": 2.5}) == b'{"a":1,"b":2.5}'

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_refused(self, bad: float) -> None:
        """NaN and the infinities have no JSON form."""
        with pytest.raises(CanonicalizationError):
            canonical_json({"x": [bad]})

    @given(st.floats(allow_nan=False, allow_infinity=False))
    @settings(max_examples=300, database=None)
    def test_float_form_round_trips(self, x: float) -> None:
        """The written form parses back to the same double."""
        assert float(format_number(x)) == x


class TestStructure:
    """Objects, strings and everything else."""

    def test_sorted_keys_no_whitespace(self) -> None:
        """Keys sorted, no insignificant whitespace."""
        assert canonical_json({"b": [1, {"d": 1, "c": None}], "a": True}) == (
            b'{"a":true,"b":[1,{"c":null,"d":1}]}'
        )

    def test_keys_sort_by_utf16_units(self) -> None:
        """Keys sort by UTF-16 code units, as RFC 8785 requires (not by code point)."""
        data = {"\U0001f600": 1, "\ufb01": 2, "a": 3}
        assert canonical_json(data) == '{"a":3,"\U0001f600":1,"\ufb01":2}'.encode()

    def test_minimal_escapes_utf8(self) -> None:
        """Only mandatory escapes; other characters stay literal UTF-8."""
        text = 'é"\\\n\x01\x7f\u2028'
        assert canonical_json(text) == '"é\\"\\\\\\n\\u0001\x7f\u2028"'.encode()

    def test_enums_are_their_values(self) -> None:
        """StrEnum and IntEnum members are written as their values."""
        assert canonical_json({"c": Color.RED, "l": Level.HIGH}) == b'{"c":"red","l":3}'

    @pytest.mark.parametrize("bad", [b"bytes", {1: "x"}, {"s": {1, 2}}, object()])
    def test_unsupported_values_refused(self, bad: Any) -> None:
        """Bytes, non-string keys, sets and objects are refused."""
        with pytest.raises(CanonicalizationError):
            canonical_json(bad)

    def test_lone_surrogate_refused(self) -> None:
        """A lone surrogate is not Unicode text."""
        with pytest.raises(CanonicalizationError):
            canonical_json({"x": "\ud800"})

    @given(json_values)
    @settings(max_examples=300, database=None)
    def test_idempotent_through_a_parser(self, value: Any) -> None:
        """Parsing canonical JSON and writing it again gives the same bytes."""
        try:
            first = canonical_json(value)
        except CanonicalizationError:
            return  # lone surrogates in generated text
        assert canonical_json(json.loads(first)) == first

    @given(json_values)
    @settings(max_examples=300, database=None)
    def test_fast_path_writes_what_the_reference_writer_does(self, value: Any) -> None:
        """The C encoder shortcut and the pure-Python RFC 8785 writer agree on every value."""
        from audit.canonical import _write

        reference: list[str] = []
        _write(value, reference, 0)
        assert canonical_text(value) == "".join(reference)


class TestOddContainers:
    """Mappings and sequences that are not plain dicts and lists."""

    def test_mapping_proxy_and_named_tuple(self) -> None:
        """Read-only mappings and tuples serialize like dicts and lists."""
        from types import MappingProxyType
        from typing import NamedTuple

        class Point(NamedTuple):
            x: int
            y: float

        value = {"m": MappingProxyType({"b": 1, "a": [Point(1, 0.5)]})}
        assert canonical_json(value) == b'{"m":{"a":[[1,0.5]],"b":1}}'

    def test_too_deep(self) -> None:
        """Absurd nesting is refused rather than crashing the interpreter."""
        deep: Any = []
        for _ in range(500):
            deep = [deep]
        with pytest.raises(CanonicalizationError, match="deeply"):
            canonical_json(deep)
