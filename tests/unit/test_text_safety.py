"""Text is text: user text never acts as Markdown or HTML on a page, never as control characters
on a terminal, never as a formula in a CSV; errors shown on a page name no server path."""

from __future__ import annotations

import csv
import html
import io
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from metrics import cli
from metrics.cli import TerminalGuard, indicadores, metas
from metrics.errors import redact_paths
from metrics.formatting import escape_html, escape_markdown, terminal_lines, terminal_text
from metrics.store import DATA_TABLES, audit, open_store

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "good" / "indicators"
SCHOOLS = b"rbd;nombre;comuna\n101;Escuela Uno;Arica\n202;Liceo Dos;Arica\n"
EVIL_FILE = "a\x1b[2J\rb\nc\x9b31m.csv"
"""A file name that clears the screen, rewrites its line, starts a new one and (C1 CSI) paints."""


# -- Markdown ---------------------------------------------------------------------------------

# markdown-it-py (installed with rich, which import-linter brings) is an independent CommonMark
# renderer: whatever the text, its escape must render as exactly that text in one paragraph.
_MD = MarkdownIt("commonmark").enable(["strikethrough", "table"])
_PIECES = st.sampled_from(
    [
        *"ab 1.\\`*_~[]()!<>#$|&@:=+-/\"'{}^%\n\t\r\x1b",
        *("www.", "http://x", "<img src=x>", "&amp;", "1. ", "- ", "> ", "    ", "```", "~~~"),
        *("---", "===", "<!--", "$$", "| a |"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_escaped_markdown_renders_as_the_text_itself(text: str) -> None:
    expected = re.sub(r"[\x00-\x1f]", " ", text).strip()
    rendered = _MD.render(escape_markdown(text))
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n"), rendered
    inner = rendered[3:-5]
    assert "<" not in inner, rendered  # no tag: no emphasis, link, image, code or raw HTML
    assert html.unescape(inner).replace("\u2060", "") == expected


@pytest.mark.parametrize(
    ("text", "must_not_contain"),
    [
        (":red[rojo] :blue-background[x] :small[y]", [":red[", ":blue", ":small"]),
        (":material/warning: :tada: :streamlit:", [":material/", ":tada", ":streamlit"]),
        ("$x^2$ y $$z$$", ["$x", "$z", "$$"]),
        ("http://evil.cl www.evil.cl ana@evil.cl", ["http:", "www.", "ana@"]),  # GFM autolinks
        ("a -> b <- c <-> d -- e >= f <= g ~= h", ["->", "<-", "--", ">=", "<=", "~="]),
    ],
)
def test_streamlit_extensions_do_not_act(text: str, must_not_contain: list[str]) -> None:
    """Directives, shortcodes, LaTeX, autolinks and arrows are Streamlit's or GFM's, not
    CommonMark's: each is broken by a backslash or an invisible word joiner."""
    out = escape_markdown(text)
    for piece in must_not_contain:
        active = [i for i in range(len(out)) if out.startswith(piece, i) and out[i - 1 : i] != "\\"]
        assert not active, (piece, out)
    assert out.replace("\\", "").replace("\u2060", "") == text


# What Streamlit 1.67's StreamlitMarkdown finds in text nodes after parsing (from its bundle):
# GFM's bare links and e-mails, emoji shortcodes, its logo, typographic arrows.
_TEXT_NODE_PATTERNS = [
    re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.I),
    re.compile(r"(?:^|(?<=\s)|(?<=[^\w\s]))([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    re.compile(r":(?!material/|streamlit:)[\w+-][\w_+-]*:"),
    re.compile(r":streamlit:"),
    re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
]


@pytest.mark.parametrize(
    "text",
    [
        "http://evil.cl/a.png https://x.cl www.evil.cl ana.b+c@evil.cl",
        ":tada: :+1: :streamlit: :material_home: a -> b <- c <-> d -- e >= f <= g ~= h",
    ],
)
def test_what_streamlit_finds_in_text_is_broken(text: str) -> None:
    for pattern in _TEXT_NODE_PATTERNS:  # the patterns do find the raw text...
        if pattern.search(text):
            break
    else:
        raise AssertionError("no pattern applies")
    node = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escape_markdown(text))  # ...not the escaped
    assert node.replace("\u2060", "") == text
    assert not [p.pattern for p in _TEXT_NODE_PATTERNS if p.search(node)], node


def test_escape_keeps_ordinary_text_as_it_is() -> None:
    for text in ("Escuela Los Aromos", "87,5 %", "3.540.980", "Meta: 3,0", "n < 10", "1°B"):
        assert escape_markdown(text) == text


def test_escape_html_keeps_one_block() -> None:
    out = escape_html("a\r\n\r\n**b** <img src=x>\x1b\u2028c\td")
    assert out == "a<br><br>**b** &lt;img src=x&gt;<br>c d"


# -- terminal ---------------------------------------------------------------------------------


def test_terminal_text_shows_control_characters() -> None:
    assert terminal_text(EVIL_FILE) == "a\\x1b[2J\\rb\\nc\\x9b31m.csv"
    assert terminal_text("\u202eexe.txt\x7f\x00") == "\\u202eexe.txt\\x7f\\x00"
    assert terminal_text("Escuela Ñuñoa, 87,5 % — «ok»") == "Escuela Ñuñoa, 87,5 % — «ok»"
    assert terminal_lines("uno\n  dos\x1b[1m") == "uno\n  dos\\x1b[1m"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_guard_passes_lines_and_shows_the_rest() -> None:
    out = _Tty()
    guard = TerminalGuard(out)
    guard.write("a;b\r\n\x1b[2Jc\rd\te\x9b\n")
    assert out.getvalue() == "a;b\r\n\\x1b[2Jc\\rd\te\\x9b\n"
    assert guard.isatty() and guard.getvalue() == out.getvalue()  # the rest is the stream's


def test_the_cli_guards_standard_output_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[object] = []
    monkeypatch.setattr(cli, "_main", lambda argv: seen.append(sys.stdout) or 0)
    tty, plain = _Tty(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", tty)
    assert cli.main([]) == 0 and isinstance(seen[-1], TerminalGuard) and sys.stdout is tty
    monkeypatch.setattr(sys, "stdout", plain)
    assert cli.main([]) == 0 and seen[-1] is plain


@pytest.fixture
def _commands(monkeypatch: pytest.MonkeyPatch) -> None:
    modules = tuple(dict.fromkeys((*cli.COMMAND_MODULES, "importar", "cargas", "auditoria")))
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)
    monkeypatch.setenv("TABLERO_KEY", "cd" * 32)


@pytest.mark.usefixtures("_commands")
def test_a_file_name_with_control_characters_is_never_replayed(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file named like EVIL_FILE: import it, then list the loads and the audit log."""
    upload = tmp_path / EVIL_FILE.replace("\x9b", "\u009b")
    upload.write_bytes(SCHOOLS)
    assert (
        cli.main(["importar", str(upload), "--db", str(store_path), "--tipo", "establecimientos"])
        == 0
    )
    imported = capsys.readouterr()
    assert cli.main(["cargas", "--db", str(store_path)]) == 0
    loads = capsys.readouterr()
    assert cli.main(["auditoria", "--db", str(store_path)]) == 0
    log = capsys.readouterr()
    bad = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
    for printed in (imported.out, imported.err, loads.out, log.out):
        assert not bad.search(printed), repr(printed)
    visible = "a\\x1b[2J\\rb\\nc\\x9b31m.csv"
    assert visible in imported.out and visible in loads.out and visible in log.out
    assert len(loads.out.splitlines()) == 2  # the header and one load, on one line


@pytest.mark.usefixtures("_commands")
def test_a_refused_file_and_an_actor_are_shown_not_played(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upload = tmp_path / "x\x1b]0;titulo\x07.csv"
    upload.write_bytes(b"rbd;nombre;comuna\nabc;\x1b[31mrojo;Arica\n")
    assert cli.main(["importar", str(upload), "--db", str(store_path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "x\\x1b]0;titulo\\x07.csv" in err
    with open_store(store_path) as store:
        audit.record(store, "ev\x1b[8mil@x.cl", "exportacion", {"archivo": "b\rc.csv"})
    assert cli.main(["auditoria", "--db", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "ev\\x1b[8mil@x.cl" in out and "archivo=b\\rc.csv" in out and "\x1b" not in out


# -- CSV formulas -----------------------------------------------------------------------------

EVIL_ID = "=HYPERLINK(0)"
EVIL_TTY_ID = "c2\x1b[2J"


@pytest.fixture
def evil_ids_db(tmp_path: Path) -> Path:
    """The indicators' fixture with community c1 renamed ``=HYPERLINK(0)`` and c2 with an
    escape sequence, in every table that names them."""
    path = tmp_path / "t.duckdb"
    with open_store(path) as store, store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="f", file_hash="h", actor="test")
        for table in DATA_TABLES:
            source = FIXTURE / f"{table}.csv"
            if source.exists():
                frame = pd.read_csv(source, sep=";", dtype=str, keep_default_na=False)
                frame = frame.replace({"c1": EVIL_ID, "c2": EVIL_TTY_ID})
                store.insert_frame(cur, table, frame.astype(object).where(frame != "", None), batch)
    return path


def test_indicators_csv_neutralises_formulas_and_keeps_numbers(
    evil_ids_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["indicadores", "--db", str(evil_ids_db), "--formato", "csv", "--solo-anual"]
    assert cli.main(args) == 0
    rows = list(
        csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff")), delimiter=";")
    )
    ids = {r["alcance_id"] for r in rows}
    assert f"'{EVIL_ID}" in ids and EVIL_ID not in ids
    for r in rows:
        assert not any(v.startswith(("=", "@", "+")) for v in r.values()), r
    changes = [r["cambio"] for r in rows if r["cambio"].startswith(("-", "'-"))]
    assert changes and all(re.fullmatch(r"-\d+(,\d+)?", c) for c in changes), changes
    assert {
        (r["alcance_id"], r["cambio"]) for r in rows if r["indicador"] == "tasa_reprobacion"
    } >= {
        ("9", "-4,0")  # the guide's case: 6,0 % to 2,0 %, a number in Excel
    }


def test_indicators_table_shows_control_characters(
    evil_ids_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["indicadores", "--db", str(evil_ids_db), "--formato", "tabla", "--alcance", "comunidad"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "c2\\x1b[2J" in out


def test_to_csv_keeps_a_negative_number_a_number() -> None:
    df = pd.DataFrame(
        {
            "alcance_id": ["+cmd|' /C calc'!A0", "@SUM(A1)", "-1+1", "ok"],
            "cambio": [-4.0, 1.5, None, 0],
        }
    )
    lines = indicadores.to_csv(df).splitlines()
    assert lines == [
        "alcance_id;cambio",
        "'+cmd|' /C calc'!A0;-4,0",
        "'@SUM(A1);1,5",
        "'-1+1;",
        "ok;0,0",
    ]


def test_targets_export_neutralises_formulas_and_round_trips(
    evil_ids_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reasons = {
        "tasa_reprobacion": '=HYPERLINK("http://evil","x")',
        "tasa_aprobacion": "+cmd|' /C calc'!A0",
    }
    source = tmp_path / "metas.csv"
    source.write_text(
        "indicador;alcance;alcance_id;meta;anio_limite;motivo\n"
        + "".join(
            f'{code};establecimiento;1;3,0;2025;"{r.replace(chr(34), chr(34) * 2)}"\n'
            for code, r in reasons.items()
        ),
        encoding="utf-8",
    )
    assert cli.main(["metas", "--db", str(evil_ids_db), "importar", str(source)]) == 0
    out = tmp_path / "exportadas.csv"
    assert cli.main(["metas", "--db", str(evil_ids_db), "exportar", "--salida", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    exported = {
        r["indicador"]: r for r in rows if r["anio_limite"] == "2025" and r["alcance_id"] == "1"
    }
    assert {c: exported[c]["motivo"] for c in reasons} == {c: "'" + r for c, r in reasons.items()}
    assert {r["alcance_id"] for r in rows if r["alcance"] == "comunidad"} >= {f"'{EVIL_ID}"}
    # Imported back, the reasons are what they were (the apostrophe was the export's).
    rows_back, _ = metas.read_targets_file(out)
    back = {
        r["indicador"]: r["motivo"]
        for r in rows_back
        if r["anio_limite"] == "2025" and r["alcance_id"] == "1"
    }
    assert {c: back[c] for c in reasons} == reasons
    assert f"{EVIL_ID}" in {r["alcance_id"] for r in rows_back}


# -- paths ------------------------------------------------------------------------------------


def test_redact_paths() -> None:
    assert redact_paths("La base de datos data/t.duckdb está abierta.", ["data/t.duckdb"]) == (
        "La base de datos está abierta."
    )
    text = (
        'No se pudo leer "/srv/tablero/work/tmp1/upload.csv" ni C:\\datos\\t.duckdb ni ~/t.duckdb'
    )
    assert redact_paths(text) == 'No se pudo leer "…" ni … ni …'
    kept = "http://x.cl/a/b, 1/2/24, sesiones/mes, 50/50, «/»"
    assert redact_paths(kept) == kept
