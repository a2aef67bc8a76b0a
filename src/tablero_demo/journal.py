"""What the demo's teams wrote in the app: session topics and agreements, the qualitative log
and the follow-up plan — so that *Registros*, *Revisión cualitativa* and *Seguimiento* show
something on the demo.

Deterministic without a random stream of its own: every choice is an index taken from a
SHA-256 of the row's ids, so adding these texts changes no other row of the demo (nor its
indicators: no indicator reads a text). The tone follows each school's profile (improving,
stalled, steady, tiny) in :mod:`tablero_demo.demo`; dates stay on or before the demo's
reference date unless a review is still planned. This module imports neither duckdb nor
streamlit.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pandas as pd

SESSION_TOPICS: tuple[str, ...] = (
    "Análisis de resultados de la evaluación diagnóstica",
    "Planificación conjunta de una unidad",
    "Retroalimentación de una clase observada",
    "Estudio de un caso de aula",
    "Estrategias de lectura en voz alta",
    "Preguntas de nivel inferencial",
    "Evaluación formativa: tickets de salida",
    "Trabajo con estudiantes que requieren apoyo",
    "Revisión de evidencias de aprendizaje",
    "Modelamiento de una estrategia por una colega",
    "Ajuste de la planificación al calendario",
    "Balance del semestre de la comunidad",
)
"""Topics of the demo's sessions (the session register's «Tema»)."""

SESSION_AGREEMENTS: tuple[str, ...] = (
    "Aplicar la estrategia en un curso y traer evidencias a la próxima sesión.",
    "Observar una clase entre pares antes de fin de mes.",
    "Compartir las planificaciones en la carpeta común.",
    "Registrar los tickets de salida de dos semanas.",
    "Invitar a la jefa de UTP a la próxima sesión.",
    "Preparar un caso de aula para analizar en conjunto.",
    "Revisar los resultados por curso y proponer apoyos.",
    "Ajustar la rúbrica de observación con lo conversado.",
)
"""Agreements reached in the demo's sessions."""

STRATEGY_LINES: tuple[str, ...] = (
    "Lectura compartida con preguntas antes, durante y después",
    "Ticket de salida de tres preguntas",
    "Trabajo en parejas con roles rotativos",
    "Organizador gráfico para resumir un texto",
    "Modelamiento en voz alta de la resolución de un problema",
    "Rúbrica de autoevaluación para los estudiantes",
    "Palitos preguntones para la participación de todos",
    "Retroalimentación escrita con una fortaleza y un desafío",
    "Rincón de lectura con textos por nivel",
    "Resolución de problemas con material concreto",
    "Bitácora de aprendizaje al cierre de la clase",
    "Pausa activa y pregunta de metacognición",
)
"""One line each of the strategies shared (the session register's strategy lines)."""


def _pick(n: int, *parts: object) -> int:
    """A stable index below ``n`` from the ids ``parts`` (the same on every run)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


def session_texts(sessions: pd.DataFrame) -> pd.DataFrame:
    """``sessions`` (session_attendance rows) with a topic and agreements per session (the
    topics follow the school year: a diagnosis in March, a balance in December), and a line
    for each strategy shared in the row of the teacher who shared it (a session's lines run on
    from one teacher to the next, so that they do not repeat while there are lines left)."""
    out = sessions.copy()
    topics, agreements, notes = [], [], []
    running: dict[tuple[str, object], int] = {}
    last = len(SESSION_TOPICS) - 1
    for c, d, n in zip(
        out["community_id"], out["session_date"], out["strategies_shared"], strict=True
    ):
        month = pd.Timestamp(d).month
        around = round((month - 3) / 9 * last) + _pick(3, c, d, "tema") - 1
        topics.append(SESSION_TOPICS[min(last, max(0, around))])
        agreements.append(SESSION_AGREEMENTS[_pick(len(SESSION_AGREEMENTS), c, d, "acuerdo")])
        start = running.get((c, d), _pick(len(STRATEGY_LINES), c, d))
        lines = [STRATEGY_LINES[(start + i) % len(STRATEGY_LINES)] for i in range(int(n))]
        running[(c, d)] = start + int(n)
        notes.append("|".join(lines) or None)
    out["topic"], out["agreements"], out["strategy_notes"] = topics, agreements, notes
    return out


# (month, day, dimension, about the school's first community?, text) per profile and year.
_NOTES: dict[str, tuple[tuple[int, int, str, bool, str], ...]] = {
    "improving": (
        (
            3,
            28,
            "planificación",
            False,
            "El equipo directivo fijó una hora semanal protegida "
            "para las comunidades; el horario quedó en la planificación anual.",
        ),
        (
            5,
            16,
            "recursos utilizados",
            True,
            "La comunidad usa la sala de recursos y las "
            "pautas de observación del CPEIP; faltan textos por nivel para 3° básico.",
        ),
        (
            7,
            4,
            "formación recibida",
            True,
            "Taller de retroalimentación entre pares dictado "
            "por la UTP; las docentes lo valoran y piden una segunda parte.",
        ),
        (
            9,
            12,
            "entrevistas",
            False,
            "Entrevista a tres docentes principiantes: dicen que la "
            "observación entre pares les dio confianza para probar estrategias nuevas.",
        ),
        (
            10,
            24,
            "adaptación",
            True,
            "Se adaptó el calendario de observaciones a las "
            "evaluaciones de fin de semestre, sin perder sesiones.",
        ),
    ),
    "stalled": (
        (
            4,
            9,
            "planificación",
            False,
            "Las comunidades no tienen una hora fija: se reúnen "
            "cuando el horario lo permite y varias sesiones se suspenden.",
        ),
        (
            6,
            20,
            "recursos utilizados",
            True,
            "No hay reemplazos para observar clases: las observaciones de aula se postergan.",
        ),
        (
            8,
            30,
            "formación recibida",
            False,
            "El taller de retroalimentación se canceló dos veces; las docentes piden retomarlo.",
        ),
        (
            10,
            8,
            "entrevistas",
            True,
            "En las entrevistas, los docentes dicen que las sesiones "
            "se sienten como una reunión administrativa más.",
        ),
        (
            11,
            5,
            "adaptación",
            False,
            "Con la rotación de docentes, la comunidad debió volver a "
            "empezar con integrantes nuevos.",
        ),
    ),
    "steady": (
        (
            4,
            18,
            "planificación",
            False,
            "El plan de las comunidades quedó en el PME; se "
            "revisará cada semestre con el consejo de profesores.",
        ),
        (
            6,
            6,
            "recursos utilizados",
            True,
            "Se compraron textos de lectura complementaria para el trabajo de la comunidad.",
        ),
        (
            8,
            22,
            "formación recibida",
            False,
            "Dos docentes participaron en un curso del CPEIP "
            "y compartieron lo aprendido en sesión.",
        ),
        (
            10,
            17,
            "entrevistas",
            True,
            "Entrevista a la coordinadora: la comunidad avanza, "
            "pero cuesta registrar las estrategias compartidas.",
        ),
    ),
    "tiny": (
        (
            5,
            3,
            "adaptación",
            True,
            "Escuela multigrado: la comunidad se reúne una vez al mes, "
            "después del consejo de profesores.",
        ),
        (
            9,
            26,
            "entrevistas",
            False,
            "Las dos docentes cuentan que observarse mutuamente es "
            "posible gracias a la hora de inglés con el profesor itinerante.",
        ),
    ),
}

_NOTE_AUTHORS = ("Jefatura de UTP", "Dirección", "Coordinación de la comunidad")


def qualitative_notes(
    schools: list[tuple[int, str, str]],
    first_community: dict[int, str],
    years: tuple[int, ...],
    last: date,
) -> pd.DataFrame:
    """The qualitative log of each school ``(rbd, profile, head of UTP)``: its profile's
    entries for each of ``years``, up to ``last``."""
    rows = []
    for rbd, profile, utp in schools:
        for year in years:
            for n, (month, day, dimension, about_community, text) in enumerate(_NOTES[profile]):
                when = date(year, month, day)
                if when > last:
                    continue
                author = _NOTE_AUTHORS[_pick(len(_NOTE_AUTHORS), rbd, year, n)]
                rows.append(
                    {
                        "id": f"nota-demo-{rbd}-{year}-{n + 1}",
                        "rbd": rbd,
                        "community_id": first_community[rbd] if about_community else None,
                        "note_date": when,
                        "dimension": dimension,
                        "body": text,
                        "author": f"{utp}, UTP" if author == "Jefatura de UTP" else author,
                    }
                )
    return pd.DataFrame(rows)


_REVIEWED = (
    "Cumplimiento del cronograma y asistencia a las sesiones del semestre.",
    "Resultados de la encuesta de percepción y observaciones de aula.",
)
_DECISIONS = {
    "improving": (
        "Mantener la hora protegida y sumar una observación de aula por docente.",
        "Extender a 1° medio la estrategia de lectura compartida.",
    ),
    "stalled": (
        "Fijar una hora semanal para la comunidad y conseguir reemplazos para observar.",
        "Retomar el taller de retroalimentación con apoyo del SLEP.",
    ),
    "steady": (
        "Registrar en cada sesión las estrategias compartidas.",
        "Compartir los avances de la comunidad en el consejo de profesores.",
    ),
    "tiny": (
        "Coordinar con la escuela vecina una observación de aula al semestre.",
        "Mantener la sesión mensual después del consejo.",
    ),
}


def followup_reviews(
    schools: list[tuple[int, str, str]], years: tuple[int, ...], last: date
) -> pd.DataFrame:
    """Each school's follow-up plan: a review every July and December of ``years``. Those up
    to ``last`` were held (a stalled school reprogrammed one and cancelled another); their
    decisions are done, under way or pending by how long ago they were taken; later ones are
    still planned."""
    rows = []
    for rbd, profile, utp in schools:
        for year in years:
            for half, (month, day) in enumerate(((7, 15), (12, 10))):
                planned = date(year, month, day)
                rid = f"revision-demo-{rbd}-{year}-{half + 1}"
                row: dict[str, object] = {
                    "id": rid,
                    "rbd": rbd,
                    "community_id": None,
                    "planned_date": planned,
                    "held_date": None,
                    "status": "planificada",
                    "reviewed": "",
                    "decisions": "",
                    "responsible": None,
                    "due_date": None,
                    "decision_status": "sin decisiones",
                }
                if planned <= last:
                    missed = profile == "stalled" and (year, half) in ((2024, 1), (2025, 1))
                    if missed:
                        row["status"] = "cancelada" if year == 2025 else "reprogramada"
                    else:
                        held = planned + timedelta(days=_pick(6, rid, "día"))
                        due = held + timedelta(days=75)
                        age = (last - held).days
                        row.update(
                            held_date=held,
                            status="realizada",
                            reviewed=_REVIEWED[half],
                            decisions=_DECISIONS[profile][half],
                            responsible=utp,
                            due_date=due,
                            decision_status=_decision_status(profile, age),
                        )
                rows.append(row)
    return pd.DataFrame(rows)


def _decision_status(profile: str, age_days: int) -> str:
    if age_days > 300:
        return "pendiente" if profile == "stalled" else "cumplida"
    if age_days > 120:
        return "pendiente" if profile == "stalled" else "en curso"
    return "pendiente"
