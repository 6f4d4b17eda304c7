"""What the glass shows around a tap: one screen at a time, the pressed face at once, only the drawn circle
counts; and full screen on and off keeps the window on the screen. Judged from the X screen's pixels."""

from __future__ import annotations

from typing import Any

from kiosk.faces import PALETTES
from tests.kiosk_ui.conftest import SHOTS
from tests.kiosk_ui.pixels import drawn_share, rgb255


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 14) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_no_frame_shows_two_screens_and_the_pressed_face_shows_at_once(kiosk_ui: Any, set_ui: Any) -> None:
    """Every frame from before a tap until the thank-you has settled shows either the faces or the thank-you,
    never both (each screen paints an opaque background); the frame drawn right after touch-down is the
    thank-you with the pressed face, larger."""
    from kivy.core.window import Window
    from kivy.graphics import Rectangle
    from kivy.tests.common import UnitTestTouch

    from kiosk.screens import OpaqueScreen

    k = kiosk_ui
    for screen in k.app.sm.screens:  # the mechanism: every screen covers itself with the background colour
        assert isinstance(screen, OpaqueScreen), screen.name
        rects = [i for i in screen.canvas.before.children if isinstance(i, Rectangle)]
        assert rects and tuple(rects[0].size) == tuple(screen.size), screen.name
    set_ui(followup_faces=(), thank_you_s=30.0)
    palette = [rgb255(c) for c in PALETTES[4]]
    faces = k.home().face_buttons()
    centres = [k.settled_centre(f) for f in faces]
    thanks_face = k.app.sm.get_screen("thanks").ids.face
    k.quiet()
    drawn: list[str] = []  # the screen each frame drew, as Kivy saw it at the flip

    def note(*_: Any) -> None:
        drawn.append(k.app.sm.current if len(k.app.sm.children) == 1 else "two screens")

    Window.bind(on_flip=note)
    frames = k.record_pixels(centres)  # what the X screen shows after each flip
    k.frames(2)
    touch = UnitTestTouch(*centres[3])
    touch.touch_down()
    flips_at_touch = len(frames)
    k.frames(6)
    touch.touch_up()
    k.stop_recording()
    Window.unbind(on_flip=note)
    assert drawn[flips_at_touch] == "thanks" and "two screens" not in drawn, drawn  # the next frame
    assert thanks_face.radius > faces[3].radius

    def shows_home(frame: list[tuple[int, int, int]]) -> bool:
        return sum(near(px, want) for px, want in zip(frame, palette, strict=True)) >= 3

    kinds = ["home" if shows_home(f) else "other" for f in frames]
    assert kinds[:flips_at_touch].count("home") == flips_at_touch >= 2, kinds  # the faces before the touch
    # the X screen may show a frame one flip late (Kivy's X connection is flushed at the next swap)
    assert all(kind == "other" for kind in kinds[flips_at_touch + 1 :]), kinds  # then never the faces again
    centre = thanks_face.to_window(*thanks_face.center)
    after = k.record_pixels([(int(centre[0]), int(centre[1]))])
    k.frames(2)
    k.stop_recording()
    assert near(after[-1][0], palette[3]), after  # the pressed (happiest, blue) face, drawn large
    k.screenshot(SHOTS / "thanks-face-3-sv.png")
    k.app.go_home()


def test_a_touch_outside_the_drawn_circle_does_not_count(kiosk_ui: Any, set_ui: Any) -> None:
    """A touch in the corner of a face's square, outside its circle, records nothing and stays home."""
    k = kiosk_ui
    set_ui(followup_faces=())
    face = k.face(1)
    k.settled_centre(face)
    start = k.last_seq()
    corner = face.to_window(face.center_x + face.radius * 0.8, face.center_y + face.radius * 0.8)
    k.touch_at(*corner)
    k.frames(3)
    assert k.screen == "home" and k.last_seq() == start
    k.touch(face)  # the middle of the same face does count
    assert k.screen == "thanks"
    assert k.wait_rows(start, 1)[0]["face"] == 1


def test_full_screen_on_and_off_keeps_the_window_on_a_bare_x_screen(kiosk_ui: Any) -> None:
    """The staff panel's full-screen button covers the whole X screen, and leaving it puts a window
    in the middle of the screen, never off it (no window manager here)."""
    from kivy.core.window import Window

    from tests.kiosk_ui.display import SCREEN

    k = kiosk_ui
    sw, sh = (int(v) for v in SCREEN.split("x")[:2])
    k.app.x_screen = (sw, sh)
    try:
        k.app.toggle_fullscreen()
        k.until(lambda: tuple(Window.size) == (sw, sh), message="full screen")
        k.frames(3)
        assert k.app.is_fullscreen and (Window.left, Window.top) == (0, 0)
        assert drawn_share(k.xvfb.grab()) > 0.999
        k.app.toggle_fullscreen()
        k.until(lambda: tuple(Window.size) == (800, 480), message="windowed")
        k.frames(3)
        assert not k.app.is_fullscreen
        assert 0 <= Window.left <= sw - 800 and 0 <= Window.top <= sh - 480
        shot = k.xvfb.grab()
        box = shot.point(lambda v: 255 if v else 0).convert("L").point(lambda v: 255 if v else 0).getbbox()
        assert box == (Window.left, Window.top, Window.left + 800, Window.top + 480), box
        shot.save(SHOTS / "left-fullscreen-on-bare-x.png")
    finally:
        k.app.x_screen = None
        Window.borderless = False
