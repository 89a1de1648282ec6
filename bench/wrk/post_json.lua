-- wrk script: the same JSON POST on every request.
--   wrk ... -s bench/wrk/post_json.lua URL -- PATH BODY_FILE [BEARER_TOKEN]
-- The request is formatted once per thread in init(), as token.lua does.

local req

function init(args)
  local path, body_file, token = args[1], args[2], args[3]
  if not path or not body_file then
    error("usage: -s post_json.lua URL -- PATH BODY_FILE [BEARER_TOKEN]")
  end
  local f = assert(io.open(body_file, "r"))
  local body = f:read("*a")
  f:close()
  local headers = { ["Content-Type"] = "application/json" }
  if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
  req = wrk.format("POST", path, headers, body)
end

function request()
  return req
end

dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "summary.lua")
