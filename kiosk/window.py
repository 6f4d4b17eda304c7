"""The Kivy window: how big and where, decided before it exists, and full screen on and off.

Kiosks are often started by xinit with no window manager. There SDL's full screen (``fullscreen = auto``)
asks a window manager that is not there: the window stayed 800×480 in the middle of a 1920×1080 screen
while Kivy laid out for the whole screen (issue 12). So under X the kiosk reads the screen's size itself
and opens a borderless window of exactly that size at (0, 0), which fills the screen with or without a
window manager. Without X (SDL on KMS/DRM on a Pi) the one window is the display: ``auto`` is right there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from typing import Any

WINDOWED_SIZE = (800, 480)


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """Kivy ``[graphics]`` settings for the first window."""

    fullscreen: str  # "0" or "auto"
    borderless: bool
    size: tuple[int, int]
    position: tuple[int, int] | None  # left, top; None: let SDL place it


def plan_window(
    *, fullscreen: bool, screen: tuple[int, int] | None, windowed_size: tuple[int, int] = WINDOWED_SIZE
) -> WindowPlan:
    """Full screen on an X screen of size ``screen``: a borderless window covering it; without X: SDL's own."""
    if not fullscreen:
        return WindowPlan("0", False, windowed_size, None)
    if screen is None:
        return WindowPlan("auto", False, windowed_size, None)
    return WindowPlan("0", True, screen, (0, 0))


def windowed_geometry(screen: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Size and (left, top) of the window that leaves full screen: 800×480 or smaller, centred on the screen."""
    w = min(WINDOWED_SIZE[0], max(200, screen[0] * 2 // 3))
    h = min(WINDOWED_SIZE[1], max(150, screen[1] * 2 // 3))
    return (w, h), (max(0, (screen[0] - w) // 2), max(0, (screen[1] - h) // 2))


def x_screen_size(display: str | None) -> tuple[int, int] | None:
    """The size in pixels of the default screen of X ``display`` (``$DISPLAY``); None without X."""
    if not display:
        return None
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        xlib: Any = ctypes.CDLL(name)
    except OSError:
        return None
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    for fn in (xlib.XDefaultScreen, xlib.XCloseDisplay):
        fn.argtypes = [ctypes.c_void_p]
    xlib.XDisplayWidth.argtypes = xlib.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    handle = xlib.XOpenDisplay(display.encode())
    if not handle:
        return None
    try:
        screen = xlib.XDefaultScreen(handle)
        return int(xlib.XDisplayWidth(handle, screen)), int(xlib.XDisplayHeight(handle, screen))
    finally:
        xlib.XCloseDisplay(handle)


def configure_kivy(
    *, fullscreen: bool, size: tuple[int, int] = WINDOWED_SIZE, display: str | None = None
) -> WindowPlan:
    """Window settings; must run before the window exists (``App.run``). ``display``: ``$DISPLAY``."""
    from kivy.config import Config

    plan = plan_window(fullscreen=fullscreen, screen=x_screen_size(display) if fullscreen else None, windowed_size=size)
    Config.set("graphics", "fullscreen", plan.fullscreen)
    Config.set("graphics", "borderless", "1" if plan.borderless else "0")
    Config.set("graphics", "width", str(plan.size[0]))
    Config.set("graphics", "height", str(plan.size[1]))
    if plan.position is not None:
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", str(plan.position[0]))
        Config.set("graphics", "top", str(plan.position[1]))
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")  # no red multitouch dots on right-click
    return plan


def set_fullscreen(window: Any, *, on: bool, screen: tuple[int, int] | None) -> None:
    """Enter or leave full screen at run time (the staff panel's button). Under X the window stays on the
    screen either way: SDL's own windowed mode on a bare X server put it off-screen (issue 12)."""
    if screen is None:
        window.fullscreen = "auto" if on else False
        return
    window.fullscreen = False
    if on:
        window.borderless = True
        window.size = screen
        window.left, window.top = 0, 0
    else:
        size, (left, top) = windowed_geometry(screen)
        window.borderless = False
        window.size = size
        window.left, window.top = left, top
