"""The audit log on screen: filters, a read-only table, the chain check and a CSV download.

No widget here changes the log: the table is a ``st.dataframe`` (read only) and the only
buttons are the filters and the download.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from metrics.access import Access
from metrics.formatting import format_datetime
from metrics.store import Store, audit

ALL = "__todas__"
_DISPLAY_LIMIT = 2000

_DETAIL_LABELS = {
    "archivo": "archivo",
    "sha256": "SHA-256",
    "tipo": "tipo",
    "filas": "filas",
    "carga": "carga",
    "indicador": "indicador",
    "alcance": "alcance",
    "alcance_id": "id",
    "anio_limite": "año límite",
    "anterior": "antes",
    "nueva": "ahora",
    "nuevo": "ahora",
    "motivo": "motivo",
    "metodo": "método",
    "correo": "cuenta",
    "rol": "perfil",
    "formato": "formato",
}


def describe(detail_json: str) -> str:
    """One line of Spanish from a detail's JSON (hashes shortened, lists of RBDs left out).

    >>> describe('{"archivo": "a.csv", "filas": 3, "rbds": [1]}')
    'archivo: a.csv · filas: 3'
    >>> describe('{"bloqueada": false}')
    'bloqueada: no'
    """
    try:
        detail = json.loads(detail_json)
    except ValueError:
        return detail_json
    parts = []
    for key, value in detail.items():
        if key == "rbds" or value is None or value == [] or value == "":
            continue
        if key == "sha256" and isinstance(value, str):
            value = value[:12] + "…"
        if isinstance(value, bool):
            value = "sí" if value else "no"
        parts.append(f"{_DETAIL_LABELS.get(key, key.replace('_', ' '))}: {value}")
    return " · ".join(parts)


def audit_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The log as users read it: Spanish columns and actions, one-line details."""
    return pd.DataFrame(
        {
            "N°": rows["id"].astype(int).to_numpy(),
            "Fecha": [format_datetime(v) for v in rows["logged_at"]],
            "Quién": rows["actor"].astype(str).to_numpy(),
            "Acción": [audit.ACTION_LABELS.get(str(a), str(a)) for a in rows["action"]],
            "Detalle": [describe(str(d)) for d in rows["detail"]],
        }
    )


def audit_section(store: Store, access: Access) -> None:
    """Filters by date, actor and action; the table; the chain check; the CSV."""
    with st.container(border=True):
        c1, c2, c3 = st.columns([2, 2, 2])
        today = date.today()
        period = c1.date_input(
            "Fechas",
            value=(today - timedelta(days=30), today),
            format="DD-MM-YYYY",
            key="auditoria_fechas",
        )
        actor = c2.text_input("Quién (correo o parte de él)", key="auditoria_actor")
        codes = [ALL, *audit.ACTION_LABELS]
        action = c3.selectbox(
            "Acción",
            codes,
            format_func=lambda c: "Todas" if c == ALL else audit.ACTION_LABELS[c],
            key="auditoria_accion",
        )
    since, until = _period(period)
    rows = audit.read(
        store,
        access.scope,
        since=since,
        until=until,
        actor=actor or None,
        action=None if action == ALL else action,
        include_own=access.actor,
    )
    if rows.empty:
        st.info("No hay registros para estos filtros.", icon=":material/search_off:")
    else:
        table = audit_table(rows)
        st.dataframe(table.head(_DISPLAY_LIMIT), hide_index=True, width="stretch")
        if len(table) > _DISPLAY_LIMIT:
            st.caption(f"Se muestran los {_DISPLAY_LIMIT} más recientes; el CSV los tiene todos.")
        from metrics.export import frame_csv
        from metrics.ui import download

        download(
            st,
            "Descargar CSV",
            lambda: frame_csv(table),  # formulas neutralised there
            f"registro_auditoria_{today.isoformat()}.csv",
            help="Separado por «;», para Excel.",
        )
    if access.scope.is_all:
        check = audit.verify_chain(store)
        if check.ok:
            st.caption(f":material/verified: {check.message()}")
        else:
            st.error(check.message(), icon=":material/gpp_bad:")


def _period(value: Any) -> tuple[date | None, date | None]:
    if isinstance(value, tuple | list):
        since = value[0] if len(value) > 0 else None
        until = value[1] if len(value) > 1 else since
        return since, until
    if isinstance(value, date):
        return value, value
    return None, None
