"""What the system itself says to a caller (queue news, callback offer, survey, system prompts), in
English and Indonesian, chosen by the call's language; a project overrides any of them per language
with its own wording or a recording (`announcements:` in alur.yaml).

Each announcement has a stable id ("queue.position") that is logged with the prompt, so a report or a
test can tell which one a caller heard. Texts hold `{placeholders}` that are spoken in the call's
language: `{position}` as an ordinal ("third", "ketiga"), `{minutes}` as a duration ("two minutes",
"dua menit"), `{number}` digit by digit, `{count}` as a cardinal.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alur.core import spoken
from alur.core.channel import Prompt
from alur.core.errors import AlurError

#: announcement id -> language -> text
CATALOGUE: dict[str, dict[str, str]] = {
    "queue.position": {
        "en": "You are {position} in line.",
        "id": "Anda berada di urutan {position}.",
    },
    "queue.wait": {
        "en": "Your expected wait is about {minutes}.",
        "id": "Perkiraan waktu tunggu Anda sekitar {minutes}.",
    },
    "queue.callback_offer": {
        "en": "To be called back instead, press one.",
        "id": "Untuk ditelepon kembali, tekan satu.",
    },
    "callback.confirm_number": {
        "en": "We will call you back on {number}. To confirm, press one. For another number, press two.",
        "id": "Kami akan menelepon Anda kembali di nomor {number}. Untuk konfirmasi, tekan satu. "
        "Untuk nomor lain, tekan dua.",
    },
    "callback.enter_number": {
        "en": "Please enter the number to call you back on, then press hash.",
        "id": "Silakan masukkan nomor telepon Anda, lalu tekan tanda pagar.",
    },
    "callback.booked": {
        "en": "Thank you. You keep your place in line and we will call you back. Goodbye.",
        "id": "Terima kasih. Posisi antrean Anda tetap, dan kami akan menelepon Anda kembali. Sampai jumpa.",
    },
    "callback.closed_window": {
        "en": "We are closed now. We will call you back after we open, at {time}.",
        "id": "Kami sedang tutup. Kami akan menelepon Anda kembali setelah buka, pukul {time}.",
    },
    "survey.intro": {
        "en": "Please stay on the line for a short survey about your call.",
        "id": "Mohon tetap di saluran untuk survei singkat tentang panggilan Anda.",
    },
    "survey.scale": {
        "en": "Press or say a number from one to five, where five is best.",
        "id": "Tekan atau sebutkan angka satu sampai lima, lima adalah yang terbaik.",
    },
    "survey.thanks": {
        "en": "Thank you for your feedback. Goodbye.",
        "id": "Terima kasih atas masukan Anda. Sampai jumpa.",
    },
    "system.invalid": {
        "en": "Sorry, that is not a valid choice.",
        "id": "Maaf, pilihan tersebut tidak tersedia.",
    },
    "system.no_input": {
        "en": "Sorry, I did not hear your choice.",
        "id": "Maaf, kami tidak mendengar pilihan Anda.",
    },
    "system.transfer": {
        "en": "Please hold while we transfer your call.",
        "id": "Mohon tunggu, panggilan Anda sedang kami sambungkan.",
    },
    "system.goodbye": {
        "en": "Goodbye.",
        "id": "Sampai jumpa.",
    },
}

#: placeholder -> how its value is spoken in a language
SPOKEN: dict[str, Callable[[int | str, str], str]] = {
    "position": lambda v, lang: spoken.ordinal(int(v), lang),
    "minutes": lambda v, lang: spoken.minutes(int(v), lang),
    "number": lambda v, lang: spoken.digits(str(v), lang),
    "count": lambda v, lang: spoken.number(int(v), lang),
    "time": lambda v, lang: str(v),
}


class AnnouncementError(AlurError):
    code = "bad_announcement"


@dataclass(frozen=True, slots=True)
class Override:
    """A project's own wording (`text`, with the same placeholders) or recording (`file`)."""

    text: str | None = None
    file: str | None = None


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_override(announcement: str, language: str, override: Override) -> None:
    """Raise AnnouncementError naming the problem when an override cannot be used."""
    if announcement not in CATALOGUE:
        known = ", ".join(sorted(CATALOGUE))
        raise AnnouncementError(f"unknown announcement {announcement!r} (known: {known})", value=announcement)
    if (override.text is None) == (override.file is None):
        raise AnnouncementError(
            f"announcement {announcement!r} ({language}) needs exactly one of a text or a file",
            value=announcement,
        )
    if override.text is not None:
        try:
            wanted = placeholders(override.text)
        except ValueError as exc:
            raise AnnouncementError(
                f"announcement {announcement!r} ({language}): {exc}", value=override.text
            ) from None
        allowed = placeholders(CATALOGUE[announcement]["en"])
        if wanted - allowed:
            raise AnnouncementError(
                f"announcement {announcement!r} ({language}) uses {sorted(wanted - allowed)}, "
                f"which it does not have (it has: {sorted(allowed)})",
                value=override.text,
            )


class Announcements:
    """The catalogue with one project's overrides: `prompt(id, language, **values)`."""

    def __init__(self, overrides: Mapping[str, Mapping[str, Override]] | None = None) -> None:
        self.overrides: dict[str, dict[str, Override]] = {}
        for announcement, by_language in (overrides or {}).items():
            for language, override in by_language.items():
                check_override(announcement, language, override)
            self.overrides[announcement] = dict(by_language)

    def prompt(self, announcement: str, language: str, **values: int | str) -> Prompt:
        """The prompt for `announcement` in the call's `language` (English when neither the project
        nor the catalogue has that language), its placeholders spoken in that language."""
        override = self._override(announcement, language)
        if override is not None and override.file is not None:
            return Prompt(file=override.file, language=language)
        texts = CATALOGUE[announcement]
        lang = language if language in texts else spoken.base_language(language)
        text = override.text if override is not None and override.text is not None else texts[lang]
        words = {name: SPOKEN[name](value, lang) for name, value in values.items()}
        return Prompt(text=text.format_map(words), language=lang)

    def _override(self, announcement: str, language: str) -> Override | None:
        by_language = self.overrides.get(announcement)
        if not by_language:
            return None
        return by_language.get(language) or by_language.get(language.split("-")[0].lower())
