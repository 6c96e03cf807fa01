"""Numbers as a caller hears them, in English and Indonesian: cardinals, ordinals and durations.

The words come from `num2words` (which knows both languages); this module only chooses the form a
contact-center prompt needs ("third in line", "urutan ketiga", "two minutes", "dua menit").
"""

from __future__ import annotations

from num2words import num2words

from alur.core.errors import AlurError

#: languages whose numbers we speak; another language falls back to English words
LANGUAGES = ("en", "id")


class UnknownLanguage(AlurError):
    code = "unknown_language"


def base_language(language: str) -> str:
    """'id-ID' -> 'id', 'en_GB' -> 'en'; a language we cannot speak numbers in -> 'en'."""
    short = language.replace("_", "-").split("-", 1)[0].lower()
    return short if short in LANGUAGES else "en"


def number(value: int, language: str) -> str:
    """A whole number in words: 21 -> 'twenty-one' / 'dua puluh satu'."""
    return str(num2words(int(value), lang=base_language(language)))


def ordinal(value: int, language: str) -> str:
    """An ordinal in words: 3 -> 'third' / 'ketiga' (1 -> 'pertama' in Indonesian)."""
    return str(num2words(int(value), lang=base_language(language), to="ordinal"))


def minutes(value: int, language: str) -> str:
    """A duration in whole minutes: 1 -> 'one minute', 5 -> 'five minutes' / 'lima menit'."""
    lang = base_language(language)
    words = number(value, lang)
    if lang == "id":
        return f"{words} menit"  # Indonesian nouns do not inflect for number
    return f"{words} minute" if value == 1 else f"{words} minutes"


def digits(text: str, language: str) -> str:
    """A phone number read digit by digit: '0812' -> 'zero eight one two' / 'nol delapan satu dua'."""
    lang = base_language(language)
    return " ".join(number(int(c), lang) for c in text if c.isdigit())
