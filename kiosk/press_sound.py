"""The optional press sound (``[ui] press_sound``, off by default): a bundled click played through Kivy's audio
(SDL2_mixer, inside Kivy's wheels) when a face is touched.

Loaded once, when the setting is first on (at start, or when the hub pushes it), never per tap. Playing only
queues the sound on a mixer channel, so it cannot delay the thank-you. A kiosk without an audio device (many
Pis, a test machine) still takes every tap: the sound is then "unavailable", logged once, and never tried again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PRESS_WAV = Path(__file__).resolve().parent / "sounds" / "press.wav"


class PressSound:
    """Plays ``path`` on :meth:`play`; ``played`` counts the plays that reached the mixer (shown to staff)."""

    def __init__(self, path: Path = PRESS_WAV) -> None:
        self.path = path
        self.sound: Any = None  # a kivy.core.audio.Sound once loaded
        self.problem: str | None = None  # why the sound is unavailable (no audio device, say); logged once
        self.played = 0

    @property
    def is_loaded(self) -> bool:
        return self.sound is not None

    def load(self) -> None:
        """Load the file through Kivy's audio provider, once; a failure only makes the sound unavailable."""
        if self.sound is not None or self.problem is not None:
            return
        try:
            from kivy.core.audio import SoundLoader

            sound = SoundLoader.load(str(self.path))
        except Exception as exc:  # an audio library that fails to load must not stop the kiosk
            self._give_up(f"{type(exc).__name__}: {exc}")
            return
        if sound is None:
            self._give_up("no Kivy audio provider can play it")
        elif not sound.length:  # SDL2's provider returns an empty sound when the mixer did not open
            self._give_up("no audio device (the mixer did not open)")
        else:
            self.sound = sound
            log.info("press sound loaded: %s (%.0f ms)", self.path.name, sound.length * 1000)

    def play(self) -> None:
        """Start the sound from its beginning; returns at once (the mixer plays it on its own thread)."""
        if self.sound is None:
            return
        try:
            if self.sound.state == "play":
                self.sound.stop()  # a quick second shopper: click again, from the start
            self.sound.play()
        except Exception as exc:
            self._give_up(f"{type(exc).__name__}: {exc}")
            self.sound = None
            return
        self.played += 1

    def _give_up(self, why: str) -> None:
        self.problem = why
        log.warning("press sound unavailable, taps go on silently: %s", why)
