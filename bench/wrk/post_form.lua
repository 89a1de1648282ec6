-- wrk script: the same application/x-www-form-urlencoded POST on every request.
--   wrk ... -s bench/wrk/post_form.lua URL -- PATH BODY_FILE [AUTHORIZATION]
-- AUTHORIZATION is the whole header value ("Basic ..."). Used for the OAuth
-- endpoints (/oauth/token, /oauth/introspect) of latchkeyd and of its peer.
-- The request is formatted once per thread in init(), as token.lua does.

local req

function init(args)
  local path, body_file, authorization = args[1], args[2], args[3]
  if not path or not body_file then
    error("usage: -s post_form.lua URL -- PATH BODY_FILE [AUTHORIZATION]")
  end
  local f = assert(io.open(body_file, "r"))
  local body = f:read("*a"):gsub("%s+$", "")
  f:close()
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if authorization and #authorization > 0 then headers["Authorization"] = authorization end
  req = wrk.format("POST", path, headers, body)
end

function request()
  return req
end

dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "summary.lua")
