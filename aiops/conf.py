"""App-level settings: a Django setting if one is defined (tests override it), else the environment.

Apps declare their settings in `apps/<app>/conf.py` through `setting(...)`, so the central settings
module does not grow a section per app, and every value is still documented in the README table.
"""
from typing import Any

import environ
from django.conf import settings

_env = environ.Env()
_CASTS = {bool: _env.bool, int: _env.int, float: _env.float, str: _env.str, list: _env.list, dict: _env.json}


def setting(name: str, default: Any, cast: type | None = None) -> Any:
    """Read `name` from Django settings, then from the environment, then fall back to `default`."""
    if hasattr(settings, name):
        return getattr(settings, name)
    reader = _CASTS[cast or type(default)]
    return reader(name, default=default)
