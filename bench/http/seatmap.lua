-- wrk script: GET /v1/performances/{id}/seats of a random performance
-- (320 seats each). See common.lua for the settings and the output.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

function setup(thread) common.setup(thread) end
function init(args) common.init() end

function request()
  local p = common.first_performance + math.random(0, common.performances - 1)
  return wrk.format("GET", "/v1/performances/" .. p .. "/seats")
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else common.unexpected(status) end
end

function done(summary, latency, requests) common.done("seatmap", summary, latency) end
