-- wrk script for the static scenarios (nginx reference, GET /api/v1/account/me).
-- It defines no request() function, so wrk keeps sending one pre-built request
-- (no Lua per request); done() prints one machine-readable line that
-- bench/run.sh parses:
--   BENCH requests=... rps=... p50_us=... p99_us=... status_errors=... ...
-- status_errors is wrk's summary.errors.status: responses with status >= 400.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
