-- wrk script: the hold + release cycle of a guest. A hold takes 1 random seat
-- of a random performance (POST /v1/performances/{id}/holds); when it is
-- granted (201) the reservation id and hold token go on this thread's queue,
-- and the thread's next request releases it (POST /v1/reservations/{id}/release
-- with X-Hold-Token). A seat someone else holds gives 409 TK003: "refused",
-- not an error. A cycle is a granted hold whose release answered 200. Each
-- hold comes from a fan of its own: the shim trusts 127.0.0.1 as a proxy, and
-- X-Forwarded-For names a random client (one client may hold only 4 seats).
-- See common.lua for the settings and the output.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local pending = {}  -- this thread's granted holds, not yet released

function setup(thread) common.setup(thread) end
function init(args) common.init() end

function request()
  local n = #pending
  if n > 0 then
    local hold = pending[n]
    pending[n] = nil
    return wrk.format("POST", "/v1/reservations/" .. hold.id .. "/release",
                      { ["Content-Type"] = "application/json", ["X-Hold-Token"] = hold.token }, "{}")
  end
  local i = math.random(0, common.performances - 1)
  local seat = common.first_seat + i * common.seats_per_performance + math.random(0, common.seats_per_performance - 1)
  local fan = "10." .. math.random(0, 249) .. "." .. math.random(0, 249) .. "." .. math.random(0, 249)
  return wrk.format("POST", "/v1/performances/" .. (common.first_performance + i) .. "/holds",
                    { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = fan },
                    '{"seat_ids":[' .. seat .. ']}')
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"reservation_id"%s*:%s*(%d+)')
    local token = body:match('"hold_token"%s*:%s*"([^"]+)"')
    if id and token then
      ok = ok + 1
      holds = holds + 1
      pending[#pending + 1] = { id = id, token = token }
    else
      other = other + 1
    end
  elseif status == 200 then
    ok = ok + 1
    releases = releases + 1
    cycles = cycles + 1
  elseif status == 409 then
    if body:find('"TK003"', 1, true) then refused = refused + 1 else conflict = conflict + 1 end
  else
    common.unexpected(status)
  end
end

function done(summary, latency, requests) common.done("cycle", summary, latency) end
