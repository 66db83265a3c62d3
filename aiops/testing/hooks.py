"""Find every webhook under /hooks/ and a way to reach its body parser, for the generic fuzz test.

Discovery walks the URL configuration, so a new app's hook is fuzzed as soon as it is routed.
To get past authentication the fuzzer needs a target:
- a `HOOK_CASES = {"<url name>": builder}` dict in `tests/<app>/factories.py`, where
  `builder(organization) -> HookTarget` creates what the hook needs and says how to sign a body;
- or, for a route with a `<token>` argument and no registered case, a row of the route's own
  app's model that has `token` and `token_hash` fields (made with its factory): the hook URL
  with that row's token, no other credentials.
A route that has neither is still fuzzed without credentials; its authenticated run is skipped
with a message saying what to add.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aiops.testing.factories import factory_registry, make_in_org


@dataclass
class HookTarget:
    url: str
    # Headers for a given encoded body (signatures are computed over the exact bytes).
    headers: Callable[[bytes], dict] = field(default=lambda body: {})
    # How the fuzzer's JSON text becomes the request body (Slack: form-encoded `payload=`).
    encode: Callable[[str], bytes] = field(default=lambda text: text.encode())
    content_type: str = "application/json"
    valid_body: dict | list | None = None  # accepted as is; the fuzzer mutates it


@dataclass(frozen=True)
class HookRoute:
    name: str
    route: str
    module: str
    defaults: tuple
    arguments: tuple

    @property
    def app_label(self) -> str | None:
        parts = self.module.split(".")
        if len(parts) > 1 and parts[0] == "apps":
            config = next((c for c in apps.get_app_configs() if c.name == f"apps.{parts[1]}"), None)
            return config.label if config else None
        return None

    def __str__(self):
        return self.name


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def hook_routes() -> list[HookRoute]:
    """Every named URL under hooks/, once per name."""
    found: dict[str, HookRoute] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("hooks/") or not pattern.name or pattern.name in found:
            continue
        callback = pattern.callback
        converters = getattr(pattern.pattern, "converters", {})
        found[pattern.name] = HookRoute(
            name=pattern.name,
            route=route,
            module=getattr(callback, "__module__", ""),
            defaults=tuple(sorted((pattern.default_args or {}).items())),
            arguments=tuple(sorted(converters)),
        )
    return sorted(found.values(), key=lambda r: r.name)


@lru_cache(maxsize=1)
def hook_cases() -> dict:
    import tests

    cases: dict = {}
    for module_info in pkgutil.iter_modules(tests.__path__):
        if not module_info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{module_info.name}.factories")
        except ModuleNotFoundError as exc:
            if exc.name == f"tests.{module_info.name}.factories":
                continue
            raise
        cases.update(getattr(module, "HOOK_CASES", {}) or {})
    return cases


def bogus_url(route: HookRoute, token: str = "no-such-token-0000") -> str:
    """The route's URL with a token/id that matches nothing."""
    kwargs = {name: (999_999_999 if name.endswith("_id") or name == "pk" else token) for name in route.arguments}
    return reverse(route.name, kwargs=kwargs)


def _token_model(route: HookRoute):
    label = route.app_label
    if label is None:
        return None
    registry = factory_registry()
    for model in apps.get_app_config(label).get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if {"token", "token_hash"} <= names and model in registry:
            return model
    return None


def build_target(route: HookRoute, organization) -> HookTarget | None:
    """A way through the route's authentication (see the module docstring), or None."""
    builder = hook_cases().get(route.name)
    if builder is not None:
        return builder(organization)
    if route.arguments == ("token",):
        model = _token_model(route)
        if model is not None:
            row = make_in_org(model, organization)
            return HookTarget(url=reverse(route.name, kwargs={"token": row.token}))
    return None


def stored_models(route: HookRoute) -> list:
    """The models whose rows a refused request must not change: the route's app's, and the outbox."""
    from aiops.models import Event

    models = [Event]
    if route.app_label:
        models += list(apps.get_app_config(route.app_label).get_models())
    return models
