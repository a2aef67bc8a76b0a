"""Council notes: the conclusions and agreed next steps a team writes for one school or territory
and one year, shown on the last slide of the council pack (issue 6).

A note belongs to a school (``establecimiento``, its RBD) or a territory (its id). Reads and
writes check the scope: a user sees and edits notes only of schools they see, and of territories
all of whose schools they see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from metrics.errors import AccessError, TableroError
from metrics.scope import Scope
from metrics.store.core import Store

MAX_NOTE_CHARS = 4000
"""Longest text accepted for each part of a note (a slide holds about this much)."""


@dataclass(frozen=True)
class CouncilNote:
    """What the team wrote; empty strings when nothing was written yet."""

    conclusions: str = ""
    next_steps: str = ""
    actor: str | None = None
    updated_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.conclusions.strip() or self.next_steps.strip())


def territory_fully_visible(store: Store, scope: Scope, territory_id: str) -> bool:
    """Whether ``scope`` sees every school of the territory (and it has at least one)."""
    if scope.is_all:
        return True
    # Deliberately unscoped: which schools the territory has, to compare with the scope.
    rbds = store.query_df(
        "SELECT DISTINCT rbd FROM school_territory WHERE territory_id = ?", [territory_id]
    )["rbd"]
    return bool(len(rbds)) and all(scope.allows(int(r)) for r in rbds)


def _check_visible(store: Store, scope: Scope, scope_kind: str, scope_id: str) -> None:
    """Refuse a note of a school or territory outside ``scope``."""
    if scope_kind == "establecimiento":
        if scope.allows(int(scope_id)):
            return
    elif territory_fully_visible(store, scope, scope_id):
        return
    raise AccessError("No tiene acceso a las notas de ese establecimiento o territorio.")


def read_note(store: Store, scope: Scope, scope_kind: str, scope_id: str, year: int) -> CouncilNote:
    """The note of one school or territory and year (an empty note when none was saved)."""
    _check_visible(store, scope, scope_kind, scope_id)
    df = store.query_df(
        "SELECT conclusions, next_steps, actor, updated_at FROM council_note "
        "WHERE scope_kind = ? AND scope_id = ? AND year = ?",
        [scope_kind, str(scope_id), int(year)],
    )
    if df.empty:
        return CouncilNote()
    rec = df.iloc[0]
    return CouncilNote(
        conclusions=str(rec["conclusions"]),
        next_steps=str(rec["next_steps"]),
        actor=str(rec["actor"]),
        updated_at=rec["updated_at"].to_pydatetime(),
    )


def write_note(
    store: Store,
    scope: Scope,
    scope_kind: str,
    scope_id: str,
    year: int,
    *,
    conclusions: str,
    next_steps: str,
    actor: str,
) -> None:
    """Save (or replace) the note of one school or territory and year."""
    _check_visible(store, scope, scope_kind, scope_id)
    for label, text in (("Las conclusiones", conclusions), ("Los próximos pasos", next_steps)):
        if len(text) > MAX_NOTE_CHARS:
            raise TableroError(
                f"{label} tienen {len(text)} caracteres; el máximo es {MAX_NOTE_CHARS}. "
                "Acorte el texto: una diapositiva no muestra más.",
                title="Texto demasiado largo",
            )
    with store.transaction() as cur:
        cur.execute(
            "INSERT OR REPLACE INTO council_note "
            "(scope_kind, scope_id, year, conclusions, next_steps, actor, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
            [scope_kind, str(scope_id), int(year), conclusions, next_steps, actor],
        )
