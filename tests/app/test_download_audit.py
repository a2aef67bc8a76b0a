"""A download button's file is made only when someone asks for it, outside the page's run
(Streamlit calls the function from its server thread), and that file is recorded in the audit
log as an export of the person who asked, on the deployment's store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ASKED: list[Callable[[], bytes]] = []
"""The file functions the page handed to its download buttons (the script appends to it)."""


def _script() -> None:
    from metrics import ui
    from tests.app.test_download_audit import ASKED

    class Where:
        """Stands for a column: keeps what the button would call when clicked."""

        def download_button(self, label, **kwargs):  # type: ignore[no-untyped-def]
            ASKED.append(kwargs["data"])

    store = ui.get_store()
    ui.require_access(store)
    ui.download(Where(), "CSV", lambda: b"a;b\n1;2\n", "prueba.csv", detail={"rbds": [90001]})


def test_a_download_is_made_when_asked_and_audited(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.scope import Scope
    from metrics.store import audit, open_store

    db = tmp_path / "tablero.duckdb"
    db.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("TABLERO_DB", str(db))
    monkeypatch.setenv("TABLERO_DEMO", "1")
    ASKED.clear()
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert len(ASKED) == 1
    with open_store(db, read_only=True) as reader:
        assert audit.read(reader, Scope.all(), action="exportacion").empty  # nothing yet

    assert ASKED[0]() == b"a;b\n1;2\n"  # the click, from outside the page's run

    with open_store(db, read_only=True) as reader:
        rows = audit.read(reader, Scope.all(), action="exportacion")
    assert len(rows) == 1
    assert rows.iloc[0]["actor"] == "tablero"  # demo mode's actor
    assert '"archivo": "prueba.csv"' in rows.iloc[0]["detail"]
    assert '"rbds": [90001]' in rows.iloc[0]["detail"]
