#!/usr/bin/env python3
"""Connection flood against latchkeyd's connection caps (bench/connection_flood.sh).

  connection_flood.py run --port P [--per-client N] [--max-connections N] ...
  connection_flood.py flood --port P --source ADDR --connections N ...

`run` measures a probe client on 127.0.0.2: /healthz latency over a new
connection per request and over one kept-alive connection, first without a
flood (the baseline), then while `flood` processes on other loopback
addresses hold keep-alive connections up to and beyond the caps. `flood`
holds its connections (a GET /healthz on each every --interval seconds, under
the idle timeout) and, refused with 503, reconnects after --retry-ms.
Loopback only; standard library only.
"""
import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
PROBE_SOURCE = "127.0.0.2"


# ------------------------------------------------------------------ flood


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status, b"connection: close" in head.lower()


async def flood_slot(port, source, interval, retry):
    while True:
        writer = None
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(source, 0))
            while True:
                writer.write(REQUEST)
                status, close = await read_response(reader)
                if status != 200 or close:
                    break  # refused (503) or told to go: reconnect
                await asyncio.sleep(interval)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            if writer is not None:
                writer.close()
        await asyncio.sleep(retry)


async def flood(args):
    slots = []
    for i in range(args.connections):
        slots.append(asyncio.create_task(
            flood_slot(args.port, args.source, args.interval, args.retry_ms / 1000)))
        if i % 100 == 99:
            await asyncio.sleep(0.01)  # a ramp, not one burst of SYNs
    await asyncio.gather(*slots)


# ------------------------------------------------------------------ probe


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def exchange(s, request=REQUEST):
    """One request on socket s; returns (status, body)."""
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    length = int(m.group(1)) if m else 0
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        body += chunk
    return int(head[9:12]), body[:length]


def metrics(kept):
    """latchkey_http_* from /metrics, asked on the probe's kept-alive
    connection (at the global cap a new one would get 503)."""
    _, body = exchange(kept, b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n")
    values = {}
    for line in body.decode().splitlines():
        if line.startswith("latchkey_http_") and " " in line:
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def summary(samples, statuses):
    ms = sorted(x * 1000 for x in samples)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 3), "p90_ms": round(pick(0.9), 3),
            "p99_ms": round(pick(0.99), 3), "statuses": statuses}


def probe_new_connections(port, count, gap):
    samples, statuses = [], {}
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            s = connect(port, PROBE_SOURCE)
            status, _ = exchange(s)
            s.close()
        except OSError as e:
            status = type(e).__name__
        samples.append(time.perf_counter() - t0)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        time.sleep(gap)
    return summary(samples, statuses)


def probe_kept_alive(s, count, gap):
    samples, statuses = [], {}
    for _ in range(count):
        t0 = time.perf_counter()
        status, _ = exchange(s)
        samples.append(time.perf_counter() - t0)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        time.sleep(gap)
    return summary(samples, statuses)


def wait_for(kept, condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        m = metrics(kept)
        if condition(m):
            return m
        if time.monotonic() > deadline:
            raise SystemExit(f"connection_flood: timed out waiting for {what}: {m}")
        time.sleep(0.2)


def start_flood(args, source, connections):
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "flood", "--port", str(args.port),
         "--source", source, "--connections", str(connections), "--interval",
         str(args.interval), "--retry-ms", str(args.retry_ms)])


def run(args):
    floods = []
    try:
        kept = connect(args.port, PROBE_SOURCE)
        exchange(kept)
        probe_new_connections(args.port, 50, 0)  # warm-up
        results = {}
        results["baseline_new"] = probe_new_connections(args.port, args.probes, args.gap_ms / 1000)
        results["baseline_kept"] = probe_kept_alive(kept, args.probes, args.gap_ms / 1000)

        # Phase 1: one address floods beyond its per-client cap.
        flood_size = args.per_client + args.over
        floods.append(start_flood(args, "127.0.0.1", flood_size))
        m = wait_for(kept,
                     lambda m: m.get("latchkey_http_open_connections", 0) >= args.per_client + 1
                     and m.get("latchkey_http_connections_refused_client_full_total", 0) > 0,
                     "the per-client cap to fill")
        results["per_client_flood_new"] = probe_new_connections(args.port, args.probes,
                                                                args.gap_ms / 1000)
        results["per_client_flood_kept"] = probe_kept_alive(kept, args.probes, args.gap_ms / 1000)
        results["per_client_flood_metrics"] = metrics(kept)

        # Phase 2: more addresses fill the global cap; the probe's open
        # connection is still served, its new connections get 503.
        others = -(-(args.max_connections - args.per_client) // args.per_client)
        for i in range(others):
            floods.append(start_flood(args, f"127.0.0.{3 + i}", args.per_client + args.over))
        m = wait_for(kept,
                     lambda m: m.get("latchkey_http_open_connections", 0) >= args.max_connections
                     and m.get("latchkey_http_connections_refused_server_full_total", 0) > 0,
                     "the global cap to fill")
        results["global_flood_kept"] = probe_kept_alive(kept, args.probes, args.gap_ms / 1000)
        results["global_flood_new"] = probe_new_connections(args.port, args.probes // 4,
                                                            args.gap_ms / 1000)
        results["global_flood_metrics"] = metrics(kept)
        kept.close()
    finally:
        for p in floods:
            p.send_signal(signal.SIGTERM)
        for p in floods:
            p.wait()

    b_new, b_kept = results["baseline_new"], results["baseline_kept"]
    ratio = lambda r, b, k: round(r[k] / b[k], 2)
    results["ratios"] = {
        "per_client_new_p50": ratio(results["per_client_flood_new"], b_new, "p50_ms"),
        "per_client_new_p90": ratio(results["per_client_flood_new"], b_new, "p90_ms"),
        "per_client_kept_p50": ratio(results["per_client_flood_kept"], b_kept, "p50_ms"),
        "global_kept_p50": ratio(results["global_flood_kept"], b_kept, "p50_ms"),
        "global_kept_p90": ratio(results["global_flood_kept"], b_kept, "p90_ms"),
    }
    print(json.dumps(results, indent=2))
    ok_statuses = (results["per_client_flood_new"]["statuses"] == {"200": args.probes}
                   and results["global_flood_kept"]["statuses"] == {"200": args.probes}
                   and set(results["global_flood_new"]["statuses"]) == {"503"})
    ok_ratios = all(results["ratios"][k] <= 2.0
                    for k in ("per_client_new_p50", "per_client_kept_p50", "global_kept_p50"))
    print(f"statuses as documented: {ok_statuses}; probe p50 within 2x baseline: {ok_ratios}",
          file=sys.stderr)
    return 0 if ok_statuses and ok_ratios else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--per-client", type=int, default=1000)
    r.add_argument("--max-connections", type=int, default=3000)
    r.add_argument("--over", type=int, default=200, help="flood connections beyond each cap")
    r.add_argument("--probes", type=int, default=400)
    r.add_argument("--gap-ms", type=float, default=5)
    r.add_argument("--interval", type=float, default=5)
    r.add_argument("--retry-ms", type=float, default=100)
    f = sub.add_parser("flood")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--source", required=True)
    f.add_argument("--connections", type=int, required=True)
    f.add_argument("--interval", type=float, default=5)
    f.add_argument("--retry-ms", type=float, default=100)
    args = parser.parse_args()
    if args.command == "flood":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        asyncio.run(flood(args))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
