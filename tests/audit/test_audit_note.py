"""Ed25519 keys and C2SP signed notes, byte-compatible with Go's sumdb/note."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from audit import KeyMaterialError, SignatureError, Signer, Verifier, keygen, load_signer, load_verifier
from audit.note import open_note, sign_note

# The reference vector from golang.org/x/mod/sumdb/note (note_test.go), BSD-licensed test data.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


class TestGoCompatibility:
    """Keys, key ids and signatures match the Go reference byte for byte."""

    def test_signer_key_round_trip(self) -> None:
        """The Go private key parses and derives the Go verifier key."""
        signer = Signer.from_key_string(GO_SIGNER)
        assert signer.key_string == GO_SIGNER
        assert signer.verifier().key_string == GO_VERIFIER

    def test_signature_matches_reference(self) -> None:
        """Ed25519 is deterministic: our note equals Go's."""
        assert sign_note(GO_TEXT, Signer.from_key_string(GO_SIGNER)) == GO_NOTE

    def test_reference_note_opens(self) -> None:
        """Go's note verifies with the Go verifier key."""
        assert open_note(GO_NOTE, Verifier.from_key_string(GO_VERIFIER)) == GO_TEXT


class TestOpenNote:
    """open_note refuses anything not signed by the expected key."""

    def test_tampered_text_refused(self) -> None:
        """Changing one character of the text breaks the signature."""
        with pytest.raises(SignatureError, match="invalid signature"):
            open_note(GO_NOTE.replace("cryptography", "cryptographY"), load_verifier(GO_VERIFIER))

    def test_other_key_refused(self) -> None:
        """A note signed by another key is not accepted."""
        note = sign_note(GO_TEXT, Signer.generate("PeterNeumann"))
        with pytest.raises(SignatureError):
            open_note(note, load_verifier(GO_VERIFIER))

    def test_extra_signatures_ignored(self) -> None:
        """Signatures by other keys (witnesses) are ignored, ours still counts."""
        witness = sign_note(GO_TEXT, Signer.generate("witness"))
        both = GO_NOTE + witness.split("\n\n", 1)[1]
        assert open_note(both, load_verifier(GO_VERIFIER)) == GO_TEXT

    @pytest.mark.parametrize(
        "note",
        ["", "no newline", GO_TEXT, GO_TEXT + "\n- PeterNeumann abc\n", GO_TEXT + "\n\u2014 PeterNeumann !!!\n"],
    )
    def test_malformed_refused(self, note: str) -> None:
        """Notes without a well-formed signature block are refused."""
        with pytest.raises(SignatureError):
            open_note(note, load_verifier(GO_VERIFIER))


class TestKeyFiles:
    """keygen and the loaders."""

    def test_keygen_writes_private_0600_and_public(self, tmp_path: Path) -> None:
        """The private key file is readable by its owner only; the .pub holds the verifier key."""
        signer = keygen(tmp_path / "keys", "audit-test")
        private = tmp_path / "keys" / "audit.key"
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        assert load_signer(private).key_string == signer.key_string
        assert load_verifier(tmp_path / "keys" / "audit.pub").key_string == signer.verifier().key_string
        assert load_verifier(str(tmp_path / "keys" / "audit.pub")).name == "audit-test"

    def test_keygen_never_overwrites(self, tmp_path: Path) -> None:
        """A second keygen into the same directory refuses unless told to overwrite."""
        keygen(tmp_path)
        with pytest.raises(KeyMaterialError, match="already exists"):
            keygen(tmp_path)
        keygen(tmp_path, overwrite=True)

    @pytest.mark.parametrize(
        "bad",
        ["", "name+1234abcd", "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "bad name+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
    )
    def test_bad_verifier_keys(self, bad: str) -> None:
        """Malformed keys and keys whose id does not match are refused."""
        with pytest.raises(KeyMaterialError):
            Verifier.from_key_string(bad)

    def test_missing_files(self, tmp_path: Path) -> None:
        """Missing key files raise KeyMaterialError."""
        with pytest.raises(KeyMaterialError):
            load_signer(tmp_path / "nope.key")
        with pytest.raises(KeyMaterialError):
            load_verifier(tmp_path / "nope.pub")
