"""Parameter schemas (a JSON-Schema subset) and strict validation.

Validation runs before anything else touches a request. It is strict: types
are not coerced (``"5"`` is not an integer), unknown parameters are errors,
strings have a length cap even when the schema sets none, and values that look
like template syntax or carry control characters are refused so a parameter
can never smuggle a placeholder or a hidden keystroke into a step.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from action_classes.errors import ParamsInvalid
from action_classes.locators import StrictModel

__all__ = ["MAX_EXPLICIT_LENGTH", "MAX_STRING_LENGTH", "ParamSpec", "coerce_text_params", "validate_params"]

MAX_STRING_LENGTH = 4096  # the cap when a string parameter sets no maxLength
MAX_EXPLICIT_LENGTH = 65_536  # the most a catalog may allow, for long notes and descriptions
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TEMPLATE_LIKE = re.compile(r"[{}]")


class ParamSpec(StrictModel):
    """Schema of one parameter."""

    type: Literal["string", "integer", "number", "boolean"]
    description: str = ""
    required: bool = True
    pattern: str | None = None
    format: Literal["email"] | None = None
    enum: list[str | int] | None = None
    minLength: int | None = Field(None, ge=0)
    maxLength: int | None = Field(
        None,
        ge=1,
        le=MAX_EXPLICIT_LENGTH,
        description=f"At most {MAX_EXPLICIT_LENGTH:,}; {MAX_STRING_LENGTH:,} when unset.",
    )
    minimum: int | float | None = None
    maximum: int | float | None = None
    secret: bool = Field(False, description="Value is redacted from logs, audit and evidence.")
    pii: bool = Field(False, description="Value is stored only as an HMAC in the audit log.")

    @model_validator(mode="after")
    def _coherent(self) -> ParamSpec:
        if self.type != "string" and (self.pattern or self.format or self.minLength or self.maxLength):
            raise ValueError("pattern, format, minLength and maxLength apply to strings only")
        if self.type not in ("integer", "number") and (self.minimum is not None or self.maximum is not None):
            raise ValueError("minimum and maximum apply to numbers only")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
        return self

    def json_schema(self) -> dict[str, Any]:
        """This parameter as a JSON Schema fragment (for APIs and tool schemas)."""
        out: dict[str, Any] = {"type": self.type}
        if self.description:
            out["description"] = self.description
        for key in ("pattern", "format", "enum", "minLength", "minimum", "maximum"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.type == "string":
            out["maxLength"] = self.maxLength or MAX_STRING_LENGTH
        return out

    def check(self, value: Any) -> str | None:
        """None when ``value`` is valid, else a message saying why not."""
        if self.type == "string":
            return self._check_string(value)
        if self.type == "boolean":
            return None if isinstance(value, bool) else "must be a boolean"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be {'an integer' if self.type == 'integer' else 'a number'}"
        if self.type == "integer" and not isinstance(value, int):
            return "must be an integer"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum}"
        if self.enum is not None and value not in self.enum:
            return f"must be one of {self.enum}"
        return None

    def _check_string(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        limit = self.maxLength or MAX_STRING_LENGTH
        if len(value) > limit:
            return f"must be at most {limit} characters"
        if self.minLength is not None and len(value) < self.minLength:
            return f"must be at least {self.minLength} characters"
        if _CONTROL.search(value):
            return "must not contain control characters"
        if _TEMPLATE_LIKE.search(value):
            return "must not contain '{' or '}' (template syntax is not accepted in values)"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}"
        if self.format == "email" and not _EMAIL.match(value):
            return "must be an email address"
        if self.enum is not None and value not in self.enum:
            return f"must be one of {self.enum}"
        return None


def validate_params(schema: dict[str, ParamSpec], params: Any) -> dict[str, Any]:
    """Return ``params`` when they satisfy ``schema``; raise ParamsInvalid listing every problem."""
    if not isinstance(params, dict):
        raise ParamsInvalid({"params": "must be an object"})
    problems: dict[str, str] = {}
    for name in params:
        if name not in schema:
            problems[str(name)[:64]] = "is not a parameter of this action"
    for name, spec in schema.items():
        if name not in params:
            if spec.required:
                problems[name] = "is required"
            continue
        message = spec.check(params[name])
        if message:
            problems[name] = message
    if problems:
        raise ParamsInvalid(problems)
    return dict(params)


def coerce_text_params(schema: dict[str, ParamSpec], raw: dict[str, str]) -> dict[str, Any]:
    """Convert ``k=v`` strings from a command line to the schema's types.

    Only the conversion happens here; ``validate_params`` still decides validity.
    """
    out: dict[str, Any] = {}
    for name, text in raw.items():
        spec = schema.get(name)
        kind = spec.type if spec else "string"
        if kind == "integer" and re.fullmatch(r"-?\d+", text.strip()):
            out[name] = int(text)
        elif kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
            out[name] = float(text) if "." in text else int(text)
        elif kind == "boolean" and text.lower() in ("true", "false"):
            out[name] = text.lower() == "true"
        else:
            out[name] = text
    return out
