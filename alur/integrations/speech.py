"""Speech recognisers for menus: what a caller said, as text with a confidence, from 8 kHz call audio.

`Recognizer` is the one interface (`recognize(pcm, grammar)`); three implementations:
- `PocketSphinxRecognizer`, the embedded default: offline, from pip (its wheel ships a US English
  model). It searches a grammar of the menu's phrases only; words the English dictionary lacks
  (Indonesian "tagihan", "satu") get pronunciations from their spelling, which Indonesian writes
  almost phonetically. Free speech (a grammar with no phrases) is searched with the wheel's English
  language model: English only; Indonesian free speech needs Vosk or the HTTP service.
- `VoskRecognizer`: a Vosk model directory the project provides (`pip install vosk`).
- `HttpRecognizer`: a speech service the project runs (e.g. its own Whisper server): POST a WAV,
  get `{"text": ..., "confidence": ...}` back.
Decoding is CPU work: callers run it through `asyncio.to_thread`.
"""

from __future__ import annotations

import io
import json
import math
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
from scipy.signal import resample_poly

from alur.core.channel import SpeechGrammar
from alur.core.errors import AlurError


class SpeechError(AlurError):
    code = "speech_error"


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str  # "" when nothing was recognised
    confidence: float  # 0..1


class Recognizer(Protocol):
    def recognize(self, pcm: bytes, grammar: SpeechGrammar) -> Recognition:
        """`pcm`: s16le mono 8 kHz, one utterance (voice-activity detection already cut it)."""
        ...


#: Indonesian letters (and digraphs) -> CMU phones of the US English acoustic model
_ID_PHONES = {
    "ng": "NG", "ny": "N Y", "sy": "SH", "kh": "HH", "ai": "AY", "au": "AW", "oi": "OY",
    "a": "AA", "b": "B", "c": "CH", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH", "i": "IY",
    "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "OW", "p": "P", "q": "K", "r": "R",
    "s": "S", "t": "T", "u": "UW", "v": "F", "w": "W", "x": "K S", "y": "Y", "z": "Z",
}  # fmt: skip


def spelled_pronunciation(word: str) -> str:
    """CMU phones for a word spelled the Indonesian way: 'tagihan' -> 'T AA G IY HH AA N'."""
    phones: list[str] = []
    i = 0
    w = word.lower()
    while i < len(w):
        if w[i : i + 2] in _ID_PHONES:
            phones.append(_ID_PHONES[w[i : i + 2]])
            i += 2
        elif w[i] in _ID_PHONES:
            phones.append(_ID_PHONES[w[i]])
            i += 1
        else:
            i += 1  # a hyphen, an apostrophe: not spoken
    return " ".join(phones)


#: the nearest lax vowel of the English model for each tense one: Indonesian vowels sit between the
#: two (benchmarks/asr_accuracy.py: with these variants the menu turns away more off-menu words)
_LAX = {"AA": "AH", "UW": "UH", "IY": "IH", "EH": "AH", "OW": "AO"}


def spelled_pronunciations(word: str) -> tuple[str, ...]:
    """The pronunciations a word spelled the Indonesian way may be heard as over the telephone: its
    spelling's, the same with lax vowels, and for each of them an initial 's' heard as 'T'. Call
    audio stops at 4 kHz, where an 's' has little of its hiss left: the English model hears the
    onset of 'satu' as a 'T' ('T AA B UW' in its free phone loop). The first is the word's own."""
    tense = spelled_pronunciation(word)
    lax = " ".join(_LAX.get(phone, phone) for phone in tense.split())
    variants = [tense, lax]
    variants += ["T" + v[1:] for v in variants if v.startswith("S ")]
    return tuple(dict.fromkeys(variants))


def trim_silence(pcm: bytes, threshold: float = 400.0, margin: float = 0.15) -> bytes:
    """The voiced part of an utterance (20 ms frames whose mean level passes `threshold`), with
    `margin` seconds either side: silence around a word only blurs the confidence."""
    samples = np.abs(np.frombuffer(pcm[: len(pcm) // 320 * 320], dtype="<i2").astype(np.int32))
    if not len(samples):
        return b""
    voiced = np.flatnonzero(samples.reshape(-1, 160).mean(axis=1) > threshold)
    if not len(voiced):
        return b""
    pad = int(margin / 0.02)
    first, last = max(0, voiced[0] - pad), voiced[-1] + 1 + pad
    return pcm[first * 320 : last * 320]


def to_16k(pcm: bytes) -> bytes:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32)
    return np.clip(resample_poly(samples, 2, 1), -32768, 32767).astype("<i2").tobytes()


NOISE_FLOOR = 16.0  # standard deviation, in 16-bit steps (about -66 dBFS)


def with_noise_floor(pcm: bytes, level: float = NOISE_FLOOR) -> bytes:
    """`pcm` with a faint, always identical white noise added. The model was trained on 16 kHz speech
    that has some energy at every frequency; resampled call audio has none above 4 kHz (and digital
    silence has none at all), and the log filter-bank energies of those empty bands swamp the
    cepstrum. A fixed seed keeps the result a function of the audio alone."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    noise = np.random.default_rng(0).normal(0.0, level, len(samples))
    return np.clip(np.round(samples + noise), -32768, 32767).astype("<i2").tobytes()


#: per-frame acoustic margin (in the decoder's log base) that maps to confidence 0.5, and its spread;
#: chosen with benchmarks/asr_accuracy.py (tuning words) so that a menu's default 0.5 is the best cut.
#: A thin one: the lowest menu word taken ("operator", espeak's en voice) is at -37.9, the highest two
#: off-menu words turned away at -38.2 and -38.3
MARGIN_MIDPOINT = -38.1
MARGIN_SCALE = 5.0


#: the longest a phrase may take per phone of its pronunciation, in 10 ms frames of the trimmed utterance
#: (its 0.3 s of margins included): a short menu word ("dua", 3 phones) cannot be the whole of a longer
#: utterance ("rumah", "my order is late"). Menu words measured 8-19, short off-menu words heard as
#: "dua" 21-39 (benchmarks/asr_accuracy.py, tuning words)
MAX_FRAMES_PER_PHONE = 20

#: the largest share of the voiced frames a phrase may leave to silence and noise on its path: a menu
#: word is all of what the caller said (menu words measured 0-6 %), a word heard in a longer utterance
#: ("pizza" as "dua", "selamat pagi" as "tagihan") leaves 14-94 % (benchmarks/asr_accuracy.py, tuning)
MAX_UNEXPLAINED_VOICE = 0.1


#: how many of the search's best paths are looked through for a whole phrase
NBEST = 10


def unexplained_voice(pcm: bytes, spans: list[tuple[int, int]]) -> float:
    """The share of the voiced 10 ms frames of `pcm` (as `trim_silence` finds them) outside `spans`."""
    samples = np.abs(np.frombuffer(pcm[: len(pcm) // 320 * 320], dtype="<i2").astype(np.int32))
    voiced = np.repeat(samples.reshape(-1, 160).mean(axis=1) > 400.0, 2)
    covered = np.zeros(len(voiced), dtype=bool)
    for first, last in spans:
        covered[first : last + 1] = True
    return float((voiced & ~covered).sum() / max(1, voiced.sum()))


def margin_confidence(margin: float) -> float:
    """0..1 from the per-frame acoustic margin of the phrase over a free phone loop (`AcousticMargin`):
    a word of the menu fits its frames about as well as any phone sequence; another word fits its
    nearest menu phrase clearly worse than the phones it really is."""
    x = (margin - MARGIN_MIDPOINT) / MARGIN_SCALE
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def search_passes(decoder: Any, cmn: str, pcm: bytes) -> str:
    """Run `decoder`'s active search over `pcm` in two passes; the cepstral mean the first one set.

    The first pass, without search and over the whole utterance, sets the cepstral mean from this
    audio, starting from `cmn` each time so that the result never depends on the calls before; the
    second searches. Searching in the whole-utterance pass itself loses most of the words with this
    wheel (one word heard for 'technical support')."""
    decoder.set_cmn(cmn)
    decoder.start_utt()
    decoder.process_raw(pcm, True, True)
    decoder.end_utt()
    estimated = str(decoder.get_cmn())
    decoder.start_utt()
    decoder.process_raw(pcm, False, False)
    decoder.end_utt()
    return estimated


def loop_score(segments: list[tuple[int, int, int]], spans: list[tuple[int, int]]) -> float:
    """The phone loop's acoustic score over the frames of `spans` (first, last: inclusive), from its
    `segments` (first, last, score): a segment partly inside counts for its share of frames."""
    total = 0.0
    for first, last, score in segments:
        for start, end in spans:
            inside = min(last, end) - max(first, start) + 1
            if inside > 0:
                total += score * inside / (last - first + 1)
    return total


class AcousticMargin:
    """How much better the heard phrase fits its own frames than any sequence of phones does, in
    acoustic score alone: its phone-by-phone forced alignment less a free phone loop with no phone
    language model, over the frames the alignment gives the phrase's words, per frame.

    The grammar's path score over the wheel's phone loop (the margin before this) carried the
    loop's phone language model and insertion penalties, so off-menu words often fit their nearest
    phrase better than the loop did. This runs on a decoder of its own that scores every senone each
    frame (`compallsen`): both scores are then normalised by the same best senone per frame
    (benchmarks/asr_accuracy.py: fewer off-menu and off-scale words taken at the same right answers,
    for about 55 ms more CPU per utterance, benchmarks/asr.py)."""

    def __init__(self, model: Path) -> None:
        import pocketsphinx

        self._decoder: Any = pocketsphinx.Decoder(
            hmm=str(model / "en-us"),
            dict=str(model / "cmudict-en-us.dict"),
            lm=None,
            samprate=16000,
            compallsen=True,
            loglevel="FATAL",
        )
        self._decoder.add_allphone_file("_phones", None)  # no file: every phone equally likely
        self._cmn = str(self._decoder.get_cmn())
        self._decoder.activate_search("_phones")
        search_passes(self._decoder, self._cmn, with_noise_floor(bytes(16000)))  # the first utterance

    def add_word(self, word: str, pronunciation: str) -> None:
        """A word the grammar's decoder was given, so that the aligner can place it too."""
        self._decoder.add_word(word, pronunciation, True)

    def margin(self, text: str, wide: bytes) -> float | None:
        """The per-frame margin of `text` over the phone loop on `wide` (16 kHz audio), in the
        decoder's log base; None when the aligner cannot place the phrase on this audio."""
        aligned = self._align(text, wide)
        if aligned is None:
            return None
        spans, score = aligned
        frames = sum(last - first + 1 for first, last in spans)
        return (score - loop_score(self._loop(wide), spans)) / frames

    def _loop(self, wide: bytes) -> list[tuple[int, int, int]]:
        """(first, last, acoustic score) of each phone of the free phone loop's best path."""
        d = self._decoder
        d.activate_search("_phones")
        search_passes(d, self._cmn, wide)
        # the binding hands scores over exponentiated; the decoder's own log base undoes that
        return [(s.start_frame, s.end_frame, int(d.logmath.log(s.ascore))) for s in d.seg() or ()]

    def _align(self, text: str, wide: bytes) -> tuple[list[tuple[int, int]], int] | None:
        """The frames (first, last) of each word of `text` forced onto `wide`, and their acoustic
        score from a phone-level alignment (silence around and between the words left out)."""
        d = self._decoder
        d.set_align_text(text)
        cmn = search_passes(d, self._cmn, wide)
        hyp = d.hyp()
        if hyp is None or " ".join(w.split("(")[0] for w in hyp.hypstr.split()) != text:
            return None  # the aligner's beam lost every path through the phrase
        try:
            d.set_alignment()
        except RuntimeError:
            return None
        d.set_cmn(cmn)  # a search pass only: a pass without search would drop the words' placing
        d.start_utt()
        d.process_raw(wide, False, False)
        d.end_utt()
        words = set(text.split())
        placed = [w for w in d.get_alignment().words() if w.name.split("(")[0] in words and w.duration > 0]
        if not placed:
            return None
        return [(w.start, w.start + w.duration - 1) for w in placed], sum(w.score for w in placed)


class PocketSphinxRecognizer:
    """Grammar search over a menu's phrases with the model the pocketsphinx wheel ships; the
    confidence is the heard phrase's acoustic margin over a free loop of phones (`AcousticMargin`)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        try:
            import pocketsphinx
        except ImportError:
            raise SpeechError(
                "speech menus need pocketsphinx (pip install pocketsphinx), or another recogniser"
            ) from None
        model = model_dir or Path(pocketsphinx.get_model_path()) / "en-us"
        self._decoder: Any = pocketsphinx.Decoder(
            hmm=str(model / "en-us"),
            dict=str(model / "cmudict-en-us.dict"),
            lm=None,
            samprate=16000,  # the model is wideband: call audio is resampled to it
            loglevel="FATAL",
        )
        self._decoder.add_lm_file("_free", str(model / "en-us.lm.bin"))
        self._cmn = self._decoder.get_cmn()  # every utterance starts from the same normalisation
        # the decoder's first utterance runs from other starting state than all the later ones: spend
        # it on half a second of noise, so that a caller's words are heard the same in any order
        self._decode("_free", with_noise_floor(bytes(16000)))
        self._acoustic = AcousticMargin(model)
        self._searches: dict[tuple[str, ...], str] = {}
        self._lock = threading.Lock()  # one decoder of each kind: one utterance at a time

    def _search(self, grammar: SpeechGrammar) -> str:
        phrases = tuple(sorted({" ".join(p.lower().split()) for p, _ in grammar.phrases}))
        name = self._searches.get(phrases)
        if name is None:
            for phrase in phrases:
                for word in phrase.split():
                    if not self._decoder.lookup_word(word):
                        self._add_word(word)
            name = f"g{len(self._searches)}"
            rule = " | ".join(phrases)
            self._decoder.add_jsgf_string(name, f"#JSGF V1.0; grammar {name}; public <choice> = {rule} ;")
            self._searches[phrases] = name
            self._decode(name, with_noise_floor(bytes(16000)))  # its first utterance, as in __init__
        return name

    def _add_word(self, word: str) -> None:
        """A word the dictionary lacks, with the pronunciations its Indonesian spelling gives, on both
        decoders."""
        for n, variant in enumerate(spelled_pronunciations(word), start=1):
            entry = word if n == 1 else f"{word}({n})"
            self._decoder.add_word(entry, variant, True)
            self._acoustic.add_word(entry, variant)

    def _decode(self, search: str, pcm: bytes) -> tuple[str, Any]:
        """(text, hypothesis) of one search over `pcm` (`search_passes` explains the two passes)."""
        d = self._decoder
        d.activate_search(search)
        self._two_passes(pcm)
        hyp = d.hyp()
        return (hyp.hypstr, hyp) if hyp is not None else ("", None)

    def recognize(self, pcm: bytes, grammar: SpeechGrammar) -> Recognition:
        pcm = trim_silence(pcm)
        if len(pcm) < 3200:  # less than 0.2 s is no word
            return Recognition("", 0.0)
        wide = with_noise_floor(to_16k(pcm))
        if not grammar.phrases:
            return self._free(wide, grammar.language)
        phrases = {" ".join(p.lower().split()) for p, _ in grammar.phrases}
        with self._lock:
            text, _ = self._decode(self._search(grammar), wide)
            frames = self._decoder.n_frames()
            spans = self._spans(text)
            if text and text not in phrases:
                text = self._best_complete(phrases)
                spans = self._aligned_spans(text, wide) if text else []
            elif not text:
                text, spans = self._best_aligned(phrases, wide)
            if not text:
                return Recognition("", 0.0)
            phones = sum(self._phones(word) for word in text.split())
            if frames > MAX_FRAMES_PER_PHONE * phones:
                return Recognition(text, 0.0)  # too long to be this phrase: another, longer word
            if unexplained_voice(pcm, spans) > MAX_UNEXPLAINED_VOICE:
                return Recognition(text, 0.0)  # the phrase is a part of what was said; silence took the rest
            margin = self._acoustic.margin(text, wide)  # only now: three passes scoring every senone
        return Recognition(text, 0.0 if margin is None else margin_confidence(margin))

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """The 10 ms frames (first, last) of each word of `text` on the last search's best path."""
        words = set(text.split())
        return [
            (s.start_frame, s.end_frame) for s in self._decoder.seg() or () if s.word.split("(")[0] in words
        ]

    def _aligned_spans(self, text: str, wide: bytes) -> list[tuple[int, int]]:
        """`_spans` of `text` forced onto `wide` (for a phrase taken from the lattice, not the best path)."""
        self._decoder.set_align_text(text)
        self._two_passes(wide)
        return self._spans(text)

    def _two_passes(self, pcm: bytes) -> None:
        """Run the active search over `pcm` as `search_passes` explains."""
        search_passes(self._decoder, self._cmn, pcm)

    def _best_complete(self, phrases: set[str]) -> str:
        """The best path that is a whole phrase, from the last search's lattice. The search's own
        best can end inside a phrase ('bantuan' of 'bantuan teknis' for a 'satu' said quickly)."""
        for n, hyp in enumerate(self._decoder.nbest()):
            if n >= NBEST:
                break
            if hyp.hypstr in phrases and hyp.score > 0:
                return str(hyp.hypstr)
        return ""

    def _best_aligned(self, phrases: set[str], wide: bytes) -> tuple[str, list[tuple[int, int]]]:
        """The one phrase the aligner can force onto audio the search heard as silence only, with its
        spans ("", [] when none or several fit). The grammar search can leave a whole word to its
        silence filler (espeak's "five", whose F and V keep little below 4 kHz); a phrase is taken
        only when every other one falls out of the aligner's beam, and the checks after still decide
        whether it counts (benchmarks/asr_accuracy.py: taking the best of several let "payment"
        through as "tagihan")."""
        placed: list[tuple[str, list[tuple[int, int]]]] = []
        for phrase in sorted(phrases):
            self._decoder.set_align_text(phrase)
            self._two_passes(wide)
            hyp = self._decoder.hyp()
            if hyp is None or hyp.hypstr != phrase or hyp.score <= 0:
                continue  # the aligner's beam lost every path through this phrase
            placed.append((phrase, self._spans(phrase)))
        return placed[0] if len(placed) == 1 else ("", [])

    def _phones(self, word: str) -> int:
        """The most phones any pronunciation of `word` has (the duration check's lenient side)."""
        most, n = 0, 1
        while pron := self._decoder.lookup_word(word if n == 1 else f"{word}({n})"):
            most, n = max(most, len(pron.split())), n + 1
        return most

    def _free(self, wide: bytes, language: str) -> Recognition:
        """Free speech with the English language model (another language would come out as English
        words that were never said: nothing, rather)."""
        if language.split("-")[0] != "en":
            return Recognition("", 0.0)
        with self._lock:
            text, hyp = self._decode("_free", wide)
        if not text:
            return Recognition("", 0.0)
        return Recognition(text, float(hyp.prob))  # the language model search's posterior


class VoskRecognizer:
    """A Vosk model directory (e.g. a small Indonesian or English model), limited to the phrases."""

    def __init__(self, model_dir: Path) -> None:
        try:
            import vosk
        except ImportError:
            raise SpeechError("the vosk recogniser needs the vosk package (pip install vosk)") from None
        if not model_dir.is_dir():
            raise SpeechError(f"vosk model directory {str(model_dir)!r} does not exist", value=str(model_dir))
        self._vosk = vosk
        self._model = vosk.Model(str(model_dir))

    def recognize(self, pcm: bytes, grammar: SpeechGrammar) -> Recognition:
        if grammar.phrases:
            phrases = [p.lower() for p, _ in grammar.phrases] + ["[unk]"]
            rec = self._vosk.KaldiRecognizer(self._model, 8000, json.dumps(phrases))
        else:  # free speech: the model's own vocabulary
            rec = self._vosk.KaldiRecognizer(self._model, 8000)
        rec.SetWords(True)
        rec.AcceptWaveform(pcm)
        result = json.loads(rec.FinalResult())
        words = result.get("result") or []
        text = " ".join(w["word"] for w in words if w.get("word") != "[unk]")
        confidence = min((float(w.get("conf", 0.0)) for w in words), default=0.0)
        return Recognition(text, confidence if text else 0.0)


class HttpRecognizer:
    """POST the utterance as a WAV (with the phrases and language as form fields) to a service of the
    project's own; it answers `{"text": "...", "confidence": 0.93}`."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def recognize(self, pcm: bytes, grammar: SpeechGrammar) -> Recognition:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(pcm)
        data = {"language": grammar.language, "phrases": json.dumps([p for p, _ in grammar.phrases])}
        try:
            response = httpx.post(
                self.url, files={"audio": ("utterance.wav", buf.getvalue(), "audio/wav")}, data=data,
                timeout=self.timeout,
            )  # fmt: skip
            response.raise_for_status()
            body = response.json()
            return Recognition(str(body.get("text", "")), float(body.get("confidence", 1.0)))
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise SpeechError(f"speech service {self.url}: {exc}", value=self.url) from None


class LazyRecognizer:
    """The recogniser a project's `server.speech` settings name, built on first use (loading a model
    takes a moment and most flows never listen): {recognizer: pocketsphinx | vosk | http, model_dir, url}."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = dict(settings or {})
        kind = self.settings.get("recognizer", "pocketsphinx")
        if kind not in ("pocketsphinx", "vosk", "http"):
            raise SpeechError(
                f"server.speech.recognizer {kind!r} is not one of pocketsphinx, vosk, http", value=kind
            )
        if kind == "vosk" and not self.settings.get("model_dir"):
            raise SpeechError("server.speech: the vosk recogniser needs 'model_dir'")
        if kind == "http" and not self.settings.get("url"):
            raise SpeechError("server.speech: the http recogniser needs 'url'")
        self._built: Recognizer | None = None
        self._lock = threading.Lock()

    def recognize(self, pcm: bytes, grammar: SpeechGrammar) -> Recognition:
        with self._lock:
            if self._built is None:
                kind = self.settings.get("recognizer", "pocketsphinx")
                if kind == "vosk":
                    self._built = VoskRecognizer(Path(self.settings["model_dir"]))
                elif kind == "http":
                    self._built = HttpRecognizer(self.settings["url"], float(self.settings.get("timeout", 5)))
                else:
                    self._built = PocketSphinxRecognizer()
        return self._built.recognize(pcm, grammar)
