"""Every request the API suite sends to qnlive and the answer it got, kept for the check of the
API description (test_openapi.py, which runs last).

An answer is qnlive's when it carries X-Reqid; calls to the fakes are left out. Only what the
check needs is kept: method, decoded path, request JSON (when the body was JSON), status and
answer JSON.
"""
import json
from urllib.parse import unquote, urlsplit

import requests

RECORDED = []
PER_KEY = 20  # answers kept per method, path and status: load tests send thousands alike
_kept = {}
_real_send = requests.Session.send


def _json_or_none(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _recording_send(self, request, **kw):
    resp = _real_send(self, request, **kw)
    if "X-Reqid" in resp.headers and not kw.get("stream"):
        key = (request.method, urlsplit(request.url).path, resp.status_code)
        _kept[key] = _kept.get(key, 0) + 1
        if _kept[key] > PER_KEY:
            return resp
        RECORDED.append({
            "method": request.method,
            "path": unquote(urlsplit(request.url).path),
            "request": _json_or_none(request.body),
            "status": resp.status_code,
            "content_type": resp.headers.get("Content-Type", ""),
            "answer": _json_or_none(resp.content),
        })
    return resp


def start_recording():
    requests.Session.send = _recording_send
