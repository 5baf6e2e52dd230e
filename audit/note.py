"""Ed25519 keys and C2SP signed notes (https://c2sp.org/signed-note).

The formats are those of Go's ``golang.org/x/mod/sumdb/note``, so Go tools and
transparency-log witnesses can read our checkpoints and keys:

- verifier key:  ``<name>+<key id, 8 hex>+<base64(0x01 || public key)>``
- signer key:    ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || private seed)>``
- key id:        first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)
- signed note:   text ending in a newline, a blank line, then one line per
                 signature ``— <name> <base64(key id || signature)>``.

``keygen`` writes ``audit.key`` (mode 0600) and ``audit.pub`` into a directory.
"""

from __future__ import annotations

import base64
import binascii
import os
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.errors import KeyMaterialError, SignatureError

__all__ = [
    "DEFAULT_KEY_NAME",
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "Signer",
    "Verifier",
    "keygen",
    "load_signer",
    "load_verifier",
    "open_note",
    "sign_note",
]

DEFAULT_KEY_NAME = "steward-audit"
PRIVATE_KEY_FILE = "audit.key"
PUBLIC_KEY_FILE = "audit.pub"
_ALG_ED25519 = b"\x01"
_SIG_PREFIX = "\u2014 "  # em dash and a space
_MAX_SIGNATURES = 100


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise KeyMaterialError(f"invalid key name {name!r}: non-empty, no spaces or '+'")
    return name


def _key_id(name: str, public: bytes) -> int:
    digest = sha256(name.encode("utf-8") + b"\n" + _ALG_ED25519 + public).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyMaterialError(f"{what} is not valid base64") from exc


class Verifier:
    """Checks signatures made by one named Ed25519 key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self.name = _check_name(name)
        self.public_key = public_key
        self.key_id = _key_id(name, _raw_public(public_key))

    @classmethod
    def from_key_string(cls, text: str) -> Verifier:
        """Parse ``name+keyid+base64`` (Go note verifier key)."""
        parts = text.strip().split("+", 2)  # base64 may itself contain "+"
        if len(parts) != 3:
            raise KeyMaterialError("a verifier key looks like name+0123abcd+base64")
        name, key_hex, material = parts
        raw = _b64decode(material, "verifier key")
        if len(raw) != 33 or raw[:1] != _ALG_ED25519:
            raise KeyMaterialError("verifier key is not an Ed25519 key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if len(key_hex) != 8 or key_hex != f"{verifier.key_id:08x}":
            raise KeyMaterialError("verifier key id does not match its name and key")
        return verifier

    @property
    def key_string(self) -> str:
        """The Go-compatible verifier key string."""
        material = base64.b64encode(_ALG_ED25519 + _raw_public(self.public_key)).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's signature of ``message``."""
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """Signs with one named Ed25519 private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = _check_name(name)
        self._key = private_key
        self.key_id = _key_id(name, _raw_public(private_key.public_key()))

    @classmethod
    def generate(cls, name: str = DEFAULT_KEY_NAME) -> Signer:
        """A new random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_key_string(cls, text: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+keyid+base64`` (Go note signer key)."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyMaterialError("a signer key looks like PRIVATE+KEY+name+0123abcd+base64")
        _, _, name, key_hex, material = parts
        raw = _b64decode(material, "signer key")
        if len(raw) != 33 or raw[:1] != _ALG_ED25519:
            raise KeyMaterialError("signer key is not an Ed25519 key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if key_hex != f"{signer.key_id:08x}":
            raise KeyMaterialError("signer key id does not match its name and key")
        return signer

    @property
    def key_string(self) -> str:
        """The Go-compatible private key string (keep it secret)."""
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        material = base64.b64encode(_ALG_ED25519 + seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{material}"

    def verifier(self) -> Verifier:
        """The matching verifier."""
        return Verifier(self.name, self._key.public_key())

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message``."""
        return self._key.sign(message)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise SignatureError("note text must end with a newline")
    if any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in text):
        raise SignatureError("note text contains control characters")


def sign_note(text: str, signer: Signer) -> str:
    """``text`` as a signed note carrying one signature by ``signer``."""
    _check_text(text)
    sig = signer.sign(text.encode("utf-8"))
    blob = base64.b64encode(signer.key_id.to_bytes(4, "big") + sig).decode("ascii")
    return f"{text}\n{_SIG_PREFIX}{signer.name} {blob}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """The text of ``note`` if ``verifier``'s key signed it; raises SignatureError otherwise."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise SignatureError("malformed note: no signature block")
    text, block = note[: split + 1], note[split + 2 :]
    _check_text(text)
    lines = block[:-1].split("\n")
    if not lines or len(lines) > _MAX_SIGNATURES:
        raise SignatureError("malformed note: no signatures or too many")
    found = False
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise SignatureError("malformed note: bad signature line")
        name, _, blob_text = line[len(_SIG_PREFIX) :].partition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError("malformed note: signature is not base64") from exc
        if not name or len(blob) < 5:
            raise SignatureError("malformed note: bad signature line")
        if name != verifier.name or int.from_bytes(blob[:4], "big") != verifier.key_id:
            continue  # another key's signature (a witness, say): not ours to judge
        if not verifier.verify(text.encode("utf-8"), blob[4:]):
            raise SignatureError(f"invalid signature by {verifier.name}")
        found = True
    if not found:
        raise SignatureError(f"note is not signed by {verifier.name}+{verifier.key_id:08x}")
    return text


def keygen(directory: Path, name: str = DEFAULT_KEY_NAME, *, overwrite: bool = False) -> Signer:
    """Create a key pair: ``directory/audit.key`` (0600) and ``directory/audit.pub``."""
    signer = Signer.generate(name)
    directory.mkdir(parents=True, exist_ok=True)
    private_path = directory / PRIVATE_KEY_FILE
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(private_path, flags, 0o600)
    except FileExistsError as exc:
        raise KeyMaterialError(f"{private_path} already exists; not overwriting a key") from exc
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(signer.key_string + "\n")
    os.chmod(private_path, 0o600)
    (directory / PUBLIC_KEY_FILE).write_text(signer.verifier().key_string + "\n", encoding="ascii")
    return signer


def load_signer(path: Path) -> Signer:
    """Read a private key file written by ``keygen``."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyMaterialError(f"cannot read the signing key {path}: {exc}") from exc
    return Signer.from_key_string(text)


def load_verifier(source: str | Path) -> Verifier:
    """A verifier from a key string, or from a file holding one (e.g. ``audit.pub``)."""
    text = str(source)
    if isinstance(source, Path) or "+" not in text or Path(text).is_file():
        try:
            text = Path(source).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyMaterialError(f"cannot read the verifier key {source}: {exc}") from exc
    return Verifier.from_key_string(text)
