"""The selection shared by every page: territory, school, community, year and cut-off date.

Plain data, no Streamlit: ``metrics.ui`` draws the widgets and builds a :class:`Filters`;
pages and exports read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from metrics.scope import Scope


@dataclass(frozen=True)
class Filters:
    """What the user chose in the sidebar; ``None`` means "all"."""

    territory_id: str | None = None
    territory_name: str | None = None
    rbd: int | None = None
    school_name: str | None = None
    community_id: str | None = None
    community_name: str | None = None
    year: int | None = None
    cutoff: date | None = None

    def label(self) -> str:
        """A short Spanish description of the selection, for titles.

        >>> Filters(school_name="Escuela Los Aromos", year=2024).label()
        'Escuela Los Aromos, 2024'
        """
        place = self.community_name or self.school_name or self.territory_name
        parts = [place or "Todos los establecimientos"]
        if self.year is not None:
            parts.append(str(self.year))
        return ", ".join(parts)

    def scope(self, base: Scope, territory_rbds: list[int] | None = None) -> Scope:
        """The user's scope narrowed to the chosen school or territory."""
        if self.rbd is not None:
            return base.narrow([self.rbd])
        if self.territory_id is not None and territory_rbds is not None:
            return base.narrow(territory_rbds)
        return base
