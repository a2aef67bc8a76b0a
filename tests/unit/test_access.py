"""Access control: roles and scopes, local sign-in with lockout, the audit log, the CLI's
--usuario, refused cross-school uploads and the store's hardening."""

from __future__ import annotations

import json
import os
import shutil
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from metrics.access import (
    LOCKOUT,
    MAX_FAILED_ATTEMPTS,
    WRONG_CREDENTIALS,
    Access,
    Role,
    access_for,
    hash_password,
    sign_in_local,
    sign_in_oidc,
)
from metrics.cli import main
from metrics.engine.indicators import import_targets, set_baseline_year
from metrics.errors import AccessError, StoreError
from metrics.imports import import_file, undo_batch
from metrics.scope import Scope
from metrics.store import Store, audit, open_store
from metrics.store.users import get_user, save_user
from tests.conftest import SCHOOL_A, SCHOOL_B

PASSWORD = "una-clave-bien-larga"


def _user(store: Store, email: str, role: str, schools=(), territories=()) -> None:  # type: ignore[no-untyped-def]
    save_user(
        store,
        email=email,
        name=email,
        role=role,
        password_hash=hash_password(PASSWORD),
        schools=schools,
        territories=territories,
    )


# -- roles and scopes ------------------------------------------------------------------------


def test_each_role_gets_its_scope_and_permissions(two_schools: Store) -> None:
    _user(two_schools, "admin@x.cl", "administrador")
    _user(two_schools, "sup@x.cl", "supervisor", territories=[f"comuna:{SCHOOL_A}"])
    _user(two_schools, "dir@x.cl", "directivo", schools=[SCHOOL_A])
    _user(two_schools, "lec@x.cl", "lector", schools=[SCHOOL_A])
    admin = access_for(two_schools, "ADMIN@x.cl ")
    assert admin.scope.is_all and admin.can_manage_users and admin.role is Role.ADMINISTRADOR
    sup = access_for(two_schools, "sup@x.cl")
    assert sup.scope == Scope.schools([SCHOOL_A])  # the comuna's schools
    assert (sup.can_upload, sup.can_set_targets, sup.can_export, sup.sees_audit) == (
        True,
        False,
        True,
        True,
    )
    dir_ = access_for(two_schools, "dir@x.cl")
    assert dir_.scope == Scope.schools([SCHOOL_A])
    assert dir_.can_set_targets and dir_.can_upload and not dir_.sees_audit
    lec = access_for(two_schools, "lec@x.cl")
    assert not any(lec.allows(p) for p in ("can_upload", "can_export", "sees_teachers"))
    with pytest.raises(AccessError, match="no permite cargar"):
        lec.require("can_upload")
    with pytest.raises(AccessError, match="no tiene una cuenta"):
        access_for(two_schools, "nadie@x.cl")
    assert Access.nobody().scope == Scope.nobody()


# -- local sign-in and lockout -----------------------------------------------------------------


def test_lockout_after_repeated_failures(two_schools: Store) -> None:
    _user(two_schools, "dir@x.cl", "directivo", schools=[SCHOOL_A])
    now = datetime(2025, 3, 10, 9, 0)
    assert sign_in_local(two_schools, "dir@x.cl", PASSWORD, now=now).actor == "dir@x.cl"
    for attempt in range(1, MAX_FAILED_ATTEMPTS + 1):
        with pytest.raises(AccessError) as err:
            sign_in_local(two_schools, "dir@x.cl", "equivocada!!", now=now)
        assert err.value.message == WRONG_CREDENTIALS  # locked or not: one message
        user = get_user(two_schools, "dir@x.cl")
        assert user is not None and user.failed_attempts == attempt
        locked = attempt == MAX_FAILED_ATTEMPTS
        assert (user.locked_until == now + LOCKOUT) is locked
    with pytest.raises(AccessError) as err:  # even the right password
        sign_in_local(two_schools, "dir@x.cl", PASSWORD, now=now + timedelta(minutes=5))
    assert err.value.message == WRONG_CREDENTIALS
    later = now + LOCKOUT + timedelta(seconds=1)
    assert sign_in_local(two_schools, "dir@x.cl", PASSWORD, now=later).actor == "dir@x.cl"
    user = get_user(two_schools, "dir@x.cl")
    assert user is not None and user.failed_attempts == 0 and user.locked_until is None
    actions = audit.read(two_schools, Scope.all())["action"].tolist()
    assert actions.count("ingreso") == 2
    assert actions.count("ingreso_fallido") == MAX_FAILED_ATTEMPTS + 1
    assert user.password_hash and user.password_hash.startswith("$argon2id$")


def test_unknown_email_and_short_password(two_schools: Store) -> None:
    with pytest.raises(AccessError) as err:
        sign_in_local(two_schools, "nadie@x.cl", PASSWORD)
    assert err.value.message == WRONG_CREDENTIALS
    with pytest.raises(AccessError, match="no tiene una cuenta"):
        sign_in_oidc(two_schools, "nadie@x.cl", "google")
    assert set(audit.read(two_schools, Scope.all())["action"]) == {
        "ingreso_fallido",
        "ingreso_rechazado",
    }
    with pytest.raises(AccessError, match="al menos"):
        hash_password("corta")


# -- the audit log ---------------------------------------------------------------------------------


def test_chain_verifies_and_tampering_is_detected(empty_store: Store) -> None:
    for i in range(4):
        audit.record(empty_store, f"u{i}@x.cl", "exportacion", {"archivo": f"{i}.csv"})
    assert audit.verify_chain(empty_store).ok
    cur = empty_store.cursor()
    cur.execute("UPDATE audit_log SET actor = 'otro@x.cl' WHERE id = 2")
    check = audit.verify_chain(empty_store)
    assert not check.ok and check.first_bad_id == 2
    assert "alterado" in check.message()
    cur.execute("UPDATE audit_log SET actor = 'u1@x.cl' WHERE id = 2")
    assert audit.verify_chain(empty_store).ok
    cur.execute("DELETE FROM audit_log WHERE id = 3")
    assert audit.verify_chain(empty_store).first_bad_id == 4
    cur.close()


def test_no_code_edits_the_audit_log() -> None:
    src = Path(__file__).parents[2] / "src"
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "update audit_log" not in text and "delete from audit_log" not in text, path


def _details(store: Store, action: str) -> list[dict[str, object]]:
    rows = audit.read(store, Scope.all(), action=action)
    return [json.loads(d) for d in rows["detail"]]


def test_every_change_is_audited(empty_store: Store) -> None:
    data = b"rbd;nombre;comuna\n101;Escuela Uno;Arica\n"
    result = import_file(empty_store, data, "escuelas.csv", actor="ana@x.cl")
    (load,) = _details(empty_store, "carga")
    assert load["archivo"] == "escuelas.csv" and load["filas"] == 1
    assert load["tipo"] == "establecimientos" and len(str(load["sha256"])) == 64
    assert load["rbds"] == [101]
    rows = [
        {
            "indicador": "tasa_reprobacion",
            "alcance": "establecimiento",
            "alcance_id": "101",
            "meta": v,
            "anio_limite": "2026",
            "motivo": why,
        }
        for v, why in (("3,0", "acuerdo del consejo"), ("2,5", "revisión de marzo"))
    ]
    import_targets(empty_store, Scope.all(), rows[:1], file_name="m", file_hash="1", actor="a")
    import_targets(empty_store, Scope.all(), rows[1:], file_name="m", file_hash="2", actor="b")
    first, second = reversed(_details(empty_store, "meta"))
    assert (first["anterior"], first["nueva"], first["motivo"]) == (
        None,
        3.0,
        "acuerdo del consejo",
    )
    assert (second["anterior"], second["nueva"], second["motivo"]) == (
        3.0,
        2.5,
        "revisión de marzo",
    )
    set_baseline_year(empty_store, Scope.all(), 101, 2023, actor="ana@x.cl")
    assert _details(empty_store, "linea_base")[0]["nuevo"] == 2023
    assert result.batch_id is not None
    # Both target loads name school 101 (the second replaced the first's row): undone with it.
    undo_batch(empty_store, result.batch_id, "ana@x.cl", with_dependants=[2, 3])
    assert [d["carga"] for d in _details(empty_store, "deshacer")] == [result.batch_id, 2, 3]
    audit.record(empty_store, "ana@x.cl", "exportacion", {"formato": "pptx"})
    assert _details(empty_store, "exportacion") == [{"formato": "pptx"}]
    assert audit.verify_chain(empty_store).ok


# -- uploads outside the scope -----------------------------------------------------------------


def test_upload_with_another_schools_rows_is_refused_whole(two_schools: Store) -> None:
    before = two_schools.fingerprint()
    data = f"rbd;nombre;comuna\n{SCHOOL_A};Escuela a;x\n{SCHOOL_B};Escuela b;y\n".encode()
    with pytest.raises(AccessError, match=f"RBD {SCHOOL_B}") as err:
        import_file(two_schools, data, "e.csv", actor="dir@x.cl", scope=Scope.schools([SCHOOL_A]))
    assert "Escuela b" not in err.value.message
    assert two_schools.fingerprint() == before
    (refused,) = _details(two_schools, "carga_rechazada")
    assert refused["fuera_de_alcance"] == [SCHOOL_B]
    # The same school's own file goes in.
    own = f"rbd;nombre;comuna\n{SCHOOL_A};Escuela a2;x\n".encode()
    import_file(two_schools, own, "a.csv", actor="dir@x.cl", scope=Scope.schools([SCHOOL_A]))
    assert two_schools.fingerprint() != before


def test_undo_of_another_schools_batch_is_refused(two_schools: Store) -> None:
    before = two_schools.fingerprint()
    with pytest.raises(AccessError, match="fuera de su alcance"):
        undo_batch(two_schools, 2, "dir@x.cl", scope=Scope.schools([SCHOOL_A]))  # school B's
    assert two_schools.fingerprint() == before


# -- the CLI with --usuario --------------------------------------------------------------------


@pytest.fixture
def demo_with_users(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    with open_store(path) as store:
        _user(store, "dir@aromos.cl", "directivo", schools=[90001])
        _user(store, "lec@aromos.cl", "lector", schools=[90001])
    return path


def _school_b_words(path: Path) -> list[str]:
    with open_store(path) as store:
        names = store.query_df(
            "SELECT name FROM school WHERE rbd = 90002 UNION ALL "
            "SELECT name FROM community WHERE rbd = 90002 UNION ALL "
            "SELECT id FROM community WHERE rbd = 90002"
        )["name"].tolist()
    return ["90002", *names]


@pytest.mark.parametrize(
    "command",
    [
        ["indicadores", "--formato", "csv"],
        ["indicadores", "--formato", "tabla", "--alcance", "comunidad"],
        ["cargas"],
        ["info"],
        ["metas", "exportar", "--salida", "{tmp}/metas.csv"],
    ],
)
def test_cli_with_usuario_shows_nothing_of_school_b(
    demo_with_users: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    words = _school_b_words(demo_with_users)
    argv = [c.replace("{tmp}", str(tmp_path)) for c in command]
    assert main([*argv, "--db", str(demo_with_users)]) == 0  # full access: B is there
    out = capsys.readouterr().out
    if argv[0] == "metas":
        out = (tmp_path / "metas.csv").read_text(encoding="utf-8-sig")
    if argv[0] in ("indicadores",):
        assert "90002" in out
    assert main([*argv, "--db", str(demo_with_users), "--usuario", "lec@aromos.cl"]) == 0
    out = capsys.readouterr().out
    if argv[0] == "metas":
        out = (tmp_path / "metas.csv").read_text(encoding="utf-8-sig")
    assert "90001" in out or argv[0] in ("cargas", "info")
    assert not [w for w in words if w in out], argv


def test_cli_permissions_and_actor(
    demo_with_users: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(demo_with_users)]
    csv = tmp_path / "escuela.csv"
    csv.write_bytes(b"rbd;nombre;comuna\n90002;Otra;x\n")
    assert main(["importar", str(csv), *db, "--usuario", "lec@aromos.cl"]) == 2
    assert "no permite cargar" in capsys.readouterr().err
    assert main(["importar", str(csv), *db, "--usuario", "dir@aromos.cl"]) == 2
    assert "RBD 90002" in capsys.readouterr().err
    assert main(["usuarios", "listar", *db, "--usuario", "dir@aromos.cl"]) == 2
    assert main(["auditoria", *db, "--usuario", "dir@aromos.cl"]) == 2
    assert main(["usuarios", "desactivar", "lec@aromos.cl", *db]) == 0
    assert main(["info", *db, "--usuario", "lec@aromos.cl"]) == 2
    capsys.readouterr()
    assert main(["auditoria", *db, "--accion", "usuario_desactivado"]) == 0
    out = capsys.readouterr().out
    assert "cli:" in out and "lec@aromos.cl" in out
    assert main(["auditoria", "--verificar", *db]) == 0


def test_cli_usuarios_agregar_validates_the_scope(
    demo_with_users: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    db = ["--db", str(demo_with_users)]
    assert main(["usuarios", "agregar", "x@y.cl", "--rol", "lector", *db]) == 2
    assert "exactamente un establecimiento" in capsys.readouterr().err
    assert (
        main(["usuarios", "agregar", "x@y.cl", "--rol", "supervisor", "--territorio", "zz", *db])
        == 2
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["usuarios", "agregar", "sup@y.cl", "--rol", "supervisor", "--territorio"]
    assert main([*args, "comuna:9101", "--contrasena-stdin", *db]) == 0
    with open_store(demo_with_users) as store:
        assert access_for(store, "sup@y.cl").scope == Scope.schools([90001, 90003, 90004])


# -- hardening ----------------------------------------------------------------------------------


def test_store_reads_no_file_outside_the_import_path(two_schools: Store, tmp_path: Path) -> None:
    cur = two_schools.cursor()
    try:
        for sql in (
            "SELECT * FROM read_csv('/etc/passwd')",
            f"COPY (SELECT 1) TO '{tmp_path}/fuera.csv'",
            "SET enable_external_access = true",
        ):
            with pytest.raises(Exception, match=r"(?i)permission|disabled|cannot|external"):
                cur.execute(sql)
    finally:
        cur.close()
    assert not (tmp_path / "fuera.csv").exists()
    # Imports from any folder still work (the file is copied into the staging folder).
    outside = tmp_path / "escuelas.csv"
    outside.write_bytes(b"rbd;nombre;comuna\n303;Escuela Tres;Arica\n")
    assert import_file(two_schools, outside, actor="t").rows_new == 1


def test_database_and_key_are_owner_only(store_path: Path) -> None:
    from metrics.pseudonym import key_path_for, load_key

    with open_store(store_path) as store:
        load_key(store.path)
        import_file(store, b"rbd;nombre\n1;E\n", "e.csv", actor="t")
    key = key_path_for(store_path)
    assert key is not None
    for path in (store_path, key):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_staging_root_must_be_our_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from metrics.config import staging_root

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / f"tablero-import-{os.getuid()}").symlink_to(target)
    with pytest.raises(StoreError, match="no es una carpeta propia"):
        staging_root()


def test_cli_exportar_follows_the_user(
    demo_with_users: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directivo of 90001 exports its school's pack, with nothing of 90002 in it; not
    90002's pack, nor the territory's; a lector exports nothing."""
    import io

    from openpyxl import load_workbook

    db = ["--db", str(demo_with_users)]
    words = _school_b_words(demo_with_users)
    out = tmp_path / "consejo.xlsx"
    as_dir = ["--usuario", "dir@aromos.cl", "--formato", "xlsx", "--salida", str(out)]
    assert main(["exportar", *db, *as_dir, "--rbd", "90001", "--anio", "2025"]) == 0
    wb = load_workbook(io.BytesIO(out.read_bytes()))
    cells = " ".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    assert "Escuela Los Aromos" in cells
    assert not [w for w in words if w in cells]
    out.unlink()
    capsys.readouterr()
    assert main(["exportar", *db, *as_dir, "--rbd", "90002"]) == 2
    assert "No tiene acceso al establecimiento 90002" in capsys.readouterr().err
    assert main(["exportar", *db, *as_dir, "--territorio", "slep:90"]) == 2
    assert not out.exists()
    lector = ["--usuario", "lec@aromos.cl", "--formato", "pdf", "--salida", str(out)]
    assert main(["exportar", *db, *lector, "--rbd", "90001"]) == 2
    assert "no permite exportar" in capsys.readouterr().err
    with open_store(demo_with_users) as store:
        log = audit.read(store, Scope.all(), action="exportacion")
    assert list(log["actor"]) == ["dir@aromos.cl"]
