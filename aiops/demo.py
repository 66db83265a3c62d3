"""Demo data registry: `seed_demo` creates organisations and users, then asks each app for its part."""
from collections.abc import Callable

_seeders: list[tuple[int, str, Callable]] = []


def register_seeder(name: str, seeder: Callable, *, order: int = 100) -> None:
    """`seeder(org, users)` adds an app's demo rows; it must be idempotent (re-running seed_demo)."""
    global _seeders
    _seeders = [s for s in _seeders if s[1] != name] + [(order, name, seeder)]
    _seeders.sort(key=lambda s: (s[0], s[1]))


def seeders() -> list[tuple[str, Callable]]:
    return [(name, fn) for _, name, fn in _seeders]
