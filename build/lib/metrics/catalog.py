"""The indicator catalogue, declared as data: the guide's default indicators (DOMAIN.md).

Each indicator is a frozen pydantic model saying what it measures, in which evaluation moment,
in which unit, which direction is good, from which dataset, whether it is about students (and
so subject to small-group suppression) and how its confidence interval is built. The SQL that
computes it lives in :mod:`metrics.store.indicators`, keyed by ``code``; the arithmetic on top
(change, progress, status, intervals, suppression) in :mod:`metrics.compute`.

This module must not import the store, Streamlit or DuckDB: pages, exports and tests read it.
The catalogue is validated when imported (unique codes, a formula for every code); a test
checks that every code appears in the README's indicator table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Moment = Literal["antes", "durante", "resultados", "impacto"]
Direction = Literal["higher_is_better", "lower_is_better"]
ScopeKind = Literal["comunidad", "establecimiento", "territorio"]
Statistic = Literal["proporcion", "media", "razon"]
"""How a value and its interval are built from sufficient statistics.

- ``proporcion``: successes ÷ trials × 100; interval for the change: Newcombe (hybrid Wilson).
- ``media``: mean of observations; interval for the change: Welch.
- ``razon``: a ratio of two sums; an interval only when per-unit variances exist (delta method).
"""

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
    statistic: Statistic
    definition: str = Field(min_length=10)
    sheet: TechnicalSheet

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


def _perception(dim: str, name: str, what: str) -> Indicator:
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
        statistic="proporcion",
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
            statistic="proporcion",
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
        _perception("colaboracion", "Percepción de colaboración", "la colaboración"),
        _perception("apoyo", "Percepción de apoyo recibido", "el apoyo recibido"),
        _perception(
            "satisfaccion",
            "Satisfacción con el desarrollo profesional",
            "la satisfacción con el desarrollo profesional",
        ),
        _perception(
            "aprendizaje",
            "Percepción de efectos en el aprendizaje",
            "los efectos en el aprendizaje",
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
            statistic="razon",
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
            statistic="proporcion",
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
            statistic="media",
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
            statistic="media",
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
        Indicator(
            code="promedio_notas",
            name="Promedio de notas",
            moments=("impacto",),
            unit="nota",
            decimals=2,
            direction="higher_is_better",
            sources=("student_result",),
            student_based=True,
            statistic="media",
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
            statistic="proporcion",
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
            statistic="proporcion",
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
            statistic="proporcion",
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
            statistic="proporcion",
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
            statistic="media",
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
            statistic="proporcion",
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
            code="puntaje_estandarizado",
            name="Puntaje en pruebas estandarizadas",
            moments=("impacto",),
            unit="puntaje",
            decimals=0,
            direction="higher_is_better",
            sources=("standardized_test",),
            student_based=True,
            statistic="razon",
            definition=(
                "Puntaje medio por prueba y asignatura, ponderado por estudiantes evaluados. El "
                "valor principal pondera todas las pruebas, niveles y asignaturas del alcance; el "
                "desglose da cada serie (prueba, nivel, asignatura)."
            ),
            sheet=_sheet(
                formula="Σ (puntaje medio × evaluados) ÷ Σ evaluados",
                numerator="puntajes medios ponderados por estudiantes evaluados",
                denominator="estudiantes evaluados (filas con puntaje publicado)",
                source="Pruebas estandarizadas (SIMCE, DIA u otras)",
                notes=(
                    "Compare series iguales entre años (desglose): el valor principal mezcla "
                    "pruebas y niveles. Para una comunidad: las pruebas de su establecimiento en "
                    "los niveles que enseñan sus integrantes (aproximación: el puntaje es del "
                    "nivel completo). Sin intervalo de confianza (no hay desviaciones)."
                ),
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
            statistic="proporcion",
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
"""The default catalogue, in the order pages list it."""

INDICATORS: dict[str, Indicator] = {i.code: i for i in CATALOG}


def get_indicator(code: str) -> Indicator:
    """The indicator with ``code``; ``KeyError`` with the known codes otherwise."""
    try:
        return INDICATORS[code]
    except KeyError:
        raise KeyError(f"indicador desconocido: {code}") from None


def indicators_for_moment(moment: Moment) -> tuple[Indicator, ...]:
    """Indicators of one evaluation moment (``desempeno_docente`` is in antes and resultados)."""
    return tuple(i for i in CATALOG if moment in i.moments)
