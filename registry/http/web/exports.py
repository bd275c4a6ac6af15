"""The files behind each chart: its table as CSV and the chart itself as SVG."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
                 ) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return _download(out.getvalue(), "text/csv; charset=utf-8", filename)


def svg_response(filename: str, svg: str) -> Response:
    return _download(svg, "image/svg+xml", filename)


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
