"""Who sees what in the app: every role of school A (or its comuna) sees nothing of school B.

"Nothing" is checked on everything a page renders: text, metrics, tables, select box options and
the data behind every chart: no RBD, school name, community name or teacher name of school B.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import hash_password
from metrics.store import Store, audit, open_store
from metrics.store.users import save_user
from tests.app.conftest import run_app

SCHOOL_A, SCHOOL_B = 90001, 90002
PASSWORD = "una-clave-bien-larga"
USERS = {
    "admin@slep.cl": ("administrador", [], []),
    "sup@slep.cl": ("supervisor", [], ["comuna:9101"]),  # 90001, 90003, 90004
    "dir@aromos.cl": ("directivo", [SCHOOL_A], []),
    "lec@aromos.cl": ("lector", [SCHOOL_A], []),
}
SCOPED = ["sup@slep.cl", "dir@aromos.cl", "lec@aromos.cl"]
PAGES = [
    "pages/antes.py",
    "pages/durante.py",
    "pages/resultados.py",
    "pages/impacto.py",
    "pages/comunidades.py",
    "pages/historial.py",
    "pages/presentar.py",
    "pages/revision.py",
    "pages/seguimiento.py",
]


def add_users(store: Store) -> None:
    hashed = hash_password(PASSWORD)
    for email, (role, schools, territories) in USERS.items():
        save_user(
            store,
            email=email,
            name=email.split("@")[0],
            role=role,
            password_hash=hashed,
            schools=schools,
            territories=territories,
        )


@pytest.fixture(scope="module")
def accounts_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store with one account per role."""
    path = tmp_path_factory.mktemp("accounts") / "demo.duckdb"
    shutil.copy(demo_db, path)
    with open_store(path) as store:
        add_users(store)
        add_school_b_records(store)
    return path


def add_school_b_records(store: Store) -> None:
    """Records of school B that name it: a log entry, a síntesis and a follow-up review."""
    from datetime import date

    from metrics.scope import Scope
    from metrics.store import records

    name = str(store.query_df("SELECT name FROM school WHERE rbd = ?", [SCHOOL_B])["name"][0])
    every = Scope.all()
    text = f"Registro de {name} (RBD {SCHOOL_B})"
    records.save_note(
        store, every, rbd=SCHOOL_B, community_id=None, note_date=date(2025, 5, 2),
        dimension="entrevistas", body=text, author=name, actor="t",
    )  # fmt: skip
    records.save_synthesis(
        store, every, rbd=SCHOOL_B, year=2025, moment="antes", body=text, author=name, actor="t"
    )
    records.save_review(
        store, every, rbd=SCHOOL_B, community_id=None, planned_date=date(2025, 6, 1),
        held_date=date(2025, 6, 1), status="realizada", reviewed=text, decisions=text,
        responsible=name, due_date=date(2025, 7, 1), decision_status="pendiente", actor="t",
    )  # fmt: skip


@pytest.fixture(scope="module")
def school_b_words(demo_db: Path) -> list[str]:
    """What must never show to a user of school A: RBD, names of B, its communities, teachers."""
    with open_store(demo_db) as store:
        school = store.query_df("SELECT name FROM school WHERE rbd = ?", [SCHOOL_B])["name"]
        comms = store.query_df("SELECT name FROM community WHERE rbd = ?", [SCHOOL_B])["name"]
        teachers = store.query_df(
            "SELECT DISTINCT t.name FROM teacher t JOIN teacher_year y ON y.teacher_id = t.id "
            "WHERE y.rbd = ? AND t.id NOT IN (SELECT teacher_id FROM teacher_year "
            "WHERE rbd <> ?)",
            [SCHOOL_B, SCHOOL_B],
        )["name"]
    return [str(SCHOOL_B), *school, *comms, *teachers.head(40)]


def _arrow_text(data: bytes) -> str:
    if not data:
        return ""
    return str(pa.ipc.open_stream(data).read_pandas().to_csv())


def rendered_text(at: AppTest) -> str:
    """Everything the app rendered, as one text: values, labels, options, tables, chart data."""
    out: list[str] = []

    def walk(node: object) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "vega_lite_chart" and proto is not None:
            out.append(proto.spec)
            out.extend(_arrow_text(d.data.data) for d in proto.datasets)
            if proto.HasField("data"):
                out.append(_arrow_text(proto.data.data))
            return
        if kind == "dataframe":
            out.append(node.value.to_csv())  # type: ignore[attr-defined]
            return
        for attr in ("value", "label", "options", "body", "help"):
            try:
                value = getattr(node, attr, None)
            except Exception:  # some widgets compute values lazily
                continue
            if value is not None:
                out.append(str(value))

    walk(at._tree)
    return "\n".join(out)


def _pages_of(at: AppTest) -> Iterator[tuple[str, AppTest]]:
    yield "Inicio", at
    for page in PAGES:
        at.switch_page(page).run()
        yield page, at


@pytest.mark.parametrize("email", SCOPED)
def test_no_page_shows_anything_of_school_b(
    accounts_db: Path, school_b_words: list[str], monkeypatch: pytest.MonkeyPatch, email: str
) -> None:
    at = run_app(accounts_db, monkeypatch, user=email)
    for page, view in _pages_of(at):
        assert not view.exception, page
        text = rendered_text(view)
        leaked = [w for w in school_b_words if w in text]
        assert not leaked, f"{email} sees {leaked[:3]} on {page}"
    # Choosing school A on a moment page: still nothing of B.
    at.switch_page("pages/comunidades.py").run()
    at.sidebar.selectbox(key="f_school").select(SCHOOL_A).run()
    assert not [o for o in at.sidebar.selectbox(key="f_school").options if str(SCHOOL_B) in o]
    assert not [w for w in school_b_words if w in rendered_text(at)]


def test_the_administrator_sees_school_b(
    accounts_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(accounts_db, monkeypatch, user="admin@slep.cl")
    assert not at.exception
    assert [o for o in at.sidebar.selectbox(key="f_school").options if str(SCHOOL_B) in o]


def test_a_lector_sees_no_individual_teacher(
    accounts_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(accounts_db) as store:
        names = store.query_df(
            "SELECT DISTINCT t.name FROM teacher t JOIN community_member m "
            "ON m.teacher_id = t.id JOIN community c ON c.id = m.community_id WHERE c.rbd = ?",
            [SCHOOL_A],
        )["name"].tolist()
        community = str(
            store.query_df("SELECT min(id) AS id FROM community WHERE rbd = ?", [SCHOOL_A])[
                "id"
            ].iloc[0]
        )
    assert names
    for email, sees in (("lec@aromos.cl", False), ("dir@aromos.cl", True)):
        at = run_app(accounts_db, monkeypatch, user=email)
        at.switch_page("pages/comunidades.py").run()
        at.sidebar.selectbox(key="f_school").select(SCHOOL_A).run()
        at.sidebar.selectbox(key="f_community").select(community).run()
        assert not at.exception
        text = rendered_text(at)
        at.switch_page("pages/durante.py").run()
        text += rendered_text(at)
        shown = [n for n in names if n in text]
        assert bool(shown) is sees, (email, shown[:3])
        # A lector exports nothing: no download buttons anywhere.
        if not sees:
            assert not at.get("download_button")


def test_pages_follow_permissions(accounts_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lector = run_app(accounts_db, monkeypatch, user="lec@aromos.cl")
    # Not in the menu, but registered: opened by its address, the page's own guard refuses in
    # Spanish (never Streamlit's «Page not found»).
    for hidden, refusal in (
        ("pages/cargar.py", "no permite cargar"),
        ("pages/auditoria.py", "auditoría"),
    ):
        lector.switch_page(hidden).run()
        assert not lector.exception
        assert not lector.file_uploader and not lector.dataframe
        assert any(refusal in e.value for e in lector.error)
    # Run alone (as a test does): the same guard.
    root = Path(__file__).parents[2]
    for page, refusal in (("cargar.py", "no permite cargar"), ("auditoria.py", "auditoría")):
        direct = AppTest.from_file(str(root / "pages" / page), default_timeout=60)
        direct.session_state["tablero_usuario"] = "lec@aromos.cl"
        direct.run()
        assert not direct.exception
        assert not direct.file_uploader and not direct.dataframe
        assert any(refusal in e.value for e in direct.error)
    lector.switch_page("pages/antes.py").run()
    assert not [f for f in lector.button if f.label == "Guardar meta"]
    directivo = run_app(accounts_db, monkeypatch, user="dir@aromos.cl")
    directivo.switch_page("pages/antes.py").run()
    assert not directivo.exception
    assert [b for b in directivo.button if b.label == "Guardar meta"]


def test_audit_page_is_read_only_and_filterable(
    accounts_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(accounts_db) as store:
        audit.record(store, "dir@aromos.cl", "exportacion", {"archivo": "x.csv", "rbds": [90001]})
        audit.record(store, "otro@b.cl", "exportacion", {"archivo": "b.csv", "rbds": [90002]})
    at = run_app(accounts_db, monkeypatch, user="admin@slep.cl")
    at.switch_page("pages/auditoria.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"x.csv", "b.csv"} <= {d.split("archivo: ")[-1] for d in table["Detalle"]}
    # No edit controls: the only inputs are the three filters; the only button a download
    # (the sidebar's «Salir» is the app's, on every page).
    assert not at.get("data_editor") and not at.main.button and not at.text_area
    assert [b.label for b in at.sidebar.button] == ["Salir"]
    assert [w.key for w in at.text_input] == ["auditoria_actor"]
    assert [d.proto.label for d in at.get("download_button")] == ["Descargar CSV"]
    at.text_input(key="auditoria_actor").input("dir@").run()
    assert set(at.dataframe[0].value["Quién"]) == {"dir@aromos.cl"}
    # A supervisor of comuna 9101 sees school A's rows, not school B's.
    sup = run_app(accounts_db, monkeypatch, user="sup@slep.cl")
    sup.switch_page("pages/auditoria.py").run()
    details = " ".join(sup.dataframe[0].value["Detalle"])
    assert "x.csv" in details and "b.csv" not in details


def test_sign_in_form_and_lockout(accounts_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLERO_DB", str(accounts_db))
    monkeypatch.delenv("TABLERO_DEMO", raising=False)
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert not at.sidebar.selectbox  # nothing of the app before signing in
    at.text_input(key="ingreso_correo").input("dir@aromos.cl")
    at.text_input(key="ingreso_clave").input("equivocada-123")
    at.button[0].click().run()
    assert any("incorrectos" in e.value for e in at.error)
    at.text_input(key="ingreso_clave").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="f_school").options  # in
    assert any("dir" in c.value for c in at.sidebar.caption)


def test_no_auth_mode_refuses_to_start(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(store_path):
        pass
    monkeypatch.setenv("TABLERO_DB", str(store_path))
    monkeypatch.delenv("TABLERO_DEMO", raising=False)
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("no tiene configurado un modo de ingreso" in e.value for e in at.error)
    # The person in the browser is told what they can do; commands go to the operator, apart.
    said = " ".join(e.value for e in at.error)
    assert "Pida a quien administra el tablero" in said
    assert not [
        c for c in ("make run", "tablero demo", "tablero usuarios", "TABLERO_") if c in said
    ]
    assert [x.label for x in at.expander] == ["Para quien administra el servidor"]
    assert "tablero usuarios agregar" in at.expander[0].markdown[0].value
    assert not at.sidebar.selectbox


def test_a_refused_cross_school_upload_changes_nothing(
    accounts_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "copia.duckdb"
    shutil.copy(accounts_db, path)
    with open_store(path) as store:
        before = store.fingerprint()
    at = run_app(path, monkeypatch, user="dir@aromos.cl")
    at.switch_page("pages/cargar.py").run()
    data = b"rbd;nombre;comuna\n90001;Escuela Los Aromos;Puerto Aromo\n90002;Otra;Caleta\n"
    at.file_uploader[0].set_value([("establecimientos.csv", data, "text/csv")]).run()
    next(b for b in at.button if b.label.startswith("Cargar 1 archivo")).click().run()
    assert not at.exception
    assert any("RBD 90002" in e.value for e in at.error)
    with open_store(path) as store:
        assert store.fingerprint() == before
        rows = audit.read(store, audit_scope_all(), action="carga_rechazada")
        assert len(rows) == 1 and "dir@aromos.cl" in set(rows["actor"])


def audit_scope_all():  # type: ignore[no-untyped-def]
    from metrics.scope import Scope

    return Scope.all()


@pytest.mark.parametrize(
    ("email", "admitted"), [("dir@aromos.cl", True), ("desconocido@aromos.cl", False)]
)
def test_openid_connect_users_are_matched_by_email(
    accounts_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, email: str, admitted: bool
) -> None:
    path = tmp_path / "copia.duckdb"
    shutil.copy(accounts_db, path)
    monkeypatch.setenv("TABLERO_DB", str(path))
    monkeypatch.delenv("TABLERO_DEMO", raising=False)
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "google": {"client_id": "id", "client_secret": "s", "server_metadata_url": "https://x"},
    }
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception
    assert bool(at.sidebar.selectbox) is admitted
    if not admitted:
        assert any("no tiene una cuenta" in e.value for e in at.error)
    with open_store(path) as store:
        action = "ingreso" if admitted else "ingreso_rechazado"
        rows = audit.read(store, audit_scope_all(), action=action)
        assert email in set(rows["actor"])


def test_a_lector_presents_but_exports_and_writes_nothing(
    accounts_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lector = run_app(accounts_db, monkeypatch, user="lec@aromos.cl")
    lector.switch_page("pages/presentar.py").run()
    assert not lector.exception
    assert lector.title[0].value.startswith("Presentar al consejo — Escuela Los Aromos")
    assert not lector.get("download_button") and not lector.text_area
    directivo = run_app(accounts_db, monkeypatch, user="dir@aromos.cl")
    directivo.switch_page("pages/presentar.py").run()
    assert len(directivo.get("download_button")) == 3 and len(directivo.text_area) == 2
