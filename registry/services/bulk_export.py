"""FHIR Bulk Data export (system level): NDJSON files of what the caller may export.

The policy's ``export`` column decides what each role reaches (network-admin everything,
national-program its country's directory, everyone else nothing), as SQL, so a file never holds
a resource outside the caller's reach. The export runs when it is kicked off — a registry's
directory is small enough — and is then served through the asynchronous Bulk Data pattern
(202 + status URL, manifest, file downloads), so standard clients work unchanged. A job belongs
to the token that started it; another token sees it as absent.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.errors import Forbidden, InvalidRequest, NotFound
from registry.services import policy
from registry.services.caller import Caller
from registry.services.node import Node
from registry.storage import exports
from registry.storage.database import Connection
from registry.storage.values import date_range, instant

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")


@dataclass(frozen=True)
class ExportRequest:
    types: tuple[str, ...]
    since: int | None
    url: str


def parse_export(params: Mapping[str, list[str]], node: Node, subject: policy.Subject,
                 url: str) -> ExportRequest:
    """Types (default: all the caller may export), ``_since``; 403 for a type out of reach."""
    fmt = (params.get("_outputFormat") or [NDJSON])[-1]
    if fmt not in OUTPUT_FORMATS:
        raise InvalidRequest(f"_outputFormat {fmt!r} is not supported; use {NDJSON}",
                             "_outputFormat")
    asked = [t for v in params.get("_type", []) for t in v.split(",") if t]
    for res_type in asked:
        if not node.supports(res_type):
            raise InvalidRequest(f"Unknown resource type in _type: {res_type}", "_type")
        if policy.scope(subject, "export", res_type) is policy.NONE:
            raise Forbidden(f"The {subject.role} role may not export {res_type}")
    types = asked or [t for t in node.resource_types
                      if policy.scope(subject, "export", t) is not policy.NONE]
    if not types:
        raise Forbidden(f"The {subject.role} role may not use bulk export")
    since = None
    if params.get("_since"):
        span = date_range(params["_since"][-1])
        if span is None:
            raise InvalidRequest("_since must be a FHIR instant", "_since")
        since = span[0]
    return ExportRequest(tuple(types), since, url)


def run_export(conn: Connection, subject: policy.Subject, caller: Caller, request: ExportRequest,
               directory: Path, base_url: str) -> str:
    """Write one NDJSON file per type with rows the caller may export; returns the job id."""
    job = secrets.token_hex(16)
    folder = directory / job
    folder.mkdir(parents=True)
    stamp = exports.latest_change(conn)
    output = []
    for res_type in request.types:
        count = _write_type(conn, subject, res_type, request.since, folder / f"{res_type}.ndjson")
        if count:
            output.append({"type": res_type, "count": count,
                           "url": f"{base_url}/$export-file/{job}/{res_type}.ndjson"})
        else:
            (folder / f"{res_type}.ndjson").unlink()
    manifest = {"transactionTime": instant(stamp), "request": request.url,
                "requiresAccessToken": True, "output": output, "error": []}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "owner").write_text(str(caller.token_id))
    return job


def _write_type(conn: Connection, subject: policy.Subject, res_type: str, since: int | None,
                path: Path) -> int:
    count = 0
    restriction = policy.restriction(subject, "export", res_type)
    with path.open("w", encoding="utf-8") as out:
        for content in exports.exportable(conn, res_type, restriction, since):
            out.write(content + "\n")
            count += 1
    return count


def job_folder(directory: Path, job: str, caller: Caller) -> Path:
    """The job's folder, if it exists and the caller's token started it (404 otherwise)."""
    folder = directory / job
    if not (len(job) == 32 and job.isalnum()) or not (folder / "owner").is_file():
        raise NotFound(f"No export job {job}")
    if (folder / "owner").read_text() != str(caller.token_id):
        raise NotFound(f"No export job {job}")
    return folder


def manifest(directory: Path, job: str, caller: Caller) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        (job_folder(directory, job, caller) / "manifest.json").read_text())
    return found


def export_file(directory: Path, job: str, name: str, caller: Caller) -> Path:
    path = job_folder(directory, job, caller) / name
    if not name.endswith(".ndjson") or "/" in name or not path.is_file():
        raise NotFound(f"No file {name} in export job {job}")
    return path


def delete_job(directory: Path, job: str, caller: Caller) -> None:
    folder = job_folder(directory, job, caller)
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()
