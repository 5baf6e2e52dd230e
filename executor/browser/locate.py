"""Turn a catalog Locator into a Playwright locator, strategy by strategy."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Locator as PWLocator
from playwright.async_api import Page

from action_classes import Locator

__all__ = ["build_locator"]


def build_locator(page: Page, spec: Locator, root: Any = None) -> PWLocator:
    """The Playwright locator for ``spec``, scoped by ``within`` when given."""
    base: Any = root if root is not None else page
    if spec.within is not None:
        base = build_locator(page, spec.within, root)
    key, value = spec.strategy()
    exact = spec.exact
    loc: PWLocator
    if key == "role":
        options = spec.role_options()
        if spec.name is not None:
            options.update(name=spec.name, exact=exact)
        loc = base.get_by_role(value, **options)
    elif key == "label":
        loc = base.get_by_label(value, exact=exact)
    elif key == "text":
        loc = base.get_by_text(value, exact=exact)
    elif key == "placeholder":
        loc = base.get_by_placeholder(value, exact=exact)
    elif key == "alt":
        loc = base.get_by_alt_text(value, exact=exact)
    elif key == "title":
        loc = base.get_by_title(value, exact=exact)
    elif key == "test_id":
        loc = base.get_by_test_id(value)
    elif key == "css":
        loc = base.locator(f"css={value}")
    else:
        loc = base.locator(f"xpath={value}")
    if spec.has_text is not None or spec.has is not None:
        has = build_locator(page, spec.has) if spec.has is not None else None
        loc = loc.filter(has_text=spec.has_text, has=has)
    if spec.nth is not None:
        loc = loc.nth(spec.nth)
    return loc
