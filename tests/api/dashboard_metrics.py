"""The PromQL expressions of the Grafana dashboard (deploy/grafana/dashboards/qnlive.json) and the
metric names they use. Shared by the API suite and deploy/test.sh."""
import json
import os
import re

DASHBOARD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "deploy", "grafana", "dashboards", "qnlive.json")

# qnlive exports only these two prefixes; every expression must use at least one such name,
# so a query on some other exporter's metric cannot slip past the check.
NAME = re.compile(r"\b((?:qnlive|process)_[a-zA-Z0-9_]+)\b")


def panels(node):
    for p in node.get("panels", []):
        yield p
        yield from panels(p)


def expressions(path=DASHBOARD):
    with open(path) as f:
        dash = json.load(f)
    return [t["expr"] for p in panels(dash) for t in p.get("targets", []) if "expr" in t]


def metric_names(expr):
    # label values are strings: drop them so a quoted value is never taken for a metric
    return set(NAME.findall(re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)))


def exposed_names(text):
    """Sample names of a Prometheus text exposition."""
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def missing(exprs, exported):
    """(expression, problem) for every expression naming no qnlive metric or an unknown one."""
    out = []
    for e in exprs:
        names = metric_names(e)
        if not names:
            out.append((e, "names no qnlive metric"))
        for n in sorted(names - set(exported)):
            out.append((e, "unknown metric " + n))
    return out
