"""The documentation in docs/: linked from the README, true to the catalogue, and the only
reference the code makes (no file outside the repository, no tracker issue numbers)."""

from __future__ import annotations

import re
from pathlib import Path

from metrics.engine.catalog import CATALOG

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("dominio.md", "indicadores.md", "diseno.md", "glosario.md", "importar.md")


def test_the_readme_links_every_document() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / "docs" / name).is_file(), name
        assert f"](docs/{name})" in readme, f"el README no enlaza docs/{name}"


def test_the_method_covers_every_indicator_of_the_catalogue() -> None:
    """Adding an indicator means saying in docs/indicadores.md how it is computed."""
    text = (ROOT / "docs" / "indicadores.md").read_text(encoding="utf-8")
    missing = [code for code in CATALOG.codes if f"`{code}`" not in text]
    assert not missing, f"docs/indicadores.md no explica: {', '.join(missing)}"


def test_relative_links_between_documents_resolve() -> None:
    for path in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.name}: enlace roto a {target}"


def test_code_refers_to_the_repository_docs_only() -> None:
    """Code, tests and the README cite docs/ (or README sections), never texts a reader of the
    repository cannot open: the shared notes beside it or tracker issue numbers."""
    outside = re.compile(r"DOMAIN\.md|DESIGN\.md|CONVENTIONS\.md|\bissue \d+|\bissue «|#1\d\b")
    files = [ROOT / "README.md", ROOT / "app.py"]
    for folder in ("src", "pages", "tests", "bench", "docs"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md"}]
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in files
        if p != Path(__file__).resolve()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert not found, found
