"""Enumerate what the product serves: every organisation-scoped API viewset and admin changelist."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from aiops.admin import OrgScopedAdmin
from aiops.api.viewsets import OrgScopedMixin


@dataclass
class ApiRoute:
    viewset: type
    list_name: str | None = None
    detail_name: str | None = None
    list_methods: frozenset = frozenset()
    detail_methods: frozenset = frozenset()

    @property
    def model(self):
        return self.viewset.queryset.model

    def __str__(self):
        return self.viewset.__name__


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield namespace, p


def api_routes() -> list[ApiRoute]:
    """Each org-scoped viewset once, with its list and detail route names and HTTP methods."""
    routes: dict[type, ApiRoute] = {}
    for namespace, pattern in _walk(get_resolver().url_patterns):
        cls = getattr(pattern.callback, "cls", None)
        actions = getattr(pattern.callback, "actions", None)
        if cls is None or actions is None or not issubclass(cls, OrgScopedMixin) or not pattern.name:
            continue
        route = routes.setdefault(cls, ApiRoute(viewset=cls))
        if "list" in actions.values() or "create" in actions.values():
            route.list_name = namespace + pattern.name
            route.list_methods = frozenset(actions)
        elif "retrieve" in actions.values():
            route.detail_name = namespace + pattern.name
            route.detail_methods = frozenset(actions)
    return sorted(routes.values(), key=lambda r: r.viewset.__name__)


def admin_models() -> list:
    """Models whose admin is organisation-scoped."""
    return sorted(
        (model for model, model_admin in admin.site._registry.items() if isinstance(model_admin, OrgScopedAdmin)),
        key=lambda m: m._meta.label,
    )


@dataclass
class PortalRoute:
    name: str
    view: type
    kwarg: str

    @property
    def model(self):
        model = getattr(self.view, "model", None)
        if model is None and getattr(self.view, "queryset", None) is not None:
            model = self.view.queryset.model
        return model

    def __str__(self):
        return self.name


def portal_object_routes() -> list[PortalRoute]:
    """Portal pages addressed by one object's id (`<int:pk>/...`), outside admin, API and hooks."""
    routes = []
    for namespace, pattern in _walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        converters = getattr(pattern.pattern, "converters", {})
        if view is None or not pattern.name or list(converters) != ["pk"]:
            continue
        module = view.__module__
        if not module.startswith("apps.") or ".api." in module or module.endswith(".hooks"):
            continue
        routes.append(PortalRoute(name=namespace + pattern.name, view=view, kwarg="pk"))
    return sorted(routes, key=lambda r: r.name)
