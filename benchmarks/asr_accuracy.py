"""How well the embedded recogniser takes menu words and turns away other words, per threshold.

espeak-ng speaks each word in several voices (fixed voice and speed; sox converts to 8 kHz without
dither, so every run hears the same samples). Each clip is recognised against the menu grammar
*billing, technical support, operator, tagihan, satu, bantuan teknis, dua*. For each confidence
threshold the table counts menu words taken as the right option, menu words taken as a wrong one,
and off-menu words taken as some option (each one a caller routed where they did not ask to go).

    python3 benchmarks/asr_accuracy.py            # the tuning words (the default threshold is chosen here)
    python3 benchmarks/asr_accuracy.py --held-out # other words, never used to choose anything
    python3 benchmarks/asr_accuracy.py --survey [--held-out]  # spoken survey scores, per language

With `--survey` the grammar is a survey question's (alur/flow/nodes/survey.py): "one".."five" for the
English voices, "satu".."lima" for the Indonesian ones, each clip against its own language's words.

The held-out words are those tests/integrations/test_speech.py checks.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from alur.core.channel import SpeechGrammar
from alur.flow.nodes.survey import score_grammar
from alur.integrations.speech import PocketSphinxRecognizer, Recognition

MENU = SpeechGrammar(
    (
        ("billing", "1"),
        ("technical support", "2"),
        ("operator", "0"),
        ("tagihan", "1"),
        ("satu", "1"),
        ("bantuan teknis", "2"),
        ("dua", "2"),
    )
)
VOICES = {"en": ("en", "en-us", "en+f3"), "id": ("id", "id+f3")}
MENU_WORDS = {
    "en": ("billing", "technical support", "operator"),
    "id": ("tagihan", "satu", "bantuan teknis", "dua"),
}
OFF_MENU = {
    "en": ("pizza", "weather", "hello", "elephant", "building", "cancel my order", "account", "yes",
           "payment", "speak to someone"),
    "id": ("tiga", "selamat pagi", "terima kasih", "makan", "kucing", "rumah", "empat", "halo", "tolong",
           "pulsa"),
}  # fmt: skip
HELD_OUT = {
    "en": ("banana", "refund", "goodbye", "internet", "password", "my order is late"),
    "id": ("lima", "kartu", "jalan", "sampai jumpa", "nomor"),
}
SURVEY_OFF = {  # off-scale words for a survey question (tuning)
    "en": ("six", "zero", "none", "yes", "good", "bad", "maybe"),
    "id": ("enam", "nol", "tidak", "bagus", "jelek", "mungkin", "ya"),
}
SURVEY_HELD_OUT = {
    "en": ("ten", "great", "no", "fine"),
    "id": ("tujuh", "baik", "buruk", "oke"),
}
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def speak(tmp: Path, text: str, voice: str) -> bytes:
    """Call audio (s16le mono 8 kHz) of `text` in `voice`, as VAD cuts it (silence either side)."""
    wav, raw = tmp / "w.wav", tmp / "w.raw"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "175", "-w", str(wav), text], check=True)
    raw_form = ["-t", "raw", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-L"]
    subprocess.run(["sox", "-D", str(wav), *raw_form, str(raw), "pad", "0.2", "0.3"], check=True)
    return raw.read_bytes()


def clips(words: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [
        (text, voice) for language, texts in words.items() for text in texts for voice in VOICES[language]
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--held-out", action="store_true", help="score the held-out off-menu words")
    parser.add_argument("--survey", action="store_true", help="a survey question's scores, not the menu")
    parser.add_argument("--verbose", action="store_true", help="print what each clip was heard as")
    args = parser.parse_args()
    recognizer = PocketSphinxRecognizer()
    grammars = {language: score_grammar(5, language) for language in VOICES}
    if args.survey:
        targets = {language: tuple(p for p, _ in g.phrases) for language, g in grammars.items()}
        others = SURVEY_HELD_OUT if args.held_out else SURVEY_OFF
    else:
        grammars = {language: MENU for language in VOICES}
        targets, others = MENU_WORDS, HELD_OUT if args.held_out else OFF_MENU
    heard: dict[str, list[tuple[str, SpeechGrammar, Recognition]]] = {"menu": [], "off": []}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, words in (("menu", targets), ("off", others)):
            for language, texts in words.items():
                grammar = grammars[language]
                for text, voice in clips({language: texts}):
                    result = recognizer.recognize(speak(Path(tmp), text, voice), grammar)
                    heard[kind].append((text, grammar, result))
                    if args.verbose:
                        print(f"  {kind:4} {text:18} {voice:6} -> {result.text!r:20} {result.confidence:.2f}")
    n_menu, n_off = len(heard["menu"]), len(heard["off"])
    what = "survey scores" if args.survey else "menu"
    print(f"{what} clips: {n_menu}; other clips: {n_off} ({'held-out' if args.held_out else 'tuning'} words)")
    print("| threshold | words taken right | words heard as another phrase | other words taken |")
    print("| --- | --- | --- | --- |")
    for threshold in THRESHOLDS:
        right = wrong = off = 0
        for text, grammar, result in heard["menu"]:
            option = grammar.option(result.text) if result.confidence >= threshold else None
            right += option is not None and option == grammar.option(text) and result.text == text
            wrong += option is not None and result.text != text
        for _text, grammar, result in heard["off"]:
            off += result.confidence >= threshold and grammar.option(result.text) is not None
        print(f"| {threshold:.1f} | {right}/{n_menu} | {wrong}/{n_menu} | {off}/{n_off} |")


if __name__ == "__main__":
    main()
