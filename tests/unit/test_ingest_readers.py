"""Readers: encodings, separators, headers, XLSX safety, and fuzzing (only our errors escape)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from metrics.errors import FormatError, UploadError
from metrics.imports import validate
from metrics.ingest.readers import cell_text, open_table, sniff_delimiter
from metrics.ingest.text import normalize_header, normalize_label

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
ROWS = "rbd;nombre;comuna\r\n1;Escuela Ñandú – Sur;Ñuñoa\r\n2;Liceo “Andrés”;Peñalolén\r\n"


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook()
    first = True
    for name, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet(name)
        assert ws is not None
        ws.title = name
        first = False
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROWS.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + ROWS.encode("utf-8"), "UTF-8 con BOM"),
        (ROWS.encode("cp1252"), "Windows-1252 (Latin-1)"),
        (ROWS.encode("utf-16"), "UTF-16"),
        (ROWS.encode("utf-16-le"), "UTF-16 (sin BOM)"),
        (ROWS.encode("utf-16-be"), "UTF-16 (sin BOM)"),
    ],
)
def test_encodings_are_read_to_the_same_text(data: bytes, encoding: str) -> None:
    with open_table(data, "e.csv") as table:
        assert table.encoding == encoding
        assert table.headers == ["rbd", "nombre", "comuna"]
        text = table.path.read_text(encoding="utf-8").lstrip("\ufeff")
        assert "Escuela Ñandú – Sur" in text and "“Andrés”" in text


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_separators(sep: str) -> None:
    data = ROWS.replace(";", sep).encode()
    with open_table(data, "e.csv") as table:
        assert table.delimiter == sep
    report = validate(data, "e.csv")
    assert report.ok and report.rows == 2


def test_sniff_ignores_separators_inside_quotes() -> None:
    assert sniff_delimiter('"a;b;c","d;e"') == ","
    assert sniff_delimiter("solo") == ";"


@pytest.mark.parametrize(
    ("header", "key"),
    [("AGNO", "agno"), ("  Año ", "ano"), ("Fecha Sesión", "fecha_sesion"), ("RBD", "rbd")],
)
def test_header_normalisation(header: str, key: str) -> None:
    assert normalize_header(header) == key


def test_headers_match_regardless_of_case_spaces_and_accents() -> None:
    data = " RBD ;NOMBRE;Comuna\n1;Escuela;Ñuñoa\n".encode()
    assert validate(data, "e.csv").ok


@pytest.mark.parametrize(
    ("label", "key"),
    [("5 - Muy de acuerdo", "muy de acuerdo"), ("1) Nunca", "nunca"), ("4", "4"), ("  SÍ ", "si")],
)
def test_label_normalisation(label: str, key: str) -> None:
    assert normalize_label(label) == key


def test_xlsx_sheet_choice_and_row_numbers() -> None:
    data = _xlsx(
        {
            "Instrucciones": [["Lea esto primero"]],
            "datos": [["rbd", "nombre"], [1, "Escuela"], [], ["x", "Liceo"]],
        }
    )
    with open_table(data, "e.xlsx") as table:
        assert table.sheet == "datos"
        assert table.sheets == ["Instrucciones", "datos"]
    report = validate(data, "e.xlsx")
    assert not report.ok
    # The blank row 3 is skipped but row numbers stay those of Excel.
    assert [(i.row, i.column) for i in report.errors] == [(4, "rbd (A)")]
    with pytest.raises(FormatError, match="no existe la hoja"):
        validate(data, "e.xlsx", sheet="Otra")


def test_cell_text() -> None:
    assert cell_text(3.0) == "3"
    assert cell_text(True) == "sí"


def test_real_directory_is_read_as_utf8_semicolon() -> None:
    with open_table(SHARED / "mineduc" / "directorio_oficial_ee_publico_2025.csv") as table:
        assert table.delimiter == ";"
        assert table.encoding == "UTF-8"
        assert table.headers[:3] == ["AGNO", "RBD", "DGV_RBD"]


def test_upload_size_limit(monkeypatch) -> None:
    monkeypatch.setenv("TABLERO_MAX_UPLOAD_MB", "0.00001")
    with pytest.raises(FormatError, match="límite"):
        validate(ROWS.encode(), "e.csv")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(alphabet=st.sampled_from(list('rbd;nombre,\t"\r\n12aé-Ñ ')), max_size=300).map(
            str.encode
        ),
    ),
    name=st.sampled_from(["f.csv", "f.xlsx", "f.txt", "f.tsv"]),
)
def test_readers_never_crash_with_other_errors(data: bytes, name: str) -> None:
    try:
        report = validate(data, name)
    except UploadError:
        return
    assert report.rows >= 0
    for issue in report.issues:
        assert issue.row >= 1 and issue.column


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=1, max_value=2000))
def test_truncated_xlsx_is_refused_cleanly(cut: int) -> None:
    data = _xlsx({"datos": [["rbd", "nombre"], [1, "Escuela"]]})
    with contextlib.suppress(UploadError):
        validate(data[: min(cut, len(data) - 1)], "t.xlsx")


def test_windows_1252_found_after_the_first_64_kib_is_transcoded(empty_store) -> None:
    from metrics.imports import import_file

    lines = ["rbd;nombre"] + [f"{n};Escuela {n}" for n in range(1, 8000)]
    lines.append("8000;Escuela Ñuñoa – Peñalolén")
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    assert len(data) > 65536
    result = import_file(empty_store, data, "tarde.csv", actor="test")
    assert result.rows == 8000
    assert "Windows-1252" in result.report.notes[0]
    name = empty_store.query_df("SELECT name FROM school WHERE rbd = 8000")["name"][0]
    assert name == "Escuela Ñuñoa – Peñalolén"


def test_detect_gives_a_mapped_preview() -> None:
    from metrics.imports import detect

    d = detect(ROWS.encode(), "e.csv")
    assert d.kind == "establecimientos"
    assert list(d.preview.columns[:3]) == ["rbd", "dv_rbd", "nombre"]
    assert d.preview.loc[0, "nombre"] == "Escuela Ñandú – Sur"
    unknown = detect(b"producto;precio\n1;2\n", "x.csv")
    assert unknown.kind is None and unknown.issues


def test_first_table_like_sheet_is_chosen() -> None:
    data = _xlsx({"Léame": [["Instrucciones"]], "Hoja2": [["rbd", "nombre"], [1, "E"]]})
    with open_table(data, "e.xlsx") as table:
        assert table.sheet == "Hoja2"


# -- work files: private, and gone after every import, even a killed one --------------------

_STUCK_IMPORT = """
import sys, time
from pathlib import Path
import metrics.store.loads as sql
from metrics.imports import import_file
from metrics.store import open_store

db, upload, ready = sys.argv[1:4]

def stuck(*args, **kwargs):  # the file is in the work folder; wait there to be killed
    Path(ready).write_text("listo")
    time.sleep(600)

sql.stage_file = stuck
import_file(open_store(db), Path(upload).read_bytes(), "rendimiento.csv", actor="prueba")
"""

RAW_ROWS = (
    "anio;rbd;cod_ense;grado;letra;estudiante;promedio;situacion\r\n"
    "2024;101;110;1;A;11.111.111-1;6,5;P\r\n"
)


def _staging(tmp: Path) -> Path:
    import os

    return tmp / f"tablero-import-{os.getuid()}"


def test_killed_import_leaves_private_files_that_the_next_command_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import stat
    import subprocess
    import sys
    import tempfile
    import time

    from metrics.ingest.readers import work_folder

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), TABLERO_KEY="ab" * 32)
    upload, ready, db = tmp_path / "in.csv", tmp_path / "listo", tmp_path / "t.duckdb"
    upload.write_text(RAW_ROWS, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", _STUCK_IMPORT, str(db), str(upload), str(ready)], env=env
    )
    try:
        while not ready.exists():  # waits for a state, asserts nothing about time
            assert proc.poll() is None, "the import ended before reaching the stage"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    root = _staging(tmp)
    (left,) = [p for p in root.iterdir() if p.name.startswith("carga-")]
    raw = left / "upload.csv"
    assert raw.read_bytes() == RAW_ROWS.encode()  # the raw ids a kill leaves behind...
    assert stat.S_IMODE(left.stat().st_mode) == 0o700
    assert stat.S_IMODE(raw.stat().st_mode) == 0o600  # ...readable by their owner only

    # A live import's folder (this process holds it) survives the next command's sweep.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    with work_folder() as live:
        result = subprocess.run(
            [sys.executable, "-m", "metrics.cli", "cargas", "--db", str(tmp_path / "o.duckdb")],
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert not left.exists()  # the next command removed the killed import's files
        assert live.is_dir()
    assert not live.exists()
    assert [p.name for p in root.iterdir() if p.name.startswith("carga-")] == []


_STUCK_CLI = """
import sys, time
from pathlib import Path
import metrics.store.loads as sql
from metrics.cli import run

ready = sys.argv.pop()

def stuck(*args, **kwargs):
    Path(ready).write_text("listo")
    time.sleep(600)

sql.stage_file = stuck
sys.argv[0] = "tablero"
run()
"""


def test_sigterm_during_an_import_removes_its_work_folder(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), TABLERO_KEY="ab" * 32)
    upload, ready = tmp_path / "rendimiento.csv", tmp_path / "listo"
    upload.write_text(RAW_ROWS, encoding="utf-8")
    args = ["importar", str(upload), "--db", str(tmp_path / "t.duckdb"), str(ready)]
    proc = subprocess.Popen([sys.executable, "-c", _STUCK_CLI, *args], env=env)
    try:
        while not ready.exists():
            assert proc.poll() is None, "the import ended before reaching the stage"
            time.sleep(0.05)
        assert [p.name[:6] for p in _staging(tmp).iterdir() if p.name[:6] == "carga-"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait() == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
    # Nobody swept: the import's own way out removed its folder.
    assert [p.name for p in _staging(tmp).iterdir() if p.name.startswith("carga-")] == []


def test_work_files_are_private_and_removed_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: dict[str, int] = {}
    with open_table(ROWS.encode("cp1252"), "e.csv") as table:
        folder = table.path.parent
        for p in folder.iterdir():
            seen[p.name] = stat.S_IMODE(p.stat().st_mode)
        seen["."] = stat.S_IMODE(folder.stat().st_mode)
    assert seen == {".": 0o700, "upload.csv": 0o600, "transcoded.csv": 0o600, ".dueno.lock": 0o600}
    assert not folder.exists()
    with pytest.raises(FormatError), open_table(b"\x00\x01\x02" * 400, "b.csv"):
        pass
    assert [p.name for p in _staging(tmp_path).iterdir() if p.name.startswith("carga-")] == []


# -- inputs too big for a row, generated at run time ---------------------------------------


def _write_big(path: Path, head: str, filler: bytes, size: int, tail: str) -> None:
    with path.open("wb") as fh:
        fh.write(head.encode())
        block = filler * (1 << 20)
        for _ in range(size // len(block)):
            fh.write(block)
        fh.write(tail.encode())


@pytest.mark.parametrize(
    ("head", "megabytes", "tail", "row", "column"),
    [
        # A 10 MB cell in column B of row 3.
        ("rbd;nombre\r\n1;Escuela\r\n2;", 10, "\r\n3;Liceo\r\n", 3, "nombre (B)"),
        # A 300 MB line without a break: row 3, past the limit in its first column.
        ("rbd;nombre\r\n1;Escuela\r\n", 300, "", 3, "rbd (A)"),
    ],
)
def test_oversized_cells_and_lines_name_their_row_and_column(
    empty_store, tmp_path: Path, head: str, megabytes: int, tail: str, row: int, column: str
) -> None:
    from metrics.imports import import_file

    path = tmp_path / "grande.csv"
    _write_big(path, head, b"x", megabytes << 20, tail)
    before = empty_store.fingerprint()
    with pytest.raises(FormatError) as info:
        import_file(empty_store, path, actor="test")
    assert info.value.message.startswith(f"grande.csv, fila {row}, columna {column}: la fila ")
    assert "más de 2 MB" in info.value.message
    assert empty_store.fingerprint() == before


def test_a_nul_deep_in_a_big_file_names_its_row(tmp_path: Path) -> None:
    lines = ["rbd;nombre"] + [f"{n};Escuela {n}" for n in range(1, 200_000)]
    lines[150_000] = '150000;"Escuela\r\ncon salto";x\0'
    path = tmp_path / "nulo.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    with pytest.raises(FormatError, match=r"^nulo\.csv, fila 150001, columna C: la celda tiene"):
        validate(path)


def test_two_line_ends_in_a_quoted_cell_are_not_mixed(empty_store) -> None:
    from metrics.imports import import_file

    data = b'rbd;nombre\r\n1;"Escuela\nde dos lineas"\r\n2;Liceo\r\n'
    assert import_file(empty_store, data, "e.csv", actor="test").rows == 2


def _with_cached_values(data: bytes, cached: dict[str, tuple[str, str]]) -> bytes:
    """The workbook with formula cells' cached values (cell -> (attributes, value)) written
    in, as Excel does when it saves (openpyxl writes formulas with an empty ``<v>``)."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for ref, (attrs, value) in cached.items():
                    text, n = re.subn(
                        rf'<c r="{ref}"><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                        lambda m, r=ref, a=attrs, v=value: (
                            f'<c r="{r}"{a}><f>{m.group(1)}</f><v>{v}</v></c>'
                        ),
                        text,
                    )
                    assert n == 1, text
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()


def test_formulas_are_read_by_their_cached_value_and_refused_without_one() -> None:
    rows: list[list[object]] = [
        ["rbd", "nombre", "comuna"],
        [1, "Escuela", "=B2"],
        [2, "Liceo", '=""'],
    ]
    data = _xlsx({"datos": rows})
    report = validate(data, "e.xlsx")
    assert [(i.row, i.column, i.value) for i in report.errors] == [
        (2, "comuna (C)", "=B2"),
        (3, "comuna (C)", '=""'),
    ]
    calculated = _with_cached_values(data, {"C2": (' t="str"', "Ñuñoa"), "C3": (' t="str"', "")})
    assert validate(calculated, "e.xlsx").ok
    with open_table(calculated, "e.xlsx") as table:
        assert table.path.read_text(encoding="utf-8").splitlines()[1:] == [
            "2,1,Escuela,Ñuñoa",
            "3,2,Liceo,",
        ]


def test_a_cell_longer_than_the_csv_modules_limit_is_no_crash() -> None:
    from metrics.imports import detect

    big = "x" * 200_000  # over Python's csv field limit (131,072), under DuckDB's row limit
    data = f"rbd;nombre\r\n1;{big}\r\nuno;Liceo\r\n".encode()
    report = validate(data, "e.csv")
    assert [(i.row, i.column, i.value) for i in report.errors] == [(3, "rbd (A)", "uno")]
    assert detect(data, "e.csv").kind == "establecimientos"


def test_a_folder_without_an_owner_lock_goes_only_once_abandoned(tmp_path: Path) -> None:
    import os
    import time

    from metrics.ingest.readers import sweep_work_folders

    root = tmp_path / "raiz"
    root.mkdir(mode=0o700)
    fresh, old = root / "carga-reciente", root / "carga-antigua"
    for folder in (fresh, old):
        folder.mkdir(mode=0o700)
        (folder / "upload.csv").write_text(RAW_ROWS)
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    # A version without locks may still be importing into the fresh one.
    assert sweep_work_folders(root) == 1
    assert fresh.is_dir() and not old.exists()
