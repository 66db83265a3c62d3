"""Online template mining (the Drain algorithm, He et al., ICWS 2017), with our own masking.

Messages are first split by token count, then by their leading tokens (a token holding a wildcard
goes down the `<*>` branch), then compared to each template of the leaf: similarity is the share of
positions where the template's token equals the message's (a template wildcard counts as a match
only for tie-breaking, as in drain3). Above the threshold the message joins the template and the
positions that differ become `<*>`; otherwise it starts a new template.

We keep our own implementation rather than drain3's because the benchmark (tests/benchmarks/
test_logs.py) measured it far more accurate on raw lines (drain3 has no header handling or
masking by default: GA 0.53 raw vs 0.99 here), and because it keeps no pickled state. It is slower
than drain3's bare default (about a quarter of its lines/s, header split and masking included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import header, masking

WILDCARD = masking.WILDCARD


@dataclass
class Template:
    id: int
    tokens: list[str]
    count: int = 0
    levels: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@dataclass
class Match:
    template: Template
    header: str
    message: str
    level: str


class Miner:
    """Feed lines with `add(line)`; each returns the template it joined (ids are stable, from 1)."""

    def __init__(self, *, similarity: float = 0.6, depth: int = 2, max_children: int = 100):
        self.similarity = similarity
        self.depth = depth
        self.max_children = max_children
        self.templates: list[Template] = []
        self._tree: dict = {}

    def _leaf(self, words: list[str]) -> list[Template]:
        node = self._tree.setdefault(len(words), {})
        for word in words[: self.depth]:
            key = WILDCARD if WILDCARD in word else word
            if key not in node and len(node) >= self.max_children:
                key = WILDCARD
            node = node.setdefault(key, {})
        return node.setdefault(None, [])

    @staticmethod
    def _score(template: list[str], words: list[str]) -> tuple[float, int]:
        """Share of the message's constant tokens the template has in the same place (ties: wildcards)."""
        same = wild = constants = 0
        for a, b in zip(template, words, strict=True):
            if b == WILDCARD:
                continue
            constants += 1
            if a == WILDCARD:
                wild += 1
            elif a == b:
                same += 1
        if constants == 0:
            return 1.0, wild
        return same / constants, wild

    def add_message(self, message: str, level: str = "info") -> Template:
        words = masking.tokens(message) or [""]
        leaf = self._leaf(words)
        best, best_score = None, (-1.0, -1)
        for candidate in leaf:
            score = self._score(candidate.tokens, words)
            if score > best_score:
                best, best_score = candidate, score
        if best is None or best_score[0] < self.similarity:
            best = Template(id=len(self.templates) + 1, tokens=list(words))
            self.templates.append(best)
            leaf.append(best)
        else:
            best.tokens = [a if a == b else WILDCARD for a, b in zip(best.tokens, words, strict=True)]
        best.count += 1
        best.levels[level] = best.levels.get(level, 0) + 1
        return best

    def add(self, line: str) -> Match:
        head, message, level = header.split(line)
        level = header.detect_level(level, message)
        return Match(self.add_message(message or head, level), head, message, level)
