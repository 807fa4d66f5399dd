"""Dates, times, money, durations, lists and names as a letter's locale writes them,
through Babel, with the language's gettext translations for the wording around them."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_location
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations
from babel.units import format_unit

from letterkit.i18n.languages import pmark, translations

# Our customers are in India: a bare language code means its Indian variant, so English
# letters get Indian digit grouping (₹1,25,000.00) and day-month dates.
DEFAULT_TERRITORY = "IN"


# Courtesy titles a record may give, and how a letter names its reader. Telugu writes
# Mr as శ్రీ and Mrs or Ms as శ్రీమతి, and adds the respectful గారు after the name.
COURTESY_TITLES = (
    pmark("title", "Mr"),
    pmark("title", "Mrs"),
    pmark("title", "Ms"),
    pmark("title", "Miss"),
    pmark("title", "Dr"),
    pmark("title", "Prof"),
)
# Translators: write - for a title the language leaves out (Telugu gives Ms none: the
# name with గారు is fully respectful, and శ్రీమతి would say married).
NO_TITLE = "-"
# How a letter names its reader: as the subject of a sentence ("addressee"), and as the one
# it is written to, on the name line and in the salutation ("addressee to": Telugu's
# dative, గారికి).
ADDRESSEE_WITH_TITLE = pmark("addressee", "%(title)s %(name)s")
ADDRESSEE = pmark("addressee", "%(name)s")
ADDRESSEE_TO_WITH_TITLE = pmark("addressee to", "%(title)s %(name)s")
ADDRESSEE_TO = pmark("addressee to", "%(name)s")
# Translators: the date and time patterns of this language's letters (CLDR patterns, such
# as "d MMMM y" or "B h:mm"), or the word itself to keep CLDR's own for the language.
DATE_FORMATS = {"long": pmark("date format", "long"), "full": pmark("date format", "full")}
TIME_FORMATS = {"short": pmark("time format", "short")}
# Translators: a meeting's time zone, named by its city, when it is not the organisation's.
ZONE = pmark("time zone", "%(city)s time")


@functools.cache
def locale_for(lang: str) -> Locale:
    try:
        return Locale.parse(f"{lang}_{DEFAULT_TERRITORY}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(lang)


# The zero of each native numbering system CLDR names for our region's languages; the
# other nine digits follow it in Unicode.
_DIGIT_ZERO = {"telu": 0x0C66, "deva": 0x0966, "taml": 0x0BE6, "knda": 0x0CE6,
               "mlym": 0x0D66, "beng": 0x09E6, "gujr": 0x0AE6, "guru": 0x0A66, "orya": 0x0B66}


def native_digits_table(locale: Locale) -> dict[int, int]:
    """A str.translate table from 0-9 to the locale's native digits (none: unchanged)."""
    zero = _DIGIT_ZERO.get(locale.other_numbering_systems.get("native", ""))
    return {} if zero is None else {ord("0") + i: zero + i for i in range(10)}


@dataclass(frozen=True)
class Formats:
    """Dates, times, money, durations and lists as the letter's locale writes them.

    Each method is also a template filter of the same name (see `letterkit fields`).
    """

    locale: Locale
    translations: NullTranslations
    native_digits: bool = False

    @classmethod
    def for_language(cls, lang: str, *, native_digits: bool = False) -> Formats:
        return cls(locale_for(lang), translations(lang), native_digits)

    def _digits(self, text: str) -> str:
        """Latin digits as the locale's own (౧౨౩ for Telugu) when the config asks for them."""
        if not self.native_digits:
            return text
        return text.translate(native_digits_table(self.locale))

    def _pattern(self, context: str, name: str) -> str:
        """A named format ("long") as this language's catalog writes it: its own CLDR
        pattern (Telugu's "d MMMM y"), or the name itself for CLDR's default."""
        return self.pgettext(context, name)

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def date(self, value: dt.date, format: str = "long") -> str:
        pattern = self._pattern("date format", format) if format in DATE_FORMATS else format
        return self._digits(format_date(value, format=pattern, locale=self.locale))

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def time(self, value: dt.datetime | dt.time, format: str = "short") -> str:
        pattern = self._pattern("time format", format) if format in TIME_FORMATS else format
        return self._digits(format_time(value, format=pattern, locale=self.locale))

    def timezone(self, value: dt.datetime) -> str:
        """A date and time's zone, by its city, in the letter's language: "London time"."""
        city = get_timezone_location(value.tzinfo, locale=self.locale, return_city=True)
        return self.pgettext("time zone", ZONE) % {"city": city}

    def nobreak(self, value: str) -> str:
        """Text that must not break across lines, such as a phone number."""
        return value.replace(" ", "\u00a0").replace("-", "\u2011")

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def money(self, amount: Decimal | float | int, currency: str = "INR") -> str:
        """An amount with its currency; a whole amount without the paise a receipt shows
        ("₹750", but "₹750.50")."""
        if Decimal(str(amount)) != Decimal(str(amount)).to_integral_value():
            return self._digits(format_currency(amount, currency, locale=self.locale))
        pattern = self.locale.currency_formats["standard"].pattern
        whole = re.sub(r"\.0+", "", pattern.split(";")[0])
        return self._digits(format_currency(amount, currency, format=whole,
                                            locale=self.locale, currency_digits=False))

    def number(self, value: Decimal | float | int) -> str:
        return self._digits(format_decimal(value, locale=self.locale))

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def duration(self, minutes: int) -> str:
        hours, rest = divmod(minutes, 60)
        parts = []
        if hours:
            parts.append(format_unit(hours, "duration-hour", length="long", locale=self.locale))
        if rest or not hours:
            parts.append(format_unit(rest, "duration-minute", length="long", locale=self.locale))
        return self._digits(format_list(parts, style="unit", locale=self.locale))

    def join_and(self, items: Iterable[object]) -> str:
        return format_list([str(i) for i in items if i], locale=self.locale)

    def courtesy_title(self, value: str | None) -> str:
        """A courtesy title (Mr, Ms, Dr …) as the letter's language writes it; empty where
        the language leaves it out."""
        title = self.pgettext("title", value) if value else ""
        return "" if title == NO_TITLE else title

    def gettext(self, message: str) -> str:
        return str(self.translations.gettext(message))

    def pgettext(self, context: str, message: str) -> str:
        return str(self.translations.pgettext(context, message))

    def addressee(self, person: Mapping[str, Any], case: str = "") -> str:
        """How a letter names its reader: courtesy title and name, the language's way
        (Telugu adds the respectful గారు through the catalog). With case "to", as the one
        the letter is written to (Telugu: గారికి), for the name line and salutation."""
        context = "addressee to" if case == "to" else "addressee"
        title = self.courtesy_title(person.get("title"))
        if title:
            message = ADDRESSEE_TO_WITH_TITLE if case == "to" else ADDRESSEE_WITH_TITLE
            return self.pgettext(context, message) % {"title": title, "name": person["name"]}
        message = ADDRESSEE_TO if case == "to" else ADDRESSEE
        return self.pgettext(context, message) % {"name": person["name"]}
