#!/usr/bin/env python3
"""A minimal AWS Lambda Runtime API on 127.0.0.1, to measure a function the
way Lambda runs it: the release binary is started as Lambda starts
`bootstrap`, gets its invocations from `GET /runtime/invocation/next` and
posts its answers back. No HTTP server of the function's own is in the path,
so the latency is the handler's (event decoding, routing, queries, response
encoding) plus one local round trip of this emulator.

    runtime.py BINARY SCENARIOS.json RESULT.json

SCENARIOS.json: {"env": {...}, "warmup": N, "scenarios": [{"name": ...,
"requests": N, "events": [event, ...], "expect": [status, ...]}, ...]}; the
events of a scenario are sent in turn, sequentially, cycling.

Measured:
  init_ms   process start (fork/exec) → its first `next` request, i.e. the
            function's static initialisation (runtime, pool, config, …);
            median of `--starts` fresh processes (default 5), each on the
            same machine state;
  per scenario: p50/p99/mean latency (event handed out → response posted),
            requests/s (sequential), statuses seen, and the function's own
            CPU time (user + system, all threads) per request — far less
            sensitive than latency to what else the machine runs;
  rss_peak_kb  VmHWM of the process after all scenarios.
Standard library only. Bounded: every scenario has its request count, and
every wait a timeout.
"""

import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
WAIT_S = 30


class Runtime:
    def __init__(self):
        self.pending = queue.Queue()
        self.answers = {}
        self.answered = threading.Condition()
        self.first_next = None
        self.first_next_seen = threading.Event()

    def handed_out(self):
        return self.pending.get(timeout=WAIT_S * 10)


def make_handler(runtime):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != f"{PREFIX}/invocation/next":
                return self._reply(404)
            if runtime.first_next is None:
                runtime.first_next = time.perf_counter()
                runtime.first_next_seen.set()
            request_id, event = runtime.pending.get()
            with runtime.answered:
                runtime.answers[request_id] = {"sent": time.perf_counter()}
            body = json.dumps(event).encode()
            deadline = int((time.time() + 30) * 1000)
            self._reply(
                200,
                body,
                {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:000000000000:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                },
            )

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = self.path[len(PREFIX):].strip("/").split("/")
            if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                now = time.perf_counter()
                with runtime.answered:
                    entry = runtime.answers.setdefault(parts[1], {})
                    entry["done"] = now
                    entry["kind"] = parts[2]
                    entry["body"] = body
                    runtime.answered.notify_all()
                return self._reply(202, b"{}")
            if parts[:2] == ["init", "error"]:
                sys.stderr.write("init error: " + body.decode(errors="replace") + "\n")
                return self._reply(202, b"{}")
            return self._reply(404)

    return Handler


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A function stopped between starts drops its open long poll for
        # the next event: expected, not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start(binary, env, runtime):
    server = Server(("127.0.0.1", 0), make_handler(runtime))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    full_env = dict(os.environ)
    full_env.update(env)
    full_env.update(
        {
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        }
    )
    started = time.perf_counter()
    process = subprocess.Popen([binary], env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return server, process, started


def invoke(runtime, event):
    request_id = str(uuid.uuid4())
    runtime.pending.put((request_id, event))
    with runtime.answered:
        ok = runtime.answered.wait_for(lambda: "done" in runtime.answers.get(request_id, {}), timeout=WAIT_S)
        if not ok:
            raise SystemExit(f"no answer within {WAIT_S} s")
        entry = runtime.answers.pop(request_id)
    if entry["kind"] == "error":
        raise SystemExit("handler error: " + entry["body"].decode(errors="replace"))
    response = json.loads(entry["body"])
    return entry["done"] - entry["sent"], response.get("statusCode")


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def cpu_seconds(pid):
    """User + system CPU time of the process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(server, process):
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    server.shutdown()


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def main():
    binary, scenarios_path, result_path = sys.argv[1:4]
    starts = int(os.environ.get("BENCH_STARTS", "5"))
    with open(scenarios_path) as f:
        plan = json.load(f)
    env = {k: str(v) for k, v in plan.get("env", {}).items()}

    inits = []
    for _ in range(starts):
        runtime = Runtime()
        server, process, started = start(binary, env, runtime)
        if not runtime.first_next_seen.wait(timeout=WAIT_S):
            stop(server, process)
            raise SystemExit("the function never asked for an invocation:\n" + process.stderr.read1(8192).decode(errors="replace"))
        inits.append((runtime.first_next - started) * 1000)
        stop(server, process)

    runtime = Runtime()
    server, process, _ = start(binary, env, runtime)
    results = {"binary": os.path.basename(binary), "init_ms": {"median": statistics.median(inits), "all": inits}, "scenarios": []}
    try:
        first = plan["scenarios"][0]["events"][0]
        for _ in range(plan.get("warmup", 20)):
            invoke(runtime, first)
        for scenario in plan["scenarios"]:
            events = scenario["events"]
            expect = set(scenario.get("expect", [200]))
            latencies = []
            statuses = {}
            began = time.perf_counter()
            cpu_before = cpu_seconds(process.pid)
            for i in range(scenario["requests"]):
                latency, status = invoke(runtime, events[i % len(events)])
                latencies.append(latency * 1000)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status not in expect:
                    raise SystemExit(f"{scenario['name']}: status {status}, expected {sorted(expect)}")
            elapsed = time.perf_counter() - began
            cpu = cpu_seconds(process.pid) - cpu_before
            results["scenarios"].append(
                {
                    "name": scenario["name"],
                    "requests": scenario["requests"],
                    "p50_ms": statistics.median(latencies),
                    "p99_ms": percentile(latencies, 99),
                    "mean_ms": statistics.fmean(latencies),
                    "requests_per_s": scenario["requests"] / elapsed,
                    "cpu_ms_per_request": cpu * 1000 / scenario["requests"],
                    "statuses": statuses,
                }
            )
        results["rss_peak_kb"] = peak_rss_kb(process.pid)
    finally:
        stop(server, process)

    with open(result_path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"{results['binary']}: init median {results['init_ms']['median']:.1f} ms "
          f"(of {starts} starts), peak RSS {results['rss_peak_kb'] / 1024:.1f} MB")
    print(f"{'scenario':<28} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'cpu ms':>8}")
    for s in results["scenarios"]:
        print(f"{s['name']:<28} {s['requests']:>8} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
              f"{s['requests_per_s']:>8.0f} {s['cpu_ms_per_request']:>8.2f}")


if __name__ == "__main__":
    main()
