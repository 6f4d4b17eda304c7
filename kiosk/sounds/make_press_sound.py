"""Writes ``press.wav``, the optional press sound (``[ui] press_sound``): a 45 ms soft click, made here from
a formula with the standard library only, so it carries no one else's licence.

    .venv/bin/python kiosk/sounds/make_press_sound.py   # rewrites kiosk/sounds/press.wav

A 1.6 kHz tone with a 2 ms rise and an exponential fall (τ 8 ms), 16-bit mono at 22.05 kHz: about 2 KB.
The output is the same on every run (a test compares it with the bundled file).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

RATE_HZ = 22_050
LENGTH_S = 0.045
TONE_HZ = 1_600.0
RISE_S = 0.002
FALL_TAU_S = 0.008
PEAK = 0.45  # of full scale: a click, not a beep
PATH = Path(__file__).resolve().parent / "press.wav"


def press_sound_wav() -> bytes:
    """The WAV file's bytes."""
    samples = []
    for i in range(round(RATE_HZ * LENGTH_S)):
        t = i / RATE_HZ
        envelope = min(1.0, t / RISE_S) * math.exp(-t / FALL_TAU_S)
        samples.append(round(32767 * PEAK * envelope * math.sin(2 * math.pi * TONE_HZ * t)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


if __name__ == "__main__":
    PATH.write_bytes(press_sound_wav())
    print(f"wrote {PATH} ({PATH.stat().st_size} bytes)")
