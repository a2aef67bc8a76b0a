"""The words both demo generators draw from: names, subjects, community topics, survey items.

One place for them, so that the demo SLEP (:mod:`tablero_demo.demo`) and the national store
(:mod:`tablero_demo.national`) read alike and a new name or item is one edit. Closed sets that the
product already defines (community kinds, career steps) come from the product, so generated data
always passes its checks.

These lists are part of the generators' output: the demo draws from them with its seeded
``numpy`` generator and the national store picks by a hash of each row's key modulo a list's
length, so editing a list changes every store generated afterwards (the demo's fingerprint that
``tests/unit/test_demo.py`` checks included). The national store draws survey answers from a
hash of :attr:`SurveyItem.national_text`: changing that text changes its percentages.
"""

from __future__ import annotations

from typing import NamedTuple

from metrics.ingest.datasets import COMMUNITY_KINDS as _COMMUNITY_KIND_LABELS
from metrics.ingest.datasets import TRAMOS as _TRAMO_LABELS

FIRST_NAMES: tuple[str, ...] = (
    "María José",
    "Camila",
    "Valentina",
    "Francisca",
    "Javiera",
    "Constanza",
    "Daniela",
    "Catalina",
    "Fernanda",
    "Paula",
    "Carolina",
    "Andrea",
    "Claudia",
    "Macarena",
    "Paulina",
    "Natalia",
    "Carla",
    "Gabriela",
    "Lorena",
    "Marcela",
    "Alejandra",
    "Soledad",
    "Pamela",
    "Juan Pablo",
    "Sebastián",
    "Matías",
    "Felipe",
    "Diego",
    "Nicolás",
    "Cristóbal",
    "Rodrigo",
    "Gonzalo",
    "Francisco",
    "Patricio",
    "Mauricio",
    "Claudio",
    "Andrés",
    "Pablo",
    "Ignacio",
    "Tomás",
    "Manuel",
    "Héctor",
    "Luis",
    "Jorge",
)
"""Given names of teachers and of the people responsible for activities."""

SURNAMES: tuple[str, ...] = (
    "González",
    "Muñoz",
    "Rojas",
    "Díaz",
    "Pérez",
    "Soto",
    "Contreras",
    "Silva",
    "Martínez",
    "Sepúlveda",
    "Morales",
    "Rodríguez",
    "López",
    "Fuentes",
    "Hernández",
    "Torres",
    "Araya",
    "Flores",
    "Espinoza",
    "Valenzuela",
    "Castillo",
    "Tapia",
    "Reyes",
    "Gutiérrez",
    "Castro",
    "Pizarro",
    "Álvarez",
    "Vásquez",
    "Sánchez",
    "Fernández",
    "Ramírez",
    "Carrasco",
    "Gómez",
    "Cortés",
    "Herrera",
    "Núñez",
    "Jara",
    "Vergara",
    "Rivera",
    "Figueroa",
    "Riquelme",
    "García",
    "Miranda",
    "Bravo",
    "Vera",
    "Molina",
    "Vega",
    "Campos",
    "Sandoval",
    "Orellana",
)
"""Surnames of teachers (two each) and of national schools (*Escuela González 1234*)."""

COMMUNITY_KINDS: tuple[str, ...] = tuple(dict.fromkeys(_COMMUNITY_KIND_LABELS.values()))
"""The six kinds of community of the guide, as the store writes them."""

TRAMOS: tuple[str, ...] = tuple(dict.fromkeys(_TRAMO_LABELS.values()))
"""Career steps (*tramos*) of the teacher career, lowest first."""

TOPICS: tuple[str, ...] = (
    "Mejorar la comprensión lectora",
    "Mejorar la resolución de problemas en matemática",
    "Disminuir la inasistencia crónica",
    "Fortalecer la gestión del aula",
    "Usar la evaluación formativa para retroalimentar a los estudiantes",
    "Acompañar a los docentes principiantes en su inserción",
)
"""Common challenges (*desafíos*) of a community; the demo's own communities name theirs."""

SUBJECTS_BASIC: tuple[str, ...] = (
    "Lenguaje y Comunicación",
    "Matemática",
    "Ciencias Naturales",
    "Historia, Geografía y Ciencias Sociales",
)
"""Subjects of *educación básica* (the national store uses the first three)."""

SUBJECTS_MEDIA: tuple[str, ...] = (
    "Lengua y Literatura",
    "Matemática",
    "Ciencias para la Ciudadanía",
    "Historia, Geografía y Ciencias Sociales",
    "Inglés",
)
"""Subjects of *educación media*."""

PIE_SUBJECT = "Educación diferencial (PIE)"
"""The school integration programme's support teaching, assigned like a subject."""

TEACHER_INSTRUMENT = "Encuesta docente de trabajo colaborativo"
STUDENT_INSTRUMENT = "Encuesta de estudiantes sobre sus clases"

DAYS_WORKED: dict[int, int] = {
    3: 20,
    4: 21,
    5: 20,
    6: 19,
    7: 16,
    8: 22,
    9: 17,
    10: 21,
    11: 20,
    12: 16,
}
"""School days worked per month (March–December) in a normal year."""


class SurveyItem(NamedTuple):
    """One survey item: its dimension, its text and whether it is reverse-coded."""

    dimension: str
    text: str
    reverse_coded: bool = False
    short: str | None = None
    """A shorter wording the national store uses instead of ``text``; None: the same text."""

    @property
    def national_text(self) -> str:
        """The wording in the national store."""
        return self.text if self.short is None else self.short


TEACHER_ITEMS: tuple[SurveyItem, ...] = (
    SurveyItem(
        "colaboracion",
        "En mi comunidad compartimos estrategias que funcionan en el aula.",
        short="En mi comunidad compartimos estrategias que funcionan.",
    ),
    SurveyItem("colaboracion", "Planifico clases en conjunto con otros docentes."),
    SurveyItem("colaboracion", "Recibo retroalimentación útil de mis colegas."),
    SurveyItem(
        "colaboracion",
        "Trabajo aislado de mis colegas la mayor parte del tiempo.",
        reverse_coded=True,
    ),
    SurveyItem("apoyo", "El equipo directivo facilita tiempos para el trabajo colaborativo."),
    SurveyItem(
        "apoyo",
        "Cuento con apoyo para implementar en el aula lo aprendido en la comunidad.",
        short="Cuento con apoyo para implementar lo aprendido.",
    ),
    SurveyItem(
        "apoyo",
        "El equipo directivo da seguimiento a los acuerdos de la comunidad.",
        short="El equipo directivo da seguimiento a los acuerdos.",
    ),
    SurveyItem(
        "satisfaccion",
        "Estoy satisfecho/a con las instancias de desarrollo profesional de este año.",
        short="Estoy satisfecho/a con el desarrollo profesional de este año.",
    ),
    SurveyItem("satisfaccion", "Las reuniones de la comunidad son un buen uso de mi tiempo."),
    SurveyItem("satisfaccion", "Recomendaría a un colega participar en la comunidad."),
    SurveyItem(
        "aprendizaje",
        "Lo trabajado en la comunidad ha mejorado el aprendizaje de mis estudiantes.",
        short="Lo trabajado ha mejorado el aprendizaje de mis estudiantes.",
    ),
    SurveyItem("aprendizaje", "He incorporado nuevas estrategias en mis clases."),
    SurveyItem(
        "aprendizaje",
        "Mis estudiantes participan más en clases que el año pasado.",
        short="Mis estudiantes participan más que el año pasado.",
    ),
)
"""The teachers' survey on collaborative work, by dimension (one item reverse-coded)."""

STUDENT_ITEMS: tuple[SurveyItem, ...] = (
    SurveyItem("colaboracion", "Mis profesores trabajan en equipo."),
    SurveyItem(
        "colaboracion",
        "En clases trabajamos en grupo con mis compañeros.",
        short="En clases trabajamos en grupo.",
    ),
    SurveyItem(
        "colaboracion",
        "Mis profesores usan estrategias parecidas en distintas asignaturas.",
        short="Mis profesores usan estrategias parecidas.",
    ),
    SurveyItem("apoyo", "Mis profesores me ayudan cuando no entiendo."),
    SurveyItem("apoyo", "Recibo comentarios sobre cómo mejorar mis trabajos."),
    SurveyItem("apoyo", "Siento que en el colegio me apoyan para aprender."),
    SurveyItem("satisfaccion", "Me gustan las clases de este año."),
    SurveyItem("satisfaccion", "Me aburro en la mayoría de las clases.", reverse_coded=True),
    SurveyItem("satisfaccion", "Estoy contento/a con mi colegio."),
    SurveyItem("aprendizaje", "Este año he aprendido más que el año pasado."),
    SurveyItem("aprendizaje", "Entiendo mejor lo que leo."),
    SurveyItem("aprendizaje", "Sé qué hacer para mejorar mis notas."),
)
"""The students' survey on their classes, by dimension (one item reverse-coded)."""
