"""Text similarity with the standard library: words and character n-grams, TF-IDF, cosine, Jaccard.

Alert texts are short and full of identifiers (`DatabaseConnectionTimeout`, `orders-db:5432`), so
a document is its words (camelCase and punctuation split) plus character trigrams of each word:
trigrams match "timeout"/"timed out" and "db"/"database"-style near misses that words alone miss.
IDF is computed over the small candidate set being ranked, which is what makes rare words (a
service name) count more than common ones ("high", "error"). No external service, no model files.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_STOPWORD_TEXT = """
a an and are as at be been but by for from has have in into is it its of on or so than that the
their then there these this to was were which while will with not no did does didn't doesnt dont we
i you our my after before again it's
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
NEGATIONS = ("do not", "don't", "dont", "avoid", "never", "skip", "not ")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")


ABBREVIATIONS = {
    "db": "database",
    "app": "application",
    "apps": "application",
    "svc": "service",
    "k8s": "kubernetes",
    "cfg": "config",
    "configuration": "config",
    "conn": "connection",
    "conns": "connection",
    "mem": "memory",
    "oom": "memory",
    "cpu": "cpu",
    "net": "network",
    "dns": "dns",
    "pg": "postgres",
    "postgresql": "postgres",
    "msg": "message",
    "env": "environment",
    "prod": "production",
}


def _stem(word: str) -> str:
    """A light stemmer (Porter's plural rules, then -ed/-ing): "restarted"/"restarts" → "restart"."""
    if word.endswith("sses") or word.endswith("ies") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 4:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def words(text: str) -> list[str]:
    """Content words: camelCase and punctuation split, lower-cased, abbreviations expanded, stemmed."""
    spaced = _CAMEL.sub(" ", text or "")
    out = []
    for word in _WORD.findall(spaced.lower()):
        if len(word) < 2 or word in STOPWORDS:
            continue
        out.append(_stem(ABBREVIATIONS.get(word, word)))
    return out


def features(text: str, n: int = 3) -> Counter:
    """Bag of words plus character n-grams of each word (marked with '#', padded with spaces)."""
    bag: Counter = Counter()
    for word in words(text):
        bag[word] += 1
        padded = f" {word} "
        for i in range(len(padded) - n + 1):
            bag["#" + padded[i : i + n]] += 1
    return bag


def cosine(a: dict, b: dict) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(value * b.get(key, 0.0) for key, value in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


class TfIdf:
    """TF-IDF over a small corpus; `TfIdf(docs).similarity(i, j)` is the cosine of documents i and j.

    Alerts of one kind repeat the same text, so each distinct text is analysed and weighted once,
    and vector norms are computed once: ranking hundreds of candidates stays in milliseconds.
    """

    def __init__(self, documents: Iterable[str]):
        texts = list(documents)
        distinct = list(dict.fromkeys(texts))
        bags = {text: features(text) for text in distinct}
        df: Counter = Counter()
        for text in texts:  # document frequency counts every document, repeats included
            df.update(bags[text].keys())
        total = len(texts)
        # Smoothed IDF (as scikit-learn's default): a term in every document still weighs 1.
        idf = {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in df.items()}
        vectors = {}
        for text, bag in bags.items():
            vector = {term: (1 + math.log(tf)) * idf[term] for term, tf in bag.items()}
            vectors[text] = (vector, math.sqrt(sum(v * v for v in vector.values())))
        self._rows = [vectors[text] for text in texts]

    def similarity(self, i: int, j: int) -> float:
        (a, norm_a), (b, norm_b) = self._rows[i], self._rows[j]
        if not norm_a or not norm_b:
            return 0.0
        if len(a) > len(b):
            a, b = b, a
        return sum(value * b.get(key, 0.0) for key, value in a.items()) / (norm_a * norm_b)


@lru_cache(maxsize=4096)
def _features_cached(text: str) -> Counter:
    # Read-only by convention: callers never change the returned bag.
    return features(text)


def text_similarity(a: str, b: str) -> float:
    """Cosine of plain (un-weighted) feature bags: for comparing two snippets without a corpus."""
    return cosine(_features_cached(a), _features_cached(b))


def jaccard(a: Iterable, b: Iterable) -> float:
    left, right = set(a), set(b)
    if not left and not right:
        return 0.0
    return len(left & right) / len(left | right)


def label_pairs(labels: dict | None, *, skip: Iterable[str] = ("alertname",)) -> set[str]:
    ignored = set(skip)
    return {f"{k}={v}" for k, v in (labels or {}).items() if k not in ignored and v not in (None, "")}


def normalise(text: str) -> str:
    """One line, single spaces, no trailing full stop: how a suggestion is shown and compared."""
    return re.sub(r"\s+", " ", text or "").strip().rstrip(".").strip()


def is_negated(step: str) -> bool:
    """A step that warns against something ("Do not restart ...") does not suggest it."""
    lowered = normalise(step).lower()
    return lowered.startswith(NEGATIONS) or "did not help" in lowered or "didn't help" in lowered


SAME_ADVICE = 0.5


def same_advice(a: str, b: str) -> bool:
    """Two remediation texts give the same advice (wording may differ)."""
    if not a or not b:
        return False
    if normalise(a).lower() == normalise(b).lower():
        return True
    return text_similarity(a, b) >= SAME_ADVICE


# Verbs that name what a remediation does. Generic ones (check, run, investigate) are left out: two
# fixes that both "check" something are not the same fix.
_ACTION_TEXT = """
restart reboot reset rollback roll revert scale raise increase decrease lower reduce kill terminate stop
start clear flush purge delete remove add fix restore failover promote drain cordon evict rotate renew
upgrade downgrade patch resize expand extend free clean disable enable throttle block unblock reroute
replace reconnect reload recreate redeploy deploy migrate vacuum reindex compact tune
"""
ACTIONS = frozenset(_stem(w) for w in _ACTION_TEXT.split())


def actions(text: str) -> set[str]:
    return {w for w in words(text) if w in ACTIONS}


def same_action(a: str, b: str) -> bool:
    """Stricter than `same_advice`: the two texts do the same thing to a similar object.

    "Restart the orders-api deployment" repeats "Restart the application (orders-api)"; "Raise the
    connection pool size" does not, however many nouns it shares with it. Used where a mistake
    costs more: counting a fix as failed, and flagging an analysis as repeating a failed suggestion.
    """
    if not a or not b:
        return False
    left, right = actions(a), actions(b)
    similarity = text_similarity(a, b)
    if left and right:
        return bool(left & right) and similarity >= 0.35
    return similarity >= 0.7


def cluster(items: list[tuple[str, object]], *, threshold: float = SAME_ADVICE) -> list[list[tuple[str, object]]]:
    """Group (text, payload) pairs whose texts give the same advice; first-seen order, greedy.

    Each group is compared through its first text, so a chain of small rewordings cannot drift
    into one group that mixes unrelated fixes. Repeated texts are placed once, and a text is only
    compared with groups whose first text shares a word with it, so thousands of ratings group in
    well under a second.
    """
    groups: list[list[tuple[str, object]]] = []
    heads: list[Counter] = []
    by_word: dict[str, list[int]] = {}
    placed: dict[str, int] = {}
    for text, payload in items:
        key = normalise(text).lower()
        index = placed.get(key)
        if index is None:
            bag = _features_cached(text)
            candidates = sorted({i for w in set(words(text)) for i in by_word.get(w, ())})
            index = next((i for i in candidates if cosine(heads[i], bag) >= threshold), None)
            if index is None:
                index = len(groups)
                groups.append([])
                heads.append(bag)
                for word in set(words(text)):
                    by_word.setdefault(word, []).append(index)
            placed[key] = index
        groups[index].append((text, payload))
    return groups
