"""What to compute for a person: the schools behind a selection, the many-schools rule, the
territory that stands for "all schools", and the default year and pack.

One home for these choices so that the pages (:mod:`metrics.ui`), the command line
(``tablero indicadores``, ``tablero exportar``) and the council packs
(:mod:`metrics.presentation.packs`)
agree on them. The rules are pure functions of plain inputs (a :class:`~metrics.filters.Filters`,
a count of schools, the territories table), tested by hand in ``tests/unit/test_selection.py``;
the few functions that take a store only read it to feed those rules.

This module decides; it draws nothing (no Streamlit) and computes no indicator (that is
:mod:`metrics.engine.indicators`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from metrics.errors import AccessError, TableroError
from metrics.filters import Filters
from metrics.scope import Scope
from metrics.store.notes import territory_fully_visible

if TYPE_CHECKING:
    import pandas as pd

    from metrics.store import Store

MANY_SCHOOLS = 200
"""Above this many visible schools, "all schools" stands for one territory, without the
communities' rows (pages compare the communities of one school): computing every community
of a whole country on every page would take seconds."""

TERRITORY_KINDS = {"slep": "SLEP", "deprov": "DEPROV", "comuna": "Comuna"}
"""How a territory's kind reads before its name («DEPROV Santiago Oriente»)."""


# -- the rules (pure) -------------------------------------------------------------------------


def widest_territory(territories: pd.DataFrame) -> str | None:
    """The territory that stands for "all schools": the one holding the most visible schools
    (ties: the first in the store's order, SLEP before DEPROV before comuna).

    Args:
        territories: :meth:`Store.territories` (``id``, ``name``, ``kind``, ``schools``).

    Example:
        >>> import pandas as pd
        >>> widest_territory(pd.DataFrame({"id": ["slep:1", "comuna:9"], "schools": [3, 5]}))
        'comuna:9'
    """
    if territories.empty:
        return None
    ranked = territories.sort_values("schools", ascending=False, kind="stable")
    return str(ranked["id"].iloc[0])


def communities_need_a_school(school_count: int, rbd: int | None) -> bool:
    """Whether the communities' rows wait for a school to be chosen: more than
    :data:`MANY_SCHOOLS` visible schools and none chosen.

    >>> communities_need_a_school(201, None), communities_need_a_school(201, 90001)
    (True, False)
    """
    return rbd is None and school_count > MANY_SCHOOLS


def standing_territory(filters: Filters, school_count: int, widest: str | None) -> str | None:
    """Over many schools and none chosen, the territory whose schools are computed: the one
    chosen in the filters, else ``widest``. ``None`` when the rule does not apply.

    >>> standing_territory(Filters(), 500, "slep:1"), standing_territory(Filters(), 20, "slep:1")
    ('slep:1', None)
    """
    if not communities_need_a_school(school_count, filters.rbd):
        return None
    return filters.territory_id or widest


@dataclass(frozen=True)
class Plan:
    """What the engine computes for a selection.

    ``whole``: every school of the scope with its communities, computed once and kept; a chosen
    school's rows (``rbd``) are then taken from it rather than computed again. Otherwise the
    engine computes only ``rbd``'s school, or only ``territory``'s schools, or (both ``None``)
    every school; ``communities`` says whether the communities' rows are asked for.
    """

    whole: bool
    rbd: int | None = None
    territory: str | None = None
    communities: bool = True


def plan_rows(filters: Filters, school_count: int, widest: str | None) -> Plan:
    """The :class:`Plan` for ``filters`` over a scope of ``school_count`` visible schools whose
    widest territory is ``widest``.

    - A few schools (at most :data:`MANY_SCHOOLS`): the whole scope, kept; a chosen school is
      taken from it. A chosen territory: its schools only.
    - Many schools: a chosen school alone (with its communities); else the chosen territory, or
      the widest one, without communities.

    Example:
        >>> plan_rows(Filters(rbd=90001), 20, "slep:1")
        Plan(whole=True, rbd=90001, territory=None, communities=True)
        >>> plan_rows(Filters(), 5000, "slep:1")
        Plan(whole=False, rbd=None, territory='slep:1', communities=False)
    """
    many = school_count > MANY_SCHOOLS
    if filters.rbd is not None:
        return Plan(whole=not many, rbd=filters.rbd)
    if filters.territory_id is not None:
        return Plan(whole=False, territory=filters.territory_id, communities=not many)
    if many:
        return Plan(whole=False, territory=widest, communities=False)
    return Plan(whole=True)


def selection_scope(filters: Filters, default_territory: str | None) -> tuple[str, str] | None:
    """The (alcance, alcance_id) whose rows describe the selection: its community, school or
    territory, else ``default_territory`` (the widest); ``None`` when there is none.

    >>> selection_scope(Filters(rbd=90001), "slep:90")
    ('establecimiento', '90001')
    >>> selection_scope(Filters(), "slep:90")
    ('territorio', 'slep:90')
    """
    if filters.community_id is not None:
        return ("comunidad", filters.community_id)
    if filters.rbd is not None:
        return ("establecimiento", str(filters.rbd))
    if filters.territory_id is not None:
        return ("territorio", filters.territory_id)
    if default_territory is not None:
        return ("territorio", default_territory)
    return None


@dataclass(frozen=True)
class StandingTerritory:
    """The territory whose figures stand for "all schools", when it does not hold them all."""

    territory_id: str
    label: str
    """Its kind and name, as the sidebar reads it («SLEP Santiago Centro»)."""
    schools: int
    total: int


def standing_territory_shown(
    filters: Filters, territories: pd.DataFrame, school_count: int
) -> StandingTerritory | None:
    """With no school and no territory chosen, the rows shown are the widest territory's
    (:func:`selection_scope`); this says which, when it does not hold every visible school
    (``None`` otherwise, and whenever a school or territory is chosen).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"id": ["slep:1"], "name": ["Centro"], "kind": ["slep"],
        ...                   "schools": [3]})
        >>> standing_territory_shown(Filters(), t, 4).label
        'SLEP Centro'
    """
    if filters.rbd is not None or filters.territory_id is not None:
        return None
    tid = widest_territory(territories)
    if tid is None:
        return None
    rec = territories[territories["id"] == tid].iloc[0]
    if int(rec["schools"]) >= school_count:
        return None
    return StandingTerritory(
        territory_id=tid,
        label=territory_label(str(rec["kind"]), str(rec["name"])),
        schools=int(rec["schools"]),
        total=int(school_count),
    )


def territory_label(kind: str, name: str) -> str:
    """«SLEP Santiago Centro»: a territory's kind, then its name.

    >>> territory_label("deprov", "Santiago Oriente")
    'DEPROV Santiago Oriente'
    """
    return f"{TERRITORY_KINDS.get(kind, kind)} {name}"


def default_year_of(years: list[int], latest_results_year: int | None) -> int | None:
    """The year a person sees first: the latest with students' results, else the latest with
    any data (not a year holding only a schedule, while results exist).

    >>> default_year_of([2023, 2024, 2025], 2024), default_year_of([2023, 2025], None)
    (2024, 2025)
    """
    if latest_results_year is not None:
        return latest_results_year
    return max(years) if years else None


def default_cutoff(year: int | None, today: date) -> date:
    """The cut-off date (*fecha de corte*) a year is seen at: today for the current year (or
    no year, or a year not begun), the end of the school year — 31-12, the school year being
    the calendar year — for a past one.

    31-12 rather than the last date with data: a past year's schedule is over, and an
    activity planned for December and never done is not done whether or not a file says so;
    the date does not move when a late file arrives.

    >>> default_cutoff(2025, date(2026, 12, 7)), default_cutoff(2026, date(2026, 12, 7))
    (datetime.date(2025, 12, 31), datetime.date(2026, 12, 7))
    """
    if year is None or year >= today.year:
        return today
    return date(year, 12, 31)


def cutoff_for(year: int | None, today: date, chosen: date | None = None) -> date:
    """The cut-off date of a selection: ``chosen`` when it falls in ``year``, else
    :func:`default_cutoff`. A date in another year never applies to the chosen one (with 2025
    chosen, 07-12-2026 would count activities of 2026 and draw the schedule into it).

    >>> cutoff_for(2025, date(2026, 12, 7), date(2025, 6, 30))
    datetime.date(2025, 6, 30)
    >>> cutoff_for(2025, date(2026, 12, 7), date(2026, 12, 7))
    datetime.date(2025, 12, 31)
    >>> cutoff_for(None, date(2026, 12, 7), date(2024, 3, 1))
    datetime.date(2024, 3, 1)
    """
    if chosen is not None and (year is None or chosen.year == year):
        return chosen
    return default_cutoff(year, today)


# -- the same rules, read from a store ----------------------------------------------------------


def default_territory(store: Store, scope: Scope) -> str | None:
    """:func:`widest_territory` of the territories ``scope`` sees."""
    return widest_territory(store.territories(scope))


def default_year(store: Store, scope: Scope) -> int | None:
    """:func:`default_year_of` for ``scope``: the latest year with students' results, else the
    latest with any data (``None`` for an empty store)."""
    return default_year_of(store.years(scope), store.latest_results_year(scope))


def territory_schools(store: Store, scope: Scope, territory_id: str) -> list[int]:
    """The RBDs of ``territory_id`` that ``scope`` sees."""
    return [int(r) for r in store.schools(scope, territory_id)["rbd"]]


def plan_for(store: Store, scope: Scope, filters: Filters) -> Plan:
    """:func:`plan_rows` for ``filters`` over the schools ``scope`` sees."""
    return plan_rows(filters, len(store.schools(scope)), default_territory(store, scope))


def schools_for(
    store: Store, scope: Scope, *, rbd: int | None = None, territory_id: str | None = None
) -> list[int] | None:
    """The schools a command's ``--rbd`` or ``--territorio`` stands for (``None``: every school
    of ``scope``), with a Spanish error for one that is unknown or not visible.

    Raises:
        AccessError: ``rbd`` is outside ``scope``.
        TableroError: no such school or territory among those ``scope`` sees.
    """
    if rbd is not None:
        if not scope.allows(rbd):
            raise AccessError(f"No tiene acceso al establecimiento {rbd}.")
        if int(rbd) not in set(store.schools(scope)["rbd"].astype(int)):
            raise TableroError(
                f"No hay un establecimiento con RBD {rbd} en la base de datos.",
                "Establecimiento desconocido",
            )
        return [int(rbd)]
    if territory_id is not None:
        rbds = territory_schools(store, scope, territory_id)
        if not rbds:
            raise TableroError(
                f"No hay un territorio «{territory_id}» entre los que puede ver.",
                "Territorio desconocido",
            )
        return rbds
    return None


def pack_target(store: Store, scope: Scope, filters: Filters) -> tuple[int | None, str | None]:
    """(rbd, territory id) of the council pack for ``filters``: its school, else its
    territory, else the person's only school, else the widest territory they see whole (an
    administrator: the widest of all), else their first school; (None, None) for none."""
    if filters.rbd is not None:
        return filters.rbd, None
    if filters.territory_id is not None:
        return None, filters.territory_id
    if scope.rbds is not None and len(scope.rbds) == 1:
        return next(iter(scope.rbds)), None  # a school's team: its school
    if scope.is_all:
        return None, default_territory(store, scope)
    # A supervisor: the widest territory whose schools they all see, else their first school.
    territories = store.territories(scope).sort_values("schools", ascending=False, kind="stable")
    for tid in territories["id"]:
        if territory_fully_visible(store, scope, str(tid)):
            return None, str(tid)
    schools = store.schools(scope)
    return (int(schools["rbd"].iloc[0]), None) if len(schools) else (None, None)


__all__ = [
    "MANY_SCHOOLS",
    "TERRITORY_KINDS",
    "Plan",
    "StandingTerritory",
    "communities_need_a_school",
    "cutoff_for",
    "default_cutoff",
    "default_territory",
    "default_year",
    "default_year_of",
    "pack_target",
    "plan_for",
    "plan_rows",
    "schools_for",
    "selection_scope",
    "standing_territory",
    "standing_territory_shown",
    "territory_label",
    "territory_schools",
    "widest_territory",
]
