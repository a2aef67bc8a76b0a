"""The council pack: the evaluation of one school (or territory) and year as a sequence of slides.

One :class:`Pack` feeds every way of showing it — the *Presentar* page, the PowerPoint, the PDF
and the Excel workbook — so that they all say the same thing. Each slide has one chart, its
computed headline (the slide title), two or three facts, and speaker notes with the *ficha
técnica* of its indicators.

Numbers come from :func:`metrics.engine.indicators.compute_indicators` (already suppressed: a small
group's value is null and its status ``suprimido``) and from store views; nothing here reads a
value the engine suppressed. No Streamlit, no SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from metrics.engine.catalog import INDICATORS, SERIES_INDICATORS, Indicator, slide_indicators
from metrics.engine.indicators import compute_indicators
from metrics.engine.series import compute_series
from metrics.engine.sources import COMPARABLE
from metrics.errors import AccessError, TableroError
from metrics.formatting import count_label, format_date, format_number, format_percent
from metrics.presentation import agency, charts
from metrics.presentation.narrative import with_article
from metrics.presentation.records import followup_headline, followup_summary
from metrics.presentation.status import range_phrase, status_counts, status_text
from metrics.presentation.views import (
    COMPARISON_METHOD,
    CONSOLIDATED_BADGE,
    PROVISIONAL_NOTE,
    baseline_name,
    baseline_text,
    bullet_frame,
    first_present,
    format_indicator_change,
    format_indicator_value,
    is_better,
    is_provisional,
    plain,
    trend_view,
)
from metrics.scope import Scope
from metrics.selection import cutoff_for, default_year
from metrics.store import Store, records, views
from metrics.store.notes import CouncilNote, read_note, territory_fully_visible

SLIDE_KINDS: dict[str, str] = {
    "portada": "Portada",
    "modelo": "El modelo y las comunidades",
    "antes": "Antes — línea base y metas",
    "durante": "Durante — implementación",
    "resultados": "Resultados — comunidades de práctica",
    "impacto": "Impacto — estudiantes",
    "cualitativo": "Revisión cualitativa",
    "seguimiento": "Plan de seguimiento",
    "conclusiones": "Conclusiones y próximos pasos",
}
"""Kinds of slide, in the order of a pack, with the section title each shows."""

SLIDE_PIXELS = (1920, 1080)
"""A slide is drawn for a 1920×1080 projector: the page (a 13,33 × 7,5 in deck at 144 px per
inch) and the charts on it are sized in these pixels, so their text is the size it shows."""

CHART_WIDTH = 1180
"""Width (px) of a slide's chart: 8,2 in of the 13,33 in slide at 144 px per inch, beside the
facts (:mod:`metrics.presentation.export.slides` draws it there at exactly this size)."""

CHART_HEIGHT = 640
"""Height (px) of a slide's chart, all of it (titles, axes, legend): 4,45 in at 144 px per
inch, what the slide leaves under its headline."""

SLIDE_FONT = 22
"""Chart text on a slide (px on a 1920×1080 projector): readable from the back of a room."""

TREND_HEIGHT = CHART_HEIGHT - 200
"""The plot of a yearly series on a slide: the chart less its title, subtitle, year axis and
two-row legend."""

BAR_STEP = 110
"""Room of one bar on a slide's bar chart at most (pixels): thick bars that fill the space."""


def bar_step(bars: int) -> int:
    """Room of each of ``bars`` bars so that the chart fills its height and no more (never
    under the text's own height).

    >>> bar_step(4), bar_step(12)
    (110, 45)
    """
    return max(SLIDE_FONT + 6, min(BAR_STEP, (CHART_HEIGHT - 100) // max(bars, 1)))


def bullet_height(rows: int) -> int:
    """Height of each of ``rows`` bullets so that the stack (each with its title and axis)
    fits :data:`CHART_HEIGHT`.

    >>> bullet_height(6), bullet_height(2)
    (30, 60)
    """
    per_row = CHART_HEIGHT // max(rows, 1)
    return max(SLIDE_FONT, min(60, per_row - 3 * SLIDE_FONT - 10))


SLIDE_AUTOSIZE = {"type": "fit-x", "contains": "padding"}
"""A slide's chart is exactly :data:`CHART_WIDTH` wide, axes and labels included."""


def _on_slide(chart: Any) -> Any:
    return chart.properties(autosize=SLIDE_AUTOSIZE)


def _slide_text(chart: Any) -> charts.Spec:
    """A page's chart with every axis, legend and title text at :data:`SLIDE_FONT`."""
    spec = chart.to_dict(validate=False)
    spec["config"] = charts.sized_config(SLIDE_FONT)
    return charts.Spec(spec)


PERCEPTION = slide_indicators("percepcion")
RESULTS = slide_indicators("resultados")
MAX_BULLETS = 6
"""At most this many indicators on the Antes slide (the ones with a target first)."""


class PackError(TableroError):
    """A pack cannot be made for this selection."""

    title = "No se pudo preparar la presentación"


class NothingToPresent(PackError):
    """The school or territory has no data yet (pages show an empty state, not an error)."""


@dataclass(frozen=True)
class Slide:
    """One slide: ``title`` is the computed headline, ``section`` names the moment."""

    kind: str
    section: str
    title: str
    facts: tuple[str, ...] = ()
    chart: Any | None = None
    notes: str = ""
    caption: str = ""
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pack:
    """Everything a pack shows, for one school or territory and one year."""

    scope_kind: str  # 'establecimiento' or 'territorio'
    scope_id: str
    name: str
    year: int
    cutoff: date
    communities: pd.DataFrame  # community_id, rbd, name, kind, members, novices (selected)
    results: pd.DataFrame  # engine rows (yearly) of the pack's scopes, every year
    note: CouncilNote
    slides: list[Slide] = field(default_factory=list)
    school_names: dict[str, str] = field(default_factory=dict)  # RBD -> name, in the pack

    @property
    def title(self) -> str:
        return f"Evaluación del Modelo de trabajo colaborativo — {self.name}, {self.year}"

    @property
    def file_stem(self) -> str:
        ident = self.scope_id.replace(":", "-")
        return f"consejo_{ident}_{self.year}"

    def table(self) -> pd.DataFrame:
        """The indicator rows of every scope in the pack (the main one and its communities)."""
        return self.results.reset_index(drop=True)


def _pick(rows: pd.DataFrame, code: str) -> pd.Series | None:
    hit = rows[rows["indicador"] == code]
    return None if hit.empty else hit.iloc[0]


def _value_text(ind: Indicator, row: pd.Series | None) -> str:
    """A value as a fact shows it; a suppressed one is never shown."""
    if row is None:
        return "sin datos"
    if row["estado"] == "suprimido":
        return "n < 10 (no se muestra)"
    return format_indicator_value(ind, row["valor"])


_DIRECTION_WORDS = {"higher_is_better": "más alto es mejor", "lower_is_better": "más bajo es mejor"}


SIMCE_CODES = ("simce_puntaje", "simce_adecuado", "simce_insuficiente")
IDPS_CODES = ("idps_autoestima", "idps_convivencia", "idps_participacion", "idps_habitos")


def _ficha(codes: Sequence[str]) -> str:
    """Speaker notes: the *ficha técnica* of each indicator of a slide."""
    parts = []
    for code in codes:
        ind: Indicator | Any = INDICATORS.get(code) or SERIES_INDICATORS[code]
        sheet = ind.sheet
        text = (
            f"{ind.name} ({ind.unit}; {_DIRECTION_WORDS[ind.direction]})"
            f"\nDefinición: {ind.definition}\nFórmula: {sheet.formula}\nNumerador: "
            f"{sheet.numerator}\nDenominador: {sheet.denominator}\nFuente: {sheet.source}"
        )
        if sheet.notes:
            text += f"\nNotas: {sheet.notes}"
        if ind.code in COMPARABLE:
            text += f"\n{COMPARISON_METHOD}"
        parts.append(text)
    return "\n\n".join(parts)


def _status_fact(row: pd.Series) -> list[str]:
    """The status as a fact, in the pages' words; nothing for a suppressed row (its slide
    says why)."""
    status = str(row["estado"])
    if status == "suprimido":
        return []
    return [f"Estado: {status_text(INDICATORS[str(row['indicador'])], row)}."]


def _bar_frame(rows: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    ind = INDICATORS[str(rows["indicador"].iloc[0])]
    return pd.DataFrame(
        {
            "etiqueta": [names.get(str(i), str(i)) for i in rows["alcance_id"]],
            "valor": pd.to_numeric(rows["valor"], errors="coerce").to_numpy(),
            "n": rows["n"].to_numpy(),
            "suprimido": (rows["estado"] == "suprimido").to_numpy(),
            "mejor": [is_better(ind, c) for c in rows["cambio"]],
        }
    )


def _range_headline(ind: Indicator, frame: pd.DataFrame, year: int, groups: str) -> str:
    shown = frame[~frame["suprimido"] & frame["valor"].notna()].sort_values("valor")
    subject = with_article(ind.name)
    if shown.empty:
        return (
            f"{subject} de {year} no se muestra por {groups}: faltan datos o son grupos pequeños."
        )
    if len(shown) == 1:
        one = shown.iloc[0]
        value = format_indicator_value(ind, one["valor"])
        return f"{subject} es {value} en {one['etiqueta']} ({year})."
    if ind.direction == "lower_is_better":
        shown = shown.iloc[::-1]
    values = [
        (format_indicator_value(ind, v), str(label))
        for v, label in zip(shown["valor"], shown["etiqueta"], strict=True)
    ]
    return f"En {year}, {subject[0].lower()}{subject[1:]} {range_phrase(values, _GROUPS[groups])}."


_GROUPS = {"comunidad": "las comunidades", "establecimiento": "los establecimientos"}
"""A pack's groups with their article, as a range phrase names them."""


LOAD_PAGE_NAME = "Cargar datos"
MISSING_COMMUNITIES = (
    "las comunidades de práctica y sus integrantes (plantillas de comunidades y de docentes)."
)
MISSING_WORDS = {
    "durante": "durante (cronograma y encuestas de percepción)",
    "resultados": "resultados (asistencia a las sesiones de las comunidades)",
    "impacto": "impacto (Rendimiento por estudiante o SIMCE)",
}
"""What a pack without slides for a moment says is missing (on its closing slide)."""


_PENDING = ("decisión pendiente", "decisiones pendientes")


def _clip(text: str, limit: int = 600) -> str:
    """A long text cut at a word for a slide (the speaker notes keep it whole)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " […]"


def _listing(items: list[str]) -> str:
    """«a», «a y b», «a, b y c»."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} y {items[-1]}"


def _has_data(rows: pd.DataFrame) -> bool:
    """Whether any of the engine's ``rows`` has a value to show, or a suppressed one."""
    if rows.empty:
        return False
    return bool((rows["valor"].notna() | (rows["estado"] == "suprimido")).any())


def _target_of(rows: pd.DataFrame) -> float | None:
    value = first_present(rows["meta"])
    return None if value is None else float(value)


class _Builder:
    def __init__(
        self,
        store: Store,
        scope: Scope,
        *,
        scope_kind: str,
        scope_id: str,
        name: str,
        year: int,
        cutoff: date,
        communities: pd.DataFrame,
        results: pd.DataFrame,
        note: CouncilNote,
        today: date,
        school_names: dict[str, str],
    ) -> None:
        self.store, self.scope = store, scope
        self.kind, self.id, self.name = scope_kind, scope_id, name
        self.year, self.cutoff, self.today = year, cutoff, today
        self.communities, self.results, self.note = communities, results, note
        self.school_names = school_names
        self.missing: list[str] = []
        period = str(year)
        self.main = results[
            (results["alcance"] == scope_kind)
            & (results["alcance_id"] == scope_id)
            & (results["periodo"] == period)
        ]
        # The groups compared on a slide: the chosen communities of a school; the schools of a
        # territory.
        if scope_kind == "establecimiento":
            self.group_kind = "comunidad"
            self.group_names = {
                str(i): str(n)
                for i, n in zip(communities["community_id"], communities["name"], strict=True)
            }
            self.groups_word = "comunidad"
        else:
            self.group_kind = "establecimiento"
            self.group_names = school_names
            self.groups_word = "establecimiento"
        self.groups = results[
            (results["alcance"] == self.group_kind)
            & results["alcance_id"].isin(list(self.group_names))
            & (results["periodo"] == period)
        ]

    # -- slides ----------------------------------------------------------------------------
    def cover(self) -> Slide:
        where = "Establecimiento" if self.kind == "establecimiento" else "Territorio"
        facts = [
            f"{where}: {self.name}",
            f"Año evaluado: {self.year}; fecha de corte del cronograma: {format_date(self.cutoff)}",
            f"Preparado el {format_date(self.today)} con Tablero DPD",
        ]
        return Slide(
            kind="portada",
            section="Consejo escolar" if self.kind == "establecimiento" else "Consejo territorial",
            title=f"Evaluación del Modelo de trabajo colaborativo — {self.name}, {self.year}",
            facts=tuple(facts),
            notes=(
                "Esta presentación resume la evaluación del Modelo de trabajo colaborativo en sus "
                "cuatro momentos: antes (línea base y metas), durante (implementación), resultados "
                "(comunidades de práctica) e impacto (estudiantes). Los cambios se asocian con el "
                "trabajo de las comunidades; no prueban por sí solos que el modelo los causó."
            ),
        )

    def model(self) -> Slide:
        comms = self.communities
        if not len(comms):
            return Slide(
                kind="modelo",
                section=SLIDE_KINDS["modelo"],
                title=f"{self.name} aún no tiene comunidades de práctica registradas en "
                f"{self.year}.",
                facts=(
                    f"Faltan datos: {MISSING_COMMUNITIES}",
                    f"Se cargan en la página {LOAD_PAGE_NAME} del tablero.",
                ),
                notes="Las comunidades de práctica son grupos de docentes que se reúnen con "
                "regularidad para abordar un desafío común de enseñanza.",
            )
        members = int(comms["members"].sum()) if len(comms) else 0
        novices = int(comms["novices"].sum()) if len(comms) else 0
        title = (
            f"{count_label(len(comms), 'comunidad de práctica', 'comunidades de práctica')} "
            f"con {count_label(members, 'docente', 'docentes')} en {self.year}"
            + (f", {count_label(novices, 'principiante', 'principiantes')}." if novices else ".")
        )
        facts = []
        by_kind = comms["kind"].value_counts() if len(comms) else pd.Series(dtype=int)
        if len(by_kind):
            facts.append(
                "Modalidades: "
                + "; ".join(f"{k} ({format_number(int(v))})" for k, v in by_kind.items())
                + "."
            )
        focus = [str(f) for f in comms.get("focus", pd.Series(dtype=str)).dropna()][:2]
        facts.extend(f"Desafío: {f}" for f in focus)
        if self.kind == "territorio":
            facts.append(
                f"{count_label(len(self.school_names), 'establecimiento', 'establecimientos')}"
                " del territorio."
            )
        chart = None
        if len(comms):
            frame = pd.DataFrame(
                {
                    "etiqueta": comms["name"].astype(str).to_numpy()
                    if self.kind == "establecimiento"
                    else [self.school_names.get(str(r), str(r)) for r in comms["rbd"]],
                    "valor": comms["members"].astype(float).to_numpy(),
                    "n": comms["members"].to_numpy(),
                    "suprimido": [False] * len(comms),
                }
            )
            if self.kind == "territorio":
                frame = frame.groupby("etiqueta", as_index=False).agg(
                    valor=("valor", "sum"), n=("n", "sum"), suprimido=("suprimido", "any")
                )
            frame = frame.sort_values("valor", ascending=False).head(16)
            chart = _on_slide(
                charts.build_bar_chart(
                    frame,
                    value_title=f"Docentes integrantes en {self.year}",
                    unit="docentes",
                    decimals=0,
                    width=CHART_WIDTH,
                    step=bar_step(len(frame)),
                    font=SLIDE_FONT,
                )
            )
        return Slide(
            kind="modelo",
            section=SLIDE_KINDS["modelo"],
            title=title,
            facts=tuple(facts[:3]),
            chart=chart,
            caption="Fuente: integrantes de comunidades y dotación docente anual.",
            notes=(
                "Las comunidades de práctica son grupos de docentes que se reúnen con "
                "regularidad para abordar un desafío común de enseñanza. Principiantes: "
                "docentes con menos de 3 años de experiencia."
            ),
        )

    def before(self) -> Slide | None:
        rows = self.main[self.main["linea_base"].notna() | self.main["meta"].notna()]
        if rows.empty:
            return None
        ordered = pd.concat([rows[rows["meta"].notna()], rows[rows["meta"].isna()]])
        shown = ordered.head(MAX_BULLETS)
        with_base = int(self.main["linea_base"].notna().sum())
        with_target = int(self.main["meta"].notna().sum())
        base_period = first_present(self.main["periodo_base"])
        provisional = is_provisional(self.main)
        title = (
            f"{with_base} de {len(self.main)} indicadores tienen línea base"
            + (f" ({baseline_name(base_period, provisional)})" if base_period else "")
            + f" y {with_target} tienen meta."
        )
        targeted = self.main[self.main["meta"].notna()]
        facts = []
        if len(targeted):
            facts.append(f"De los indicadores con meta: {status_counts(targeted)}.")
            deadline = first_present(targeted["anio_meta"])
            if deadline is not None:
                facts.append(f"Las metas vencen en {int(deadline)}.")
        facts.append("Barra: valor del año; trazo discontinuo: línea base; trazo grueso: meta.")
        return Slide(
            kind="antes",
            section=SLIDE_KINDS["antes"],
            title=title,
            facts=tuple(facts),
            chart=charts.build_bullet_chart(
                bullet_frame(shown),
                width=CHART_WIDTH,
                height=bullet_height(len(shown)),
                font=SLIDE_FONT,
            ),
            caption=f"Valores de {self.year} frente a la línea base y la meta.",
            notes=(
                "La línea base es el valor de cada indicador antes de empezar el modelo (por "
                "omisión, el año anterior a la primera comunidad); la meta, adonde el equipo "
                "directivo acordó llegar."
                + (f" {PROVISIONAL_NOTE}" if provisional else "")
                + "\n\n"
                + _ficha(list(shown["indicador"]))
            ),
            indicators=tuple(shown["indicador"]),
        )

    def _group_slide(self, code: str, kind: str) -> Slide | None:
        ind = INDICATORS[code]
        rows = self.groups[self.groups["indicador"] == code]
        main = _pick(self.main, code)
        main_shown = main is not None and (pd.notna(main["valor"]) or main["estado"] == "suprimido")
        if not _has_data(rows) and not main_shown:
            return None  # nothing to show: the closing slide names what is missing
        facts = [
            f"{'Establecimiento' if self.kind == 'establecimiento' else 'Territorio'}: "
            f"{_value_text(ind, main)}"
            + (
                f" (línea base: {baseline_text(ind, main)}; meta: "
                + (
                    "sin meta"
                    if pd.isna(main["meta"])
                    else format_indicator_value(ind, main["meta"])
                )
                + ")"
                if main is not None and main["estado"] != "suprimido"
                else ""
            )
        ]
        if main is not None:
            facts.extend(_status_fact(main))
        chart = None
        title = ""
        if not rows.empty:
            frame = _bar_frame(rows, self.group_names)
            title = _range_headline(ind, frame, self.year, self.groups_word)
            target = _target_of(rows)
            chart = _on_slide(
                charts.build_bar_chart(
                    frame,
                    value_title=ind.name + (" (%)" if ind.unit == "%" else ""),
                    unit=ind.unit,
                    decimals=ind.decimals,
                    target=target,
                    target_label=None
                    if target is None
                    else f"Meta {format_indicator_value(ind, target)}",
                    width=CHART_WIDTH,
                    step=bar_step(len(frame)),
                    font=SLIDE_FONT,
                )
            )
            hidden = int(frame["suprimido"].sum())
            if hidden:
                facts.append(
                    f"{count_label(hidden, 'grupo pequeño', 'grupos pequeños')} (n < 10) "
                    "no se muestran, para proteger la privacidad."
                )
        elif main is not None:
            title = f"{with_article(ind.name)} es {_value_text(ind, main)} en {self.year}."
        return Slide(
            kind=kind,
            section=SLIDE_KINDS[kind],
            title=title,
            facts=tuple(facts[:3]),
            chart=chart,
            caption=f"Fuente: {INDICATORS[code].sheet.source}.",
            notes=_ficha([code]),
            indicators=(code,),
        )

    def schedule(self) -> Slide | None:
        slide = self._group_slide("cumplimiento_cronograma", "durante")
        if slide is None:
            return None
        rbd = int(self.id) if self.kind == "establecimiento" else None
        monthly = views.schedule_by_month(
            self.store, self.scope, rbd=rbd, cutoff=self.cutoff, year=self.year
        )
        upto = monthly[~monthly["after_cutoff"]] if len(monthly) else monthly
        facts = list(slide.facts)
        if len(upto):
            planned = int(upto["planned_cum"].iloc[-1])
            done = int(upto["done_cum"].iloc[-1])
            facts.insert(
                0,
                f"Al {format_date(self.cutoff)}: {format_number(done)} de "
                f"{count_label(planned, 'actividad planificada', 'actividades planificadas')} "
                "realizadas.",
            )
        return replace(slide, facts=tuple(facts[:3]))

    def perceptions(self) -> Slide | None:
        rows = self.main[self.main["indicador"].isin(PERCEPTION)]
        rows = rows[rows["valor"].notna() | (rows["estado"] == "suprimido")]
        if rows.empty:
            return None
        names = {
            c: INDICATORS[c].name.replace("Percepción de ", "").capitalize() for c in PERCEPTION
        }
        frame = pd.DataFrame(
            {
                "etiqueta": [names[c] for c in rows["indicador"]],
                "valor": pd.to_numeric(rows["valor"], errors="coerce").to_numpy(),
                "n": rows["n"].to_numpy(),
                "suprimido": (rows["estado"] == "suprimido").to_numpy(),
                "mejor": [
                    is_better(INDICATORS[c], ch)
                    for c, ch in zip(rows["indicador"], rows["cambio"], strict=True)
                ],
            }
        )
        shown = frame[~frame["suprimido"] & frame["valor"].notna()].sort_values("valor")
        if shown.empty:
            title = f"Las respuestas de percepción de {self.year} no se muestran: grupos pequeños."
        else:
            low, high = shown.iloc[0], shown.iloc[-1]
            title = (
                f"En {self.year}, las respuestas favorables van de {format_percent(low['valor'])} "
                f"({low['etiqueta'].lower()}) a {format_percent(high['valor'])} "
                f"({high['etiqueta'].lower()})."
            )
        facts = []
        for rec in rows.to_dict("records"):
            ind = INDICATORS[rec["indicador"]]
            change = format_indicator_change(ind, rec["cambio"])
            if change is None or rec["estado"] == "suprimido":
                continue
            g = rec.get("efecto_g")
            effect = (
                f", tamaño del efecto g = {format_number(float(g), 2)}"
                if g is not None and not pd.isna(g)
                else ""
            )
            facts.append(f"{names[ind.code]}: {change} respecto de la línea base{effect}.")
        return Slide(
            kind="durante",
            section="Durante — percepciones",
            title=title,
            facts=tuple(facts[:3]),
            chart=_on_slide(
                charts.build_bar_chart(
                    frame,
                    value_title="Respuestas favorables (%)",
                    unit="%",
                    width=CHART_WIDTH,
                    step=bar_step(len(frame)),
                    font=SLIDE_FONT,
                )
            ),
            caption="Fuente: encuestas de percepción; % de respuestas «de acuerdo» o «muy de "
            "acuerdo».",
            notes=_ficha(list(rows["indicador"])),
            indicators=tuple(rows["indicador"]),
        )

    def impact(self) -> list[Slide]:
        out = []
        for code in slide_indicators("impacto"):
            view = trend_view(self.results, code, self.kind, self.id, self.year)
            if view is None:
                continue
            ind, cur = view.indicator, view.current
            facts = []
            if cur["estado"] != "suprimido" and pd.notna(cur["n"]):
                facts.append(
                    f"{format_number(cur['n'])} estudiantes en {cur['periodo']}."
                    if ind.student_based
                    else f"n = {format_number(cur['n'])} en {cur['periodo']}."
                )
            change = format_indicator_change(ind, cur["cambio"])
            if change is not None and cur["estado"] != "suprimido":
                conclusive = cur.get("concluyente")
                if pd.notna(cur.get("ic_inferior")) and pd.notna(cur.get("ic_superior")):
                    facts.append(
                        f"Cambio {change} (IC 95 %: "
                        f"{format_indicator_change(ind, cur['ic_inferior'])} a "
                        f"{format_indicator_change(ind, cur['ic_superior'])}; "
                        + ("concluyente)." if bool(conclusive) else "no concluyente).")
                    )
                else:
                    base = baseline_name(cur["periodo_base"], cur.get("linea_base_provisional"))
                    facts.append(f"Cambio {change} respecto de la línea base {base}.")
            facts.extend(_status_fact(cur))
            # A community's slide: its change beside the rest of the school's, in place of n.
            facts = [*facts[-2:], view.comparison] if view.comparison else facts[:3]
            badge = f" {CONSOLIDATED_BADGE}." if view.consolidated else ""
            out.append(
                Slide(
                    kind="impacto",
                    section=SLIDE_KINDS["impacto"],
                    title=view.headline + badge,
                    facts=tuple(facts),
                    chart=_on_slide(
                        view.chart(width=CHART_WIDTH, height=TREND_HEIGHT, font=SLIDE_FONT)
                    ),
                    caption=view.caption.split(". ")[0] + ".",
                    notes=_ficha([code]),
                    indicators=(code,),
                )
            )
        return out

    def agency(self) -> list[Slide]:
        """The Agencia's results as Impacto shows them: per SIMCE series, the score with the
        Agencia's verdict and the same-GSE difference, then its learning standards as 100 %
        bars; per grade, the IDPS trends. Never a value across series."""
        rows = compute_series(
            self.store,
            self.scope,
            alcance=self.kind,  # type: ignore[arg-type]
            alcance_id=self.id,
            indicadores=[*SIMCE_CODES, *IDPS_CODES],
        )
        if rows.empty:
            return []
        rows = rows[rows["periodo"].astype(int) <= self.year]
        out = []
        source = "Fuente: SIMCE por establecimiento (Agencia de Calidad)."
        scores = rows[rows["indicador"] == "simce_puntaje"]
        for serie in sorted(scores["serie"].unique()):
            of_serie = rows[rows["serie"] == serie]
            score = scores[scores["serie"] == serie]
            if score["valor"].isna().all():
                continue
            label = agency.serie_label(str(serie))
            last = score.dropna(subset=["valor"]).iloc[-1]
            facts = []
            if pd.notna(last["n"]):
                facts.append(
                    f"{format_number(int(last['n']))} estudiantes evaluados en {last['periodo']}."
                )
            gse = agency.gse_words(last["dif_gse"], last["sig_gse"])
            if gse:
                facts.append(f"{gse[0].upper()}{gse[1:]}.")
            facts.append("La diferencia y su significación son las que publica la Agencia.")
            frame = agency.score_frame(score.assign(grupo=f"Puntaje SIMCE {label}"))
            chart = charts.build_small_multiples(
                frame,
                unit="puntos",
                decimals=0,
                width=CHART_WIDTH,
                height=TREND_HEIGHT + 40,
                font=SLIDE_FONT,
            )
            out.append(
                Slide(
                    kind="impacto",
                    section=SLIDE_KINDS["impacto"],
                    # The same-GSE difference is a fact beside the chart: a shorter title.
                    title=agency.series_headline(score, self.year, gse=False),
                    facts=tuple(facts),
                    chart=_on_slide(_slide_text(chart)),
                    caption=source,
                    notes=_ficha(["simce_puntaje"]),
                    indicators=("simce_puntaje",),
                )
            )
            standards = agency.standards_frame(
                of_serie[of_serie["indicador"] == "simce_adecuado"],
                of_serie[of_serie["indicador"] == "simce_insuficiente"],
            )
            if standards.empty:
                continue
            out.append(
                Slide(
                    kind="impacto",
                    section=SLIDE_KINDS["impacto"],
                    title=agency.standards_headline(standards, str(serie)),
                    facts=(
                        "Insuficiente, Elemental y Adecuado: los estándares de aprendizaje de la "
                        "Agencia; cada barra suma 100 %.",
                    ),
                    chart=_on_slide(
                        _slide_text(
                            charts.build_standards_chart(
                                standards,
                                width=CHART_WIDTH,
                                step=(CHART_HEIGHT - 110) // standards["periodo"].nunique(),
                                font=SLIDE_FONT,
                            )
                        )
                    ),
                    caption=source,
                    notes=_ficha(["simce_adecuado", "simce_insuficiente"]),
                    indicators=("simce_adecuado", "simce_insuficiente"),
                )
            )
        idps = rows[rows["indicador"].isin(IDPS_CODES)]
        names = {c: SERIES_INDICATORS[c].name for c in IDPS_CODES}
        for serie in sorted(idps["serie"].unique()):
            of_grade = idps[idps["serie"] == serie]
            if of_grade["valor"].isna().all():
                continue
            frame = agency.score_frame(of_grade.assign(grupo=of_grade["indicador"].map(names)))
            out.append(
                Slide(
                    kind="impacto",
                    section=SLIDE_KINDS["impacto"],
                    title=agency.idps_headline(of_grade, self.year, names),
                    facts=(
                        "Indicadores de Desarrollo Personal y Social, de 0 a 100: el bienestar de "
                        "los estudiantes según sus propias respuestas.",
                    ),
                    chart=_on_slide(
                        _slide_text(
                            charts.build_group_lines(
                                frame, unit="puntos", width=CHART_WIDTH, height=TREND_HEIGHT
                            )
                        )
                    ),
                    caption="Fuente: IDPS por establecimiento (Agencia de Calidad).",
                    notes=_ficha(list(IDPS_CODES)),
                    indicators=IDPS_CODES,
                )
            )
        return out

    def qualitative(self) -> Slide | None:
        """The síntesis cualitativa the team wrote for the year, one fact per moment (a
        school's pack; a territory's names how many of its schools wrote one)."""
        if self.kind == "establecimiento":
            written = records.read_synthesis(self.store, self.scope, int(self.id), self.year)
            if written.empty:
                return None
            facts = [
                f"{records.MOMENTS[str(m)]}: {_clip(str(b))}"
                for m, b in zip(written["moment"], written["body"], strict=True)
            ]
            authors = sorted(set(written["author"].astype(str)))
            missing = [
                records.MOMENTS[m].split(" (")[0].lower()
                for m in records.MOMENTS
                if m not in set(written["moment"])
            ]
            title = (
                f"Síntesis cualitativa {self.year}: lo que el equipo observó en "
                f"{count_label(len(written), 'momento', 'momentos')} de la evaluación"
            )
            notes = "\n\n".join(
                f"{records.MOMENTS[str(m)]} ({a}):\n{b}"
                for m, b, a in zip(
                    written["moment"], written["body"], written["author"], strict=True
                )
            )
            if missing:
                notes += f"\n\nSin síntesis: {_listing(missing)}."
            return Slide(
                kind="cualitativo",
                section=SLIDE_KINDS["cualitativo"],
                title=title + ".",
                facts=tuple(facts),
                notes=notes,
                caption=f"Escrita por: {', '.join(authors)} (página Revisión cualitativa).",
            )
        rbds = [int(r) for r in self.school_names]
        wrote = [
            r
            for r in rbds
            if not records.read_synthesis(self.store, self.scope, r, self.year).empty
        ]
        if not wrote:
            return None
        return Slide(
            kind="cualitativo",
            section=SLIDE_KINDS["cualitativo"],
            title=(
                f"{len(wrote)} de "
                f"{count_label(len(rbds), 'establecimiento', 'establecimientos')} escribieron "
                f"su síntesis cualitativa de {self.year}."
            ),
            facts=tuple(self.school_names[str(r)] for r in wrote[:8]),
            notes="Cada síntesis está en la presentación de su establecimiento.",
        )

    def followup(self) -> Slide | None:
        """The follow-up plan: reviews held against planned, year after year, and the
        decisions still pending (with who answers for them and by when)."""
        rbds = [int(r) for r in self.school_names] if self.kind == "territorio" else None
        reviews = records.read_reviews(
            self.store, self.scope, rbd=int(self.id) if self.kind == "establecimiento" else None
        )
        if rbds is not None:
            reviews = reviews[reviews["rbd"].isin(rbds)]
        reviews = reviews[pd.to_datetime(reviews["planned_date"]).dt.year <= self.year]
        if reviews.empty:
            return None
        summary = followup_summary(reviews, self.cutoff)
        facts = [
            f"{int(r['anio'])}: {int(r['realizadas'])} de {int(r['planificadas'])} revisiones "
            f"realizadas; {count_label(int(r['pendientes']), *_PENDING)}."
            for r in summary.to_dict("records")
        ][-3:]
        pending = reviews[reviews["decision_status"].isin(records.OPEN_DECISIONS)]
        for r in pending.sort_values("due_date").head(3).to_dict("records"):
            due = None if pd.isna(r["due_date"]) else r["due_date"].date()
            facts.append(
                f"{str(r['decision_status']).capitalize()}: {_clip(str(r['decisions']), 160)} — "
                f"{r['responsible'] or 'sin responsable'}, plazo {format_date(due)}."
            )
        notes = "\n".join(
            f"{format_date(r['planned_date'].date())} ({r['status']}): {r['reviewed']} "
            f"Decisiones: {r['decisions'] or 'ninguna'} [{r['decision_status']}]"
            for r in reviews.to_dict("records")
        )
        return Slide(
            kind="seguimiento",
            section=SLIDE_KINDS["seguimiento"],
            title=followup_headline(summary, self.year, self.cutoff),
            facts=tuple(facts),
            chart=None,
            notes=notes,
            caption="Fuente: revisiones del plan de seguimiento (página Seguimiento).",
        )

    def closing(self) -> Slide:
        targeted = self.main[self.main["meta"].notna()]
        facts = []
        if self.note.conclusions.strip():
            facts.append("Conclusiones: " + self.note.conclusions.strip())
        if self.note.next_steps.strip():
            facts.append("Próximos pasos: " + self.note.next_steps.strip())
        if not facts:
            facts.append(
                "El equipo aún no escribe las conclusiones ni los próximos pasos "
                "(página Presentar)."
            )
        if self.missing:
            facts.append(
                f"Faltan datos de {_listing(self.missing)}: se cargan en la página "
                f"{LOAD_PAGE_NAME} del tablero."
            )
        title = (
            f"Conclusiones y próximos pasos: de {len(targeted)} indicadores con meta, "
            f"{status_counts(targeted)}."
            if len(targeted)
            else "Conclusiones y próximos pasos"
        )
        return Slide(
            kind="conclusiones",
            section=SLIDE_KINDS["conclusiones"],
            title=title,
            facts=tuple(facts),
            notes="Texto acordado por el equipo, guardado con el establecimiento y el año.",
        )

    def slides(self) -> list[Slide]:
        out: list[Slide | None] = [self.cover(), self.model(), self.before()]
        during = [self.schedule(), self.perceptions()]
        results = [self._group_slide(code, "resultados") for code in RESULTS]
        impact = [*self.impact(), *self.agency()]
        self.missing = [
            words
            for words, made in (
                (MISSING_WORDS["durante"], during),
                (MISSING_WORDS["resultados"], results),
                (MISSING_WORDS["impacto"], impact),
            )
            if not any(s is not None and s.title for s in made)
        ]
        out.extend(
            [*during, *results, *impact, self.qualitative(), self.followup(), self.closing()]
        )
        return [s for s in out if s is not None and s.title]


def build_pack(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    territory_id: str | None = None,
    year: int | None = None,
    community_ids: Sequence[str] | None = None,
    cutoff: date | None = None,
    today: date | None = None,
) -> Pack:
    """The pack of one school (``rbd``) or one territory, for ``year`` (default: the latest
    year with results), with the chosen communities (default: all of them).

    Raises :class:`AccessError` for a school or territory outside ``scope`` and
    :class:`PackError` when there is nothing to present.
    """
    if (rbd is None) == (territory_id is None):
        raise PackError("Indique un establecimiento (RBD) o un territorio, no ambos.")
    today = today or date.today()
    if rbd is not None:
        if not scope.allows(rbd):
            raise AccessError(f"No tiene acceso al establecimiento {rbd}.")
        schools = store.schools(scope)
        hit = schools[schools["rbd"] == int(rbd)]
        if hit.empty:
            raise PackError(
                f"No hay un establecimiento con RBD {rbd} en la base de datos. Los "
                "establecimientos se registran al cargar el Directorio oficial de "
                "establecimientos (Mineduc) o la plantilla de establecimientos."
            )
        scope_kind, scope_id, name = "establecimiento", str(int(rbd)), str(hit["name"].iloc[0])
        rbds = [int(rbd)]
    else:
        territories = store.territories(scope)
        hit = territories[territories["id"] == territory_id]
        if hit.empty:
            raise PackError(f"No hay un territorio «{territory_id}» entre los que puede ver.")
        scope_kind, scope_id, name = "territorio", str(territory_id), str(hit["name"].iloc[0])
        if not territory_fully_visible(store, scope, str(territory_id)):
            raise AccessError(
                f"Su perfil ve solo parte de los establecimientos de {name}: la presentación de "
                "un territorio requiere verlos todos. Elija un establecimiento."
            )
        schools = store.schools(scope, territory_id)
        rbds = [int(r) for r in schools["rbd"]]
    school_names = {
        str(int(r)): str(n) for r, n in zip(schools["rbd"], schools["name"], strict=True)
    }
    school_names = {k: v for k, v in school_names.items() if int(k) in rbds}
    narrowed = scope.narrow(rbds)
    if year is None:
        year = default_year(store, narrowed)
        if year is None:
            raise NothingToPresent(
                f"{name} aún no tiene datos cargados: no hay nada que presentar."
            )
    cutoff = cutoff_for(year, today, cutoff)  # a date in another year never applies
    comms = views.community_sizes(store, scope, rbds=rbds, year=year)
    all_comms = store.communities(scope)
    comms = comms.merge(
        all_comms[["id", "focus"]].rename(columns={"id": "community_id"}), how="left"
    )
    if community_ids is not None:
        wanted = [str(c) for c in community_ids]
        unknown = sorted(set(wanted) - set(comms["community_id"]))
        if unknown:
            raise PackError(
                f"Estas comunidades no son de {name} o no puede verlas: {', '.join(unknown)}."
            )
        comms = comms[comms["community_id"].isin(wanted)]
    results = plain(compute_indicators(store, scope, rbds=rbds, corte=cutoff, mensual=False))
    results = results[results["periodo"].astype(int) <= year]
    keep = (results["alcance"] == scope_kind) & (results["alcance_id"] == scope_id)
    keep |= (results["alcance"] == "comunidad") & results["alcance_id"].isin(
        list(comms["community_id"])
    )
    if scope_kind == "territorio":
        keep |= (results["alcance"] == "establecimiento") & results["alcance_id"].isin(
            list(school_names)
        )
    results = results[keep].reset_index(drop=True)
    note = read_note(store, scope, scope_kind, scope_id, year)
    builder = _Builder(
        store,
        narrowed,
        scope_kind=scope_kind,
        scope_id=scope_id,
        name=name,
        year=year,
        cutoff=cutoff,
        communities=comms.reset_index(drop=True),
        results=results,
        note=note,
        today=today,
        school_names=school_names,
    )
    return Pack(
        scope_kind=scope_kind,
        scope_id=scope_id,
        name=name,
        year=year,
        cutoff=cutoff,
        communities=builder.communities,
        results=results,
        note=note,
        slides=builder.slides(),
        school_names=school_names,
    )


__all__ = [
    "SLIDE_KINDS",
    "NothingToPresent",
    "Pack",
    "PackError",
    "Slide",
    "build_pack",
    "default_year",
]
