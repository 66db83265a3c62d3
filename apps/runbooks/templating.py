"""`{{name}}` placeholders: which names a text uses, and rendering them safely for each context.

Commands get every value through `shlex.quote`, so an alert label such as `x; rm -rf /` reaches
the remote shell as one literal word. That only holds outside quotes (inside "..." a quoted
value could still expand `$(...)`), which is why the schema rejects placeholders written inside
quotes. URLs get values percent-encoded unless the placeholder is the whole URL; headers refuse
line breaks; JSON bodies are built as data, never by string pasting.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_.\-/]+)?)\s*\}\}")

Resolver = Callable[[str], str]


class MissingValue(Exception):
    """A placeholder whose value cannot be found; the message says which one."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f"no value for {{{{{name}}}}}: give it as a parameter, or it must be an alert label or annotation"
        )


def placeholder_names(text: str) -> list[str]:
    """Names used in `text`, in order of first use."""
    seen: list[str] = []
    for match in PLACEHOLDER.finditer(text or ""):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def names_in(value) -> list[str]:
    """Placeholder names anywhere in a string, mapping or list (API bodies and headers)."""
    if isinstance(value, str):
        return placeholder_names(value)
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in names_in(k) + names_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in names_in(v)]
    return []


def quoted_placeholders(command: str) -> list[str]:
    """Placeholders that sit inside single or double quotes of a shell command."""
    found, state, i = [], None, 0
    while i < len(command):
        ch = command[i]
        if state != "'" and ch == "\\":
            i += 2
            continue
        if state is None and ch in "'\"":
            state = ch
        elif state == ch:
            state = None
        elif state is not None and command.startswith("{{", i):
            match = PLACEHOLDER.match(command, i)
            if match:
                found.append(match.group(1))
                i = match.end()
                continue
        i += 1
    return found


def render_command(command: str, resolve: Resolver) -> str:
    """Substitute placeholders as single shell words (shlex.quote)."""
    return PLACEHOLDER.sub(lambda m: shlex.quote(resolve(m.group(1))), command)


def render_text(text: str, resolve: Resolver) -> str:
    """Plain substitution, for messages shown to people (never executed)."""
    return PLACEHOLDER.sub(lambda m: resolve(m.group(1)), text)


def render_url(url: str, resolve: Resolver) -> str:
    """A whole-URL placeholder is taken as is (it must be http/https); parts are percent-encoded."""
    whole = PLACEHOLDER.fullmatch(url.strip())
    if whole:
        value = resolve(whole.group(1)).strip()
        if not re.match(r"^https?://[^\s]+$", value):
            raise ValueError(f"{{{{{whole.group(1)}}}}} must be an http:// or https:// URL, got {value!r}")
        return value
    return PLACEHOLDER.sub(lambda m: quote(resolve(m.group(1)), safe=""), url)


def render_header(value: str, resolve: Resolver) -> str:
    rendered = render_text(value, resolve)
    if "\r" in rendered or "\n" in rendered:
        raise ValueError("a header value may not contain line breaks")
    return rendered


def render_data(value, resolve: Resolver):
    """Render strings inside a JSON-like body structure (keys and values), keeping its shape."""
    if isinstance(value, str):
        return render_text(value, resolve)
    if isinstance(value, dict):
        return {render_data(k, resolve): render_data(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [render_data(v, resolve) for v in value]
    return value
