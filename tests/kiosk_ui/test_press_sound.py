"""The optional press sound: a short bundled click, played through Kivy's audio (SDL2_mixer; the tests use SDL's
silent ``dummy`` audio device) on a face's touch-down when ``press_sound`` is on, also when the hub pushes it;
nothing when off; and a kiosk without any audio device still takes every tap."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

from kiosk.press_sound import PRESS_WAV
from kiosk.sounds.make_press_sound import press_sound_wav
from tests.harness import ROOT, hub_cmd
from tests.kiosk_ui.conftest import KIOSK_ID, SHOTS
from tests.kiosk_ui.display import Xvfb
from tests.kiosk_ui.test_cli import kivy_env
from tests.kiosk_ui.test_staff_and_layout import enter_pin, hold_corner


def test_bundled_press_sound_is_the_scripts_short_click() -> None:
    """kiosk/sounds/press.wav is exactly what its script makes: under 100 ms and a few kilobytes."""
    data = PRESS_WAV.read_bytes()
    assert data == press_sound_wav(), "run kiosk/sounds/make_press_sound.py again"
    with wave.open(io.BytesIO(data)) as w:
        length_s = w.getnframes() / w.getframerate()
    assert 0.02 <= length_s < 0.1 and len(data) < 8_000


def test_staff_panel_says_whether_the_press_sound_is_off_playing_or_silent() -> None:
    """The staff panel's press-sound line: off, on with the clicks played, or on but silent with the reason."""
    from datetime import datetime

    from kiosk.config import UiConfig
    from kiosk.i18n import Texts
    from kiosk.staff import staff_text
    from kiosk.uplink import UplinkState

    def line(**sound: Any) -> str:
        now = datetime.now().astimezone()
        facts: dict[str, Any] = {
            "kiosk_id": "k",
            "location_id": "l",
            "pending": 0,
            "is_ntp_synced": None,
            "version": "0",
        }
        text = staff_text(Texts("sv", UiConfig()), state=UplinkState(), now=now, last_error=None, **facts, **sound)
        return text.splitlines()[-1]

    assert line() == "[b]Knappljud:[/b] av"
    assert line(press_sound=True, sounds_played=7) == "[b]Knappljud:[/b] på, spelat 7 gånger"
    silent = line(press_sound=True, sound_problem="no audio device [mixer]")
    assert silent == "[b]Knappljud:[/b] på, men tyst: no audio device &bl;mixer&br;"


def tap_and_note_frames(k: Any, face: int) -> list[str]:
    """Touch a face; the screen each of the next frames drew, the first one being the frame after touch-down."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    drawn: list[str] = []

    def note(*_: Any) -> None:
        drawn.append(k.app.sm.current if len(k.app.sm.children) == 1 else "two screens")

    centre = k.settled_centre(k.face(face))
    k.quiet()
    Window.bind(on_flip=note)
    touch = UnitTestTouch(*centre)
    touch.touch_down()
    k.frames(2)
    touch.touch_up()
    Window.unbind(on_flip=note)
    return drawn


def test_a_tap_plays_the_press_sound_when_the_hub_turns_it_on(kiosk_ui: Any) -> None:
    """After `hub config set --kiosk … press_sound=true` reaches the running kiosk, a face's touch-down plays the
    click to its end on the audio device, and the frame after touch-down is still the thank-you."""
    k = kiosk_ui
    data = str(k.hub.data_dir)
    sound = k.app.press_sound
    k.until(lambda: k.app.is_online, timeout=30, message="uplink online")
    hub_cmd("config", "set", "--kiosk", KIOSK_ID, "--set", "press_sound=true", "--set", "followup_faces=[]",
            "--data-dir", data)  # fmt: skip
    try:
        k.until(lambda: k.app.ui.press_sound, timeout=30, message="press_sound pushed by the hub")
        k.until(lambda: sound.is_loaded, message="the click loaded once the setting arrived")
        assert sound.problem is None
        loaded, played = sound.sound, sound.played
        start = k.last_seq()
        drawn = tap_and_note_frames(k, 3)
        assert drawn[0] == "thanks", drawn  # the click never holds back the thank-you
        assert sound.played == played + 1
        k.until(lambda: sound.sound.state == "stop", timeout=5, message="the click played to its end")
        assert k.wait_rows(start, 1)[0]["face"] == 3
        k.wait_screen("home")
        k.touch(k.face(1))
        assert sound.played == played + 2 and sound.sound is loaded  # loaded once, not per tap
        k.wait_screen("home")
        hold_corner(k)
        enter_pin(k, "2468")
        k.wait_screen("staff")
        k.until(
            lambda: f"Knappljud:[/b] på, spelat {played + 2} gånger" in k.app.staff_text,
            message="the staff panel counts the clicks",
        )
        k.screenshot(SHOTS / "staff-panel-press-sound.png")
        k.touch(k.app.sm.get_screen("staff").ids.close)
    finally:
        hub_cmd("config", "set", "--kiosk", KIOSK_ID, "--replace", "--data-dir", data)
    k.until(lambda: not k.app.ui.press_sound, timeout=30, message="press_sound off again")


def test_no_sound_when_press_sound_is_off(kiosk_ui: Any, set_ui: Any) -> None:
    """With press_sound off (the default) a tap plays nothing, also once the click has been loaded."""
    k = kiosk_ui
    set_ui(press_sound=True, followup_faces=())
    k.until(lambda: k.app.press_sound.is_loaded, message="click loaded")
    set_ui(press_sound=False, followup_faces=())
    k.until(lambda: k.app.press_sound.sound.state == "stop", timeout=5, message="nothing playing")
    played = k.app.press_sound.played
    start = k.last_seq()
    drawn = tap_and_note_frames(k, 2)
    assert drawn[0] == "thanks", drawn
    assert k.app.press_sound.played == played and k.app.press_sound.sound.state == "stop"
    assert k.wait_rows(start, 1)[0]["face"] == 2


def test_without_an_audio_device_taps_count_and_the_sound_is_given_up_once(xvfb: Xvfb, tmp_path: Path) -> None:
    """A kiosk process whose audio device cannot open (SDL_AUDIODRIVER names none there is) starts with
    press_sound on, shows the thank-you and records every tap, and logs the missing sound once."""
    env = {**kivy_env(tmp_path), "SDL_AUDIODRIVER": "no-such-audio-device", "KCFG_KIVY_LOG_LEVEL": "warning"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.kiosk_ui.no_audio_kiosk", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["screens_after_tap"] == ["thanks", "thanks"], out
    assert out["faces"] == [3, 1] and out["played"] == 0 and "no audio device" in out["problem"], out
    assert proc.stderr.count("press sound unavailable") == 1, proc.stderr[-3000:]
