"""What the system says, in English and Indonesian: numbers, ordinals and minutes spoken right, and a
project's own wording or recordings in place of the built-in texts."""

from __future__ import annotations

import pytest

from alur.core import spoken
from alur.core.announcements import CATALOGUE, AnnouncementError, Announcements, Override, check_override


@pytest.mark.parametrize(
    ("value", "en", "id_"),
    [(1, "first", "pertama"), (2, "second", "kedua"), (3, "third", "ketiga"), (12, "twelfth", "kedua belas")],
)
def test_ordinals(value: int, en: str, id_: str) -> None:
    assert spoken.ordinal(value, "en") == en
    assert spoken.ordinal(value, "id") == id_


def test_numbers_minutes_and_digits() -> None:
    assert spoken.number(21, "en") == "twenty-one"
    assert spoken.number(21, "id") == "dua puluh satu"
    assert spoken.number(100, "id") == "seratus"
    assert spoken.minutes(1, "en") == "one minute"
    assert spoken.minutes(5, "en") == "five minutes"
    assert spoken.minutes(1, "id") == "satu menit"
    assert spoken.minutes(11, "id") == "sebelas menit"
    assert spoken.digits("+62 812", "id") == "enam dua delapan satu dua"
    assert spoken.digits("0812", "en") == "zero eight one two"


def test_every_announcement_speaks_english_and_indonesian_with_the_same_placeholders() -> None:
    for announcement, texts in CATALOGUE.items():
        assert set(texts) >= {"en", "id"}, announcement
        assert {k: sorted(spoken_names(t)) for k, t in texts.items()} == {
            k: sorted(spoken_names(texts["en"])) for k in texts
        }, announcement


def spoken_names(text: str) -> set[str]:
    from alur.core.announcements import placeholders

    return placeholders(text)


def test_queue_news_in_the_callers_language() -> None:
    say = Announcements().prompt
    assert say("queue.position", "en", position=3).text == "You are third in line."
    indonesian = say("queue.position", "id", position=3)
    assert (indonesian.text, indonesian.language) == ("Anda berada di urutan ketiga.", "id")
    assert say("queue.wait", "id-ID", minutes=2).text == "Perkiraan waktu tunggu Anda sekitar dua menit."
    assert say("queue.wait", "en", minutes=1).text == "Your expected wait is about one minute."
    french = say("queue.position", "fr", position=2)  # no French texts: English words and voice
    assert (french.text, french.language) == ("You are second in line.", "en")


def test_a_project_overrides_with_its_wording_or_a_recording() -> None:
    overrides = {
        "queue.position": {"en": Override(text="{position} in the queue, thanks for waiting.")},
        "queue.callback_offer": {"id": Override(file="prompts/callback_id.wav")},
    }
    say = Announcements(overrides).prompt
    assert say("queue.position", "en", position=2).text == "second in the queue, thanks for waiting."
    assert say("queue.position", "id", position=2).text == "Anda berada di urutan kedua."  # not overridden
    recorded = say("queue.callback_offer", "id")
    assert (recorded.file, recorded.text) == ("prompts/callback_id.wav", None)
    assert say("queue.callback_offer", "en").text == "To be called back instead, press one."


def test_bad_overrides_are_named() -> None:
    with pytest.raises(AnnouncementError, match="unknown announcement 'queue.positon'"):
        check_override("queue.positon", "en", Override(text="x"))
    with pytest.raises(AnnouncementError, match=r"uses \['minutes'\], which it does not have"):
        check_override("queue.position", "en", Override(text="{minutes} to go"))
    with pytest.raises(AnnouncementError, match="exactly one of a text or a file"):
        check_override("queue.position", "en", Override())
