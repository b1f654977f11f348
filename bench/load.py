"""Load from a separate process with wrk (Debian's package, installed here when missing).

Each case gets a small Lua script (method, headers, body), written by the bench; rounds are
bounded in time, and only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.cases import Case

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_LATENCY = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def ensure_wrk() -> str:
    """The wrk binary; apt-get installs Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, capture_output=True)
        subprocess.run(install, env=env, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def _lua_string(text: str) -> str:
    """A Lua string literal: printable ASCII as is, every other byte as a decimal escape."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if 32 <= byte < 127 and char not in '"\\':
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def write_script(case: Case, key: str, folder: Path) -> Path:
    lines = [f"wrk.method = {_lua_string(case.method)}"]
    for name, value in case.headers(key).items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if case.body is not None:
        lines.append(f"wrk.body = {_lua_string(case.body.decode())}")
    path = folder / (re.sub(r"\W+", "_", case.name).strip("_").lower() + ".lua")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class Round:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers plus socket errors


@dataclass(frozen=True)
class Summary:
    """The median of the rounds (each figure on its own)."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rounds: list[float]

    @classmethod
    def of(cls, rounds: list[Round]) -> Summary:
        return cls(
            rps=statistics.median(r.rps for r in rounds),
            p50_ms=statistics.median(r.p50_ms for r in rounds),
            p99_ms=statistics.median(r.p99_ms for r in rounds),
            errors=sum(r.errors for r in rounds),
            rounds=[r.rps for r in rounds],
        )


def parse(output: str) -> Round:
    latency = {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    rps = _RPS.search(output)
    if rps is None or 50 not in latency or 99 not in latency:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = sum(int(n) for n in _NON_2XX.findall(output))
    socket = _SOCKET.search(output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return Round(float(rps.group(1)), latency[50], latency[99], errors)


@dataclass(frozen=True)
class Wrk:
    binary: str
    script_dir: Path
    key: str
    threads: int = 2
    connections: int = 32

    def run(self, port: int, case: Case, seconds: float, connections: int | None = None) -> Round:
        connections = connections or self.connections
        script = write_script(case, self.key, self.script_dir)
        url = f"http://127.0.0.1:{port}{case.path}"
        command = [
            self.binary,
            f"-t{min(self.threads, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
        if done.returncode != 0 or done.stderr.strip():
            # wrk reports a broken script on stderr and then runs without it: refuse that.
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        return parse(done.stdout)
