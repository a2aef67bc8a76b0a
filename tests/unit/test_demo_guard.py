"""Which stores demo mode may open without sign-in: only demo data (or nothing), no accounts."""

from __future__ import annotations

from metrics.access import demo_refusal
from metrics.engine.indicators import import_targets
from metrics.imports import import_file, undo_batch
from metrics.scope import Scope
from metrics.store import Store
from metrics.store.users import save_user
from tablero_demo.demo import build_demo


def test_an_empty_store_and_the_demo_are_demo_data(empty_store: Store) -> None:
    assert demo_refusal(empty_store) is None
    build_demo(empty_store)
    assert demo_refusal(empty_store) is None
    # A target set by hand while trying the demo holds no personal data: still the demo.
    row = {
        "indicador": "tasa_reprobacion",
        "alcance": "establecimiento",
        "alcance_id": "90001",
        "meta": "3,0",
        "anio_limite": "2026",
        "motivo": "prueba",
    }
    import_targets(empty_store, Scope.all(), [row], file_name="m", file_hash="1", actor="tablero")
    assert demo_refusal(empty_store) is None


def test_a_real_load_or_an_account_makes_it_real(empty_store: Store) -> None:
    result = import_file(empty_store, b"rbd;nombre\n101;E\n", "e.csv", actor="tablero")
    message = demo_refusal(empty_store)
    assert message is not None
    assert "1 carga que no hizo el generador de demostración" in message
    assert "TABLERO_DEMO" in message
    assert result.batch_id is not None
    undo_batch(empty_store, result.batch_id, "tablero")  # undone: no rows left
    assert demo_refusal(empty_store) is None
    save_user(empty_store, email="a@x.cl", name="A", role="administrador", password_hash=None)
    save_user(empty_store, email="b@x.cl", name="B", role="administrador", password_hash=None)
    message = demo_refusal(empty_store)
    assert message is not None and "2 cuentas de usuario" in message


def test_a_batch_that_only_calls_itself_demo_is_not_the_demo(empty_store: Store) -> None:
    """The generators write kind «demo» with actor «demo»: a batch with either alone is real."""
    with empty_store.transaction() as cur:
        Store.new_batch(cur, kind="demo", file_name="x.csv", file_hash="h", actor="ana@x.cl")
    assert demo_refusal(empty_store) is not None
