"""Find the factory-boy factory of any model, by scanning `tests/<app>/factories.py` modules.

The isolation test uses this to create one row per organisation for every model an API route or
admin changelist serves, so a new app is covered as soon as it ships its factories.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

import factory


@lru_cache(maxsize=1)
def factory_registry() -> dict:
    import tests

    registry: dict = {}
    for module_info in pkgutil.iter_modules(tests.__path__):
        if not module_info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{module_info.name}.factories")
        except ModuleNotFoundError as exc:
            if exc.name == f"tests.{module_info.name}.factories":
                continue
            raise
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory) and value._meta.model:
                model = value._meta.model
                preferred = value.__name__ == f"{model.__name__}Factory"
                if model not in registry or preferred:
                    registry[model] = value
    return registry


def make_in_org(model, organization):
    """One saved row of `model` owned by `organization` (the organisation itself for Organization)."""
    if isinstance(organization, model):
        return organization
    registry = factory_registry()
    if model not in registry:
        raise LookupError(
            f"no factory for {model._meta.label}: add a {model.__name__}Factory to tests/<app>/factories.py "
            "so the tenant-isolation test can cover it"
        )
    return registry[model](organization=organization)
