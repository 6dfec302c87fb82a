"""Load benchmark: the hotline under `ivr serve` against a bare Flask app under the same server, driven by wrk.

Both get the same gunicorn settings (workers, threads, timeouts), the same wrk load (50 connections, pre-signed
requests each with its own CallSid: main menu, key 2, forwarded to the marriage office; one in four says a sentence
instead, routed by the speech router) in the same run.
Each server is started afresh, warmed up and measured in turn, round after round (bare, SQLite, PostgreSQL,
bare, ...): a shared machine's speed drifts by half within minutes, so each round's ratio compares neighbours,
and the verdict is the median round's. The processor time the server's own processes spent a request is
printed too: it drifts far less than the throughput. Printed: requests/s, p50 and p99 of each in each round
and their ratios, with the embedded SQLite and with PostgreSQL; then whether every answered step has exactly
one call record after `ivr db flush`, each process's resident memory, and how long a generated 2,000-unit
hotline takes to load and validate.

Then the sustained run, as an operator would measure from outside: each hotline server is kept for two rounds of
8 s back to back (its records writer catching up with the first while the second runs), and compared with two
baselines measured just before it: the bare app under the same server settings, and the bare app under
gunicorn's defaults (sync workers, no access log).

Run: python bench/load.py [--rounds 5] [--seconds 5] [--sustained 8] [--sustained-runs 2] [--connections 50]
     [--workers 2] [--postgres URL]
(needs wrk from Debian; PostgreSQL: --postgres, IVR_BENCH_POSTGRES_URL, or Debian's binaries for a private server)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres import PostgresServer  # noqa: E402  (the project's root is on the path only now)

TOKEN = "bench-token-2f9a"
STEP_PATH = "/voice/step?node=menu%3Amain&lang=zh"
OPEN_MOMENT = "2026-11-26T10:00:00+08:00"  # a winter Thursday morning: the marriage office is open
IVR = str(Path(sys.executable).with_name("ivr"))
# One step in four is spoken, routed by the speech router: forwarded, offered a choice, or not understood.
SPOKEN_EVERY = 4
SENTENCES = ("我想办离婚", "失业金怎么领", "你好，今天天气怎么样", "로임을 못 받았습니다")


@dataclass
class Result:
    """What wrk measured for one server."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    answered: int
    errors: str
    cpu_ms: float = 0.0  # processor time of the server's processes (not PostgreSQL's) per answered request

    def throughput_ratio(self, baseline: Result) -> str:
        """Return this result's throughput and p99 against a baseline's, in words, or nothing for the baseline."""
        if baseline is self:
            return " " * 24
        return (f"{self.requests_per_second / baseline.requests_per_second:4.2f}x req/s, "
                f"{self.p99_ms / baseline.p99_ms:4.2f}x p99")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wrk_script(folder: Path, base: str, count: int, prefix: str) -> Path:
    """Write a wrk Lua script that sends `count` distinct pre-signed steps (read from a data file), then starts over."""
    validator = RequestValidator(TOKEN)
    data = folder / f"steps-{prefix}.txt"
    with data.open("w", encoding="ascii") as file:
        for i in range(count):
            form = {"CallSid": f"CA{prefix}{i:030x}", "Digits": "2", "From": "+8613812345678",
                    "To": "+864333622075", "AccountSid": "AC" + "0" * 32}
            if i % SPOKEN_EVERY == SPOKEN_EVERY - 1:  # a caller who says what they need instead of pressing 2
                del form["Digits"]
                form.update(SpeechResult=SENTENCES[i // SPOKEN_EVERY % len(SENTENCES)], Confidence="0.87")
            file.write(f"{urlencode(form)}\t{validator.compute_signature(base + STEP_PATH, form)}\n")
    script = folder / f"steps-{prefix}.lua"
    script.write_text(f"""
local bodies, signatures = {{}}, {{}}
local counter, step, count = 0, 0, 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
function init(args)
  for line in io.lines("{data}") do
    local body, signature = line:match("([^\t]+)\t(.+)")
    count = count + 1
    bodies[count], signatures[count] = body, signature
  end
  step = tonumber(wrk.thread:get("offset")) or 0
end
function request()
  local i = (step % count) + 1
  step = step + 2
  return wrk.format("POST", "{STEP_PATH}", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = signatures[i]}}, bodies[i])
end
""", encoding="utf-8")
    return script


def run_wrk(name: str, port: int, script: Path, seconds: int, connections: int) -> Result:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    answered = total - (int(non_2xx.group(1)) if non_2xx else 0)
    return Result(name, rate, p50, p99, answered, errors.group(1) if errors else "none")


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def worker_rss_mb(master: int) -> list[str]:
    """Return the resident memory of each child of the server's master (workers, the records writer), in MB."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == master:
                status = (stat.parent / "status").read_text()
                rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                role = "records writer" if "db writer" in command else "worker"
                found.append(f"{role} {rss:.0f} MB")
        except OSError:
            continue
    return found


@dataclass
class Served:
    """One server under test: the bare app, or the hotline on one database, and what wrk measured of it.

    It is started afresh for each round: gunicorn recycles a worker after 18,000-22,000 requests, which the
    bare app reaches within a round and a real hotline once in days, and a recycled worker costs a round.
    """

    name: str
    command: list[str]
    log: Path
    env: dict[str, str] | None = None  # the hotline's environment; None for the bare app
    database: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    results: list[Result] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen([*self.command, "--port", str(self.port)], env=self.env,
                                        stdout=self.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_ready(self.port, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.memory = worker_rss_mb(self.process.pid)
            stop(self.process)


def bare_server(args: argparse.Namespace, folder: Path) -> Served:
    return Served("bare Flask, fixed TwiML", [sys.executable, __file__, "bare", "--workers", str(args.workers)],
                  folder / "bare.log")


def bare_sync_server(args: argparse.Namespace, folder: Path) -> Served:
    return Served("bare Flask, gunicorn sync", [sys.executable, __file__, "bare-sync", "--workers", str(args.workers)],
                  folder / "bare-sync.log")


def hotline_server(args: argparse.Namespace, folder: Path, database: str | None, label: str) -> Served:
    instance = folder / f"instance-{label}"
    # As the README deploys it: default log level (the call log, one line a step), the access log.
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_SECRET_KEY": "bench-secret-" + "7" * 32,
           "IVR_FROZEN_TIME": OPEN_MOMENT, "IVR_INSTANCE_DIR": str(instance)}
    for name in ("IVR_DATABASE_URL", "IVR_LOG_LEVEL"):
        env.pop(name, None)
    if database:
        env["IVR_DATABASE_URL"] = database
        subprocess.run([IVR, "db", "upgrade"], env=env, check=True, capture_output=True)
    return Served(f"hotline, {label}", [IVR, "serve", "--workers", str(args.workers)], folder / f"hotline-{label}.log",
                  env, database or f"sqlite:///{instance / 'ivr.sqlite3'}")


def measure(served: Served, folder: Path, args: argparse.Namespace, prefix: str, seconds: int) -> Result:
    """Drive a server with wrk for `seconds`, with CallSids of their own (prefix: two hex digits)."""
    assert served.process is not None
    script = wrk_script(folder, f"http://127.0.0.1:{served.port}", seconds * 6000, prefix)
    before = server_cpu_seconds(served.process.pid)
    result = run_wrk(served.name, served.port, script, seconds, args.connections)
    result.cpu_ms = (server_cpu_seconds(served.process.pid) - before) * 1000 / max(result.answered, 1)
    return result


def server_cpu_seconds(master: int) -> float:
    """Return the processor time used so far by a server's master and its children (workers, records writer)."""
    total = 0.0
    for stat in [Path(f"/proc/{master}/stat"), *Path("/proc").glob("[0-9]*/stat")]:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(master) or int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def records_check(served: Served) -> str:
    """Flush a stopped hotline's records, and compare its call records with the steps it answered."""
    assert served.env is not None and served.database is not None
    flushed = subprocess.run([IVR, "db", "flush"], env=served.env, capture_output=True, text=True)
    answered_steps = sum(1 for line in served.log.read_text().splitlines()
                         if '"POST /voice/step?node=menu%3Amain&lang=zh HTTP/1.1" 200' in line)
    calls = count_calls(served.database)
    verdict = "none lost, none doubled" if calls == answered_steps else "MISMATCH"
    return (f"  records: {answered_steps} steps answered with 200 (server's access log), {calls} call records "
            f"after `ivr db flush` ({flushed.stdout.strip()}): {verdict}\n"
            f"  resident memory after the last round: {', '.join(sorted(served.memory))}")


def count_calls(url: str) -> int:
    """Return the number of call records (one per distinct CallSid: warm-up and run use different ones)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        found = int(connection.execute(text("SELECT count(*) FROM calls")).scalar_one())
    engine.dispose()
    return found


def unit_load_seconds(folder: Path, units: int = 2000) -> float:
    """Generate a hotline of `units` units from the bundled one and time loading and validating it."""
    from ivr.core.loader import check_hotline

    menus = folder / "big-menus"
    shutil.copytree(ROOT / "menus", menus)
    shutil.copytree(ROOT / "audio", folder / "audio")
    text = (menus / "units.yaml").read_text(encoding="utf-8")
    extra = "".join(
        f"  generated_{i}:\n    kind: department\n    name: {{zh: 第{i}科, ko: 제{i}과}}\n"
        f"    address: {{zh: 锦水街416号, ko: 금수가 416호}}\n    postcode: \"133100\"\n    schedule: standard\n"
        f"    summary: {{zh: 第{i}科的业务, ko: 제{i}과의 업무}}\n    keywords: [科{i}]\n    parent: bureau\n"
        for i in range(units - 18))
    (menus / "units.yaml").write_text(text.replace("units:\n", "units:\n" + extra, 1), encoding="utf-8")
    started = time.perf_counter()
    hotline, problems = check_hotline(menus)
    elapsed = time.perf_counter() - started
    if hotline is None:
        raise SystemExit("\n".join(str(p) for p in problems[:5]))
    return elapsed


def postgres_source(args: argparse.Namespace) -> Any:
    """Return where the benchmark's PostgreSQL databases are created (a server given, or a private one started
    from Debian's binaries), or None when there is none."""
    from tests.postgres import ExternalPostgres, PostgresServer, find_pg_bin

    url = args.postgres or os.environ.get("IVR_BENCH_POSTGRES_URL")
    if url:
        return ExternalPostgres(url)
    bin_dir = find_pg_bin()
    if bin_dir is None:
        return None
    server = PostgresServer(bin_dir)
    server.init()
    server.start()
    return server


def bare_app() -> Flask:
    """Return the baseline: a Flask app answering every step with the same fixed TwiML of a forward."""
    from flask import Flask, Response
    from twilio.twiml.voice_response import VoiceResponse

    app = Flask("bare")

    @app.post("/voice/step")
    def fixed() -> Response:
        response = VoiceResponse()
        response.say("正在为您转接图们市民政局婚姻登记处，请稍候。", voice="Polly.Zhiyu", language="cmn-CN")
        response.dial("+864333623441", timeout=25)
        return Response(str(response.to_xml()), content_type="text/xml; charset=utf-8")

    @app.get("/health")
    def health() -> str:
        return "ok"

    return app


def serve_bare(port: int, workers: int) -> None:
    """Serve the bare app under the hotline's own server settings (threads, access log, whole-request worker)."""
    from ivr.server import ProductionServer

    ProductionServer(bare_app, f"127.0.0.1:{port}", workers).run()


def serve_bare_sync(port: int, workers: int) -> None:
    """Serve the bare app under gunicorn's defaults: sync workers, one request at a time each, no access log."""
    from gunicorn.app.base import BaseApplication

    class Defaults(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", workers)

        def load(self) -> Flask:
            return bare_app()

    Defaults().run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "bare", "bare-sync"])
    parser.add_argument("--port", type=int)
    # At most 8: a round's CallSids have the hex digit of its number, its warm-up's that number plus 8.
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 9), metavar="1-8")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--sustained", type=int, default=8, help="seconds of each of the sustained run's two rounds")
    parser.add_argument("--sustained-runs", type=int, default=2, help="sustained runs per hotline (0: none)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to create a database on")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.mode == "bare":
        serve_bare(args.port, args.workers)
        return
    if args.mode == "bare-sync":
        serve_bare_sync(args.port, args.workers)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="ivr-load-"))
    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}, Python {sys.version.split()[0]}; "
          f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds; {args.workers} workers each")
    postgres: Any = None
    servers = [bare_server(args, folder), hotline_server(args, folder, None, "SQLite")]
    try:
        if not args.no_postgres:
            postgres = postgres_source(args)
            if postgres is None:
                print("PostgreSQL: not installed here; skipped (apt-get install postgresql)")
            else:
                servers.append(hotline_server(args, folder, postgres.new_database(), "PostgreSQL"))
        for round_number in range(args.rounds):
            for number, served in enumerate(servers):
                served.start()
                try:
                    # Each round's CallSids are its own: a warm-up's prefix is the round's plus 8.
                    measure(served, folder, args, f"{round_number + 8:x}{number:x}", 2)
                    result = measure(served, folder, args, f"{round_number:x}{number:x}", args.seconds)
                    served.results.append(result)
                finally:
                    served.stop()
        report(servers)
        for served in servers[1:]:
            sustained(served, args, folder, postgres)
    finally:
        for served in servers:
            served.stop()
        if isinstance(postgres, PostgresServer):
            postgres.destroy()
    print(f"a generated 2,000-unit hotline loads and validates in {unit_load_seconds(folder):.2f} s (target < 1 s)")
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class SustainedRun:
    """One sustained run: both baselines, then one hotline server kept for two rounds."""

    bare: Result
    bare_sync: Result
    rounds: tuple[Result, Result]

    def ratios(self) -> tuple[float, float, float, float]:
        """Return the two rounds' worse throughput and p99 ratios, against the bare app and against gunicorn sync."""
        return (min(r.requests_per_second for r in self.rounds) / self.bare.requests_per_second,
                max(r.p99_ms for r in self.rounds) / self.bare.p99_ms,
                min(r.requests_per_second for r in self.rounds) / self.bare_sync.requests_per_second,
                max(r.p99_ms for r in self.rounds) / self.bare_sync.p99_ms)


def sustained(hotline: Served, args: argparse.Namespace, folder: Path, postgres: Any) -> None:
    """Keep one hotline server for two rounds back to back after measuring both baselines afresh, a few times over,
    and print each run and the median of the runs' ratios (each run's worse round)."""
    if args.sustained_runs <= 0:
        return
    label = hotline.name.split(", ")[-1]
    on_postgres = bool(hotline.database and hotline.database.startswith("postgresql"))
    kept = hotline_server(args, folder, postgres.new_database() if on_postgres else None, f"{label}-sustained")
    print(f"sustained, {label}: the same server for two {args.sustained} s rounds, against both baselines afresh")
    runs = []
    for run in range(args.sustained_runs):
        baselines = []
        for number, base in enumerate((bare_server(args, folder), bare_sync_server(args, folder))):
            base.start()
            try:
                measure(base, folder, args, f"e{2 * run + number:x}", 2)
                baselines.append(measure(base, folder, args, f"c{2 * run + number:x}", args.sustained))
            finally:
                base.stop()
        kept.start()
        try:
            measure(kept, folder, args, f"f{run:x}", 2)
            first = measure(kept, folder, args, f"d{2 * run:x}", args.sustained)
            second = measure(kept, folder, args, f"d{2 * run + 1:x}", args.sustained)
        finally:
            kept.stop()
        runs.append(SustainedRun(baselines[0], baselines[1], (first, second)))
        for result in (*baselines, first, second):
            print(f"  run {run + 1}: {result.name:<26} {result.requests_per_second:7.0f} req/s   "
                  f"p99 {result.p99_ms:6.1f} ms   errors: {result.errors}")
    throughput, tail, sync_throughput, sync_tail = (statistics.median(r.ratios()[i] for r in runs) for i in range(4))
    print(f"sustained, {label} (median of the runs, each run's worse round): throughput {throughput:.2f}x of bare, "
          f"{sync_throughput:.2f}x of gunicorn sync (target >= 0.6); p99 {tail:.2f}x of bare, {sync_tail:.2f}x of "
          f"gunicorn sync (target <= 2)")
    print(records_check(kept))


def report(servers: list[Served]) -> None:
    """Print every round's figures, each hotline's ratios to the bare app in the same round, and the records."""
    bare, hotlines = servers[0], servers[1:]
    for round_number, baseline in enumerate(bare.results):
        print(f"round {round_number + 1}")
        for served in servers:
            result = served.results[round_number]
            print(f"  {result.name:<26} {result.requests_per_second:7.0f} req/s   p50 {result.p50_ms:6.1f} ms   "
                  f"p99 {result.p99_ms:6.1f} ms   cpu {result.cpu_ms:4.2f} ms/req   "
                  f"{result.throughput_ratio(baseline)}  errors: {result.errors}")
    for served in hotlines:
        throughput = statistics.median(r.requests_per_second / b.requests_per_second
                                       for r, b in zip(served.results, bare.results, strict=True))
        tail = statistics.median(r.p99_ms / b.p99_ms for r, b in zip(served.results, bare.results, strict=True))
        cpu = statistics.median(r.cpu_ms / b.cpu_ms for r, b in zip(served.results, bare.results, strict=True))
        print(f"{served.name}: median of the rounds' ratios: throughput {throughput:.2f}x of bare (target >= 0.6), "
              f"p99 {tail:.2f}x (target <= 2); processor time a request {cpu:.2f}x bare's")
        print(f"  wrk counted {sum(r.answered for r in served.results)} answered requests in the measured rounds")
        print(records_check(served))


if __name__ == "__main__":
    main()
