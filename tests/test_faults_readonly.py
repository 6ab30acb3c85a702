"""Read-only folders for real (a shared class folder, a mounted drive without write access): the training
engine refuses before training, and load_corpus reports a corrupted cached corpus it cannot remove in one
line, then uses a fresh download (cached where the user can write) or the synthetic corpus.

Each case runs in a child process. Folder permissions do not bind root, so as root the child runs without
the capability that lets root write anywhere (util-linux `setpriv`); as any other user, chmod is enough."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading

import pytest

from course_lib.data import REGISTRY
from course_lib.training import load_checkpoint

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")

FIXTURE = __import__("pathlib").Path(__file__).parent / "fixtures" / "tiny_corpus.txt"
FIXTURE_SHA256 = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
CACHED = REGISTRY["tinyshakespeare"].filename

TRAIN = r'''
import json, sys, torch, torch.nn.functional as F
from torch import nn
from course_lib.training import TrainConfig, train
torch.manual_seed(0)
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
    def loss(self, x, y):
        return F.mse_loss(self.lin(x), y)
calls = []
def get_batch(split, i):
    calls.append(i)
    return torch.ones(2, 4), torch.zeros(2, 4)
for path, resume in json.loads(sys.argv[1]):  # one training run per job: (checkpoint_path, resume_from)
    calls.clear()
    try:
        h = train(Tiny(), get_batch, TrainConfig(max_steps=3, warmup_steps=1, eval_steps=0, checkpoint_path=path),
                  resume_from=resume, verbose=False)
        print(json.dumps({"step": h.step, "calls": len(calls)}), flush=True)
    except Exception as err:
        print(json.dumps({"error": type(err).__name__, "message": str(err), "calls": len(calls)}), flush=True)
'''

LOAD = r'''
import json, sys
from course_lib.data import load_corpus
for cache_dir, url in json.loads(sys.argv[1]):  # one load_corpus per job
    c = load_corpus("tinyshakespeare", cache_dir=cache_dir, url=url, sha256=sys.argv[2], timeout=5, n_stories=3)
    print(json.dumps({"source": c.source, "path": c.path, "name": c.name, "chars": len(c.text)}), flush=True)
'''


def _unprivileged() -> list[str]:
    """The command prefix under which folder permissions bind this process's children."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, where folder permissions do not bind: needs util-linux's setpriv")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def run(code: str, jobs: list, *args, home) -> list[tuple[dict, list[str]]]:
    """For each job, (the child's JSON result, the other lines it printed meanwhile); stderr must hold no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DATA"} | {"HOME": str(home), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", code, json.dumps([[str(x) if x else None for x in job] for job in jobs]), *args]
    proc = subprocess.run(_unprivileged() + command, capture_output=True, text=True, env=env, timeout=300, cwd=home,
                          check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    results, said = [], []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            results.append((json.loads(line), said))
            said = []
        else:
            said.append(line)
    assert len(results) == len(jobs), proc.stdout
    return results


@pytest.fixture
def folders(tmp_path):
    """(a shared folder made read-only by the test, a writable home); permissions restored afterwards."""
    shared, home = tmp_path / "shared", tmp_path / "home"
    shared.mkdir(), home.mkdir()
    yield shared, home
    for p in [shared, *shared.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755)


def read_only(folder) -> None:
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


# ----------------------------------------------------------------------------- training
def test_training_into_a_read_only_folder_is_refused_before_any_step(folders):
    shared, home = folders
    read_only(shared)
    (plain, _), (deeper, _) = run(TRAIN, [(shared / "run.pt", None), (shared / "new" / "run.pt", None)], home=home)
    for result in (plain, deeper):
        assert result["error"] == "ValueError" and result["calls"] == 0, result
        assert "Permission denied" in result["message"] and str(shared) in result["message"]
    assert "cannot be written: no file can be created in" in plain["message"]
    assert "does not exist and cannot be made (Permission denied)" in deeper["message"]
    assert list(shared.iterdir()) == []


def test_a_checkpoint_in_a_read_only_folder_is_refused_and_the_way_to_continue_said(folders):
    shared, home = folders
    [(finished, _)] = run(TRAIN, [(shared / "run.pt", None)], home=home)  # a run of 3 steps, then shared
    assert finished == {"step": 3, "calls": 3}
    read_only(shared)
    before = (shared / "run.pt").read_bytes()
    (refused, _), (continued, _) = run(TRAIN, [(shared / "run.pt", None), (home / "mine.pt", shared / "run.pt")],
                                       home=home)
    assert refused["error"] == "ValueError" and "resume_from=checkpoint_path" in refused["message"]
    assert continued == {"step": 3, "calls": 0}, "it was finished: nothing to train again"
    assert (shared / "run.pt").read_bytes() == before and load_checkpoint(home / "mine.pt")["step"] == 3


# ----------------------------------------------------------------------------- a corrupted corpus in a shared folder
class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = FIXTURE.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/tiny.txt"
    httpd.shutdown()
    httpd.server_close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/tiny.txt"


def test_a_corrupted_shared_corpus_offline_falls_back_in_one_line_an_intact_one_is_read(folders):
    shared, home = folders
    (shared / "broken").mkdir(), (shared / "intact").mkdir()
    (shared / "broken" / CACHED).write_text("half a file")
    shutil.copy(FIXTURE, shared / "intact" / CACHED)
    for folder in (shared / "broken", shared / "intact", shared):
        read_only(folder)
    offline = _closed_port_url()
    (broken, said), (intact, silent) = run(LOAD, [(shared / "broken", offline), (shared / "intact", offline)],
                                           FIXTURE_SHA256, home=home)
    assert broken["source"] == "synthetic fallback" and broken["name"] == "synthetic"
    assert len(said) == 1 and "is corrupted and cannot be removed (Permission denied)" in said[0], said
    assert "using the synthetic story corpus instead" in said[0]
    assert (shared / "broken" / CACHED).read_text() == "half a file", "the shared file is left as it is"
    assert intact["source"] == "cache" and intact["path"] == str(shared / "intact" / CACHED) and silent == []


def test_a_corrupted_shared_corpus_is_downloaded_into_the_users_own_cache(folders, server):
    shared, home = folders
    (shared / CACHED).write_text("half a file")
    read_only(shared)
    mine = home / ".cache" / "course_lib" / CACHED
    (first, said), (again, said_again) = run(LOAD, [(shared, server), (shared, _closed_port_url())],
                                             FIXTURE_SHA256, home=home)
    assert first == {"source": "download", "path": str(mine), "name": "tinyshakespeare",
                     "chars": len(FIXTURE.read_text())}
    assert len(said) == 1 and "downloaded a fresh copy in" in said[0], said
    assert mine.read_bytes() == FIXTURE.read_bytes()
    assert again["source"] == "cache" and again["path"] == str(mine), "offline, the user's copy serves"
    assert len(said_again) == 1 and "using the intact copy in" in said_again[0]
