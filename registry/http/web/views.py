"""The dashboard's pages: each parses, calls the dashboard service, renders a template."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from registry.errors import (
    Forbidden,
    InvalidRequest,
    NotAuthenticated,
    RegistryError,
    status_of,
)
from registry.http import auth, pipeline
from registry.http.evaluations import MEDIA_TYPES as REPORT_TYPES
from registry.http.web import charts, exports
from registry.http.web.forms import SignInForm, SignOutForm
from registry.services import dashboard
from registry.services.evaluations.report import program_report
from registry.services.fhir import FhirService
from registry.services.outcomes.periods import PeriodError, ReportingPeriod, parse_period
from registry.services.reporting import outcomes_service
from registry.services.tokens import hash_token

HERE = Path(__file__).resolve().parent
blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/dashboard/static")
Page = TypeVar("Page", bound=Callable[..., Any])
HTML_FIRST = ("application/fhir+json", "application/json", "text/html")


def signed_in_only(view: Page) -> Page:
    """Send a person who has not signed in to the sign-in page, and back afterwards."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if pipeline.signed_in() is None:
            return redirect(url_for("web.signin", next=request.full_path.rstrip("?")), 303)
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


@blp.context_processor
def page_context() -> dict[str, Any]:
    return {"caller": pipeline.signed_in(), "signout_form": SignOutForm(),
            "sees_cases": pipeline.signed_in() is not None and dashboard.role_reads(
                pipeline.caller().role, "Composition"),
            "sees_outcomes": pipeline.signed_in() is not None and dashboard.reads_outcomes(
                pipeline.caller().role),
            "sees_peers": pipeline.signed_in() is not None and dashboard.reads_peers(
                pipeline.caller().role),
            "languages": [(code, name, _with_lang(code)) for code, name in LANGUAGES],
            "locale": str(get_locale() or "en")}


def _with_lang(code: str) -> str:
    """This page's address in another language, keeping its other parameters."""
    values: dict[str, Any] = {**request.args.to_dict(flat=False), "lang": [code],
                              **(request.view_args or {})}
    return url_for(request.endpoint or "web.home", **values)


LANGUAGES = (("en", "English"), ("es", "Español"), ("pt", "Português"), ("fr", "Français"))


@blp.app_template_filter("number")
def number(value: float) -> str:
    """A figure in the reader's locale (1,234.5 / 1.234,5 / 1 234,5)."""
    return str(format_decimal(round(value, 1)))


@blp.app_template_filter("country")
def country(code: str) -> str:
    """A country's name in the reader's language (Babel's CLDR data), with its code."""
    name = get_locale().territories.get(code) if get_locale() else None
    return f"{name} ({code})" if name else code


@blp.app_template_filter("percent")
def percent(value: float) -> str:
    return str(format_percent(value, format="#,##0.0%"))


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@blp.app_template_filter("slot")
def slot(value: tuple[list[str], str, str]) -> str:
    """A schedule slot in the reader's language: ``lunes 18:00–19:30``."""
    days, start, end = value
    names = get_locale().days["format"]["wide"] if get_locale() else {}
    shown = ", ".join(str(names.get(WEEKDAYS.index(d), d)) if d in WEEKDAYS else d
                      for d in days)
    hours = "–".join(t[:5] for t in (start, end) if t)
    return " ".join(part for part in (shown, hours) if part)


@blp.app_template_filter("kind")
def kind(code: str) -> str:
    return charts.kind_label(code)


@blp.app_template_filter("settlement")
def settlement(code: str) -> str:
    return charts.settlement_label(code)


@blp.errorhandler(RegistryError)
def page_error(exc: RegistryError) -> tuple[str, int, dict[str, str]]:
    """A refusal or a missing page, as a page (the API answers OperationOutcomes)."""
    status = status_of(exc)
    return render_template("error.html", status=status, message=str(exc)), status, exc.headers


# ---- the landing page, sign-in and sign-out -------------------------------------------------


@blp.get("/")
def home() -> BaseResponse | str:
    """A person sees what this node is (or, signed in, the network overview); a FHIR or JSON
    client is sent to the CapabilityStatement."""
    if request.accept_mimetypes.best_match(HTML_FIRST) != "text/html":
        return redirect("/fhir/metadata", 303)
    if pipeline.signed_in() is None:
        return render_template("landing.html", base_url=pipeline.base_url())
    return overview()


@blp.route("/signin", methods=["GET", "POST"])
def signin() -> BaseResponse | tuple[str, int] | str:
    form = SignInForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("signin.html", form=form), status
    key = hash_token((form.token.data or "").strip())
    try:
        auth.caller_of_hash(pipeline.database(), key, request.remote_addr)
    except NotAuthenticated as exc:
        pipeline.sign_in_failed(str(exc))
        form.token.errors = [_("This token is not valid (unknown, expired or revoked).")]
        return render_template("signin.html", form=form), 401
    lang = session.get("lang")
    session.clear()  # a new session for the new sign-in
    session.update(token=key, **({"lang": lang} if lang else {}))
    session.permanent = True
    return redirect(_local(request.args.get("next")), 303)


@blp.post("/signout")
def signout() -> BaseResponse | tuple[str, int]:
    if not SignOutForm().validate_on_submit():
        return render_template("error.html", status=400,
                               message=_("The sign-out form has expired; try again.")), 400
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.home"), 303)


def _local(target: str | None) -> str:
    """Only a path on this site is a place to return to after sign-in (never ``//host`` or
    ``/\\host``, which browsers read as another site)."""
    if (not target or not target.startswith("/") or target.startswith(("//", "/\\"))
            or urlsplit(target).netloc):
        return url_for("web.home")
    return target


# ---- pages -------------------------------------------------------------------------------


def _period() -> ReportingPeriod | None:
    """``?period=`` (YYYY, YYYY-Qn or YYYY-MM), which every page accepts: None when not
    asked, 400 when it is none of those."""
    asked = request.args.get("period", "").strip()
    if not asked:
        return None
    try:
        return parse_period(asked)
    except PeriodError as exc:
        raise InvalidRequest(str(exc), "period") from None


def _days() -> dashboard.Days:
    return dashboard.days_of(_period())


@blp.before_request
def check_period() -> None:
    """A bad ``?period=`` is refused on every page before it does any work."""
    _period()


def overview() -> str:
    with pipeline.unit(write=False) as service:
        figures = dashboard.figures(service, _days())
        countries, complete = dashboard.organizations_by_country(service)
        sites, sites_complete = dashboard.sites(service)
    return render_template("overview.html", figures=figures, countries=countries,
                           complete=complete and sites_complete,
                           map=charts.site_map(sites), sites=len(sites))


@blp.get("/dashboard/reach.csv")
@signed_in_only
def reach_csv() -> Response:
    with pipeline.unit(write=False) as service:
        countries, _complete = dashboard.organizations_by_country(service)
    rows = [(c, n["hub"], n["spoke"]) for c, n in countries.items()]
    return exports.csv_response("reach.csv", ("country", "hubs", "spokes"), rows)


@blp.get("/dashboard/map.svg")
@signed_in_only
def map_svg() -> Response:
    with pipeline.unit(write=False) as service:
        sites, _complete = dashboard.sites(service)
    return exports.svg_response("map.svg", charts.site_map(sites).svg)


@blp.get("/dashboard/activity")
@signed_in_only
def activity() -> str:
    with pipeline.unit(write=False) as service:
        found = dashboard.activity(service, _days())
        readable = dashboard.readable(service, "Encounter")
        labels = dashboard.names(service, list(found.programs))
    return render_template("activity.html", activity=found, readable=readable, labels=labels,
                           sessions_chart=charts.month_bars(found, "sessions"),
                           hours_chart=charts.month_bars(found, "hours"))


@blp.get("/dashboard/activity-<kind>.svg")
@signed_in_only
def activity_svg(kind: str) -> Response:
    if kind not in charts.MEASURES:
        return Response(status=404)
    with pipeline.unit(write=False) as service:
        found = dashboard.activity(service, _days())
    return exports.svg_response(f"activity-{kind}.svg", charts.month_bars(found, kind).svg)


@blp.get("/dashboard/activity.csv")
@signed_in_only
def activity_csv() -> Response:
    with pipeline.unit(write=False) as service:
        found = dashboard.activity(service, _days())
    return exports.csv_response("activity.csv", ("month", "sessions", "participant_hours"),
                                dashboard.iter_rows(found.months))


@blp.get("/dashboard/programs")
@signed_in_only
def programs() -> str:
    with pipeline.unit(write=False) as service:
        found, complete = dashboard.programs(service)
        links = dashboard.program_pages_open(service, found)
    return render_template("programs.html", programs=found, complete=complete, links=links)


@blp.get("/dashboard/programs/<program_id>")
@signed_in_only
def program(program_id: str) -> str:
    with pipeline.unit(write=False) as service:
        page = dashboard.program_page(service, program_id, _days())
        report = service.access.may_read_evaluation_analysis(program_id)
        found = dashboard.program_changes(service, program_id, _language()) if report else []
    return render_template("program.html", page=page, report=report, changes=found,
                           sessions_chart=charts.month_bars(page.activity, "sessions"),
                           hours_chart=charts.month_bars(page.activity, "hours"),
                           outcome_charts=charts.change_panels(found))


@blp.get("/dashboard/reach")
@signed_in_only
def reach() -> str:
    with pipeline.unit(write=False) as service:
        found = dashboard.reach(service)
    disciplines = sorted({d for c in found.mentees.values() for d in c})
    present = {s for c in found.sites.values() for s in c}
    settlements = [s for s in charts.SETTLEMENT_COLOURS if s in present]
    return render_template("reach.html", reach=found, settlements=settlements,
                           disciplines=disciplines)


@blp.get("/dashboard/reach-<table>.csv")
@signed_in_only
def reach_table_csv(table: str) -> Response:
    if table not in ("sites", "mentees"):
        return Response(status=404)
    with pipeline.unit(write=False) as service:
        found = dashboard.reach(service)
    counts = found.sites if table == "sites" else found.mentees
    column = "settlement" if table == "sites" else "discipline"
    rows = [(country, key, n) for country, c in counts.items() for key, n in sorted(c.items())]
    return exports.csv_response(f"reach-{table}.csv", ("country", column, "count"), rows)


@blp.get("/dashboard/cases")
@signed_in_only
def cases() -> str:
    with pipeline.unit(write=False) as service:
        found = dashboard.cases(service, _days())
    return render_template("cases.html", cases=found)


@blp.get("/dashboard/cases.csv")
@signed_in_only
def cases_csv() -> Response:
    with pipeline.unit(write=False) as service:
        found = dashboard.cases(service, _days())
    kinds = ("presentations", "follow-ups", "recommendations")
    rows = [(month, *(c[k] for k in kinds)) for month, c in (found.months if found else {}).items()]
    return exports.csv_response("cases.csv", ("month", *kinds), rows)


@blp.get("/dashboard/hubs")
@signed_in_only
def hubs() -> str:
    with pipeline.unit(write=False) as service:
        found, complete = dashboard.hubs(service)
    return render_template("hubs.html", hubs=found, complete=complete)


@blp.get("/dashboard/hubs/<hub_id>")
@signed_in_only
def hub(hub_id: str) -> str:
    with pipeline.unit(write=False) as service:
        page = dashboard.hub_page(service, hub_id, _days())
    return render_template("hub.html", page=page,
                           sessions_chart=charts.month_bars(page.activity, "sessions"))


# ---- outcomes and peers ----------------------------------------------------------------------


def _language() -> str:
    return str(get_locale() or "en")


def _outcomes() -> tuple[str, list[dashboard.Change] | None, bool,
                                           list[dashboard.ReleasedFigure] | None]:
    """The caller's program changes (None when the role reads no analysis) and the released
    outcome figures of ``period`` (None when the role reads no MeasureReport); 403 when
    neither."""
    role = pipeline.caller().role
    if not dashboard.reads_outcomes(role):
        raise Forbidden(f"The {role} role may not read evaluation results or outcomes")
    with pipeline.unit(write=False) as service:
        period = _released_period(service)
        found, complete = (dashboard.changes(service, _language())
                           if dashboard.reads_analyses(role) else (None, True))
        released = (dashboard.released_figures(outcomes_service(service).released(period))
                    if dashboard.role_reads(role, "MeasureReport") else None)
    return period, found, complete, released


def _released_period(service: FhirService) -> str:
    """``?period=``, else the latest period with released outcomes, else the last full
    month."""
    asked = _period()
    if asked is not None:
        return asked.code
    latest = dashboard.latest_released_period(service)
    if latest is not None:
        return latest
    first = date.today().replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@blp.get("/dashboard/outcomes")
@signed_in_only
def outcomes() -> str:
    period, found, complete, released = _outcomes()
    return render_template("outcomes.html", changes=found, complete=complete,
                           released=released, period=period,
                           charts=charts.change_panels(found or []))


@blp.get("/dashboard/outcomes-<kind>.svg")
@signed_in_only
def outcomes_svg(kind: str) -> Response:
    if kind not in dashboard.CHANGE_KINDS:
        return Response(status=404)
    _period_code, found, _complete, _released = _outcomes()
    mine = [c for c in found or [] if c.kind == kind]
    return exports.svg_response(f"outcomes-{kind}.svg", charts.change_intervals(mine, kind).svg)


@blp.get("/dashboard/outcomes-<table>.csv")
@signed_in_only
def outcomes_csv(table: str) -> Response:
    if table not in ("changes", "released"):
        return Response(status=404)
    period, found, _complete, released = _outcomes()
    if table == "changes":
        header = ("program", "name", "kind", "instrument", "n", "mean_pre", "mean_post",
                  "mean_change", "ci_low", "ci_high")
        return exports.csv_response("outcomes-changes.csv", header, [
            (c.program, c.name, c.kind, c.instrument, c.n, c.mean_pre, c.mean_post,
             c.mean_change, _blank(c.low), _blank(c.high)) for c in found or []])
    return exports.csv_response(f"outcomes-released-{period}.csv",
                                ("period", "indicator", "subject", "stratum", "value"), [
        (period, r.indicator, r.subject, r.stratum,
         "masked" if r.value is None else r.value) for r in released or []])


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


@blp.get("/dashboard/peers")
@signed_in_only
def peers() -> str:
    with pipeline.unit(write=False) as service:
        found = dashboard.peer_list(service)
    return render_template("peers.html", peers=found)


@blp.get("/dashboard/programs/<program_id>/evaluation-report")
@signed_in_only
def evaluation_report(program_id: str) -> Response:
    """``$evaluation-report`` for the signed-in person: the API's operation wants a bearer
    token, the browser holds the session cookie; the same service and policy answer both."""
    fmt = request.args.get("format", "pdf")
    with pipeline.unit(write=False) as service:
        document = program_report(service, program_id, None, fmt,
                                  request.args.get("lang") or str(get_locale() or "en"))
    response = Response(document, content_type=REPORT_TYPES[fmt])
    response.headers["Cache-Control"] = "private, no-store"
    if fmt == "pdf":
        response.headers["Content-Disposition"] = (
            f'attachment; filename="evaluation-report-{program_id}.pdf"')
    return response
