"""Inicio: what the store holds, for the sidebar's selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.store import Store
from tests.app.conftest import run_app, run_app_as_admin
from tests.conftest import SCHOOL_A


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def test_empty_store_says_how_to_get_data(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(store_path, monkeypatch)
    assert not at.exception
    assert at.title[0].value == "Tablero DPD — Todos los establecimientos"
    assert "todavía no tiene datos" in at.info[0].value
    assert "Directorio oficial de establecimientos" in at.info[0].value
    assert "tablero " not in at.info[0].value  # a link to the page, not a terminal command
    assert [(p.proto.page, p.proto.label) for p in at.get("page_link")] == [
        ("cargar", "Cargar datos")
    ]
    assert len(at.metric) == 0


def test_home_counts_every_school(
    two_schools: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_schools.close()
    at = run_app_as_admin(store_path, monkeypatch)  # its loads are not demo data
    assert not at.exception
    assert _metrics(at) == {
        "Establecimientos": "2",
        "Comunidades": "2",
        "Docentes": "2",
        "Principiantes": "2",
        "Estudiantes": "4",
    }
    datasets = next(d.value for d in at.dataframe if "Conjunto de datos" in d.value.columns)
    row = datasets[datasets["Conjunto de datos"] == "Resultados finales de estudiantes"]
    assert row["Filas"].item() == "4"
    assert row["Años"].item() == "2024"
    assert [s.label for s in at.sidebar.selectbox] == [
        "Territorio",
        "Establecimiento",
        "Comunidad de práctica",
        "Año",
    ]


def test_choosing_a_school_narrows_every_figure(
    two_schools: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_schools.close()
    at = run_app_as_admin(store_path, monkeypatch)  # its loads are not demo data
    at.sidebar.selectbox(key="f_school").select(SCHOOL_A).run()
    assert not at.exception
    assert at.title[0].value == "Tablero DPD — Escuela a, 2024"
    assert _metrics(at)["Establecimientos"] == "1"
    assert _metrics(at)["Estudiantes"] == "2"
    summary = next(m.value for m in at.markdown if "establecimiento" in m.value)
    assert summary.startswith("1 establecimiento, 1 comunidad de práctica, ")  # singular
    batches = next(d.value for d in at.dataframe if "Archivo" in d.value.columns)
    assert batches["Archivo"].tolist() == ["a.csv"]
    # Only the chosen school's community is offered.
    assert at.sidebar.selectbox(key="f_community").options == [
        "Todas las comunidades",
        "Comunidad a",
    ]


def test_a_territory_limits_the_schools_offered(
    two_schools: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_schools.close()
    at = run_app_as_admin(store_path, monkeypatch)  # its loads are not demo data
    at.sidebar.selectbox(key="f_territory").select(f"comuna:{SCHOOL_A}").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="f_school").options == [
        "Todos los establecimientos",
        "Escuela a (RBD 101)",
    ]
    assert _metrics(at)["Establecimientos"] == "1"


def test_a_broken_store_is_a_spanish_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bogus = tmp_path / "roto.duckdb"
    bogus.write_text("no es una base de datos")
    at = run_app(bogus, monkeypatch)
    assert not at.exception
    assert "no es una base de datos de Tablero DPD" in at.error[0].value
