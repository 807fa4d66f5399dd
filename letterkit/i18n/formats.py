"""Dates, times, money, durations, lists and names as a letter's locale writes them,
through Babel, with the language's gettext translations for the wording around them."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_name
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
ADDRESSEE_WITH_TITLE = pmark("addressee", "%(title)s %(name)s")
ADDRESSEE = pmark("addressee", "%(name)s")


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

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def date(self, value: dt.date, format: str = "long") -> str:
        return self._digits(format_date(value, format=format, locale=self.locale))

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def time(self, value: dt.datetime | dt.time, format: str = "short") -> str:
        return self._digits(format_time(value, format=format, locale=self.locale))

    def timezone(self, value: dt.datetime) -> str:
        # Given the zone itself, Babel names it ("India Time"); given a datetime, it
        # falls back to an offset ("GMT+05:30") for zoneinfo zones.
        return get_timezone_name(value.tzinfo, width="long", locale=self.locale)

    def nobreak(self, value: str) -> str:
        """Text that must not break across lines, such as a phone number."""
        return value.replace(" ", "\u00a0").replace("-", "\u2011")

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - Formats live as long as the process
    def money(self, amount: Decimal | float | int, currency: str = "INR") -> str:
        return self._digits(format_currency(amount, currency, locale=self.locale))

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
        """A courtesy title (Mr, Ms, Dr …) as the letter's language writes it."""
        return self.pgettext("title", value) if value else ""

    def gettext(self, message: str) -> str:
        return str(self.translations.gettext(message))

    def pgettext(self, context: str, message: str) -> str:
        return str(self.translations.pgettext(context, message))

    def addressee(self, person: Mapping[str, Any]) -> str:
        """How a letter names its reader: courtesy title and name, the language's way
        (Telugu adds the respectful గారు through the catalog)."""
        if person.get("title"):
            return self.pgettext("addressee", ADDRESSEE_WITH_TITLE) % {
                "title": self.courtesy_title(person["title"]),
                "name": person["name"],
            }
        return self.pgettext("addressee", ADDRESSEE) % {"name": person["name"]}
