"""The one place an absolute URL to this portal is built: webhook URLs and snippets, links in
notifications, events and timeline entries, calendar feeds.

Everything goes through ``settings.AIOPS_BASE_URL``, read at call time (so a test can override
it). That setting is ``AIOPS_BASE_URL`` from the environment, or ``http://<AIOPS_BIND>`` when it
is unset, so ``AIOPS_BIND=127.0.0.1:18200 make run`` links to port 18200 with no other setting.
Never use ``request.build_absolute_uri`` for a link that leaves the page: behind a proxy the
request's host is the proxy's, and a background task has no request at all.
"""
from django.conf import settings
from django.urls import reverse


def base_url() -> str:
    """The portal's public URL without a trailing slash, e.g. ``http://127.0.0.1:8000``."""
    return str(settings.AIOPS_BASE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    """``/alerts/7/`` -> ``http://127.0.0.1:8000/alerts/7/``."""
    if not path.startswith("/"):
        path = "/" + path
    return base_url() + path


def absolute_reverse(viewname: str, *, args=None, kwargs=None) -> str:
    """``reverse()`` as an absolute URL on the public base."""
    return absolute_url(reverse(viewname, args=args, kwargs=kwargs))
