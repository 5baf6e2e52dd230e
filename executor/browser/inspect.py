"""Show an author which element a locator resolves to (``steward dry-run``).

The commit step is never performed in a dry run, so the author needs another
way to see that the catalog's commit locator lands on the intended control:
its role and accessible name (from Playwright's ARIA snapshot, the same tree
``get_by_role`` matches against), tag and text, the other controls of its form
whose names sound destructive, and a screenshot with the element outlined.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from playwright.async_api import Locator as PWLocator
from playwright.async_api import Page

from action_classes import DESTRUCTIVE_WORDS

__all__ = ["OUTLINE_RGB", "describe_element", "outlined_screenshot"]

# Not Playwright's mask colour (#FF00FF), so an outline and a masked secret never look alike.
OUTLINE_RGB = (255, 120, 0)
_SNAPSHOT_HEAD = re.compile(r'^-\s+([a-z]+)(?:\s+"((?:[^"\\]|\\.)*)")?')

_READ_JS = """(el, words) => {
  const scope = el.form || el.closest('form, dialog, [role=dialog]');
  const names = [];
  if (scope) {
    for (const other of scope.querySelectorAll('button, input[type=submit], input[type=button], [role=button], a')) {
      if (other === el) continue;
      const name = (other.getAttribute('aria-label') || other.innerText || other.value || '').trim();
      if (name && words.some(w => new RegExp('\\\\b' + w, 'i').test(name))) names.push(name.slice(0, 80));
    }
  }
  const text = (el.innerText || el.value || '').trim().slice(0, 200);
  return {tag: el.tagName.toLowerCase(), text: text, neighbours: names};
}"""

_OUTLINE_JS = """(el, rgb) => {
  el.setAttribute('data-steward-style', el.getAttribute('style') || '');
  el.style.outline = `4px solid rgb(${rgb.join(',')})`;
  el.style.outlineOffset = '2px';
}"""

_RESTORE_JS = """el => {
  const saved = el.getAttribute('data-steward-style');
  if (saved) el.setAttribute('style', saved); else el.removeAttribute('style');
  el.removeAttribute('data-steward-style');
}"""


def _role_and_name(snapshot: str) -> tuple[str, str]:
    first = snapshot.strip().splitlines()[0] if snapshot.strip() else ""
    match = _SNAPSHOT_HEAD.match(first)
    if match is None:
        return "", ""
    name = match.group(2) or ""
    with contextlib.suppress(ValueError):
        name = json.loads(f'"{name}"')
    return match.group(1), name


async def describe_element(loc: PWLocator, timeout_ms: int) -> dict[str, Any]:
    """Role, accessible name, tag and text of the one element ``loc`` matches, and destructive neighbours."""
    role, name = _role_and_name(await loc.aria_snapshot(timeout=timeout_ms))
    read: dict[str, Any] = await loc.evaluate(_READ_JS, list(DESTRUCTIVE_WORDS))
    return {
        "role": role,
        "name": name,
        "tag": read["tag"],
        "text": read["text"],
        "destructive_neighbours": read["neighbours"],
    }


async def outlined_screenshot(page: Page, loc: PWLocator, masks: list[PWLocator]) -> bytes:
    """A full-page PNG with ``loc`` outlined (secret fields still masked); the page is restored after."""
    await loc.evaluate(_OUTLINE_JS, list(OUTLINE_RGB))
    try:
        return await page.screenshot(full_page=True, mask=masks, animations="disabled")
    finally:
        await loc.evaluate(_RESTORE_JS)
