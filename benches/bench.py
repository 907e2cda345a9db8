"""byok's benchmarks: every figure side by side with a peer measured in the same run.

Run through `benches/run.sh`, which installs the peers and builds the release binary first.
Goals live here as printed ratios, never in `cargo test`.

    create     byok create vs the vendor's AWS CLI procedure vs one boto3 process, on moto;
               plus byok's wall time against the sum of its own API round trips
    status     byok status with 1000 keys in two Regions vs a sequential boto3 reader
               (benches/status_scale.py), on moto directly and with 20 ms per request
    org        byok status --accounts org, 20 accounts x 3 Regions x 20 keys with 20 ms per
               request, vs a sequential boto3 reader doing the same reads (benches/org_scale.py)
    footprint  binary size, peak RSS, single versions of the big crates; with --build-time,
               clean release builds with cargo's default profile and with byok's
    ui         time to first frame (and whether any connection opened before it) and idle CPU
               of the wizard, in a pseudo-terminal
    render     render cost of every screen (the Rust bench target benches/render.rs)
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BYOK = ROOT / "target" / "release" / "byok"
PEERS = ROOT / "benches" / "peers"
ACCOUNT = "123456789012"  # moto's account
ROLE = "arn:aws:iam::210987654321:role/camunda-tenant"
PRIMARY, SECONDARY = "eu-west-1", "eu-west-2"


# ---------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def aws_env(home: Path) -> dict[str, str]:
    """Fake credentials and an empty home: no profile, no instance metadata, no network."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "BYOK_STATE_DIR": str(home / "state"),
    }


class Moto:
    """A moto server (real KMS and STS APIs) on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(VENV / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("moto_server did not start within 30 s")

    def reset(self) -> None:
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        urllib.request.urlopen(req).read()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


class TimingProxy:
    """An HTTP/1.1 proxy in front of moto that times each upstream round trip.

    The figure is the time moto takes to answer over loopback, so byok's wall time (measured
    in separate, direct runs) can be compared with the sum of its own API round trips.
    """

    def __init__(self, upstream_port: int) -> None:
        self.calls: list[tuple[str, float]] = []
        lock = threading.Lock()
        calls = self.calls
        local = threading.local()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
                op = self.headers.get("X-Amz-Target") or ""
                if not op:
                    m = re.search(rb"Action=([A-Za-z]+)", body)
                    op = m.group(1).decode() if m else self.path
                if getattr(local, "conn", None) is None:
                    local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port)
                t0 = time.perf_counter()
                try:
                    local.conn.request(self.command, self.path, body, headers)
                    resp = local.conn.getresponse()
                    data = resp.read()
                except (http.client.HTTPException, OSError):
                    local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port)
                    t0 = time.perf_counter()
                    local.conn.request(self.command, self.path, body, headers)
                    resp = local.conn.getresponse()
                    data = resp.read()
                dt = time.perf_counter() - t0
                with lock:
                    calls.append((op.split(".")[-1], dt))
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list[tuple[str, float]]:
        out = list(self.calls)
        self.calls.clear()
        return out

    def close(self) -> None:
        self.server.shutdown()


LAST_CPU = [0.0]  # CPU seconds (user + system, children included) of the last run_checked


def run_checked(cmd: list[str], env: dict[str, str], expect_arns: int) -> float:
    """Run once, return wall seconds; fail loudly unless it printed the expected ARNs."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        LAST_CPU[0] = usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    arns = re.findall(r"arn:aws:kms:[a-z0-9-]+:\d{12}:key/[a-z0-9-]+", stdout)
    if proc.returncode != 0 or len(set(arns)) < expect_arns:
        raise SystemExit(f"benchmark run failed ({proc.returncode}): {' '.join(cmd)}\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    return dt


# ---------------------------------------------------------------- create


def byok_create_cmd(endpoint: str, mode: str, alias: str) -> list[str]:
    cmd = [str(BYOK), "--endpoint-url", endpoint, "create", "--vendor", "camunda", "--principal", ROLE]
    cmd += ["--alias", alias, "--yes", "--output", "json"]
    if mode == "multi":
        cmd += ["--regionality", "multi-region", "--replica-region", SECONDARY]
    return cmd


def bench_create(args, results: dict) -> None:
    moto = Moto()
    proxy = TimingProxy(moto.port)
    home = Path(tempfile.mkdtemp(prefix="byok-bench-"))
    try:
        env = aws_env(home)
        env.update(
            BENCH_ENDPOINT=moto.endpoint,
            BENCH_ACCOUNT=ACCOUNT,
            BENCH_ROLE=ROLE,
            BENCH_PRIMARY=PRIMARY,
            BENCH_SECONDARY=SECONDARY,
            BENCH_AWS=str(VENV / "bin" / "aws"),
        )
        py = str(VENV / "bin" / "python")
        contenders = {
            "byok": lambda mode, alias: byok_create_cmd(moto.endpoint, mode, alias),
            "boto3": lambda mode, alias: [py, str(PEERS / "boto3_procedure.py"), mode],
            "aws-cli": lambda mode, alias: ["bash", str(PEERS / "vendor-procedure.sh"), mode],
        }
        out: dict = {}
        for mode in ("single", "multi"):
            want = 1 if mode == "single" else 2
            times: dict[str, list[float]] = {k: [] for k in contenders}
            cpu: dict[str, list[float]] = {k: [] for k in contenders}
            for i in range(args.runs + 1):  # the first round warms caches and is dropped
                names = list(contenders)
                names = names[i % len(names) :] + names[: i % len(names)]  # rotate the order
                for name in names:
                    if name == "aws-cli" and i > args.cli_runs:
                        continue
                    moto.reset()
                    shutil.rmtree(home / "state", ignore_errors=True)
                    alias = f"alias/bench-{name}-{mode}-{i}"
                    dt = run_checked(contenders[name](mode, alias), {**env, "BENCH_ALIAS": alias}, want)
                    if i > 0:
                        times[name].append(dt)
                        cpu[name].append(LAST_CPU[0])
            # byok's own round trips, through the timing proxy.
            traces = []
            for i in range(args.runs):
                moto.reset()
                shutil.rmtree(home / "state", ignore_errors=True)
                proxy.take()
                wall = run_checked(byok_create_cmd(proxy.endpoint, mode, f"alias/bench-rt-{i}"), env, want)
                traces.append((wall, proxy.take()))
            # Wall time and round trips of the same run: the proxy's own cost counts against byok.
            traces.sort(key=lambda t: t[0] / sum(dt for _, dt in t[1]))
            wall, mid = traces[len(traces) // 2]  # the run with the median ratio
            med = {k: median(v) for k, v in times.items()}
            out[mode] = {
                "median_s": med,
                "cpu_median_s": {k: median(v) for k, v in cpu.items()},
                "runs": {k: len(v) for k, v in times.items()},
                "byok_round_trips": {
                    "count": len(mid),
                    "sum_s": sum(dt for _, dt in mid),
                    "wall_s": wall,
                    "calls_ms": [[op, round(dt * 1000, 2)] for op, dt in mid],
                },
            }
        results["create"] = out
    finally:
        proxy.close()
        moto.close()
        shutil.rmtree(home, ignore_errors=True)


def report_create(r: dict) -> list[str]:
    lines = [
        "| Create, end to end (median) | byok | boto3, one process | AWS CLI procedure | vs boto3 | vs AWS CLI |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, label in (("single", "single Region"), ("multi", "Multi-Region + replica")):
        m = r[mode]["median_s"]
        lines.append(
            f"| {label} | {ms(m['byok'])} | {ms(m['boto3'])} | {ms(m['aws-cli'])} "
            f"| {m['boto3'] / m['byok']:.1f}x | {m['aws-cli'] / m['byok']:.0f}x |"
        )
    lines += ["", "| CPU time (user + system, median) | byok | boto3, one process | AWS CLI procedure |", "| --- | ---: | ---: | ---: |"]
    for mode, label in (("single", "single Region"), ("multi", "Multi-Region + replica")):
        c = r[mode]["cpu_median_s"]
        lines.append(f"| {label} | {ms(c['byok'])} | {ms(c['boto3'])} | {ms(c['aws-cli'])} |")
    lines += [
        "",
        "| byok's own API round trips (run with the median ratio, through the timing proxy) | calls | sum of round trips | byok wall | wall / sum |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, label in (("single", "single Region"), ("multi", "Multi-Region + replica")):
        rt = r[mode]["byok_round_trips"]
        wall = rt["wall_s"]
        lines.append(f"| {label} | {rt['count']} | {ms(rt['sum_s'])} | {ms(wall)} | {wall / rt['sum_s']:.2f} |")
    for mode in ("single", "multi"):
        calls = r[mode]["byok_round_trips"]["calls_ms"]
        lines.append(f"\nbyok's calls, {mode} (ms): " + ", ".join(f"{op} {t:.1f}" for op, t in calls))
    return lines


def goals_create(r: dict) -> list[tuple[str, bool, str]]:
    g = []
    for mode in ("single", "multi"):
        m = r[mode]["median_s"]
        rt = r[mode]["byok_round_trips"]
        g.append((f"create {mode}: >= 4x faster than boto3", m["boto3"] / m["byok"] >= 4, f"{m['boto3'] / m['byok']:.1f}x"))
        g.append((f"create {mode}: >= 50x faster than the AWS CLI procedure", m["aws-cli"] / m["byok"] >= 50, f"{m['aws-cli'] / m['byok']:.0f}x"))
        ratio = rt["wall_s"] / rt["sum_s"]
        g.append((f"create {mode}: wall within 20% of its round trips", ratio <= 1.2, f"{ratio:.2f}"))
    return g


# ---------------------------------------------------------------- footprint


def peak_rss_kb(cmd: list[str], env: dict[str, str]) -> int:
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))


def crate_versions() -> dict[str, list[str]]:
    p = subprocess.run(
        ["cargo", "tree", "--locked", "-e", "normal", "--prefix", "none", "-f", "{p}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seen: dict[str, set[str]] = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            seen.setdefault(parts[0], set()).add(parts[1])
    dups = subprocess.run(["cargo", "tree", "--locked", "-d", "-e", "normal", "--depth", "0"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {
        "watched": {n: sorted(seen.get(n, [])) for n in ("crossterm", "hyper", "rustls", "tokio", "ratatui", "h2", "http")},
        "duplicated": sorted({l.split()[0] for l in dups.stdout.splitlines() if l and not l.startswith("[")}),
    }


def bench_footprint(args, results: dict) -> None:
    out: dict = {"binary_bytes": BYOK.stat().st_size}
    moto = Moto()
    home = Path(tempfile.mkdtemp(prefix="byok-bench-"))
    try:
        env = aws_env(home)
        env.update(BENCH_ENDPOINT=moto.endpoint, BENCH_ACCOUNT=ACCOUNT, BENCH_ROLE=ROLE, BENCH_PRIMARY=PRIMARY, BENCH_SECONDARY=SECONDARY)
        rss: dict[str, int] = {}
        for mode in ("single", "multi"):
            samples, peer = [], []
            for i in range(3):
                moto.reset()
                samples.append(peak_rss_kb(byok_create_cmd(moto.endpoint, mode, f"alias/rss-{i}"), env))
                moto.reset()
                peer.append(peak_rss_kb([str(VENV / "bin" / "python"), str(PEERS / "boto3_procedure.py"), mode], {**env, "BENCH_ALIAS": f"alias/rss-{i}"}))
            rss[f"byok create {mode}"] = int(median(samples))
            rss[f"boto3 {mode}"] = int(median(peer))
        out["peak_rss_kb"] = rss
    finally:
        moto.close()
        shutil.rmtree(home, ignore_errors=True)
    out["crates"] = crate_versions()
    if args.build_time:
        # Before: cargo's default release profile; after: the project's (fat LTO, one codegen
        # unit, abort, strip). Each a clean build in a target dir of its own.
        default_profile = {
            "CARGO_PROFILE_RELEASE_LTO": "false",
            "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
            "CARGO_PROFILE_RELEASE_PANIC": "unwind",
            "CARGO_PROFILE_RELEASE_STRIP": "none",
        }
        for name, overrides in (("default release profile", default_profile), ("byok's release profile", {})):
            target = ROOT / "target" / "bench-clean-build"
            shutil.rmtree(target, ignore_errors=True)
            print(f"  clean release build, {name}...", file=sys.stderr, flush=True)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "byok"], cwd=ROOT, env={**os.environ, "CARGO_TARGET_DIR": str(target), **overrides}, check=True, capture_output=True)
            wall = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out.setdefault("clean_builds", {})[name] = {
                "wall_s": wall,
                "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
                "binary_bytes": (target / "release" / "byok").stat().st_size,
            }
            shutil.rmtree(target, ignore_errors=True)
    results["footprint"] = out


def report_footprint(r: dict) -> list[str]:
    lines = ["| Footprint | value |", "| --- | ---: |", f"| release binary | {r['binary_bytes'] / 1e6:.1f} MB |"]
    for k, v in r["peak_rss_kb"].items():
        lines.append(f"| peak RSS, {k} | {v / 1024:.1f} MiB |")
    for name, b in r.get("clean_builds", {}).items():
        s = b["wall_s"]
        lines.append(f"| clean release build, {name} ({os.cpu_count()} cores) | {int(s // 60)} min {s % 60:.0f} s wall, {b['cpu_s'] / 60:.1f} min CPU, binary {b['binary_bytes'] / 1e6:.1f} MB |")
    w = r["crates"]["watched"]
    lines.append("| versions of " + ", ".join(w) + " | " + ", ".join(f"{n} {'/'.join(v)}" for n, v in w.items()) + " |")
    lines.append(f"| crates with two versions (`cargo tree -d`) | {', '.join(r['crates']['duplicated']) or 'none'} |")
    return lines


def goals_footprint(r: dict) -> list[tuple[str, bool, str]]:
    w = r["crates"]["watched"]
    return [(f"one {n}", len(w[n]) == 1, "/".join(w[n])) for n in ("crossterm", "hyper", "rustls", "tokio")]


# ---------------------------------------------------------------- ui: a pseudo-terminal


CLK_TCK = os.sysconf("SC_CLK_TCK")


class Pty:
    """A program on a pseudo-terminal of a given size, its output timestamped as it arrives.

    Answers the queries a real terminal answers (cursor position, device attributes, colours),
    so a program that asks is not left waiting for a timeout.
    """

    def __init__(self, cmd: list[str], env: dict[str, str], cols: int = 120, rows: int = 40) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.rows, self.cols = rows, cols
        self.chunks: list[tuple[float, bytes]] = []
        self.queries: list[str] = []
        self.t0 = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            try:
                os.execve(cmd[0], cmd, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.buf = b""

    def read(self, timeout: float) -> bool:
        import select

        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        now = time.perf_counter()
        self.chunks.append((now, data))
        tail = self.buf[-16:] + data
        self.buf += data
        for q, answer in (
            (b"\x1b[6n", f"\x1b[{self.rows};1R".encode()),
            (b"\x1b[c", b"\x1b[?62;22c"),
            (b"\x1b[0c", b"\x1b[?62;22c"),
            (b"\x1b]10;?", b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\"),
            (b"\x1b]11;?", b"\x1b]11;rgb:0000/0000/0000\x1b\\"),
        ):
            if q in tail:
                self.queries.append(q.decode(errors="replace").replace("\x1b", "ESC"))
                os.write(self.fd, answer)
        return True

    def wait_for(self, marker: bytes, timeout: float = 10.0, start: int | None = None, required: bool = True) -> float | None:
        """Seconds from spawn to the arrival of the output chunk that completes `marker`,
        looking from byte `start` of the output (default: output still to come). None after
        `timeout` when not `required`."""
        deadline = time.perf_counter() + timeout
        start = len(self.buf) if start is None else start
        if marker in self.buf[start:]:
            end = self.buf.index(marker, start) + len(marker)
            return next(t for t, _ in self._ends() if _ >= end) - self.t0
        while time.perf_counter() < deadline:
            if self.read(0.05) and marker in self.buf[max(0, start - len(marker)) :]:
                return self.chunks[-1][0] - self.t0
        if not required:
            return None
        raise SystemExit(f"no {marker!r} within {timeout} s; output was:\n{self.buf[-2000:]!r}")

    def _ends(self):
        """(arrival time, output length after that chunk) for every chunk."""
        n = 0
        for t, c in self.chunks:
            n += len(c)
            yield t, n

    def settle(self, quiet: float, timeout: float = 60.0) -> None:
        """Read until no output has come for `quiet` seconds: the screen has settled (nothing
        loading, nothing spinning, the last key handled)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if not self.read(quiet):
                return
        raise SystemExit(f"the screen did not settle within {timeout} s; output was:\n{self.buf[-2000:]!r}")

    def drain(self, seconds: float) -> int:
        """Keep reading for `seconds`; return the bytes received."""
        n0 = len(self.buf)
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.read(min(left, 0.05))
        return len(self.buf) - n0

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads

    def peak_rss_kb(self) -> int:
        m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{self.pid}/status").read_text())
        return int(m.group(1)) if m else 0

    def close(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def run_to_exit(cmd: list[str], env: dict[str, str], timeout: float = 120.0) -> float:
    """Seconds from spawn to the program's last output, once it has exited."""
    p = Pty(cmd, env)
    deadline = time.perf_counter() + timeout
    while True:
        if p.read(0.5):
            continue
        pid, _ = os.waitpid(p.pid, os.WNOHANG)
        if pid:
            while p.read(0.05):  # what it wrote just before exiting
                pass
            break
        if time.perf_counter() > deadline:
            p.close()
            raise SystemExit(f"{cmd[0]} did not exit within {timeout} s")
    os.close(p.fd)
    return p.chunks[-1][0] - p.t0 if p.chunks else 0.0


def render_bin() -> Path:
    """The render bench binary, built with the release profile (as run.sh does), so it shares
    every compiled dependency with the release binary (`cargo bench` would build them again,
    unwinding)."""
    p = subprocess.run(
        ["cargo", "build", "--release", "--locked", "--bench", "render", "--message-format=json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in p.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "render" and msg.get("executable"):
            return Path(msg["executable"])
    raise SystemExit("cargo did not report the render bench executable")


FRAME_END = b"\x1b[?25"  # ratatui shows or hides the cursor right after a frame's cells


class Listener:
    """Stands in for every AWS endpoint (and the instance metadata service): accepts
    connections and never answers, as an unreachable network would leave them, and notes
    when each arrives. Tells whether byok touched the network before its first frame."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[float] = []
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted.append(time.perf_counter())
                self.conns.append(c)

    def first(self, since: float) -> float | None:
        """When the first connection since `since` arrived (a perf_counter time)."""
        with self.lock:
            return min((t for t in self.accepted if t >= since), default=None)

    def reset(self) -> None:
        with self.lock:
            for c in self.conns:
                c.close()
            self.conns.clear()
            self.accepted.clear()

    def close(self) -> None:
        self.reset()
        self.sock.close()


def first_frame(cmd: list[str], env: dict[str, str], runs: int, listener: Listener | None = None) -> dict:
    """From spawn to the end of the first complete frame, in a 120x40 pty (median of `runs`,
    after one warm-up). With a `listener` standing in for the network: when the first
    connection came (within 3 s of the frame), and in how many runs it came before the frame."""
    frames, conns, before = [], [], 0
    for i in range(runs + 1):
        if listener:
            listener.reset()
        p = Pty(cmd, env)
        try:
            t = p.wait_for(FRAME_END, start=0, timeout=30)
            c = None
            if listener:
                deadline = time.perf_counter() + 3.0
                while listener.first(p.t0) is None and time.perf_counter() < deadline:
                    p.read(0.02)
                first = listener.first(p.t0)
                c = None if first is None else first - p.t0
        finally:
            p.close()
        if i == 0:
            continue
        frames.append(t)
        if c is not None:
            conns.append(c)
            before += c < t
    return {"frame_s": median(frames), "runs": runs, "first_connection_s": median(conns) if conns else None,
            "runs_connecting": len(conns), "connection_before_frame": before}


def ui_env(home: Path, mode: str, endpoint: str = "") -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "BYOK_STATE_DIR": str(home / "state"),
    }
    if mode == "no-network":
        # No credentials, and every AWS endpoint (including instance metadata) a listener that
        # never answers: connections hang until their timeout.
        env.update(AWS_EC2_METADATA_SERVICE_ENDPOINT=endpoint, AWS_ENDPOINT_URL=endpoint, AWS_REGION="eu-west-1")
    elif mode == "credentials":
        # Credentials in the environment (nothing to look up), every AWS endpoint a listener that
        # never answers: the wizard's first calls (identity, IAM lists) hang.
        env.update({k: v for k, v in aws_env(home).items() if k.startswith("AWS_")})
        env.update(AWS_ENDPOINT_URL=endpoint, AWS_REGION="eu-west-1")
    return env


def bench_ui(args, results: dict) -> None:
    home = Path(tempfile.mkdtemp(prefix="byok-bench-"))
    peer = render_bin()
    out: dict = {}
    net = Listener()
    try:
        demo = [str(BYOK), "--demo"]
        runs = {
            "byok --demo": first_frame(demo, ui_env(home, "demo"), args.runs),
            "byok, no credentials, network unreachable": first_frame([str(BYOK)], ui_env(home, "no-network", net.url), args.runs, net),
            "byok, credentials, network unreachable": first_frame([str(BYOK)], ui_env(home, "credentials", net.url), args.runs, net),
            "trivial ratatui frame (peer)": first_frame([str(peer), "--peer-frame"], ui_env(home, "demo"), args.runs),
        }
        ttff = {k: v["frame_s"] for k, v in runs.items()}
        aws = [str(VENV / "bin" / "aws"), "--version"]
        ttff["aws --version, to exit (peer)"] = median([run_to_exit(aws, ui_env(home, "demo")) for _ in range(max(3, args.runs // 2))])
        out["first_frame_s"] = ttff
        out["first_connection"] = {k: v for k, v in runs.items() if "network" in k}

        # Idle: 10 s on the first form, once the background loads have finished (the screen
        # has settled).
        p = Pty(demo, ui_env(home, "demo"))
        try:
            p.wait_for(FRAME_END, start=0, timeout=30)
            p.settle(quiet=1.5)
            c0, b0 = p.cpu_seconds(), len(p.buf)
            p.drain(10.0)
            out["idle_form"] = {"cpu_s": p.cpu_seconds() - c0, "bytes": len(p.buf) - b0, "seconds": 10.0}
            out["wizard_peak_rss_kb"] = p.peak_rss_kb()
        finally:
            p.close()

        # The progress screen while the demo's replica stays Creating (spinner on screen).
        raw = ["--vendor", "camunda", "--principal", ROLE, "--regionality", "multi-region"]
        p = Pty(demo + raw, ui_env(home, "demo"))
        try:
            p.wait_for(FRAME_END, start=0, timeout=30)
            # Enter through the pre-filled steps to the review, one key at a time: each once
            # the screen has settled (identity and IAM lists loaded, the last key handled).
            deadline = time.perf_counter() + 120
            while True:
                p.settle(quiet=0.4)
                if b"Create the key" in p.buf:
                    break
                if time.perf_counter() > deadline:
                    raise SystemExit(f"the wizard never reached the review; output:\n{p.buf[-3000:]!r}")
                mark = len(p.buf)
                p.send(b"\r")
                p.wait_for(FRAME_END, timeout=10, start=mark, required=False)  # its frame (if it changed anything)
            p.send(b"r")  # create
            p.wait_for(b"Creating", timeout=30, start=len(p.buf))
            c0, b0, t0 = p.cpu_seconds(), len(p.buf), time.perf_counter()
            n0 = len(p.chunks)
            # The demo's replica stays Creating for 4 s: sample 3 s of it, spinner running.
            p.drain(3.0)
            dt = time.perf_counter() - t0
            out["idle_progress"] = {"cpu_s": p.cpu_seconds() - c0, "bytes": len(p.buf) - b0, "seconds": dt, "writes": len(p.chunks) - n0, "still_creating": b"Creating" in p.buf[b0:]}
            out["wizard_peak_rss_kb"] = max(out["wizard_peak_rss_kb"], p.peak_rss_kb())
        finally:
            p.close()

        # Render cost of every screen (Rust, in-process).
        r = subprocess.run([str(peer), "--json"] + (["--quick"] if args.runs < 5 else []), capture_output=True, text=True, check=True)
        out["render"] = json.loads(r.stdout)
    finally:
        net.close()
        shutil.rmtree(home, ignore_errors=True)
    results["ui"] = out


def report_ui(r: dict) -> list[str]:
    lines = ["| Time to first frame (120x40 pty, median) | |", "| --- | ---: |"]
    for k, v in r["first_frame_s"].items():
        lines.append(f"| {k} | {ms(v)} |")
    lines += ["", "| Network before the first frame (a listener as every AWS endpoint) | first frame | first connection | runs with a connection before the frame |",
              "| --- | ---: | ---: | ---: |"]
    for k, v in r["first_connection"].items():
        conn = ms(v["first_connection_s"]) if v["first_connection_s"] is not None else "none within 3 s"
        lines.append(f"| {k} | {ms(v['frame_s'])} | {conn} | {v['connection_before_frame']} of {v['runs']} |")
    lines += ["", "| Idle cost | CPU time | per second | output |", "| --- | ---: | ---: | ---: |"]
    for key, label in (("idle_form", "wizard on a form"), ("idle_progress", "progress screen, replica Creating (spinner)")):
        i = r[key]
        lines.append(
            f"| {label}, {i['seconds']:.1f} s | {i['cpu_s'] * 1000:.0f} ms | {i['cpu_s'] / i['seconds'] * 1000:.1f} ms/s | {i['bytes']} bytes |"
        )
    lines.append(f"\n(progress: {r['idle_progress']['writes']} terminal writes in {r['idle_progress']['seconds']:.1f} s, the spinner's ticks)")
    lines.append(f"\nWizard peak RSS: {r['wizard_peak_rss_kb'] / 1024:.1f} MiB\n")
    lines += ["| Render cost (median a frame) | size | render | + encode, full repaint |", "| --- | --- | ---: | ---: |"]
    for row in r["render"]:
        lines.append(f"| {row['screen']} | {row['cols']}x{row['rows']} | {row['render_us']:.0f} µs | {row['render_encode_us']:.0f} µs |")
    return lines


def goals_ui(r: dict) -> list[tuple[str, bool, str]]:
    worst = max(r["render"], key=lambda row: row["render_us"])
    no_net = r["first_frame_s"]["byok, no credentials, network unreachable"]
    creds = r["first_frame_s"]["byok, credentials, network unreachable"]
    demo = r["first_frame_s"]["byok --demo"]
    form = r["idle_form"]
    early = sum(v["connection_before_frame"] for v in r["first_connection"].values())
    runs = sum(v["runs"] for v in r["first_connection"].values())
    return [
        ("first frame under 50 ms, no network, no credentials", no_net < 0.05, ms(no_net)),
        ("first frame under 50 ms, credentials, network unreachable", creds < 0.05, ms(creds)),
        ("no network before the first frame", early == 0, f"{early} of {runs} runs"),
        ("first frame under 50 ms, demo", demo < 0.05, ms(demo)),
        (f"heaviest screen renders under 1 ms ({worst['screen']}, {worst['cols']}x{worst['rows']})", worst["render_us"] < 1000, f"{worst['render_us']:.0f} µs"),
        ("no redraw on an idle form (10 s)", form["bytes"] == 0, f"{form['bytes']} bytes, {form['cpu_s'] * 1000:.0f} ms CPU"),
    ]


# ---------------------------------------------------------------- main


# ---------------------------------------------------------------- status at scale


def bench_status(args, results: dict) -> None:
    """benches/status_scale.py: byok status against a sequential boto3 reader, same run."""
    cmd = [sys.executable, str(ROOT / "benches" / "status_scale.py"), "--bin", str(BYOK),
           "--keys", str(args.status_keys), "--runs", "1", "--latency-ms", "0", "20"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    blocks: list[tuple[str, dict]] = []
    for line in out.splitlines():
        if " keys in " in line and line.rstrip().endswith(":"):
            blocks.append((line.strip().rstrip(":"), {}))
        elif blocks and ":" in line:
            k, _, v = line.partition(":")
            blocks[-1][1][k.strip()] = float(v.strip().split()[0].rstrip("x"))
    rows = [{"where": where, "byok_s": fig["byok status --output json"], "byok_cpu_s": fig["byok's own CPU time"],
             "boto3_s": fig["sequential boto3 script"], "ratio": fig["ratio boto3 / byok"]} for where, fig in blocks]
    results["status"] = {"rows": rows, "keys_in_flight_per_region": 8}


def report_status(r: dict) -> list[str]:
    lines = ["| byok status at scale (8 keys in flight per Region) | byok | byok CPU | sequential boto3 | ratio |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in r["rows"]:
        lines.append(f"| {row['where']} | {row['byok_s']:.2f} s | {row['byok_cpu_s']:.2f} s | {row['boto3_s']:.2f} s | {row['ratio']:.1f}x |")
    return lines


def goals_status(r: dict) -> list[tuple[str, bool, str]]:
    return [(f"status: >= 5x faster than sequential boto3 ({row['where']})", row["ratio"] >= 5, f"{row['ratio']:.1f}x")
            for row in r["rows"]]

class DelayProxy:
    """A proxy in front of moto that adds a fixed delay to every request, as a real network
    does (20-100 ms to KMS). TCP_NODELAY on both sides: else Nagle's algorithm and delayed
    ACKs add about 40 ms per answer and the figures measure the proxy."""

    def __init__(self, upstream_port: int, delay_s: float) -> None:
        local = threading.local()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def _conn(self) -> http.client.HTTPConnection:
                c = http.client.HTTPConnection("127.0.0.1", upstream_port)
                c.connect()
                c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return c

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
                time.sleep(delay_s)
                if getattr(local, "conn", None) is None:
                    local.conn = self._conn()
                try:
                    local.conn.request(self.command, self.path, body, headers)
                    resp = local.conn.getresponse()
                    data = resp.read()
                except (http.client.HTTPException, OSError):
                    local.conn = self._conn()
                    local.conn.request(self.command, self.path, body, headers)
                    resp = local.conn.getresponse()
                    data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def plan_round_trips(mode: str) -> int:
    """The plan's own shortest chain of round trips, from its dependency graph."""
    cmd = [str(BYOK), "plan", "--vendor", "camunda", "--principal", ROLE, "--output", "json"]
    if mode == "multi":
        cmd += ["--regionality", "multi-region", "--replica-region", SECONDARY]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=aws_env(Path(tempfile.gettempdir()))).stdout
    return int(json.loads(out)["round_trips"])


def bench_latency(args, results: dict) -> None:
    """byok create and byok status with a delay added to every request, beside the
    one-process boto3 procedure and beside the plan's chain (chain x latency + byok's own
    time with no delay, measured in the same run)."""
    moto = Moto()
    home = Path(tempfile.mkdtemp(prefix="byok-bench-lat-"))
    py = str(VENV / "bin" / "python")
    try:
        env = aws_env(home)
        rows = []
        for mode in ("single", "multi"):
            want = 1 if mode == "single" else 2
            chain = plan_round_trips(mode)
            for lat_ms in [0] + list(args.latency_ms):
                proxy = DelayProxy(moto.port, lat_ms / 1000)
                try:
                    penv = {**env, "BENCH_ENDPOINT": proxy.endpoint, "BENCH_ACCOUNT": ACCOUNT, "BENCH_ROLE": ROLE,
                            "BENCH_PRIMARY": PRIMARY, "BENCH_SECONDARY": SECONDARY}
                    times: dict[str, list[float]] = {"byok": [], "boto3": []}
                    for i in range(args.latency_runs + 1):
                        for name in ("byok", "boto3") if i % 2 == 0 else ("boto3", "byok"):
                            moto.reset()
                            shutil.rmtree(home / "state", ignore_errors=True)
                            alias = f"alias/lat-{name}-{mode}-{lat_ms}-{i}"
                            cmd = (byok_create_cmd(proxy.endpoint, mode, alias) if name == "byok"
                                   else [py, str(PEERS / "boto3_procedure.py"), mode])
                            dt = run_checked(cmd, {**penv, "BENCH_ALIAS": alias}, want)
                            if i > 0:
                                times[name].append(dt)
                    rows.append({"what": f"create {mode}", "latency_ms": lat_ms, "chain": chain,
                                 "byok_s": median(times["byok"]), "boto3_s": median(times["boto3"])})
                finally:
                    proxy.close()
        # byok status on a handful of keys (what an operator runs most often).
        moto.reset()
        shutil.rmtree(home / "state", ignore_errors=True)
        for i in range(5):
            run_checked(byok_create_cmd(moto.endpoint, "single", f"alias/lat-status-{i}"), env, 1)
        for lat_ms in [0] + list(args.latency_ms):
            proxy = DelayProxy(moto.port, lat_ms / 1000)
            try:
                cmd = [str(BYOK), "--endpoint-url", proxy.endpoint, "status", "--output", "json", "--region", PRIMARY]
                ts = []
                for _ in range(args.latency_runs):
                    t0 = time.perf_counter()
                    subprocess.run(cmd, env=env, capture_output=True)
                    ts.append(time.perf_counter() - t0)
                rows.append({"what": "status, 5 keys", "latency_ms": lat_ms, "chain": None,
                             "byok_s": median(ts), "boto3_s": None})
            finally:
                proxy.close()
        results["latency"] = {"rows": rows}
    finally:
        moto.close()
        shutil.rmtree(home, ignore_errors=True)


def report_latency(r: dict) -> list[str]:
    lines = ["| under added latency (median) | added per request | byok | round trips byok waited for | plan's chain | chain x latency + byok at 0 ms | byok / that | one-process boto3 | boto3 / byok |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    base = {row["what"]: row["byok_s"] for row in r["rows"] if row["latency_ms"] == 0}
    for row in r["rows"]:
        lat = row["latency_ms"]
        waited = (row["byok_s"] - base[row["what"]]) / (lat / 1000) if lat else 0
        if row["chain"] is not None:
            bound = row["chain"] * lat / 1000 + base[row["what"]]
            lines.append(f"| {row['what']} | {lat} ms | {ms(row['byok_s'])} | {waited:.1f} | {row['chain']} | {ms(bound)} | "
                         f"{row['byok_s'] / bound:.2f} | {ms(row['boto3_s'])} | {row['boto3_s'] / row['byok_s']:.1f}x |")
        else:
            lines.append(f"| {row['what']} | {lat} ms | {ms(row['byok_s'])} | {waited:.1f} | | | | | |")
    return lines


def goals_latency(r: dict) -> list[tuple[str, bool, str]]:
    base = {row["what"]: row["byok_s"] for row in r["rows"] if row["latency_ms"] == 0}
    g = []
    for row in r["rows"]:
        if row["chain"] is None or row["latency_ms"] == 0:
            continue
        bound = row["chain"] * row["latency_ms"] / 1000 + base[row["what"]]
        g.append((f"{row['what']} at {row['latency_ms']} ms: within 1.3x of the chain", row["byok_s"] <= 1.3 * bound,
                  f"{row['byok_s'] / bound:.2f}"))
        g.append((f"{row['what']} at {row['latency_ms']} ms: ahead of boto3", row["boto3_s"] > row["byok_s"],
                  f"{row['boto3_s'] / row['byok_s']:.1f}x"))
    return g



def bench_org(args, results: dict) -> None:
    """benches/org_scale.py: byok status --accounts org against a sequential boto3 reader."""
    cmd = [sys.executable, str(ROOT / "benches" / "org_scale.py"), "--bin", str(BYOK), "--runs", "1"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    fig: dict = {}
    where = ""
    for line in out.splitlines():
        if " accounts x " in line and line.rstrip().endswith(":"):
            where = line.strip().rstrip(":")
        elif ":" in line:
            k, _, v = line.partition(":")
            try:
                fig[k.strip()] = float(v.strip().split()[0].rstrip("x"))
            except ValueError:
                pass
    results["org"] = {"where": where, "byok_s": fig["byok status --accounts org"], "byok_cpu_s": fig["byok's own CPU time"],
                      "boto3_s": fig["sequential boto3 script"], "ratio": fig["ratio boto3 / byok"]}


def report_org(r: dict) -> list[str]:
    return ["| byok status --accounts org | byok | byok CPU | sequential boto3 | ratio |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| {r['where']} | {r['byok_s']:.2f} s | {r['byok_cpu_s']:.2f} s | {r['boto3_s']:.2f} s | {r['ratio']:.1f}x |"]


def goals_org(r: dict) -> list[tuple[str, bool, str]]:
    return [("status --accounts org: >= 10x faster than sequential boto3 (20 ms per request)", r["ratio"] >= 10, f"{r['ratio']:.1f}x")]


def bench_journal(args, results: dict) -> None:
    """`byok status` with a large journal (re-runs of many setups, junk and a torn line) beside
    the same status with an empty journal, and beside a naive reader (Python, json.loads per
    line) of the same file: the journal is read in one linear pass."""
    moto = Moto()
    try:
        rows = []
        for mb in args.journal_mb:
            with tempfile.TemporaryDirectory() as tmp:
                home = Path(tmp)
                env = aws_env(home)
                state = home / "state"
                state.mkdir()
                journal = state / "journal.jsonl"
                with journal.open("wb") as f:
                    n = 0
                    size = 0
                    while size < mb * 1024 * 1024:
                        key = n % 2000
                        setup = f"camunda/{ACCOUNT}/eu-west-1/alias/bench-{key}"
                        arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key:08d}-1111-2222-3333-444455556666"
                        ev = ["intent", "created", "aliased", "completed"][n % 4]
                        line = json.dumps({"time": "2026-12-01T12:00:00Z", "setup": setup, "event": ev, "role": "primary",
                                           "region": "eu-west-1", "arn": arn, "alias": f"alias/bench-{key}",
                                           "intent": f"{n:032x}"}).encode() + b"\n"
                        if n % 50_000 == 7:
                            line = b"\xff\xfe junk that is not UTF-8\n"
                        f.write(line)
                        size += len(line)
                        n += 1
                    f.write(b'{"time":"2026-12-01T1')  # torn
                cmd = [str(BYOK), "--endpoint-url", moto.endpoint, "status", "--output", "json", "--region", PRIMARY]
                t_full = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    subprocess.run(cmd, env=env, capture_output=True)
                    t_full.append(time.perf_counter() - t0)
                peer = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    subprocess.run([sys.executable, "-c",
                                    "import json,sys\nn=0\nfor l in open(sys.argv[1],'rb'):\n  try: json.loads(l); n+=1\n  except Exception: pass\nprint(n)",
                                    str(journal)], capture_output=True, check=True)
                    peer.append(time.perf_counter() - t0)
                journal.write_bytes(b"")
                t_empty = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    subprocess.run(cmd, env=env, capture_output=True)
                    t_empty.append(time.perf_counter() - t0)
                rows.append({"mb": mb, "entries": n, "byok_s": median(t_full), "empty_s": median(t_empty),
                             "peer_s": median(peer)})
        results["journal"] = {"rows": rows}
    finally:
        moto.close()


def report_journal(r: dict) -> list[str]:
    lines = ["| byok status with a large journal | entries | byok status | same, empty journal | journal's share | Python json.loads per line (reading only) | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in r["rows"]:
        share = row["byok_s"] - row["empty_s"]
        lines.append(f"| {row['mb']} MB | {row['entries']} | {row['byok_s']:.2f} s | {row['empty_s']:.2f} s | {share:.2f} s | "
                     f"{row['peer_s']:.2f} s | {row['peer_s'] / max(share, 1e-3):.1f}x |")
    return lines


def goals_journal(r: dict) -> list[tuple[str, bool, str]]:
    return [(f"status reads a {row['mb']} MB journal in seconds (< 5 s)", row["byok_s"] - row["empty_s"] < 5,
             f"{row['byok_s'] - row['empty_s']:.2f} s") for row in r["rows"]]


SECTIONS = {
    "create": (bench_create, report_create, goals_create),
    "status": (bench_status, report_status, goals_status),
    "org": (bench_org, report_org, goals_org),
    "footprint": (bench_footprint, report_footprint, goals_footprint),
    "ui": (bench_ui, report_ui, goals_ui),
    "journal": (bench_journal, report_journal, goals_journal),
    "latency": (bench_latency, report_latency, goals_latency),
}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    moto = subprocess.run([str(VENV / "bin" / "python"), "-c", "import moto; print(moto.__version__)"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores{mem}, Linux {platform.release()}; {rustc}; moto {moto}"


def main() -> None:
    global BYOK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sections", nargs="*", default=list(SECTIONS), help=f"any of {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--runs", type=int, default=9, help="measured runs per contender (default 9)")
    ap.add_argument("--cli-runs", type=int, default=5, help="runs of the slow AWS CLI procedure (default 5)")
    ap.add_argument("--build-time", action="store_true", help="also time clean release builds, default profile and byok's (minutes each)")
    ap.add_argument("--status-keys", type=int, default=1000, help="keys for the status section (default 1000, in two Regions)")
    ap.add_argument("--latency-ms", type=int, nargs="+", default=[20, 40, 100], help="delays added per request for the latency section (default 20 40 100)")
    ap.add_argument("--latency-runs", type=int, default=3, help="measured runs per contender and latency (default 3)")
    ap.add_argument("--journal-mb", type=int, nargs="+", default=[5, 50], help="journal sizes for the journal section (default 5 50)")
    ap.add_argument("--json", type=Path, default=ROOT / "target" / "bench" / "results.json", help="where to write the raw figures")
    ap.add_argument("--byok", type=Path, default=BYOK, help="the byok binary (default: target/release/byok)")
    args = ap.parse_args()
    BYOK = args.byok.resolve()
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {unknown}: choose from {', '.join(SECTIONS)}")
    results: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name in args.sections:
        print(f"running {name}...", file=sys.stderr, flush=True)
        SECTIONS[name][0](args, results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"Machine: {results['machine']} ({results['date']})\n")
    goals: list[tuple[str, bool, str]] = []
    for name in args.sections:
        print("\n".join(SECTIONS[name][1](results[name])) + "\n")
        goals += SECTIONS[name][2](results[name])
    print("| Goal | met | figure |\n| --- | :---: | ---: |")
    for g, ok, fig in goals:
        print(f"| {g} | {'yes' if ok else '**no**'} | {fig} |")
    print(f"\nRaw figures: {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")


if __name__ == "__main__":
    main()
