"""Targets, actions, the class taxonomy, and catalog loading and checking."""

from action_classes.authoring import DESTRUCTIVE_WORDS
from action_classes.compensation import Compensation, check_compensation, render_compensation
from action_classes.draft import draft_catalog
from action_classes.errors import (
    ActionClassesError,
    CatalogError,
    CatalogProblem,
    DraftError,
    ParamsInvalid,
    TemplateError,
    UnknownActionError,
)
from action_classes.loader import check_catalog, load_catalog
from action_classes.locators import Locator
from action_classes.models import Action, Catalog, RetrySpec, SessionCheck, Target
from action_classes.numbers import Comparison, NumberCheck, parse_number
from action_classes.origins import normalize_origin, origin_of
from action_classes.params import ParamSpec, coerce_text_params, validate_params
from action_classes.rendering import render_step
from action_classes.steps import (
    DRAFT_GAP,
    STEP_KINDS,
    ActSpec,
    ExpectSpec,
    ExtractSpec,
    FillSpec,
    OptionSpec,
    PressSpec,
    SelectSpec,
    Step,
    WaitForSpec,
)
from action_classes.taxonomy import ActionClass, strictest
from action_classes.templates import render, request_ref

__all__ = [
    "DESTRUCTIVE_WORDS",
    "DRAFT_GAP",
    "STEP_KINDS",
    "ActSpec",
    "Action",
    "ActionClass",
    "ActionClassesError",
    "Catalog",
    "CatalogError",
    "CatalogProblem",
    "Comparison",
    "Compensation",
    "DraftError",
    "ExpectSpec",
    "ExtractSpec",
    "FillSpec",
    "Locator",
    "NumberCheck",
    "OptionSpec",
    "ParamSpec",
    "ParamsInvalid",
    "PressSpec",
    "RetrySpec",
    "SelectSpec",
    "SessionCheck",
    "Step",
    "Target",
    "TemplateError",
    "UnknownActionError",
    "WaitForSpec",
    "check_catalog",
    "check_compensation",
    "coerce_text_params",
    "draft_catalog",
    "load_catalog",
    "normalize_origin",
    "origin_of",
    "parse_number",
    "render",
    "render_compensation",
    "render_step",
    "request_ref",
    "strictest",
    "validate_params",
]
