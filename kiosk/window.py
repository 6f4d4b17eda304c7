"""The Kivy window: settings that must be made before it exists."""

from __future__ import annotations


def configure_kivy(*, fullscreen: bool, size: tuple[int, int] = (800, 480)) -> None:
    """Window settings; must run before the window exists (``App.run``)."""
    from kivy.config import Config

    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")  # no red multitouch dots on right-click
