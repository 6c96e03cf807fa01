"""Speech recognition cost of a menu: latency after end of speech and CPU per recognised utterance.

Speaks menu words with espeak-ng at telephone quality (8 kHz), then recognises each utterance with
the embedded PocketSphinx recogniser against a menu's phrases, as a SIP call does once voice-activity
detection has cut the utterance. Prints per-utterance latency (p50/p99) and CPU seconds per
utterance, and from these how many concurrently recognising calls one core sustains.

    python3 benchmarks/asr.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from alur.core.channel import SpeechGrammar
from alur.integrations.speech import PocketSphinxRecognizer

MENU = SpeechGrammar(
    (("billing", "1"), ("technical support", "2"), ("operator", "0"), ("tagihan", "1"), ("dua", "2"))
)
WORDS = [("billing", "en"), ("technical support", "en"), ("tagihan", "id"), ("dua", "id"), ("pizza", "en")]


def speak(tmp: Path, text: str, voice: str) -> bytes:
    wav, raw = tmp / "w.wav", tmp / "w.raw"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True)
    sox = ["sox", str(wav), "-t", "raw", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-L"]
    subprocess.run([*sox, str(raw), "pad", "0.2", "0.7"], check=True)  # as VAD cuts it: 0.7 s trailing
    return raw.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clips = [(text, speak(Path(tmp), text, voice)) for text, voice in WORDS]
    started = time.perf_counter()
    recognizer = PocketSphinxRecognizer()
    print(f"model load: {time.perf_counter() - started:.2f} s")
    recognizer.recognize(clips[0][1], MENU)  # builds the grammar search once
    latencies: list[float] = []
    audio = 0.0
    cpu0 = time.process_time()
    for _ in range(args.rounds):
        for _text, pcm in clips:
            t = time.perf_counter()
            recognizer.recognize(pcm, MENU)
            latencies.append(time.perf_counter() - t)
            audio += len(pcm) / 16000
    cpu = time.process_time() - cpu0
    n = len(latencies)
    latencies.sort()
    for text, pcm in clips:
        heard = recognizer.recognize(pcm, MENU)
        print(f"  {text!r:22} -> {heard.text!r:22} confidence {heard.confidence:.2f}")
    print(f"utterances: {n}, audio {audio:.1f} s")
    print(
        f"latency after end of speech: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[min(n - 1, int(n * 0.99))] * 1000:.0f} ms"
    )
    print(f"CPU per utterance: {cpu / n * 1000:.0f} ms; real-time factor {cpu / audio:.3f}")
    print(f"calls recognising at once per core (one utterance each every 5 s): {5.0 / (cpu / n):.0f}")


if __name__ == "__main__":
    main()
