"""Per-call random draws made as the run goes, in blocks, with the numbers an up-front draw would give.

A `Column` is one purpose's values, `width` per call, read from one seeded stream starting at a given
position. Blocks of calls are drawn in order and forgotten once a few newer ones exist; the generator's
state at the start of every block is kept (a few hundred bytes), so a call asked about long after its
block was dropped gets the same numbers again. numpy's generators keep no buffer between calls for
these distributions, so drawing a stream block by block gives exactly the values one big draw gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

BLOCK_SHIFT = 11
BLOCK = 1 << BLOCK_SHIFT  # calls per block
KEEP = 4  # blocks a column keeps drawn

#: (generator, how many values, carry from the block before) -> (values, carry for the next block)
Sampler = Callable[[np.random.Generator, int, Any], tuple[np.ndarray, Any]]


def plain(sample: Callable[[np.random.Generator, int], np.ndarray]) -> Sampler:
    """A sampler for a draw that carries nothing from one block to the next."""

    def draw(rng: np.random.Generator, count: int, carry: Any) -> tuple[np.ndarray, Any]:
        return sample(rng, count), None

    return draw


class Column:
    """`width` values per call for `n` calls, drawn block by block from `rng` onwards."""

    def __init__(self, rng: np.random.Generator, n: int, sample: Sampler, width: int = 1, carry: Any = None):
        self.n = n
        self.width = width
        self._sample = sample
        self._rng = rng
        self._starts: list[tuple[Mapping[str, Any], Any]] = [(rng.bit_generator.state, carry)]
        self._carry = carry
        self._blocks: dict[int, list[Any]] = {}
        self._last = -1
        self._last_values: list[Any] = []

    def __call__(self, i: int, k: int = 0) -> Any:
        b = i >> BLOCK_SHIFT
        values = self._last_values if b == self._last else self._block(b)
        return values[(i & (BLOCK - 1)) * self.width + k]

    def block(self, b: int) -> list[Any]:
        """The values of calls b * BLOCK onwards (`width` per call), as a flat list."""
        return self._last_values if b == self._last else self._block(b)

    def _block(self, b: int) -> list[Any]:
        values = self._blocks.get(b)
        if values is None:
            while len(self._starts) <= b:  # draw forward to block b, noting where each block starts
                self._keep(len(self._starts) - 1, self._draw(self._rng, len(self._starts) - 1))
            if b == len(self._starts) - 1:
                values = self._draw(self._rng, b)
            else:  # a block dropped earlier: the same numbers again from its saved start
                state, carry = self._starts[b]
                rng = np.random.Generator(np.random.PCG64())
                rng.bit_generator.state = state
                drawn, _ = self._sample(rng, self._count(b), carry)
                values = drawn.tolist()
            self._keep(b, values)
        self._last, self._last_values = b, values
        return values

    def _count(self, b: int) -> int:
        return max(0, min(BLOCK, self.n - b * BLOCK)) * self.width

    def _draw(self, rng: np.random.Generator, b: int) -> list[Any]:
        """Block b, the next one of the stream: drawn, and the start of block b + 1 noted."""
        values, self._carry = self._sample(rng, self._count(b), self._carry)
        self._starts.append((rng.bit_generator.state, self._carry))
        out: list[Any] = values.tolist()
        return out

    def _keep(self, b: int, values: list[Any]) -> None:
        blocks = self._blocks
        blocks[b] = values
        if len(blocks) > KEEP:
            del blocks[min(blocks)]


def at(seed_stream: np.random.Generator, skip: int) -> np.random.Generator:
    """The stream moved on by `skip` 64-bit draws (uniform doubles take one each)."""
    bits: Any = seed_stream.bit_generator  # PCG64: advance() is not on the BitGenerator base type
    bits.advance(skip)
    return seed_stream


def uniform(rng: np.random.Generator, count: int, carry: Any) -> tuple[np.ndarray, Any]:
    return rng.random(count), None


_LOW = np.uint64(0xFFFFFFFF)
_HALF = np.uint64(32)


def digits(rng: np.random.Generator, count: int, carry: Any) -> tuple[np.ndarray, Any]:
    """What one `rng.integers(0, 10, size)` call gives, drawn in pieces.

    numpy takes each 32-bit half of a 64-bit draw in turn (low first) and maps it with Lemire's
    method, rejecting the rare value that would bias it; the high half left over at the end of one
    piece is where the next piece starts (`carry`).
    """
    out: list[np.ndarray] = []
    need = count
    while need > 0:
        have = 0 if carry is None else 1
        words = rng.bit_generator.random_raw((need - have + 1) // 2)
        halves = np.empty(have + 2 * len(words), dtype=np.uint64)
        if have:
            halves[0] = carry
        halves[have::2] = words & _LOW
        halves[have + 1 :: 2] = words >> _HALF
        m = halves * np.uint64(10)
        ok = (m & _LOW) >= np.uint64(6)  # (2**32 - 10) % 10: below it, numpy draws again
        accepted = np.flatnonzero(ok)
        taken = accepted[:need]
        out.append((m[taken] >> _HALF).astype(np.int64))
        used = int(taken[-1]) + 1 if len(taken) == need else len(halves)
        carry = halves[used] if used < len(halves) else None
        need -= len(taken)
    return (np.concatenate(out) if out else np.empty(0, dtype=np.int64)), carry
