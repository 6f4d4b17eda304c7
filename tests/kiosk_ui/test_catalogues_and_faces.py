"""Plain-data parts of the kiosk UI: the gettext catalogues, the faces' looks, the tap gate."""

from __future__ import annotations

import gettext
import itertools
import re
import subprocess
from pathlib import Path

import pytest

from kiosk.config import UiConfig
from kiosk.faces import PALETTES, face_look
from kiosk.i18n import LOCALES, Texts, available_languages
from kiosk.taps import TapGate
from tests.harness import require_binary


def msgids(po: Path) -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) pairs of a .po/.pot file (single-line entries, as ours are)."""
    out, ctx = set(), None
    for line in po.read_text(encoding="utf-8").splitlines():
        if m := re.match(r'msgctxt "(.*)"$', line):
            ctx = m.group(1)
        elif (m := re.match(r'msgid "(.*)"$', line)) and m.group(1):
            out.add((ctx, m.group(1)))
            ctx = None
    return out


@pytest.mark.parametrize("language", ["sv", "en", "fi", "nb", "da", "de"])
def test_compiled_catalogue_matches_its_po_file(language: str, tmp_path: Path) -> None:
    """The committed .mo is what msgfmt makes of the .po today (run msgfmt after editing a .po)."""
    po = LOCALES / language / "LC_MESSAGES" / "kiosk.po"
    fresh = tmp_path / "kiosk.mo"
    subprocess.run([require_binary("msgfmt"), "--check", "-o", str(fresh), str(po)], check=True)
    with open(LOCALES / language / "LC_MESSAGES" / "kiosk.mo", "rb") as committed, open(fresh, "rb") as new:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(new)._catalog  # type: ignore[attr-defined]


def test_every_catalogue_translates_every_template_message() -> None:
    """Each language's .po has exactly the template's messages, and Swedish translates all of them."""
    template = msgids(LOCALES / "kiosk.pot")
    assert set(available_languages()) >= {"sv", "en", "fi", "nb", "da", "de"}
    for lang in available_languages():
        assert msgids(LOCALES / lang / "LC_MESSAGES" / "kiosk.po") == template, lang
    sv, ui = Texts("sv", UiConfig()), UiConfig()
    assert all(v for v in sv.all().values())
    assert sv.all()["question"] != Texts("en", ui).all()["question"]
    assert sv.reason("queue") == "Kö" and Texts("en", ui).reason("queue") == "Queue"
    assert sv.reason("parking") == "Parking"  # a reason the catalogue lacks shows as configured


@pytest.mark.parametrize("language", ["fi", "nb", "da", "de"])
def test_new_catalogues_translate_everything_and_say_they_need_native_review(language: str) -> None:
    """fi, nb, da and de translate every message (none left English) and their header asks for native review."""
    po = LOCALES / language / "LC_MESSAGES" / "kiosk.po"
    assert "NEEDS NATIVE REVIEW" in po.read_text(encoding="utf-8").split('msgid ""')[0]
    texts, english = Texts(language, UiConfig()).all(), Texts("en", UiConfig()).all()
    assert all(texts.values())
    assert texts["question"] != english["question"] and texts["hint"] != english["hint"]
    assert Texts(language, UiConfig()).reason("other") != "Other"


def test_config_texts_win_over_the_catalogue() -> None:
    """A configured question or thank-you replaces the built-in one for that language only."""
    ui = UiConfig(questions={"en": "How was the checkout?"}, thank_you={"sv": "Tack så mycket!"})
    assert Texts("en", ui).question() == "How was the checkout?"
    assert Texts("sv", ui).question() == "Hur var ditt besök idag?"
    assert Texts("sv", ui).thank_you() == "Tack så mycket!"


@pytest.mark.parametrize("scale", [2, 3, 4, 5])
def test_faces_differ_by_shape_alone(scale: int) -> None:
    """Mouths bend strictly from frown to smile; only the extremes get brows / an open mouth."""
    looks = [face_look(f, scale) for f in range(scale)]
    bends = [look.mouth_bend for look in looks]
    assert bends == sorted(bends) and len(set(bends)) == scale
    assert looks[0].brow_slant > 0 and not any(look.brow_slant for look in looks[1:])
    assert looks[-1].is_open_smile and not any(look.is_open_smile for look in looks[:-1])


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


# Viénot, Brettel & Mollon (1999): dichromat simulation in linear RGB.
PROTAN = ((0.11238, 0.88762, 0.0), (0.11238, 0.88762, 0.0), (0.00401, -0.00401, 1.0))
DEUTAN = ((0.29275, 0.70725, 0.0), (0.29275, 0.70725, 0.0), (-0.02234, 0.02234, 1.0))


@pytest.mark.parametrize("scale", [2, 3, 4, 5])
@pytest.mark.parametrize("matrix", [PROTAN, DEUTAN], ids=["protan", "deutan"])
def test_face_colours_stay_apart_for_red_green_colour_blindness(scale: int, matrix: tuple) -> None:  # type: ignore[type-arg]
    """Simulated for protanopia and deuteranopia, every two faces' colours still differ clearly."""

    def seen(rgb: tuple[float, float, float]) -> tuple[float, ...]:
        lin = [_linear(c) for c in rgb]
        return tuple(sum(m * c for m, c in zip(row, lin, strict=True)) for row in matrix)

    for a, b in itertools.combinations(PALETTES[scale], 2):
        sa, sb = seen(a), seen(b)
        assert max(abs(x - y) for x, y in zip(sa, sb, strict=True)) > 0.08, (a, b)


def test_tap_gate_drops_duplicates_and_flags_quick_repeats() -> None:
    """Touches within 150 ms are noise; taps within the response interval are misuse; later ones are not."""
    gate = TapGate(response_interval_s=5.0, last_tap_ms=None)
    assert not gate.is_noise(10.0) and gate.is_noise(10.1) and not gate.is_noise(10.2)
    assert gate.seconds_until_quiet(10.25) == pytest.approx(0.1)
    assert [gate.tap(ms) for ms in (1_000, 3_000, 9_000, 13_999, 19_000)] == [False, True, False, True, False]
    assert TapGate(response_interval_s=5.0, last_tap_ms=1_000).tap(2_000)  # across a restart, from the outbox
