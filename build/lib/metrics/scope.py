"""Which schools (RBDs) the current user may see.

Every read of the store takes a ``Scope``. For now the app uses ``Scope.all()``; access control
will build narrower scopes. ``Scope.nobody()`` is the default wherever no user is known: the
store denies by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scope:
    """A set of visible schools; ``rbds is None`` means every school.

    >>> Scope.schools([101, 102]).allows(101)
    True
    >>> Scope.nobody().allows(101)
    False
    """

    rbds: frozenset[int] | None
    territories: frozenset[str] | None = field(default=None, compare=False)
    """The territories whose schools this person may move in or out (a supervisor's own).
    ``None``: every territory for a scope of every school, none otherwise. Not part of what the
    scope *sees*, so two scopes of the same schools are equal."""

    @classmethod
    def all(cls) -> Scope:
        return cls(None)

    @classmethod
    def nobody(cls) -> Scope:
        return cls(frozenset())

    @classmethod
    def schools(cls, rbds: Iterable[int]) -> Scope:
        return cls(frozenset(int(r) for r in rbds))

    @property
    def is_all(self) -> bool:
        return self.rbds is None

    def allows(self, rbd: int) -> bool:
        return self.rbds is None or int(rbd) in self.rbds

    def administers(self, territory_id: str) -> bool:
        """Whether this person may add schools to, or take them from, ``territory_id``.

        >>> Scope.all().administers("slep:90"), Scope.schools([1]).administers("slep:90")
        (True, False)
        """
        if self.territories is None:
            return self.rbds is None
        return territory_id in self.territories

    def narrow(self, rbds: Iterable[int] | None) -> Scope:
        """Intersect with a filter chosen in the UI (``None``: no filter)."""
        if rbds is None:
            return self
        wanted = frozenset(int(r) for r in rbds)
        if self.rbds is None:
            return Scope(wanted)
        return Scope(self.rbds & wanted)
