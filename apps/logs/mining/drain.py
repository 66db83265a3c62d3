"""Online template mining (the Drain algorithm, He et al., ICWS 2017), with our own masking.

Messages are first split by token count, then by their leading tokens (a token holding a wildcard
goes down the `<*>` branch), then compared to each template of the leaf: similarity is the share of
positions where the template's token equals the message's (a template wildcard counts as a match
only for tie-breaking, as in drain3). Above the threshold the message joins the template and the
positions that differ become `<*>`; otherwise it starts a new template.

We keep our own implementation rather than drain3's because the benchmark (tests/benchmarks/
test_logs.py) measured it far more accurate on raw lines (drain3 has no header handling or
masking by default: GA 0.53 raw vs 0.99 here), and because it keeps no pickled state.

Speed: a line's header boundary, level and masked tokens depend only on the class of each
character, never on which digits it holds nor how many in a row (every pattern sees digits as
`\\d+`/`\\w`, and a token holding a digit is masked whole). So the miner keys each line by its bytes
with every run of ASCII digits turned into one "0" — C-level `bytes.translate` and `replace` — and a
line seen before under that key skips the
header split, masking and tree search: it joins the template its twin joined (bounded cache,
`cache_size` keys per miner). Identical masked messages likewise always join one template. Most
log lines differ from an earlier one only in their numbers, which is what makes this pay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import header, masking

WILDCARD = masking.WILDCARD
_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0000000000")


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

    def __init__(self, *, similarity: float = 0.6, depth: int = 2, max_children: int = 100,
                 cache_size: int = 50_000):
        self.similarity = similarity
        self.depth = depth
        self.max_children = max_children
        self.cache_size = cache_size
        self.templates: list[Template] = []
        self._tree: dict = {}
        self._lines: dict[bytes, tuple[Template, str]] = {}  # digit-blind line → (template, level)
        self._messages: dict[tuple[str, ...], Template] = {}  # masked tokens → the template they joined
        self._header_tokens: dict | None = {} if cache_size else None  # header token → its traits

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
        key = tuple(words)
        best = self._messages.get(key)
        if best is None:
            best = self._search(words)
            if len(self._messages) < self.cache_size:
                self._messages[key] = best
        best.count += 1
        best.levels[level] = best.levels.get(level, 0) + 1
        return best

    def _search(self, words: list[str]) -> Template:
        """The template `words` joins (merged into it), or a new one."""
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
        return best

    def classify(self, line: str) -> tuple[Template, str]:
        """(template joined, level) of one raw line."""
        text = line.rstrip("\r\n")
        key = text.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO)
        # Every run of digits becomes one "0" (its length changes nothing either): long runs first,
        # so a 19-digit block id takes three C-level passes, not five.
        key = key.replace(b"00000000", b"0").replace(b"0000", b"0").replace(b"00", b"0")
        while b"00" in key:
            key = key.replace(b"00", b"0")
        seen = self._lines.get(key)
        if seen is not None:
            template, level = seen
            template.count += 1
            template.levels[level] = template.levels.get(level, 0) + 1
            return seen
        pos, level = header.boundary(text, self._header_tokens)
        message = text[pos:].strip()
        level = header.detect_level(level, message)
        seen = (self.add_message(message or text[:pos].strip(), level), level)
        if len(self._lines) < self.cache_size:
            self._lines[key] = seen
        return seen

    def add(self, line: str) -> Match:
        template, level = self.classify(line)
        text = line.rstrip("\r\n")
        pos, _level = header.boundary(text, self._header_tokens)
        return Match(template, text[:pos].strip(), text[pos:].strip(), level)
