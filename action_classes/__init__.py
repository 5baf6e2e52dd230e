"""Targets, actions, the class taxonomy, and catalog loading and checking."""

from action_classes.errors import (
    ActionClassesError,
    CatalogError,
    CatalogProblem,
    ParamsInvalid,
    TemplateError,
    UnknownActionError,
)
from action_classes.loader import check_catalog, load_catalog
from action_classes.locators import Locator
from action_classes.models import Action, Catalog, RetrySpec, SessionCheck, Target
from action_classes.origins import normalize_origin, origin_of
from action_classes.params import ParamSpec, coerce_text_params, validate_params
from action_classes.rendering import render_step
from action_classes.steps import (
    STEP_KINDS,
    ActSpec,
    ExpectSpec,
    ExtractSpec,
    FillSpec,
    PressSpec,
    SelectSpec,
    Step,
    WaitForSpec,
)
from action_classes.taxonomy import ActionClass, strictest
from action_classes.templates import render

__all__ = [
    "STEP_KINDS",
    "ActSpec",
    "Action",
    "ActionClass",
    "ActionClassesError",
    "Catalog",
    "CatalogError",
    "CatalogProblem",
    "ExpectSpec",
    "ExtractSpec",
    "FillSpec",
    "Locator",
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
    "coerce_text_params",
    "load_catalog",
    "normalize_origin",
    "origin_of",
    "render",
    "render_step",
    "strictest",
    "validate_params",
]
