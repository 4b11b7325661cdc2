"""pytest-apispec benchmark: ``python bench/run.py`` (``--quick`` for a short run, ``--help``).

Generates one workload as endpoint docs, hand-written pytest + requests tests, Tavern tests and
a plain requests loop, runs them against the same local nginx (or a stdlib stand-in), several
rounds alternating the tools, and prints medians, the ratios the issue "Speed and scale" sets
as targets, and the HTTP requests each tool made. See docs/performance.md.

Everything generated lives under bench/.work/ (git-ignored); the project's tests never see it.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import server as servers  # noqa: E402

ROOT = BENCH.parent
WORK = BENCH / ".work"
TAVERN_VENV = WORK / "tavern-venv"
TAVERN_REQUIREMENTS = ("tavern==3.7.*", "pytest==9.0.*")  # Tavern 3.7 does not load on 9.2
PYTEST_OPTS = ["-p", "no:cacheprovider", "-q"]  # --with-cacheprovider drops the first two
SCENARIOS = ("run", "collect", "memory", "xdist", "shared", "lint", "contract")
MIB = 2**20  # peak RSS is measured in MiB (ru_maxrss is in KiB); the memory target is in MB


# ---------------------------------------------------------------- measuring


@dataclass
class Sample:
    seconds: float
    cpu: float
    max_rss_mb: float
    requests: int
    ok: bool
    summary: str
    busy_before: float = 0.0


@dataclass
class Series:
    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(s.ok for s in self.samples)

    def median(self, attr: str = "seconds") -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    def spread(self) -> str:
        values = [s.seconds for s in self.samples]
        return f"{min(values):.2f}-{max(values):.2f}"


def cpu_busy(interval: float = 0.5) -> float:
    """Cores' worth of CPU busy over ``interval`` (from /proc/stat); 0.0 where unavailable."""

    def snapshot() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + values[4]

    try:
        total0, idle0 = snapshot()
        time.sleep(interval)
        total1, idle1 = snapshot()
    except (OSError, ValueError, IndexError):
        return 0.0
    cores = os.cpu_count() or 1
    return cores * (1 - (idle1 - idle0) / max(1, total1 - total0))


QUIET = {"max_wait": 30.0, "threshold": 0.35, "waited": 0.0}


def wait_until_quiet() -> float:
    """Wait (up to QUIET["max_wait"] s) until other processes use < threshold of a core."""
    deadline = time.monotonic() + QUIET["max_wait"]
    busy = cpu_busy()
    while busy > QUIET["threshold"] and time.monotonic() < deadline:
        QUIET["waited"] += 0.5
        busy = cpu_busy()
    return busy


def run_process(
    cmd: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    server: servers.Server | None = None,
    expect: str | None = None,
) -> Sample:
    """Run one whole process; wall time, CPU time and peak RSS come from its own rusage."""
    busy = wait_until_quiet() if QUIET["max_wait"] > 0 else 0.0
    with tempfile.TemporaryFile() as out:
        before = server.requests() if server else 0
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    made = server.requests() - before if server else 0
    lines = [line for line in text.strip().splitlines() if line.strip()]
    summary = lines[-1] if lines else ""
    ok = proc.returncode == 0 and (expect is None or re.search(expect, text) is not None)
    if not ok:
        print(f"\n!! {' '.join(cmd)} (in {cwd}) exited {proc.returncode}:", file=sys.stderr)
        print("\n".join(lines[-25:]), file=sys.stderr)
    return Sample(
        seconds=seconds,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss * 1024 / MIB,
        requests=made,
        ok=ok,
        summary=summary,
        busy_before=busy,
    )


def alternate(
    rounds: int,
    tools: dict[str, Callable[[], Sample]],
    warmup: bool = True,
) -> dict[str, Series]:
    """Run every tool once per round, in an order shuffled each round; warm-up untimed.

    Shuffled, not rotated: a rotation keeps every tool right after the same neighbour in every
    round, and on a shared virtual machine the process after a long CPU-bound one (Tavern)
    can be the slower for it. The shuffle is seeded, so runs are repeatable.
    """
    series = {name: Series(name) for name in tools}
    names = list(tools)
    if warmup:
        for name in names:
            tools[name]()
    shuffler = random.Random(len(names) * 1000 + rounds)
    for round_ in range(rounds):
        order = shuffler.sample(names, len(names))
        for name in order:
            sample = tools[name]()
            series[name].samples.append(sample)
            print(
                f"   round {round_ + 1}/{rounds} {name:<22} {sample.seconds:7.2f} s"
                f"  cpu {sample.cpu:6.2f} s  rss {sample.max_rss_mb:6.0f} MiB"
                f"  req {sample.requests:6d}  {'ok' if sample.ok else 'FAILED'}"
                f"  (others busy {sample.busy_before:.2f} cores before)",
                flush=True,
            )
    return series


# ---------------------------------------------------------------- environment


def child_env(
    args: argparse.Namespace, base_url: str | None = None, code_dir: str | None = None
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("API_", "PYTEST_", "BENCH_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    if args.no_bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if base_url:
        env["API_BASE_URL"] = base_url
    env["API_TOKEN_STAFF"] = generate.TOKEN
    env["BENCH_BUSINESS_ID"] = generate.BUSINESS_ID
    code_dir = code_dir or args.code_dir
    if code_dir:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [code_dir, env.get("PYTHONPATH")]))
    return env


def add_compared(
    args: argparse.Namespace,
    tools: dict[str, Callable[[], Sample]],
    cmd: list[str],
    cwd: Path,
    base_url: str | None,
    server: servers.Server | None,
    expect: str,
) -> None:
    """With --compare REV: the same pytest-apispec run, with the package as committed at REV."""
    if args.compare_dir:
        env = child_env(args, base_url, args.compare_dir)
        # its own .pyc files and parse caches: one version must not overwrite the other's
        env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache-compare")
        tools[f"pytest-apispec @{args.compare}"] = functools.partial(
            run_process, cmd, cwd, env, server, expect
        )


def snapshot(commit: str) -> str:
    """The package as committed at ``commit``, unpacked under bench/.work (``git archive``).

    On ``PYTHONPATH`` it comes before the editable install, so the pytest11 entry point loads
    it: the same benchmark can measure any commit, and the working tree may change meanwhile.
    """
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    target = WORK / "code" / rev
    if not (target / "pytest_apispec" / "plugin.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "pytest_apispec"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    probe = subprocess.run(
        [sys.executable, "-c", "import pytest_apispec.plugin as p; print(p.__file__)"],
        env={**os.environ, "PYTHONPATH": str(target)},
        cwd=WORK,
        capture_output=True,
        text=True,
    )
    if not probe.stdout.startswith(str(target)):
        raise SystemExit(f"the snapshot of {commit} in {target} is not the one imported")
    print(f"# measuring pytest_apispec as committed at {rev} ({target.relative_to(ROOT)})")
    return str(target)


USER_VENV = WORK / "venv"
USER_REQUIREMENTS = ("pytest-xdist==3.8.*",)


def in_user_venv(argv: Sequence[str]) -> None:
    """Re-run this script in ``bench/.work/venv``: pytest-apispec installed as a user installs
    it (with its dependencies and pytest-xdist, nothing else), so that neither side pays for
    the plugins of our development environment (hypothesis, pytest-html, ...) at every start.
    The code measured is still the working tree (or ``--commit``): it comes first on
    ``PYTHONPATH``."""
    if Path(sys.prefix).resolve() == USER_VENV.resolve() or "--same-python" in argv:
        return
    python = USER_VENV / "bin" / "python"
    stamp = USER_VENV / "installed-from"
    wanted = (ROOT / "pyproject.toml").read_text() + repr(USER_REQUIREMENTS)
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print(f"## installing pytest-apispec into {USER_VENV.relative_to(ROOT)} ...", flush=True)
        if USER_VENV.exists():
            shutil.rmtree(USER_VENV)
        subprocess.run([sys.executable, "-m", "venv", str(USER_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, str(ROOT), *USER_REQUIREMENTS], check=True)
        stamp.write_text(wanted)
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])


def pytest_cmd() -> list[str]:
    script = Path(sys.executable).with_name("pytest")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]


def ensure_tavern(args: argparse.Namespace) -> Path | None:
    """Tavern in its own virtual environment (its pytest pin differs from ours)."""
    if args.no_tavern:
        return None
    pytest_bin = TAVERN_VENV / "bin" / "pytest"
    probe = [str(TAVERN_VENV / "bin" / "python"), "-c", "import tavern, pytest"]
    if pytest_bin.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return pytest_bin
    print(f"## installing Tavern into {TAVERN_VENV.relative_to(ROOT)} ...", flush=True)
    if TAVERN_VENV.exists():
        shutil.rmtree(TAVERN_VENV)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(TAVERN_VENV)], check=True)
        pip = [str(TAVERN_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, *TAVERN_REQUIREMENTS], check=True)
    except subprocess.CalledProcessError as exc:
        print(f"## Tavern could not be installed ({exc}); Tavern is left out", file=sys.stderr)
        return None
    return pytest_bin


def start_server(
    args: argparse.Namespace, name: str, latency: float = 0.0, varied: bool = False
) -> servers.Server:
    server = servers.start(
        WORK / "server" / name,
        latency,
        prefer=args.server,
        install=not args.no_install,
        varied=varied,
    )
    bodies = ", a body per request URI" if varied else ""
    print(
        f"## server: {server.kind} at {server.url} (latency {latency * 1000:g} ms{bodies})",
        flush=True,
    )
    return server


# ---------------------------------------------------------------- scenarios


@dataclass
class Ratio:
    label: str
    value: float | None
    target: float
    higher_is_better: bool = False
    unit: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


@dataclass
class Report:
    ratios: list[Ratio] = field(default_factory=list)
    tables: dict[str, dict[str, dict[str, float | int | bool | str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, title: str, series: dict[str, Series]) -> None:
        self.tables[title] = {
            name: {
                "median_s": round(s.median(), 3),
                "spread_s": s.spread(),
                "median_cpu_s": round(s.median("cpu"), 3),
                "median_rss_mb": round(s.median("max_rss_mb"), 1),
                "requests": s.samples[-1].requests if s.samples else 0,
                "rounds": len(s.samples),
                "ok": s.ok,
            }
            for name, s in series.items()
        }


def ratio(series: dict[str, Series], a: str, b: str) -> float | None:
    if a not in series or b not in series or not (series[a].ok and series[b].ok):
        return None
    return series[a].median() / series[b].median()


def round_ratios(series: dict[str, Series], a: str, b: str) -> list[float]:
    """``a`` / ``b`` within each round: steadier than a ratio of medians where the machine's
    speed drifts from round to round (both sides of a round see the same drift)."""
    if a not in series or b not in series:
        return []
    pairs = zip(series[a].samples, series[b].samples, strict=False)
    return [x.seconds / y.seconds for x, y in pairs if y.seconds > 0]


def scenario_run(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    n = args.docs
    print(f"\n# run: {n} docs, 3 requests each ({args.rounds} rounds)", flush=True)
    docs = generate.endpoint_docs(WORK / f"docs-{n}", n)
    py = generate.pytest_files(WORK / f"pytest-{n}", n)
    tav = generate.tavern_files(WORK / f"tavern-{n}", n) if tavern else None
    with start_server(args, "main") as server:
        env = child_env(args, server.url)
        passed = rf"\b{n} passed"
        tools: dict[str, Callable[[], Sample]] = {
            "pytest-apispec": lambda: run_process(
                [*pytest_cmd(), *PYTEST_OPTS], docs, env, server, passed
            ),
            "hand-written pytest": lambda: run_process(
                [*pytest_cmd(), *PYTEST_OPTS], py, env, server, passed
            ),
            "requests loop": lambda: run_process(
                [sys.executable, str(BENCH / "raw_loop.py"), str(n)], WORK, env, server, passed
            ),
        }
        add_compared(args, tools, [*pytest_cmd(), *PYTEST_OPTS], docs, server.url, server, passed)
        if tavern and tav:
            cfg = generate.tavern_global_config(WORK / "tavern-global.yaml", server.url)
            tools["Tavern"] = lambda: run_process(
                [str(tavern), *PYTEST_OPTS, "--tavern-global-cfg", str(cfg)],
                tav,
                env,
                server,
                passed,
            )
        series = alternate(args.rounds, tools)
    report.table(f"run, {n} docs (wall s)", series)
    for name, s in series.items():
        if s.samples and s.samples[-1].requests != 3 * n:
            report.notes.append(f"run: {name} made {s.samples[-1].requests} requests, not {3 * n}")
    report.ratios += [
        Ratio(f"run {n} docs: ours / hand-written pytest", ratio(series, *_k("h")), 0.9),
        Ratio(f"run {n} docs: ours / Tavern", ratio(series, "pytest-apispec", "Tavern"), 0.25),
        Ratio(f"run {n} docs: ours / requests loop", ratio(series, *_k("r")), 1.6),
    ]


def _k(which: str) -> tuple[str, str]:
    return "pytest-apispec", {"h": "hand-written pytest", "r": "requests loop"}[which]


def scenario_collect(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    n = args.collect_docs
    print(f"\n# collect: --collect-only of {n} files ({args.collect_rounds} rounds)", flush=True)
    docs = generate.endpoint_docs(WORK / f"docs-{n}", n)
    py = generate.pytest_files(WORK / f"pytest-{n}", n)
    tav = generate.tavern_files(WORK / f"tavern-{n}", n) if tavern else None
    env = child_env(args)
    collected = rf"\b{n} tests? collected"
    opts = [*PYTEST_OPTS, "--collect-only"]
    tools: dict[str, Callable[[], Sample]] = {
        "pytest-apispec": lambda: run_process([*pytest_cmd(), *opts], docs, env, None, collected),
        "one-test .py files": lambda: run_process([*pytest_cmd(), *opts], py, env, None, collected),
    }
    add_compared(args, tools, [*pytest_cmd(), *opts], docs, None, None, collected)
    if tavern and tav:
        tools["Tavern"] = lambda: run_process([str(tavern), *opts], tav, env, None, collected)
    series = alternate(args.collect_rounds, tools)
    report.table(f"collect-only, {n} files (wall s)", series)
    report.ratios += [
        Ratio(
            f"--collect-only {n}: ours / .py files",
            ratio(series, "pytest-apispec", "one-test .py files"),
            0.5,
        ),
        Ratio(
            f"--collect-only {n}: ours / Tavern", ratio(series, "pytest-apispec", "Tavern"), 0.25
        ),
    ]


def scenario_lint(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    """--api-lint of the collect scenario's docs against their --collect-only, alternately."""
    n = args.collect_docs
    print(
        f"\n# lint: --api-lint of {n} docs, and their --collect-only ({args.collect_rounds} rounds)"
    )
    docs = generate.endpoint_docs(WORK / f"docs-{n}", n)
    env = child_env(args)
    collect = [*pytest_cmd(), *PYTEST_OPTS, "--collect-only"]
    lint = [*pytest_cmd(), *PYTEST_OPTS, "--api-lint"]
    tools: dict[str, Callable[[], Sample]] = {
        "--collect-only": lambda: run_process(collect, docs, env, None, rf"\b{n} tests? collected"),
        "--api-lint": lambda: run_process(lint, docs, env, None, rf"\b{n} passed"),
    }
    series = alternate(args.collect_rounds, tools)
    report.table(f"lint, {n} docs (wall s)", series)
    report.ratios.append(
        Ratio(
            f"--api-lint {n} / --collect-only", ratio(series, "--api-lint", "--collect-only"), 1.5
        )
    )


def scenario_memory(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    n = args.memory_docs
    print(f"\n# memory: peak RSS of --collect-only of {n} docs", flush=True)
    docs = generate.endpoint_docs(WORK / f"docs-{n}", n)
    env = child_env(args)
    opts = [*PYTEST_OPTS, "--collect-only"]
    collected = rf"\b{n} tests? collected"
    tools: dict[str, Callable[[], Sample]] = {
        "pytest-apispec": functools.partial(
            run_process, [*pytest_cmd(), *opts], docs, env, None, collected
        )
    }
    add_compared(args, tools, [*pytest_cmd(), *opts], docs, None, None, collected)
    series = alternate(1, tools, warmup=False)
    report.table(f"collect-only, {n} docs (peak RSS)", series)
    s = series["pytest-apispec"]
    report.ratios.append(
        Ratio(
            f"peak RSS collecting {n} docs",
            s.median("max_rss_mb") * MIB / 1e6 if s.ok else None,  # the target is in MB
            300,
            unit=" MB",
        )
    )


def scenario_xdist(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    n, workers, latency = args.xdist_docs, args.workers, args.latency
    sizes = [n, 2 * n] if args.xdist_marginal else [n]
    print(
        f"\n# xdist: {' and '.join(map(str, sizes))} docs against {latency * 1000:g} ms latency,"
        f" serial vs -n {workers} ({args.xdist_rounds} rounds)",
        flush=True,
    )
    tools: dict[str, Callable[[], Sample]] = {}
    with start_server(args, "latency", latency) as server:
        env = child_env(args, server.url)
        cmd = [*pytest_cmd(), *PYTEST_OPTS]

        def serial_and_parallel(prefix: str, folder: Path, size: int) -> None:
            passed = rf"\b{size} passed"
            tools[f"{prefix}serial, {size} docs"] = functools.partial(
                run_process, cmd, folder, env, server, passed
            )
            tools[f"{prefix}-n {workers}, {size} docs"] = functools.partial(
                run_process, [*cmd, "-n", str(workers)], folder, env, server, passed
            )

        for size in sizes:
            serial_and_parallel("", generate.endpoint_docs(WORK / f"docs-{size}", size), size)
        # the same workload as hand-written tests: what pytest-xdist itself gives on this machine
        serial_and_parallel("hand-written ", generate.pytest_files(WORK / f"pytest-{n}", n), n)
        series = alternate(args.xdist_rounds, tools, warmup=False)
    report.table(f"xdist at {latency * 1000:g} ms latency (wall s)", series)
    at = f"{latency * 1000:g} ms"
    speedup = ratio(series, f"serial, {n} docs", f"-n {workers}, {n} docs")
    report.ratios.append(Ratio(f"-n {workers} speed-up, {n} docs at {at}", speedup, 3.0, True, "x"))
    by_hand = ratio(
        series, f"hand-written serial, {n} docs", f"hand-written -n {workers}, {n} docs"
    )
    if by_hand is not None:
        report.notes.append(
            f"xdist: hand-written pytest tests of the same workload get {by_hand:.2f}x from "
            f"-n {workers} at {n} docs"
        )
    if args.xdist_marginal:
        names = [f"{kind}, {size} docs" for kind in ("serial", f"-n {workers}") for size in sizes]
        if all(series[name].ok for name in names):
            s1, s2, x1, x2 = (series[name].median() for name in names)
            report.notes.append(
                f"xdist: each further {n} docs cost {s2 - s1:.2f} s serial and {x2 - x1:.2f} s "
                f"with -n {workers}: a {(s2 - s1) / max(x2 - x1, 1e-9):.1f}x speed-up once "
                f"the workers have started (starting them costs about "
                f"{max(0.0, x1 - (x2 - x1)):.1f} s on this machine)"
            )


def scenario_shared(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    n = args.shared_docs
    print(f"\n# shared: {n} docs with the same scope: session lookup step", flush=True)
    docs = generate.endpoint_docs(WORK / f"docs-shared-{n}", n, shared=True)
    with start_server(args, "shared") as server:
        env = child_env(args, server.url)
        before = server.count_path("/bench/v1/clients")
        series = alternate(
            1,
            {
                "pytest-apispec": lambda: run_process(
                    [*pytest_cmd(), *PYTEST_OPTS], docs, env, server, rf"\b{n} passed"
                )
            },
            warmup=False,
        )
        lookups = server.count_path("/bench/v1/clients") - before
    report.table(f"shared lookup, {n} docs (wall s)", series)
    s = series["pytest-apispec"]
    total = s.samples[0].requests if s.samples else 0
    report.notes.append(
        f"shared: {n} docs made {total} requests, {lookups} of them the shared lookup "
        f"(function scope would make {3 * n})"
    )
    report.ratios.append(
        Ratio(f"shared lookup requests for {n} docs", float(lookups) if s.ok else None, 1)
    )


LOAD_CONTRACT = """\
import sys, time
from pathlib import Path
started = time.perf_counter()
from pytest_apispec.contracts import loader, paths
contract = loader.load(Path(sys.argv[1]))
paths.index_of(contract)
loaded = time.perf_counter()
from pytest_apispec.contracts import schemas
schemas.validator_class(schemas.Dialect.OAS30, schemas.Direction.RESPONSE)
print(f"{loaded - started:.4f} {time.perf_counter() - loaded:.4f} {len(contract.operations)}")
"""


def scenario_contract(args: argparse.Namespace, report: Report, tavern: Path | None) -> None:
    """The same docs with and without their contract check, side by side, and the load time."""
    n = args.docs
    print(
        f"\n# contract: {n} docs naming one generated contract ({args.rounds} rounds)", flush=True
    )
    docs = generate.contract_docs(WORK / f"docs-contract-{n}", n)
    contract = docs / generate.CONTRACT_FILE
    size = contract.stat().st_size / 1e6
    # a body per request URI: only a request made again gets an answer checked before
    with start_server(args, "contract", varied=True) as server:
        env = child_env(args, server.url)
        passed = rf"\b{n} passed"
        cmd = [*pytest_cmd(), *PYTEST_OPTS]
        tools: dict[str, Callable[[], Sample]] = {
            "with the contract": lambda: run_process(cmd, docs, env, server, passed),
            "without (off)": lambda: run_process(
                [*cmd, "--api-contract=off"], docs, env, server, passed
            ),
        }
        add_compared(args, tools, cmd, docs, server.url, server, passed)
        series = alternate(args.rounds, tools)
    report.table(f"contract, {n} docs, one {size:.1f} MB contract (wall s)", series)
    loads, imports = [], []
    for _ in range(args.rounds):
        out = subprocess.run(
            [sys.executable, "-c", LOAD_CONTRACT, str(contract)],
            env=child_env(args),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        loads.append(float(out[0]))
        imports.append(float(out[1]))
        operations = out[2]
    report.notes.append(
        f"contract: {size:.1f} MB, {operations} operations; load and index "
        f"{statistics.median(loads):.3f} s (range {min(loads):.3f}-{max(loads):.3f}), "
        f"validator import {statistics.median(imports):.3f} s, medians of {args.rounds}"
    )
    paired = round_ratios(series, "with the contract", "without (off)")
    if paired:
        report.notes.append(
            f"contract: with / without within each round: median {statistics.median(paired):.2f}"
            f" (range {min(paired):.2f}-{max(paired):.2f}, {len(paired)} rounds)"
        )
    report.ratios += [
        Ratio(
            f"run {n} docs with / without a {size:.0f} MB contract",
            ratio(series, "with the contract", "without (off)"),
            1.15,
        ),
        Ratio("contract load and index, per process", statistics.median(loads), 0.3, unit=" s"),
    ]


# ---------------------------------------------------------------- profiling


def profile(args: argparse.Namespace, report: Report) -> None:
    """cProfile our collection (collect_docs) and our run (docs); print our hot spots."""
    import pstats

    out = WORK / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    n_collect, n_run = args.collect_docs, args.docs
    docs_c = generate.endpoint_docs(WORK / f"docs-{n_collect}", n_collect)
    docs_r = generate.endpoint_docs(WORK / f"docs-{n_run}", n_run)
    profiles = []
    with start_server(args, "profile") as server:
        env = child_env(args, server.url)
        for label, cwd, extra in (
            (f"collect-{n_collect}", docs_c, ["--collect-only"]),
            (f"run-{n_run}", docs_r, []),
        ):
            prof = out / f"{label}.prof"
            cmd = [sys.executable, str(BENCH / "profile_pytest.py"), str(prof)]
            sample = run_process([*cmd, *PYTEST_OPTS, *extra], cwd, env, server)
            profiles.append((label, prof, sample))
    for label, prof, _sample in profiles:
        stats = pstats.Stats(str(prof))
        total = stats.total_tt  # type: ignore[attr-defined]
        print(
            f"\n## profile {label}: {total:.2f} s under cProfile, all threads "
            f"({prof.relative_to(ROOT)}; open it with python -m pstats)"
        )
        rows = []
        for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((ct, tt, nc, filename, line, func))
        ours = [r for r in rows if "pytest_apispec" in r[3]]
        print("   our functions by cumulative time:")
        for ct, tt, nc, filename, line, func in sorted(ours, reverse=True)[: args.profile_top]:
            where = f"{Path(filename).name}:{line}({func})"
            print(
                f"   {ct:7.2f} s cum {100 * ct / total:5.1f}%  {tt:6.2f} s own  {nc:7d}x  {where}"
            )
        waits = [r for r in rows if "_queue.SimpleQueue" in r[5]]
        if waits:
            print(
                f"   (threads waiting for each other, left out below: "
                f"{sum(r[1] for r in waits):.2f} s in SimpleQueue.get)"
            )
        print("   everything by own time:")
        busy = [r for r in rows if r not in waits]
        for ct, tt, nc, filename, line, func in sorted(busy, key=lambda r: -r[1])[:12]:
            where = f"{_short(filename)}:{line}({func})"
            print(
                f"   {tt:7.2f} s own {100 * tt / total:5.1f}%  {ct:6.2f} s cum  {nc:7d}x  {where}"
            )


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    p.add_argument("--quick", action="store_true", help="small sizes, few rounds (2-3 min)")
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma list of " + ", ".join(SCENARIOS)
    )
    p.add_argument("--profile", action="store_true", help="also cProfile our collection and run")
    p.add_argument("--profile-only", action="store_true", help="only the cProfile step")
    p.add_argument("--profile-top", type=int, default=15, help="rows per profile table")
    p.add_argument("--docs", type=int, help="docs in the run scenario (300)")
    p.add_argument("--rounds", type=int, help="rounds of the run scenario (7)")
    p.add_argument("--collect-docs", type=int, help="files in the collect scenario (5000)")
    p.add_argument("--collect-rounds", type=int, help="rounds of the collect scenario (3)")
    p.add_argument("--memory-docs", type=int, help="docs in the memory scenario (20000)")
    p.add_argument("--xdist-docs", type=int, help="docs in the xdist scenario (200)")
    p.add_argument("--xdist-rounds", type=int, help="rounds of the xdist scenario (3)")
    p.add_argument(
        "--no-xdist-marginal",
        dest="xdist_marginal",
        action="store_false",
        help="skip the 2x-size xdist runs that separate worker start-up from throughput",
    )
    p.add_argument("--workers", type=int, default=4, help="xdist workers (4)")
    p.add_argument("--latency", type=float, default=0.02, help="xdist server latency, s (0.02)")
    p.add_argument("--shared-docs", type=int, help="docs in the shared scenario (1000)")
    p.add_argument(
        "--server", choices=("auto", "nginx", "python"), default="auto", help="server (auto)"
    )
    p.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    p.add_argument("--no-tavern", action="store_true", help="leave Tavern out")
    p.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run every tool with PYTHONDONTWRITEBYTECODE=1 (cold .pyc, like a fresh CI clone)",
    )
    p.add_argument(
        "--max-quiet-wait",
        type=float,
        default=30.0,
        help="before each timed process, wait up to this many seconds for other processes "
        "to leave the CPU idle (0: never wait); default 30",
    )
    p.add_argument(
        "--with-cacheprovider",
        action="store_true",
        help="run pytest without '-p no:cacheprovider' (both sides), so caches kept in "
        ".pytest_cache (lastfailed, a parse cache) are in play after the warm-up round",
    )
    p.add_argument(
        "--commit",
        help="measure pytest_apispec as committed at this git revision (unpacked with git "
        "archive under bench/.work/code/) instead of the working tree",
    )
    p.add_argument(
        "--compare",
        metavar="REV",
        help="also run pytest-apispec as committed at REV, in the same rounds (run and "
        "collect scenarios): before/after figures that share the machine's conditions",
    )
    p.add_argument(
        "--same-python",
        action="store_true",
        help="run with this interpreter and its installed plugins instead of bench/.work/venv",
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    full = {
        "docs": 300,
        "rounds": 7,
        "collect_docs": 5000,
        "collect_rounds": 3,
        "memory_docs": 20000,
        "xdist_docs": 200,
        "xdist_rounds": 3,
        "shared_docs": 1000,
    }
    quick = {
        "docs": 100,
        "rounds": 3,
        "collect_docs": 1000,
        "collect_rounds": 2,
        "memory_docs": 5000,
        "xdist_docs": 100,
        "xdist_rounds": 2,
        "shared_docs": 200,
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    in_user_venv(argv)
    args = parse_args(argv)
    QUIET["max_wait"] = args.max_quiet_wait
    args.code_dir = snapshot(args.commit) if args.commit else str(ROOT)
    args.compare_dir = snapshot(args.compare) if args.compare else None
    if args.with_cacheprovider:
        PYTEST_OPTS[:] = ["-q"]
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report = Report()
    print(
        f"# pytest-apispec benchmark {datetime.datetime.now():%Y-%m-%d %H:%M}; "
        f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    print(
        f"# pytest options {' '.join(PYTEST_OPTS)}; .pyc cache "
        f"{'off' if args.no_bytecode_cache else 'on'}; server {args.server}; "
        f"interpreter {sys.prefix}",
        flush=True,
    )
    chosen = (
        [] if args.profile_only else [s.strip() for s in args.scenarios.split(",") if s.strip()]
    )
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    tavern = ensure_tavern(args) if {"run", "collect"} & set(chosen) else None
    runners = {
        "run": scenario_run,
        "collect": scenario_collect,
        "memory": scenario_memory,
        "xdist": scenario_xdist,
        "shared": scenario_shared,
        "lint": scenario_lint,
        "contract": scenario_contract,
    }
    for name in SCENARIOS:
        if name in chosen:
            runners[name](args, report, tavern)
    if args.profile or args.profile_only:
        profile(args, report)
    print_report(report, args, time.perf_counter() - started)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "ratios": [asdict(r) for r in report.ratios],
                    "tables": report.tables,
                    "notes": report.notes,
                },
                indent=2,
            )
        )
    failed = [
        name for rows in report.tables.values() for name, row in rows.items() if not row["ok"]
    ]
    if failed:
        print(f"\nFAILED runs: {', '.join(failed)} (their output is above)", file=sys.stderr)
    return 1 if failed else 0


def print_report(report: Report, args: argparse.Namespace, elapsed: float) -> None:
    print(f"\n# results ({'quick' if args.quick else 'full'} mode, {elapsed:.0f} s in all)")
    for title, rows in report.tables.items():
        print(f"\n{title}")
        w = max([22, *map(len, rows)])  # the widest tool name
        print(
            f"  {'tool':<{w}} {'median':>8} {'range':>12} {'cpu':>7} {'peak RSS':>9} "
            f"{'requests':>9}"
        )
        for name, row in rows.items():
            flag = "" if row["ok"] else "  FAILED"
            print(
                f"  {name:<{w}} {row['median_s']:>8.2f} {row['spread_s']:>12} "
                f"{row['median_cpu_s']:>7.2f} {row['median_rss_mb']:>5.0f} MiB "
                f"{row['requests']:>9}{flag}"
            )
    print("\ntargets")
    for r in report.ratios:
        if r.value is None:
            verdict, shown = "n/a", "-"
        else:
            verdict = "met" if r.met else "MISSED"
            shown = f"{r.value:.2f}{r.unit}" if r.unit != " MB" else f"{r.value:.0f} MB"
        op = ">=" if r.higher_is_better else "<="
        target = f"{r.target:g}{r.unit}"
        print(f"  {r.label:<48} {shown:>9}  target {op} {target:<8} {verdict}")
    for note in report.notes:
        print(f"  note: {note}")


if __name__ == "__main__":
    sys.exit(main())
