"""Format detection and adapters: which dataset a file holds and where each column comes from.

A file's headers (normalised: case, spaces, accents) decide its format:

* Mineduc *Rendimiento por estudiante* (``MRUN``, ``PROM_GRAL``, ``SIT_FIN``) → ``resultados``;
  the final situation is read from ``SIT_FIN_R`` when present (it tells transfers apart);
* Mineduc *Asistencia declarada mensual* (``MRUN``, ``DIAS_ASISTIDOS``) → ``asistencia_mensual``;
* Mineduc *Directorio oficial* (``RBD``, ``NOM_RBD``, ``COD_COM_RBD``, ``DGV_RBD`` and one of
  ``COD_DEPE``, ``COD_DEPE2``, ``ESTADO_ESTAB``, ``MATRICULA``) → ``establecimientos``;
* Mineduc *Listado de SLEP* (``COD_SLEP``, ``NOMBRE_SLEP``, ``COD_COM_RBD``) → ``slep``;
* Agencia *SIMCE por establecimiento* (``prom_<asignatura><grado>_rbd``) → ``pruebas``, one row
  per school and subject, grade taken from the column names;
* Google Forms (``Marca temporal``) and Microsoft Forms (``ID``, ``Hora de inicio``) →
  ``encuestas``, with a question → dimension mapping;
* Agencia *IDPS por establecimiento* (``rbd``, ``ind``, ``prom``): recognised, and refused with
  one message saying this version does not import it yet;
* otherwise the canonical template whose columns match best, provided at least half of the
  file's columns are that template's; else «formato no reconocido», naming the closest formats
  and the columns each would need. A file is never taken for an official format on columns that
  format shares with others (an IDPS file has ``rbd``, ``nom_rbd`` and ``cod_com_rbd`` too).

The result is a :class:`Plan`: for every canonical column, a :data:`Binding` saying which raw
column (by position) or constant feeds it. Plans are data; :mod:`metrics.store.loads` turns
them into SQL. Identifiers never come from a file: raw columns are addressed by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from metrics.errors import UploadError
from metrics.ingest.datasets import DATASETS, ColumnType, Dataset
from metrics.ingest.readers import open_table
from metrics.ingest.report import Issue
from metrics.ingest.text import column_letter, normalize_header, normalize_label


@dataclass(frozen=True)
class Col:
    """Raw column ``index`` of the file."""

    index: int


@dataclass(frozen=True)
class FirstOf:
    """The first non-blank of several raw columns (``SIT_FIN_R`` over ``SIT_FIN``)."""

    indexes: tuple[int, ...]


@dataclass(frozen=True)
class Const:
    """The same value for every row (``--rbd``, ``--ola``, a subject taken from a header)."""

    value: str | None


@dataclass(frozen=True)
class RowId:
    """A per-row id: ``<prefix><Excel row>`` (anonymous Forms respondents)."""

    prefix: str


Binding = Col | FirstOf | Const | RowId


@dataclass
class Part:
    """One projection of the raw rows onto the dataset's columns (SIMCE and Forms have many)."""

    bindings: dict[str, Binding]
    labels: dict[str, str]
    """Column as the user sees it, for messages: header and letter, or the option used."""
    types: dict[str, ColumnType] = field(default_factory=dict)
    """Type overrides (``MRUN`` is a masked number, not a RUT with check digit)."""


SCHOOL_FIELDS = (
    "rbd",
    "check_digit",
    "name",
    "comuna_code",
    "comuna",
    "region_code",
    "region",
    "deprov_code",
    "deprov",
    "slep",
    "dependency",
)
"""What official files tell about their schools (used to register unknown schools)."""


@dataclass
class Plan:
    """How a file maps onto a dataset."""

    dataset: Dataset
    format: str
    format_label: str
    parts: list[Part]
    used: set[int]
    unknown: list[str]
    schools: Part | None = None
    """Where the file says each school's name, comuna, DEPROV and SLEP (official files)."""
    skip_blank: str | None = None
    """A target whose blank value means "no data for this row": rows skipped with a warning."""
    notes: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    """Problems found in the headers (missing or duplicated columns)."""
    needs_mapping: bool = False
    proposed_mapping: list[MappingRow] = field(default_factory=list)
    """Forms: a first guess to confirm (needs_mapping), or the mapping in use."""
    instrument: str | None = None
    open_answers: list[tuple[int, str]] = field(default_factory=list)
    """Forms: the open-ended questions (mapped to :data:`OPEN_ANSWER`), as (column, header):
    their answers are kept without their authors (``survey_open_answer``)."""


OPEN_ANSWER = "abierta"
"""The mapping 'dimension' of an open-ended question: its answers are kept as text."""


class MappingRow(BaseModel):
    """One line of a Forms mapping: question text → dimension (or a role)."""

    model_config = ConfigDict(frozen=True)

    question: str
    dimension: str
    reverse: bool = False

    @field_validator("dimension")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalize_header(value)


ROLES = {
    "establecimiento": "rbd",
    "rbd": "rbd",
    "comunidad": "community_id",
    "tipo_respondente": "respondent_kind",
    "respondente": "respondent_id",
    "ignorar": "",
}
"""Mapping 'dimensions' that are not dimensions: which column holds school, community..."""

FORMAT_LABELS = {
    "plantilla": "plantilla de Tablero DPD",
    "mineduc_directorio": "Directorio oficial de establecimientos (Mineduc)",
    "mineduc_rendimiento": "Rendimiento por estudiante (Mineduc)",
    "mineduc_asistencia": "Asistencia declarada mensual (Mineduc)",
    "mineduc_slep": "Listado de Servicios Locales de Educación Pública (Mineduc)",
    "agencia_idps": "IDPS por establecimiento (Agencia de Calidad)",
    "agencia_simce": "Resultados SIMCE por establecimiento (Agencia de Calidad)",
    "google_forms": "respuestas de Google Forms",
    "microsoft_forms": "respuestas de Microsoft Forms",
}

SIMCE_SUBJECTS = {
    "lect": "lectura",
    "mate": "matemática",
    "hist": "historia, geografía y ciencias sociales",
    "cnat": "ciencias naturales",
    "cien": "ciencias naturales",
    "ing": "inglés",
    "escr": "escritura",
    "fis": "educación física",
}
_SIMCE_PROM = re.compile(r"^prom_([a-z]+?)(\d+[bm])_rbd$")

_MINEDUC_SCHOOL = {
    "rbd": ("rbd",),
    "check_digit": ("dgv_rbd", "dvrbd"),
    "name": ("nom_rbd",),
    "comuna_code": ("cod_com_rbd",),
    "comuna": ("nom_com_rbd",),
    "region_code": ("cod_reg_rbd",),
    "region": ("nom_reg_rbd_a", "nom_reg_rbd"),
    "deprov_code": ("cod_deprov_rbd",),
    "deprov": ("nom_deprov_rbd",),
    "slep": ("nombre_slep", "nom_slep"),
    "dependency": ("cod_depe2",),
}

OFFICIAL_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "mineduc_rendimiento": (("mrun",), ("prom_gral",), ("sit_fin", "sit_fin_r")),
    "mineduc_asistencia": (("mrun",), ("dias_asistidos",)),
    "agencia_simce": (("rbd",), ("prom_lect4b_rbd", "prom_mate4b_rbd", "prom_lect2m_rbd")),
    "agencia_idps": (("rbd",), ("ind",), ("prom",)),
    "mineduc_slep": (("cod_slep",), ("nombre_slep",), ("cod_com_rbd",)),
    "mineduc_directorio": (
        ("rbd",),
        ("nom_rbd",),
        ("cod_com_rbd",),
        ("dgv_rbd",),
        ("cod_depe", "cod_depe2", "estado_estab", "matricula"),
    ),
}
"""Each official format's distinctive columns (normalised): every group must be present (any
one header of a group). Used to name the nearest formats of a file nobody recognises."""

NOT_IMPORTED = {
    "agencia_idps": "es un archivo de IDPS (Indicadores de Desarrollo Personal y Social) de la "
    "Agencia de Calidad, una fila por establecimiento e indicador. Esta versión de Tablero DPD "
    "todavía no importa el IDPS; no se cargó nada.",
}
"""Official formats recognised by their columns that this version does not import yet."""

_FORMS_META = {
    "marca_temporal",
    "timestamp",
    "direccion_de_correo_electronico",
    "correo_electronico",
    "email_address",
    "email",
    "id",
    "hora_de_inicio",
    "hora_de_finalizacion",
    "hora_de_la_ultima_modificacion",
    "start_time",
    "completion_time",
    "last_modified_time",
    "nombre",
    "name",
    "puntos_totales",
    "total_points",
    "puntuacion",
}


def _index(headers: list[str]) -> dict[str, int]:
    """Normalised header → first position."""
    out: dict[str, int] = {}
    for i, h in enumerate(headers):
        out.setdefault(normalize_header(h), i)
    return out


def _label(headers: list[str], i: int) -> str:
    return f"{headers[i]} ({column_letter(i)})" if headers[i] else column_letter(i)


def duplicate_header_issues(file: str, headers: list[str]) -> list[Issue]:
    """One issue per header that appears twice (after normalisation)."""
    seen: dict[str, int] = {}
    issues = []
    for i, h in enumerate(headers):
        key = normalize_header(h)
        if not key:
            continue
        if key in seen:
            issues.append(
                Issue(
                    file,
                    1,
                    _label(headers, i),
                    h,
                    f"el encabezado «{h}» se repite (también está en la columna "
                    f"{column_letter(seen[key])}). Cambie el nombre de una de las dos o "
                    "borre la columna que sobra.",
                )
            )
        else:
            seen[key] = i
    return issues


def detect_format(headers: list[str]) -> str | None:
    """The official format a header row belongs to, or None (a canonical template?).

    >>> detect_format(["agno", "rbd", "mrun", "prom_gral", "sit_fin"])
    'mineduc_rendimiento'
    >>> detect_format(["Marca temporal", "¿Colaboro?"])
    'google_forms'
    """
    h = set(_index(headers))
    if "mrun" in h and "prom_gral" in h and ({"sit_fin", "sit_fin_r"} & h):
        return "mineduc_rendimiento"
    if "mrun" in h and "dias_asistidos" in h:
        return "mineduc_asistencia"
    if "rbd" in h and any(_SIMCE_PROM.match(x) for x in h):
        return "agencia_simce"
    if "mrun" not in h:
        for fmt in ("agencia_idps", "mineduc_slep", "mineduc_directorio"):
            if _missing_official(fmt, h) == []:
                return fmt
    first = normalize_header(headers[0]) if headers else ""
    if first in {"marca_temporal", "timestamp"}:
        return "google_forms"
    if "id" in h and ({"hora_de_inicio", "start_time"} & h):
        return "microsoft_forms"
    return None


def _missing_official(fmt: str, h: set[str]) -> list[str]:
    """The distinctive column groups of official format ``fmt`` that headers ``h`` lack."""
    # As each publisher writes them: Mineduc in capitals, the Agencia in lower case.
    shown = str.lower if fmt.startswith("agencia") else str.upper
    return [" o ".join(map(shown, g)) for g in OFFICIAL_COLUMNS[fmt] if not set(g) & h]


def nearest_formats(headers: list[str], limit: int = 3) -> list[tuple[str, list[str]]]:
    """The formats a header row comes closest to, and the columns each would still need.

    Official formats count their distinctive columns; templates their required ones. Only
    formats with at least one of their columns present are listed, best first.

    >>> nearest_formats(["rbd", "nombre_colegio"])[0]
    ('plantilla «establecimientos»', ['nombre'])
    """
    h = set(_index(headers))
    scored: list[tuple[float, int, str, list[str]]] = []
    # Templates first: on a tie (a lone «rbd» is half of SIMCE's distinctive columns too), a
    # hand-made file is nearer to a template than to an official file.
    for ds in DATASETS.values():
        required = [c for c in ds.columns if c.required]
        missing = [c.name for c in required if not set(c.keys) & h]
        if required and len(missing) < len(required):
            share = 1 - len(missing) / len(required)
            scored.append((share, len(scored), f"plantilla «{ds.kind}»", missing))
    for fmt, groups in OFFICIAL_COLUMNS.items():
        missing = _missing_official(fmt, h)
        if len(missing) < len(groups):
            share = 1 - len(missing) / len(groups)
            scored.append((share, len(scored), FORMAT_LABELS[fmt], missing))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(label, missing) for _, _, label, missing in scored[:limit]]


def unrecognised_message(headers: list[str]) -> str:
    """«formato no reconocido», with the nearest formats and the columns they would need."""
    near = nearest_formats(headers)
    text = (
        "no se reconoce el tipo de datos (formato no reconocido): los encabezados no son los de "
        "un formato oficial (Mineduc, Agencia, Google o Microsoft Forms) ni los de una "
        "plantilla de Tablero DPD."
    )
    if near:
        text += (
            " Lo más parecido: "
            + "; ".join(
                f"{label} (le faltan: {', '.join(missing)})" if missing else label
                for label, missing in near
            )
            + "."
        )
    return (
        text + " Revise que la primera fila tenga los nombres de las columnas, que el separador "
        "sea ; , o tabulación, o indique el tipo con --tipo. Descargue una plantilla con "
        "«tablero plantilla TIPO»."
    )


def best_dataset(headers: list[str]) -> tuple[Dataset | None, int]:
    """The canonical dataset whose columns the headers match best, and how many matched."""
    h = set(_index(headers))
    best: tuple[Dataset | None, float, int] = (None, 0.0, 0)
    for ds in DATASETS.values():
        matched = sum(1 for c in ds.columns if set(c.keys) & h)
        required = [c for c in ds.columns if c.required]
        req_ok = sum(1 for c in required if set(c.keys) & h)
        score = matched + 2 * req_ok - (len(required) - req_ok) * 2
        if matched and score > best[1]:
            best = (ds, score, matched)
    return best[0], best[2]


def build_plan(
    file: str,
    headers: list[str],
    *,
    kind: str | None = None,
    rbd: int | None = None,
    wave: str | None = None,
    mapping: list[MappingRow] | None = None,
    instrument: str | None = None,
    respondent_kind: str | None = None,
) -> Plan:
    """Decide the format and bind every canonical column (see the module docstring)."""
    fmt = detect_format(headers)
    if fmt in NOT_IMPORTED:
        # Recognised, not importable: one message, whatever --tipo says (an IDPS file read as a
        # school list gave one «fila repetida» per row).
        shown = DATASETS[kind] if kind in DATASETS else DATASETS["pruebas"]
        plan = Plan(shown, fmt, FORMAT_LABELS[fmt], [], set(), [])
        plan.issues = [Issue(file, 1, "A", "", NOT_IMPORTED[fmt])]
        return plan
    if fmt is not None and kind is not None and _FORMAT_KIND[fmt] != kind:
        fmt = None  # the user insists on another kind: try the template of that kind
    if fmt in ("google_forms", "microsoft_forms"):
        assert fmt is not None
        return _forms_plan(
            file, headers, fmt, rbd, wave, mapping, instrument, respondent_kind or "docente"
        )
    if fmt == "agencia_simce":
        return _simce_plan(file, headers, rbd)
    if fmt is not None:
        return _mapped_plan(file, headers, DATASETS[_FORMAT_KIND[fmt]], fmt, rbd, wave)
    if kind is not None:
        if kind not in DATASETS:
            raise KeyError(kind)
        return _mapped_plan(file, headers, DATASETS[kind], "plantilla", rbd, wave)
    ds, matched = best_dataset(headers)
    named = sum(1 for h in headers if h.strip())
    if ds is None or 2 * matched < named:
        # Fewer than half of the file's columns are the best template's: not that template.
        plan = _mapped_plan(file, headers, ds or DATASETS["resultados"], "plantilla", rbd, wave)
        plan.issues = [
            Issue(
                file,
                1,
                "A",
                headers[0] if headers else "",
                unrecognised_message(headers),
            )
        ]
        if len(headers) == 1 and any(s in headers[0] for s in "|:"):
            plan.issues[0] = Issue(
                file,
                1,
                "A",
                headers[0],
                "toda la fila de encabezados quedó en una sola columna: el separador no es "
                "punto y coma, coma ni tabulación. Exporte de nuevo el archivo como CSV "
                "separado por punto y coma (;).",
            )
        return plan
    return _mapped_plan(file, headers, ds, "plantilla", rbd, wave)


_FORMAT_KIND = {
    "mineduc_directorio": "establecimientos",
    "mineduc_rendimiento": "resultados",
    "mineduc_asistencia": "asistencia_mensual",
    "mineduc_slep": "slep",
    "agencia_simce": "pruebas",
    "google_forms": "encuestas",
    "microsoft_forms": "encuestas",
}

_MINEDUC_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "mineduc_rendimiento": {
        "year": ("agno",),
        "rbd": ("rbd",),
        "cod_ense": ("cod_ense",),
        "grade": ("cod_grado",),
        "letter": ("let_cur",),
        "student_id": ("mrun",),
        "final_average": ("prom_gral",),
        "attendance_pct": ("asistencia",),
    },
    "mineduc_asistencia": {
        "year": ("agno",),
        "month": ("mes_escolar", "mes"),
        "rbd": ("rbd",),
        "cod_ense": ("cod_ense",),
        "grade": ("cod_grado",),
        "letter": ("let_cur",),
        "student_id": ("mrun",),
        "days_attended": ("dias_asistidos",),
        "days_worked": ("dias_trabajados",),
    },
    "mineduc_slep": {
        "slep_code": ("cod_slep",),
        "name": ("nombre_slep_formato", "nombre_slep"),
        "comuna_code": ("cod_com_rbd",),
        "comuna": ("nom_comuna_formato", "nom_comuna_rbd"),
    },
}


def _school_part(headers: list[str], idx: dict[str, int]) -> Part | None:
    bindings: dict[str, Binding] = {}
    labels: dict[str, str] = {}
    for target, names in _MINEDUC_SCHOOL.items():
        for n in names:
            if n in idx:
                bindings[target] = Col(idx[n])
                labels[target] = _label(headers, idx[n])
                break
    return Part(bindings, labels) if "rbd" in bindings and "name" in bindings else None


def _mapped_plan(
    file: str,
    headers: list[str],
    ds: Dataset,
    fmt: str,
    rbd: int | None,
    wave: str | None,
) -> Plan:
    idx = _index(headers)
    bindings: dict[str, Binding] = {}
    labels: dict[str, str] = {}
    types: dict[str, ColumnType] = {}
    issues = duplicate_header_issues(file, headers)
    official: dict[str, tuple[str, ...]] = _MINEDUC_COLUMNS.get(fmt, {})
    for col in ds.columns:
        keys = official.get(col.target, col.keys)
        found = next((idx[k] for k in keys if k in idx), None)
        if col.target == "final_situation" and fmt == "mineduc_rendimiento":
            found_cols = tuple(idx[k] for k in ("sit_fin_r", "sit_fin") if k in idx)
            bindings[col.target] = FirstOf(found_cols)
            labels[col.target] = " / ".join(_label(headers, i) for i in found_cols)
            continue
        if found is not None:
            bindings[col.target] = Col(found)
            labels[col.target] = _label(headers, found)
        elif col.target == "rbd" and rbd is not None:
            bindings[col.target] = Const(str(rbd))
            labels[col.target] = "rbd (--rbd)"
        elif col.target == "wave" and wave is not None:
            bindings[col.target] = Const(wave)
            labels[col.target] = "ola (--ola)"
        elif col.required:
            issues.append(
                Issue(
                    file,
                    1,
                    col.name,
                    "",
                    f"falta la columna obligatoria «{col.name}» ({col.description or ds.label}). "
                    "Agréguela en la fila de encabezados; descargue la plantilla con «tablero "
                    f"plantilla {ds.kind}» para ver los nombres válidos.",
                )
            )
    if "student_id" in official:
        types["student_id"] = "mrun"
    used = {b.index for b in bindings.values() if isinstance(b, Col)}
    for b in bindings.values():
        if isinstance(b, FirstOf):
            used |= set(b.indexes)
    schools = None
    if fmt != "plantilla" and ds.kind != "establecimientos":
        schools = _school_part(headers, idx)
        if schools is not None:
            used |= {b.index for b in schools.bindings.values() if isinstance(b, Col)}
    unknown = [h for i, h in enumerate(headers) if i not in used and h.strip()]
    plan = Plan(
        dataset=ds,
        format=fmt,
        format_label=FORMAT_LABELS[fmt],
        parts=[Part(bindings, labels, types)],
        used=used,
        unknown=unknown,
        schools=schools,
        issues=issues,
        skip_blank="final_situation" if fmt == "mineduc_rendimiento" else None,
    )
    if unknown:
        plan.notes.append(unused_note(unknown))
    return plan


def unused_note(unknown: list[str]) -> str:
    """The report line listing the columns a file has and the import ignores."""
    shown = ", ".join(unknown[:12]) + (" …" if len(unknown) > 12 else "")
    return f"{len(unknown)} columna(s) del archivo no se usan y se ignoran: {shown}"


def _simce_plan(file: str, headers: list[str], rbd: int | None) -> Plan:
    ds = DATASETS["pruebas"]
    idx = _index(headers)
    issues = duplicate_header_issues(file, headers)
    parts: list[Part] = []
    used: set[int] = set()
    year: Binding | None = None
    year_label = ""
    for name in ("agno", "ano", "anio"):
        if name in idx:
            year, year_label = Col(idx[name]), _label(headers, idx[name])
            break
    if year is None:
        found = re.search(r"(20\d\d)", Path(file).stem)
        if found:
            year, year_label = Const(found.group(1)), f"año del nombre del archivo ({file})"
        else:
            issues.append(
                Issue(
                    file,
                    1,
                    "agno",
                    "",
                    "falta la columna «agno» con el año de la prueba y el nombre del archivo no "
                    "lo indica. Agregue la columna agno.",
                )
            )
            year = Const(None)
    rbd_binding: Binding = Col(idx["rbd"]) if "rbd" in idx else Const(str(rbd) if rbd else None)
    for key, i in idx.items():
        m = _SIMCE_PROM.match(key)
        if not m:
            continue
        subject, grade = m.groups()
        bindings: dict[str, Binding] = {
            "year": year,
            "rbd": rbd_binding,
            "test": Const("SIMCE"),
            "grade_level": Const(grade),
            "subject": Const(SIMCE_SUBJECTS.get(subject, subject)),
            "mean_score": Col(i),
        }
        labels = {
            "year": year_label,
            "rbd": _label(headers, idx["rbd"]) if "rbd" in idx else "rbd",
            "test": "prueba",
            "grade_level": _label(headers, i),
            "subject": _label(headers, i),
            "mean_score": _label(headers, i),
        }
        used.add(i)
        nalu = f"nalu_{subject}{grade}_rbd"
        if nalu in idx:
            bindings["students_assessed"] = Col(idx[nalu])
            labels["students_assessed"] = _label(headers, idx[nalu])
            used.add(idx[nalu])
        parts.append(Part(bindings, labels))
    if "rbd" in idx:
        used.add(idx["rbd"])
    if isinstance(year, Col):
        used.add(year.index)
    schools = _school_part(headers, idx)
    if schools is not None:
        used |= {b.index for b in schools.bindings.values() if isinstance(b, Col)}
    unknown = [h for i, h in enumerate(headers) if i not in used and h.strip()]
    plan = Plan(
        dataset=ds,
        format="agencia_simce",
        format_label=FORMAT_LABELS["agencia_simce"],
        parts=parts,
        used=used,
        unknown=unknown,
        schools=schools,
        issues=issues,
        notes=[
            "Asignaturas y niveles: "
            + ", ".join(f"{p.labels['subject']}" for p in parts)
            + ". Un puntaje en blanco (con marca de la Agencia) queda sin promedio."
        ],
    )
    if unknown:
        plan.notes.append(unused_note(unknown))
    return plan


_OPEN_HINTS = ("coment", "sugerenc", "describ", "por_que", "observacion", "explique", "cuente")
"""Words of an open-ended question («Comentarios», «¿Por qué?», «Describa…»)."""

_DIMENSION_HINTS = (
    ("colabor", "colaboracion"),
    ("equipo", "colaboracion"),
    ("colega", "colaboracion"),
    ("apoy", "apoyo"),
    ("acompan", "apoyo"),
    ("retroaliment", "apoyo"),
    ("satisf", "satisfaccion"),
    ("conforme", "satisfaccion"),
    ("aprend", "aprendizaje"),
    ("estudiant", "aprendizaje"),
    ("logro", "aprendizaje"),
)
_ROLE_HINTS = (
    (("rbd", "establecimiento", "colegio", "escuela", "liceo"), "establecimiento"),
    (("comunidad",), "comunidad"),
    (("rol", "cargo", "usted_es", "tipo_de_respondente", "estamento"), "tipo_respondente"),
)


def propose_mapping(questions: list[str]) -> list[MappingRow]:
    """A first guess of each question's dimension (or role) from its words.

    >>> [m.dimension for m in propose_mapping(["¿Colaboro con mis colegas?", "RBD"])]
    ['colaboracion', 'establecimiento']
    """
    out = []
    for q in questions:
        key = normalize_header(q)
        role = None
        if len(key) <= 40:  # a role is a short header ("RBD", "Comunidad"), not a question
            role = next(
                (r for words, r in _ROLE_HINTS if any(w in key.split("_") for w in words)),
                None,
            ) or next((r for words, r in _ROLE_HINTS if any(w in key for w in words)), None)
        if role is not None:
            out.append(MappingRow(question=q, dimension=role))
            continue
        if any(hint in key for hint in _OPEN_HINTS):
            out.append(MappingRow(question=q, dimension=OPEN_ANSWER))
            continue
        dim = next((d for hint, d in _DIMENSION_HINTS if hint in key), "ignorar")
        out.append(MappingRow(question=q, dimension=dim))
    return out


def _forms_plan(
    file: str,
    headers: list[str],
    fmt: str,
    rbd: int | None,
    wave: str | None,
    mapping: list[MappingRow] | None,
    instrument: str | None,
    respondent_kind: str,
) -> Plan:
    ds = DATASETS["encuestas"]
    idx = _index(headers)
    issues = duplicate_header_issues(file, headers)
    questions = [(i, h) for i, h in enumerate(headers) if normalize_header(h) not in _FORMS_META]
    instrument = instrument or Path(file).stem
    plan = Plan(
        dataset=ds,
        format=fmt,
        format_label=FORMAT_LABELS[fmt],
        parts=[],
        used=set(),
        unknown=[],
        issues=issues,
        instrument=instrument,
    )
    if mapping is None:
        plan.needs_mapping = True
        plan.proposed_mapping = propose_mapping([h for _, h in questions])
        plan.issues.append(
            Issue(
                file,
                1,
                _label(headers, questions[0][0]) if questions else "A",
                "",
                "las respuestas de un formulario necesitan una correspondencia pregunta → "
                "dimensión. Entréguela con --mapeo ARCHIVO.csv (columnas pregunta,dimension,"
                "invertida) o confírmela en la página «Cargar datos».",
            )
        )
        return plan
    plan.proposed_mapping = list(mapping)
    by_question = {normalize_label(m.question): m for m in mapping}
    common: dict[str, Binding] = {"instrument": Const(instrument)}
    labels: dict[str, str] = {"instrument": "instrumento"}
    if wave is not None:
        common["wave"], labels["wave"] = Const(wave), "ola (--ola)"
    else:
        common["wave"], labels["wave"] = Const(None), "ola (--ola)"
    for name in ("marca_temporal", "timestamp", "hora_de_finalizacion", "completion_time"):
        if name in idx:
            common["response_date"] = Col(idx[name])
            labels["response_date"] = _label(headers, idx[name])
            break
    respondent: Binding = RowId("fila-")
    respondent_label = "fila"
    for name in ("direccion_de_correo_electronico", "correo_electronico", "email_address", "email"):
        if name in idx and fmt == "google_forms":
            respondent, respondent_label = Col(idx[name]), _label(headers, idx[name])
            break
    if fmt == "microsoft_forms" and "id" in idx:
        respondent, respondent_label = Col(idx["id"]), _label(headers, idx["id"])
    common["respondent_id"], labels["respondent_id"] = respondent, respondent_label
    common["respondent_kind"] = Const(respondent_kind)
    labels["respondent_kind"] = "tipo de respondente (--respondentes)"
    common["rbd"] = Const(str(rbd) if rbd is not None else None)
    labels["rbd"] = "rbd (--rbd)"
    common["community_id"], labels["community_id"] = Const(None), "comunidad"
    items: list[tuple[int, str, MappingRow]] = []
    unmapped: list[str] = []
    for i, h in questions:
        m = by_question.get(normalize_label(h))
        if m is None:
            unmapped.append(h)
            continue
        if m.dimension == OPEN_ANSWER:
            plan.open_answers.append((i, h))
            continue
        role = ROLES.get(m.dimension)
        if role == "":
            continue
        if role is not None:
            common[role], labels[role] = Col(i), _label(headers, i)
            continue
        items.append((i, h, m))
    if unmapped:
        plan.notes.append(
            "Preguntas sin dimensión en la correspondencia (se ignoran): "
            + "; ".join(unmapped[:10])
            + (" …" if len(unmapped) > 10 else "")
        )
    if not items:
        plan.issues.append(
            Issue(
                file,
                1,
                "A",
                "",
                "ninguna pregunta del archivo aparece en la correspondencia con una dimensión. "
                "Revise que la columna «pregunta» del mapeo tenga el texto exacto de los "
                "encabezados.",
            )
        )
    for i, h, m in items:
        bindings = dict(common)
        part_labels = dict(labels)
        bindings.update(
            item=Const(h),
            dimension=Const(m.dimension),
            reverse_coded=Const("sí" if m.reverse else "no"),
            answer=Col(i),
        )
        part_labels.update(
            item=_label(headers, i),
            dimension="dimension",
            reverse_coded="invertida",
            answer=_label(headers, i),
        )
        plan.parts.append(Part(bindings, part_labels))
    plan.skip_blank = "answer"  # an unanswered (optional) question is not an error
    plan.used = {b.index for p in plan.parts for b in p.bindings.values() if isinstance(b, Col)}
    plan.used |= {i for i, _ in plan.open_answers}
    plan.unknown = [h for i, h in enumerate(headers) if i not in plan.used]
    plan.notes.append(f"Instrumento «{instrument}»: {len(items)} preguntas con dimensión.")
    if plan.open_answers:
        plan.notes.append(
            f"{len(plan.open_answers)} pregunta(s) abierta(s): sus respuestas se guardan como "
            "texto, sin quién las escribió."
        )
    return plan


def read_mapping(path: str | Path) -> list[MappingRow]:
    """Read a ``pregunta,dimension[,invertida]`` CSV (any encoding/separator the readers take)."""
    import csv

    name = Path(path).name
    rows: list[MappingRow] = []
    with open_table(path) as table:
        keys = [normalize_header(h) for h in table.headers]
        if "pregunta" not in keys or "dimension" not in keys:
            raise UploadError(
                f"{name}, fila 1, columna A: el mapeo debe tener las columnas «pregunta» y "
                "«dimension» (y opcionalmente «invertida»)."
            )
        qi, di = keys.index("pregunta"), keys.index("dimension")
        ri = keys.index("invertida") if "invertida" in keys else None
        with table.path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter=table.delimiter)
            next(reader, None)
            for n, row in enumerate(reader, start=2):
                if table.row_column:
                    n, row = int(row[0]), row[1:]
                if not any(c.strip() for c in row):
                    continue
                if len(row) <= max(qi, di) or not row[qi].strip() or not row[di].strip():
                    raise UploadError(
                        f"{name}, fila {n}, columna {column_letter(di)}: falta la pregunta o la "
                        "dimensión."
                    )
                reverse = (
                    ri is not None
                    and len(row) > ri
                    and normalize_label(row[ri])
                    in {
                        "si",
                        "s",
                        "1",
                        "x",
                        "true",
                        "verdadero",
                    }
                )
                dim = normalize_header(row[di])
                if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", dim):
                    raise UploadError(
                        f"{name}, fila {n}, columna {column_letter(di)}: la dimensión "
                        f"«{row[di]}» no es válida (use letras minúsculas sin tildes, p. ej. "
                        "colaboracion)."
                    )
                rows.append(MappingRow(question=row[qi].strip(), dimension=dim, reverse=reverse))
    return rows
