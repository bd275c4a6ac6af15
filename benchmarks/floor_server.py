"""The HTTP floor: a bare Flask route that answers each request with stored bytes from memory.

It is served by the registry's own ``run_gunicorn`` (same worker class, workers, threads,
timeouts and access log), so the only difference from the registry is the registry itself:
authentication, parsing, SQL, and building the body. The bytes it returns are exactly what the
registry answered to the same request target earlier in the run.

Run as ``python -m benchmarks.floor_server --responses FILE --port N --workers W --threads T``.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

FHIR_JSON = "application/fhir+json; charset=utf-8"


def create_floor_app(responses_path: Path) -> Flask:
    """A Flask app with one route: the recorded response body for the request target."""
    with responses_path.open("rb") as handle:
        responses: dict[str, bytes] = pickle.load(handle)
    app = Flask(__name__)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def answer(path: str) -> Response:
        request.get_data()  # read the body as the registry must
        body = responses.get(request.environ.get("RAW_URI", request.full_path))
        if body is None:
            return Response(b"{}", status=404, content_type=FHIR_JSON)
        return Response(body, status=200, content_type=FHIR_JSON)

    return app


def serve(responses: Path, *, host: str, port: int, workers: int, threads: int) -> None:
    """Run the floor app through the registry's gunicorn configuration, unchanged."""
    from registry import server

    class FloorGunicorn(server._Gunicorn):  # the registry's options; only the app differs
        def load(self) -> Any:
            return create_floor_app(responses)

    server._Gunicorn = FloorGunicorn  # type: ignore[misc]
    server.run_gunicorn(host=host, port=port, workers=workers, threads=threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    serve(args.responses, host=args.host, port=args.port, workers=args.workers,
          threads=args.threads)


if __name__ == "__main__":
    main()
