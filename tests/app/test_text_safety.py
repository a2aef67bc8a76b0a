"""Text is text: names, file names and notes from users never act as Markdown or HTML on a page.

A store whose school, territory and communities are named like an attacker would name them;
every page that shows those names is run, and the Markdown each element sends to the browser
is checked: the name is there, shown as text (escaped), and none of its Markdown, Streamlit
directives or HTML is left to act.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.cli import main
from metrics.errors import StoreLockedError
from metrics.formatting import escape_markdown
from metrics.scope import Scope
from metrics.store import open_store
from metrics.store.notes import write_note
from tablero_demo.demo import CASE_SCHOOL_RBD, IMPROVING_COMMUNITY_ID, SLEP_ID
from tests.app.conftest import run_app

EVIL = "**x** :red[y] ![i](http://example.com/a.png) <img src=x> [l](http://evil) $k$"

# What would act if the name were put into Markdown as it is (each preceded by no backslash).
ACTIVE = {
    "bold": re.compile(r"(?<!\\)\*(?<!\\)\*x"),
    "directive": re.compile(r"(?<!\\):red(?<!\\)\["),
    "image": re.compile(r"(?<!\\)!(?<!\\)\[i(?<!\\)\]\("),
    "html": re.compile(r"(?<!\\)<img"),
    "link": re.compile(r"(?<!\\)\[l(?<!\\)\]\("),
    "latex": re.compile(r"(?<!\\)\$k"),
}


@pytest.fixture(scope="module")
def evil_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with the case school, its territory and its communities renamed."""
    db = tmp_path_factory.mktemp("evil") / "evil.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as store, store.transaction() as cur:
        cur.execute("UPDATE school SET name = ? WHERE rbd = ?", [EVIL, CASE_SCHOOL_RBD])
        cur.execute("UPDATE territory SET name = ? WHERE id = ?", [EVIL, SLEP_ID])
        cur.execute(
            "UPDATE community SET name = ? || ' ' || id WHERE rbd = ?", [EVIL, CASE_SCHOOL_RBD]
        )
        # One community cancels its 2024 activities: the communities' schedule compliance
        # differs, so Durante's headline names them (equal values are said once, unnamed).
        cur.execute(
            "UPDATE activity SET status = 'cancelada' WHERE year(planned_date) = 2024 AND "
            "community_id = (SELECT min(id) FROM community WHERE rbd = ?)",
            [CASE_SCHOOL_RBD],
        )
    return db


def _sources(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element, Markdown source) of everything on the page that Streamlit renders as
    Markdown: texts, alerts, metric labels and values, expander and tab labels."""
    for kind in ("title", "header", "subheader", "markdown", "caption"):
        for e in getattr(at, kind):
            if not getattr(e.proto, "allow_html", False):
                yield kind, str(e.value)
    for kind in ("error", "warning", "info", "success"):
        for e in getattr(at, kind):
            yield kind, str(e.value)
    for m in at.metric:
        yield "metric", f"{m.label} {m.value}"
    for kind in ("expander", "tabs"):
        for e in at.get(kind):
            yield kind, str(getattr(e.proto, "label", ""))


def _check(at: AppTest) -> list[str]:
    """Where the name appears on the page; fails if any part of it is left to act."""
    assert not at.exception, at.exception
    escaped = escape_markdown(EVIL)
    shown = []
    for kind, source in _sources(at):
        assert EVIL not in source, (kind, source)
        for what, pattern in ACTIVE.items():
            assert not pattern.search(source), (what, kind, source)
        if escaped in source:
            shown.append(kind)
    return shown


def _open(
    db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None, **choices: object
) -> AppTest:
    at = run_app(db, monkeypatch)
    for key, value in choices.items():
        at.sidebar.selectbox(key=key).select(value).run()
    if page:
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize(
    "page",
    [
        None,  # Inicio
        "pages/antes.py",
        "pages/durante.py",
        "pages/resultados.py",
        "pages/impacto.py",
        "pages/comunidades.py",
        "pages/registros.py",
    ],
)
def test_a_school_named_like_markdown_is_shown_as_text(
    evil_db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    at = _open(evil_db, monkeypatch, page, f_school=CASE_SCHOOL_RBD, f_year=2024)
    assert "title" in _check(at)


@pytest.mark.parametrize("page", ["pages/durante.py", "pages/resultados.py"])
def test_communities_named_like_markdown_in_headlines_are_text(
    evil_db: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = _open(evil_db, monkeypatch, page, f_school=CASE_SCHOOL_RBD, f_year=2024)
    assert "markdown" in _check(at)  # the charts' headlines name the communities


def test_a_community_named_like_markdown_is_shown_as_text(
    evil_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(
        evil_db,
        monkeypatch,
        "pages/comunidades.py",
        f_school=CASE_SCHOOL_RBD,
        f_community=IMPROVING_COMMUNITY_ID,
        f_year=2024,
    )
    assert "title" in _check(at)
    assert escape_markdown(f"{EVIL} {IMPROVING_COMMUNITY_ID}") in at.title[0].value


def test_a_territory_named_like_markdown_is_shown_as_text(
    evil_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(evil_db, monkeypatch, "pages/impacto.py", f_territory=SLEP_ID)
    assert "title" in _check(at)


def test_presentar_title_and_slides_are_text(
    evil_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "notas.duckdb"
    shutil.copy(evil_db, db)
    note = f"Bajó la reprobación.\n\n{EVIL}\n   \n<script>alert(1)</script>"
    with open_store(db) as store:
        write_note(
            store,
            Scope.all(),
            "establecimiento",
            str(CASE_SCHOOL_RBD),
            2025,
            conclusions=note,
            next_steps="",
            actor="test",
        )
    at = _open(db, monkeypatch, "pages/presentar.py", f_school=CASE_SCHOOL_RBD, f_year=2025)
    assert "title" in _check(at)
    total = len(at.selectbox(key="presentar_diapositiva").options)
    at.selectbox(key="presentar_diapositiva").select(total - 1).run()
    assert not at.exception
    html = [m.value for m in at.markdown if m.value.startswith('<ul class="tablero-facts">')]
    assert len(html) == 1
    facts = html[0]
    # One HTML block: no line (let alone a blank one) after which Markdown would act again.
    assert "\n" not in facts
    assert "<script" not in facts and "<img" not in facts
    assert "Bajó la reprobación.<br><br>**x** :red[y] ![i](http://example.com/a.png)" in facts
    assert "&lt;img src=x&gt;" in facts and "&lt;script&gt;alert(1)&lt;/script&gt;" in facts


def test_an_uploaded_file_name_is_shown_as_text(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "**x** :red[y] <img src=x> [l](http://evil).csv"
    at = run_app(store_path, monkeypatch)
    at.switch_page("pages/cargar.py").run()
    data = b"rbd;nombre;comuna\n101;Escuela Uno;Arica\nabc;;Arica\n"
    at.file_uploader[0].set_value([(name, data, "text/csv")]).run()
    assert not at.exception
    sources = [s for _, s in _sources(at)]
    for source in sources:
        assert name not in source
        for what, pattern in ACTIVE.items():
            assert not pattern.search(source), (what, source)
    assert f"**{escape_markdown(name)}** · {len(data)} B" in sources  # the file's card
    assert any(source.startswith(escape_markdown(name)) for source in sources)  # its verdict


def test_a_locked_store_names_its_path_to_the_operator_and_not_to_a_web_user(
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """«Base de datos en uso» with another process holding the file: the CLI says which file;
    the page does not (``metrics.ui.show_error``, as every page shows errors)."""
    open_store(store_path).close()
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
        "sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(store_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreLockedError) as raised:
            open_store(store_path)
        assert str(store_path) in raised.value.message  # the operator's message names it
        assert main(["info", "--db", str(store_path)]) == 2
        assert str(store_path) in capsys.readouterr().err
        at = run_app(store_path, monkeypatch)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    shown = " ".join(e.value for e in at.error)
    assert "Base de datos en uso" in shown and "abierta por otro proceso" in shown
    assert str(tmp_path) not in shown and store_path.name not in shown


def test_an_upload_error_names_no_server_path(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's own words about a broken CSV name the importer's work file on the server."""
    from metrics.config import staging_root

    at = run_app(store_path, monkeypatch)
    at.switch_page("pages/cargar.py").run()
    data = b'rbd;nombre;comuna\n101;"Escuela "Uno";Arica\r\n202;Liceo;Arica\n'
    at.file_uploader[0].set_value([("comillas.csv", data, "text/csv")]).run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(
        str(m) for df in at.dataframe for m in df.value.get("qué hacer", [])
    )
    assert "comillas.csv" in shown  # the error is there, about this file
    assert str(staging_root()) not in shown and "upload.csv" not in shown
    assert not re.search(r"(?<![\w.:/])/(?:[\w.-]+/)+", shown), shown
