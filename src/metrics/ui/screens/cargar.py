"""*Cargar datos* (``pages/cargar.py``): the templates, and the upload — every file validated
whole, its columns matched, the errors shown all at once, nothing written when there are any.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from metrics import imports
from metrics.errors import TableroError
from metrics.formatting import escape_markdown, format_size
from metrics.imports import KIND_LABELS, MappingRow, template_csv, template_xlsx
from metrics.ingest.readers import max_upload_bytes
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import data_changed, download, report_table, show_error


def templates_section() -> None:
    """Download a canonical template (CSV or Excel, with example rows and valid codes)."""

    with st.expander("Plantillas para cargar datos propios"):
        kind = st.selectbox(
            "Conjunto de datos",
            list(KIND_LABELS),
            format_func=lambda k: KIND_LABELS[k],
            key="plantilla",
        )
        c1, c2, _ = st.columns([1, 1, 3])
        download(c1, "Plantilla CSV", lambda: template_csv(kind), f"plantilla_{kind}.csv")
        download(c2, "Plantilla Excel", lambda: template_xlsx(kind), f"plantilla_{kind}.xlsx")
        st.caption("La planilla Excel trae filas de ejemplo y una hoja con los códigos válidos.")


def _mapping_editor(detection: Any, key: str) -> list[Any] | None:
    """Let the user confirm a Forms question → dimension mapping; None until confirmed."""

    st.warning(
        "Este archivo es una exportación de formulario: confirme a qué dimensión "
        "corresponde cada pregunta (y cuáles están invertidas). Se guardará para las "
        "próximas cargas del mismo instrumento.",
        icon=":material/rule:",
    )
    proposal = pd.DataFrame(
        [
            {"pregunta": m.question, "dimension": m.dimension, "invertida": m.reverse}
            for m in detection.proposed_mapping
        ]
    )
    edited = st.data_editor(
        proposal,
        key=f"mapeo_{key}",
        hide_index=True,
        width="stretch",
        column_config={
            "pregunta": st.column_config.TextColumn("Pregunta", disabled=True, width="large"),
            "dimension": st.column_config.TextColumn(
                "Dimensión o rol",
                help="colaboracion, apoyo, satisfaccion, aprendizaje, otra dimensión propia, "
                "abierta (pregunta de texto libre: se guardan sus respuestas, sin autor), "
                "o un rol: establecimiento, comunidad, tipo_encuestado, ignorar.",
            ),
            "invertida": st.column_config.CheckboxColumn("Invertida"),
        },
    )
    if not st.checkbox("Confirmo este mapeo", key=f"ok_mapeo_{key}"):
        return None
    return [
        MappingRow(question=str(r.pregunta), dimension=str(r.dimension), reverse=bool(r.invertida))
        for r in edited.itertuples()
    ]


def upload_limit_text() -> str:
    """The upload's limit in Spanish: the smaller of the server's (``server.maxUploadSize``)
    and the importer's (``TABLERO_MAX_UPLOAD_MB``), and the accepted types."""
    server = int(st.get_option("server.maxUploadSize")) * 1_048_576
    return (
        f"Hasta {format_size(min(server, max_upload_bytes()))} por archivo; archivos CSV, TXT "
        "o Excel (XLSX)."
    )


def upload_section(store: Store, actor: str, scope: Scope | None = None) -> None:
    """Several files at once: detect, preview, validate all, then import on confirmation.

    With a ``scope``, a file with rows of schools outside it is refused whole at import.
    """
    limit = upload_limit_text()
    files = st.file_uploader(
        "Archivos CSV o Excel (puede elegir varios)",
        type=["csv", "txt", "xlsx"],
        accept_multiple_files=True,
        key="archivos",
        help=f"Arrastre los archivos al recuadro o use «Elegir archivos». {limit}",
    )
    st.caption(f":material/info: {limit}")
    if not files:
        st.info(
            "Suba los archivos oficiales tal como los descarga (Directorio, Rendimiento, "
            "Asistencia mensual, SIMCE, Google Forms, Microsoft Forms) o una plantilla.",
            icon=":material/upload_file:",
        )
        return
    done: set[str] = st.session_state.setdefault("cargados", set())
    ready: list[tuple[Any, bytes, dict[str, Any]]] = []
    # What others point at goes first (schools, communities, teachers), and a file may name
    # what an earlier file of this upload brings.
    detections: dict[str, Any] = {}
    for up in files:
        try:
            detections[up.file_id] = imports.detect(up.getvalue(), up.name, store=store)
        except TableroError as exc:
            detections[up.file_id] = exc
    kinds = [getattr(detections[up.file_id], "kind", None) for up in files]
    pending = imports.Pending()
    for up in [files[i] for i in imports.upload_order(kinds)]:
        data = up.getvalue()
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(up.name)}** · {format_size(len(data))}")
            if up.file_id in done:
                st.success("Ya se cargó en esta sesión.", icon=":material/check:")
                continue
            detection = detections[up.file_id]
            if isinstance(detection, TableroError):
                show_error(detection)
                continue
            options: dict[str, Any] = {}
            c1, c2 = st.columns([2, 1])
            c1.markdown(
                f"Tipo detectado: **{escape_markdown(detection.kind_label)}** · formato: "
                f"{escape_markdown(detection.format_label)} · codificación "
                f"{escape_markdown(detection.encoding)}"
            )
            if len(detection.sheets) > 1:
                options["sheet"] = c2.selectbox("Hoja", detection.sheets, key=f"hoja_{up.file_id}")
            for note in detection.notes:  # the ignored columns among them
                st.caption(escape_markdown(note))
            if detection.needs_mapping:
                mapping = _mapping_editor(detection, up.file_id)
                if mapping is None:
                    continue
                options["mapping"] = mapping
            if len(detection.preview):
                with st.expander("Vista previa (primeras filas, columnas del tablero)"):
                    st.dataframe(detection.preview, hide_index=True, width="stretch")
            report = imports.validate(data, up.name, store=store, upload=pending, **options)
            if report.ok:
                st.success(escape_markdown(report.summary()), icon=":material/check_circle:")
                if report.warnings:
                    with st.expander(f"Advertencias ({len(report.warnings)})"):
                        st.dataframe(report_table(report), hide_index=True, width="stretch")
                ready.append((up, data, options))
            else:
                st.error(escape_markdown(report.summary()), icon=":material/error:")
                st.dataframe(report_table(report), hide_index=True, width="stretch")
                st.download_button(
                    "Descargar el informe con cada error (Excel)",
                    data=report.to_xlsx(),
                    file_name=f"errores_{up.name}.xlsx",
                    key=f"informe_{up.file_id}",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    icon=":material/download:",
                    on_click="ignore",
                )
    if not ready:
        return
    label = f"Cargar {len(ready)} archivo" + ("s" if len(ready) > 1 else "")
    if not st.button(label, type="primary", icon=":material/cloud_upload:"):
        return
    bar = st.progress(0.0, text="Cargando…")
    imported = 0
    brought = imports.Pending()
    for i, (up, data, options) in enumerate(ready):

        def step(fraction: float, message: str, i: int = i, name: str = up.name) -> None:
            text = escape_markdown(f"{name}: {message}")
            bar.progress(min(1.0, (i + fraction) / len(ready)), text=text)

        try:
            result = imports.import_file(
                store,
                data,
                up.name,
                actor=actor,
                progress=step,
                scope=scope,
                upload=brought,
                **options,
            )
        except TableroError as exc:
            show_error(exc)
            continue
        done.add(up.file_id)
        imported += result.batch_id is not None
        st.success(escape_markdown(result.summary()), icon=":material/check_circle:")
    if imported:
        data_changed(store, bar)
    else:
        bar.progress(1.0, text="Listo.")
