"""Audio a stream sends when it hears several parties at once (supervisor monitor, whisper, barge).

Each source's decoded PCM waits in its own short buffer; on every media-clock tick one 20 ms frame
is taken from each and summed (clipped to 16 bits). A source starts counting once it has two frames
buffered (absorbing the phase between its packets and the clock), and a buffer never holds more than
`max_frames`, so a stalled listener never accumulates delay.
"""

from __future__ import annotations

import numpy as np

FRAME_BYTES = 320  # 20 ms of 16-bit PCM at 8 kHz


class Mix:
    def __init__(self, max_frames: int = 6) -> None:
        self.max_bytes = max_frames * FRAME_BYTES
        self._buffers: dict[object, bytearray] = {}
        self._started: set[object] = set()

    def feed(self, source: object, pcm: bytes) -> None:
        buf = self._buffers.setdefault(source, bytearray())
        buf += pcm
        if len(buf) > self.max_bytes:
            del buf[: len(buf) - self.max_bytes]

    def drop(self, source: object) -> None:
        self._buffers.pop(source, None)
        self._started.discard(source)

    def pull(self) -> bytes:
        """One 20 ms frame: the sum of every source's next frame (silence for those with none)."""
        total = np.zeros(FRAME_BYTES // 2, dtype=np.int32)
        for source, buf in self._buffers.items():
            if source not in self._started:
                if len(buf) < 2 * FRAME_BYTES:
                    continue
                self._started.add(source)
            if len(buf) < FRAME_BYTES:
                self._started.discard(source)  # ran dry: wait for two frames again
                continue
            total += np.frombuffer(bytes(buf[:FRAME_BYTES]), dtype="<i2")
            del buf[:FRAME_BYTES]
        return np.clip(total, -32768, 32767).astype("<i2").tobytes()
