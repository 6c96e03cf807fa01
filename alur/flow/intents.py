"""Which intent a caller's free words name: each intent's phrases are compared, fuzzily, with every
run of as many words in what was said, so "I have a question about my invoce" finds `invoice`
(a recogniser's or a caller's slip costs a few points, not the match)."""

from __future__ import annotations

from rapidfuzz import fuzz


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def phrase_score(phrase: str, said: str) -> float:
    """0..100: how well `phrase` appears somewhere in `said`."""
    target = _words(phrase)
    words = _words(said)
    if not target or not words:
        return 0.0
    n = len(target)
    joined = " ".join(target)
    windows = [" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))]
    return max(fuzz.ratio(joined, w) for w in windows)


def match_intent(said: str, intents: dict[str, list[str]], threshold: float) -> tuple[str | None, float]:
    """The intent whose phrase scores best (ties: the longer phrase), if it reaches `threshold`."""
    best: tuple[float, int, str] | None = None
    for intent, phrases in intents.items():
        for phrase in phrases:
            score = phrase_score(phrase, said)
            key = (score, len(phrase), intent)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is None or best[0] < threshold:
        return None, best[0] if best else 0.0
    return best[2], best[0]
