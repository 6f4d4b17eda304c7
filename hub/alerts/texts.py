"""What alerts and reports say, in Swedish and English (a user's ``language``)."""

from __future__ import annotations

import json
from typing import Any

LANGUAGES = ("sv", "en")

_PAIRS: dict[str, tuple[str, str]] = {  # key: (sv, en)
    "happy_index_below": ("Nöjdhetsindex {value:g} under {threshold:g}", "Happy Index {value:g} below {threshold:g}"),
    "happy_index_above": ("Nöjdhetsindex {value:g} över {threshold:g}", "Happy Index {value:g} above {threshold:g}"),
    "unhappy_pct_above": ("{value:g} % missnöjda, över {threshold:g} %", "{value:g} % unhappy, above {threshold:g} %"),
    "responses_below": ("{value:g} svar, under {threshold:g}", "{value:g} answers, below {threshold:g}"),
    "responses_above": ("{value:g} svar, över {threshold:g}", "{value:g} answers, above {threshold:g}"),
    "kiosk_silent": (
        "terminal {kiosk} tyst i {value:g} minuter under öppettid",
        "kiosk {kiosk} silent for {value:g} minutes during opening hours",
    ),
    "backlog_growing": (
        "terminal {kiosk}: kön växer ({value} väntande) sedan {minutes:g} minuter",
        "kiosk {kiosk}: backlog growing ({value} pending) for {minutes:g} minutes",
    ),
    "clock_skew": ("terminal {kiosk}: klockan fel med {value:g} s", "kiosk {kiosk}: clock off by {value:g} s"),
    "config_refused": (
        "terminal {kiosk} vägrade inställningarna: {reason}",
        "kiosk {kiosk} refused its remote settings: {reason}",
    ),
    "window": ("{window}, {answers} svar", "{window}, {answers} answers"),
    "alert_subject": ("Larm: {store}: {what}", "Alert: {store}: {what}"),
    "alert_body": (
        "{store}: {what}.\n\nLarmet öppnades {when} och stängs av sig självt när det återhämtat sig.\n"
        "Kvittera det med en kommentar: {link}\n",
        "{store}: {what}.\n\nThe alert opened at {when} and closes itself when the store recovers.\n"
        "Acknowledge it with a comment: {link}\n",
    ),
    "stop_alerts": ("Sluta få larm per e-post: {link}", "Stop alert e-mails: {link}"),
    "report_day": ("Daglig rapport {first}", "Daily report {first}"),
    "report_week": ("Veckorapport {first} – {last}", "Weekly report {first} – {last}"),
    "report_month": ("Månadsrapport {first} – {last}", "Monthly report {first} – {last}"),
    "happy_index": ("Nöjdhetsindex", "Happy Index"),
    "answers": ("svar", "answers"),
    "change": ("mot föregående period", "vs the previous period"),
    "all_stores": ("Alla dina butiker", "All your stores"),
    "stores": ("Butiker", "Stores"),
    "best": ("Bäst", "Best"),
    "worst": ("Sämst", "Worst"),
    "reasons": ("Vanligaste skälen till missnöje", "Top unhappy reasons"),
    "silent": ("Tysta terminaler", "Silent kiosks"),
    "open_alerts": ("Öppna larm", "Open alerts"),
    "none": ("inga", "none"),
    "chart_title": ("Nöjdhetsindex per dag", "Happy Index per day"),
    "chart_alt": ("Diagram: nöjdhetsindex per dag", "Chart: Happy Index per day"),
    "dashboard": ("Öppna instrumentpanelen", "Open the dashboard"),
    "unsubscribe": ("Avsluta prenumerationen på rapporten", "Unsubscribe from this report"),
    "no_data": ("inga svar", "no answers"),
    "last_seen": ("senast sedd {when}", "last seen {when}"),
    "never_seen": ("aldrig sedd", "never seen"),
    "unsubscribed_reports": ("Du får inte längre rapporter per e-post.", "You will no longer get e-mailed reports."),
    "unsubscribed_alerts": ("Du får inte längre larm per e-post.", "You will no longer get e-mailed alerts."),
    "unsubscribe_confirm": ("Bekräfta", "Confirm"),
}

TEXTS: dict[str, dict[str, str]] = {lang: {k: v[i] for k, v in _PAIRS.items()} for i, lang in enumerate(LANGUAGES)}


def texts(language: str) -> dict[str, str]:
    return TEXTS[language if language in TEXTS else "sv"]


def describe(detail_json: str, language: str) -> str:
    """One line for an alert's condition, e.g. "Happy Index 41.2 below 60 (2h, 57 answers)"."""
    d: dict[str, Any] = json.loads(detail_json)
    t = texts(language)
    value = d.get("value")
    fields = {"kiosk": "", "reason": "", "minutes": 0, **d, "value": value if value is not None else 0}
    line = t[d["kind"]].format(**fields)
    if d.get("window") and "answers" in d:
        line += " (" + t["window"].format(window=d["window"], answers=d["answers"]) + ")"
    return line
