"""Throughput over HTTP for ``benchmarks/scale.py``: ``wrk`` against gunicorn started as
docker-compose.yml starts it (``gunicorn -c gunicorn.conf.py config.wsgi:application``,
the same settings file and worker count, DEBUG off, static files collected), on a free
local port. Requests carry ``X-Forwarded-Proto: https`` as they would behind the TLS
proxy production needs, so no request is redirected.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WRK_ARGS = ("-t2", "-c16", "-d10s", "--timeout", "10s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_wrk(text: str) -> dict:
    """Requests per second, requests and non-2xx/3xx responses from wrk's report."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       text)
    if not rps or not total:
        raise RuntimeError(f"wrk's report was not understood:\n{text}")
    return {"rps": float(rps.group(1)), "requests": int(total.group(1)),
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(0) if errors else ""}


def wrk(url: str, headers: dict) -> dict:
    args = ["wrk", *WRK_ARGS]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(  # noqa: S603 - wrk, on the loopback
        [*args, url], capture_output=True, text=True, timeout=120, check=True)
    return parse_wrk(out.stdout)


class Gunicorn:
    """gunicorn in its own process group, stopped (with its workers) on exit."""

    def __init__(self, port: int, env: dict):
        self.port, self.env, self.process = port, env, None

    def __enter__(self):
        gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(  # noqa: S603 - this environment's gunicorn
            [gunicorn, "-c", "gunicorn.conf.py", "config.wsgi:application"],
            cwd=BASE_DIR, env={**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode()[-2000:]
                raise RuntimeError(f"gunicorn stopped: {err}")
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{self.port}/healthz",
                                                 headers={"Host": "localhost"})
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return False


def throughput(paths: dict[str, tuple[str, dict]]) -> dict[str, dict]:
    """``{name: wrk figures}`` for each ``name: (path, headers)``, in one gunicorn."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (make bench installs it): use --no-http")
    port = free_port()
    env = {**os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "localhost"}
    env.pop("GUNICORN_BIND", None)
    results = {}
    with Gunicorn(port, env):
        for name, (path, headers) in paths.items():
            results[name] = wrk(f"http://127.0.0.1:{port}{path}",
                                {"Host": "localhost", "X-Forwarded-Proto": "https", **headers})
    return results
