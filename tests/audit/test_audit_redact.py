"""The redaction pipeline: secrets dropped, PII fields HMAC'd, keys on disk."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from audit import (
    HmacFields,
    KeyMaterialError,
    Redactor,
    SecretScrub,
    hash_value,
    load_or_create_pii_key,
    load_pii_key,
)

KEY = bytes(range(32))


class TestHmacFields:
    """Listed fields are replaced by keyed hashes wherever they appear."""

    def test_nested_fields_hashed(self) -> None:
        """Fields inside nested objects and lists are hashed; others untouched."""
        step = HmacFields(["email", "Phone"], KEY)
        payload: dict[str, Any] = {
            "params": {"email": "a@b.c", "amount": 5},
            "contacts": [{"phone": 123}, {"name": "x"}],
        }
        out = step(payload)
        assert out["params"]["email"] == hash_value("email", "a@b.c", KEY)
        assert out["contacts"][0]["phone"] == hash_value("phone", 123, KEY)
        assert out["params"]["amount"] == 5 and out["contacts"][1] == {"name": "x"}
        assert payload["params"]["email"] == "a@b.c"  # input untouched

    def test_auditor_can_match_a_known_value(self) -> None:
        """hash_value reproduces what the log stores; another key or value does not."""
        stored = HmacFields(["email"], KEY)({"email": "alice@example.com"})["email"]
        assert stored == hash_value("email", "alice@example.com", KEY)
        assert stored != hash_value("email", "bob@example.com", KEY)
        assert stored != hash_value("email", "alice@example.com", b"\x01" * 32)
        assert stored.startswith("hmac-sha256:") and len(stored) == len("hmac-sha256:") + 64

    def test_idempotent(self) -> None:
        """Already-hashed values are not hashed again."""
        step = HmacFields(["email"], KEY)
        once = step({"email": "a@b.c"})
        assert step(once) == once

    def test_short_key_refused(self) -> None:
        """A PII key shorter than 16 bytes is refused."""
        with pytest.raises(KeyMaterialError):
            HmacFields(["email"], b"short")


class TestPipeline:
    """Redactor runs its steps in order."""

    def test_scrub_then_hash(self) -> None:
        """Secret keys vanish at any depth; PII is hashed; the rest passes."""
        redact = Redactor([SecretScrub(), HmacFields(["email"], KEY)])
        out = redact({"credentials": {"username": "u", "password": "p"}, "Password": "x",
                      "nested": [{"api_key": "k", "email": "e@x"}], "ok": 1})
        assert out == {"nested": [{"email": hash_value("email", "e@x", KEY)}], "ok": 1}

    def test_custom_secret_keys(self) -> None:
        """SecretScrub takes its own list of key names."""
        assert SecretScrub(["otp"])({"OTP": "1", "password": "kept"}) == {"password": "kept"}

    def test_no_steps(self) -> None:
        """An empty pipeline returns the payload unchanged."""
        assert Redactor()({"a": 1}) == {"a": 1}


class TestPiiKeyFile:
    """The PII key lives in a 0600 file."""

    def test_create_and_load(self, tmp_path: Path) -> None:
        """First use creates the key; later uses read the same key."""
        path = tmp_path / "keys" / "pii.key"
        key = load_or_create_pii_key(path)
        assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_or_create_pii_key(path) == key == load_pii_key(path)

    def test_bad_key_files(self, tmp_path: Path) -> None:
        """Missing, non-hex and short keys are refused."""
        with pytest.raises(KeyMaterialError):
            load_pii_key(tmp_path / "missing")
        (tmp_path / "bad").write_text("not hex")
        with pytest.raises(KeyMaterialError):
            load_pii_key(tmp_path / "bad")
        (tmp_path / "short").write_text("abcd")
        with pytest.raises(KeyMaterialError):
            load_pii_key(tmp_path / "short")
