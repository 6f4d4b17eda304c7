"""The kiosk's texts: one gettext catalogue per language under ``kiosk/locales/<lang>/LC_MESSAGES/kiosk.mo``.

Adding a language is adding a catalogue (copy ``kiosk/locales/kiosk.pot``, translate, ``msgfmt``).
Message ids are the English texts; reason chips use the ``reason`` context (``pgettext("reason", "queue")``)
and each catalogue names its own language under the ``language`` context (``pgettext("language", "name")``).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from kiosk.config import ConfigError, UiConfig

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "kiosk"


def available_languages() -> tuple[str, ...]:
    """Language codes that have a compiled catalogue."""
    return tuple(sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")))


def check_languages(ui: UiConfig, *, prefix: str = "ui") -> None:
    """:raises ConfigError: naming ``ui.languages`` when a configured language has no catalogue."""
    have = available_languages()
    missing = [lang for lang in ui.languages if lang not in have]
    if missing:
        raise ConfigError(f"{prefix}.languages: no catalogue for {missing} (available: {list(have)})")


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALES), languages=[language], fallback=True)


class Texts:
    """The strings for one language and one :class:`UiConfig`; config texts win over the catalogue."""

    def __init__(self, language: str, ui: UiConfig) -> None:
        self.language = language
        self.ui = ui
        self._cat = catalogue(language)

    def __call__(self, msgid: str) -> str:
        return self._cat.gettext(msgid)

    def language_name(self) -> str:
        return self._cat.pgettext("language", "name")

    def reason(self, reason_id: str) -> str:
        """A configured reason's label; a reason the catalogue does not know is shown as configured."""
        label = self._cat.pgettext("reason", reason_id)
        return label[:1].upper() + label[1:]

    def question(self) -> str:
        return self.ui.questions.get(self.language) or self("How was your visit today?")

    def thank_you(self) -> str:
        return self.ui.thank_you.get(self.language) or self("Thank you!")

    def all(self) -> dict[str, str]:
        """Every text the screens show, by key (the .kv file reads them as ``app.t["key"]``)."""
        keys = {
            "hint": "Tap a face",
            "thanks_sub": "Your answer helps us improve.",
            "followup": "What was it about?",
            "skip": "Skip",
            "pin_title": "Staff: enter PIN",
            "pin_wrong": "Wrong PIN",
            "cancel": "Cancel",
            "ok": "OK",
            "staff_title": "Staff panel",
            "close": "Close",
            "exit_fullscreen": "Exit full screen",
            "fullscreen": "Full screen",
            "closed": "We are closed",
            "opens": "Opens",
            "cleaning": "Cleaning – touches paused",
            "cleaning_button": "Cleaning",
            "no_pin": "No staff PIN is set",
            **{f"day_{d.lower()}": d for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")},
        }
        out = {key: self(msgid) for key, msgid in keys.items()}
        out["question"] = self.question()
        out["thank_you"] = self.thank_you()
        out["language_name"] = self.language_name()
        return out
