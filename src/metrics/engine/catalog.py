"""The indicator catalogue, declared as data: the guide's default indicators (docs/indicadores.md).

Each indicator is one frozen pydantic entry saying what it measures, in which evaluation moment,
in which unit, which direction is good, whether it is about students (and so subject to
small-group suppression), **how it is computed** — its fact source (a query of the registry
:data:`metrics.engine.sources.SOURCES`), its statistic and the source's measures the
statistic is taken over (:class:`Facts`) — and **how it is shown**: short name, place on its
moment's page, slide group of the council pack (:class:`Display`). The engine writes the SQL
from these declarations; the arithmetic on top (change, progress, status, intervals,
suppression) is in :mod:`metrics.engine.compute`.

Adding an indicator from an existing source is one entry here (anywhere: facts are keyed by
code, order is only the order pages list them in) and its hand-computed test. Its source's
measures are listed in :data:`metrics.engine.sources.SOURCES`.

This module must not import the store, Streamlit or DuckDB: pages, exports and tests read it.
The catalogue is validated when imported (unique codes, the measures each statistic needs); the
store checks at import that every source and measure named here exists, and a test checks the
README's indicator table against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Moment = Literal["antes", "durante", "resultados", "impacto"]
Direction = Literal["higher_is_better", "lower_is_better"]
ScopeKind = Literal["comunidad", "establecimiento", "territorio"]
Statistic = Literal["proporcion", "media", "razon"]
"""How a value and its interval are built from sufficient statistics (the engine's whole set).

- ``proporcion`` (a rate): ``successes`` ÷ ``count`` × 100; interval for the change: Newcombe
  (hybrid Wilson).
- ``media`` (a mean): ``total`` ÷ ``count``; with ``total_sq``, an interval for the change
  (Welch).
- ``razon`` (a ratio, a weighted mean or a rate per month): ``total`` ÷ ``denominator`` ×
  ``factor``; an interval only when per-unit variances exist (``total_sq``,
  ``denominator_sq``, ``cross``: delta method).
"""

SlideGroup = Literal["cronograma", "percepcion", "resultados", "impacto"]
Breakdown = Literal["responsable", "tipo_encuestado"]
"""The breakdowns the guide asks for: schedule compliance by who is responsible, perceptions by
respondent type. (Test results are not a breakdown: their series is a key of their rows, see
:class:`SeriesIndicator`.)"""
"""Groups of indicators that share slides in the council pack
(:mod:`metrics.presentation.packs`)."""

MEASURE_FACTS: dict[str, str] = {
    "count": "n",
    "successes": "k",
    "total": "s1",
    "total_sq": "s2",
    "denominator": "rx",
    "denominator_sq": "sxx",
    "cross": "sxy",
    "students": "n_priv",
    "first_year": "y0",
}
"""Each measure role → the column of the facts it is kept in."""

_NEEDS: dict[str, tuple[str, ...]] = {
    "proporcion": ("count", "successes"),
    "media": ("count", "total"),
    "razon": ("total", "denominator"),
}

Dataset = Literal[
    "activity",
    "session_attendance",
    "survey_response",
    "teacher_evaluation",
    "student_result",
    "student_attendance",
    "standardized_test",
    "teacher_year",
    "teaching_assignment",
    "community_member",
]

MOMENTS: tuple[Moment, ...] = ("antes", "durante", "resultados", "impacto")
SCOPE_KINDS: tuple[ScopeKind, ...] = ("comunidad", "establecimiento", "territorio")

MOMENT_LABELS: dict[Moment, str] = {
    "antes": "Antes (línea base)",
    "durante": "Durante (implementación)",
    "resultados": "Resultados",
    "impacto": "Impacto",
}
SCOPE_LABELS: dict[ScopeKind, str] = {
    "comunidad": "Comunidad de práctica",
    "establecimiento": "Establecimiento",
    "territorio": "Territorio",
}
DIRECTION_LABELS: dict[Direction, str] = {
    "higher_is_better": "más alto es mejor",
    "lower_is_better": "más bajo es mejor",
}

_MONTHLY_MOMENTS = frozenset({"durante", "resultados"})


class TechnicalSheet(BaseModel):
    """The *ficha técnica*: how the indicator is computed, in words, for users."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    formula: str = Field(min_length=1)
    numerator: str = Field(min_length=1)
    denominator: str = Field(min_length=1)
    source: str = Field(min_length=1)
    notes: str = ""


class Measures(BaseModel):
    """The source's measures (its column names) a statistic is taken over, by role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: str | None = None
    """Trials (a rate), observations (a mean), or the units of a ratio (its ``n``)."""
    successes: str | None = None
    total: str | None = None
    """Σx: the sum of a mean, or a ratio's numerator."""
    total_sq: str | None = None
    """Σx², for a mean's or a ratio's variance."""
    denominator: str | None = None
    """A ratio's denominator Σy."""
    denominator_sq: str | None = None
    cross: str | None = None
    """Σxy, for a ratio's variance."""
    students: str | None = None
    """The students a value rests on (small-group suppression); ``count`` when omitted."""
    first_year: str | None = None
    """The first year of a survey's baseline wave."""

    def named(self) -> dict[str, str]:
        """The measures given: role → the source's column."""
        return {role: col for role, col in self.model_dump().items() if col is not None}


class Facts(BaseModel):
    """Where an indicator's sufficient statistics come from: a source of the registry, the
    statistic, the measures, and (``where``) the source's rows it keeps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(pattern=r"^[a-z][a-z_]*$")
    statistic: Statistic
    measures: Measures
    where: dict[str, str] = Field(default_factory=dict)
    """Only the source's rows whose key columns hold these values (``{"dimension":
    "apoyo"}``)."""
    factor: float = 1.0
    """A ratio's value is multiplied by this (100: a ratio shown as a percentage)."""

    @model_validator(mode="after")
    def _measures_for_statistic(self) -> Facts:
        missing = [m for m in _NEEDS[self.statistic] if m not in self.measures.named()]
        if missing:
            raise ValueError(f"la estadística {self.statistic} necesita {', '.join(missing)}")
        return self


class Display(BaseModel):
    """How pages and packs show an indicator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    short_name: str = Field(min_length=2, max_length=16)
    """The key figure's label, short enough for five in a row on a school laptop."""
    page: Moment | None = None
    """The moment page that shows it among its key figures (None: only in tables)."""
    order: int = 0
    """Its place among its page's key figures."""
    slide_group: SlideGroup | None = None
    slide_order: int = 0
    """Its place in its slide group."""


class Indicator(BaseModel):
    """One indicator of the catalogue.

    Example:
        >>> ind = get_indicator("tasa_reprobacion")
        >>> ind.direction, ind.unit, ind.moment
        ('lower_is_better', '%', 'impacto')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str = Field(min_length=3)
    moments: tuple[Moment, ...] = Field(min_length=1)
    unit: str = Field(min_length=1)
    decimals: int = Field(ge=0, le=3)
    direction: Direction
    sources: tuple[Dataset, ...] = Field(min_length=1)
    student_based: bool
    student_respondents: bool = False
    facts: Facts
    fallback: Facts | None = None
    """Where a scope has no value from ``facts`` for a year, the value from these (attendance
    from the monthly file where the results file has none)."""
    mean_beside: bool = False
    """Whether the mean answer (``media``) and an effect size are reported beside the value."""
    breakdown: Breakdown | None = None
    """The breakdown its values also come in (its facts' source must offer it)."""
    display: Display
    definition: str = Field(min_length=10)
    sheet: TechnicalSheet

    @property
    def statistic(self) -> Statistic:
        return self.facts.statistic

    @property
    def suppressible(self) -> bool:
        """Whether small groups of students can hide a value of this indicator."""
        return self.student_based or self.student_respondents

    @property
    def moment(self) -> Moment:
        """The moment an indicator's rows are reported under (the last of its moments)."""
        return self.moments[-1]

    @property
    def monthly(self) -> bool:
        """Durante and resultados indicators are also computed per month."""
        return any(m in _MONTHLY_MOMENTS for m in self.moments)

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    @property
    def change_unit(self) -> str:
        """The unit of ``cambio``: percentage points for percentages."""
        return "pp" if self.is_percent else self.unit

    @property
    def sign(self) -> int:
        """+1 when higher is better, −1 when lower is better."""
        return 1 if self.direction == "higher_is_better" else -1


class Catalog(BaseModel):
    """The whole catalogue; validated once, at import."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _unique_codes(self) -> Catalog:
        codes = [i.code for i in self.indicators]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"códigos de indicador repetidos: {', '.join(dupes)}")
        return self

    def __iter__(self) -> Iterator[Indicator]:  # type: ignore[override]
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)


def _sheet(
    formula: str, numerator: str, denominator: str, source: str, notes: str = ""
) -> TechnicalSheet:
    return TechnicalSheet(
        formula=formula, numerator=numerator, denominator=denominator, source=source, notes=notes
    )


_SR = "Resultados finales de estudiantes (Rendimiento por estudiante, Mineduc)"
_STUDENTS_NOTE = (
    "Cuenta a cada estudiante una vez por alcance, en el establecimiento y curso de su registro "
    "final (los registros de traslado «T» no cuentan). Para una comunidad: los estudiantes de "
    "los cursos que sus integrantes hacen ese año (asignación docente)."
)


def _perception(dim: str, name: str, what: str, short: str, order: int) -> Indicator:
    return Indicator(
        code=f"percepcion_{dim}",
        name=name,
        moments=("durante",),
        unit="%",
        decimals=1,
        direction="higher_is_better",
        sources=("survey_response",),
        student_based=False,
        student_respondents=True,
        breakdown="tipo_encuestado",
        facts=Facts(
            source="surveys",
            statistic="proporcion",
            measures=Measures(
                count="n",
                successes="k",
                total="s1",
                total_sq="s2",
                students="n_priv",
                first_year="y0",
            ),
            where={"dim": dim},
        ),
        mean_beside=True,
        display=Display(
            short_name=short,
            page="durante",
            order=order,
            slide_group="percepcion",
            slide_order=order,
        ),
        definition=(
            f"Porcentaje de respuestas favorables (4 o 5) sobre {what}: respuestas 4 o 5 ÷ todas "
            "las respuestas válidas (1–5) a los ítems de la dimensión, × 100. Junto a él, la "
            "respuesta media."
        ),
        sheet=_sheet(
            formula="respuestas 4 o 5 ÷ respuestas válidas × 100 (las invertidas cuentan 6 − r)",
            numerator="respuestas 4 o 5 a los ítems de la dimensión",
            denominator="respuestas válidas (1 a 5) a los ítems de la dimensión",
            source="Respuestas de encuestas",
            notes=(
                f"Dimensión «{dim}». La línea base es la ola «línea base» cuando existe; si no, "
                "el año de línea base. Se desglosa por tipo de encuestado. Un valor que incluye "
                "respuestas de menos estudiantes que el mínimo se suprime."
            ),
        ),
    )


def _evaluation(code: str, name: str, instrument: str, what: str, short: str) -> Indicator:
    """A mean score (1 to 4, Marco para la Buena Enseñanza) of one evaluation instrument."""
    return Indicator(
        code=code,
        name=name,
        moments=("antes", "resultados"),
        unit="puntos",
        decimals=2,
        direction="higher_is_better",
        sources=("teacher_evaluation",),
        student_based=False,
        facts=Facts(
            source="teacher_evaluations",
            statistic="media",
            measures=Measures(count="n", total="s1", total_sq="s2"),
            where={"instrument": instrument},
        ),
        display=Display(short_name=short),
        definition=(
            f"Puntaje medio (1 a 4) de {what} en el período, sobre los dominios del Marco para "
            "la Buena Enseñanza."
        ),
        sheet=_sheet(
            formula="suma de puntajes ÷ número de puntajes",
            numerator=f"puntajes (1 a 4, uno por dominio) de {what}",
            denominator="puntajes del período",
            source=f"Evaluaciones docentes (instrumento «{instrument}»)",
            notes=(
                "Para una comunidad: los de sus integrantes en su establecimiento. Es indicador "
                "de Antes (línea base) y de Resultados; léalo junto al desempeño observado."
            ),
        ),
    )


CATALOG = Catalog(
    indicators=(
        Indicator(
            code="cumplimiento_cronograma",
            name="Cumplimiento del cronograma",
            moments=("durante",),
            unit="%",
            decimals=1,
            direction="higher_is_better",
            sources=("activity",),
            student_based=False,
            breakdown="responsable",
            facts=Facts(
                source="schedule",
                statistic="proporcion",
                measures=Measures(count="n", successes="k"),
            ),
            display=Display(
                short_name="Cronograma", page="durante", order=0, slide_group="cronograma"
            ),
            definition=(
                "Actividades realizadas ÷ actividades planificadas hasta la fecha de corte, × 100. "
                "Las canceladas y reprogramadas cuentan como no realizadas."
            ),
            sheet=_sheet(
                formula="realizadas ÷ planificadas con fecha ≤ fecha de corte × 100",
                numerator=(
                    "actividades con estado «realizada» (y fecha de realización, si la hay, "
                    "≤ fecha de corte) entre las del denominador"
                ),
                denominator="actividades con fecha planificada ≤ fecha de corte en el período",
                source="Cronograma (actividades)",
                notes="Fecha de corte por omisión: hoy. Se desglosa por responsable.",
            ),
        ),
        _perception(
            "colaboracion", "Percepción de colaboración", "la colaboración", "Colaboración", 1
        ),
        _perception("apoyo", "Percepción de apoyo recibido", "el apoyo recibido", "Apoyo", 2),
        _perception(
            "satisfaccion",
            "Satisfacción con el desarrollo profesional",
            "la satisfacción con el desarrollo profesional",
            "Satisfacción",
            3,
        ),
        _perception(
            "aprendizaje",
            "Percepción de efectos en el aprendizaje",
            "los efectos en el aprendizaje",
            "Aprendizaje",
            4,
        ),
        Indicator(
            code="frecuencia_reuniones",
            name="Frecuencia de reuniones",
            moments=("resultados",),
            unit="sesiones/mes",
            decimals=1,
            direction="higher_is_better",
            sources=("session_attendance",),
            student_based=False,
            facts=Facts(
                source="sessions",
                statistic="razon",
                measures=Measures(count="held", total="held", denominator="months"),
            ),
            display=Display(
                short_name="Reuniones",
                page="resultados",
                order=0,
                slide_group="resultados",
                slide_order=1,
            ),
            definition=(
                "Sesiones realizadas ÷ meses entre la primera y la última sesión de la comunidad "
                "en el período (al menos 1)."
            ),
            sheet=_sheet(
                formula="sesiones realizadas ÷ máx(1, meses entre la primera y la última sesión)",
                numerator="sesiones con al menos una asistencia",
                denominator=(
                    "meses calendario entre la primera y la última sesión del período (mínimo 1)"
                ),
                source="Asistencia a sesiones",
                notes=(
                    "Para un establecimiento o territorio: suma de sesiones ÷ suma de meses de "
                    "sus comunidades (promedio por comunidad y mes). Sin intervalo de confianza."
                ),
            ),
        ),
        Indicator(
            code="participacion_activa",
            name="Participación activa",
            moments=("resultados",),
            unit="%",
            decimals=1,
            direction="higher_is_better",
            sources=("session_attendance",),
            student_based=False,
            facts=Facts(
                source="sessions",
                statistic="proporcion",
                measures=Measures(count="n_rec", successes="k_att"),
            ),
            display=Display(
                short_name="Participación",
                page="resultados",
                order=1,
                slide_group="resultados",
                slide_order=0,
            ),
            definition="Registros de asistencia con «asistió» ÷ todos los registros, × 100.",
            sheet=_sheet(
                formula="asistencias ÷ registros de asistencia × 100",
                numerator="registros con asistió = sí",
                denominator="registros de asistencia a sesiones",
                source="Asistencia a sesiones",
            ),
        ),
        Indicator(
            code="intercambio_estrategias",
            name="Intercambio de estrategias",
            moments=("resultados",),
            unit="estrategias/sesión",
            decimals=1,
            direction="higher_is_better",
            sources=("session_attendance",),
            student_based=False,
            facts=Facts(
                source="sessions",
                statistic="media",
                measures=Measures(count="held", total="strat", total_sq="strat_sq"),
            ),
            display=Display(
                short_name="Estrategias",
                page="resultados",
                order=2,
                slide_group="resultados",
                slide_order=2,
            ),
            definition="Estrategias compartidas ÷ sesiones realizadas.",
            sheet=_sheet(
                formula="estrategias compartidas ÷ sesiones realizadas",
                numerator="estrategias compartidas en las sesiones realizadas",
                denominator="sesiones con al menos una asistencia",
                source="Asistencia a sesiones",
            ),
        ),
        Indicator(
            code="desempeno_docente",
            name="Desempeño docente observado",
            moments=("antes", "resultados"),
            unit="puntos",
            decimals=2,
            direction="higher_is_better",
            sources=("teacher_evaluation",),
            student_based=False,
            facts=Facts(
                source="teacher_evaluations",
                statistic="media",
                measures=Measures(count="n", total="s1", total_sq="s2"),
                where={"instrument": "observación de aula"},
            ),
            display=Display(short_name="Desempeño", page="resultados", order=3),
            definition=(
                "Puntaje medio (1 a 4) de las observaciones de aula del período "
                "(Marco para la Buena Enseñanza)."
            ),
            sheet=_sheet(
                formula="suma de puntajes ÷ número de observaciones de aula",
                numerator="puntajes (1 a 4) de las observaciones de aula",
                denominator="observaciones de aula del período",
                source="Evaluaciones docentes",
                notes=(
                    "Para una comunidad: observaciones de sus integrantes en su establecimiento. "
                    "Es indicador de Antes (línea base) y de Resultados."
                ),
            ),
        ),
        _evaluation(
            code="autoevaluacion_docente",
            name="Autoevaluación docente",
            instrument="autoevaluación",
            what="las autoevaluaciones de los docentes",
            short="Autoevaluación",
        ),
        _evaluation(
            code="retroalimentacion_pares",
            name="Retroalimentación de pares",
            instrument="retroalimentación de pares",
            what="las evaluaciones de los docentes por sus pares",
            short="Retroalim. pares",
        ),
        Indicator(
            code="promedio_notas",
            name="Promedio de notas",
            moments=("impacto",),
            unit="nota",
            decimals=2,
            direction="higher_is_better",
            sources=("student_result",),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="media",
                measures=Measures(
                    count="n_avg", total="s_avg", total_sq="ss_avg", students="n_avg"
                ),
            ),
            display=Display(
                short_name="Promedio",
                page="impacto",
                order=2,
                slide_group="impacto",
                slide_order=2,
            ),
            definition=(
                "Promedio final medio de los estudiantes promovidos o reprobados (los retirados "
                "llevan 0,0 en los archivos del Mineduc y quedan fuera)."
            ),
            sheet=_sheet(
                formula="suma de promedios finales ÷ estudiantes promovidos o reprobados con nota",
                numerator="promedios finales (1,0 a 7,0)",
                denominator="estudiantes promovidos o reprobados con promedio",
                source=_SR,
                notes=_STUDENTS_NOTE,
            ),
        ),
        Indicator(
            code="tasa_aprobacion",
            name="Tasa de aprobación",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="higher_is_better",
            sources=("student_result",),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="proporcion",
                measures=Measures(count="n_pr", successes="k_p", students="n_pr"),
            ),
            display=Display(
                short_name="Aprobación",
                page="impacto",
                order=1,
                slide_group="impacto",
                slide_order=1,
            ),
            definition="Promovidos ÷ (promovidos + reprobados), × 100.",
            sheet=_sheet(
                formula="promovidos ÷ (promovidos + reprobados) × 100",
                numerator="estudiantes promovidos",
                denominator="estudiantes promovidos o reprobados",
                source=_SR,
                notes=_STUDENTS_NOTE,
            ),
        ),
        Indicator(
            code="tasa_reprobacion",
            name="Tasa de reprobación",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="lower_is_better",
            sources=("student_result",),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="proporcion",
                measures=Measures(count="n_pr", successes="k_r", students="n_pr"),
            ),
            display=Display(
                short_name="Reprobación",
                page="impacto",
                order=0,
                slide_group="impacto",
                slide_order=0,
            ),
            definition=(
                "Reprobados ÷ (promovidos + reprobados), × 100; más bajo es mejor. Es lo que los "
                "establecimientos suelen llamar repitencia."
            ),
            sheet=_sheet(
                formula="reprobados ÷ (promovidos + reprobados) × 100",
                numerator="estudiantes reprobados",
                denominator="estudiantes promovidos o reprobados",
                source=_SR,
                notes=_STUDENTS_NOTE,
            ),
        ),
        Indicator(
            code="tasa_retiro",
            name="Tasa de retiro",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="lower_is_better",
            sources=("student_result",),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="proporcion",
                measures=Measures(count="n_pry", successes="k_y", students="n_pry"),
            ),
            display=Display(
                short_name="Retiro",
                page="impacto",
                order=5,
                slide_group="impacto",
                slide_order=5,
            ),
            definition=(
                "Retirados ÷ (promovidos + reprobados + retirados), × 100; más bajo es mejor."
            ),
            sheet=_sheet(
                formula="retirados ÷ (promovidos + reprobados + retirados) × 100",
                numerator="estudiantes retirados",
                denominator="estudiantes promovidos, reprobados o retirados",
                source=_SR,
                notes=_STUDENTS_NOTE,
            ),
        ),
        Indicator(
            code="tasa_repitencia",
            name="Tasa de repitencia",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="lower_is_better",
            sources=("student_result",),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="proporcion",
                measures=Measures(count="n_rep", successes="k_rep", students="n_rep"),
            ),
            display=Display(
                short_name="Repitencia",
                page="impacto",
                order=6,
                slide_group="impacto",
                slide_order=6,
            ),
            definition=(
                "Estudiantes del año t matriculados en el mismo nivel (tipo de enseñanza y grado) "
                "que en t−1 ÷ estudiantes del año t con registro en t−1, × 100; más bajo es mejor."
            ),
            sheet=_sheet(
                formula="repiten nivel ÷ estudiantes con registro el año anterior × 100",
                numerator="estudiantes del año t en el mismo tipo de enseñanza y grado que en t−1",
                denominator="estudiantes del año t con registro final en t−1",
                source=_SR + ", dos años consecutivos",
                notes=_STUDENTS_NOTE
                + " El seudónimo determinista del estudiante une ambos años; solo se usan "
                "registros visibles en el alcance del usuario.",
            ),
        ),
        Indicator(
            code="asistencia_promedio",
            name="Asistencia promedio",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="higher_is_better",
            sources=("student_result", "student_attendance"),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="media",
                measures=Measures(
                    count="n_att", total="s_att", total_sq="ss_att", students="n_att"
                ),
            ),
            fallback=Facts(
                source="monthly_attendance",
                statistic="razon",
                measures=Measures(
                    count="n",
                    total="sy",
                    total_sq="syy",
                    denominator="sx",
                    denominator_sq="sxx",
                    cross="sxy",
                    students="n",
                ),
                factor=100.0,
            ),
            display=Display(
                short_name="Asistencia",
                page="impacto",
                order=3,
                slide_group="impacto",
                slide_order=3,
            ),
            definition=(
                "Asistencia anual media (%) de los estudiantes promovidos o reprobados, del "
                "archivo de rendimiento; donde el alcance solo tiene asistencia mensual, "
                "Σ días asistidos ÷ Σ días trabajados × 100."
            ),
            sheet=_sheet(
                formula=(
                    "suma de asistencias anuales ÷ estudiantes; o Σ días asistidos ÷ Σ días "
                    "trabajados × 100"
                ),
                numerator="porcentajes de asistencia anual (o días asistidos)",
                denominator=(
                    "estudiantes promovidos o reprobados con asistencia (o días trabajados)"
                ),
                source=_SR + "; Asistencia declarada mensual",
                notes=_STUDENTS_NOTE
                + " Los meses con 0 días trabajados no suman. La asistencia mensual se usa solo "
                "en los alcances sin asistencia anual.",
            ),
        ),
        Indicator(
            code="inasistencia_cronica",
            name="Inasistencia crónica",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="lower_is_better",
            sources=("student_result", "student_attendance"),
            student_based=True,
            facts=Facts(
                source="student_results",
                statistic="proporcion",
                measures=Measures(count="n_att", successes="k_chr", students="n_att"),
            ),
            fallback=Facts(
                source="monthly_attendance",
                statistic="proporcion",
                measures=Measures(count="n", successes="k", students="n"),
            ),
            display=Display(
                short_name="Inasist. crónica",
                page="impacto",
                order=4,
                slide_group="impacto",
                slide_order=4,
            ),
            definition=(
                "Estudiantes con asistencia anual menor a 90 % ÷ estudiantes, × 100, sobre los "
                "mismos estudiantes que la asistencia promedio; más bajo es mejor."
            ),
            sheet=_sheet(
                formula="estudiantes con asistencia < 90 % ÷ estudiantes × 100",
                numerator="estudiantes con asistencia anual menor a 90 %",
                denominator="estudiantes de la asistencia promedio",
                source=_SR + "; Asistencia declarada mensual",
                notes=_STUDENTS_NOTE,
            ),
        ),
        Indicator(
            code="permanencia_docente",
            name="Permanencia docente",
            moments=("impacto",),
            unit="%",
            decimals=1,
            direction="higher_is_better",
            sources=("teacher_year", "community_member"),
            student_based=False,
            facts=Facts(
                source="teacher_roster",
                statistic="proporcion",
                measures=Measures(count="n", successes="k"),
            ),
            display=Display(short_name="Permanencia"),
            definition=(
                "Docentes del alcance en el año t−1 que siguen en el mismo establecimiento en el "
                "año t ÷ docentes en t−1, × 100."
            ),
            sheet=_sheet(
                formula="docentes de t−1 que siguen en t ÷ docentes de t−1 × 100",
                numerator="docentes de t−1 con registro en el mismo establecimiento en t",
                denominator="docentes del alcance en t−1 (dotación anual)",
                source="Dotación docente anual",
                notes=(
                    "Solo se calcula para años con dotación cargada. Para una comunidad: sus "
                    "integrantes de t−1."
                ),
            ),
        ),
    )
)
"""The default catalogue, in the order tables and the CLI list it (any order works: the engine
keys everything by code)."""

INDICATORS: dict[str, Indicator] = {i.code: i for i in CATALOG}

AgencyTest = Literal["SIMCE", "IDPS", "DIA"]
AgencyMeasure = Literal[
    "mean_score", "pct_adequate", "pct_insufficient", "pct_satisfactorio", "pct_insatisfactorio"
]


class SeriesIndicator(BaseModel):
    """An indicator of the Agencia de Calidad's published results, whose rows are keyed by
    **series** (``serie``: grade and subject as the Agencia names them, ``4b lectura``; for
    IDPS the grade, ``4b``). Computed by :mod:`metrics.engine.series`, never by the facts
    cache: a value is always one series' (no statistic here can mix two).

    Example:
        >>> SERIES_INDICATORS["simce_puntaje"].unit
        'puntos'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str = Field(min_length=3)
    moments: tuple[Moment, ...] = Field(min_length=1)
    unit: str = Field(min_length=1)
    decimals: int = Field(ge=0, le=3)
    direction: Direction
    test: AgencyTest
    measure: AgencyMeasure
    """The store column (``standardized_test``; ``dia_result`` for the DIA) that holds the
    value."""
    subject: str | None = None
    """IDPS: the Agencia's code of the indicator (``AM``, ``CC``, ``PF``, ``HV``)."""
    aliases: tuple[str, ...] = ()
    """Other codes the Agencia has written for the same indicator (``AA`` in a glosa)."""
    short_name: str = Field(min_length=2, max_length=16)
    definition: str = Field(min_length=10)
    sheet: TechnicalSheet

    @property
    def moment(self) -> Moment:
        return self.moments[-1]

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    @property
    def sign(self) -> int:
        return 1 if self.direction == "higher_is_better" else -1


_AGENCY_NOTE = (
    "Cada serie por separado: un cambio es solo entre dos años de la misma serie. Junto al "
    "valor, las cifras que publica la Agencia cuando el archivo las trae: la diferencia con la "
    "evaluación anterior y su significación, y la diferencia con establecimientos del mismo "
    "grupo socioeconómico y su significación. Un puntaje que la Agencia no publica (marca) "
    "queda sin valor, con la razón en palabras. Un territorio pondera sus establecimientos por "
    "estudiantes evaluados, serie por serie."
)
_SIMCE_SOURCE = "Resultados SIMCE por establecimiento (Agencia de Calidad)"
_IDPS_SOURCE = "IDPS por establecimiento (Agencia de Calidad)"
_IDPS_NOTE = (
    "Por establecimiento, año y nivel evaluado (serie: 4b, 2m…). Junto al valor, la diferencia "
    "con la evaluación anterior y con establecimientos del mismo grupo socioeconómico que "
    "publica la Agencia (desde 2024), con su significación. Un territorio promedia sus "
    "establecimientos (la Agencia no publica cuántos estudiantes respondieron)."
)


_DIA_SOURCE = "DIA, plantilla del establecimiento (plataforma DIA de la Agencia de Calidad)"
_DIA_NOTE = (
    "Cada serie por separado (curso y área), en los tres períodos del año: el cambio de una "
    "fila es el movimiento desde el diagnóstico del mismo año y serie. Un curso con menos "
    "evaluados que el tamaño mínimo de grupo se muestra suprimido. Un territorio pondera sus "
    "establecimientos por evaluados cuando todos los informan; si no, los promedia."
)


def _idps(
    code: str, agency: str, name: str, short: str, aliases: tuple[str, ...] = ()
) -> SeriesIndicator:
    return SeriesIndicator(
        code=code,
        name=name,
        moments=("antes", "impacto"),
        unit="puntos",
        decimals=0,
        direction="higher_is_better",
        test="IDPS",
        measure="mean_score",
        subject=agency,
        aliases=aliases,
        short_name=short,
        definition=(
            f"Indicador de Desarrollo Personal y Social «{name}» (0 a 100) del establecimiento, "
            f"como lo publica la Agencia de Calidad (código {agency}), por nivel evaluado."
        ),
        sheet=_sheet(
            formula="puntaje del indicador que publica la Agencia (0 a 100)",
            numerator="puntaje del establecimiento en el indicador",
            denominator="no aplica (la Agencia publica el puntaje ya calculado)",
            source=_IDPS_SOURCE,
            notes=_IDPS_NOTE,
        ),
    )


SERIES_CATALOG: tuple[SeriesIndicator, ...] = (
    SeriesIndicator(
        code="simce_puntaje",
        name="Puntaje SIMCE",
        moments=("antes", "impacto"),
        unit="puntos",
        decimals=0,
        direction="higher_is_better",
        test="SIMCE",
        measure="mean_score",
        short_name="SIMCE",
        definition=(
            "Puntaje promedio SIMCE del establecimiento por serie (nivel y asignatura como los "
            "nombra la Agencia: 4b lectura, 2m matemática); nunca se promedian series distintas."
        ),
        sheet=_sheet(
            formula="puntaje promedio que publica la Agencia; territorio: Σ (puntaje × "
            "evaluados) ÷ Σ evaluados",
            numerator="puntaje promedio de la serie (ponderado por evaluados en un territorio)",
            denominator="estudiantes evaluados en la serie",
            source=_SIMCE_SOURCE,
            notes=_AGENCY_NOTE,
        ),
    ),
    SeriesIndicator(
        code="simce_adecuado",
        name="SIMCE: estudiantes en nivel Adecuado",
        moments=("antes", "impacto"),
        unit="%",
        decimals=1,
        direction="higher_is_better",
        test="SIMCE",
        measure="pct_adequate",
        short_name="SIMCE Adecuado",
        definition=(
            "Porcentaje de los estudiantes evaluados del establecimiento en el estándar de "
            "aprendizaje Adecuado, por serie (palu_eda_ade de la Agencia)."
        ),
        sheet=_sheet(
            formula="% de evaluados en nivel Adecuado que publica la Agencia; territorio: "
            "ponderado por evaluados",
            numerator="estudiantes evaluados en nivel Adecuado",
            denominator="estudiantes evaluados en la serie",
            source=_SIMCE_SOURCE,
            notes=_AGENCY_NOTE,
        ),
    ),
    SeriesIndicator(
        code="simce_insuficiente",
        name="SIMCE: estudiantes en nivel Insuficiente",
        moments=("antes", "impacto"),
        unit="%",
        decimals=1,
        direction="lower_is_better",
        test="SIMCE",
        measure="pct_insufficient",
        short_name="SIMCE Insuf.",
        definition=(
            "Porcentaje de los estudiantes evaluados del establecimiento en el estándar de "
            "aprendizaje Insuficiente, por serie (palu_eda_ins de la Agencia); más bajo es mejor."
        ),
        sheet=_sheet(
            formula="% de evaluados en nivel Insuficiente que publica la Agencia; territorio: "
            "ponderado por evaluados",
            numerator="estudiantes evaluados en nivel Insuficiente",
            denominator="estudiantes evaluados en la serie",
            source=_SIMCE_SOURCE,
            notes=_AGENCY_NOTE,
        ),
    ),
    _idps(
        "idps_autoestima",
        "AM",
        "Autoestima académica y motivación escolar",
        "Autoestima",
        aliases=("AA",),
    ),
    _idps("idps_convivencia", "CC", "Clima de convivencia escolar", "Convivencia"),
    _idps("idps_participacion", "PF", "Participación y formación ciudadana", "Participación"),
    _idps("idps_habitos", "HV", "Hábitos de vida saludable", "Hábitos"),
    SeriesIndicator(
        code="dia_satisfactorio",
        name="DIA: estudiantes en nivel satisfactorio",
        moments=("antes", "durante"),
        unit="%",
        decimals=1,
        direction="higher_is_better",
        test="DIA",
        measure="pct_satisfactorio",
        short_name="DIA satisf.",
        definition=(
            "Porcentaje de los estudiantes evaluados en el Nivel III satisfactorio del DIA, por "
            "serie (curso y área: 4b lectura) y período del año (diagnóstico, monitoreo "
            "intermedio, cierre), como el establecimiento lo lee en la plataforma DIA."
        ),
        sheet=_sheet(
            formula="% en Nivel III satisfactorio que informa la plataforma DIA; territorio: "
            "ponderado por evaluados",
            numerator="estudiantes evaluados en Nivel III satisfactorio",
            denominator="estudiantes evaluados en el curso y área",
            source=_DIA_SOURCE,
            notes=_DIA_NOTE,
        ),
    ),
    SeriesIndicator(
        code="dia_insatisfactorio",
        name="DIA: estudiantes en nivel insatisfactorio",
        moments=("antes", "durante"),
        unit="%",
        decimals=1,
        direction="lower_is_better",
        test="DIA",
        measure="pct_insatisfactorio",
        short_name="DIA insatisf.",
        definition=(
            "Porcentaje de los estudiantes evaluados en el Nivel I insatisfactorio del DIA, por "
            "serie y período del año; más bajo es mejor."
        ),
        sheet=_sheet(
            formula="% en Nivel I insatisfactorio que informa la plataforma DIA; territorio: "
            "ponderado por evaluados",
            numerator="estudiantes evaluados en Nivel I insatisfactorio",
            denominator="estudiantes evaluados en el curso y área",
            source=_DIA_SOURCE,
            notes=_DIA_NOTE,
        ),
    ),
)
"""The Agencia's results, one row per school (or territory), year and series."""

SERIES_INDICATORS: dict[str, SeriesIndicator] = {i.code: i for i in SERIES_CATALOG}


def get_indicator(code: str) -> Indicator:
    """The indicator with ``code``; ``KeyError`` with the known codes otherwise."""
    try:
        return INDICATORS[code]
    except KeyError:
        raise KeyError(f"indicador desconocido: {code}") from None


def indicators_for_moment(moment: Moment) -> tuple[Indicator, ...]:
    """Indicators of one evaluation moment (``desempeno_docente`` is in antes and resultados)."""
    return tuple(i for i in CATALOG if moment in i.moments)


def page_indicators(page: Moment) -> tuple[str, ...]:
    """The codes a moment's page shows as key figures, in their order.

    Example:
        >>> page_indicators("durante")[:2]
        ('cumplimiento_cronograma', 'percepcion_colaboracion')
    """
    on_page = [i for i in CATALOG if i.display.page == page]
    return tuple(i.code for i in sorted(on_page, key=lambda i: i.display.order))


def slide_indicators(group: SlideGroup) -> tuple[str, ...]:
    """The codes of a slide group of the council pack, in their order."""
    members = [i for i in CATALOG if i.display.slide_group == group]
    return tuple(i.code for i in sorted(members, key=lambda i: i.display.slide_order))
