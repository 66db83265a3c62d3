"""Problems found in a runbook document, and the typed readers that record them.

The schema (schema.py) reads a document through `Checker`, which never raises on the first
problem: it records (path, message) and carries on, so a person sees every mistake at once.
"""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple  # ("steps", 1, "timeout_seconds")


def fmt_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str  # complete sentence minus the path, e.g. "must be an integer"
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{fmt_path(self.path)} {self.message}"


class InvalidDefinition(Exception):
    """A runbook document that does not fit the schema; `problems` lists every issue found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


class Checker:
    def __init__(self):
        self.problems: list[Problem] = []

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(Problem(tuple(path), message))

    # -- typed readers: return the value, or None after recording a problem ---------------------------
    def string(self, value, path, *, required=False, max_length=None, allow_empty=True):
        if value is None:
            if required:
                self.fail(path, "is required")
            return None
        if isinstance(value, bool):
            self.fail(path, "must be a string (YAML reads unquoted yes/no/on/off as true/false: quote it)")
            return None
        if not isinstance(value, str | int | float):
            self.fail(path, "must be a string")
            return None
        value = str(value)
        if not allow_empty and not value.strip():
            self.fail(path, "must not be empty")
            return None
        if max_length and len(value) > max_length:
            self.fail(path, f"must be at most {max_length} characters")
            return None
        return value

    def integer(self, value, path, *, minimum=None, maximum=None):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be an integer")
            return None
        if minimum is not None and value < minimum:
            self.fail(path, f"must be at least {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.fail(path, f"must be at most {maximum}")
            return None
        return value

    def boolean(self, value, path):
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
            return None
        return value

    def mapping(self, value, path, *, required=False):
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping (key: value)")
            return None
        return value

    def sequence(self, value, path):
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return None
        return value

    def string_list(self, value, path, *, allow_single=False):
        if allow_single and isinstance(value, str):
            value = [value]
        items = self.sequence(value, path)
        if items is None:
            return None
        out = []
        for i, item in enumerate(items):
            text = self.string(item, path + (i,), allow_empty=False)
            if text is not None:
                out.append(text)
        return out

    def keys(self, data: dict, path: Path, allowed: tuple, aliases: dict | None = None) -> dict:
        """Rename aliases to canonical keys; unknown or doubled keys are problems. Returns a new dict."""
        aliases = aliases or {}
        out, origin = {}, {}
        for key, value in data.items():
            if not isinstance(key, str):
                self.fail(path, f"has a non-string key {key!r}")
                continue
            canonical = aliases.get(key, key)
            if canonical not in allowed:
                self.fail(path + (key,), f"is not a known key (expected one of: {', '.join(allowed)})")
                continue
            if canonical in out:
                self.fail(path + (key,), f"repeats {origin[canonical]!r} under another name")
                continue
            out[canonical], origin[canonical] = value, key
        self.origin = origin
        return out
