"""The store's tables, one migration per schema version.

``MIGRATIONS[i]`` upgrades a database from version ``i`` to ``i + 1``. Never edit a migration
that has shipped: add a new one. Every data table carries ``batch_id``, the import batch
(``import_batch.id``) that brought the row.

Big tables (student results, monthly attendance) have no primary key on purpose: an ART index
over millions of rows costs memory on every import, and natural keys are enforced by the
importer, which replaces rows by (dataset, school, period).
"""

from __future__ import annotations

TARGET_BATCH_KIND = "metas"
"""The batch kind of targets set in the app or with ``tablero metas`` (not a file of a dataset)."""

_V1_DATA_TABLES: tuple[str, ...] = (
    "territory",
    "school",
    "school_territory",
    "community",
    "teacher",
    "teacher_year",
    "community_member",
    "activity",
    "session_attendance",
    "survey_response",
    "teacher_evaluation",
    "student_result",
    "student_attendance",
    "standardized_test",
    "teaching_assignment",
    "target",
)
"""The data tables of the first schema versions (their shadows are made by ``_V1``)."""

DATA_TABLES: tuple[str, ...] = (*_V1_DATA_TABLES, "dia_result")
"""Tables that hold imported data, in an order that respects their references."""

RECORD_TABLES: tuple[str, ...] = (
    "qualitative_note",
    "qualitative_synthesis",
    "followup_review",
    "survey_open_answer",
)
"""Tables of what the team writes in the app (README «Registros de la evaluación»): the
qualitative review, the follow-up plan, and the open answers of Forms exports. Like the data
tables, every row carries the batch (a load in the history) that wrote it, and a shadow
``replaced_<table>`` keeps what an edit replaced, so that undo restores it; unlike them, the
indicators are not computed from them (the facts cache ignores their loads). The demo writes a
qualitative log and a follow-up plan (in loads of kind ``demo``); the national store none."""

UNDOABLE_TABLES: tuple[str, ...] = DATA_TABLES + RECORD_TABLES
"""Every table whose rows belong to a load and come and go with it (undo)."""

RECORD_BATCH_KINDS: tuple[str, ...] = (
    "registro cualitativo",
    "síntesis cualitativa",
    "seguimiento",
)
"""``import_batch.kind`` of the loads saved from the app's record forms (not files)."""

NO_FACT_BATCH_KINDS: tuple[str, ...] = (TARGET_BATCH_KIND, *RECORD_BATCH_KINDS)
"""Loads the indicator facts do not depend on: the targets' and the records' (read per request)."""

_V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);

CREATE SEQUENCE import_batch_seq START 1;
CREATE TABLE import_batch (
    id          INTEGER PRIMARY KEY DEFAULT nextval('import_batch_seq'),
    kind        VARCHAR NOT NULL,      -- dataset kind: 'establecimientos', 'rendimiento', 'demo'...
    file_name   VARCHAR NOT NULL,
    file_hash   VARCHAR NOT NULL,      -- sha256 of the file's bytes
    row_count   BIGINT  NOT NULL DEFAULT 0,
    actor       VARCHAR NOT NULL,      -- who imported it
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    undone_at   TIMESTAMP              -- set when the batch is undone
);

-- Territories: SLEP, DEPROV or comuna. A school belongs to several (school_territory).
CREATE TABLE territory (
    id        VARCHAR PRIMARY KEY,     -- 'slep:1', 'deprov:151', 'comuna:15101'
    name      VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL CHECK (kind IN ('slep', 'deprov', 'comuna')),
    batch_id  INTEGER NOT NULL
);

CREATE TABLE school (
    rbd            INTEGER PRIMARY KEY,
    check_digit    VARCHAR,
    name           VARCHAR NOT NULL,
    comuna_code    INTEGER,
    comuna         VARCHAR,
    region_code    INTEGER,
    region         VARCHAR,
    baseline_year  INTEGER,             -- NULL: the year before its first community started
    batch_id       INTEGER NOT NULL
);

CREATE TABLE school_territory (
    rbd           INTEGER NOT NULL,
    territory_id  VARCHAR NOT NULL,
    batch_id      INTEGER NOT NULL,
    PRIMARY KEY (rbd, territory_id)
);

CREATE TABLE community (
    id          VARCHAR PRIMARY KEY,
    rbd         INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN (
        'comunidad de práctica', 'grupo de estudio de casos', 'observación entre pares',
        'comunidad profesional de aprendizaje', 'acompañamiento entre pares',
        'coaching entre pares')),
    focus       VARCHAR,                -- the common challenge (desafío)
    start_date  DATE,
    batch_id    INTEGER NOT NULL
);

-- Teachers: id chosen by the school (a RUT is pseudonymised before it gets here).
CREATE TABLE teacher (
    id        VARCHAR PRIMARY KEY,
    name      VARCHAR,                  -- shown to leadership only
    batch_id  INTEGER NOT NULL
);

-- The yearly roster: teacher retention is computed from it.
CREATE TABLE teacher_year (
    year              INTEGER NOT NULL,
    teacher_id        VARCHAR NOT NULL,
    rbd               INTEGER NOT NULL,
    years_experience  INTEGER,
    tramo             VARCHAR CHECK (tramo IN
        ('inicial', 'temprano', 'avanzado', 'experto I', 'experto II')),
    batch_id          INTEGER NOT NULL,
    PRIMARY KEY (year, teacher_id, rbd)
);

CREATE TABLE community_member (
    year          INTEGER NOT NULL,
    community_id  VARCHAR NOT NULL,
    teacher_id    VARCHAR NOT NULL,
    batch_id      INTEGER NOT NULL,
    PRIMARY KEY (year, community_id, teacher_id)
);

-- The schedule (cronograma).
CREATE TABLE activity (
    id            VARCHAR PRIMARY KEY,
    community_id  VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL CHECK (kind IN
        ('reunión', 'taller', 'observación de aula', 'retroalimentación', 'curso', 'otro')),
    responsible   VARCHAR,
    planned_date  DATE NOT NULL,
    done_date     DATE,
    status        VARCHAR NOT NULL CHECK (status IN
        ('planificada', 'realizada', 'reprogramada', 'cancelada')),
    batch_id      INTEGER NOT NULL
);

-- One row per teacher and session; strategies_shared is what that teacher shared there.
CREATE TABLE session_attendance (
    community_id       VARCHAR NOT NULL,
    session_date       DATE NOT NULL,
    teacher_id         VARCHAR NOT NULL,
    attended           BOOLEAN NOT NULL,
    strategies_shared  INTEGER NOT NULL DEFAULT 0 CHECK (strategies_shared >= 0),
    batch_id           INTEGER NOT NULL
);

CREATE TABLE survey_response (
    instrument       VARCHAR NOT NULL,
    wave             VARCHAR NOT NULL,  -- 'línea base', 'intermedia', 'final' or a date
    response_date    DATE,
    respondent_kind  VARCHAR NOT NULL CHECK (respondent_kind IN
        ('docente', 'estudiante', 'apoderado', 'directivo')),
    respondent_id    VARCHAR,           -- pseudonymous; groups the answers of one person
    rbd              INTEGER NOT NULL,
    community_id     VARCHAR,
    item             VARCHAR NOT NULL,
    dimension        VARCHAR NOT NULL,  -- 'colaboracion', 'apoyo', 'satisfaccion', 'aprendizaje'...
    reverse_coded    BOOLEAN NOT NULL DEFAULT false,
    answer           TINYINT CHECK (answer BETWEEN 1 AND 5), -- as answered, before reversal
    batch_id         INTEGER NOT NULL
);

CREATE TABLE teacher_evaluation (
    teacher_id  VARCHAR NOT NULL,
    rbd         INTEGER NOT NULL,
    eval_date   DATE NOT NULL,
    instrument  VARCHAR NOT NULL CHECK (instrument IN ('observación de aula', 'autoevaluación',
        'retroalimentación de pares', 'evaluación docente')),
    domain      VARCHAR NOT NULL CHECK (domain IN ('A', 'B', 'C', 'D')),  -- MBE domain
    score       TINYINT NOT NULL CHECK (score BETWEEN 1 AND 4),
    batch_id    INTEGER NOT NULL
);

-- Final results (Mineduc "Rendimiento por estudiante"). curso = rbd + cod_ense + grade + letter.
CREATE TABLE student_result (
    year             SMALLINT NOT NULL,
    rbd              INTEGER NOT NULL,
    cod_ense         SMALLINT NOT NULL,
    grade            TINYINT NOT NULL,
    letter           VARCHAR NOT NULL,
    student_id       VARCHAR NOT NULL,  -- keyed-hash pseudonym of the MRUN/RUN
    final_average    DECIMAL(2, 1),     -- 1.0-7.0; 0 for withdrawn students in Mineduc files
    final_situation  VARCHAR NOT NULL CHECK (final_situation IN ('P', 'R', 'Y', 'T')),
    attendance_pct   DECIMAL(4, 1),     -- 0-100
    batch_id         INTEGER NOT NULL
);

-- Monthly attendance (Mineduc "Asistencia declarada mensual").
CREATE TABLE student_attendance (
    year           SMALLINT NOT NULL,
    month          TINYINT NOT NULL CHECK (month BETWEEN 1 AND 12),
    rbd            INTEGER NOT NULL,
    cod_ense       SMALLINT NOT NULL,
    grade          TINYINT NOT NULL,
    letter         VARCHAR NOT NULL,
    student_id     VARCHAR NOT NULL,
    days_attended  TINYINT NOT NULL,
    days_worked    TINYINT NOT NULL,
    batch_id       INTEGER NOT NULL
);

CREATE TABLE standardized_test (
    year               SMALLINT NOT NULL,
    rbd                INTEGER NOT NULL,
    test               VARCHAR NOT NULL,  -- 'SIMCE', 'DIA', 'otra'
    grade_level        VARCHAR NOT NULL,  -- '4b', '6b', '8b', '2m'...
    subject            VARCHAR NOT NULL,  -- 'lectura', 'matemática'...
    mean_score         DOUBLE,            -- NULL when the test's own mark hides it
    students_assessed  INTEGER,
    batch_id           INTEGER NOT NULL
);

CREATE TABLE teaching_assignment (
    year        SMALLINT NOT NULL,
    teacher_id  VARCHAR NOT NULL,
    rbd         INTEGER NOT NULL,
    cod_ense    SMALLINT NOT NULL,
    grade       TINYINT NOT NULL,
    letter      VARCHAR NOT NULL,
    subject     VARCHAR,
    batch_id    INTEGER NOT NULL
);

-- Targets (metas): one per indicator, scope and deadline year.
CREATE TABLE target (
    indicator      VARCHAR NOT NULL,
    scope_kind     VARCHAR NOT NULL CHECK (scope_kind IN
        ('comunidad', 'establecimiento', 'territorio')),
    scope_id       VARCHAR NOT NULL,  -- community id, RBD or territory id
    target_value   DOUBLE NOT NULL,
    deadline_year  INTEGER NOT NULL,
    reason         VARCHAR,
    batch_id       INTEGER NOT NULL,
    PRIMARY KEY (indicator, scope_kind, scope_id, deadline_year)
);
"""

_V2 = """
-- Settings of one deployment (for example the minimum group size), editable in the app.
CREATE TABLE setting (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
"""

_V3 = (
    """
-- Import bookkeeping (README «Formatos de datos»): counts and period of each batch, who undid it.
ALTER TABLE import_batch ADD COLUMN rows_new BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batch ADD COLUMN rows_replaced BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batch ADD COLUMN rows_skipped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batch ADD COLUMN source_format VARCHAR;   -- 'mineduc_rendimiento'...
ALTER TABLE import_batch ADD COLUMN period VARCHAR;          -- '2024' or '2023–2024'
ALTER TABLE import_batch ADD COLUMN schools INTEGER;         -- distinct RBDs in the file
ALTER TABLE import_batch ADD COLUMN options VARCHAR;         -- JSON: --rbd, --ola, sheet...
ALTER TABLE import_batch ADD COLUMN undone_by VARCHAR;
CREATE INDEX import_batch_hash ON import_batch (file_hash);

-- Forms exports: the question -> dimension mapping confirmed for each instrument, reused.
CREATE TABLE survey_mapping (
    instrument     VARCHAR NOT NULL,
    question       VARCHAR NOT NULL,   -- header text as in the export
    dimension      VARCHAR NOT NULL,   -- a dimension code, or a role: establecimiento, comunidad...
    reverse_coded  BOOLEAN NOT NULL DEFAULT false,
    actor          VARCHAR,
    updated_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (instrument, question)
);
"""
    # Shadow of every data table: rows a later batch replaced, tagged with that batch, so that
    # undoing it restores them exactly. Same columns (no constraints; batch_id renamed
    # origin_batch, so that only data tables have a batch_id) plus replaced_by.
    + "".join(
        f"CREATE TABLE replaced_{t} AS SELECT * RENAME (batch_id AS origin_batch) FROM {t} "
        "WITH NO DATA;\n"
        f"ALTER TABLE replaced_{t} ADD COLUMN replaced_by INTEGER;\n"
        for t in _V1_DATA_TABLES
    )
)

_V4 = """
-- Council packs: the conclusions and agreed next steps a team writes for a school or a
-- territory and a year, shown on the last slide of the pack.
CREATE TABLE council_note (
    scope_kind   VARCHAR NOT NULL CHECK (scope_kind IN ('establecimiento', 'territorio')),
    scope_id     VARCHAR NOT NULL,   -- RBD or territory id
    year         INTEGER NOT NULL,
    conclusions  VARCHAR NOT NULL DEFAULT '',
    next_steps   VARCHAR NOT NULL DEFAULT '',
    actor        VARCHAR NOT NULL,
    updated_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (scope_kind, scope_id, year)
);

-- Accounts. Local accounts have a password hash (argon2); OpenID Connect users are
-- matched by e-mail and have none. Schools and territories a user may see are in user_scope.
CREATE TABLE app_user (
    email            VARCHAR PRIMARY KEY,  -- lower case
    name             VARCHAR NOT NULL DEFAULT '',
    role             VARCHAR NOT NULL CHECK (role IN
        ('administrador', 'supervisor', 'directivo', 'lector')),
    password_hash    VARCHAR,
    active           BOOLEAN NOT NULL DEFAULT true,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMP,
    created_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at       TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE user_scope (
    email       VARCHAR NOT NULL,
    scope_kind  VARCHAR NOT NULL CHECK (scope_kind IN ('establecimiento', 'territorio')),
    scope_id    VARCHAR NOT NULL,      -- RBD or territory id
    PRIMARY KEY (email, scope_kind, scope_id)
);

-- Audit log, append-only: nothing in the code updates or deletes its rows. Each row carries the
-- hash of the previous one (a chain), so an edit made outside the app is detectable.
CREATE SEQUENCE audit_log_seq START 1;
CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    logged_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor      VARCHAR NOT NULL,       -- e-mail, or 'cli:<os user>', or 'tablero' in demo mode
    action     VARCHAR NOT NULL,       -- 'ingreso', 'ingreso_fallido', 'carga', 'deshacer'...
    detail     VARCHAR NOT NULL,       -- JSON
    prev_hash  VARCHAR NOT NULL,
    row_hash   VARCHAR NOT NULL
);
"""

_V5 = """
-- The indicator engine's facts cache: the sufficient statistics of every indicator
-- (except schedule compliance, which depends on the cut-off date) for every community and
-- school, yearly, monthly and per baseline wave, computed over the whole store. Derived data:
-- rebuilt whenever `signature` (a digest of the source tables) no longer matches; never edited.
-- NULL: a statistic the indicator does not use, or no rows to sum.
CREATE TABLE indicator_fact (
    ind     SMALLINT NOT NULL,   -- catalogue position (+100: attendance from the monthly file)
    kind    TINYINT NOT NULL,    -- 0 comunidad, 1 establecimiento
    sid     VARCHAR NOT NULL,    -- community id or RBD
    rbd     INTEGER NOT NULL,    -- the school (of the community)
    year    SMALLINT,            -- NULL on a survey's baseline-wave row
    month   TINYINT NOT NULL,    -- 0 on yearly rows
    base    BOOLEAN NOT NULL,    -- a survey's baseline-wave row
    n DOUBLE, k DOUBLE, s1 DOUBLE, s2 DOUBLE, rx DOUBLE, sxx DOUBLE, sxy DOUBLE,
    n_priv DOUBLE, y0 DOUBLE
);
CREATE TABLE indicator_fact_school (
    rbd        INTEGER NOT NULL,
    base_year  INTEGER            -- the baseline year the facts were computed with
);
CREATE TABLE indicator_fact_state (
    signature  VARCHAR NOT NULL,
    built_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    seconds    DOUBLE NOT NULL,
    row_count  BIGINT NOT NULL
);
"""

_V6 = """
-- How personal ids are pseudonymised (metrics.pseudonym). A store that already holds imported
-- rows keeps HMAC-SHA256, so that its students keep their pseudonyms; any other store (a new
-- one, or one with only the demo) uses AMAC-SHA256, four times cheaper. Never changed after.
INSERT INTO setting (key, value)
SELECT 'pseudonym_scheme', CASE WHEN EXISTS (SELECT 1 FROM import_batch WHERE kind <> 'demo')
    THEN 'hmac-sha256' ELSE 'amac-sha256' END;
"""

_V7_AUDIT_KEYED = """
-- The audit log's keyed chain (README «Seguridad»): rows appended from this version on carry an
-- HMAC-SHA256 keyed with a key derived from the store's secret key, and ids without gaps; older
-- rows keep their plain SHA-256 and are verified by it. The log's length and last hash are
-- anchored outside the database (<db>.audit, see metrics.store.audit), written when the store is
-- created or reaches this version. The version itself is the point: older versions of Tablero
-- DPD, which would append unkeyed rows, refuse to open the store from here on.
COMMENT ON TABLE audit_log IS 'Append-only; rows keyed with HMAC-SHA256 from the keyed-chain '
    'migration on, older rows plain SHA-256; length and end anchored in <db>.audit';
"""


def _append_column(table: str, column: str, type_: str) -> str:
    """Add ``column`` to a data table and to its shadow, keeping their columns in the same order
    (rows move between them by position: the shadow is the table's columns, then replaced_by)."""
    return (
        f"ALTER TABLE {table} ADD COLUMN {column} {type_};\n"
        f"CREATE TABLE replaced_{table}_v AS SELECT * EXCLUDE (replaced_by), "
        f"NULL::{type_} AS {column}, replaced_by FROM replaced_{table};\n"
        f"DROP TABLE replaced_{table};\n"
        f"ALTER TABLE replaced_{table}_v RENAME TO replaced_{table};\n"
    )


_V8_SLEP = (
    """
-- SLEP territories from Mineduc's official list (docs/importar.md): a SLEP serves some
-- comunas, and its schools are those of SLEP dependency (the directory's COD_DEPE2 = 5) in them.
"""
    # COD_DEPE2 of the school directory: 1 municipal, 2 particular subvencionado, 3 particular
    # pagado, 4 administración delegada, 5 Servicio Local de Educación Pública.
    + _append_column("school", "dependency", "TINYINT")
    # For a SLEP of the official list: the comunas (codes) it serves.
    + _append_column("territory", "comunas", "INTEGER[]")
)

_V9_FACT_PROBLEMS = """
-- What the last build of the indicator facts could not compute (a source that failed) or had to
-- skip (rows naming a community, school, teacher or territory the store does not hold): a JSON
-- list of Spanish sentences, NULL when there was nothing to say.
ALTER TABLE indicator_fact_state ADD COLUMN problems VARCHAR;
"""

_V10_FACTS_BY_CODE = """
-- The facts cache names each indicator by its code, not by its position in the catalogue (issue
-- 15: reordering the catalogue mislabelled cached values). The cache is derived data: it is
-- emptied here and rebuilt on the next request.
DROP TABLE indicator_fact;
CREATE TABLE indicator_fact (
    indicator       VARCHAR NOT NULL,  -- the indicator's code in the catalogue
    monthly_source  BOOLEAN NOT NULL,  -- attendance computed from the monthly file
    kind    TINYINT NOT NULL,    -- 0 comunidad, 1 establecimiento
    sid     VARCHAR NOT NULL,    -- community id or RBD
    rbd     INTEGER NOT NULL,    -- the school (of the community)
    year    SMALLINT,            -- NULL on a survey's baseline-wave row
    month   TINYINT NOT NULL,    -- 0 on yearly rows
    base    BOOLEAN NOT NULL,    -- a survey's baseline-wave row
    n DOUBLE, k DOUBLE, s1 DOUBLE, s2 DOUBLE, rx DOUBLE, sxx DOUBLE, sxy DOUBLE,
    n_priv DOUBLE, y0 DOUBLE
);
DELETE FROM indicator_fact_school;
DELETE FROM indicator_fact_state;
"""

_V11_FACT_BATCHES = """
-- The import batches the indicator facts were last built with (JSON: the engine's digest, the
-- highest batch id, how many batches and how many undone), so that after new batches only the
-- facts of the schools they touch are recomputed (metrics.engine.cache.ensure_facts); and a
-- hash of each school's row, to see which schools a change made in the app touched.
ALTER TABLE indicator_fact_state ADD COLUMN batches VARCHAR;
ALTER TABLE indicator_fact_school ADD COLUMN row_hash UBIGINT;
"""

_V12_UNDONE_REACH = """
-- What an undone import batch reached, written when it is undone (its rows are gone after):
-- the schools of its rows and of the rows it replaced (rbd), and its students (student_hash,
-- the hash of their pseudonymised id), so that only those schools' indicator facts are
-- recomputed (metrics.engine.cache.ensure_facts).
CREATE TABLE undone_batch_reach (
    undone_batch  INTEGER NOT NULL,  -- the import_batch id
    rbd           INTEGER,
    student_hash  UBIGINT
);
"""

_V13_RECORDS_TABLES = """
-- The year's qualitative work, written in the app (README «Registros de la evaluación»), and
-- the open answers of Forms exports. Every row belongs to a load (batch_id) like imported data.

-- The qualitative review: a dated log per school (and, optionally, one of its communities),
-- tagged by the guide's dimensions, with its author.
CREATE TABLE qualitative_note (
    id            VARCHAR PRIMARY KEY,   -- 'nota-' + random hex; an edit keeps it
    rbd           INTEGER NOT NULL,
    community_id  VARCHAR,               -- NULL: the whole school
    note_date     DATE NOT NULL,
    dimension     VARCHAR NOT NULL CHECK (dimension IN ('planificación', 'recursos utilizados',
        'formación recibida', 'adaptación', 'entrevistas')),
    body          VARCHAR NOT NULL,
    author        VARCHAR NOT NULL,      -- the name the team writes (not the account)
    batch_id      INTEGER NOT NULL
);

-- The síntesis cualitativa the team writes per school, year and evaluation moment.
CREATE TABLE qualitative_synthesis (
    rbd       INTEGER NOT NULL,
    year      INTEGER NOT NULL,
    moment    VARCHAR NOT NULL CHECK (moment IN ('antes', 'durante', 'resultados', 'impacto')),
    body      VARCHAR NOT NULL,
    author    VARCHAR NOT NULL,
    batch_id  INTEGER NOT NULL,
    PRIMARY KEY (rbd, year, moment)
);

-- The follow-up plan: periodic reviews (planned, held), what was reviewed, the decisions and
-- adjustments agreed, who answers for them and by when, and whether they were carried out.
CREATE TABLE followup_review (
    id               VARCHAR PRIMARY KEY,
    rbd              INTEGER NOT NULL,
    community_id     VARCHAR,
    planned_date     DATE NOT NULL,
    held_date        DATE,
    status           VARCHAR NOT NULL CHECK (status IN
        ('planificada', 'realizada', 'reprogramada', 'cancelada')),
    reviewed         VARCHAR NOT NULL DEFAULT '',
    decisions        VARCHAR NOT NULL DEFAULT '',
    responsible      VARCHAR,
    due_date         DATE,
    decision_status  VARCHAR NOT NULL CHECK (decision_status IN
        ('sin decisiones', 'pendiente', 'en curso', 'cumplida')),
    batch_id         INTEGER NOT NULL
);

-- Open-ended answers of a Forms export, kept at import without who wrote them (no
-- respondent id, no e-mail, no name): shown beside the perceptions, small groups hidden.
CREATE TABLE survey_open_answer (
    instrument       VARCHAR NOT NULL,
    wave             VARCHAR NOT NULL,
    response_date    DATE,
    respondent_kind  VARCHAR NOT NULL CHECK (respondent_kind IN
        ('docente', 'estudiante', 'apoderado', 'directivo')),
    rbd              INTEGER NOT NULL,
    community_id     VARCHAR,
    question         VARCHAR NOT NULL,
    answer           VARCHAR NOT NULL,
    batch_id         INTEGER NOT NULL
);
""" + "".join(
    f"CREATE TABLE replaced_{t} AS SELECT * RENAME (batch_id AS origin_batch) FROM {t} "
    "WITH NO DATA;\n"
    f"ALTER TABLE replaced_{t} ADD COLUMN replaced_by INTEGER;\n"
    for t in RECORD_TABLES
)

_V14_AGENCY_FIGURES = (
    """
-- What the Agencia de Calidad publishes beside a school's mean score, per series
-- (a test, grade and subject: SIMCE 4b lectura; IDPS rows are test 'IDPS', the subject being
-- the indicator's code AM, CC, PF or HV). Its own change against the previous evaluation and
-- its significance (-1, 0, 1), the difference with schools of the same socioeconomic group
-- and its significance, the % of students at each learning standard, and the mark (marca)
-- with which it withholds or qualifies a score. NULL where the file does not say.
-- Schema version 14.
"""
    + _append_column("standardized_test", "agency_change", "DOUBLE")
    + _append_column("standardized_test", "agency_change_sig", "TINYINT")
    + _append_column("standardized_test", "gse_difference", "DOUBLE")
    + _append_column("standardized_test", "gse_difference_sig", "TINYINT")
    + _append_column("standardized_test", "pct_insufficient", "DOUBLE")
    + _append_column("standardized_test", "pct_elementary", "DOUBLE")
    + _append_column("standardized_test", "pct_adequate", "DOUBLE")
    + _append_column("standardized_test", "withheld_mark", "VARCHAR")
)

_V15_RETIRE_MIXED_SCORE = """
-- The indicator puntaje_estandarizado averaged every test, grade and subject of a scope into one
-- number (a 4° básico lectura score with a II medio matemática one): it is gone from the
-- catalogue, replaced by simce_puntaje, simce_adecuado and simce_insuficiente per series. Its
-- targets cannot be carried over (a target names no series), so they are kept here, out of the
-- way of everything that reads `target`, with the rows an undo could have brought back.
-- Schema version 15.
-- Like the undo shadows, it names the batch a row came from `origin_batch`: only data tables
-- have a batch_id.
CREATE TABLE retired_target AS
SELECT t.* RENAME (batch_id AS origin_batch), NULL::INTEGER AS replaced_by,
       current_timestamp AS retired_at
FROM target t WHERE t.indicator = 'puntaje_estandarizado'
UNION ALL
SELECT r.*, current_timestamp
FROM replaced_target r WHERE r.indicator = 'puntaje_estandarizado';
DELETE FROM target WHERE indicator = 'puntaje_estandarizado';
DELETE FROM replaced_target WHERE indicator = 'puntaje_estandarizado';
"""

_V16_RECORDS = (
    """
-- Schema version 16. Records kept in the app (README «Registrar en el tablero»). A community can be
-- closed (end_date); a session carries its topic, the strategies shared (one line each, in
-- the row of the teacher who shared them, separated by |) and the agreements reached.
-- The session-level fields repeat on every attendance row of that session.
"""
    + _append_column("community", "end_date", "DATE")
    + _append_column("session_attendance", "topic", "VARCHAR")
    + _append_column("session_attendance", "strategy_notes", "VARCHAR")
    + _append_column("session_attendance", "agreements", "VARCHAR")
    + """
-- The coordinator role (coordinador): sees one school and records only its own communities,
-- which are rows of user_scope of kind 'comunidad'. DuckDB cannot change a CHECK constraint,
-- so both tables are rebuilt with the same columns.
CREATE TABLE app_user_v14 (
    email            VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL DEFAULT '',
    role             VARCHAR NOT NULL CHECK (role IN
        ('administrador', 'supervisor', 'directivo', 'coordinador', 'lector')),
    password_hash    VARCHAR,
    active           BOOLEAN NOT NULL DEFAULT true,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMP,
    created_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at       TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO app_user_v14 SELECT email, name, role, password_hash, active, failed_attempts,
    locked_until, created_at, updated_at FROM app_user;
DROP TABLE app_user;
ALTER TABLE app_user_v14 RENAME TO app_user;
CREATE TABLE user_scope_v14 (
    email       VARCHAR NOT NULL,
    scope_kind  VARCHAR NOT NULL CHECK (scope_kind IN
        ('establecimiento', 'territorio', 'comunidad')),
    scope_id    VARCHAR NOT NULL,      -- RBD, territory id or community id
    PRIMARY KEY (email, scope_kind, scope_id)
);
INSERT INTO user_scope_v14 SELECT email, scope_kind, scope_id FROM user_scope;
DROP TABLE user_scope;
ALTER TABLE user_scope_v14 RENAME TO user_scope;
"""
)

_V17_DIA = """
-- Schema version 17. The DIA (Diagnóstico Integral de Aprendizajes, Agencia de Calidad) as a
-- school reads it off the DIA platform: per year, period (diagnóstico, monitoreo intermedio,
-- cierre), grade and area, the % of students at each level (Nivel I insatisfactorio,
-- II intermedio, III satisfactorio) and the % logro. A series is a grade and an area
-- ('4b lectura'); no value averages two series (metrics.engine.series).
CREATE TABLE dia_result (
    year                SMALLINT NOT NULL,
    rbd                 INTEGER NOT NULL,
    period              VARCHAR NOT NULL CHECK (period IN
        ('diagnóstico', 'monitoreo intermedio', 'cierre')),
    grade_level         VARCHAR NOT NULL,  -- '1b'...'8b', '1m', '2m'
    area                VARCHAR NOT NULL,  -- 'lectura', 'matemática'...
    pct_insatisfactorio DOUBLE NOT NULL,
    pct_intermedio      DOUBLE NOT NULL,
    pct_satisfactorio   DOUBLE NOT NULL,
    pct_logro           DOUBLE,
    students_assessed   INTEGER,
    batch_id            INTEGER NOT NULL
);
CREATE TABLE replaced_dia_result AS SELECT * RENAME (batch_id AS origin_batch) FROM dia_result
WITH NO DATA;
ALTER TABLE replaced_dia_result ADD COLUMN replaced_by INTEGER;
"""

MIGRATIONS: tuple[str, ...] = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _V7_AUDIT_KEYED,
    _V8_SLEP,
    _V9_FACT_PROBLEMS,
    _V10_FACTS_BY_CODE,
    _V11_FACT_BATCHES,
    _V12_UNDONE_REACH,
    _V13_RECORDS_TABLES,
    _V14_AGENCY_FIGURES,
    _V15_RETIRE_MIXED_SCORE,
    # In-app records: schema version 16.
    _V16_RECORDS,
    # DIA results: schema version 17.
    _V17_DIA,
)
"""``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1``."""

LATEST_VERSION = len(MIGRATIONS)

AUDIT_KEYED_VERSION = MIGRATIONS.index(_V7_AUDIT_KEYED) + 1
"""The schema version from which the audit log is keyed and anchored outside the store."""
