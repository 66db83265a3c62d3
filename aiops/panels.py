"""Panel registry: the extension point for portal pages.

A page declares a slot ("dashboard", "alert_detail", "incident_detail", ...); apps register
panels for it in their `ready()`. The page renders whatever is registered, so an app that adds
a panel never edits the page that shows it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    slot: str
    name: str
    template: str
    context: Callable[..., dict | None] | None  # (request, obj) -> extra context, or None to hide
    order: int = 100


_panels: dict[str, list[Panel]] = defaultdict(list)


def register_panel(slot: str, name: str, template: str, *, context=None, order: int = 100) -> None:
    _panels[slot] = [p for p in _panels[slot] if p.name != name]
    _panels[slot].append(Panel(slot, name, template, context, order))
    _panels[slot].sort(key=lambda p: (p.order, p.name))


def panels_for(slot: str) -> list[Panel]:
    return list(_panels.get(slot, ()))


@dataclass(frozen=True)
class NavItem:
    label: str  # a lazy gettext string
    url_name: str
    order: int = 100


_nav: list[NavItem] = []


def register_nav_item(label, url_name: str, *, order: int = 100) -> None:
    """Add a top-navigation link to a portal page (apps call this in `ready()`)."""
    global _nav
    _nav = sorted([n for n in _nav if n.url_name != url_name] + [NavItem(label, url_name, order)],
                  key=lambda n: (n.order, n.url_name))


def nav_items() -> list[NavItem]:
    return list(_nav)
