import os
import sys
import time

from bot.supervisor import Child, run_together


def test_if_one_child_dies_the_other_is_stopped_and_status_is_nonzero(tmp_path):
    marker = tmp_path / "pid"
    long_runner = Child("sleeper", [sys.executable, "-c", f"import os,time; open({str(marker)!r},'w').write(str(os.getpid())); time.sleep(60)"])
    short_runner = Child("crasher", [sys.executable, "-c", "import time; time.sleep(1); raise SystemExit(3)"])
    started = time.monotonic()
    status = run_together([long_runner, short_runner], env=os.environ, cwd=str(tmp_path))
    assert status == 1
    assert time.monotonic() - started < 30
    pid = int(marker.read_text())
    assert long_runner.process.poll() is not None
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
