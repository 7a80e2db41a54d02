"""GET /openapi.json: the description of every route, made from the router.

Runs last (conftest.py): besides checking the document, it replays what every other test of the
run sent and got (exchanges.py) against the document's schemas, so the description stays true.
"""
import json
import os
import shutil
import subprocess

import pytest
import requests
from jsonschema import Draft202012Validator, RefResolver

import exchanges
from helpers import assert_error
from qnlive_server import Server

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATOR = os.path.join(os.path.dirname(HERE), "openapi", "node_modules", ".bin", "validate-api")
METHODS = ("get", "post", "put", "delete", "patch", "head", "options")


@pytest.fixture(scope="module")
def every_module(fake):
    """A server with every optional module on (gifts and their test hook, moderation), so it
    serves every described route."""
    s = Server(extra=("gift:\n  gift_addr: %s\n  test_hook: true\n"
                      "censor:\n  bucket: frames\n  addr: https://cdn.example.com\n"
                      "  endpoint: %s\n" % (fake.url("pay"), fake.url("censor"))))
    s.start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def doc(every_module):
    r = requests.get(every_module.url("/openapi.json"), timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert "X-Reqid" in r.headers
    return r.json()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def test_every_served_route_is_described_and_every_description_is_served(doc):
    undescribed = sorted("%s %s" % (m.upper(), p) for m, p, op in operations(doc)
                         if op.get("x-undescribed"))
    assert undescribed == []
    assert doc["x-unserved"] == []


def test_the_client_spellings_and_auth_schemes_are_there(doc):
    paths = doc["paths"]
    # the iOS SDK's spelling of a user lookup, and Android's room routes without /client
    assert "/client/user/{id}" in paths and "/client/user/user/{id}" in paths
    assert paths["/client/live/room/info/{live_id}"]["get"]["security"] == [{"clientJwt": []}]
    assert paths["/server/auth/token"]["get"]["security"] == [{"qiniuMac": []}]
    assert paths["/admin/censor/config"]["get"]["security"] == [{"adminJwt": []}]
    assert paths["/status"]["get"]["security"] == []
    schemes = doc["components"]["securitySchemes"]
    assert {"clientJwt", "qiniuMac", "adminJwt"} <= set(schemes)
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))


@pytest.mark.skipif(not os.path.exists(VALIDATOR) or not shutil.which("node"),
                    reason="the OpenAPI validator is installed by scripts/test.sh (npm ci)")
def test_the_document_is_valid_openapi_3_1(doc, tmp_path):
    f = tmp_path / "openapi.json"
    f.write_text(json.dumps(doc))
    out = subprocess.run([VALIDATOR, str(f)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["valid"] is True


def test_a_document_is_not_wrapped_in_the_envelope_but_its_failures_would_be(server):
    r = requests.post(server.url("/openapi.json"), timeout=10)
    assert_error(r, 404, 404)


def match(doc, method, path):
    """The operation the server's router would pick (static segments beat parameters)."""
    segs = [s for s in path.split("/") if s]
    best, best_score = None, -1
    for tmpl, item in doc["paths"].items():
        op = item.get(method.lower())
        t = [s for s in tmpl.split("/") if s]
        if op is None or len(t) != len(segs):
            continue
        score = 0
        for a, b in zip(t, segs):
            score <<= 1
            if a.startswith("{"):
                continue
            if a != b:
                break
            score |= 1
        else:
            if score > best_score:
                best, best_score = (tmpl, op), score
    return best


def validator(doc, schema):
    return Draft202012Validator(schema, resolver=RefResolver("", doc))


def is_unserved(ex):
    """The router's own 404: a test's server left the route's module off (no gift or censor
    section), so the route was not served there."""
    a = ex["answer"]
    return (ex["status"] == 404 and isinstance(a, dict) and a.get("code") == 404 and
            a.get("message") == "404 page not found")


def check_exchange(doc, ex):
    """What is wrong with one exchange, or None."""
    found = match(doc, ex["method"], ex["path"])
    if not found or is_unserved(ex):
        return None if ex["status"] == 404 else "no operation for it"
    tmpl, op = found
    resp = op["responses"].get(str(ex["status"]))
    if resp is None:
        return "status %d not described" % ex["status"]
    schema = resp.get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        if ex["answer"] is None:
            return "answer is not JSON"
        errs = sorted(validator(doc, schema).iter_errors(ex["answer"]), key=str)
        if errs:
            return "answer: %s at %s" % (errs[0].message, list(errs[0].absolute_path))
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    succeeded = isinstance(ex["answer"], dict) and ex["answer"].get("code") in (0, 200)
    if body is not None and succeeded and ex["request"] is not None:
        errs = sorted(validator(doc, body).iter_errors(ex["request"]), key=str)
        if errs:
            return "request: %s at %s" % (errs[0].message, list(errs[0].absolute_path))
    return None


def test_every_exchange_of_the_suite_matches_the_description(doc):
    assert exchanges.RECORDED, "nothing was recorded"
    problems = {}
    for ex in exchanges.RECORDED:
        why = check_exchange(doc, ex)
        if why:
            key = "%s %s -> %d: %s" % (ex["method"], ex["path"], ex["status"], why)
            problems.setdefault(key, ex)
    report = ["%s\n    sent %s\n    got %s" % (k, json.dumps(v["request"])[:300],
                                              json.dumps(v["answer"])[:300])
              for k, v in sorted(problems.items())]
    assert not report, "%d exchanges differ from the description:\n%s" % (
        len(report), "\n".join(report[:60]))
