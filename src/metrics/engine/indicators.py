"""The indicator engine's public API: the one place pages, exports and the CLI get numbers from.

:func:`compute_indicators` returns, for every (indicator, scope, period) visible in a
:class:`~metrics.scope.Scope`, the value against its baseline and target, with its status,
confidence interval and effect size, **already suppressed** (small groups of students never
leave this module as numbers). :func:`compute_breakdowns` gives the documented breakdowns
(schedule by person responsible, perceptions by respondent kind) under
the same suppression. Targets and baseline years are read and written through
:func:`import_targets`, :func:`export_targets` and :func:`set_baseline_year`.

SQL lives in :mod:`metrics.engine.sources` (the fact sources), :mod:`metrics.engine.cache` (the
facts cache), :mod:`metrics.engine.facts` (a request's rows), :mod:`metrics.engine.breakdowns` and
:mod:`metrics.store.targets`; formulas in :mod:`metrics.engine.compute`; this module applies them
to whole NumPy arrays (no loops over rows).

Suppression depends on every value a user can see side by side, so it is decided over the
user's whole Scope: pass the user's Scope and filter with ``alcance``/``alcance_id``/``rbds``/
``anio`` here, never a Scope narrowed to a selection (a narrowed Scope can show a value that the
wider view hides to protect a neighbour). A request for a few schools (``rbds``) is computed
over the schools tied to them through territories — the part of the scope that decides their
suppression — which gives the same values for a fraction of the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from metrics.config import MIN_GROUP_SIZE
from metrics.engine import breakdowns, compute, facts, sources
from metrics.engine import cache as fcache
from metrics.engine import rows as rows_
from metrics.engine.catalog import CATALOG, INDICATORS, SCOPE_KINDS, ScopeKind
from metrics.errors import TableroError
from metrics.scope import Scope
from metrics.store import Store
from metrics.store import targets as target_store

OUTPUT_COLUMNS: tuple[str, ...] = (
    "indicador",
    "momento",
    "alcance",
    "alcance_id",
    "periodo",
    "valor",
    "n",
    "media",
    "linea_base",
    "periodo_base",
    "linea_base_provisional",
    "meta",
    "anio_meta",
    "cambio",
    "cambio_pct",
    "progreso",
    "estado",
    "ic_inferior",
    "ic_superior",
    "concluyente",
    "efecto_g",
    "grupo_comparacion",
    "valor_comparacion",
    "n_comparacion",
    "cambio_comparacion",
    "dif_en_dif",
    "dd_ic_inferior",
    "dd_ic_superior",
    "dd_concluyente",
    "consolidado",
)
"""The fields of every result record, in order (the CLI's JSON keys; documented in the README)."""

COMPARISON_GROUP = (
    "estudiantes de los mismos niveles del establecimiento, en cursos sin docentes de comunidades"
)
"""``grupo_comparacion`` of a community's row (see ``docs/indicadores.md``)."""
PEERS_GROUP = "establecimientos sin comunidades de {}"
"""``grupo_comparacion`` of a school's or territory's row, with the territory's name."""

BREAKDOWN_OUTPUT_COLUMNS: tuple[str, ...] = (
    "indicador",
    "desglose",
    "categoria",
    "alcance",
    "alcance_id",
    "periodo",
    "valor",
    "n",
    "media",
    "suprimido",
)

TARGET_COLUMNS: tuple[str, ...] = (
    "indicador",
    "alcance",
    "alcance_id",
    "meta",
    "anio_limite",
    "motivo",
)
"""Columns of the targets file (``tablero metas exportar`` / ``importar``)."""

_SCOPE_ORDER = {k: i for i, k in enumerate(SCOPE_KINDS)}
_IND_ORDER = {code: i for i, code in enumerate(CATALOG.codes)}


class IndicatorRequestError(TableroError):
    """A request for indicators that cannot be answered (unknown scope kind or indicator)."""

    title = "Consulta de indicadores no válida"


# -- public API ----------------------------------------------------------------------------------
def resolve_min_group(store: Store, min_group: int | None = None) -> int:
    """The minimum group size: the argument, else the store's setting, else the default (10)."""
    if min_group is not None:
        if int(min_group) < 1:
            raise IndicatorRequestError("El tamaño mínimo de grupo debe ser un entero mayor que 0.")
        return int(min_group)
    return fcache.read_min_group_size(store) or MIN_GROUP_SIZE


def compute_indicators(
    store: Store,
    scope: Scope,
    *,
    alcance: ScopeKind | None = None,
    alcance_id: str | None = None,
    rbds: Iterable[int] | None = None,
    anio: int | None = None,
    corte: date | None = None,
    min_group: int | None = None,
    indicadores: Sequence[str] | None = None,
    mensual: bool = True,
    comunidades: bool = True,
) -> pd.DataFrame:
    """Every indicator, for every scope and period in ``scope``, suppressed and ready to show.

    Args:
        store: the store.
        scope: the schools the user may see (not a narrowed selection; see the module doc).
        alcance: only ``comunidad``, ``establecimiento`` or ``territorio`` rows.
        alcance_id: only the rows of this community id, RBD or territory id.
        rbds: only rows of these schools (their communities, and territories holding them).
        anio: only periods of this year (its months included).
        corte: cut-off date for ``cumplimiento_cronograma`` (default today).
        min_group: minimum group size (default: the store's setting, else 10).
        indicadores: only these codes.
        mensual: include the monthly rows (``2024-05``) of durante and resultados indicators.
        comunidades: include the communities' rows (False: schools and territories only, a
            fraction of the work over many schools).

    Returns:
        A DataFrame with exactly :data:`OUTPUT_COLUMNS`, ordered by catalogue, scope kind
        (comunidad, establecimiento, territorio), scope id and period.

    Example:
        >>> from metrics.store import open_store
        >>> df = compute_indicators(open_store(":memory:"), Scope.all(), corte=date(2024, 12, 31))
        >>> list(df.columns) == list(OUTPUT_COLUMNS), len(df)
        (True, 0)
    """
    codes = _check_request(alcance, indicadores)
    minimum = resolve_min_group(store, min_group)
    kinds = _NEEDED_KINDS[alcance]
    if not comunidades:
        if alcance == "comunidad":
            return _empty(OUTPUT_COLUMNS)
        kinds = tuple(k for k in kinds if k != "comunidad")
    chosen = None if rbds is None else sorted({int(r) for r in rbds})
    load = partial(
        facts.load_indicator_rows,
        store,
        cutoff=corte or date.today(),
        monthly=mensual,
        indicators=codes,
        # Territory rows not asked for only bound their schools' suppression.
        territory_counts_only=alcance in ("comunidad", "establecimiento"),
    )
    where = partial(_filter, alcance=alcance, alcance_id=alcance_id, anio=anio, mensual=mensual)
    if chosen is not None:
        scope = _linked(store, scope, chosen)
    if chosen is not None and "comunidad" in kinds and scope.narrow(chosen) != scope:
        return _for_schools(load, where, scope, chosen, kinds, minimum)
    rows = load(scope, kinds=kinds)
    if not len(rows):
        return _empty(OUTPUT_COLUMNS)
    return _present(rows, _evaluate(rows, minimum, where(rows, rbds=chosen)))


def _linked(store: Store, scope: Scope, rbds: list[int]) -> Scope:
    """The part of ``scope`` that decides everything about ``rbds``: the schools tied to them
    through territories (:func:`metrics.engine.facts.linked_schools`). Computing over it
    gives the whole scope's values and suppression for those schools, their communities and
    territories, for a fraction of the work when the scope spans several regions."""
    if scope.rbds is not None and len(scope.rbds) <= len(rbds):
        return scope
    return scope.narrow(facts.linked_schools(store, scope, rbds))


def _for_schools(
    load: Callable[..., facts.IndicatorRows],
    where: Callable[..., np.ndarray],
    scope: Scope,
    rbds: list[int],
    kinds: tuple[str, ...],
    minimum: int,
) -> pd.DataFrame:
    """The rows of a few schools of a wide scope, without the other schools' communities.

    A value's suppression depends on the families it is a part of, never on its own parts, so:
    schools and territories are decided over the whole scope (they do not need communities),
    then the chosen schools' communities under their school's decision — the same values the
    whole scope gives, for a fraction of the work.
    """
    upper = load(scope, kinds=tuple(k for k in kinds if k != "comunidad"))
    lower = load(scope.narrow(rbds), kinds=("comunidad", "establecimiento"))
    decided = _evaluate(upper, minimum, where(upper, rbds=rbds)) if len(upper) else None
    frames = []
    if len(lower):
        pinned = _pinned_schools(upper, decided, lower)
        keep = where(lower, rbds=rbds) & (lower.kind == sources.KIND_CODE["comunidad"])
        frames.append(_present(lower, _evaluate(lower, minimum, keep, hidden=pinned)))
    if decided is not None:
        frames.append(_present(upper, decided))
    if not frames:
        return _empty(OUTPUT_COLUMNS)
    return _merge_results(frames)


def _pinned_schools(
    upper: facts.IndicatorRows, decided: _Result | None, lower: facts.IndicatorRows
) -> np.ndarray:
    """For each row of ``lower``: a school's value that the whole scope (``upper``, evaluated
    as ``decided``) hides."""
    pinned = np.zeros(len(lower), dtype=bool)
    if decided is None:
        return pinned
    hidden = decided.hidden
    school = sources.KIND_CODE["establecimiento"]

    def keys(rows: facts.IndicatorRows, mask: np.ndarray) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays(
            [
                rows.ind[mask],
                rows.sids[rows.sid[mask]],
                np.nan_to_num(rows.year[mask], nan=-1.0),
                rows.month[mask],
                rows.base[mask],
            ]
        )

    up = (upper.kind == school) & hidden
    low = lower.kind == school
    pinned[np.flatnonzero(low)] = keys(lower, low).isin(keys(upper, up))
    return pinned


def _merge_results(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate result frames (categoricals united) into catalogue and scope-kind order."""
    out = {}
    for col in OUTPUT_COLUMNS:
        parts = [f[col] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            out[col] = pd.Series(union_categoricals(_same_category_dtype([p.array for p in parts])))
        else:
            out[col] = pd.concat(parts, ignore_index=True)
    merged = pd.DataFrame(out)
    order = np.lexsort(
        (
            merged["alcance"].map(_SCOPE_ORDER).to_numpy(dtype=np.int64),
            merged["indicador"].map(_IND_ORDER).to_numpy(dtype=np.int64),
        )
    )
    return merged.iloc[order].reset_index(drop=True)


def _same_category_dtype(parts: list[Any]) -> list[Any]:
    """``parts`` with the categories of those that have none (an empty frame, or a column
    with no value at all, such as ``periodo_base`` without a baseline) given the dtype of the
    others: their default ``object`` categories cannot be united with text ones."""
    filled = [p for p in parts if len(p.categories)]
    if not filled:
        return parts
    empty = filled[0].categories[:0]
    return [p if len(p.categories) else p.set_categories(empty) for p in parts]


def facts_are_current(store: Store) -> bool:
    """Whether the next request can skip rebuilding the facts cache (the data did not change
    since it was built)."""
    return fcache.facts_are_current(store)


def prepare_facts(store: Store, *, force: bool = False) -> float | None:
    """Bring the engine's facts cache up to date with the store's data (see
    :func:`metrics.engine.cache.ensure_facts`): the seconds a rebuild took, or None when
    it was current. :func:`compute_indicators` does it by itself; call it after loading data
    so that the next request does not wait for it."""
    return fcache.ensure_facts(store, force=force)


def engine_problems(store: Store) -> list[str]:
    """What the indicators could not use, in Spanish: a source that failed to compute (its
    indicators are missing, the rest are shown) and rows that name a community, school,
    teacher or territory the store does not hold (skipped). Empty when all is well.

    Example:
        >>> from metrics.store import open_store
        >>> engine_problems(open_store(":memory:"))
        []
    """
    fcache.ensure_facts(store)
    return fcache.read_problems(store)


def restrict_to_schools(
    store: Store, scope: Scope, results: pd.DataFrame, rbds: Iterable[int]
) -> pd.DataFrame:
    """The rows of ``results`` — the engine's output over all of ``scope`` — that the same call
    with ``rbds`` returns: those schools, their communities and the territories holding them.

    Suppression is decided over the whole scope either way, so the values are the same; this
    only saves computing them again (a page that showed every school, then one).
    """
    narrowed = scope.narrow(rbds)
    schools = {str(int(r)) for r in rbds if scope.allows(int(r))}
    comms = set(store.communities(narrowed)["id"].astype(str))
    terrs = set(store.territories(narrowed)["id"].astype(str)) if schools else set()
    kind = results["alcance"].astype(str)
    ident = results["alcance_id"].astype(str)
    mask = (
        ((kind == "establecimiento") & ident.isin(schools))
        | ((kind == "comunidad") & ident.isin(comms))
        | ((kind == "territorio") & ident.isin(terrs))
    )
    return results[mask.to_numpy()].reset_index(drop=True)


def compute_breakdowns(
    store: Store,
    scope: Scope,
    *,
    alcance: ScopeKind | None = None,
    alcance_id: str | None = None,
    rbds: Iterable[int] | None = None,
    anio: int | None = None,
    corte: date | None = None,
    min_group: int | None = None,
    indicadores: Sequence[str] | None = None,
    mensual: bool = True,
) -> pd.DataFrame:
    """The breakdowns the guide asks for, suppressed together with :func:`compute_indicators`.

    ``desglose`` is ``responsable`` (``cumplimiento_cronograma``) or ``tipo_encuestado`` (each
    ``percepcion_*``: docente, estudiante, apoderado, directivo). The Agencia's results come by
    series from :func:`metrics.engine.series.compute_series`.
    A perception's baseline wave appears with ``periodo`` ``línea base``.

    Returns:
        A DataFrame with exactly :data:`BREAKDOWN_OUTPUT_COLUMNS`.
    """
    codes = [c for c in _check_request(alcance, indicadores) if c in _BREAKDOWN_CODES]
    if not codes:
        return _empty(BREAKDOWN_OUTPUT_COLUMNS)
    minimum = resolve_min_group(store, min_group)
    cutoff = corte or date.today()
    if rbds is not None:
        rbds = sorted({int(r) for r in rbds})
        scope = _linked(store, scope, rbds)
    rows = facts.load_indicator_rows(
        store, scope, cutoff=cutoff, monthly=mensual, indicators=_BREAKDOWN_CODES
    )
    parts = breakdowns.load_breakdown_facts(store, scope, cutoff=cutoff, monthly=mensual)
    if not len(parts):
        return _empty(BREAKDOWN_OUTPUT_COLUMNS)
    res = _evaluate(rows, minimum)
    frame = _breakdown_frame(rows, res, parts, minimum)
    keep = frame["indicator"].isin(codes).to_numpy().copy()  # to_numpy() may be read-only
    if alcance is not None:
        keep &= (frame["scope_kind"] == alcance).to_numpy()
    if alcance_id is not None:
        keep &= (frame["scope_id"] == str(alcance_id)).to_numpy()
    if anio is not None:
        keep &= (frame["year"] == int(anio)).to_numpy()
    if not mensual:
        keep &= (frame["month"] == 0).to_numpy()
    if rbds is not None:
        wanted = {str(int(r)) for r in rbds}
        comms = set(rows.communities.loc[rows.communities["rbd"].astype(str).isin(wanted), "id"])
        terrs = set(rows.links.loc[rows.links["rbd"].astype(str).isin(wanted), "territory_id"])
        kind = frame["scope_kind"].to_numpy()
        sid = frame["scope_id"]
        keep &= (
            ((kind == "establecimiento") & sid.isin(wanted).to_numpy())
            | ((kind == "comunidad") & sid.isin(comms).to_numpy())
            | ((kind == "territorio") & sid.isin(terrs).to_numpy())
        )
    out = frame.loc[keep]
    hidden = out["hidden"].to_numpy(dtype=bool)
    result = pd.DataFrame(
        {
            "indicador": out["indicator"].to_numpy(),
            "desglose": out["breakdown"].to_numpy(),
            "categoria": out["category"].astype(str).to_numpy(),
            "alcance": out["scope_kind"].to_numpy(),
            "alcance_id": out["scope_id"].to_numpy(),
            "periodo": np.asarray(
                _coded(
                    _period_code(
                        out["year"].to_numpy(dtype=float),
                        out["month"].to_numpy(dtype=np.int64),
                        out["base"].to_numpy(dtype=bool),
                    ),
                    _period_label,
                ).astype(object)
            ),
            "valor": np.where(hidden, np.nan, out["value"].to_numpy(dtype=float)),
            "n": pd.array(
                np.where(hidden, np.nan, out["n"].to_numpy(dtype=float)), dtype="Float64"
            ).astype("Int64"),
            "media": np.where(hidden, np.nan, out["mean_answer"].to_numpy(dtype=float)),
            "suprimido": hidden,
        }
    )
    order = result.assign(
        _i=result["indicador"].map(_IND_ORDER), _s=result["alcance"].map(_SCOPE_ORDER)
    )
    order = order.sort_values(
        ["_i", "_s", "alcance_id", "desglose", "categoria", "periodo"], kind="stable"
    )
    return order.drop(columns=["_i", "_s"]).reset_index(drop=True)


@dataclass(frozen=True)
class TargetIssue:
    """One problem (or warning) of a targets file, as the user sees it in Excel."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"fila {self.row}, columna «{self.column}»"
        shown = f" (valor «{self.value}»)" if self.value else ""
        return f"{where}{shown}: {self.message}"


class TargetFileError(TableroError):
    """A targets file with errors: nothing was written."""

    title = "El archivo de metas tiene errores"

    def __init__(self, issues: Sequence[TargetIssue], limit: int = 20) -> None:
        self.issues = list(issues)
        lines = [str(i) for i in self.issues[:limit]]
        more = len(self.issues) - limit
        if more > 0:
            lines.append(f"… y {more} problema(s) más.")
        super().__init__(
            "No se guardó ninguna meta. Corrija estos problemas e importe de nuevo:\n  "
            + "\n  ".join(lines)
        )


@dataclass(frozen=True)
class TargetImport:
    """What an import of targets did."""

    batch_id: int
    written: int
    deleted: int
    warnings: list[TargetIssue] = field(default_factory=list)


def export_targets(store: Store, scope: Scope) -> pd.DataFrame:
    """The targets visible in ``scope``, as the targets file (:data:`TARGET_COLUMNS`)."""
    df = target_store.read_targets(store, scope)
    out = pd.DataFrame(
        {
            "indicador": df["indicator"],
            "alcance": df["scope_kind"],
            "alcance_id": df["scope_id"],
            "meta": df["target_value"].astype(float),
            "anio_limite": df["deadline_year"].astype("Int64"),
            "motivo": df["reason"],
        }
    )
    out["_o"] = out["indicador"].map(_IND_ORDER)
    out["_s"] = out["alcance"].map(_SCOPE_ORDER)
    out = out.sort_values(["_o", "_s", "alcance_id", "anio_limite"]).drop(columns=["_o", "_s"])
    return out.reset_index(drop=True)


def import_targets(
    store: Store,
    scope: Scope,
    rows: Sequence[Mapping[str, Any]],
    *,
    file_name: str,
    file_hash: str,
    actor: str,
    first_row: int = 2,
) -> TargetImport:
    """Validate the rows of a targets file and write them in one transaction (one batch).

    Each row has :data:`TARGET_COLUMNS` (``motivo`` optional). A row replaces the target with
    the same indicator, scope and deadline year; a row with an empty ``meta`` deletes it.
    Every error is reported at once (row numbers as in Excel: the header is row 1) and then
    nothing is written. A target on the wrong side of the baseline (or equal to it) is
    accepted with a warning.

    Raises:
        TargetFileError: the file has errors; ``issues`` lists them all.
    """
    issues: list[TargetIssue] = []
    visible = target_store.visible_scope_ids(store, scope)
    clean: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str, int], int] = {}
    if not rows:
        raise TargetFileError(
            [TargetIssue(first_row, "indicador", "", "el archivo no tiene filas")]
        )
    missing = [
        c for c in ("indicador", "alcance", "alcance_id", "meta", "anio_limite") if c not in rows[0]
    ]
    if missing:
        raise TargetFileError(
            [TargetIssue(1, c, "", "falta esta columna en el encabezado") for c in missing]
        )
    for offset, raw in enumerate(rows):
        row_no = first_row + offset
        rec = {k: ("" if v is None else str(v).strip()) for k, v in raw.items()}
        if not any(rec.get(c, "") for c in TARGET_COLUMNS):
            continue  # a blank line
        row_issues: list[TargetIssue] = []
        code = rec.get("indicador", "")
        if code not in INDICATORS:
            row_issues.append(
                TargetIssue(
                    row_no,
                    "indicador",
                    code,
                    "indicador desconocido; use un código de la tabla de indicadores "
                    "(por ejemplo tasa_reprobacion)",
                )
            )
        kind = rec.get("alcance", "").lower()
        if kind not in SCOPE_KINDS:
            row_issues.append(
                TargetIssue(
                    row_no,
                    "alcance",
                    rec.get("alcance", ""),
                    "alcance desconocido; use comunidad, establecimiento o territorio",
                )
            )
        scope_id = rec.get("alcance_id", "")
        if kind in SCOPE_KINDS:
            if kind == "establecimiento":
                scope_id = _normalise_rbd(scope_id)
            if scope_id not in visible.get(kind, set()):
                row_issues.append(
                    TargetIssue(
                        row_no,
                        "alcance_id",
                        rec.get("alcance_id", ""),
                        f"no existe un(a) {kind} con ese identificador entre los que usted "
                        "puede ver",
                    )
                )
        year_text = rec.get("anio_limite", "")
        year = _parse_int(year_text)
        if year is None or not 2000 <= year <= 2100:
            row_issues.append(
                TargetIssue(row_no, "anio_limite", year_text, "debe ser un año entre 2000 y 2100")
            )
        meta_text = rec.get("meta", "")
        value: float | None = None
        if meta_text:
            value = _parse_number(meta_text)
            if value is None:
                row_issues.append(
                    TargetIssue(row_no, "meta", meta_text, "debe ser un número (por ejemplo 3,5)")
                )
            elif code in INDICATORS:
                bad = _range_problem(code, value)
                if bad:
                    row_issues.append(TargetIssue(row_no, "meta", meta_text, bad))
        if not row_issues and year is not None:
            key = (code, kind, scope_id, year)
            if key in seen:
                row_issues.append(
                    TargetIssue(
                        row_no,
                        "anio_limite",
                        year_text,
                        f"meta repetida: la fila {seen[key]} ya define este indicador, alcance "
                        "y año límite",
                    )
                )
            else:
                seen[key] = row_no
        if row_issues:
            issues.extend(row_issues)
            continue
        clean.append(
            {
                "row": row_no,
                "indicator": code,
                "scope_kind": kind,
                "scope_id": scope_id,
                "target_value": value,
                "deadline_year": year,
                "reason": rec.get("motivo") or None,
                "meta_text": meta_text,
            }
        )
    if issues:
        raise TargetFileError(issues)
    warnings = _baseline_warnings(store, scope, clean)
    frame = pd.DataFrame(clean)
    if not len(frame):
        raise TargetFileError(
            [TargetIssue(first_row, "indicador", "", "el archivo no tiene filas")]
        )
    batch_id, written, deleted = target_store.write_targets(
        store,
        frame.loc[
            :, ["indicator", "scope_kind", "scope_id", "target_value", "deadline_year", "reason"]
        ],
        file_name=file_name,
        file_hash=file_hash,
        actor=actor,
    )
    return TargetImport(batch_id=batch_id, written=written, deleted=deleted, warnings=warnings)


def baseline_years(store: Store, scope: Scope) -> pd.DataFrame:
    """Each visible school's baseline year: ``rbd``, ``nombre``, ``anio_base`` (the one used),
    ``anio_base_definido`` (set by hand, or null) and ``anio_base_por_omision`` (the year
    before its first community started)."""
    return target_store.read_baseline_years(store, scope)


def set_baseline_year(
    store: Store, scope: Scope, rbd: int, year: int | None, actor: str = "tablero"
) -> None:
    """Set (or, with ``None``, clear back to the default) a school's baseline year (audited)."""
    if year is not None and not 2000 <= int(year) <= 2100:
        raise IndicatorRequestError("El año de línea base debe estar entre 2000 y 2100.")
    target_store.set_baseline_year(
        store, scope, int(rbd), None if year is None else int(year), actor=actor
    )


# -- the engine ----------------------------------------------------------------------------------
_PROPORTION, _MEAN, _RATIO = 0, 1, 2
"""A row's statistic as a number (``_Values.stat``): comparing numbers, not texts, over a
country's rows."""
_STAT_CODE = {"proporcion": _PROPORTION, "media": _MEAN, "razon": _RATIO}
_STATISTIC = np.array([_STAT_CODE[i.statistic] for i in CATALOG], dtype=np.int8)
_STUDENT = np.array([i.student_based for i in CATALOG], dtype=bool)
_SUPPRESSIBLE = np.array([i.suppressible for i in CATALOG], dtype=bool)
_SIGN = np.array([i.sign for i in CATALOG], dtype=float)
_DECIMALS = np.array([i.decimals for i in CATALOG], dtype=float)
_MEAN_BESIDE = np.array([i.mean_beside for i in CATALOG], dtype=bool)
_HAS_FALLBACK = np.array([i.fallback is not None for i in CATALOG], dtype=bool)
_FALLBACK_STATISTIC = np.array(
    [_STAT_CODE[(i.fallback or i.facts).statistic] for i in CATALOG], dtype=np.int8
)
_FACTOR = np.array([i.facts.factor for i in CATALOG], dtype=float)
_FALLBACK_FACTOR = np.array([(i.fallback or i.facts).factor for i in CATALOG], dtype=float)
_MOMENT_NAMES: tuple[str, ...] = ("antes", "durante", "resultados", "impacto")
_MOMENT_CODE = np.array([_MOMENT_NAMES.index(i.moment) for i in CATALOG], dtype=np.int64)
_BREAKDOWN_CODES = tuple(i.code for i in CATALOG if i.breakdown)
_COMPARABLE = np.array([i.code in sources.COMPARABLE for i in CATALOG], dtype=bool)

# Scope kinds a request needs: a value's suppression depends on the families it is a part of
# (a community in its school, a school in its territories), never on its own parts; and a
# territory's years are its schools'.
_NEEDED_KINDS: dict[str | None, tuple[str, ...]] = {
    None: SCOPE_KINDS,
    "comunidad": SCOPE_KINDS,
    "establecimiento": ("establecimiento", "territorio"),
    "territorio": ("establecimiento", "territorio"),
}


def _check_request(alcance: str | None, indicadores: Sequence[str] | None) -> list[str]:
    if alcance is not None and alcance not in SCOPE_KINDS:
        raise IndicatorRequestError(
            f"Alcance desconocido: «{alcance}». Use comunidad, establecimiento o territorio."
        )
    if indicadores is None:
        return list(CATALOG.codes)
    unknown = [c for c in indicadores if c not in INDICATORS]
    if unknown:
        raise IndicatorRequestError(
            f"Indicador(es) desconocido(s): {', '.join(unknown)}. Códigos válidos: "
            f"{', '.join(CATALOG.codes)}."
        )
    return list(dict.fromkeys(indicadores))


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


@dataclass
class _Values:
    """Per-row values and sufficient statistics (aligned with the rows)."""

    stat: np.ndarray
    """_PROPORTION, _MEAN or _RATIO."""
    n: np.ndarray
    k: np.ndarray
    value: np.ndarray
    var: np.ndarray
    mean_answer: np.ndarray
    var_answer: np.ndarray
    n_priv: np.ndarray
    sensitive: np.ndarray


def _values(ind: np.ndarray, monthly_source: np.ndarray, st: Mapping[str, np.ndarray]) -> _Values:
    """The value of each row from its statistics, its variance per unit (for intervals), and
    the number of students behind it."""
    # A row from an indicator's fallback facts takes the fallback's statistic and factor.
    fallback = monthly_source & _HAS_FALLBACK[ind]
    stat = np.where(fallback, _FALLBACK_STATISTIC[ind], _STATISTIC[ind])
    n = compute.fill_nan(st["n"])
    k, s1, s2, rx = st["k"], st["s1"], st["s2"], st["rx"]
    scale = np.where(fallback, _FALLBACK_FACTOR[ind], _FACTOR[ind])
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = np.where(n > 0, 100.0 * k / n, np.nan)
        mean = np.where(n > 0, s1 / n, np.nan)
        ratio = np.where(rx > 0, scale * s1 / rx, np.nan)
    value = np.select([stat == _PROPORTION, stat == _MEAN], [prop, mean], ratio)
    perception = _MEAN_BESIDE[ind]
    # Variances only where they are used: a mean's (and a perception's answers'), a ratio's.
    var = np.full(ind.size, np.nan)
    var_mean = np.full(ind.size, np.nan)
    of_mean = np.flatnonzero((stat == _MEAN) | perception)
    var_mean[of_mean] = compute.sample_variance(n[of_mean], s1[of_mean], s2[of_mean])
    is_mean = stat == _MEAN
    var[is_mean] = var_mean[is_mean]
    r = np.flatnonzero(stat == _RATIO)
    if r.size:
        var[r] = compute.ratio_unit_variance(
            n[r], s1[r], rx[r], s2[r], st["sxx"][r], st["sxy"][r]
        ) * (scale[r] * scale[r])
    n_priv = np.where(_STUDENT[ind] & np.isnan(st["n_priv"]), n, st["n_priv"])
    n_priv = compute.fill_nan(n_priv)
    return _Values(
        stat=stat,
        n=n,
        k=k,
        value=value,
        var=var,
        mean_answer=np.where(perception, mean, np.nan),
        var_answer=np.where(perception, var_mean, np.nan),
        n_priv=n_priv,
        sensitive=_SUPPRESSIBLE[ind] & (n_priv > 0),
    )


@dataclass
class _Result:
    """Everything the engine computed: ``hidden``, ``n``, ``n_priv`` and ``sensitive`` for
    every row, the rest for the rows ``idx``."""

    idx: np.ndarray
    hidden: np.ndarray
    value: np.ndarray
    n: np.ndarray
    n_priv: np.ndarray
    sensitive: np.ndarray
    media: np.ndarray
    linea_base: np.ndarray
    base_period: np.ndarray
    provisional: np.ndarray
    cambio: np.ndarray
    cambio_pct: np.ndarray
    progreso: np.ndarray
    estado: np.ndarray
    ic_inferior: np.ndarray
    ic_superior: np.ndarray
    efecto_g: np.ndarray
    comparison: _Comparison
    consolidado: np.ndarray
    """1 true, 0 false, −1 unknown (see :func:`_consolidated`)."""

    def take(self, at: np.ndarray) -> _Result:
        """The result for ``idx[at]`` (the per-row arrays of every row stay whole)."""
        whole = {"hidden", "n", "n_priv", "sensitive"}
        out = {
            f.name: getattr(self, f.name) if f.name in whole else getattr(self, f.name)[at]
            for f in fields(self)
            if f.name != "comparison"
        }
        c = self.comparison
        out["comparison"] = _Comparison(**{f.name: getattr(c, f.name)[at] for f in fields(c)})
        return _Result(**out)


@dataclass
class _Comparison:
    """A community row's comparison group (NaN elsewhere), aligned with ``_Result.idx``."""

    has: np.ndarray
    """Whether the row has a comparison group (and so ``grupo_comparacion``)."""
    group: np.ndarray
    """``grupo_comparacion``: who the group is, in Spanish (None: no group)."""
    value: np.ndarray
    n: np.ndarray
    """Students in the comparison group (0 when hidden or absent)."""
    cambio: np.ndarray
    dif_en_dif: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _evaluate(
    rows: facts.IndicatorRows,
    min_group: int,
    keep: np.ndarray | None = None,
    hidden: np.ndarray | None = None,
) -> _Result:
    """Suppression of every row; baseline, change, progress, status, interval, effect size,
    comparison group and consolidation of the rows in ``keep`` (all rows when None; the others
    are left missing). ``hidden``: rows already hidden by a wider decision.

    Consolidation looks at the year before each row's, so that year's rows are evaluated too
    (and left out of the result) when ``keep`` leaves them out."""
    size = len(rows)
    v = _values(rows.ind, rows.monthly_source, rows.stats)
    hidden = compute.suppress(
        v.n_priv, v.sensitive, rows.parent, rows.child, min_group, hidden, family=rows.family
    )
    index = rows_.RowIndex(rows)
    hidden = _hide_comparisons(rows, v, hidden, min_group, index)
    shown_all = np.where(hidden, np.nan, v.value)
    idx = np.arange(size) if keep is None else np.flatnonzero(keep)
    before = rows_.previous_years(rows)
    prev = before[idx]
    # Marks, not np.union1d/np.isin: those sort, a third of a country's request.
    asked = np.zeros(size, dtype=bool)
    asked[idx] = True
    wider = asked.copy()
    wider[prev[prev >= 0]] = True
    full = np.flatnonzero(wider).astype(np.int64)
    # Each row's year before as its place among ``full`` (−1: none, or not evaluated).
    prev_full = before[full]
    held = prev_full >= 0
    held[held] = wider[prev_full[held]]
    prev_at = np.where(held, (np.cumsum(wider) - 1)[np.maximum(prev_full, 0)], -1)
    res = _evaluate_rows(rows, v, hidden, shown_all, full, prev_at, index)
    return res if full.size == idx.size else res.take(np.flatnonzero(asked[full]))


def _evaluate_rows(
    rows: facts.IndicatorRows,
    v: _Values,
    hidden: np.ndarray,
    shown_all: np.ndarray,
    idx: np.ndarray,
    prev: np.ndarray,
    index: rows_.RowIndex,
) -> _Result:
    """Everything :func:`_evaluate` gives, for the rows ``idx`` (``prev``: the place in
    ``idx`` of each one's row of the year before; −1 none)."""
    b = rows.brid[idx]
    has = b >= 0
    bi = np.where(has, b, 0)

    def at_base(arr: np.ndarray, missing: Any = np.nan) -> np.ndarray:
        return np.where(has, arr[bi], missing)

    shown = shown_all[idx]
    hid = hidden[idx]
    base = np.where(at_base(hidden, False).astype(bool), np.nan, at_base(v.value))
    b_wave = at_base(rows.base, False).astype(bool)
    b_y0 = at_base(rows.stats["y0"])
    base_year = rows.base_year[idx]
    base_period = np.where(b_wave & ~np.isnan(b_y0), b_y0, base_year)

    year = rows.year[idx]
    month = rows.month[idx]
    meta = rows.meta[idx]
    change, pct = compute.compute_change(shown, base)
    progress = compute.compute_progress(shown, base, meta)
    ends = compute.period_end(year, np.where(month > 0, month.astype(float), np.nan))
    elapsed = compute.elapsed_share(ends, base_period, rows.meta_year[idx])
    ind = rows.ind[idx]  # a target is met as it reads: both rounded to the indicator's decimals
    estado = compute.compute_status_codes(
        shown, base, meta, _SIGN[ind], elapsed, hid, decimals=_DECIMALS[ind]
    )

    # Intervals and effect sizes only where there is a change to measure: a shown value and a
    # shown baseline from another period (the baseline row is no second, independent sample).
    same = (month == 0) & ~rows.base[idx] & ~b_wave & (year == base_period)
    ok = ~(hid | np.isnan(shown) | np.isnan(base) | same)
    j = np.flatnonzero(ok)
    lo = np.full(idx.size, np.nan)
    hi = np.full(idx.size, np.nan)
    g = np.full(idx.size, np.nan)
    if j.size:
        r = idx[j]
        rb = bi[j]
        stat = v.stat[r]
        is_prop = stat == _PROPORTION
        p_lo, p_hi = compute.newcombe(v.k[r], v.n[r], v.k[rb], v.n[rb])
        w_lo, w_hi = compute.welch(shown[j], v.var[r], v.n[r], base[j], v.var[rb], v.n[rb])
        lo[j] = np.where(is_prop, np.asarray(p_lo) * 100.0, w_lo)
        hi[j] = np.where(is_prop, np.asarray(p_hi) * 100.0, w_hi)
        g[j] = compute.hedges_g(
            v.mean_answer[r], v.var_answer[r], v.n[r],
            v.mean_answer[rb], v.var_answer[rb], v.n[rb],
        )  # fmt: skip
    comparison = _compare(rows, v, shown_all, idx, change, same, index)
    change = np.asarray(change, dtype=float)
    consolidated = _consolidated(
        month == 0, rows.base[idx], year, prev, lo, hi, change, base_period, _SIGN[ind]
    )
    return _Result(
        idx=idx,
        hidden=hidden,
        value=shown,
        n=v.n,
        n_priv=v.n_priv,
        sensitive=v.sensitive,
        media=np.where(hid, np.nan, v.mean_answer[idx]),
        linea_base=base,
        base_period=base_period,
        provisional=rows.provisional[idx],
        cambio=np.asarray(change, dtype=float),
        cambio_pct=np.asarray(pct, dtype=float),
        progreso=np.asarray(progress, dtype=float),
        estado=estado,
        ic_inferior=lo,
        ic_superior=hi,
        efecto_g=g,
        comparison=comparison,
        consolidado=consolidated,
    )


def _hide_comparisons(
    rows: facts.IndicatorRows,
    v: _Values,
    hidden: np.ndarray,
    min_group: int,
    index: rows_.RowIndex,
) -> np.ndarray:
    """``hidden`` with the comparison groups that would show too few students, or give away
    a small group beside what they are compared with (:func:`compute.suppress_beside`): a
    community's beside its school and the community; a territory's schools without
    communities beside the territory, and when the schools of theirs that are hidden add up
    to a small group."""
    n = np.where(v.sensitive, v.n_priv, v.n)
    group = np.flatnonzero(rows.kind == sources.COMPARISON_KIND)
    if group.size:
        part = index.find(group, kind=sources.KIND_CODE["comunidad"])
        school = rows_.school_of_communities(rows)[rows.sid[group]]
        total = index.find(group, kind=sources.KIND_CODE["establecimiento"], sid=school)
        hidden = compute.suppress_beside(n, hidden, total, part, group, min_group)
    peers = np.flatnonzero(rows.kind == rows_.PEERS)
    if not peers.size:
        return hidden
    total = index.find(peers, kind=sources.KIND_CODE["territorio"])
    no_part = np.full(peers.size, -1, dtype=np.int64)
    hidden = compute.suppress_beside(n, hidden, total, no_part, peers, min_group)
    # The hidden schools among a group's: their students must not be 1 to 9 (the group less
    # its shown schools would give them away).
    links = rows.links
    alone = rows_.without_communities(
        pd.DataFrame({"rbd": links["rbd"].to_numpy()}), rows.communities
    )
    sids = pd.Index(rows.sids, dtype=object)
    t_sc = np.asarray(sids.get_indexer(pd.Index(links["territory_id"].astype(str)[alone])))
    s_sc = np.asarray(sids.get_indexer(pd.Index(rows_._ids(links["rbd"][alone]))))
    ok = (t_sc >= 0) & (s_sc >= 0)
    li, ri = rows_._pairs(rows.sid[peers], t_sc[ok])
    member = index.find(peers[li], kind=sources.KIND_CODE["establecimiento"], sid=s_sc[ok][ri])
    found = member >= 0
    gone = np.bincount(
        li[found],
        weights=np.where(hidden[member[found]], n[member[found]], 0.0),
        minlength=peers.size,
    )
    small = (gone > 0) & (gone < min_group)
    out = hidden.copy()
    out[peers[small]] = True
    return out


def _unit_variance(v: _Values, r: np.ndarray) -> np.ndarray:
    """Each row's variance per unit, for a difference in differences: a proportion's from
    (k + 1) / (n + 2) (so that 0 % or 100 % of a group still has some), in points²."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 100.0 * (v.k[r] + 1.0) / (v.n[r] + 2.0)
    return np.where(v.stat[r] == _PROPORTION, p * (100.0 - p), v.var[r])


def _compare(
    rows: facts.IndicatorRows,
    v: _Values,
    shown_all: np.ndarray,
    idx: np.ndarray,
    change: Any,
    same: np.ndarray,
    index: rows_.RowIndex,
) -> _Comparison:
    """For each row in ``idx`` of an indicator with a comparison group: the group's value, its
    change against the row's own baseline year, the difference in differences and its
    interval. A community's group is its school's students of the same grades in courses
    without community teachers; a school's (with communities), the schools without
    communities of its smallest territory that has some; a territory's, its own."""
    n_out = idx.size
    nan = np.full(n_out, np.nan)
    kind = rows.kind[idx]
    comparable = _COMPARABLE[rows.ind[idx]]
    with_groups = (rows.kind == sources.COMPARISON_KIND) | (rows.kind == rows_.PEERS)
    if not with_groups.any() and not (comparable & (kind == sources.KIND_CODE["comunidad"])).any():
        # No group anywhere: one missing column shared (nothing writes to it after this).
        none = np.zeros(n_out, dtype=bool)
        return _Comparison(none, np.full(n_out, None, dtype=object), nan, np.zeros(n_out), nan,
                           nan, nan, nan)  # fmt: skip
    out = _Comparison(np.zeros(n_out, dtype=bool), np.full(n_out, None, dtype=object),
                      nan.copy(), np.zeros(n_out), nan.copy(), nan.copy(), nan.copy(),
                      nan.copy())  # fmt: skip
    peer = rows_.peer_territory(rows)
    community = kind == sources.KIND_CODE["comunidad"]
    by_peers = (kind == sources.KIND_CODE["establecimiento"]) | (
        kind == sources.KIND_CODE["territorio"]
    )
    partner_sid = np.where(community, rows.sid[idx], np.where(by_peers, peer[rows.sid[idx]], -1))
    has = comparable & (community | by_peers) & (partner_sid >= 0)
    out.has = has
    out.group[has & community] = COMPARISON_GROUP
    names = _territory_names(rows)
    peers_at = np.flatnonzero(has & by_peers)
    out.group[peers_at] = [PEERS_GROUP.format(names.get(int(t), "")) for t in partner_sid[peers_at]]
    j = np.flatnonzero(has)
    if not j.size:
        return out
    r = idx[j]
    pk = np.where(community[j], sources.COMPARISON_KIND, rows_.PEERS)
    ps = partner_sid[j]
    c = np.full(j.size, -1, dtype=np.int64)
    cb = np.full(j.size, -1, dtype=np.int64)
    b = rows.brid[r]
    for k in (sources.COMPARISON_KIND, rows_.PEERS):
        m = pk == k
        if not m.any():
            continue
        c[m] = index.find(r[m], kind=k, sid=ps[m])
        cb[m] = np.where(b[m] >= 0, index.find(np.maximum(b[m], 0), kind=k, sid=ps[m]), -1)
    found = c >= 0
    cj, cv = j[found], c[found]
    out.value[cj] = shown_all[cv]
    out.n[cj] = np.where(np.isnan(shown_all[cv]), 0.0, v.n[cv])
    with_base = found & (cb >= 0)
    wj, wc, wb = j[with_base], c[with_base], cb[with_base]
    c_change = shown_all[wc] - shown_all[wb]
    out.cambio[wj] = c_change
    own = np.asarray(change, dtype=float)[wj]
    dd = own - c_change
    out.dif_en_dif[wj] = dd
    # An interval only for a change between two periods (not the baseline year itself).
    measured = ~same[wj] & ~np.isnan(dd)
    mj, mc, mb, mr = wj[measured], wc[measured], wb[measured], r[with_base][measured]
    rb = rows.brid[mr]
    _, lo, hi = compute.did_interval(
        (own[measured], c_change[measured]),
        (_unit_variance(v, mr), _unit_variance(v, rb), _unit_variance(v, mc),
         _unit_variance(v, mb)),
        (v.n[mr], v.n[rb], v.n[mc], v.n[mb]),
    )  # fmt: skip
    out.lo[mj] = lo
    out.hi[mj] = hi
    return out


def _territory_names(rows: facts.IndicatorRows) -> dict[int, str]:
    """Scope number → name of each territory of the rows (its id when it has none)."""
    links = rows.links
    if not len(links):
        return {}
    ids = links["territory_id"].astype(str)
    names = links["name"].astype(object) if "name" in links else ids
    sids = pd.Index(rows.sids, dtype=object)
    sc = sids.get_indexer(pd.Index(ids.to_numpy(), dtype=object))
    return {
        int(t): str(n if isinstance(n, str) and n else i)
        for t, n, i in zip(sc, names, ids, strict=True)
        if t >= 0
    }


def _consolidated(
    yearly: np.ndarray,
    wave: np.ndarray,
    year: np.ndarray,
    prev: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    change: np.ndarray,
    base_period: np.ndarray,
    sign: np.ndarray,
) -> np.ndarray:
    """Whether each yearly row's change consolidates: 1 when the change against the baseline
    is conclusive in the good direction in its year and in the year before (``prev``: that
    year's row, as a place among these rows; −1 none); 0 when there are two or more years
    after the baseline up to its year and that does not hold; −1 (unknown) with fewer, on
    monthly rows (``yearly`` false), on the baseline wave's and when neither year says no but
    one has no interval."""
    out = np.full(year.size, -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        good = (((lo > 0) | (hi < 0)) & (sign * change > 0)).astype(np.int8)
        good[np.isnan(lo) | np.isnan(hi) | np.isnan(change)] = -1
        j = np.flatnonzero(yearly & ~wave & (year - base_period >= 2))
    if not j.size:
        return out
    p = prev[j]
    before = np.where(p >= 0, good[np.maximum(p, 0)], -1)
    now = good[j]
    out[j] = np.where((now == 1) & (before == 1), 1, np.where((now == 0) | (before == 0), 0, -1))
    return out


def _categorical(codes: np.ndarray, categories: Any) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(list(categories)))


def _coded(values: np.ndarray, label: Any) -> pd.Categorical:
    """A categorical of labels for many rows, computed once per distinct value."""
    if not values.size:
        return pd.Categorical([])
    uniq, inverse = _distinct(values)
    labels = [label(u) for u in uniq]
    cats = list(dict.fromkeys(x for x in labels if x is not None))
    pos = {c: i for i, c in enumerate(cats)}
    table = np.array([pos[x] if x is not None else -1 for x in labels], dtype=np.int64)
    return pd.Categorical.from_codes(table[inverse.reshape(-1)], categories=pd.Index(cats))


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``; for whole numbers over a short span (years,
    periods) by counting instead of sorting.

    >>> _distinct(np.array([2024.0, np.nan, 2023.0, 2024.0]))
    (array([2023., 2024.,   nan]), array([1, 2, 0, 1]))
    """
    known = ~np.isnan(values)
    if known.any():
        low, high = float(values[known].min()), float(values[known].max())
        whole = bool((values[known] == np.floor(values[known])).all())
        if whole and high - low < 1 << 20:
            span = int(high - low) + 1
            at = np.where(known, values - low, span).astype(np.int64)
            present = np.bincount(at, minlength=span + 1) > 0
            rank = np.cumsum(present) - 1
            slots = np.flatnonzero(present)
            uniq = np.where(slots == span, np.nan, slots + low)
            return uniq, rank[at]
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


def _period_code(year: np.ndarray, month: np.ndarray, base: np.ndarray) -> np.ndarray:
    return np.where(base, -1.0, compute.fill_nan(year, -1.0) * 100 + month)


def _period_label(code: float) -> str:
    if code < 0:
        return "línea base"
    y, m = divmod(int(code), 100)
    return f"{y}-{m:02d}" if m else str(y)


def _year_label(year: float) -> str | None:
    return None if np.isnan(year) else str(int(year))


def _filter(
    rows: facts.IndicatorRows,
    *,
    alcance: str | None,
    alcance_id: str | None,
    rbds: Iterable[int] | None,
    anio: int | None,
    mensual: bool,
) -> np.ndarray:
    keep = ~rows.base & (rows.kind < sources.COMPARISON_KIND)
    if alcance is not None:
        keep &= rows.kind == sources.KIND_CODE[alcance]
    if alcance_id is not None:
        keep &= _sid_mask(rows, {str(alcance_id)})
    if anio is not None:
        keep &= rows.year == int(anio)
    if not mensual:
        keep &= rows.month == 0
    if rbds is not None:
        keep &= _in_schools(rows, rbds)
    return keep


def _sid_mask(rows: facts.IndicatorRows, wanted: set[str]) -> np.ndarray:
    codes = [i for i, s in enumerate(rows.sids) if s in wanted]
    return np.isin(rows.sid, codes)


def _in_schools(rows: facts.IndicatorRows, rbds: Iterable[int]) -> np.ndarray:
    wanted = {str(int(r)) for r in rbds}
    comms = set(
        rows.communities.loc[rows.communities["rbd"].astype(str).isin(wanted), "id"].astype(str)
    )
    terrs = set(
        rows.links.loc[rows.links["rbd"].astype(str).isin(wanted), "territory_id"].astype(str)
    )
    return (
        ((rows.kind == 1) & _sid_mask(rows, wanted))
        | ((rows.kind == 0) & _sid_mask(rows, comms))
        | ((rows.kind == 2) & _sid_mask(rows, terrs))
    )


def _present(rows: facts.IndicatorRows, res: _Result) -> pd.DataFrame:
    """The result records (rows are already in output order)."""
    i = res.idx
    ind = rows.ind[i]
    hidden = res.hidden[i]
    n = res.n[i]
    concl = (res.ic_inferior > 0) | (res.ic_superior < 0)
    no_ci = np.isnan(res.ic_inferior) | np.isnan(res.ic_superior)
    return pd.DataFrame(
        {
            "indicador": _categorical(ind, CATALOG.codes),
            "momento": _categorical(_MOMENT_CODE[ind], _MOMENT_NAMES),
            "alcance": _categorical(rows.kind[i], SCOPE_KINDS),
            "alcance_id": _categorical(rows.sid[i], rows.sids),
            "periodo": _coded(
                _period_code(rows.year[i], rows.month[i], rows.base[i]), _period_label
            ),
            "valor": res.value,
            "n": pd.arrays.IntegerArray(
                np.where(hidden, 0, n).astype(np.int64), hidden.astype(bool).copy()
            ),
            "media": res.media,
            "linea_base": res.linea_base,
            "periodo_base": _coded(res.base_period, _year_label),
            "linea_base_provisional": res.provisional,
            "meta": rows.meta[i],
            "anio_meta": pd.arrays.IntegerArray(
                compute.fill_nan(rows.meta_year[i]).astype(np.int64),
                np.isnan(rows.meta_year[i]),
            ),
            "cambio": res.cambio,
            "cambio_pct": res.cambio_pct,
            "progreso": res.progreso,
            "estado": _categorical(res.estado, compute.STATUSES),
            "ic_inferior": res.ic_inferior,
            "ic_superior": res.ic_superior,
            "concluyente": pd.arrays.BooleanArray(concl & ~no_ci, no_ci),
            "efecto_g": res.efecto_g,
            **_comparison_columns(res),
        },
        copy=False,  # fresh arrays: no copy into 2-D blocks (a fifth of a country's request)
    )


def _comparison_columns(res: _Result) -> dict[str, Any]:
    c = res.comparison
    dd_none = np.isnan(c.lo) | np.isnan(c.hi)
    n_none = ~c.has | np.isnan(c.value)
    labels = np.full(c.has.size, -1, dtype=np.int64)
    names: list[str] = []
    if c.has.any():
        names_arr, inverse = np.unique(c.group[c.has].astype(str), return_inverse=True)
        labels[c.has] = inverse.reshape(-1)
        names = [str(n) for n in names_arr]
    return {
        "grupo_comparacion": _categorical(labels, names),
        "valor_comparacion": c.value,
        "n_comparacion": pd.arrays.IntegerArray(
            np.where(n_none, 0, c.n).astype(np.int64), n_none.copy()
        ),
        "cambio_comparacion": c.cambio,
        "dif_en_dif": c.dif_en_dif,
        "dd_ic_inferior": c.lo,
        "dd_ic_superior": c.hi,
        "dd_concluyente": pd.arrays.BooleanArray(((c.lo > 0) | (c.hi < 0)) & ~dd_none, dd_none),
        "consolidado": pd.arrays.BooleanArray(res.consolidado == 1, res.consolidado < 0),
    }


def _breakdown_frame(
    rows: facts.IndicatorRows, res: _Result, parts: pd.DataFrame, min_group: int
) -> pd.DataFrame:
    """Values of the breakdown parts, suppressed together with the values they break down."""
    main = pd.DataFrame(
        {
            "indicator": _categorical(rows.ind, CATALOG.codes),
            "scope_kind": _categorical(rows.kind, SCOPE_KINDS),
            "scope_id": _categorical(rows.sid, rows.sids),
            "yk": np.nan_to_num(rows.year, nan=-1.0),
            "month": rows.month,
            "base": rows.base,
            "rid": np.arange(len(rows)),
        }
    )
    parts = parts.reset_index(drop=True)
    ind = parts["indicator"].map(sources.IND_CODE).to_numpy(dtype=np.int64)
    stats = {
        s: parts[s].to_numpy(dtype=float) if s in parts else np.full(len(parts), np.nan)
        for s in ("n", "k", "s1", "s2", "rx", "sxx", "sxy", "n_priv")
    }
    v = _values(ind, np.zeros(len(parts), dtype=bool), stats)
    offset = len(rows)
    keyed = parts.assign(yk=parts["year"].fillna(-1.0), rid=np.arange(len(parts)) + offset)
    parent, child, family = breakdowns.breakdown_families(
        main,
        keyed.loc[
            :, ["indicator", "category", "scope_kind", "scope_id", "yk", "month", "base"]
        ].assign(rid=keyed["rid"]),
        rows.links,
        rows.communities,
    )
    hidden = compute.suppress(
        np.concatenate([res.n_priv, v.n_priv]),
        np.concatenate([res.sensitive, v.sensitive]),
        parent,
        child,
        min_group,
        hidden=np.concatenate([res.hidden, np.zeros(len(parts), dtype=bool)]),
        family=family,
    )[offset:]
    return parts.assign(value=v.value, n=v.n, mean_answer=v.mean_answer, hidden=hidden)


# -- targets helpers -----------------------------------------------------------------------------
def _parse_number(text: str) -> float | None:
    """A number written either way: ``3,5``, ``3.5``, ``1.234,5``."""
    t = text.replace(" ", "").replace("\u00a0", "").replace("%", "")
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _parse_int(text: str) -> int | None:
    value = _parse_number(text)
    if value is None or value != int(value):
        return None
    return int(value)


def _normalise_rbd(text: str) -> str:
    value = _parse_int(text.split("-")[0]) if text else None
    return str(value) if value is not None else text


def _range_problem(code: str, value: float) -> str | None:
    unit = INDICATORS[code].unit
    bounds = {"%": (0.0, 100.0), "nota": (1.0, 7.0), "puntos": (1.0, 4.0)}.get(unit)
    if bounds and not bounds[0] <= value <= bounds[1]:
        return (
            f"fuera de rango para un indicador en {unit}: debe estar entre {bounds[0]:g} y "
            f"{bounds[1]:g}"
        )
    if value < 0:
        return "no puede ser negativa"
    return None


def _baseline_warnings(store: Store, scope: Scope, rows: list[dict[str, Any]]) -> list[TargetIssue]:
    """Targets on the wrong side of their scope's baseline, or equal to it (accepted)."""
    wanted = [r for r in rows if r["target_value"] is not None]
    if not wanted:
        return []
    codes = sorted({r["indicator"] for r in wanted})
    res = compute_indicators(store, scope, indicadores=codes, mensual=False)
    base = (
        res.dropna(subset=["linea_base"])
        .drop_duplicates(["indicador", "alcance", "alcance_id"])
        .set_index(["indicador", "alcance", "alcance_id"])
    )
    out: list[TargetIssue] = []
    for r in wanted:
        key = (r["indicator"], r["scope_kind"], r["scope_id"])
        if key not in base.index:
            continue
        b = float(base.loc[key, "linea_base"])
        period = base.loc[key, "periodo_base"]
        ind = INDICATORS[r["indicator"]]
        diff = ind.sign * (r["target_value"] - b)
        if abs(r["target_value"] - b) < 1e-9:
            msg = (
                f"la meta es igual a la línea base {period} ({b:g}); el progreso no se podrá "
                "calcular"
            )
        elif diff < 0:
            better = "más alto" if ind.sign > 0 else "más bajo"
            msg = (
                f"la meta está del lado contrario a la línea base {period} ({b:g}): en este "
                f"indicador {better} es mejor. Se guardó igual; revise si es lo que quiere"
            )
        else:
            continue
        out.append(TargetIssue(r["row"], "meta", r["meta_text"], msg))
    return out
