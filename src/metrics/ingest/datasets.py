"""The canonical datasets: what each import kind holds, declared once as data (pydantic).

Each :class:`Dataset` lists its columns as users write them in a template (Spanish headers),
with type, whether required, limits and allowed codes. These declarations drive everything
else: header matching, the vectorised validation query (built by
:mod:`metrics.store.loads`), the templates and the "códigos válidos" sheet.

This module must not read files or hold SQL; pydantic describes, DuckDB validates.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from metrics.ingest.text import normalize_header, normalize_label

ColumnType = Literal[
    "int",  # whole number, with min/max
    "decimal",  # number with decimal comma or point, with min/max
    "text",  # free text
    "code",  # one of ``codes`` (labels are compared normalised)
    "date",  # dd-mm-aaaa, dd/mm/aaaa or aaaa-mm-dd
    "rbd",  # a school's RBD (whole number)
    "run",  # a person's RUT/RUN with check digit: pseudonymised, warning if módulo 11 fails
    "mrun",  # Mineduc's masked student id (digits): pseudonymised
    "person",  # an id chosen by the school; pseudonymised when it looks like a RUT
    "likert",  # 1-5, or a Likert label of a known family
]
Severity = Literal["error", "aviso"]


class Column(BaseModel):
    """One column of a dataset."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Header in the template (Spanish, lower case)."""
    target: str
    """Canonical name used by the importer (the store column it ends up in)."""
    type: ColumnType
    required: bool = True
    min: float | None = None
    max: float | None = None
    allow_zero: bool = False
    """0 is accepted besides [min, max] (Mineduc writes 0 as the average of withdrawn students)."""
    decimals: int | None = None
    """Digits after the decimal comma the store keeps (a ``decimal`` column): a value written
    with more is refused, never rounded silently."""
    codes: dict[str, str] = Field(default_factory=dict)
    """Accepted label (any case/accents) → stored value. The first label of each value is the
    one templates show."""
    aliases: tuple[str, ...] = ()
    description: str = ""
    examples: tuple[str, str] = ("", "")

    @property
    def keys(self) -> tuple[str, ...]:
        """Every normalised header that means this column."""
        return (normalize_header(self.name), *(normalize_header(a) for a in self.aliases))

    def normalized_codes(self) -> dict[str, str]:
        return {normalize_label(k): v for k, v in self.codes.items()}


class Dataset(BaseModel):
    """One import kind: its columns, target table and natural key."""

    model_config = ConfigDict(frozen=True)

    kind: str
    """The name users type (``tablero importar --tipo resultados``)."""
    label: str
    table: str
    """Main store table the rows go to."""
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """Natural key (targets): a row of a later file with the same key replaces the earlier one."""
    description: str

    @model_validator(mode="after")
    def _key_is_columns(self) -> Dataset:
        targets = {c.target for c in self.columns}
        missing = [k for k in self.key if k not in targets]
        if missing:
            raise ValueError(f"{self.kind}: key columns {missing} are not columns")
        return self

    def column(self, target: str) -> Column:
        return next(c for c in self.columns if c.target == target)


def _codes(*groups: tuple[str, ...]) -> dict[str, str]:
    """Label groups, first label is the stored value: (("P", "promovido"), ...)."""
    return {label: group[0] for group in groups for label in group}


YES_NO = _codes(
    ("sí", "si", "s", "1", "x", "true", "verdadero"), ("no", "n", "0", "false", "falso")
)
COMMUNITY_KINDS = _codes(
    ("comunidad de práctica", "cdp"),
    ("grupo de estudio de casos",),
    ("observación entre pares",),
    ("comunidad profesional de aprendizaje", "cpa"),
    ("acompañamiento entre pares",),
    ("coaching entre pares",),
)
ACTIVITY_KINDS = _codes(
    ("reunión",),
    ("taller",),
    ("observación de aula",),
    ("retroalimentación",),
    ("curso",),
    ("otro", "otra"),
)
ACTIVITY_STATUS = _codes(
    ("planificada", "planificado", "pendiente"),
    ("realizada", "realizado", "hecha", "ejecutada"),
    ("reprogramada", "reprogramado"),
    ("cancelada", "cancelado", "suspendida"),
)
TRAMOS = _codes(
    ("inicial",),
    ("temprano",),
    ("avanzado",),
    ("experto I", "experto 1"),
    ("experto II", "experto 2"),
)
RESPONDENT_KINDS = _codes(
    ("docente", "docentes", "profesor", "profesora", "profesores"),
    ("estudiante", "estudiantes", "alumno", "alumna", "alumnos"),
    ("apoderado", "apoderados", "apoderada", "familia"),
    ("directivo", "directivos", "directiva", "equipo directivo"),
)
EVAL_INSTRUMENTS = _codes(
    ("observación de aula", "observacion", "observación"),
    ("autoevaluación",),
    ("retroalimentación de pares", "retroalimentación entre pares"),
    ("evaluación docente",),
)
MBE_DOMAINS = _codes(("A", "dominio a"), ("B", "dominio b"), ("C", "dominio c"), ("D", "dominio d"))
MBE_SCORES = _codes(
    ("1", "insatisfactorio"), ("2", "básico", "basico"), ("3", "competente"), ("4", "destacado")
)
SITUATIONS = _codes(
    ("P", "promovido", "promovida"),
    ("R", "reprobado", "reprobada"),
    ("Y", "retirado", "retirada"),
    ("T", "trasladado", "trasladada"),
)
TESTS = _codes(("SIMCE",), ("IDPS",), ("DIA",), ("otra", "otro"))
DIA_PERIODS = _codes(
    ("diagnóstico", "diagnostico", "diagnóstico inicial", "inicio", "inicio de año"),
    ("monitoreo intermedio", "monitoreo", "intermedio", "intermedia", "monitoreo de medio año"),
    ("cierre", "evaluación de cierre", "cierre de año", "final"),
)
"""The DIA's three periods of the school year, as the platform names them."""
_ORDINALS = ("primero", "segundo", "tercero", "cuarto", "quinto", "sexto", "séptimo", "octavo")
DIA_GRADES = _codes(
    *(
        (f"{i}b", f"{i}° básico", f"{i}º básico", f"{i} básico", f"{i}°b", f"{o} básico")
        for i, o in enumerate(_ORDINALS, start=1)
    ),
    *(
        (f"{i}m", f"{r} medio", f"{i}° medio", f"{i}º medio", f"{i} medio", f"{o} medio")
        for i, r, o in ((1, "I", "primero"), (2, "II", "segundo"))
    ),
)
"""Grades the DIA assesses: the Agencia's short codes (4b, 2m) and how schools write them."""
DIA_AREAS = _codes(
    ("lectura", "lenguaje", "comprensión lectora", "lenguaje y comunicación"),
    ("matemática", "matematica", "matemáticas"),
    ("escritura",),
    ("historia", "historia, geografía y ciencias sociales", "ciencias sociales"),
    ("formación ciudadana",),
)
"""Academic areas of the DIA reported by learning level."""
DIA_LEVEL_TOLERANCE = 2.0
"""How far from 100 the three levels of a DIA row may add up (the platform rounds each)."""

SIGNIFICANCE: dict[str, str] = {
    label: value
    for value, labels in (
        (
            "1",
            (
                "positiva y significativa",
                "alza significativa",
                "sube significativamente",
                "significativamente más alto",
                "más alto",
                "significativamente superior",
            ),
        ),
        (
            "0",
            (
                "no significativa",
                "no significativo",
                "sin diferencia significativa",
                "no hay diferencia significativa",
                "sin variación significativa",
                "sin cambio significativo",
                "similar",
                "se mantiene",
            ),
        ),
        (
            "-1",
            (
                "negativa y significativa",
                "baja significativa",
                "baja significativamente",
                "significativamente más bajo",
                "más bajo",
                "significativamente inferior",
            ),
        ),
    )
    for label in labels
}
"""The Agencia's significance of a difference in words, as older files (2014) write it
(«Positiva y significativa», «Similar», «Más bajo») → −1, 0, 1, as later ones write it. Words
only: a whole-number column with codes reads numbers as numbers first (``-1`` and ``1`` are the
same label once normalised)."""

SCOPE_KINDS = _codes(
    ("establecimiento", "escuela", "colegio", "rbd"),
    ("comunidad",),
    ("territorio",),
)

LIKERT = _codes(
    (
        "1",
        "muy en desacuerdo",
        "totalmente en desacuerdo",
        "nunca",
        "muy insatisfecho",
        "muy malo",
        "nada",
    ),
    (
        "2",
        "en desacuerdo",
        "desacuerdo",
        "casi nunca",
        "rara vez",
        "pocas veces",
        "insatisfecho",
        "malo",
        "poco",
    ),
    (
        "3",
        "ni de acuerdo ni en desacuerdo",
        "neutral",
        "indiferente",
        "a veces",
        "algunas veces",
        "ni satisfecho ni insatisfecho",
        "regular",
        "medianamente de acuerdo",
    ),
    (
        "4",
        "de acuerdo",
        "acuerdo",
        "casi siempre",
        "muchas veces",
        "frecuentemente",
        "satisfecho",
        "bueno",
        "bastante",
    ),
    (
        "5",
        "muy de acuerdo",
        "totalmente de acuerdo",
        "siempre",
        "muy satisfecho",
        "muy bueno",
        "mucho",
    ),
)
"""Likert families that Forms exports use (docs/importar.md), and their usual neighbours → 1..5."""

DEFAULT_DIMENSIONS = ("colaboracion", "apoyo", "satisfaccion", "aprendizaje")

YEAR = {"min": 2000, "max": 2100}

FIRST_DATE_YEAR = 2000
"""A date column refuses years before this one: a year 24 or 0001 is a typing mistake."""


def last_date_year() -> int:
    """The latest year a date may have: next year (activities are planned ahead), no later."""
    return date.today().year + 1


def _c(name: str, target: str, type_: ColumnType, **kw: object) -> Column:
    return Column(name=name, target=target, type=type_, **kw)  # type: ignore[arg-type]


_RBD = _c(
    "rbd",
    "rbd",
    "rbd",
    min=1,
    max=999999,
    description="RBD del establecimiento",
    examples=("10234", "10234"),
)
_YEAR = _c(
    "anio",
    "year",
    "int",
    aliases=("año", "agno", "ano"),
    **YEAR,
    description="año escolar",
    examples=("2024", "2024"),
)
_COD_ENSE = _c(
    "cod_ense",
    "cod_ense",
    "int",
    min=10,
    max=999,
    aliases=("codigo_ensenanza",),
    description="código de enseñanza Mineduc (110 básica; 310 media HC…)",
    examples=("110", "110"),
)
_GRADE = _c(
    "grado",
    "grade",
    "int",
    min=1,
    max=99,
    aliases=("cod_grado",),
    description="grado (1 a 8 en básica, 1 a 4 en media; código de Mineduc)",
    examples=("4", "4"),
)
_LETTER = _c(
    "letra",
    "letter",
    "text",
    aliases=("let_cur", "letra_curso"),
    description="letra del curso",
    examples=("A", "B"),
)
_TEACHER = _c(
    "id_docente",
    "teacher_id",
    "person",
    aliases=("docente", "rut_docente"),
    description="identificador del docente (RUT o código del establecimiento)",
    examples=("12.345.678-5", "D-02"),
)
_COMMUNITY = _c(
    "id_comunidad",
    "community_id",
    "text",
    aliases=("comunidad",),
    description="identificador de la comunidad (como en el archivo de comunidades)",
    examples=("CP-LECT", "CP-LECT"),
)

DATASETS: dict[str, Dataset] = {
    d.kind: d
    for d in (
        Dataset(
            kind="establecimientos",
            label="Establecimientos",
            table="school",
            key=("rbd",),
            description="Establecimientos con su comuna, DEPROV y SLEP (también acepta el "
            "Directorio oficial de Mineduc tal como se descarga).",
            columns=(
                _RBD.model_copy(update={"examples": ("10234", "10235")}),
                _c(
                    "dv_rbd",
                    "check_digit",
                    "text",
                    required=False,
                    aliases=("dgv_rbd", "dv"),
                    description="dígito verificador del RBD",
                    examples=("2", "0"),
                ),
                _c(
                    "nombre",
                    "name",
                    "text",
                    aliases=("nom_rbd", "nombre_establecimiento"),
                    description="nombre del establecimiento",
                    examples=("Escuela Los Aromos", "Liceo Bicentenario"),
                ),
                _c(
                    "cod_comuna",
                    "comuna_code",
                    "int",
                    required=False,
                    min=1,
                    max=99999,
                    aliases=("cod_com_rbd",),
                    examples=("13101", "13101"),
                ),
                _c(
                    "comuna",
                    "comuna",
                    "text",
                    required=False,
                    aliases=("nom_com_rbd",),
                    examples=("Santiago", "Santiago"),
                ),
                _c(
                    "cod_region",
                    "region_code",
                    "int",
                    required=False,
                    min=1,
                    max=16,
                    aliases=("cod_reg_rbd",),
                    examples=("13", "13"),
                ),
                _c(
                    "region",
                    "region",
                    "text",
                    required=False,
                    aliases=("nom_reg_rbd_a", "nom_reg_rbd"),
                    examples=("RM", "RM"),
                ),
                _c(
                    "cod_deprov",
                    "deprov_code",
                    "int",
                    required=False,
                    min=1,
                    max=9999,
                    aliases=("cod_deprov_rbd",),
                    examples=("131", "131"),
                ),
                _c(
                    "deprov",
                    "deprov",
                    "text",
                    required=False,
                    aliases=("nom_deprov_rbd",),
                    examples=("Santiago Centro", "Santiago Centro"),
                ),
                _c(
                    "slep",
                    "slep",
                    "text",
                    required=False,
                    aliases=("nombre_slep",),
                    description="Servicio Local de Educación Pública, si corresponde",
                    examples=("SLEP Santiago Centro", ""),
                ),
                _c(
                    "dependencia",
                    "dependency",
                    "int",
                    required=False,
                    min=1,
                    max=6,
                    aliases=("cod_depe2",),
                    description="dependencia (COD_DEPE2 de Mineduc): 1 municipal, 2 particular "
                    "subvencionado, 3 particular pagado, 4 administración delegada, 5 SLEP",
                    examples=("5", "2"),
                ),
                _c(
                    "anio_linea_base",
                    "baseline_year",
                    "int",
                    required=False,
                    **YEAR,
                    description="año de línea base (vacío: el año anterior a la primera comunidad)",
                    examples=("2023", ""),
                ),
            ),
        ),
        Dataset(
            kind="slep",
            label="Servicios Locales de Educación Pública (SLEP)",
            table="territory",
            key=("slep_code", "comuna_code"),
            description="Cada SLEP y las comunas que atiende (también acepta el Listado de SLEP "
            "de Mineduc tal como se descarga). Sus establecimientos son los de dependencia SLEP "
            "(COD_DEPE2 = 5 en el Directorio oficial) de esas comunas.",
            columns=(
                _c(
                    "cod_slep",
                    "slep_code",
                    "int",
                    min=1,
                    max=99999,
                    description="código del SLEP (COD_SLEP de Mineduc)",
                    examples=("1303", "1303"),
                ),
                _c(
                    "nombre_slep",
                    "name",
                    "text",
                    aliases=("slep", "nombre_slep_formato"),
                    examples=("Barrancas", "Barrancas"),
                ),
                _c(
                    "cod_comuna",
                    "comuna_code",
                    "int",
                    min=1,
                    max=99999,
                    aliases=("cod_com_rbd",),
                    examples=("13103", "13117"),
                ),
                _c(
                    "comuna",
                    "comuna",
                    "text",
                    required=False,
                    aliases=("nom_comuna_formato", "nom_com_rbd"),
                    examples=("Cerro Navia", "Lo Prado"),
                ),
            ),
        ),
        Dataset(
            kind="comunidades",
            label="Comunidades de práctica",
            table="community",
            key=("id",),
            description="Comunidades de práctica de cada establecimiento.",
            columns=(
                _c(
                    "id_comunidad",
                    "id",
                    "text",
                    aliases=("comunidad", "id"),
                    examples=("CP-LECT", "CP-MATE"),
                ),
                _RBD,
                _c("nombre", "name", "text", examples=("Lectura en 1° ciclo", "Matemática")),
                _c(
                    "tipo",
                    "kind",
                    "code",
                    codes=COMMUNITY_KINDS,
                    examples=("comunidad de práctica", "observación entre pares"),
                ),
                _c(
                    "foco",
                    "focus",
                    "text",
                    required=False,
                    aliases=("desafio",),
                    examples=("mejorar la comprensión lectora", "resolución de problemas"),
                ),
                _c(
                    "fecha_inicio",
                    "start_date",
                    "date",
                    required=False,
                    examples=("04-03-2024", "11-03-2024"),
                ),
                _c(
                    "fecha_cierre",
                    "end_date",
                    "date",
                    required=False,
                    description="fecha en que la comunidad se cerró (vacía: sigue activa)",
                    examples=("", "20-12-2024"),
                ),
            ),
        ),
        Dataset(
            kind="docentes",
            label="Docentes e integrantes",
            table="teacher_year",
            key=("year", "teacher_id", "rbd"),
            description="Dotación docente de cada año y las comunidades de cada docente "
            "(varias separadas por |).",
            columns=(
                _YEAR,
                _TEACHER,
                _c("nombre", "name", "text", required=False, examples=("María Pérez", "Juan Soto")),
                _RBD,
                _c(
                    "anios_experiencia",
                    "years_experience",
                    "int",
                    required=False,
                    min=0,
                    max=60,
                    aliases=("años_experiencia", "experiencia"),
                    examples=("2", "15"),
                ),
                _c(
                    "tramo",
                    "tramo",
                    "code",
                    required=False,
                    codes=TRAMOS,
                    examples=("inicial", "avanzado"),
                ),
                _c(
                    "comunidades",
                    "communities",
                    "text",
                    required=False,
                    description="ids de comunidades, separados por |",
                    examples=("CP-LECT", "CP-LECT|CP-MATE"),
                ),
            ),
        ),
        Dataset(
            kind="cronograma",
            label="Cronograma (actividades)",
            table="activity",
            key=("id",),
            description="Actividades planificadas y realizadas de cada comunidad.",
            columns=(
                _c(
                    "id_actividad",
                    "id",
                    "text",
                    aliases=("actividad", "id"),
                    examples=("A-001", "A-002"),
                ),
                _COMMUNITY,
                _c(
                    "tipo",
                    "kind",
                    "code",
                    codes=ACTIVITY_KINDS,
                    examples=("reunión", "observación de aula"),
                ),
                _c(
                    "responsable",
                    "responsible",
                    "text",
                    required=False,
                    examples=("Jefa UTP", "Coordinador"),
                ),
                _c(
                    "fecha_planificada",
                    "planned_date",
                    "date",
                    examples=("05-03-2024", "12-03-2024"),
                ),
                _c(
                    "fecha_realizada",
                    "done_date",
                    "date",
                    required=False,
                    examples=("05-03-2024", ""),
                ),
                _c(
                    "estado",
                    "status",
                    "code",
                    codes=ACTIVITY_STATUS,
                    examples=("realizada", "planificada"),
                ),
            ),
        ),
        Dataset(
            kind="asistencia_sesiones",
            label="Asistencia a sesiones",
            table="session_attendance",
            key=("community_id", "session_date", "teacher_id"),
            description="Asistencia de cada docente a cada sesión de su comunidad.",
            columns=(
                _COMMUNITY,
                _c(
                    "fecha_sesion",
                    "session_date",
                    "date",
                    aliases=("fecha",),
                    examples=("05-03-2024", "05-03-2024"),
                ),
                _TEACHER,
                _c(
                    "asistio",
                    "attended",
                    "code",
                    codes=YES_NO,
                    aliases=("asistencia",),
                    examples=("sí", "no"),
                ),
                _c(
                    "estrategias_compartidas",
                    "strategies_shared",
                    "int",
                    required=False,
                    min=0,
                    max=100,
                    aliases=("estrategias",),
                    examples=("2", "0"),
                ),
                _c(
                    "tema",
                    "topic",
                    "text",
                    required=False,
                    description="tema de la sesión (se repite en cada fila de la sesión)",
                    examples=("Lectura en voz alta", "Lectura en voz alta"),
                ),
                _c(
                    "estrategias_detalle",
                    "strategy_notes",
                    "text",
                    required=False,
                    description="las estrategias que compartió ese docente, una línea cada una, "
                    "separadas por |",
                    examples=("Preguntas antes de leer|Lectura en parejas", ""),
                ),
                _c(
                    "acuerdos",
                    "agreements",
                    "text",
                    required=False,
                    description="acuerdos de la sesión (se repiten en cada fila de la sesión)",
                    examples=("Probar la lectura en parejas", "Probar la lectura en parejas"),
                ),
            ),
        ),
        Dataset(
            kind="encuestas",
            label="Respuestas de encuestas",
            table="survey_response",
            key=("instrument", "wave", "rbd", "respondent_id", "item"),
            description="Una fila por respuesta (formato largo). Para exportaciones de Google "
            "Forms o Microsoft Forms use --mapeo.",
            columns=(
                _c(
                    "instrumento",
                    "instrument",
                    "text",
                    examples=("Encuesta docentes", "Encuesta docentes"),
                ),
                _c(
                    "ola",
                    "wave",
                    "text",
                    examples=("línea base", "línea base"),
                    description="línea base, intermedia, final o una fecha",
                ),
                _c(
                    "fecha",
                    "response_date",
                    "date",
                    required=False,
                    examples=("15-04-2024", "15-04-2024"),
                ),
                _c(
                    "tipo_respondente",
                    "respondent_kind",
                    "code",
                    codes=RESPONDENT_KINDS,
                    examples=("docente", "docente"),
                ),
                _c(
                    "id_respondente",
                    "respondent_id",
                    "person",
                    aliases=("respondente",),
                    examples=("R-01", "R-01"),
                ),
                _RBD,
                _c(
                    "id_comunidad",
                    "community_id",
                    "text",
                    required=False,
                    aliases=("comunidad",),
                    examples=("CP-LECT", "CP-LECT"),
                ),
                _c(
                    "item",
                    "item",
                    "text",
                    aliases=("pregunta",),
                    examples=("Colaboro con mis colegas", "Recibo apoyo del equipo directivo"),
                ),
                _c(
                    "dimension",
                    "dimension",
                    "text",
                    examples=("colaboracion", "apoyo"),
                    description="colaboracion, apoyo, satisfaccion, aprendizaje u otra",
                ),
                _c(
                    "invertida",
                    "reverse_coded",
                    "code",
                    required=False,
                    codes=YES_NO,
                    examples=("no", "no"),
                ),
                _c("respuesta", "answer", "likert", codes=LIKERT, examples=("4", "Muy de acuerdo")),
            ),
        ),
        Dataset(
            kind="evaluaciones",
            label="Evaluaciones docentes",
            table="teacher_evaluation",
            key=("teacher_id", "eval_date", "instrument", "domain"),
            description="Observaciones de aula, autoevaluaciones y otras evaluaciones (escala "
            "1 a 4 del Marco para la Buena Enseñanza).",
            columns=(
                _TEACHER,
                _RBD,
                _c("fecha", "eval_date", "date", examples=("20-05-2024", "20-05-2024")),
                _c(
                    "instrumento",
                    "instrument",
                    "code",
                    codes=EVAL_INSTRUMENTS,
                    examples=("observación de aula", "autoevaluación"),
                ),
                _c("dominio", "domain", "code", codes=MBE_DOMAINS, examples=("A", "C")),
                _c("puntaje", "score", "code", codes=MBE_SCORES, examples=("3", "competente")),
            ),
        ),
        Dataset(
            kind="resultados",
            label="Resultados finales de estudiantes",
            table="student_result",
            key=("year", "rbd", "cod_ense", "grade", "letter", "student_id"),
            description="Promedio, situación final y asistencia anual por estudiante (también "
            "acepta el archivo Rendimiento por estudiante de Mineduc tal como se descarga).",
            columns=(
                _YEAR,
                _RBD,
                _COD_ENSE,
                _GRADE,
                _LETTER,
                _c(
                    "estudiante",
                    "student_id",
                    "run",
                    aliases=("rut", "run", "rut_estudiante"),
                    description="RUT/RUN del estudiante (se seudonimiza al cargar)",
                    examples=("22.333.444-K", "23456789-6"),
                ),
                _c(
                    "promedio",
                    "final_average",
                    "decimal",
                    min=1.0,
                    max=7.0,
                    required=False,
                    allow_zero=True,
                    decimals=1,
                    aliases=("promedio_final", "prom_gral"),
                    description="promedio final 1,0 a 7,0 (0 para retirados)",
                    examples=("5,8", "3,9"),
                ),
                _c(
                    "situacion",
                    "final_situation",
                    "code",
                    codes=SITUATIONS,
                    aliases=("situacion_final", "sit_fin"),
                    examples=("P", "reprobado"),
                ),
                _c(
                    "asistencia",
                    "attendance_pct",
                    "decimal",
                    min=0,
                    max=100,
                    required=False,
                    decimals=1,
                    aliases=("asistencia_anual",),
                    description="asistencia anual en %",
                    examples=("92,5", "81"),
                ),
            ),
        ),
        Dataset(
            kind="asistencia_mensual",
            label="Asistencia mensual de estudiantes",
            table="student_attendance",
            key=("year", "month", "rbd", "cod_ense", "grade", "letter", "student_id"),
            description="Días asistidos y trabajados por estudiante y mes (también acepta la "
            "Asistencia declarada mensual de Mineduc).",
            columns=(
                _YEAR,
                _c(
                    "mes",
                    "month",
                    "int",
                    min=1,
                    max=12,
                    aliases=("mes_escolar",),
                    examples=("3", "3"),
                ),
                _RBD,
                _COD_ENSE,
                _GRADE,
                _LETTER,
                _c(
                    "estudiante",
                    "student_id",
                    "run",
                    aliases=("rut", "run", "rut_estudiante"),
                    examples=("22.333.444-K", "23456789-6"),
                ),
                _c("dias_asistidos", "days_attended", "int", min=0, max=31, examples=("18", "20")),
                _c("dias_trabajados", "days_worked", "int", min=0, max=31, examples=("20", "20")),
            ),
        ),
        Dataset(
            kind="pruebas",
            label="Pruebas estandarizadas",
            table="standardized_test",
            key=("year", "rbd", "test", "grade_level", "subject"),
            description="Puntaje promedio por establecimiento, prueba, nivel y asignatura, con "
            "las cifras que publica la Agencia (también acepta los resultados SIMCE y los IDPS "
            "por establecimiento de la Agencia).",
            columns=(
                _YEAR,
                _RBD,
                _c("prueba", "test", "code", codes=TESTS, examples=("SIMCE", "DIA")),
                _c(
                    "nivel",
                    "grade_level",
                    "text",
                    examples=("4b", "2m"),
                    description="nivel: 4b, 6b, 8b, 2m…",
                ),
                _c("asignatura", "subject", "text", examples=("lectura", "matemática")),
                _c(
                    "puntaje_promedio",
                    "mean_score",
                    "decimal",
                    required=False,
                    min=0,
                    max=1000,
                    aliases=("puntaje", "promedio"),
                    examples=("254", "241,5"),
                ),
                _c(
                    "estudiantes_evaluados",
                    "students_assessed",
                    "int",
                    required=False,
                    min=0,
                    max=100000,
                    aliases=("evaluados", "n"),
                    examples=("32", "28"),
                ),
                _c(
                    "dif_agencia",
                    "agency_change",
                    "decimal",
                    required=False,
                    min=-1000,
                    max=1000,
                    examples=("11", "-4"),
                    description="diferencia con la evaluación anterior que publica la Agencia",
                ),
                _c(
                    "sig_agencia",
                    "agency_change_sig",
                    "int",
                    required=False,
                    min=-1,
                    max=1,
                    codes=SIGNIFICANCE,
                    examples=("1", "0"),
                    description="-1 baja significativa, 0 no significativa, 1 alza significativa "
                    "(o en palabras: «Positiva y significativa»…)",
                ),
                _c(
                    "dif_gse",
                    "gse_difference",
                    "decimal",
                    required=False,
                    min=-1000,
                    max=1000,
                    examples=("25", "-3"),
                    description="diferencia con establecimientos del mismo grupo socioeconómico",
                ),
                _c(
                    "sig_gse",
                    "gse_difference_sig",
                    "int",
                    required=False,
                    min=-1,
                    max=1,
                    codes=SIGNIFICANCE,
                    examples=("1", "0"),
                    description="-1 más bajo, 0 similar, 1 más alto (significativo; o en "
                    "palabras: «Más alto», «Similar», «Más bajo»)",
                ),
                _c(
                    "pct_insuficiente",
                    "pct_insufficient",
                    "decimal",
                    required=False,
                    min=0,
                    max=100,
                    examples=("10,5", "20"),
                ),
                _c(
                    "pct_elemental",
                    "pct_elementary",
                    "decimal",
                    required=False,
                    min=0,
                    max=100,
                    examples=("14", "30"),
                ),
                _c(
                    "pct_adecuado",
                    "pct_adequate",
                    "decimal",
                    required=False,
                    min=0,
                    max=100,
                    examples=("75,5", "50"),
                ),
                _c(
                    "marca",
                    "withheld_mark",
                    "text",
                    required=False,
                    examples=("", "1"),
                    description="marca de la Agencia (1: no publica el puntaje)",
                ),
            ),
        ),
        Dataset(
            kind="dia",
            label="DIA (Diagnóstico Integral de Aprendizajes)",
            table="dia_result",
            key=("year", "rbd", "period", "grade_level", "area"),
            description="Lo que el establecimiento lee en la plataforma DIA de la Agencia de "
            "Calidad: por año, período, curso y área, el % de estudiantes en cada nivel de "
            "logro y el % de logro.",
            columns=(
                _YEAR,
                _RBD,
                _c(
                    "periodo",
                    "period",
                    "code",
                    codes=DIA_PERIODS,
                    aliases=("período", "etapa", "momento"),
                    description="diagnóstico, monitoreo intermedio o cierre",
                    examples=("diagnóstico", "cierre"),
                ),
                _c(
                    "curso",
                    "grade_level",
                    "code",
                    codes=DIA_GRADES,
                    aliases=("grado", "nivel"),
                    description="curso evaluado: 1° a 8° básico, I o II medio (4b, 2m…)",
                    examples=("4° básico", "4b"),
                ),
                _c(
                    "area",
                    "area",
                    "code",
                    codes=DIA_AREAS,
                    aliases=("área", "asignatura"),
                    description="área evaluada: lectura, matemática, escritura, historia o "
                    "formación ciudadana",
                    examples=("lectura", "lectura"),
                ),
                _c(
                    "pct_insatisfactorio",
                    "pct_insatisfactorio",
                    "decimal",
                    min=0,
                    max=100,
                    decimals=1,
                    aliases=("nivel i", "nivel_1", "insatisfactorio", "% insatisfactorio"),
                    description="% de estudiantes en Nivel I insatisfactorio",
                    examples=("35,0", "20"),
                ),
                _c(
                    "pct_intermedio",
                    "pct_intermedio",
                    "decimal",
                    min=0,
                    max=100,
                    decimals=1,
                    aliases=("nivel ii", "nivel_2", "intermedio", "% intermedio"),
                    description="% de estudiantes en Nivel II intermedio",
                    examples=("40,0", "30"),
                ),
                _c(
                    "pct_satisfactorio",
                    "pct_satisfactorio",
                    "decimal",
                    min=0,
                    max=100,
                    decimals=1,
                    aliases=("nivel iii", "nivel_3", "satisfactorio", "% satisfactorio"),
                    description="% de estudiantes en Nivel III satisfactorio (los tres niveles "
                    "suman 100)",
                    examples=("25,0", "50"),
                ),
                _c(
                    "pct_logro",
                    "pct_logro",
                    "decimal",
                    required=False,
                    min=0,
                    max=100,
                    decimals=1,
                    aliases=("logro", "% logro", "porcentaje de logro"),
                    description="% de logro (respuestas correctas) del curso",
                    examples=("52,3", "64"),
                ),
                _c(
                    "estudiantes_evaluados",
                    "students_assessed",
                    "int",
                    required=False,
                    min=0,
                    max=100000,
                    aliases=("evaluados", "n"),
                    examples=("31", "29"),
                ),
            ),
        ),
        Dataset(
            kind="asignaciones",
            label="Asignación docente a cursos",
            table="teaching_assignment",
            key=("year", "teacher_id", "rbd", "cod_ense", "grade", "letter", "subject"),
            description="Qué docente enseña en qué curso y asignatura cada año.",
            columns=(
                _YEAR,
                _TEACHER,
                _RBD,
                _COD_ENSE,
                _GRADE,
                _LETTER,
                _c(
                    "asignatura",
                    "subject",
                    "text",
                    required=False,
                    examples=("lenguaje", "matemática"),
                ),
            ),
        ),
        Dataset(
            kind="metas",
            label="Metas",
            table="target",
            key=("indicator", "scope_kind", "scope_id", "deadline_year"),
            description="Metas por indicador y alcance (mismas columnas que `tablero metas "
            "importar`).",
            columns=(
                _c(
                    "indicador",
                    "indicator",
                    "text",
                    examples=("tasa_reprobacion", "participacion_activa"),
                ),
                _c(
                    "alcance",
                    "scope_kind",
                    "code",
                    codes=SCOPE_KINDS,
                    examples=("establecimiento", "comunidad"),
                ),
                _c("alcance_id", "scope_id", "text", examples=("10234", "CP-LECT")),
                _c("meta", "target_value", "decimal", min=-1e9, max=1e9, examples=("3,0", "90")),
                _c(
                    "anio_limite",
                    "deadline_year",
                    "int",
                    **YEAR,
                    aliases=("año_limite",),
                    examples=("2025", "2025"),
                ),
                _c(
                    "motivo",
                    "reason",
                    "text",
                    required=False,
                    examples=("Plan de mejoramiento", ""),
                ),
            ),
        ),
    )
}
"""Every import kind, by the name users type."""

KIND_LABELS: dict[str, str] = {k: d.label for k, d in DATASETS.items()}
