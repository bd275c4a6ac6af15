"""SMART Backend Services for pullers: the discovery document and the token endpoint.

Both are public (a puller has no token yet) and pass the one request pipeline like every
other request: charged to the client's address, protective headers added after. The token
endpoint answers OAuth's JSON (RFC 6749 section 5), not an OperationOutcome: that is what a
SMART client reads.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from registry.http import pipeline
from registry.services.caller import Caller
from registry.services.federation import smart
from registry.services.federation.assertions import Refusal
from registry.services.federation.trust import issue_token
from registry.services.unit import unit_of_work

blp = Blueprint("smart", __name__)
TOKEN_ENDPOINT = Caller(name="token-endpoint", role="peer")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@blp.get("/fhir" + smart.CONFIGURATION_PATH)
@blp.get(smart.CONFIGURATION_PATH)
def configuration() -> Response:
    return jsonify(smart.smart_configuration(pipeline.base_url()))


@blp.post(smart.TOKEN_PATH)
def token() -> tuple[Response, int, dict[str, str]]:
    form = {key: request.form.get(key, "") for key in request.form}
    with unit_of_work(pipeline.database(), pipeline.node(), TOKEN_ENDPOINT, pipeline.trail(),
                      pipeline.base_url(), write=True) as service:
        result = issue_token(service.ctx, form, request.remote_addr)
    if isinstance(result, Refusal):
        headers = {**NO_STORE, "WWW-Authenticate": 'Bearer realm="registry"'} \
            if result.status == 401 else NO_STORE
        return jsonify(smart.token_error(result)), result.status, headers
    return jsonify(smart.token_response(result.access_token, result.scopes)), 200, NO_STORE
