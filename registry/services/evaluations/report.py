"""The detailed evaluation report, as HTML or PDF, in the program's language or the one asked.

Sections: summary, participation, methods, results per instrument (with charts), knowledge
items, strata (small groups suppressed), satisfaction and limits. The HTML is self-contained
(inline SVG charts and styles, no script, no remote asset); the PDF comes from fpdf2 with
its core fonts (Latin-1, which covers the four languages) and PNG charts.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING

from registry.errors import InvalidRequest
from registry.services.evaluations import charts
from registry.services.evaluations.analysis import Analysis, InstrumentAnalysis, analyse
from registry.services.evaluations.instruments import LANGUAGES, program_language, text_in
from registry.services.evaluations.labels import labels
from registry.services.fhir import FhirService

# fpdf2 is imported where a PDF is made: a worker that makes none never loads it.
if TYPE_CHECKING:
    from fpdf import FPDF

FORMATS = ("html", "pdf")


def check_options(fmt: str, language: str) -> None:
    if fmt not in FORMATS:
        raise InvalidRequest(f"format must be html or pdf, not {fmt!r}", "format")
    if language not in LANGUAGES:
        raise InvalidRequest(f"lang must be one of {', '.join(LANGUAGES)}, not {language!r}",
                             "lang")


def render(analysis: Analysis, fmt: str, language: str) -> bytes:
    check_options(fmt, language)
    if fmt == "html":
        return render_html(analysis, language).encode()
    return render_pdf(analysis, language)


# ---- the content, as rows both renderers share -------------------------------------------

def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    return "–" if value is None else ("<0.001" if value < 0.001 else f"{value:.3f}")


def _ci(ci: tuple[float, float] | None) -> str:
    return "–" if ci is None else f"{ci[0]:.2f} – {ci[1]:.2f}"


def _with_sd(mean: float | None, sd: float | None) -> str:
    return f"{_number(mean)} ({_number(sd)})"


def summary_lines(analysis: Analysis, words: dict[str, str], language: str) -> list[str]:
    found = []
    for item in analysis.instruments:
        s = item.statistics
        if s is None:
            continue
        found.append(words["summary_text"].format(
            matched=s.n, instrument=text_in(item.instrument.title, language),
            change=_number(s.mean_change), ci=_ci(s.change_ci),
            p="p < 0.001" if s.t_p is not None and s.t_p < 0.001 else f"p = {_p(s.t_p)}",
            dz=_number(s.d_z)))
    return found


def participation_text(analysis: Analysis, words: dict[str, str]) -> str:
    text = words["participation_text"].format(pre=analysis.mentees_pre,
                                              post=analysis.mentees_post)
    if analysis.sessions is not None:
        text += " " + words["sessions_text"].format(
            sessions=analysis.sessions.sessions, participants=analysis.sessions.participants,
            hours=f"{analysis.sessions.participant_hours:.1f}")
    return text


def result_rows(item: InstrumentAnalysis, words: dict[str, str]) -> list[tuple[str, ...]]:
    pairs, s = item.pairs, item.statistics
    rows: list[tuple[str, ...]] = [
            (words["n_pre"], str(pairs.n_pre)), (words["n_post"], str(pairs.n_post)),
            (words["n_matched"], str(len(pairs.matched))),
            (words["unmatched_pre"], str(len(pairs.pre_only))),
            (words["unmatched_post"], str(len(pairs.post_only))),
            (words["attrition"], "–" if pairs.attrition is None
             else f"{100 * pairs.attrition:.1f} %"),
            (words["moore"], item.moore_level or "–")]
    if s is not None:
        rows += [(words["mean_pre"], _with_sd(s.mean_pre, s.sd_pre)),
                 (words["mean_post"], _with_sd(s.mean_post, s.sd_post)),
                 (words["mean_change"], f"{_number(s.mean_change)} ({_ci(s.change_ci)})"),
                 (words["paired_t"], f"t({s.df}) = {_number(s.t)}, p = {_p(s.t_p)}"),
                 (words["wilcoxon"], f"W = {_number(s.wilcoxon, 1)}, p = {_p(s.wilcoxon_p)} "
                                     f"({s.wilcoxon_method or '–'})"),
                 (words["d_z"], f"{_number(s.d_z)} ({_ci(s.d_z_ci)})"),
                 (words["g_av"], f"{_number(s.g_av)} ({_ci(s.g_av_ci)})")]
    elif item.post_mean is not None:
        rows.append((words["post_mean"], _with_sd(item.post_mean, item.post_sd)))
    return rows


def item_rows(item: InstrumentAnalysis, language: str) -> list[tuple[str, ...]]:
    texts = {i.link_id: text_in(i.text, language) for i in item.instrument.items}
    return [(texts.get(i.link_id, i.link_id), f"{100 * i.correct_pre:.0f} %",
             f"{100 * i.correct_post:.0f} %", _p(i.p), _p(i.p_holm)) for i in item.items]


def strata_rows(item: InstrumentAnalysis, words: dict[str, str]) -> list[tuple[str, ...]]:
    return [(name, s.value, words["suppressed"] if s.n is None else str(s.n),
             "–" if s.n is None else _number(s.mean_change))
            for name, found in item.strata.items() for s in found]


def _heading(analysis: Analysis, words: dict[str, str]) -> str:
    return (f"{words['program']}: {analysis.program_name or analysis.program} — "
            f"{words['cohort']}: {analysis.cohort or words['all_cohorts']}")


# ---- HTML --------------------------------------------------------------------------------

STYLE = ("body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
         "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #bbb;"
         "padding:.2rem .5rem;text-align:left}figure{display:inline-block;margin:.5rem}")


def render_html(analysis: Analysis, language: str) -> str:
    words, e = labels(language), html.escape
    took_part = participation_text(analysis, words)
    parts = [f"<!DOCTYPE html><html lang=\"{language}\"><head><meta charset=\"utf-8\">"
             f"<title>{e(words['title'])}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(words['title'])}</h1><p>{e(_heading(analysis, words))}</p>",
             f"<h2>{e(words['summary'])}</h2>",
             *[f"<p>{e(line)}</p>" for line in summary_lines(analysis, words, language)],
             f"<h2>{e(words['participation'])}</h2><p>{e(took_part)}</p>",
             f"<h2>{e(words['methods'])}</h2><p>{e(words['methods_text'])}</p>",
             f"<h2>{e(words['results'])}</h2>"]
    for item in analysis.instruments:
        parts.append(_html_instrument(item, words, language))
    parts.append(f"<h2>{e(words['limits'])}</h2><p>{e(words['limits_text'])}</p></body></html>")
    return "".join(parts)


def _html_table(header: tuple[str, ...] | None, rows: list[tuple[str, ...]]) -> str:
    e = html.escape
    head = "" if header is None else "<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _html_instrument(item: InstrumentAnalysis, words: dict[str, str], language: str) -> str:
    e = html.escape
    title = text_in(item.instrument.title, language)
    parts = [f"<h3>{e(title)}</h3>", _html_table(None, result_rows(item, words))]
    if item.statistics is None and item.instrument.kind != "satisfaction":
        parts.append(f"<p>{e(words['no_pairs'])}</p>")
    parts += [f"<figure>{charts.svg(draw)}</figure>" for draw in charts.charts_of(item, words)]
    if item.items:
        parts += [f"<h4>{e(words['items'])}</h4>", _html_table(
            (words["item"], words["correct_pre"], words["correct_post"], words["mcnemar_p"],
             words["holm_p"]), item_rows(item, language))]
    if item.pairs.matched:
        parts += [f"<h4>{e(words['strata'])}</h4>", _html_table(
            ("", words["stratum"], words["n"], words["change"]), strata_rows(item, words))]
    return "".join(parts)


# ---- PDF ---------------------------------------------------------------------------------

def _latin(text: str) -> str:
    """Core PDF fonts are Latin-1: the four languages fit; anything else is replaced."""
    return text.replace("–", "-").replace("—", "-").encode("latin-1", "replace").decode(
        "latin-1")


def render_pdf(analysis: Analysis, language: str) -> bytes:
    from fpdf import FPDF

    words = labels(language)
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(words["title"]))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    _pdf_text(pdf, words["title"], 16, bold=True)
    _pdf_text(pdf, _heading(analysis, words), 10)
    _pdf_section(pdf, words["summary"], summary_lines(analysis, words, language))
    _pdf_section(pdf, words["participation"], [participation_text(analysis, words)])
    _pdf_section(pdf, words["methods"], [words["methods_text"]])
    _pdf_text(pdf, words["results"], 13, bold=True)
    for item in analysis.instruments:
        _pdf_instrument(pdf, item, words, language)
    _pdf_section(pdf, words["limits"], [words["limits_text"]])
    return bytes(pdf.output())


def _pdf_text(pdf: FPDF, text: str, size: int, *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _pdf_section(pdf: FPDF, title: str, lines: list[str]) -> None:
    _pdf_text(pdf, title, 13, bold=True)
    for line in lines:
        _pdf_text(pdf, line, 10)


def _pdf_table(pdf: FPDF, rows: list[tuple[str, ...]]) -> None:
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(text_align="LEFT") as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(_latin(value))
    pdf.ln(2)


def _pdf_instrument(pdf: FPDF, item: InstrumentAnalysis, words: dict[str, str],
                    language: str) -> None:
    _pdf_text(pdf, text_in(item.instrument.title, language), 11, bold=True)
    _pdf_table(pdf, result_rows(item, words))
    for draw in charts.charts_of(item, words):
        pdf.image(io.BytesIO(charts.png(draw)), w=110)
    if item.items:
        _pdf_text(pdf, words["items"], 10, bold=True)
        _pdf_table(pdf, [(words["item"], words["correct_pre"], words["correct_post"],
                          words["mcnemar_p"], words["holm_p"]), *item_rows(item, language)])
    if item.pairs.matched:
        _pdf_text(pdf, words["strata"], 10, bold=True)
        _pdf_table(pdf, [("", words["stratum"], words["n"], words["change"]),
                         *strata_rows(item, words)])


def program_report(service: FhirService, program_id: str, cohort: str | None, fmt: str,
                   language: str | None) -> bytes:
    """The report of a program for a caller allowed to read its analysis; in ``language``,
    else the program's first language, else English."""
    check_options(fmt, language or "en")
    found = analyse(service, program_id, cohort, audit_as="operation")
    program = service.read("HealthcareService", program_id).resource()
    return render(found, fmt, language or program_language(program))
