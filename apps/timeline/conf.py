"""Timeline settings (Django setting, else environment, else the default)."""
from aiops.conf import setting


def panel_limit() -> int:
    """Entries drawn by the panel on an incident or alert page (the newest ones); the page shows more."""
    return setting("TIMELINE_PANEL_LIMIT", 100)


def page_limit() -> int:
    """Entries drawn on the standalone timeline page and returned by the /timeline API endpoints."""
    return setting("TIMELINE_PAGE_LIMIT", 2000)
