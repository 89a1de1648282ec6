-- wrk script for token issuance across many users:
--   wrk ... -s bench/wrk/token.lua URL -- CREDENTIALS_FILE THREADS
-- CREDENTIALS_FILE holds one base64(client_id:client_secret) per line (written
-- by bench/provision.py). Every request is POST /api/v1/account/token with the
-- next user's HTTP Basic header, so consecutive requests on a connection (and
-- the requests in flight at once) belong to different users.
--
-- The requests are formatted once per thread with wrk.format() in init() and
-- request() only picks the next one: formatting in request() would cost client
-- CPU on every request, and wrk shares the cores with the server.

local requests = {}
local n = 0
local next_index = 0

local thread_counter = 0
function setup(thread)
  thread:set("thread_id", thread_counter)
  thread_counter = thread_counter + 1
end

function init(args)
  local path = args[1]
  local threads = tonumber(args[2]) or 1
  if not path then error("usage: -s token.lua URL -- CREDENTIALS_FILE THREADS") end
  for line in io.lines(path) do
    if #line > 0 then
      n = n + 1
      requests[n] = wrk.format("POST", "/api/v1/account/token",
                               { ["Authorization"] = "Basic " .. line }, "")
    end
  end
  if n == 0 then error("no credentials in " .. path) end
  -- Threads start evenly spread over the ring of users so that two threads
  -- rarely ask for the same user at the same moment.
  next_index = math.floor((thread_id or 0) * n / threads) % n
end

function request()
  next_index = next_index % n + 1
  return requests[next_index]
end

-- done(): the same summary line as the static scenarios print.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "summary.lua")
