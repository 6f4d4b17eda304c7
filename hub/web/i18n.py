"""The dashboard's words in Swedish and English; pages and their scripts read the same table."""

from __future__ import annotations

from hub.web.admin_strings import ADMIN_PAIRS
from hub.web.alert_i18n import ALERT_PAIRS

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

_PAIRS: dict[str, tuple[str, str]] = {  # key: (sv, en)
    "app_name": ("Kundnöjdhet", "Customer satisfaction"),
    "overview": ("Översikt", "Overview"),
    "compare": ("Jämför", "Compare"),
    "fleet": ("Terminaler", "Kiosks"),
    "logout": ("Logga ut", "Log out"),
    "signed_in_as": ("Inloggad som", "Signed in as"),
    "role_admin": ("administratör", "admin"),
    "role_manager": ("butikschef", "manager"),
    "login_title": ("Logga in", "Sign in"),
    "username": ("Användarnamn", "User name"),
    "password": ("Lösenord", "Password"),
    "sign_in": ("Logga in", "Sign in"),
    "login_failed": ("Fel användarnamn eller lösenord.", "Wrong user name or password."),
    "login_expired": ("Formuläret hade gått ut. Försök igen.", "The form had expired. Please try again."),
    "login_locked": (
        "För många misslyckade försök härifrån. Vänta {s} s och försök igen.",
        "Too many failed attempts from here. Please wait {s} s and try again.",
    ),
    "range": ("Period", "Range"),
    "today": ("Idag", "Today"),
    "yesterday": ("Igår", "Yesterday"),
    "last_7_days": ("Senaste 7 dagarna", "Last 7 days"),
    "last_30_days": ("Senaste 30 dagarna", "Last 30 days"),
    "this_month": ("Denna månad", "This month"),
    "last_month": ("Förra månaden", "Last month"),
    "custom": ("Eget intervall", "Custom"),
    "from": ("Från", "From"),
    "to": ("Till", "To"),
    "apply": ("Visa", "Apply"),
    "include_misuse": ("Räkna med missbruk", "Include misuse"),
    "include_closed": ("Räkna med svar när butiken var stängd", "Include answers outside opening hours"),
    "closed_excluded": (
        "{n} svar från när butiken var stängd är borttagna.",
        "{n} answers given outside opening hours left out.",
    ),
    "closed_excluded_one": (
        "1 svar från när butiken var stängd är borttaget.",
        "1 answer given outside opening hours left out.",
    ),
    "csv_semicolon": ("Excel med semikolon", "Excel, semicolon"),
    "all_locations": ("Alla dina butiker", "All your stores"),
    "happy_index": ("Nöjdhetsindex", "Happy Index"),
    "pct_positive": ("Andel nöjda", "% positive"),
    "responses": ("Svar", "Responses"),
    "change": ("Förändring", "Change"),
    "vs_previous": ("mot föregående period", "vs previous period"),
    "previous_period": ("Föregående period", "Previous period"),
    "location": ("Butik", "Store"),
    "stores": ("Butiker", "Stores"),
    "region": ("Region", "Region"),
    "all_regions": ("Alla regioner", "All regions"),
    "few_answers": ("Få svar", "Few answers"),
    "few_answers_hint": ("Färre än {n} svar: läs med försiktighet", "Fewer than {n} answers: read with care"),
    "no_data": ("Inga svar i perioden.", "No answers in this range."),
    "download": ("Ladda ner", "Download"),
    "csv_ratings": ("Alla svar (CSV)", "Raw ratings (CSV)"),
    "csv_daily": ("Per dag (CSV)", "Daily (CSV)"),
    "live": ("Uppdateras automatiskt", "Live updates"),
    "updated": ("Uppdaterad", "Updated"),
    "trend": ("Utveckling", "Trend"),
    "by_day": ("Per dag", "By day"),
    "by_week": ("Per vecka", "By week"),
    "distribution": ("Fördelning per ansikte", "Answers per face"),
    "heatmap": ("När på veckan", "When in the week"),
    "heatmap_hint": (
        "Nöjdhetsindex och antal svar per timme och veckodag, lokal tid ({tz}).",
        "Happy Index and number of answers per hour and weekday, local time ({tz}).",
    ),
    "hour": ("Timme", "Hour"),
    "kiosks": ("Terminaler", "Kiosks"),
    "kiosk": ("Terminal", "Kiosk"),
    "online": ("Online", "Online"),
    "offline": ("Offline", "Offline"),
    "never": ("Aldrig sedd", "Never seen"),
    "disabled": ("Avstängd", "Disabled"),
    "moved_away": ("flyttad härifrån", "moved away"),
    "last_seen": ("Senast sedd", "Last seen"),
    "reasons": ("Varför missnöjda?", "Why unhappy?"),
    "reasons_hint": (
        "Följdfrågans svar vid missnöjda svar: {given} av {unhappy} gav ett skäl.",
        "Follow-up answers given with unhappy answers: {given} of {unhappy} gave a reason.",
    ),
    "no_reasons": ("Inga skäl angivna i perioden.", "No reasons given in this range."),
    "reason": ("Skäl", "Reason"),
    "share": ("Andel", "Share"),
    "settings": ("Inställningar", "Settings"),
    "response_interval": ("Svarsintervall (sekunder)", "Response interval (seconds)"),
    "response_interval_hint": (
        "Tryck tätare än så på samma terminal räknas som missbruk. Poängen räknas om från alla sparade tryck.",
        "Taps closer than this on the same kiosk count as misuse. Scores are recomputed from every stored tap.",
    ),
    "save_and_recompute": ("Spara och räkna om", "Save and recompute"),
    "recomputed": (
        "Omräknat: {misuse} av {ratings} tryck räknas nu som missbruk.",
        "Recomputed: {misuse} of {ratings} taps now count as misuse.",
    ),
    "misuse_excluded": ("{n} tryck räknade som missbruk är borttagna.", "{n} taps counted as misuse left out."),
    "misuse_excluded_one": ("1 tryck räknat som missbruk är borttaget.", "1 tap counted as misuse left out."),
    "timezone": ("Tidszon", "Time zone"),
    "ranking": ("Rangordning", "Ranking"),
    "rank": ("Plats", "Rank"),
    "ci95": ("95 % konfidensintervall", "95 % confidence interval"),
    "not_significant": ("Ej signifikant", "Not significant"),
    "not_significant_hint": (
        "≈ inte signifikant: butikens intervall överlappar nästa plats, skillnaden kan vara slump.",
        "≈ not significant: the store's interval overlaps the next rank's; the difference may be chance.",
    ),
    "unranked": ("För få svar för att rangordnas", "Too few answers to rank"),
    "state": ("Status", "State"),
    "backlog": ("Kö", "Backlog"),
    "version": ("Version", "Version"),
    "clock_skew": ("Klockfel", "Clock skew"),
    "kiosks_online": ("{n} online", "{n} online"),
    "flagged": ("Flaggade", "Flagged"),
    "flagged_badge": ("för många tryck", "too many taps"),
    "flagged_title": (
        "{n} tryck över gränsen per minut: fler än en människa hinner. De räknas inte.",
        "{n} taps over the per-minute limit: more than a person can tap. They are not counted.",
    ),
    "kiosks_offline": ("{n} offline", "{n} offline"),
    "not_found": (
        "Sidan finns inte, eller så har du inte behörighet till den.",
        "This page does not exist, or you may not see it.",
    ),
    "back": ("Tillbaka till översikten", "Back to the overview"),
    "error": ("Något gick fel", "Something went wrong"),
    "face_2_0": ("Missnöjd", "Unhappy"),
    "face_2_1": ("Nöjd", "Happy"),
    "face_3_0": ("Missnöjd", "Unhappy"),
    "face_3_1": ("Neutral", "Neutral"),
    "face_3_2": ("Nöjd", "Happy"),
    "face_4_0": ("Mycket missnöjd", "Very unhappy"),
    "face_4_1": ("Missnöjd", "Unhappy"),
    "face_4_2": ("Nöjd", "Happy"),
    "face_4_3": ("Mycket nöjd", "Very happy"),
    "face_5_0": ("Mycket missnöjd", "Very unhappy"),
    "face_5_1": ("Missnöjd", "Unhappy"),
    "face_5_2": ("Neutral", "Neutral"),
    "face_5_3": ("Nöjd", "Happy"),
    "face_5_4": ("Mycket nöjd", "Very happy"),
    "wd_1": ("mån", "Mon"),
    "wd_2": ("tis", "Tue"),
    "wd_3": ("ons", "Wed"),
    "wd_4": ("tor", "Thu"),
    "wd_5": ("fre", "Fri"),
    "wd_6": ("lör", "Sat"),
    "wd_7": ("sön", "Sun"),
    "switch_language": ("In English", "På svenska"),
    # the HappyOrNot import page (issue 13)
    "import_title": ("Importera från HappyOrNot", "Import from HappyOrNot"),
    "import_hint": (
        "Exporter av knapp- och uppföljningssvar, mätpunkter och enkäter (JSON eller CSV, valfri avgränsare)."
        " Samma fil två gånger ändrar ingenting. Stora historiker importeras snabbare med kommandoraden.",
        "Exports of button and follow-up feedbacks, experience points and surveys (JSON or CSV, any separator)."
        " The same file twice changes nothing. Large histories import faster from the command line.",
    ),
    "import_files": ("Exportfiler", "Export files"),
    "import_mapping": ("Mappningsfil (valfri)", "Mapping file (optional)"),
    "import_timezone": ("Tidszon för nya butiker", "Time zone of new stores"),
    "import_submit": ("Importera", "Import"),
    "import_result": ("Resultat", "Result"),
    "import_failed": ("Importen avbröts", "The import stopped"),
    # the kiosks' built-in follow-up reasons (kiosk/locales); other codes are shown as configured
    "reason_queue": ("Kö", "Queue"),
    "reason_staff": ("Personal", "Staff"),
    "reason_cleanliness": ("Renlighet", "Cleanliness"),
    "reason_selection": ("Sortiment", "Selection"),
    "reason_price": ("Pris", "Price"),
    "reason_service": ("Service", "Service"),
    "reason_waiting": ("Väntetid", "Waiting time"),
}

_PAIRS.update(ADMIN_PAIRS)
STRINGS: dict[str, dict[str, str]] = {
    lang: {key: pair[i] for key, pair in {**_PAIRS, **ALERT_PAIRS}.items()} for i, lang in enumerate(LANGUAGES)
}


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The ``lang`` cookie if valid, else the first supported language the browser asks for, else Swedish."""
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
