-- wrk script for a paced load: each connection waits DELAY_MS before each
-- request, so the offered load is about conns x 1000 / (DELAY_MS + latency)
-- req/s. wrk 4 has no fixed-rate mode; bench/run.sh uses this to measure
-- latency at about half of a measured peak. Arguments: DELAY_MS.
-- done() is summary.lua's (LK_BENCH_WRK_DIR names its directory).
dofile(os.getenv("LK_BENCH_WRK_DIR") .. "/summary.lua")

local delay_ms = 0

function init(args)
  delay_ms = tonumber(args[1]) or 0
end

function delay()
  return delay_ms
end
