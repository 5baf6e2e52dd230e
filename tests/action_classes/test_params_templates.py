"""Parameter validation and template rendering: values stay data."""

from __future__ import annotations

import pytest

from action_classes import ParamsInvalid, ParamSpec, Step, TemplateError, render, render_step, validate_params
from action_classes.origins import normalize_origin, origin_of

SCHEMA = {
    "account_id": ParamSpec(type="string", pattern="^ACC-[0-9]{6}$"),
    "amount_cents": ParamSpec(type="integer", minimum=1, maximum=1000),
    "reason": ParamSpec(type="string", maxLength=20),
    "email": ParamSpec(type="string", format="email", required=False),
}


class TestValidateParams:
    def test_valid(self) -> None:
        """Good parameters come back unchanged."""
        good = {"account_id": "ACC-000001", "amount_cents": 5, "reason": "ok"}
        assert validate_params(SCHEMA, good) == good

    @pytest.mark.parametrize(
        ("params", "field", "text"),
        [
            ({"account_id": "ACC-1", "amount_cents": 5, "reason": "r"}, "account_id", "must match"),
            ({"account_id": "ACC-000001", "amount_cents": "5", "reason": "r"}, "amount_cents", "integer"),
            ({"account_id": "ACC-000001", "amount_cents": True, "reason": "r"}, "amount_cents", "integer"),
            ({"account_id": "ACC-000001", "amount_cents": 5000, "reason": "r"}, "amount_cents", "at most"),
            ({"account_id": "ACC-000001", "amount_cents": 5, "reason": "x" * 21}, "reason", "at most 20"),
            ({"account_id": "ACC-000001", "amount_cents": 5, "reason": "{params.x}"}, "reason", "template"),
            ({"account_id": "ACC-000001", "amount_cents": 5, "reason": "a\x00b"}, "reason", "control"),
            ({"account_id": "ACC-000001", "amount_cents": 5}, "reason", "required"),
            ({"account_id": "ACC-000001", "amount_cents": 5, "reason": "r", "extra": 1}, "extra", "not a parameter"),
            ({"account_id": "ACC-000001", "amount_cents": 5, "reason": "r", "email": "nope"}, "email", "email"),
        ],
    )
    def test_invalid(self, params: dict[str, object], field: str, text: str) -> None:
        """Each bad value is named with a clear message."""
        with pytest.raises(ParamsInvalid) as info:
            validate_params(SCHEMA, params)
        assert text in info.value.problems[field]

    def test_unbounded_string_has_a_cap(self) -> None:
        """A string without maxLength is still capped."""
        with pytest.raises(ParamsInvalid):
            validate_params({"s": ParamSpec(type="string")}, {"s": "x" * 5000})


class TestTemplates:
    def test_single_pass(self) -> None:
        """A value containing placeholder syntax is never expanded again."""
        values = {"params": {"r": "{credentials.password}"}, "credentials": {"password": "pw"}}
        assert render("note: {params.r}", values) == "note: {credentials.password}"

    def test_path_segments_are_encoded(self) -> None:
        """In URLs a value cannot add path segments or a query."""
        assert (
            render("/accounts/{params.id}", {"params": {"id": "../admin?x=1"}}, url_path=True)
            == "/accounts/..%2Fadmin%3Fx%3D1"
        )

    def test_filters(self) -> None:
        """dollars and money format cents."""
        values = {"params": {"c": 123456}}
        assert render("{params.c|dollars}", values) == "1234.56"
        assert render("{params.c|money}", values) == "$1,234.56"

    @pytest.mark.parametrize("bad", ["{params.x", "{nope.x}", "{params.x|shout}", "a } b"])
    def test_bad_syntax(self, bad: str) -> None:
        """Malformed placeholders raise TemplateError."""
        with pytest.raises(TemplateError):
            render(bad, {"params": {"x": 1}})

    def test_render_step_keeps_selectors_static(self) -> None:
        """Only text fields are rendered; css stays verbatim."""
        step = Step.model_validate({"click": {"css": "a.x", "has_text": "{params.n}"}})
        out = render_step(step, {"params": {"n": "Ada"}})
        assert out.click is not None
        assert out.click.locator.css == "a.x" and out.click.locator.has_text == "Ada"


class TestOrigins:
    def test_ports_distinguish_origins(self) -> None:
        """A different port on the same host is a different origin; default ports are explicit."""
        assert origin_of("http://127.0.0.1:8101/x?q=1") == "http://127.0.0.1:8101"
        assert origin_of("http://example.com/") == "http://example.com:80"
        assert origin_of("http://127.0.0.1:8102/") != origin_of("http://127.0.0.1:8101/")
        assert origin_of("data:text/html,hi") is None

    def test_origin_must_be_bare(self) -> None:
        """An origin with a path is refused."""
        with pytest.raises(ValueError):
            normalize_origin("http://127.0.0.1:8101/admin")
