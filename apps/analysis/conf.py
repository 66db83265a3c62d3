"""Settings of the analysis app (documented in docs/analysis.md)."""

from aiops.conf import setting


def prompt_token_budget() -> int:
    """Default prompt budget (approximate tokens) for providers that do not set their own."""
    return setting("ANALYSIS_PROMPT_TOKEN_BUDGET", 6000)


def block_max_chars() -> int:
    """Upper bound on one context block's body, whatever its provider returns."""
    return setting("ANALYSIS_BLOCK_MAX_CHARS", 4000)


def similar_lookback_days() -> int:
    return setting("ANALYSIS_SIMILAR_LOOKBACK_DAYS", 30)


def knowledge_dirs() -> list[str]:
    """Extra directories of knowledge-base YAML files, loaded after the shipped ones."""
    return setting("ANALYSIS_KNOWLEDGE_DIRS", [], cast=list)


def max_retry_wait() -> float:
    """Longest wait honoured from a provider's Retry-After before retrying (seconds)."""
    return setting("ANALYSIS_MAX_RETRY_WAIT_SECONDS", 10.0)


def test_connection_timeout() -> float:
    return setting("ANALYSIS_TEST_TIMEOUT_SECONDS", 15.0)


def incident_delay() -> float:
    """Seconds between an incident opening and its first analysis, so the alert storm is in it."""
    return setting("ANALYSIS_INCIDENT_DELAY_SECONDS", 60.0)
