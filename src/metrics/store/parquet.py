"""The store's data tables as Parquet files, partitioned Hive-style by year and region.

``tablero exportar-datos --formato parquet`` writes one folder per table under the destination,
``<tabla>/anio=2024/region=13/data_0.parquet``, that DuckDB
(``read_parquet('…/student_result/**/*.parquet', hive_partitioning = true)``), Spark
(``spark.read.parquet``) and Trino (a Hive table with ``partitioned_by``) read as they are, and
``manifiesto.json`` beside them: the schema version, when it was exported, and every table's
Spanish description, partition keys, columns, rows, files and bytes.

What goes out and what does not (:data:`PLAN`, :data:`LEFT_OUT`):

- The data tables (:data:`metrics.store.schema.DATA_TABLES`) and the engine's facts
  (``indicator_fact``). Students are already pseudonyms in the store (``student_id``: the
  keyed hash of the MRUN/RUN, ``p`` and 20 hex characters); so are RUT-like or e-mail ids of
  teachers and respondents. The teacher's name (``teacher.name``) is left out.
- Never: accounts and their password hashes, access scopes, the audit log, settings, the saved
  survey mappings, council notes, the records written in the app and the open answers of
  surveys (free text: :mod:`metrics.store.records`), import bookkeeping and undo history, the
  facts' own bookkeeping. The pseudonym key lives outside the database and is never read here.

Partition keys: ``anio`` is the table's school year (the same year the store reads for it);
``region`` is the Mineduc region code (1–16) of the row's school, taken from the school
directory (``school.region_code``) through the row's RBD or its community's. A row without a
year or whose school has no region goes to ``__HIVE_DEFAULT_PARTITION__`` (the Hive and Spark
name for a null key). Tables without a school (territories, teachers, targets) are written
unpartitioned, one file; the school directory and the tables that only tie schools together are
partitioned by region alone. Partition columns are not repeated inside the files (readers take
them from the folder names); the school directory's own ``region`` (the region's name) is
written as ``nombre_region``, so that it does not clash with the key.

An empty table is one file with no rows and every column (the partition keys included), so that
readers still see its schema.

Consistency and atomicity: the caller holds the store's shared turn (a Store opened
``read_only``), so no process writes meanwhile, and every table is read in one transaction. The
store's DuckDB may write files only in the importer's staging area (external access is off
elsewhere, :func:`metrics.store.core.harden`), so the files are written in a work folder there
(:func:`metrics.ingest.readers.work_folder`: removed however the process ends), moved beside the
destination under a hidden name (copied when the staging area is on another file system) and
renamed into place only when complete; on failure nothing is left at the destination. What a
process killed mid-move leaves beside the destination, the next export sweeps
(:func:`sweep_leftovers`). Like the
store, the export is readable by its owner only (mode 0700 folders, 0600 files).
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics.errors import StoreError, TableroError
from metrics.ingest.readers import work_folder
from metrics.scope import Scope
from metrics.store.core import DATASET_LABELS, Store, scope_clause

MANIFEST = "manifiesto.json"
FORMAT_NAME = "tablero-dpd-parquet"
FORMAT_VERSION = 1
YEAR_KEY = "anio"
REGION_KEY = "region"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
FLUSH_ROWS = 100_000
"""Rows a partition of a partitioned COPY holds in memory before writing them (DuckDB's
``partitioned_write_flush_threshold``, 524.288 by default). Measured on the national store's
``student_attendance`` (35 million rows, 16 partitions): 2,3 GB of peak memory and 61 s by
default, 0,7 GB and 45 s with 100.000 (one run each)."""
_FLUSH_SETTING = "partitioned_write_flush_threshold"


@dataclass(frozen=True)
class TablePlan:
    """How one table is exported: its partition keys and where they come from.

    ``year`` is a SQL expression over the table's alias ``t`` (None: no year key); ``region``
    says how the row reaches its school: ``"school"`` (the table is the directory), ``"rbd"``
    (a column of its own), ``"community"`` (through ``community_id``), None (no region key).
    """

    table: str
    description: str
    year: str | None = None
    year_doc: str = ""
    region: str | None = None
    drop: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(
            k for k, on in ((YEAR_KEY, self.year), (REGION_KEY, self.region)) if on is not None
        )


_REGION_DOC = {
    "school": "región del establecimiento (school.region_code)",
    "rbd": "región de su establecimiento (rbd → school.region_code)",
    "community": "región del establecimiento de su comunidad (community_id → community.rbd → "
    "school.region_code)",
}

PLAN: tuple[TablePlan, ...] = (
    TablePlan("territory", DATASET_LABELS["territory"]),
    TablePlan(
        "school", DATASET_LABELS["school"], region="school", rename={"region": "nombre_region"}
    ),
    TablePlan("school_territory", DATASET_LABELS["school_territory"], region="rbd"),
    TablePlan("community", DATASET_LABELS["community"], region="rbd"),
    TablePlan("teacher", DATASET_LABELS["teacher"], drop=("name",)),
    TablePlan("teacher_year", DATASET_LABELS["teacher_year"], "t.year", "year", region="rbd"),
    TablePlan(
        "community_member",
        DATASET_LABELS["community_member"],
        "t.year",
        "year",
        region="community",
    ),
    TablePlan(
        "activity",
        DATASET_LABELS["activity"],
        "year(t.planned_date)",
        "año de planned_date",
        region="community",
    ),
    TablePlan(
        "session_attendance",
        DATASET_LABELS["session_attendance"],
        "year(t.session_date)",
        "año de session_date",
        region="community",
    ),
    TablePlan(
        "survey_response",
        DATASET_LABELS["survey_response"],
        "year(t.response_date)",
        "año de response_date (sin fecha: __HIVE_DEFAULT_PARTITION__)",
        region="rbd",
    ),
    TablePlan(
        "teacher_evaluation",
        DATASET_LABELS["teacher_evaluation"],
        "year(t.eval_date)",
        "año de eval_date",
        region="rbd",
    ),
    TablePlan("student_result", DATASET_LABELS["student_result"], "t.year", "year", region="rbd"),
    TablePlan(
        "student_attendance",
        DATASET_LABELS["student_attendance"],
        "t.year",
        "year",
        region="rbd",
    ),
    TablePlan(
        "standardized_test", DATASET_LABELS["standardized_test"], "t.year", "year", region="rbd"
    ),
    TablePlan("dia_result", DATASET_LABELS["dia_result"], "t.year", "year", region="rbd"),
    TablePlan(
        "teaching_assignment",
        DATASET_LABELS["teaching_assignment"],
        "t.year",
        "year",
        region="rbd",
    ),
    TablePlan("target", DATASET_LABELS["target"]),
    TablePlan(
        "indicator_fact",
        "Hechos de los indicadores (estadísticos suficientes por comunidad o establecimiento, "
        "año y mes, sin supresión de grupos pequeños)",
        "t.year",
        "year (filas de la ola de línea base de una encuesta: __HIVE_DEFAULT_PARTITION__)",
        region="rbd",
    ),
)
"""Every exported table, in the store's reference order."""

TABLES: tuple[str, ...] = tuple(p.table for p in PLAN)

LEFT_OUT: dict[str, str] = {
    "app_user": "cuentas del tablero y sus contraseñas (hash)",
    "user_scope": "qué establecimientos y territorios ve cada cuenta",
    "audit_log": "registro de auditoría (quién hizo qué; queda en el servidor)",
    "setting": "ajustes de la instalación (esquema de seudónimos, tamaño mínimo de grupo)",
    "survey_mapping": "equivalencias guardadas de preguntas de formularios",
    "council_note": "conclusiones escritas para el consejo (texto libre)",
    "qualitative_note, qualitative_synthesis, followup_review": (
        "bitácora cualitativa, síntesis y plan de seguimiento (texto libre que puede nombrar "
        "personas)"
    ),
    "survey_open_answer": "respuestas abiertas de encuestas (texto libre de los encuestados)",
    "import_batch": "historial de cargas (archivos, autores)",
    "replaced_*": "filas reemplazadas por cargas posteriores (para deshacer)",
    "indicator_fact_school, indicator_fact_state": "control interno de los hechos",
    "schema_version": "versión del esquema (va en el manifiesto)",
    "clave de seudonimización": "nunca está en la base; no se lee ni se exporta",
}
"""What an export never holds, and why (in the manifest, in Spanish)."""


@dataclass(frozen=True)
class TableExport:
    """What was written for one table."""

    table: str
    rows: int
    files: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_parquet` wrote."""

    folder: Path
    tables: list[TableExport]
    seconds: float
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def files(self) -> int:
        return sum(t.files for t in self.tables)

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.tables)


class ExportDestinationError(TableroError):
    """The destination cannot take the export."""

    title = "Destino no válido"


def check_destination(target: Path, *, replace: bool) -> None:
    """Refuse, in Spanish, a destination the export must not write over.

    A missing folder or an empty one is fine. A folder with files is refused unless ``replace``
    and it holds a previous export (its manifest): ``--reemplazar`` never deletes anything else.
    """
    if target.exists() and not target.is_dir():
        raise ExportDestinationError(
            f"{target} es un archivo; indique una carpeta para la exportación."
        )
    if not target.is_dir() or not any(target.iterdir()):
        return
    if not replace:
        raise ExportDestinationError(
            f"La carpeta {target} ya existe y no está vacía. Elija otra carpeta, o use "
            "--reemplazar para reemplazar una exportación anterior; no se escribió nada."
        )
    if not _is_previous_export(target):
        raise ExportDestinationError(
            f"La carpeta {target} no contiene una exportación anterior de Tablero DPD (falta "
            f"{MANIFEST}): --reemplazar solo reemplaza exportaciones. Elija una carpeta vacía "
            "o nueva; no se borró nada."
        )


def _is_previous_export(folder: Path) -> bool:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("formato") == FORMAT_NAME


def _select(plan: TablePlan, columns: list[str], scope: Scope) -> tuple[str, list[Any]]:
    """The SELECT of one table's rows in ``scope``, with its partition keys."""
    kept = []
    for col in columns:
        if col in plan.drop:
            continue
        new = plan.rename.get(col)
        kept.append(f't."{col}" AS "{new}"' if new else f't."{col}"')
    joins = ""
    region = None
    if plan.region == "school":
        region = "t.region_code"
    elif plan.region == "rbd":
        joins = " LEFT JOIN school s ON s.rbd = t.rbd"
        region = "s.region_code"
    elif plan.region == "community":
        joins = (
            " LEFT JOIN community c ON c.id = t.community_id LEFT JOIN school s ON s.rbd = c.rbd"
        )
        region = "s.region_code"
    if plan.year is not None:
        kept.append(f"CAST({plan.year} AS INTEGER) AS {YEAR_KEY}")
    if region is not None:
        kept.append(f"CAST({region} AS INTEGER) AS {REGION_KEY}")
    if plan.table == "indicator_fact":
        cond, params = (
            ("TRUE", [])
            if scope.is_all
            else ("t.rbd IN (SELECT UNNEST(?::INTEGER[]))", [sorted(scope.rbds or ())])
        )
    else:
        cond, params = scope_clause(scope, plan.table)
    return f"SELECT {', '.join(kept)} FROM {plan.table} t{joins} WHERE {cond}", params


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_table(
    cur: duckdb.DuckDBPyConnection, plan: TablePlan, scope: Scope, folder: Path
) -> tuple[int, list[dict[str, str]]]:
    """Write one table under ``folder`` and return its rows and its exported columns."""
    columns = _columns(cur, plan.table)
    if not columns:
        raise StoreError(f"La base no tiene la tabla {plan.table}.")
    select, params = _select(plan, [c for c, _ in columns], scope)
    target = folder / plan.table
    one_file = f"COPY ({select}) TO '{_sql_path(target / 'data_0.parquet')}' (FORMAT parquet)"
    if plan.keys:
        keys = ", ".join(plan.keys)
        written = cur.execute(
            f"COPY ({select}) TO '{_sql_path(target)}' (FORMAT parquet, PARTITION_BY ({keys}))",
            params,
        ).fetchone()
        rows = int(written[0]) if written else 0
        if rows == 0:  # no partition, no file: one empty file with every column, keys included
            target.mkdir(exist_ok=True)
            cur.execute(one_file, params)
    else:
        target.mkdir()
        written = cur.execute(one_file, params).fetchone()
        rows = int(written[0]) if written else 0
    described = cur.execute(f"DESCRIBE {select}", params).fetchall()
    exported = [
        {"nombre": str(r[0]), "tipo": str(r[1])} for r in described if str(r[0]) not in plan.keys
    ]
    return rows, exported


def _folder_stats(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*.parquet") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def export_parquet(
    store: Store,
    target: Path,
    scope: Scope,
    *,
    tables: Sequence[str] | None = None,
    replace: bool = False,
    on_table: Callable[[TableExport], None] | None = None,
) -> ExportResult:
    """Export the store's data tables in ``scope`` to the folder ``target``, as Parquet.

    Hold the store's turn while calling (a Store opened ``read_only`` holds the shared one):
    then nothing changes the file meanwhile. ``tables`` chooses some of :data:`TABLES` (None:
    all). The export appears at ``target`` whole or not at all.

    Example:
        >>> import tempfile
        >>> from metrics.store import open_store
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     export_parquet(open_store(":memory:"), Path(folder) / "datos", Scope.all()).files
        18
    """
    chosen = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [t for t in chosen if t not in TABLES]
    if unknown:
        raise TableroError(
            f"Tabla desconocida: {', '.join(unknown)}. Las tablas que se exportan son: "
            f"{', '.join(TABLES)}.",
            "Tabla desconocida",
        )
    target = Path(os.path.abspath(target))
    sweep_leftovers(target)
    check_destination(target, replace=replace)
    started = time.perf_counter()
    # The store's DuckDB writes files only inside the importer's staging area (see
    # metrics.store.core.harden): the export is written in a work folder there, then moved.
    with work_folder() as staging:
        work = staging / "exportacion"
        work.mkdir()
        done: list[TableExport] = []
        described: dict[str, list[dict[str, str]]] = {}
        cur = store.cursor()
        try:
            cur.begin()  # one snapshot for every table
            flush = cur.execute(f"SELECT current_setting('{_FLUSH_SETTING}')").fetchone()
            cur.execute(f"SET {_FLUSH_SETTING} = {FLUSH_ROWS}")
            try:
                version = _schema_version(cur)
                for plan in (p for p in PLAN if p.table in chosen):
                    t0 = time.perf_counter()
                    rows, described[plan.table] = _write_table(cur, plan, scope, work)
                    files, size = _folder_stats(work / plan.table)
                    item = TableExport(plan.table, rows, files, size, time.perf_counter() - t0)
                    done.append(item)
                    if on_table is not None:
                        on_table(item)
            finally:
                cur.rollback()  # it only read
                if flush is not None:
                    cur.execute(f"SET {_FLUSH_SETTING} = {int(flush[0])}")
        except duckdb.Error as exc:
            raise StoreError(f"No se pudo exportar la base de datos: {exc}") from exc
        except OSError as exc:
            raise ExportDestinationError(
                f"No se pudo escribir la exportación: {exc.strerror or exc}."
            ) from exc
        finally:
            cur.close()
        manifest = _manifest(store, version, scope, done, described)
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _move_into_place(work, target, replace=replace)
    return ExportResult(target, done, time.perf_counter() - started, manifest)


def _schema_version(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _manifest(
    store: Store,
    version: int,
    scope: Scope,
    done: list[TableExport],
    described: dict[str, list[dict[str, str]]],
) -> dict[str, Any]:
    plans = {p.table: p for p in PLAN}
    tables: dict[str, Any] = {}
    for item in done:
        plan = plans[item.table]
        keys: dict[str, str] = {}
        if plan.year is not None:
            keys[YEAR_KEY] = f"año escolar de la fila: {plan.year_doc}"
        if plan.region is not None:
            keys[REGION_KEY] = _REGION_DOC[plan.region]
        tables[item.table] = {
            "descripcion": plan.description,
            "particiones": list(plan.keys),
            "claves": keys,
            "filas": item.rows,
            "archivos": item.files,
            "bytes": item.bytes,
            "columnas": described[item.table],
            **({"columnas_omitidas": list(plan.drop)} if plan.drop else {}),
            **({"columnas_renombradas": dict(plan.rename)} if plan.rename else {}),
        }
    return {
        "formato": FORMAT_NAME,
        "version_formato": FORMAT_VERSION,
        "descripcion": (
            "Tablas de datos de Tablero DPD en Parquet, particionadas al estilo Hive "
            "(carpetas anio=AAAA/region=N). Léalas con DuckDB: read_parquet('<tabla>/**/*.parquet'"
            ", hive_partitioning = true); Spark: spark.read.parquet('<tabla>'); Trino: una tabla "
            "Hive con partitioned_by. Una clave nula es __HIVE_DEFAULT_PARTITION__."
        ),
        "esquema": version,
        "exportado": datetime.now().astimezone().isoformat(timespec="seconds"),
        "origen": Path(store.path).name,
        "alcance": "completo"
        if scope.is_all
        else f"{len(scope.rbds or ())} establecimientos visibles para quien exportó",
        "seudonimos": (
            "student_id es el seudónimo de cada estudiante (hash con clave del MRUN o RUN: "
            "'p' y 20 caracteres hexadecimales); los RUT y correos que identifican a docentes "
            "(teacher_id) o encuestados (respondent_id) también se guardan como seudónimos. "
            "Sin la clave, que no sale del servidor, no se pueden revertir. El nombre del "
            "docente no se exporta."
        ),
        "tablas": tables,
        "no_exportadas": LEFT_OUT,
    }


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError, OverflowError):  # not ours to signal, or unknowable: alive
        return True
    return True


def sweep_leftovers(target: Path) -> int:
    """Remove what an export to ``target`` killed mid-move left beside it (its hidden
    ``.exportando`` copy); put back a previous export it had set aside (``.anterior``) when
    ``target`` is missing. Folders of a live process are left alone. Returns how many."""
    done = 0
    prefix = f".{target.name}."
    try:
        entries = list(target.parent.iterdir()) if target.parent.is_dir() else []
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
            continue
        middle, _, kind = name[len(prefix) :].rpartition(".")
        pid = middle.split("-", 1)[0]
        if kind not in ("exportando", "anterior") or not pid.isdigit():
            continue
        if _process_alive(int(pid)):
            continue
        if kind == "anterior" and not target.exists():
            os.rename(entry, target)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        done += 1
    return done


def _move_into_place(work: Path, target: Path, *, replace: bool) -> None:
    """Move the finished folder ``work`` to ``target`` (replacing a previous export when
    allowed): first beside ``target`` under a hidden name (a copy when the staging area is on
    another file system), then one rename, so that ``target`` is never half written."""
    check_destination(target, replace=replace)  # again: it may have changed meanwhile
    hidden = f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}"
    beside = target.parent / f"{hidden}.exportando"
    old = target.parent / f"{hidden}.anterior"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(work, beside)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.copytree(work, beside)
        if target.is_dir() and any(target.iterdir()):
            os.rename(target, old)
        elif target.is_dir():
            target.rmdir()
        try:
            os.rename(beside, target)
        except BaseException:
            if old.exists() and not target.exists():
                os.rename(old, target)  # put the previous export back
            raise
    except OSError as exc:
        raise ExportDestinationError(
            f"No se pudo dejar la exportación en {target}: {exc.strerror or exc}. Revise la "
            "ruta y los permisos; no quedó una exportación a medias."
        ) from exc
    finally:
        shutil.rmtree(beside, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
