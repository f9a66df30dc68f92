"""/api/v1/openapi.json documents every route and method under /api/v1 the app serves, and nothing it does not."""

from __future__ import annotations

import re


def _rules(app) -> list[tuple[str, str, re.Pattern]]:
    """(rule, method, a pattern for the documented path) for every route under /api/v1."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        # <int:ticket_id> in the app is {id} (or a fixed action name) in the document: any one segment.
        pattern = re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", re.escape(rule.rule[len("/api/v1") :])) + "$")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method.lower(), pattern))
    return out


def test_every_api_route_and_method_is_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    missing = [
        f"{method.upper()} {rule}"
        for rule, method, pattern in _rules(app)
        if not any(pattern.match(path) and method in ops for path, ops in paths.items())
    ]
    assert missing == []


def test_every_documented_path_is_served(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    rules = _rules(app)
    extra = [
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if not any(pattern.match(path) and method == m for _rule, m, pattern in rules)
    ]
    assert extra == []


def test_the_search_filters_and_token_revocation_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    names = {p["name"] for p in paths["/tickets"]["get"]["parameters"]}
    wanted = {"q", "phone", "number", "category", "region", "type", "channel", "urgency", "status", "department"}
    assert wanted | {"overdue", "created_from", "created_to", "page"} <= names
    assert {p["name"] for p in paths["/tickets/export.xlsx"]["get"]["parameters"]} >= wanted
    assert "delete" in paths["/auth/token"]
    assert {"post", "delete"} <= set(paths["/inbox/{id}/claim"])
    assert "/tickets/{id}/actions/reclassify" in paths
