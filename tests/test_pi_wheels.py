"""A Raspberry Pi installs the kiosk without compiling: every kiosk dependency has a cp311 aarch64 wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.harness import ROOT


def kiosk_requirements() -> list[str]:
    """What `pip install .[kiosk]` pulls in beyond the stdlib: the base dependencies and the kiosk extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["kiosk"]]


def test_every_kiosk_dependency_downloads_as_an_aarch64_wheel(tmp_path: Path) -> None:
    """`pip download --only-binary=:all: --platform manylinux2014_aarch64 --python-version 3.11` of the kiosk's
    dependencies succeeds against PyPI, so nothing is compiled on a Pi (Raspberry Pi OS Bookworm: Python 3.11)."""
    requirements = kiosk_requirements()
    assert any(r.startswith("kivy") for r in requirements)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_aarch64",
            "--python-version",
            "3.11",
            "--dest",
            str(tmp_path),
            *requirements,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = sorted(p.name for p in tmp_path.iterdir())
    assert all(name.endswith(".whl") for name in wheels), wheels
    kivy = [name for name in wheels if name.lower().startswith("kivy-")]
    assert kivy and "aarch64" in kivy[0] and "cp311" in kivy[0], wheels
