#!/usr/bin/env python3
"""Writes the benchmark plans for bench/lambda/runtime.py: API Gateway HTTP
API (payload v2) events for the private list and detail and the public
create, against a database seeded by seed.sql.

    scenarios.py OUT_DIR DATABASE_URL SUPERUSER_TOKEN DEPARTMENT_TOKEN MAX_ID REQUESTS
"""

import json
import os
import random
import sys

out_dir, database_url, superuser, department, max_id, requests = sys.argv[1:7]
max_id, requests = int(max_id), int(requests)
random.seed(42)

base_env = {k: os.environ[k] for k in os.environ if k.startswith(("OIDC_", "AWS_", "S3_")) and k != "OIDC_DEV_SIGNING_KEY"}
base_env.update({"DATABASE_URL": database_url, "RUST_LOG": "warn", "DATABASE_POOL_SIZE": "2"})


def event(method, path, query="", token=None, body=None):
    headers = {
        "accept": "application/json",
        "host": "api.example.org",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-forwarded-for": "192.0.2.10",
    }
    if token:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
    params = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        params[key] = value if key not in params else params[key] + "," + value
    e = {
        "version": "2.0",
        "routeKey": f"ANY {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.example.org",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "bench"},
            "requestId": "bench",
            "routeKey": f"ANY {path}",
            "stage": "$default",
            "time": "01/Dec/2026:18:00:00 +0000",
            "timeEpoch": 1796148000000,
        },
        "isBase64Encoded": False,
    }
    if params:
        e["queryStringParameters"] = params
    if body is not None:
        e["body"] = json.dumps(body)
    return e


ids = [random.randint(1, max_id) for _ in range(200)]
pages = [random.randint(1, 40) for _ in range(50)]
private = {
    "env": base_env,
    "warmup": 30,
    "scenarios": [
        {"name": "detail (superuser)", "requests": requests,
         "events": [event("GET", f"/signals/v1/private/signals/{i}", token=superuser) for i in ids]},
        {"name": "detail (department)", "requests": requests, "expect": [200, 403],
         "events": [event("GET", f"/signals/v1/private/signals/{i}", token=department) for i in ids]},
        {"name": "list 50 (superuser)", "requests": requests,
         "events": [event("GET", "/signals/v1/private/signals/", f"page={p}&page_size=50", token=superuser) for p in pages]},
        {"name": "list 50 (department)", "requests": requests,
         "events": [event("GET", "/signals/v1/private/signals/", f"page={p}&page_size=50", token=department) for p in pages]},
        # The back office opens on page 1: the same list without the deep
        # pages' walk past the signals a department does not see.
        {"name": "list 50 (department, page 1)", "requests": requests,
         "events": [event("GET", "/signals/v1/private/signals/", "page=1&page_size=50", token=department)]},
        {"name": "list 50 filtered", "requests": requests,
         "events": [event("GET", "/signals/v1/private/signals/",
                          f"page={1 + p % 5}&page_size=50&status=m&status=b&priority=normal&ordering=-created_at", token=superuser)
                    for p in pages]},
    ],
}
create_body = {
    "text": "Er ligt grofvuil naast de container bij de ingang.",
    "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                 "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN", "woonplaats": "Amsterdam"}},
    "category": {"sub_category": "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"},
    "reporter": {"email": "melder@example.com", "sharing_allowed": False},
    "incident_date_start": "2026-11-30T09:30:00+01:00",
}
public = {
    "env": dict(base_env, PUBLIC_THROTTLE_RATE="none"),
    "warmup": 20,
    "scenarios": [
        {"name": "create (public)", "requests": requests, "expect": [201],
         "events": [event("POST", "/signals/v1/public/signals/", body=create_body)]},
    ],
}
with open(os.path.join(out_dir, "private-signals.json"), "w") as f:
    json.dump(private, f)
with open(os.path.join(out_dir, "public-signals.json"), "w") as f:
    json.dump(public, f)
