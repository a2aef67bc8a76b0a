"""Many users at once: 10, 25 and 50 sessions move through the pages of a real
`streamlit run` server while `tablero importar` loads a file into the same store, on the demo
store and on a national one (README, "Rendimiento" and "Más allá de un servidor").

Each session speaks Streamlit's own WebSocket protocol, as the browser does after loading the
page: it connects to ``/_stcore/stream``, asks for a page (a ``rerun_script`` message naming
it) and reads the server's messages until the run finishes. A page view counts as rendered
when the page's title (its ``h1``) arrived and the run finished successfully; an exception
box, an error box, a missing title, a run that did not finish, or a dropped connection is an
error. Why not one Chromium context per session: on this 2-core machine 50 Chromium renderers
take several times the server's CPU, so the wall times would measure Chromium; this client
costs a protobuf parse per message, and the server does the same work for it as for a browser
(the browser's other requests, static files, are served once per visit and cached).

For each store it prints, per wave of N sessions, the p50 and p95 of a page view (request to
rendered, seconds), the server's CPU seconds per page view (utime + stime of the server
process from /proc, over the wave, divided by the views), errors (none allowed), memory per
session (the server's RSS with the N sessions connected minus before, divided by N) and how
the import went. Then, with caches warm and no import, the server's CPU per view of each page
(one session, each page several times; with ``--referencia``, a session on the other code's
server too, the two taking turns view by view): the target is ≤ 0,15 s.

Run: ``python bench/bench_sessions.py [--sesiones 10,25,50] [--escala 0.1] [--sin-nacional]
[--sin-demo] [--sin-tandas] [--supervisor] [--referencia OTRA_COPIA]`` (``--supervisor``: the
sessions are supervisors of every DEPROV, a scope of every school as a set, instead of
administrators)
(Linux: it reads /proc). The national store is built once into bench/out/ (as
``bench_indicators.py`` does) at ``--escala`` of the country (0,1: 1.100 establecimientos).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["", "antes", "durante", "resultados", "impacto", "comunidades"]
"""The pages a session visits, in order (by address; "" is Inicio)."""
PAGE_TITLES = {
    "": "Tablero DPD — ",
    "antes": "Antes — ",
    "durante": "Durante — ",
    "resultados": "Resultados — ",
    "impacto": "Impacto — ",
    "comunidades": "Comunidades — ",
}
"""How each page's title starts: the element a view waits for."""
PAGE_NAMES = {
    "": "Inicio",
    "antes": "Antes",
    "durante": "Durante",
    "resultados": "Resultados",
    "impacto": "Impacto",
    "comunidades": "Comunidades",
}
VIEW_TIMEOUT = 300.0
TARGET_CPU = 0.15
NAN = float("nan")
SCHOOLS = "rbd;nombre;comuna\n" + "".join(
    f"{91000 + i};Escuela de medición {i};Puerto Aromo\n" for i in range(1, 41)
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Tally:
    """What the sessions of one wave saw."""

    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


USER = "medicion{}@tablero.cl"
"""The accounts of the sessions, one per person: concurrent attempts on one account count
against its lockout (a person signing in 50 times at once looks like an attack)."""
PASSWORD = "una clave larga de medición 2026"


def _rerun_message(page: str, widgets: dict[str, str | bool] | None = None) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_name = page
    msg.rerun_script.page_script_hash = ""
    for wid, value in (widgets or {}).items():
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = wid
        if isinstance(value, bool):
            state.trigger_value = value
        else:
            state.string_value = value
    return msg.SerializeToString()


async def sign_in(ws, email: str) -> str | None:  # type: ignore[no-untyped-def]
    """Fill in the sign-in form as a person does (e-mail, password, «Ingresar»); None when
    Inicio opened, else what went wrong."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await ws.send(_rerun_message(""))
    ids: dict[str, str] = {}
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=VIEW_TIMEOUT))
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "text_input":
                ids[element.text_input.label] = element.text_input.id
            elif which == "button" and element.button.is_form_submitter:
                ids["submit"] = element.button.id
        elif (
            kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            break
    if "submit" not in ids:
        return "no apareció el formulario de ingreso"
    widgets: dict[str, str | bool] = {
        ids["Correo electrónico"]: email,
        ids["Contraseña"]: PASSWORD,
        ids["submit"]: True,
    }
    _, error = await view(ws, "", widgets)
    return error


async def view(  # type: ignore[no-untyped-def]
    ws, page: str, widgets: dict[str, str | bool] | None = None
) -> tuple[float, str | None]:
    """Ask for ``page`` and read until its run finishes: (seconds, error or None)."""
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    start = time.perf_counter()
    await ws.send(_rerun_message(page, widgets))
    title = False
    error: str | None = None
    seen: list[str] = []  # the headings and notices drawn, to say what came instead
    deadline = start + VIEW_TIMEOUT
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return time.perf_counter() - start, "la página no terminó a tiempo"
        raw = await asyncio.wait_for(ws.recv(), timeout=left)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "heading" and element.heading.body.startswith(PAGE_TITLES[page]):
                title = True
            elif which in ("heading", "alert"):
                body = element.heading.body if which == "heading" else element.alert.body
                seen.append(body[:60])
            elif which == "exception":
                error = error or f"excepción: {element.exception.message[:80]}"
            elif which == "alert" and element.alert.format == Alert.ERROR:
                error = error or f"aviso de error: {element.alert.body[:80]}"
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # a rerun of the same session follows (the page handed over to app.py)
            elapsed = time.perf_counter() - start
            if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                return elapsed, error or f"la página terminó con estado {status}"
            if not title:
                return elapsed, error or f"la página no mostró su título ({' | '.join(seen[:3])})"
            return elapsed, error
        elif kind == "page_not_found":
            return time.perf_counter() - start, "página no encontrada"


@dataclass
class Wave:
    """The steps of a wave that every session passes together."""

    n: int
    signed_in: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))
    go: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))
    hold: asyncio.Event = field(default_factory=asyncio.Event)


async def session(url: str, pages: list[str], tally: Tally, steps: Wave, email: str) -> None:
    """One person: connect and sign in, wait for the others, visit ``pages`` one after the
    other, and stay connected until the server's memory was read."""
    import websockets

    signed = finished = False
    try:
        async with websockets.connect(
            url.replace("http", "ws") + "/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            max_size=None,
            open_timeout=VIEW_TIMEOUT,
            ping_interval=None,
        ) as ws:
            error = await sign_in(ws, email)
            if error:
                tally.errors.append(f"ingreso: {error}")
            signed = True
            steps.signed_in.release()
            await steps.go.wait()
            for page in pages:
                try:
                    seconds, error = await view(ws, page)
                except TimeoutError:
                    tally.errors.append(f"{PAGE_NAMES[page]}: sin respuesta")
                    continue
                if error:
                    tally.errors.append(f"{PAGE_NAMES[page]}: {error}")
                else:
                    tally.times.append(seconds)
            finished = True
            steps.done.release()
            await steps.hold.wait()  # connected while the server's memory is read
    except Exception as exc:  # a dropped or refused connection is an error of the server
        tally.errors.append(f"conexión: {type(exc).__name__}: {exc}"[:120])
        if not signed:
            steps.signed_in.release()
        if not finished:
            steps.done.release()


async def wave(
    url: str, n: int, pages: list[str], pid: int, started: Any = None
) -> tuple[Tally, float, float, float]:
    """N sessions at once: they sign in, then (``started()`` called) each goes through
    ``pages``. Returns their tally, the server's CPU seconds from the start to the last page,
    its RSS before they connected and with them connected after their pages (MB)."""
    tally = Tally()
    steps = Wave(n)
    rss0 = rss_mb(pid)
    tasks = [
        asyncio.create_task(session(url, pages, tally, steps, USER.format(i))) for i in range(n)
    ]
    for _ in range(n):
        await steps.signed_in.acquire()
    cpu0 = cpu_seconds(pid)
    if started is not None:
        started()
    steps.go.set()
    for _ in range(n):
        await steps.done.acquire()
    cpu = cpu_seconds(pid) - cpu0
    rss = rss_mb(pid)
    steps.hold.set()
    await asyncio.gather(*tasks)
    return tally, cpu, rss0, rss


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) > 1 else float("nan")


def fmt(x: float, decimals: int = 1) -> str:
    return (
        "–"
        if x != x
        else f"{x:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    )


def start_server(
    db: Path, env: dict[str, str], root: Path = ROOT
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true"],
        cwd=root,
        env={**env, "TABLERO_DB": str(db), "PYTHONPATH": str(root / "src")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
            break
        except OSError:
            time.sleep(0.5)
    return server, url


def create_accounts(db: Path, n: int, supervisor: bool = False) -> str:
    """Administrators ``medicion0@tablero.cl``… (one password hash for all: hashing is slow),
    or supervisors of every DEPROV of the store (of every territory when it has none): a scope
    of all its schools as a set, as a regional supervisor's. Says who they are, in Spanish."""
    from metrics.access import hash_password
    from metrics.scope import Scope
    from metrics.store import open_store
    from metrics.store.users import save_user, territory_schools

    hashed = hash_password(PASSWORD)
    with open_store(db) as store:
        territories: list[str] = []
        if supervisor:
            found = store.territories(Scope.all())
            deprovs = found[found["kind"] == "deprov"]
            territories = [str(t) for t in (deprovs if len(deprovs) else found)["id"]]
        for i in range(n):
            save_user(
                store,
                email=USER.format(i),
                name=f"Medición {i}",
                role="supervisor" if supervisor else "administrador",
                password_hash=hashed,
                territories=territories,
            )
        if not supervisor:
            return "administradores (todos los establecimientos)"
        schools = len(territory_schools(store, territories))
    return f"supervisores de {len(territories)} territorios ({fmt(schools, 0)} establecimientos)"


def copy_store(source: Path, target: Path) -> Path:
    """A copy of a store with its key and audit anchor."""
    target.write_bytes(source.read_bytes())
    for suffix in (".key", ".audit"):
        extra = source.with_name(source.name + suffix)
        if extra.exists():
            target.with_name(target.name + suffix).write_bytes(extra.read_bytes())
    return target


@dataclass
class Warm:
    """One server's warm views of a page: the server's CPU of each view, its time, errors."""

    cpus: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else NAN

    def p50(self) -> float:
        return statistics.median(self.times) if self.times else NAN


def warm_views(servers: list[tuple[str, int]], page: str, repeats: int) -> list[Warm]:
    """One session per server (``(url, pid)``) views ``page`` ``repeats`` times, the servers
    taking turns view by view, so that a burst of load on the shared machine falls on both
    alike. Each view's CPU is its server's utime + stime across that view alone."""
    return asyncio.run(_warm_views(servers, page, repeats))


async def _warm_views(servers: list[tuple[str, int]], page: str, repeats: int) -> list[Warm]:
    import websockets

    out = [Warm() for _ in servers]
    sockets = []
    try:
        for (url, _), warm in zip(servers, out, strict=True):
            ws = await websockets.connect(
                url.replace("http", "ws") + "/_stcore/stream",
                subprotocols=["streamlit"],  # type: ignore[list-item]
                max_size=None,
                open_timeout=VIEW_TIMEOUT,
                ping_interval=None,
            )
            sockets.append(ws)
            error = await sign_in(ws, USER.format(0))
            if error:
                warm.errors.append(f"ingreso: {error}")
        for _ in range(repeats):
            for ws, (_, pid), warm in zip(sockets, servers, out, strict=True):
                if warm.errors and warm.errors[0].startswith("ingreso"):
                    continue
                cpu0 = cpu_seconds(pid)
                seconds, error = await view(ws, page)
                warm.cpus.append(cpu_seconds(pid) - cpu0)
                if error:
                    warm.errors.append(f"{PAGE_NAMES[page]}: {error}")
                else:
                    warm.times.append(seconds)
    finally:
        for ws in sockets:
            await ws.close()
    return out


def measure_store(
    label: str,
    db: Path,
    sessions: list[int],
    repeats: int,
    tmp: Path,
    reference: Path | None = None,
    waves: bool = True,
    supervisor: bool = False,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # Every session signs in with an account of its own store (an import makes a demo store a
    # real one, which demo mode no longer opens without sign-in).
    who = create_accounts(db, max(sessions), supervisor)
    server, url = start_server(db, env)
    try:
        warm = asyncio.run(wave(url, 1, PAGES, server.pid))[0]  # fill the caches once
        if warm.errors:
            print(f"{label}: errores al calentar: {'; '.join(warm.errors[:3])}")
        print(f"\n### {label}\n")
        print(f"(sesiones de {who})\n")
        print(f"(carga de la máquina al empezar: {fmt(os.getloadavg()[0])})\n")
        if waves:
            print(
                "| sesiones | vistas | p50 (s) | p95 (s) | CPU del servidor por vista (s) "
                "| errores | memoria por sesión (MB) | memoria del servidor (MB) "
                "| carga en paralelo |"
            )
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for n in sessions if waves else []:
            upload = tmp / f"establecimientos_{label[:4]}_{n}.csv"
            upload.write_text(SCHOOLS.replace("Escuela", f"Escuela {n}"), encoding="utf-8")
            importer: list[subprocess.Popen[str]] = []

            def start_import(
                path: Path = upload, out: list[subprocess.Popen[str]] = importer
            ) -> None:
                out.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "metrics.cli",
                            "importar",
                            str(path),
                            "--db",
                            str(db),
                        ],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )

            tally, cpu, rss0, rss = asyncio.run(wave(url, n, PAGES, server.pid, start_import))
            _, import_err = importer[0].communicate(timeout=1800)
            views = len(tally.times)
            imported = (
                "bien" if importer[0].returncode == 0 else f"falló: {import_err.strip()[-80:]}"
            )
            print(
                f"| {n} | {views} | {fmt(statistics.median(tally.times) if views else NAN)} | "
                f"{fmt(p95(tally.times))} | {fmt(cpu / max(views, 1), 3)} | "
                f"{len(tally.errors)} | {fmt((rss - rss0) / n, 1)} | {fmt(rss, 0)} | "
                f"{imported} |",
                flush=True,
            )
            if tally.errors:
                print(
                    "  errores: "
                    + "; ".join(
                        sorted(
                            set(tally.errors),
                            key=lambda e: not e.startswith(("ingreso", "conexión")),
                        )[:6]
                    )
                )
        print(
            f"\nCon cachés calientes y sin carga: CPU del servidor por vista (mediana de "
            f"{repeats} vistas de cada página, una sesión; meta ≤ {fmt(TARGET_CPU, 2)} s)"
            + (
                f"; referencia: el código de {reference} sobre una copia de la misma base, "
                "medido en la misma corrida, alternando vista por vista"
                if reference
                else ""
            )
            + "\n"
        )
        ref = None
        if reference is not None:
            ref = start_server(copy_store(db, tmp / f"ref_{db.name}"), env, reference)
            asyncio.run(wave(ref[1], 1, PAGES, ref[0].pid))
        asyncio.run(wave(url, 1, PAGES, server.pid))  # warm again after the last import
        if ref is None:
            print("| página | CPU por vista (s) | p50 (s) |")
            print("|---|---:|---:|")
        else:
            print(
                "| página | CPU por vista (s) | p50 (s) | referencia: CPU por vista (s) | razón |"
            )
            print("|---|---:|---:|---:|---:|")
        try:
            servers = [(url, server.pid)] + ([(ref[1], ref[0].pid)] if ref is not None else [])
            for page in PAGES:
                warm = warm_views(servers, page, repeats)
                cpu, errors = warm[0].cpu(), warm[0].errors
                line = f"| {PAGE_NAMES[page]} | {fmt(cpu, 3)} | {fmt(warm[0].p50(), 2)} |"
                if ref is not None:
                    ref_cpu = warm[1].cpu()
                    line += f" {fmt(ref_cpu, 3)} | {fmt(cpu / ref_cpu, 2)} |"
                    errors += [f"referencia: {e}" for e in warm[1].errors]
                print(line, flush=True)
                if errors:
                    print("  errores: " + "; ".join(sorted(set(errors))[:5]))
        finally:
            if ref is not None:
                ref[0].terminate()
                ref[0].wait(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=60)


def national_store(scale: float) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_indicators import national_store as build

    return build(scale, 7)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sesiones", default="10,25,50")
    parser.add_argument("--escala", type=float, default=0.1)
    parser.add_argument("--repeticiones", type=int, default=5)
    parser.add_argument("--sin-nacional", action="store_true")
    parser.add_argument("--sin-demo", action="store_true")
    parser.add_argument(
        "--sin-tandas",
        action="store_true",
        help="solo la CPU por vista de cada página con cachés calientes (sin las N sesiones)",
    )
    parser.add_argument(
        "--supervisor",
        action="store_true",
        help="las sesiones son de supervisores de todos los DEPROV (un alcance con todos los "
        "establecimientos como conjunto), no de administradores",
    )
    parser.add_argument(
        "--referencia",
        type=Path,
        default=None,
        help="otra copia del repositorio (p. ej. un git worktree de main) cuya CPU por vista "
        "se mide en la misma corrida",
    )
    args = parser.parse_args()
    if not Path("/proc/self/stat").exists():
        print("Se omite: hace falta Linux (/proc) para leer la CPU y la memoria del servidor.")
        return 0
    sessions = [int(x) for x in args.sesiones.split(",")]
    print(f"(uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()})")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.sin_demo:
            db = tmp / "demo.duckdb"
            subprocess.run(
                [sys.executable, "-m", "metrics.cli", "demo", "--db", str(db)],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )
            measure_store(
                "demostración",
                db,
                sessions,
                args.repeticiones,
                tmp,
                args.referencia,
                not args.sin_tandas,
                args.supervisor,
            )
        if not args.sin_nacional:
            # A copy: the waves import into it, and the one in bench/out/ is shared.
            db = copy_store(national_store(args.escala), tmp / "nacional.duckdb")
            measure_store(
                f"nacional, escala {fmt(args.escala, 1)}",
                db,
                sessions,
                args.repeticiones,
                tmp,
                args.referencia,
                not args.sin_tandas,
                args.supervisor,
            )
    print(f"(uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
