"""The audit page says, in Spanish, whether the log is whole, and notices its tail cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.store import audit, open_store
from tests.app.conftest import run_app_as_admin


def test_the_audit_page_reports_a_cut_tail(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(store_path) as store:
        for i in range(3):
            audit.record(store, "ana@x.cl", "exportacion", {"archivo": f"{i}.csv"})
    at = run_app_as_admin(store_path, monkeypatch)
    at.switch_page("pages/auditoria.py").run()
    assert not at.exception and not at.error
    assert any("está íntegra: 3 registros" in c.value for c in at.caption)
    with open_store(store_path) as store:  # outside the app: the last row deleted
        cur = store.cursor()
        cur.execute("DELETE FROM audit_log WHERE id = 3")
        cur.close()
    at.run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "faltan registros al final" in error
    assert "3 registros hasta el N° 3; la base tiene 2" in error
    assert str(store_path.parent) not in error
