"""The kiosk settings' rules in the domain package (feedback/kiosk_settings.py), shared by kiosk and hub."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest

from feedback.kiosk_settings import RESPONSE_INTERVAL_MAX_S, WEEKDAYS, SettingsError, UiSettings, parse_ui
from tests.harness import ROOT


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"faces": 6}, "ui.faces"),
        ({"faces": True}, "ui.faces"),
        ({"languages": ["sv"], "language": "en"}, "ui.language"),
        ({"followup_faces": [4]}, "ui.followup_faces"),
        ({"reasons": [""]}, "ui.reasons"),
        ({"staff_pin": "12a4"}, "ui.staff_pin"),
        ({"response_interval_s": RESPONSE_INTERVAL_MAX_S + 1}, "ui.response_interval_s"),
        ({"thank_you_s": 0.1}, "ui.thank_you_s"),
        ({"questions": {"sv": 3}}, "ui.questions"),
        ({"opening_hours": {"mon": "21:00-08:00"}}, "ui.opening_hours.mon"),
        ({"opening_hours": {"monday": "closed"}}, "ui.opening_hours.monday"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_key(table: dict[str, Any], key: str) -> None:
    """parse_ui raises SettingsError (a ValueError) whose message starts with the dotted key."""
    with pytest.raises(SettingsError) as info:
        parse_ui(table)
    assert str(info.value).startswith(key), info.value
    assert isinstance(info.value, ValueError)


def test_defaults_bounds_and_prefix() -> None:
    """An empty table gives the defaults; the upper bound is accepted; a prefix names pushed keys."""
    assert parse_ui({}) == UiSettings()
    assert parse_ui({"response_interval_s": 3600}).response_interval_s == 3600.0
    assert parse_ui({"opening_hours": dict.fromkeys(WEEKDAYS, "closed")}).opening_hours["sun"] == "closed"
    with pytest.raises(SettingsError, match=r"^config\.ui\.faces"):
        parse_ui({"faces": 1}, prefix="config.ui")


def imported_modules(package: str) -> set[str]:
    names: set[str] = set()
    for path in Path(ROOT, package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


def test_the_domain_imports_only_the_stdlib_and_the_hub_never_imports_the_kiosk() -> None:
    """feedback/ imports nothing outside the stdlib and itself; no hub module imports kiosk."""
    outside = {n for n in imported_modules("feedback") if n.split(".")[0] not in sys.stdlib_module_names | {"feedback"}}
    assert outside == set()
    assert {n for n in imported_modules("hub") if n.split(".")[0] == "kiosk"} == set()
