"""What a person's scope costs every cache lookup of a page (README, "Rendimiento").

Every ``st.cache_data``/``st.cache_resource`` of the app hashes its arguments on each call, and
most calls carry the person's :class:`~metrics.scope.Scope` (60 to 90 lookups a page view).
Streamlit hashes a dataclass by copying it and hashing each field, and each school of a
frozenset, one by one; the app passes ``hash_funcs`` (:data:`metrics.ui.HASH_FUNCS`) that hash
a digest of the scope instead, kept per scope, and the sidebar's filters by their ``repr``.
This measures the key of a reused card (what, arguments, the store, its data version, the
scope, the sidebar's filters) hashed as the app does and, in the same run as the reference, as
Streamlit does without ``hash_funcs``: median of ``--repeticiones`` runs of ``--veces`` hashes
each, alternating, for scopes of every school, 1, 100 and 1.100 schools.

Run: ``python bench/bench_cache_keys.py [--repeticiones 9] [--veces 200]``
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from datetime import date
from typing import Any

ROWS = [("todos los establecimientos", None), ("1", 1), ("100", 100), ("1.100", 1100)]


def hash_seconds(key: tuple[Any, ...], hash_funcs: dict[Any, Any] | None, times: int) -> float:
    """Seconds per hash of ``key`` with Streamlit's cache hasher."""
    from streamlit.runtime.caching.cache_type import CacheType
    from streamlit.runtime.caching.hashing import update_hash

    start = time.perf_counter()
    for _ in range(times):
        update_hash(
            key,
            hasher=hashlib.new("md5"),
            cache_type=CacheType.DATA,
            hash_source=None,
            hash_funcs=hash_funcs,
        )
    return (time.perf_counter() - start) / times


def fmt(x: float, decimals: int = 3) -> str:
    return f"{x:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeticiones", type=int, default=9)
    parser.add_argument("--veces", type=int, default=200)
    args = parser.parse_args()

    from metrics.filters import Filters
    from metrics.scope import Scope
    from metrics.ui import HASH_FUNCS

    filters = Filters(
        rbd=90001, school_name="Escuela Los Aromos", year=2025, cutoff=date(2025, 12, 31)
    )
    print(
        f"Firma de la clave de una tarjeta reutilizada (ms por firma; mediana de "
        f"{args.repeticiones} corridas de {args.veces} firmas, alternando con la referencia: "
        "el hash de Streamlit sin `hash_funcs`)\n"
    )
    print("| alcance (establecimientos) | con `HASH_FUNCS` | sin (referencia) | razón |")
    print("|---|---:|---:|---:|")
    for label, n in ROWS:
        scope = Scope.all() if n is None else Scope.schools(range(90000, 90000 + n))
        key = ("grafico", "linea_base_metas", "Durante: 4 de 5", "Barra: valor", "x.duckdb", 0)
        key += (scope, filters)
        ours, ref = [], []
        for _ in range(args.repeticiones):
            ours.append(hash_seconds(key, HASH_FUNCS, args.veces))
            ref.append(hash_seconds(key, None, args.veces))
        a, b = statistics.median(ours) * 1000, statistics.median(ref) * 1000
        print(f"| {label} | {fmt(a)} | {fmt(b)} | {fmt(a / b, 2)} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
