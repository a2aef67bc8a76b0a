"""Regenerate the synthetic fixtures of tests/data/good and tests/data/bad (deterministic).

    .venv/bin/python tests/data/good/make_fixtures.py

Every file here is SYNTHETIC: invented schools, students and answers in the layouts of the
official files (see README.md beside this script). Nothing comes from real people.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

GOOD = Path(__file__).resolve().parent
BAD = GOOD.parent / "bad"

REND_HEADER = (
    "AGNO;RBD;DGV_RBD;NOM_RBD;COD_REG_RBD;NOM_REG_RBD_A;COD_PRO_RBD;COD_COM_RBD;NOM_COM_RBD;"
    "COD_DEPROV_RBD;NOM_DEPROV_RBD;COD_DEPE;COD_DEPE2;RURAL_RBD;ESTADO_ESTAB;COD_ENSE;"
    "COD_ENSE2;COD_GRADO;LET_CUR;COD_JOR;COD_TIP_CUR;COD_DES_CUR;MRUN;GEN_ALU;FEC_NAC_ALU;"
    "EDAD_ALU;COD_REG_ALU;COD_COM_ALU;NOM_COM_ALU;COD_RAMA;COD_SEC;COD_ESPE;PROM_GRAL;"
    "ASISTENCIA;SIT_FIN;SIT_FIN_R;COD_MEN;COLUMNA_NUEVA_2030"
)
SCHOOLS = {
    # rbd: (dv, name, comuna code, comuna, deprov code, deprov)
    90001: ("6", "ESCUELA SINTÉTICA ÑUÑOA – ORIENTE", 13120, "ÑUÑOA", 132, "SANTIAGO ORIENTE"),
    90002: ("4", "LICEO SINTÉTICO PEÑALOLÉN", 13122, "PEÑALOLÉN", 132, "SANTIAGO ORIENTE"),
}


def _dv(body: int) -> str:
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(str(body))))
    rest = 11 - total % 11
    return {11: "0", 10: "K"}.get(rest, str(rest))


def _school(rbd: int) -> str:
    _, name, com, nom_com, dep, nom_dep = SCHOOLS[rbd]
    return f"{rbd};{_dv(rbd)};{name};13;RM;131;{com};{nom_com};{dep};{nom_dep};1;5;0;1"


def rendimiento_rows(year: int = 2024) -> list[str]:
    """12 students in 2 schools; MRUN 5003 transfers from 90001 to 90002 (T, then P)."""
    rows = []
    students = [
        # rbd, grade, letter, mrun, prom, asis, sit_fin, sit_fin_r
        (90001, 4, "A", 5001, "6,3", "95,5", "P", "P"),
        (90001, 4, "A", 5002, "3,8", "82,0", "R", "R"),
        (90001, 4, "A", 5003, "0", "40,0", "Y", "T"),  # transferred out
        (90001, 4, "A", 5004, "0", "10,0", "Y", "Y"),  # withdrawn: PROM_GRAL 0
        (90001, 4, "B", 5005, "5,5", "91,0", "P", "P"),
        (90001, 4, "B", 5006, "4,0", "85,0", "P", "P"),
        (90002, 1, "A", 5003, "5,9", "90,0", "P", "P"),  # same student at the new school
        (90002, 1, "A", 5007, "6,8", "99,0", "P", "P"),
        (90002, 1, "A", 5008, "2,9", "70,0", "R", "R"),
        (90002, 1, "A", 5009, "4,4", "88,0", "P", "P"),
        (90002, 1, "B", 5010, "5,0", "93,5", "P", "P"),
        (90002, 1, "B", 5011, "0", "0,0", " ", " "),  # no final situation: skipped
    ]
    for rbd, grade, letter, mrun, prom, asis, sit, sitr in students:
        ense = 110 if rbd == 90001 else 310
        rows.append(
            f"{year};{_school(rbd)};{ense};2;{grade};{letter};1;0;0;{mrun};1;2015-03-01;9;"
            f"13;13120;ÑUÑOA;0;0;0;{prom};{asis};{sit};{sitr};0;x"
        )
    return rows


def write_good() -> None:
    rows = rendimiento_rows()
    text = REND_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n"
    (GOOD / "mineduc_rendimiento_2024_utf8.csv").write_bytes(text.encode("utf-8"))
    (GOOD / "mineduc_rendimiento_2024_bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    # Windows-1252, lower-case headers, no SIT_FIN_R (older years), 2023.
    old_header = ";".join(
        h.lower() for h in REND_HEADER.split(";") if h not in ("SIT_FIN_R", "COLUMNA_NUEVA_2030")
    )
    old_rows = []
    for r in rendimiento_rows(2023):
        cells = r.split(";")
        del cells[-1]  # extra column
        del cells[-2 - 1]  # SIT_FIN_R (before COD_MEN)
        old_rows.append(";".join(cells))
    old = old_header + "\r\n" + "\r\n".join(old_rows) + "\r\n"
    (GOOD / "mineduc_rendimiento_2023_cp1252.csv").write_bytes(old.encode("cp1252"))

    asis_header = (
        "AGNO;MES_ESCOLAR;RBD;DGV_RBD;NOM_RBD;COD_REG_RBD;COD_COM_RBD;NOM_COM_RBD;"
        "COD_DEPROV_RBD;NOM_DEPROV_RBD;COD_ENSE;COD_GRADO;LET_CUR;MRUN;DIAS_ASISTIDOS;"
        "DIAS_TRABAJADOS;ASIS_PROMEDIO;NOMBRE_SLEP"
    )
    lines = [asis_header]
    for month in (3, 4, 7):
        worked = 0 if month == 7 else 20  # winter break: no days worked
        for mrun, attended in ((5001, 19), (5002, 15), (5005, 20)):
            days = 0 if worked == 0 else attended
            pct = "0" if worked == 0 else f"{100 * days / worked:.1f}".replace(".", ",")
            lines.append(
                f"2024;{month};90001;{_dv(90001)};ESCUELA SINTÉTICA ÑUÑOA – ORIENTE;13;13120;"
                f"ÑUÑOA;132;SANTIAGO ORIENTE;110;4;A;{mrun};{days};{worked};{pct};"
                "SLEP SINTÉTICO ORIENTE"
            )
    (GOOD / "mineduc_asistencia_mensual_2024.csv").write_bytes(
        ("\r\n".join(lines) + "\r\n").encode("utf-8")
    )

    simce = (
        "rbd;dvrbd;nom_rbd;cod_reg_rbd;nom_reg_rbd;cod_com_rbd;nom_com_rbd;cod_deprov_rbd;"
        "nom_deprov_rbd;nalu_lect8b_rbd;nalu_mate8b_rbd;prom_lect8b_rbd;prom_mate8b_rbd;"
        "dif_lect8b_rbd;marca_lect8b_rbd;marca_mate8b_rbd;grado;agno\n"
        f"90001;{_dv(90001)};ESCUELA SINTÉTICA;13;METROPOLITANA;13120;ÑUÑOA;132;SANTIAGO "
        "ORIENTE;35;35;251;243;4;;;8b;2024\n"
        f"90002;{_dv(90002)};LICEO SINTÉTICO;13;METROPOLITANA;13122;PEÑALOLÉN;132;SANTIAGO "
        "ORIENTE;4;4;;;;1;1;8b;2024\n"
    )
    (GOOD / "agencia_simce8b2024_rbd.csv").write_text(simce, encoding="utf-8")

    # Older layouts of the Agencia: a `|`-separated .txt in Windows-1252
    # with CRLF (as older years ship), and a 2014-style file writing the significance codes as
    # words («Positiva y significativa», «Similar», «Más bajo»).
    old_txt = (
        "agno|rbd|dvrbd|nom_rbd|cod_com_rbd|nom_com_rbd|nalu_lect4b_rbd|nalu_mate4b_rbd|"
        "prom_lect4b_rbd|prom_mate4b_rbd|marca_lect4b_rbd|marca_mate4b_rbd\r\n"
        f"2013|90001|{_dv(90001)}|ESCUELA SINTÉTICA|13120|ÑUÑOA|30|30|248|239||\r\n"
        f"2013|90002|{_dv(90002)}|LICEO SINTÉTICO|13122|PEÑALOLÉN|5|5|||1|1\r\n"
    )
    (GOOD / "agencia_simce4b2013_rbd.txt").write_bytes(old_txt.encode("cp1252"))
    words = (
        "agno;rbd;dvrbd;nom_rbd;cod_com_rbd;nom_com_rbd;nalu_lect4b_rbd;nalu_mate4b_rbd;"
        "prom_lect4b_rbd;prom_mate4b_rbd;dif_lect4b_rbd;dif_mate4b_rbd;sigdif_lect4b_rbd;"
        "sigdif_mate4b_rbd;difgru_lect4b_rbd;difgru_mate4b_rbd;siggru_lect4b_rbd;"
        "siggru_mate4b_rbd;marca_lect4b_rbd;marca_mate4b_rbd\n"
        f"2014;90001;{_dv(90001)};ESCUELA SINTÉTICA;13120;ÑUÑOA;31;31;262;236;14;-3;"
        "Positiva y significativa;No significativa;9;-12;Similar;Más bajo;;\n"
        f"2014;90002;{_dv(90002)};LICEO SINTÉTICO;13122;PEÑALOLÉN;12;12;255;250;;;;;4;6;"
        "Similar;Significativamente más alto;;\n"
    )
    (GOOD / "agencia_simce4b2014_rbd.csv").write_text(words, encoding="utf-8")

    forms = (
        '"Marca temporal","Dirección de correo electrónico","RBD del establecimiento",'
        '"Trabajo en equipo con mis colegas [Planificamos juntos]",'
        '"Trabajo en equipo con mis colegas [Observamos clases]",'
        '"¿Recibo apoyo del equipo directivo?","Me siento agotado/a por el trabajo",'
        '"Comentarios"\n'
        '"2024/04/13 10:26:52 p. m. GMT-3","ana@example.org","90001","Muy de acuerdo",'
        '"4","5 - Totalmente de acuerdo","En desacuerdo","Bien"\n'
        '"9/04/2024 23:59:59","luis@example.org","90001","ni de acuerdo ni en desacuerdo",'
        '"Casi siempre","2. En desacuerdo","MUY EN DESACUERDO",""\n'
        '"10/04/2024 8:01:00","rosa@example.org","90001","De Acuerdo","Siempre",'
        '"Muy de acuerdo","De acuerdo","Sin comentarios"\n'
    )
    (GOOD / "google_forms_docentes.csv").write_text(forms, encoding="utf-8")
    (GOOD / "google_forms_docentes_mapeo.csv").write_text(
        "pregunta,dimension,invertida\n"
        "RBD del establecimiento,establecimiento,\n"
        '"Trabajo en equipo con mis colegas [Planificamos juntos]",colaboracion,no\n'
        '"Trabajo en equipo con mis colegas [Observamos clases]",colaboracion,no\n'
        "¿Recibo apoyo del equipo directivo?,apoyo,no\n"
        "Me siento agotado/a por el trabajo,satisfaccion,si\n",
        encoding="utf-8",
    )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    # Microsoft Forms puts questions after its own columns; this export has them reordered.
    ws.append(
        [
            "ID",
            "Hora de inicio",
            "Hora de finalización",
            "Correo electrónico",
            "Nombre",
            "Mis estudiantes aprenden más desde que trabajamos en comunidad",
            "Hora de la última modificación",
            "Estoy satisfecho con mi desarrollo profesional",
        ]
    )
    from datetime import datetime

    ws.append(
        [
            1,
            datetime(2024, 11, 4, 9, 0),
            datetime(2024, 11, 4, 9, 5),
            "anonymous",
            None,
            "Siempre",
            None,
            "Muy de acuerdo",
        ]
    )
    ws.append(
        [
            2,
            datetime(2024, 11, 4, 9, 10),
            datetime(2024, 11, 4, 9, 12),
            "anonymous",
            None,
            "A veces",
            None,
            "3",
        ]
    )
    wb.save(GOOD / "microsoft_forms_estudiantes.xlsx")
    (GOOD / "microsoft_forms_mapeo.csv").write_text(
        "pregunta;dimension\n"
        "Mis estudiantes aprenden más desde que trabajamos en comunidad;aprendizaje\n"
        "Estoy satisfecho con mi desarrollo profesional;satisfaccion\n",
        encoding="utf-8",
    )


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "datos"
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


RES = "anio;rbd;cod_ense;grado;letra;estudiante;promedio;situacion;asistencia"


DIA = "anio;rbd;periodo;curso;area;pct_insatisfactorio;pct_intermedio;pct_satisfactorio;pct_logro"


def write_bad() -> None:
    BAD.mkdir(exist_ok=True)
    files: dict[str, bytes | str] = {
        "vacio.csv": b"",
        "solo_encabezado.csv": RES + "\n",
        "binario.csv": bytes(range(256)) * 8,
        "separador_barra.csv": "anio|rbd|grado|letra\n2024|1|1|A\n",
        "dia_niveles_no_suman.csv": DIA + "\n2024;101;diagnóstico;4° básico;lectura;40,0;35,0;25,0;"
        "48,5\n2024;101;cierre;4b;lectura;40;40;30;52\n",
        "dia_periodo_desconocido.csv": DIA + "\n2024;101;diagnóstico;4b;lectura;40;35;25;48\n"
        "2024;101;diagnóstico;4b;matemática;30;40;30;50\n"
        "2024;101;mitad de año;4b;lectura;30;35;35;55\n",
        "dia_porcentaje_fuera.csv": DIA + "\n2024;101;cierre;4b;lectura;-5;35;70;48\n",
        "huerfano_dia_escuela.csv": DIA + "\n2024;999;cierre;4b;lectura;20;35;45;61\n",
        "falta_columna.csv": "anio;rbd;cod_ense;grado;letra;estudiante;promedio\n"
        "2024;1;110;1;A;12.345.678-5;5,5\n",
        "nota_fuera_de_rango.csv": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;P;90\n"
        "2024;1;110;1;A;11.111.111-1;8,5;P;90\n",
        "asistencia_fuera_de_rango.csv": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;P;130\n",
        "situacion_desconocida.csv": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;X;90\n",
        "fila_irregular.csv": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;P;90\n"
        "2024;1;110;1;A;11.111.111-1;5,5;P;90;extra;otra\n",
        "fila_truncada.csv": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;P;90\n2024;1;110;1",
        "encabezado_duplicado.csv": "anio;rbd;cod_ense;grado;letra;estudiante;promedio;"
        "situacion;rbd\n2024;1;110;1;A;12.345.678-5;5,5;P;1\n",
        "columnas_ajenas.csv": "producto;precio;stock\nmanzana;100;4\n",
        "extension_falsa.xlsx": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;P;90\n",
        "fecha_imposible.csv": "id_actividad;id_comunidad;tipo;fecha_planificada;estado\n"
        "A1;C1;reunión;31-02-2024;realizada\n",
        "rut_invalido.csv": RES + "\n2024;1;110;1;A;ABC-1;5,5;P;90\n",
        "dias_asistidos_mayor.csv": "anio;mes;rbd;cod_ense;grado;letra;estudiante;"
        "dias_asistidos;dias_trabajados\n2024;3;1;110;1;A;12.345.678-5;22;20\n",
        "mes_fuera_de_rango.csv": "anio;mes;rbd;cod_ense;grado;letra;estudiante;"
        "dias_asistidos;dias_trabajados\n2024;13;1;110;1;A;12.345.678-5;2;20\n",
        "likert_desconocida.csv": "instrumento;ola;tipo_respondente;id_respondente;rbd;item;"
        "dimension;respuesta\nE;final;docente;R1;1;i1;apoyo;quizás\n",
        "puntaje_mbe_fuera.csv": "id_docente;rbd;fecha;instrumento;dominio;puntaje\n"
        "D1;1;05-05-2024;observación de aula;A;5\n",
        "rbd_texto.csv": "rbd;nombre\nabc;Escuela\n",
        "filas_repetidas.csv": RES + "\n2024;1;110;1;A;12.345.678-5;5,5;P;90\n"
        "2024;1;110;1;A;12.345.678-5;6,0;P;95\n",
        "tipo_comunidad_desconocido.csv": "id_comunidad;rbd;nombre;tipo\nC1;1;Club;club\n",
        "comillas_abiertas.csv": 'rbd;nombre\n1;"Escuela sin cierre\n2;Otra\n',
        "obligatorio_vacio.csv": "id_comunidad;rbd;nombre;tipo\nC1;1;;taller\n",
        "mineduc_rendimiento_malo.csv": REND_HEADER
        + "\r\n"
        + rendimiento_rows()[0].replace(";6,3;", ";9,1;")
        + "\r\n"
        + rendimiento_rows()[1].replace(";R;R;", ";Z;Z;")
        + "\r\n",
        "simce_sin_agno.csv": "rbd;prom_lect4b_rbd;nalu_lect4b_rbd\n1;250;30\n",
        "formulario_sin_mapeo.csv": '"Marca temporal","¿Colaboro?"\n"2024/04/13","5"\n',
        "numero_con_texto.csv": "anio;rbd;prueba;nivel;asignatura;puntaje_promedio\n"
        "2024;1;SIMCE;4b;lectura;doscientos\n",
        "fecha_dudosa.xlsx": _xlsx(
            [["id_comunidad", "fecha_sesion", "id_docente", "asistio"], ["C1", "ayer", "D1", "sí"]]
        ),
        "hoja_vacia.xlsx": _xlsx([]),
    }
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (BAD / name).write_bytes(data)
    xlsx = _xlsx([["rbd", "nombre"], [1, "Escuela"]])
    (BAD / "xlsx_corrupto.xlsx").write_bytes(xlsx[: len(xlsx) // 2])
    (BAD / "xlsx_como_csv.csv").write_bytes(xlsx)
    (BAD / "excel_antiguo.xlsx").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    # Zip bomb: a valid-looking workbook whose sheet inflates 1,000 times its stored size.
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData>" + b" " * 30_000_000)
            dst.writestr(info.filename, data)
    (BAD / "bomba_zip.xlsx").write_bytes(buf.getvalue())


if __name__ == "__main__":
    write_good()
    write_bad()
    print(f"fixtures in {GOOD} and {BAD}")
