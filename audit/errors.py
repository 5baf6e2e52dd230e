"""Every error the audit package raises.

Each class says, in ``retryable``, whether calling again with the same input
can succeed. The executor treats any ``AuditWriteError`` as "the event was not
written" and fails closed, whatever ``retryable`` says.

::

    AuditError                          base class, never raised itself
    ├── AuditWriteError                 an event was not written: the caller must not proceed
    │   ├── AuditPayloadError           the event itself is invalid (type, actor, payload)   retry: no
    │   └── AuditStorageError           the database failed or refused the write             retry: yes
    ├── AuditReadError                  reading the log failed                               retry: yes
    ├── SchemaError                     audit tables missing or could not be installed       retry: no
    ├── CanonicalizationError           a value has no canonical JSON form (NaN, bytes...)   retry: no
    ├── ProofError                      a Merkle proof problem
    │   ├── InvalidProofError           the proof does not verify                            retry: no
    │   └── ProofUnavailableError       no such proof (index or size out of range)           retry: no
    ├── KeyMaterialError                a key file or key string is missing or malformed     retry: no
    ├── SignatureError                  a signed note is malformed or its signature is bad   retry: no
    ├── CheckpointError                 a checkpoint could not be produced or stored         retry: yes
    │   └── InconsistentCheckpointError the log no longer extends a signed checkpoint        retry: no
    ├── EvidenceError                   evidence store problem
    │   ├── EvidenceNotFoundError       no file for that sha256                              retry: no
    │   └── EvidenceCorruptError        the file no longer hashes to its name                retry: no
    └── ExportError                     an export directory is missing or malformed          retry: no

``InconsistentCheckpointError`` means someone rewrote, truncated or forked the
log: never retry it, raise the alarm.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "AuditPayloadError",
    "AuditReadError",
    "AuditStorageError",
    "AuditWriteError",
    "CanonicalizationError",
    "CheckpointError",
    "EvidenceCorruptError",
    "EvidenceError",
    "EvidenceNotFoundError",
    "ExportError",
    "InconsistentCheckpointError",
    "InvalidProofError",
    "KeyMaterialError",
    "ProofError",
    "ProofUnavailableError",
    "SchemaError",
    "SignatureError",
    "one_line",
]


def one_line(exc: BaseException) -> str:
    """A one-line description of ``exc`` (the driver's message for database errors)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class AuditError(Exception):
    """Base class of every audit error."""

    retryable: bool = False


class AuditWriteError(AuditError):
    """An audit event was not written; whoever asked must not go on (fail closed)."""


class AuditPayloadError(AuditWriteError):
    """The event is invalid: bad type name, actor, action id or payload."""


class AuditStorageError(AuditWriteError):
    """The database failed or refused the write (locked, unreachable, trigger)."""

    retryable = True


class AuditReadError(AuditError):
    """Reading the log from the database failed."""

    retryable = True


class SchemaError(AuditError):
    """The audit tables are missing or could not be installed."""


class CanonicalizationError(AuditError):
    """A value cannot be written as canonical JSON (NaN, infinity, bytes, non-string key)."""


class ProofError(AuditError):
    """Base class of Merkle proof errors."""


class InvalidProofError(ProofError):
    """A Merkle inclusion or consistency proof does not verify."""


class ProofUnavailableError(ProofError):
    """The requested proof cannot exist: index or tree size out of range."""


class KeyMaterialError(AuditError):
    """A signing, verifier or PII key is missing, unreadable or malformed."""


class SignatureError(AuditError):
    """A signed note is malformed, unsigned by the expected key, or its signature is bad."""


class CheckpointError(AuditError):
    """A checkpoint could not be produced, stored or written out."""

    retryable = True


class InconsistentCheckpointError(CheckpointError):
    """The log is not an extension of a signed checkpoint: it was rewritten, cut or forked."""

    retryable = False


class EvidenceError(AuditError):
    """Base class of evidence store errors."""


class EvidenceNotFoundError(EvidenceError):
    """No evidence file exists for that sha256."""


class EvidenceCorruptError(EvidenceError):
    """An evidence file no longer hashes to its sha256 name."""


class ExportError(AuditError):
    """An export directory is missing, incomplete or malformed."""
