-- Shared by seatmap.lua and cycle.lua (wrk 4.x, LuaJIT). Each wrk thread runs
-- its own Lua state: the counters below are that thread's globals, which
-- done() (in the main state) reads back with thread:get() from the threads
-- setup() collected. Settings come from the environment:
--   BENCH_FIRST_PERFORMANCE, BENCH_PERFORMANCES, BENCH_FIRST_SEAT,
--   BENCH_SEATS_PER_PERFORMANCE, BENCH_LABEL, BENCH_HISTOGRAM (a file: if
--   set, done() writes the latency distribution there, "microseconds count"
--   per line, so that in-cluster.sh can merge rounds exactly)
local M = {}

M.first_performance = tonumber(os.getenv("BENCH_FIRST_PERFORMANCE") or "1")
M.performances = tonumber(os.getenv("BENCH_PERFORMANCES") or "1")
M.first_seat = tonumber(os.getenv("BENCH_FIRST_SEAT") or "1")
M.seats_per_performance = tonumber(os.getenv("BENCH_SEATS_PER_PERFORMANCE") or "320")
M.label = os.getenv("BENCH_LABEL") or ""
M.histogram = os.getenv("BENCH_HISTOGRAM")

M.counters = { "ok", "refused", "conflict", "s4xx", "s5xx", "other", "cycles", "holds", "releases" }

local threads = {}

function M.setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function M.init()
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  for _, name in ipairs(M.counters) do _G[name] = 0 end
end

-- The request counts, latency percentiles and per-status counters of all
-- threads as one JSON line, prefixed so that in-cluster.sh can find it.
function M.done(workload, summary, latency)
  local total = {}
  for _, name in ipairs(M.counters) do total[name] = 0 end
  for _, t in ipairs(threads) do
    for _, name in ipairs(M.counters) do total[name] = total[name] + (t:get(name) or 0) end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local fields = {
    string.format('"client":"wrk","label":"%s","workload":"%s"', M.label, workload),
    string.format('"seconds":%.2f', seconds),
    string.format('"requests":%d', summary.requests),
    string.format('"requests_per_s":%.2f', summary.requests / seconds),
    string.format('"cycles_per_s":%.2f', total.cycles / seconds),
    string.format('"p50_ms":%.2f', latency:percentile(50) / 1000),
    string.format('"p99_ms":%.2f', latency:percentile(99) / 1000),
    string.format('"socket_errors":%d', socket_errors),
    -- non-2xx/3xx as wrk counts them (includes the expected 409s)
    string.format('"wrk_status_errors":%d', e.status),
  }
  for _, name in ipairs(M.counters) do
    table.insert(fields, string.format('"%s":%d', name, total[name]))
  end
  -- errors: everything but a 2xx and the expected refusal (409 TK003)
  local errors = total.conflict + total.s4xx + total.s5xx + total.other + socket_errors
  table.insert(fields, string.format('"errors":%d', errors))
  io.write("BENCH_JSON {" .. table.concat(fields, ",") .. "}\n")
  if M.histogram and M.histogram ~= "" then
    -- latency(i): the i-th distinct latency (us) and how many requests took it
    local f = assert(io.open(M.histogram, "w"))
    for i = 1, #latency do
      local us, count = latency(i)
      f:write(string.format("%d %d\n", us, count))
    end
    f:close()
  end
end

-- Counts a status outside the expected ones.
function M.unexpected(status)
  if status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else other = other + 1 end
end

return M
