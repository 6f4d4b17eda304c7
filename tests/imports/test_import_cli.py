"""``python -m hub import happyornot`` as users run it: progress, summary, one error line, resume after a kill."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from tests.harness import ROOT, child_env, oracle_count, rolled_up, stored, wait_until
from tests.imports.conftest import DATA

HEADER = "feedbackId;smileyId;localTime;surveyId;experiencePointId;buttonIndex;misuse;position;ui;smileyType"


def hub(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=300,
    )


def write_history(path: Path, rows: int, *, seed: int = 13) -> None:
    """A semicolon-separated export of ``rows`` button feedbacks, two smileys at one experience point."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, 8, 0)
    with path.open("w") as f:
        f.write(HEADER + "\n")
        for i in range(rows):
            t = start + timedelta(seconds=37 * i)
            f.write(
                f"{uuid.UUID(int=rng.getrandbits(128), version=4)};{9001 + i % 2};{t.isoformat()};501;1001;"
                f"{rng.randrange(4)};{'true' if i % 50 == 0 else 'false'};0;physical;SMILEY_TERMINAL\n"
            )


def test_the_command_prints_progress_and_a_summary(tmp_path: Path) -> None:
    """The command imports every fixture, shows progress on stderr and a summary with refused reasons on stdout;
    the same command again changes nothing."""
    files = [str(DATA / n) for n in ("buttons.json", "buttons_comma.csv", "surveys.json", "experience_points.json")]
    args = ["import", "happyornot", *files, "--mapping", str(DATA / "mapping.json")]
    hub("location", "add", "upp", "--name", "Uppsala", "--timezone", "Europe/Stockholm", data_dir=tmp_path)
    done = hub(*args, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "buttons.json: 100% 15 rows" in done.stderr
    assert "buttons.json (button feedbacks): 15 rows: 8 stored, 1 duplicates, 6 refused" in done.stdout
    assert "  refused: bad_value 1, malformed 1, missing_field 1, nps 2, out_of_scale 1" in done.stdout
    assert stored(tmp_path) == rolled_up(tmp_path) == 12
    again = hub(*args, data_dir=tmp_path)
    assert again.returncode == 0 and again.stdout.count("already imported under this mapping") == 4
    assert stored(tmp_path) == 12


def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    """A file that is no export, or a mapping naming a store that does not exist, is one `error:` line, exit 2."""
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    done = hub("import", "happyornot", str(tmp_path / "x.csv"), data_dir=tmp_path / "hub")
    assert done.returncode == 2 and done.stderr.startswith("error: x.csv: not a HappyOrNot export")
    bad = hub(
        "import", "happyornot", str(DATA / "buttons.json"), "--mapping", str(DATA / "mapping.json"), data_dir=tmp_path
    )
    assert bad.returncode == 2 and "there is no store 'upp'" in bad.stderr and "Traceback" not in bad.stderr


def test_a_killed_import_resumes_and_counts_every_row_once(tmp_path: Path) -> None:
    """An import killed (SIGKILL) midway keeps what it committed; run again, it resumes after the last committed
    row and ends with every feedback stored and rolled up exactly once."""
    rows = 300_000
    export = tmp_path / "history.csv"
    write_history(export, rows)
    data_dir = tmp_path / "hub"
    args = ["import", "happyornot", str(export), "--timezone", "Europe/Stockholm", "--data-dir", str(data_dir)]
    (tmp_path / "m.json").write_text('{"surveys": {"501": {"scale": 4}}}')
    args += ["--mapping", str(tmp_path / "m.json")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", *args], env=child_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:

        def midway() -> bool:
            done = oracle_count(data_dir, "SELECT coalesce(max(rows_done), 0) FROM import_files")
            return done >= 10_000

        wait_until(midway, timeout=120, interval=0.02, message="the import to commit some batches")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    partial = stored(data_dir)
    assert 10_000 <= partial < rows, "killed too late to test a resume"
    assert partial == rolled_up(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "hub", *args], env=child_env(), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert f"{rows:,} rows: {rows:,} stored, 0 duplicates, 0 refused (resumed after row" in done.stdout
    assert stored(data_dir) == rolled_up(data_dir) == rows
    assert oracle_count(data_dir, "SELECT count(DISTINCT uuid) FROM ratings WHERE imported = 1") == rows
    assert stored(data_dir, misuse=True) == rows // 50
