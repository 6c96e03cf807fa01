"""The embedded recogniser on real speech: espeak-ng says menu words at telephone quality (8 kHz),
PocketSphinx finds them among the menu's phrases, and an off-menu word is no match."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from alur.core.channel import SpeechGrammar
from alur.flow.nodes.survey import SurveyNode, score_grammar
from alur.integrations.speech import (
    LazyRecognizer,
    PocketSphinxRecognizer,
    SpeechError,
    loop_score,
    spelled_pronunciation,
    spelled_pronunciations,
    unexplained_voice,
)

pytest.importorskip("pocketsphinx")
needs_tools = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
)

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


def speak(tmp: Path, text: str, voice: str = "en") -> bytes:
    """`text` spoken by espeak-ng, as call audio: s16le mono 8 kHz with some silence around it."""
    wav, raw = tmp / f"{text}-{voice}.wav", tmp / f"{text}-{voice}.raw"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True)
    raw_form = ["-t", "raw", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-L"]
    # no dither: the same words give the same samples, so a result never depends on sox's noise
    subprocess.run(["sox", "-D", str(wav), *raw_form, str(raw), "pad", "0.2", "0.3"], check=True)
    return raw.read_bytes()


@pytest.fixture(scope="module")
def recognizer() -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer()


@needs_tools
@pytest.mark.parametrize(
    ("text", "voice", "option"),
    [
        ("billing", "en", "1"),
        ("technical support", "en", "2"),
        ("technical support", "en-us", "2"),
        ("operator", "en+f3", "0"),
        ("tagihan", "id", "1"),
        ("dua", "id", "2"),
        ("satu", "id", "1"),
        ("satu", "id+f3", "1"),
    ],
)
def test_menu_words_are_recognised(recognizer, tmp_path, text, voice, option) -> None:
    heard = recognizer.recognize(speak(tmp_path, text, voice), MENU)
    assert heard.text == text and heard.confidence >= MENU.confidence
    assert MENU.option(heard.text) == option


@needs_tools
@pytest.mark.parametrize("text", ["pizza", "elephant"])
def test_a_word_off_the_menu_is_no_match(recognizer, tmp_path, text) -> None:
    heard = recognizer.recognize(speak(tmp_path, text), MENU)
    assert heard.text == "" or heard.confidence < MENU.confidence


@needs_tools
@pytest.mark.parametrize(("text", "voice"), [("selamat pagi", "id"), ("terima kasih", "id+f3")])
def test_a_menu_word_heard_in_a_longer_utterance_is_no_match(recognizer, tmp_path, text, voice) -> None:
    """Both are heard as 'tagihan' with a good margin, the rest of the words left to silence."""
    heard = recognizer.recognize(speak(tmp_path, text, voice), MENU)
    assert heard.text == "" or heard.confidence < MENU.confidence


@needs_tools
def test_a_spoken_survey_score_less_sure_than_the_default_is_not_taken(recognizer, tmp_path) -> None:
    """'enam' (six) is heard as 'empat' (four) at 0.06 (0.38 with the margin over the phone loop with
    a phone language model; benchmarks/asr_accuracy.py --survey)."""
    grammar = score_grammar(5, "id")
    assert SurveyNode.model_fields["confidence"].default == grammar.confidence
    heard = recognizer.recognize(speak(tmp_path, "enam", "id"), grammar)
    assert heard.text == "" or heard.confidence < grammar.confidence


@needs_tools
def test_a_spoken_score_the_search_leaves_to_silence_is_forced_onto_the_audio(recognizer, tmp_path) -> None:
    """espeak's English "five" keeps little of its F and V at 8 kHz: the grammar search hears it as
    silence only, though no other score can be forced onto the audio, so "five" is the phrase heard.
    Whether it counts is the confidence's call: its acoustic margin turns this clip away (0.02, its
    AY fits far worse than free phones do; docs/speech.md)."""
    grammar = score_grammar(5, "en")
    heard = recognizer.recognize(speak(tmp_path, "five", "en"), grammar)
    assert heard.text == "five" and grammar.option(heard.text) == "5"


@needs_tools
@pytest.mark.parametrize(
    ("text", "voice", "language"),
    [("three", "en", "en"), ("four", "en", "en"), ("tiga", "id", "id"), ("lima", "id+f3", "id")],
)
def test_spoken_scores_are_recognised(recognizer, tmp_path, text, voice, language) -> None:
    """English "four" was taken at 0.13 by the margin over the phone loop with its phone language
    model, and now at 0.96 (benchmarks/asr_accuracy.py --survey)."""
    grammar = score_grammar(5, language)
    heard = recognizer.recognize(speak(tmp_path, text, voice), grammar)
    assert heard.text == text and heard.confidence >= grammar.confidence


@needs_tools
@pytest.mark.parametrize(
    ("text", "voice", "language", "phrase"),
    [
        ("yes", "en", "", "billing"),  # heard as "dua", taken at 0.80 before
        ("account", "en", "", "billing"),  # heard as "billing", 0.97 before
        ("bad", "en", "en", "three"),  # heard as "one", 0.86 before
        ("jelek", "id", "id", "dua"),  # heard as "dua", 0.99 before
    ],
)
def test_a_word_that_fits_its_nearest_phrase_worse_than_free_phones_is_turned_away(
    recognizer, tmp_path, text, voice, language, phrase
) -> None:
    """Each of these was taken with the margin over a phone loop with a phone language model. Their
    acoustic margin (forced alignment less a phone loop with none, per frame) is -70 to -45, where
    the phrase in the same voice, still taken, scores -21 to 0 (benchmarks/asr_accuracy.py, tuning
    words; 0.5 is at -38.1)."""
    grammar = score_grammar(5, language) if language else MENU
    heard = recognizer.recognize(speak(tmp_path, text, voice), grammar)
    assert heard.text == "" or heard.confidence < grammar.confidence
    heard = recognizer.recognize(speak(tmp_path, phrase, voice), grammar)
    assert heard.text == phrase and heard.confidence >= grammar.confidence


@needs_tools
def test_a_word_heard_as_silence_is_not_forced_onto_one_of_several_phrases(recognizer, tmp_path) -> None:
    """The search hears this "payment" as silence only; several menu phrases can be forced onto it
    (the best, "tagihan", with a high margin), so none is taken."""
    heard = recognizer.recognize(speak(tmp_path, "payment", "en+f3"), MENU)
    assert heard.text == "" or heard.confidence < MENU.confidence


def test_the_loop_score_counts_a_segment_for_its_share_of_the_frames() -> None:
    segments = [(0, 9, -1000), (10, 13, -400)]  # frames 0-9 and 10-13, inclusive
    assert loop_score(segments, [(0, 13)]) == -1400
    assert loop_score(segments, [(5, 11)]) == -500 - 200
    assert loop_score(segments, [(0, 1), (12, 13)]) == -200 - 200
    assert loop_score(segments, []) == 0


def test_unexplained_voice_is_the_voiced_share_outside_the_words() -> None:
    loud, quiet = b"\x00\x10" * 160, b"\x00\x00" * 160  # 20 ms frames: level 4096 and 0
    pcm = quiet + loud * 4 + quiet  # voiced 10 ms frames 2..9
    assert unexplained_voice(pcm, [(2, 9)]) == 0.0
    assert unexplained_voice(pcm, [(2, 5)]) == 0.5
    assert unexplained_voice(pcm, []) == 1.0


def test_silence_and_short_noise_are_nothing(recognizer) -> None:
    assert recognizer.recognize(b"\x00\x00" * 8000, MENU).confidence < MENU.confidence
    assert recognizer.recognize(b"\x10\x00" * 100, MENU).text == ""


def test_indonesian_words_get_pronunciations_from_their_spelling() -> None:
    assert spelled_pronunciation("tagihan") == "T AA G IY HH AA N"
    assert spelled_pronunciation("bangun") == "B AA NG UW N"
    assert spelled_pronunciation("nyanyi") == "N Y AA N Y IY"


def test_indonesian_words_get_the_variants_telephone_audio_is_heard_as() -> None:
    assert spelled_pronunciations("satu") == ("S AA T UW", "S AH T UH", "T AA T UW", "T AH T UH")
    assert spelled_pronunciations("dua") == ("D UW AA", "D UH AH")
    assert spelled_pronunciations("tolong") == ("T OW L OW NG", "T AO L AO NG")


def test_phrase_matching_and_bad_settings() -> None:
    assert MENU.option("Billing") == "1"
    assert MENU.option("uh technical support please") == "2"
    assert MENU.option("pizza") is None
    with pytest.raises(SpeechError, match="'whisper' is not one of pocketsphinx, vosk, http"):
        LazyRecognizer({"recognizer": "whisper"})
    with pytest.raises(SpeechError, match="needs 'model_dir'"):
        LazyRecognizer({"recognizer": "vosk"})


@needs_tools
def test_free_speech_uses_the_english_language_model_and_nothing_for_other_languages(
    recognizer, tmp_path
) -> None:
    free_en, free_id = SpeechGrammar((), "en"), SpeechGrammar((), "id")
    heard = recognizer.recognize(speak(tmp_path, "my internet is down"), free_en)
    assert heard.text and 0.0 <= heard.confidence <= 1.0  # words of the model's vocabulary
    assert recognizer.recognize(speak(tmp_path, "internet mati", "id"), free_id).text == ""


MENU_DEFAULT_CONFIDENCE = 0.5  # a menu node's default `confidence`, chosen with benchmarks/asr_accuracy.py
HELD_OUT = [  # the benchmark's held-out words: never used to choose the measure or the threshold
    *((text, voice) for text in ("banana", "refund", "goodbye", "internet", "password", "my order is late")
      for voice in ("en", "en-us", "en+f3")),
    *((text, voice) for text in ("lima", "kartu", "jalan", "sampai jumpa", "nomor")
      for voice in ("id", "id+f3")),
]  # fmt: skip


@needs_tools
def test_most_held_out_words_take_the_invalid_path(recognizer, tmp_path) -> None:
    """Measured: 26 of these 28 clips are no match at the default threshold ("kartu" is taken twice
    as "satu": docs/speech.md); more getting through would be a regression."""
    taken = []
    for text, voice in HELD_OUT:
        heard = recognizer.recognize(speak(tmp_path, text, voice), MENU)
        if heard.confidence >= MENU_DEFAULT_CONFIDENCE and MENU.option(heard.text) is not None:
            taken.append((text, voice, heard.text))
    assert len(taken) <= 2, taken


@needs_tools
def test_the_same_audio_gives_the_same_answer_whatever_came_before(recognizer, tmp_path) -> None:
    clip = speak(tmp_path, "tagihan", "id")
    first = recognizer.recognize(clip, MENU)
    for text, voice in (("technical support", "en"), ("pizza", "en"), ("dua", "id")):
        recognizer.recognize(speak(tmp_path, text, voice), MENU)
    again = recognizer.recognize(clip, MENU)
    # the cepstral mean is reset per utterance; some other decoder state still moves it by ~0.01
    assert again.text == first.text and abs(again.confidence - first.confidence) < 0.02
