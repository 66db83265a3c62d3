"""Fixed-window counters in the Django cache (Redis in production: atomic across processes)."""
import time

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int = 60) -> tuple[bool, int]:
    """Count one hit; return (allowed, seconds until the window resets)."""
    if limit <= 0:
        return True, 0
    window = int(time.time() // window_seconds)
    cache_key = f"rl:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window_seconds + 1)
            count = 1
    retry_after = window_seconds - int(time.time() % window_seconds)
    return count <= limit, retry_after


def count(key: str, *, window_seconds: int = 60) -> int:
    """Hits of `key` in the current window, without counting one."""
    window = int(time.time() // window_seconds)
    return int(cache.get(f"rl:{key}:{window}") or 0)
