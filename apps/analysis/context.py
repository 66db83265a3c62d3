"""Context assembly: what the analyser knows about an alert or incident, gathered from every app.

Apps register context providers (`register_context_provider(name, fn, order=)`, usually in their
`AppConfig.ready()`); each returns titled, bounded `ContextBlock`s carrying evidence references.
The assembler runs them in order, numbers the blocks E1, E2, ... (the ids an analysis cites as
evidence), fits them into a token budget and renders one prompt from the templates under
`templates/analysis/prompts/`.

Tokens are estimated as characters / 4 (rounded up). That is the usual rule of thumb for English
text with BPE tokenisers; it over-counts slightly for prose and under-counts for dense JSON, so the
budget keeps a safety margin (`RESERVED_FOR_INSTRUCTIONS`) and the provider's own output budget is
separate. A block that does not fit is truncated when a useful part still fits, else left out; what
was left out is recorded on the analysis.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.template.loader import render_to_string

from . import conf
from .schema import schema_json

logger = logging.getLogger(__name__)

RESERVED_FOR_INSTRUCTIONS = 200  # tokens of slack on top of the rendered instructions
MIN_USEFUL_TOKENS = 60  # a truncated block shorter than this is noise; leave it out instead
TRUNCATED = "\n… (truncated)"


def estimate_tokens(text: str) -> int:
    """Approximate token count: characters / 4, rounded up (see the module docstring)."""
    return math.ceil(len(text or "") / 4)


@dataclass
class ContextBlock:
    """One titled piece of context.

    `kind` tells the offline analyser how to read `facts` (conventions in docs/analysis.md):
    "alert", "incident", "similar_alerts", "change", "logs", "past_fix", "runbook", "metric", or any
    other string (shown to LLMs, ignored by the offline rules). `refs` point at the rows the block
    came from, e.g. {"type": "changes.changeevent", "id": 7, "label": "deploy v2.4.1"}.
    """

    title: str
    body: str
    kind: str = "note"
    refs: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    source: str = ""  # the registered provider's name, filled in by the assembler
    id: str = ""  # E1, E2, ... assigned by the assembler
    truncated: bool = False


@dataclass(frozen=True)
class _Registration:
    name: str
    fn: Callable
    order: int


_registry: dict[str, _Registration] = {}


def register_context_provider(name: str, fn: Callable, *, order: int = 100) -> None:
    """Register `fn(subject) -> ContextBlock | list[ContextBlock] | None` under a unique name.

    Lower `order` runs first and is kept first when the budget is tight. Registering a name again
    replaces the earlier function (so reloading an app does not duplicate its blocks).
    """
    _registry[name] = _Registration(name, fn, order)


def unregister_context_provider(name: str) -> None:
    _registry.pop(name, None)


def context_providers() -> list[_Registration]:
    return sorted(_registry.values(), key=lambda r: (r.order, r.name))


@dataclass
class AssembledContext:
    blocks: list[ContextBlock]  # included, in prompt order, with ids
    omitted: list[ContextBlock]  # did not fit the budget
    errors: list[str]  # providers that raised (logged; the analysis goes on without them)
    budget_tokens: int

    @property
    def ids(self) -> set[str]:
        return {b.id for b in self.blocks}

    def by_kind(self, kind: str) -> list[ContextBlock]:
        return [b for b in self.blocks if b.kind == kind]

    def summary(self) -> list[dict]:
        """What the analysis record keeps about its context (bodies excluded, they can be large)."""
        rows = []
        for block, included in [(b, True) for b in self.blocks] + [(b, False) for b in self.omitted]:
            rows.append(
                {
                    "id": block.id,
                    "title": block.title,
                    "kind": block.kind,
                    "source": block.source,
                    "refs": block.refs,
                    "tokens": estimate_tokens(block.body),
                    "included": included,
                    "truncated": block.truncated,
                }
            )
        return rows

    def block(self, block_id: str) -> ContextBlock | None:
        return next((b for b in self.blocks if b.id == block_id), None)


def _bounded(block: ContextBlock, max_chars: int) -> ContextBlock:
    if len(block.body) > max_chars:
        block.body = block.body[: max_chars - len(TRUNCATED)] + TRUNCATED
        block.truncated = True
    return block


def collect(subject) -> tuple[list[ContextBlock], list[str]]:
    """Run every registered provider for `subject`; a failing provider is logged and skipped."""
    blocks, errors = [], []
    max_chars = conf.block_max_chars()
    for reg in context_providers():
        try:
            # A savepoint per provider: a provider's failed query must not poison the caller's transaction.
            with transaction.atomic():
                produced = reg.fn(subject)
        except Exception as exc:  # one broken provider must not cost the whole analysis
            logger.exception("context provider failed", extra={"provider": reg.name})
            errors.append(f"{reg.name}: {type(exc).__name__}")
            continue
        if produced is None:
            continue
        for block in produced if isinstance(produced, list | tuple) else [produced]:
            if not isinstance(block, ContextBlock) or not block.body.strip():
                continue
            block.source = block.source or reg.name
            blocks.append(_bounded(block, max_chars))
    return blocks, errors


def fit(blocks: list[ContextBlock], budget_tokens: int) -> tuple[list[ContextBlock], list[ContextBlock]]:
    """Keep blocks in order while they fit `budget_tokens`; truncate the first that does not, if useful."""
    kept, omitted, used = [], [], 0
    for block in blocks:
        cost = estimate_tokens(block.title) + estimate_tokens(block.body) + 4
        if used + cost <= budget_tokens:
            kept.append(block)
            used += cost
            continue
        room = budget_tokens - used - estimate_tokens(block.title) - 4
        if room >= MIN_USEFUL_TOKENS:
            chars = room * 4 - len(TRUNCATED)
            block.body = block.body[:chars] + TRUNCATED
            block.truncated = True
            kept.append(block)
            used = budget_tokens
        else:
            omitted.append(block)
    return kept, omitted


def assemble(subject, *, budget_tokens: int | None = None) -> AssembledContext:
    """Collect, order and fit the context for `subject` into `budget_tokens` of prompt."""
    budget = budget_tokens or conf.prompt_token_budget()
    blocks, errors = collect(subject)
    bare_system, bare_user = render_prompt(subject, AssembledContext([], [], [], budget))
    overhead = estimate_tokens(bare_system) + estimate_tokens(bare_user) + RESERVED_FOR_INSTRUCTIONS
    kept, omitted = fit(blocks, max(budget - overhead, 0))
    for number, block in enumerate(kept, start=1):
        block.id = f"E{number}"
    return AssembledContext(kept, omitted, errors, budget)


def render_prompt(subject, context: AssembledContext) -> tuple[str, str]:
    """(system, user) prompt texts from templates/analysis/prompts/{system,user}.txt."""
    variables = {
        "subject": subject,
        "blocks": context.blocks,
        "omitted": context.omitted,
        "schema": schema_json(),
        "sections": ["root_cause", "impact", "remediation", "prevention"],
    }
    system = render_to_string("analysis/prompts/system.txt", variables).strip()
    user = render_to_string("analysis/prompts/user.txt", variables).strip()
    return system, user


def prompt_hash(system: str, user: str) -> str:
    return hashlib.sha256(f"{system}\n\x00\n{user}".encode()).hexdigest()


def block_as_dict(block: ContextBlock) -> dict:
    return asdict(block)
