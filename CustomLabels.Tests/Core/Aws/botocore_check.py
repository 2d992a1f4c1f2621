"""Checks HTTP requests made by the product's hand-written AWS clients against botocore's service models.

Reads one JSON request per line on stdin: {"service", "operation", "method", "path", "headers", "body"}
(path with its query string, body as text). For each, it rebuilds the operation's parameters from the request
by the model's protocol, validates them against the operation's input shape (required members, unknown members,
types), serialises the same parameters with botocore and compares method, path, query, target header, content type
and body. Writes one JSON line back: {"ok": bool, "errors": [...], "botocore": {...}}.

Uses the botocore that Debian's awscli package ships (awscli.botocore), or a standalone botocore.
"""
import base64
import json
import sys
import urllib.parse

try:
    from awscli.botocore import auth, awsrequest, credentials, session as bc_session, serialize, validate
    SOURCE = "awscli.botocore"
except ImportError:  # a standalone botocore
    from botocore import auth, awsrequest, credentials, session as bc_session, serialize, validate
    SOURCE = "botocore"

SESSION = bc_session.get_session()
MODELS = {}


def model(service):
    if service not in MODELS:
        MODELS[service] = SESSION.get_service_model(service)
    return MODELS[service]


def decode(shape, value):
    """Turns wire values back into the Python values botocore's validator expects."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            out[key] = decode(member, item) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [decode(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: decode(shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind in ("integer", "long") and isinstance(value, str):
        return int(value)
    if kind == "boolean" and isinstance(value, str):
        return value == "true"
    if kind in ("float", "double") and isinstance(value, str):
        return float(value)
    return value


def uri_params(template, path):
    """Matches /human-loops/{HumanLoopName} against a concrete path."""
    t_parts = template.split("?")[0].strip("/").split("/")
    p_parts = path.strip("/").split("/")
    if len(t_parts) != len(p_parts):
        return None
    found = {}
    for t, p in zip(t_parts, p_parts):
        if t.startswith("{") and t.endswith("}"):
            found[t[1:-1].rstrip("+")] = urllib.parse.unquote(p)
        elif t != p:
            return None
    return found


def query_form_params(shape, form, prefix=""):
    """Rebuilds Query-protocol parameters (scalars and entry.N maps) from a flat form."""
    out = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        if member.type_name == "map":
            entries = {}
            n = 1
            while f"{key}.entry.{n}.Name" in form or f"{key}.entry.{n}.key" in form:
                k = form.get(f"{key}.entry.{n}.Name", form.get(f"{key}.entry.{n}.key"))
                value_prefix = f"{key}.entry.{n}.Value." if f"{key}.entry.{n}.Name" in form else f"{key}.entry.{n}.value."
                entries[k] = query_form_params(member.value, form, value_prefix)
                n += 1
            if entries:
                out[name] = entries
        elif key in form:
            out[name] = decode(member, form[key])
    return out


def check(req):
    errors = []
    service_model = model(req["service"])
    protocol = service_model.metadata["protocol"]
    try:
        op = service_model.operation_model(req["operation"])
    except Exception as e:  # noqa: BLE001 - any lookup failure is a failed check
        return {"ok": False, "errors": [f"no operation {req['operation']}: {e}"]}
    headers = {k.lower(): v for k, v in req.get("headers", {}).items()}
    split = urllib.parse.urlsplit(req["path"])
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    body = req.get("body") or ""
    shape = op.input_shape

    if protocol == "json":
        target = f"{service_model.metadata['targetPrefix']}.{op.name}"
        if headers.get("x-amz-target") != target:
            errors.append(f"X-Amz-Target is {headers.get('x-amz-target')!r}, the model says {target!r}")
        content_type = f"application/x-amz-json-{service_model.metadata['jsonVersion']}"
        if headers.get("content-type", "").split(";")[0] != content_type:
            errors.append(f"Content-Type is {headers.get('content-type')!r}, the model says {content_type!r}")
        if req["method"] != "POST" or split.path != "/":
            errors.append(f"{req['method']} {split.path}: the JSON protocol posts to /")
        params = decode(shape, json.loads(body or "{}"))
    elif protocol == "rest-json":
        http = op.http
        if req["method"] != http["method"]:
            errors.append(f"method is {req['method']}, the model says {http['method']}")
        params = uri_params(http["requestUri"], split.path)
        if params is None:
            errors.append(f"path {split.path} does not match {http['requestUri']}")
            params = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "querystring" and wire in query:
                params[name] = decode(member, query[wire][0])
        if body.strip():
            params.update(decode(shape, json.loads(body)))
        known = {m.serialization.get("name", n) for n, m in shape.members.items() if m.serialization.get("location") == "querystring"}
        for wire in query:
            if wire not in known:
                errors.append(f"query parameter {wire} is not in the model")
    elif protocol == "query":
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        if form.get("Action") != op.name:
            errors.append(f"Action is {form.get('Action')!r}, expected {op.name!r}")
        if form.get("Version") != service_model.api_version:
            errors.append(f"Version is {form.get('Version')!r}, the model says {service_model.api_version!r}")
        params = query_form_params(shape, form)
    else:
        return {"ok": False, "errors": [f"protocol {protocol} is not checked"]}

    report = validate.ParamValidator().validate(params or {}, shape) if shape is not None else None
    if report is not None and report.has_errors():
        errors.append(report.generate_report())

    expected = {}
    if not errors:
        serialized = serialize.create_serializer(protocol, include_validation=False).serialize_to_request(params or {}, op)
        expected_body = serialized["body"]
        if isinstance(expected_body, bytes):
            expected_body = expected_body.decode("utf-8")
        expected = {
            "method": serialized["method"],
            "url_path": serialized["url_path"],
            "query": serialized["query_string"],
            "headers": {k: v for k, v in serialized["headers"].items()},
            "body": expected_body if isinstance(expected_body, str) else expected_body,
        }
        if serialized["method"] != req["method"]:
            errors.append(f"botocore sends {serialized['method']}, the client {req['method']}")
        if urllib.parse.unquote(serialized["url_path"]) != urllib.parse.unquote(split.path):
            errors.append(f"botocore's path is {serialized['url_path']}, the client's {split.path}")
        if protocol == "rest-json":
            mine = {k: v[0] for k, v in query.items()}
            theirs = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (serialized["query_string"] or {}).items()}
            if mine != theirs:
                errors.append(f"botocore's query is {theirs}, the client's {mine}")
        if protocol in ("json", "rest-json"):
            theirs_body = json.loads(expected_body) if isinstance(expected_body, str) and expected_body.strip() else {}
            mine_body = json.loads(body) if body.strip() else {}
            if theirs_body != mine_body:
                errors.append(f"botocore's body is {theirs_body}, the client's {mine_body}")
            for name in ("X-Amz-Target", "Content-Type"):
                if name in serialized["headers"] and serialized["headers"][name] != headers.get(name.lower()):
                    errors.append(f"botocore's {name} is {serialized['headers'][name]!r}, the client's {headers.get(name.lower())!r}")
        if protocol == "query":
            theirs_form = expected_body if isinstance(expected_body, dict) else {k: v[0] for k, v in urllib.parse.parse_qs(expected_body).items()}
            theirs_form = {k: str(v) for k, v in theirs_form.items()}
            mine_form = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
            if theirs_form != mine_form:
                errors.append(f"botocore's form is {theirs_form}, the client's {mine_form}")
    return {"ok": not errors, "errors": errors, "botocore": expected}


def sign(req):
    """Computes botocore's SigV4 signature of a captured request, signing the headers the request says it signed."""
    authorization = req["headers"].get("Authorization") or req["headers"].get("authorization")
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {k: v for k, v in req["headers"].items() if k.lower() in signed}
    request = awsrequest.AWSRequest(method=req["method"], url=req["url"], headers=headers, data=(req.get("body") or "").encode("utf-8"))
    signer = auth.SigV4Auth(credentials.Credentials(req["access_key"], req["secret_key"], req.get("token")), req["service"], req["region"])
    request.context["timestamp"] = headers.get("X-Amz-Date") or headers.get("x-amz-date")
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    return {"ok": True, "errors": [], "signature": signer.signature(string_to_sign, request), "canonical": canonical}


def main():
    print(json.dumps({"ready": True, "source": SOURCE}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
            if parsed.get("enum"):
                result = {"ok": True, "errors": [], "values": list(model(parsed["service"]).shape_for(parsed["enum"]).enum)}
            else:
                result = sign(parsed) if parsed.get("sign") else check(parsed)
        except Exception as e:  # noqa: BLE001 - report, keep serving
            result = {"ok": False, "errors": [f"checker failed: {type(e).__name__}: {e}"]}
        print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
