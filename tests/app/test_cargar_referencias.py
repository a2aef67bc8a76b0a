"""Cargar datos: files of one upload may name what the others bring; a row naming what no file
and no load brings is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.store import open_store
from tests.app.conftest import run_app

SCHOOLS = b"rbd;nombre\n101;Escuela Uno\n"
COMMUNITIES = b"id_comunidad;rbd;nombre;tipo\nCP-1;101;Lectura;cdp\n"
SESSIONS = b"id_comunidad;fecha_sesion;id_docente;asistio\nCP-1;05-03-2024;D-1;no\n"
TEACHERS = b"anio;id_docente;rbd;comunidades\n2024;D-1;101;CP-1\n"


def test_an_upload_in_any_order_goes_in_whole(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(store_path, monkeypatch)
    at.switch_page("pages/cargar.py").run()
    files = [
        ("sesiones.csv", SESSIONS, "text/csv"),
        ("docentes.csv", TEACHERS, "text/csv"),
        ("comunidades.csv", COMMUNITIES, "text/csv"),
        ("escuelas.csv", SCHOOLS, "text/csv"),
    ]
    at.file_uploader[0].set_value(files).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    # Shown (and loaded) in the order they point at each other.
    names = [m.value for m in at.markdown if m.value.startswith("**") and ".csv" in m.value]
    assert names == [  # each with its size, in Spanish («27 B», not «27.0B»)
        "**escuelas.csv** · 27 B",
        "**comunidades.csv** · 50 B",
        "**docentes.csv** · 50 B",
        "**sesiones.csv** · 68 B",
    ]
    assert [len(SCHOOLS), len(COMMUNITIES), len(TEACHERS), len(SESSIONS)] == [27, 50, 50, 68]
    next(b for b in at.button if b.label.startswith("Cargar 4 archivos")).click().run()
    assert not at.exception
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM session_attendance")["n"][0] == 1
        assert store.query_df("SELECT kind FROM import_batch ORDER BY id")["kind"].tolist() == [
            "establecimientos",
            "comunidades",
            "docentes",
            "asistencia_sesiones",
        ]


def test_a_row_naming_what_is_not_there_is_shown_and_nothing_loads(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(store_path, monkeypatch)
    at.switch_page("pages/cargar.py").run()
    at.file_uploader[0].set_value([("sesiones.csv", SESSIONS, "text/csv")]).run()
    assert not at.exception
    report = at.dataframe[-1].value
    messages = " ".join(report["qué hacer"])
    assert "la comunidad «CP-1» no existe" in messages and "plantilla comunidades" in messages
    assert "el docente «D-1» no existe" in messages
    assert not any(b.label.startswith("Cargar") for b in at.button)
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM import_batch")["n"][0] == 0
