"""`tablero servir`: start the dashboard (Streamlit) on any system, without make.

It finds the dashboard's files — the repository's ``app.py`` and ``pages/`` when run from a
checkout, their copies in ``metrics/_app`` when Tablero DPD was installed from its wheel (see
``setup.py``) — and runs ``streamlit run`` in that folder, so that the project's settings
(``.streamlit/config.toml``) hold; secrets are read from ``~/.streamlit/secrets.toml`` and from
``.streamlit/secrets.toml`` of the folder the command runs in. It holds the database only to
check it: the dashboard opens it by itself, and `tablero` commands take turns with it
(:mod:`metrics.store.locking`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from metrics.errors import TableroError
from metrics.scope import Scope
from metrics.store import Store

NAME = "servir"
HELP = "abre el tablero en el navegador (inicia Streamlit; Ctrl+C lo detiene)"
READS_ONLY = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--puerto", type=int, default=8501, help="puerto (por omisión 8501)")
    parser.add_argument(
        "--direccion",
        default="localhost",
        metavar="IP",
        help="dirección donde escucha (por omisión localhost: solo este equipo; detrás de un "
        "proxy, la del proxy)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="modo demostración, sin ingreso (si la base no existe, la crea con datos ficticios)",
    )


def open_for_command(path: Path, args: argparse.Namespace) -> Store:
    """The demo store is built first when asked for and missing; then the store is checked
    (created or upgraded) and closed again before the server starts."""
    from metrics.store import open_store

    if args.demo and not path.exists():
        # `tablero demo` comes from tablero_demo through the tablero.comandos entry points; the
        # product never imports it, so the demo store is built by running that command.
        print("Creando la base de demostración…", file=sys.stderr, flush=True)
        made = subprocess.run(
            [sys.executable, "-m", "metrics.cli", "demo", "--db", str(path)],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if made.returncode != 0 or not path.exists():
            raise TableroError(
                "No se pudo crear la base de demostración (¿está instalado el paquete con su "
                "demostración, tablero_demo?). Ejecute «tablero demo --db RUTA» para ver el "
                "detalle.",
                title="Demostración no disponible",
            )
    return open_store(path)


def app_folder() -> Path:
    """Where ``app.py`` and ``pages/`` are: inside the installed package, else the checkout."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "_app", package.parents[1]):
        if (folder / "app.py").is_file() and (folder / "pages").is_dir():
            return folder
    raise TableroError(
        "No se encontraron los archivos del tablero (app.py y pages/). Reinstale Tablero DPD "
        "desde su paquete (pip install tablero-dpd) o ejecute el comando desde el repositorio.",
        "Instalación incompleta",
    )


def secrets_files(here: Path) -> list[str]:
    """Where the dashboard reads its secrets (sign-in with OpenID Connect): the user's
    ``~/.streamlit/secrets.toml`` and ``.streamlit/secrets.toml`` of the folder the command
    runs in, as Streamlit does when it runs in that folder."""
    return [
        str(Path.home() / ".streamlit" / "secrets.toml"),
        str(here / ".streamlit" / "secrets.toml"),
    ]


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    del scope
    db = Path(store.path).resolve()
    store.close()  # the dashboard opens it itself
    folder = app_folder()
    env = {**os.environ, "TABLERO_DB": str(db)}
    if args.demo:
        env["TABLERO_DEMO"] = "1"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(folder / "app.py"),
        *[f"--secrets.files={f}" for f in secrets_files(Path.cwd())],
        f"--server.port={args.puerto}",
        f"--server.address={args.direccion}",
    ]
    host = "localhost" if args.direccion in ("0.0.0.0", "::") else args.direccion
    print(
        f"Tablero DPD en http://{host}:{args.puerto} (base {db}). Ctrl+C para detenerlo.",
        file=sys.stderr,
        flush=True,
    )
    # In the app's folder, Streamlit reads the project's settings (.streamlit/config.toml).
    server = subprocess.Popen(command, env=env, cwd=folder)
    try:
        return server.wait()
    except BaseException:  # Ctrl+C or SIGTERM: stop the server too
        if server.poll() is None:
            server.terminate()  # Ctrl+C reached it already on a terminal; a service stops it
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        raise
