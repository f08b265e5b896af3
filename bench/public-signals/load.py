"""Sequential POST and GET of public signals over one keep-alive connection
to 127.0.0.1; prints latency percentiles and writes them as JSON.

    python3 load.py URL REQUESTS RESULT.json
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

WARM_UP = 20


def body(n):
    return json.dumps({
        "text": f"Naast de container ligt een grote berg afval ({n}).",
        "category": {"sub_category": "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"},
        "reporter": {"email": "melder@example.com", "phone": "0612345678", "sharing_allowed": False},
        "location": {
            "address": {"openbare_ruimte": "Amstel", "huisnummer": "1", "postcode": "1011PN",
                        "woonplaats": "Amsterdam"},
            "geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
        },
        "incident_date_start": "2026-12-01T10:15:30+01:00",
        "extra_properties": [{"id": "extra_container_kind", "label": "Soort container",
                              "answer": {"id": "rest", "label": "Restafval"},
                              "category_url": "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"}],
    })


def timed(conn, method, path, payload=None):
    headers = {"Content-Type": "application/json"} if payload else {}
    started = time.perf_counter()
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    return response.status, data, elapsed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(name, latencies, wall):
    return {
        "request": name,
        "n": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.mean(latencies), 2),
        "req_per_s": round(len(latencies) / wall, 1),
    }


def main():
    url, requests, result = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    parts = urllib.parse.urlsplit(url)
    if parts.hostname != "127.0.0.1":
        sys.exit("only 127.0.0.1")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    path = "/signals/v1/public/signals/"
    uuids = []
    for n in range(WARM_UP):
        status, data, _ = timed(conn, "POST", path, body(n))
        if status != 201:
            sys.exit(f"warm-up POST answered {status}: {data[:300]!r}")
    posts = []
    started = time.perf_counter()
    for n in range(requests):
        status, data, elapsed = timed(conn, "POST", path, body(n))
        if status != 201:
            sys.exit(f"POST answered {status}: {data[:300]!r}")
        uuids.append(json.loads(data)["signal_id"])
        posts.append(elapsed)
    post_wall = time.perf_counter() - started
    gets = []
    started = time.perf_counter()
    for uuid in uuids:
        status, data, elapsed = timed(conn, "GET", f"{path}{uuid}")
        if status != 200:
            sys.exit(f"GET answered {status}: {data[:300]!r}")
        gets.append(elapsed)
    get_wall = time.perf_counter() - started
    rows = [summary("POST /signals/v1/public/signals/", posts, post_wall),
            summary("GET /signals/v1/public/signals/{uuid}", gets, get_wall)]
    with open(result, "w") as f:
        json.dump(rows, f, indent=2)
    print("| request | n | p50 ms | p90 ms | p99 ms | max ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['request']} | {r['n']} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['req_per_s']} |")


if __name__ == "__main__":
    main()
