"""Golden output of `tablero indicadores --formato json` on the demo and a small national store.

The expected outputs live in ``tests/data/golden/`` as xz-compressed column-wise JSON (about
20× smaller than the records). They were captured with the engine before it was redeclared as
data and guard that its output stays the same. Regenerate them only when a change of
output is intended and explained::

    PYTHONPATH=src python -m tests.golden
"""

from __future__ import annotations

import json
import lzma
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from metrics import cli
from metrics.store import open_store
from tablero_demo import national

HERE = Path(__file__).resolve().parent / "data" / "golden"
CUTOFF = "2025-12-31"
NATIONAL_SCALE = 0.005
NATIONAL_SEED = 7
STORES = ("demo", "nacional")


def build_store(kind: str, path: Path) -> Path:
    """Build the ``demo`` (the demo command's) or ``nacional`` (scale 0.005) store at ``path``."""
    if kind == "demo":
        assert cli.main(["demo", "--db", str(path)]) == 0
        return path
    with open_store(path) as store:
        national.build_national(store, NATIONAL_SEED, scale=NATIONAL_SCALE)
    return path


def capture(path: Path, out: Path) -> list[dict[str, Any]]:
    """The records of `tablero indicadores --formato json` on the store at ``path``."""
    code = cli.main(
        ["indicadores", "--db", str(path), "--corte", CUTOFF, "--formato", "json",
         "--salida", str(out)]
    )  # fmt: skip
    assert code == 0, f"tablero indicadores terminó con {code}"
    records: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return records


def to_columns(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Records as columns; the fields of every record, in order of first appearance (the
    Agencia's series records have fields of their own: ``serie``, ``dif_agencia``…), None
    where a record has not that field."""
    columns = list(dict.fromkeys(c for r in records for c in r))
    return {c: [r.get(c) for r in records] for c in columns}


def expected(kind: str) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = json.loads(
        lzma.decompress((HERE / f"{kind}.json.xz").read_bytes())
    )
    return data


def differences(kind: str, actual: dict[str, list[Any]], limit: int = 20) -> list[str]:
    """Where ``actual`` differs from the golden output: columns, row count, cells (floats
    compared to within 2·10⁻⁴, the JSON's rounding)."""
    want = expected(kind)
    actual = only_golden_indicators(want, actual)
    if list(want) != list(actual):
        return [f"columnas: {list(actual)} ≠ {list(want)}"]
    n_want = len(next(iter(want.values()), []))
    n_act = len(next(iter(actual.values()), []))
    if n_want != n_act:
        return [f"filas: {n_act} ≠ {n_want}"]
    key = ("indicador", "alcance", "alcance_id", "periodo")
    out: list[str] = []
    for col, values in want.items():
        for i, (w, a) in enumerate(zip(values, actual[col], strict=True)):
            if _same(w, a):
                continue
            where = "/".join(str(actual[k][i]) for k in key if k in actual)
            out.append(f"fila {i} ({where}) {col}: {a!r} ≠ {w!r}")
            if len(out) >= limit:
                return out
    return out


def only_golden_indicators(
    want: dict[str, list[Any]], actual: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    """``actual`` without the rows of indicators added to the catalogue after the capture
    (those have their own hand-computed tests)."""
    known = set(want.get("indicador", ()))
    keep = [i for i, code in enumerate(actual.get("indicador", ())) if code in known]
    return {c: [v[i] for i in keep] for c, v in actual.items()}


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return math.isclose(want, got, rel_tol=1e-6, abs_tol=2e-4)
    if isinstance(want, int) and not isinstance(want, bool) and isinstance(got, float):
        return math.isclose(want, got, rel_tol=1e-6, abs_tol=2e-4)
    return bool(want == got) and type(want) is type(got)


def main() -> int:
    HERE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in STORES:
            db = build_store(kind, Path(tmp) / f"{kind}.duckdb")
            cols = to_columns(capture(db, Path(tmp) / f"{kind}.json"))
            blob = json.dumps(cols, ensure_ascii=False, separators=(",", ":")).encode()
            (HERE / f"{kind}.json.xz").write_bytes(lzma.compress(blob, preset=9))
            print(f"{kind}: {len(next(iter(cols.values())))} filas", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
