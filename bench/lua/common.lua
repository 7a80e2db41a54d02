-- Shared by every workload: loads per-request lines from the file named by the BENCH_PLAN
-- environment variable (one request per line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY), spreads the
-- lines over the threads and connections, and prints one machine-readable summary line.
local plan = {}
local counter = 0
local thread_index = 0
local threads = {}

local function load_plan()
  local path = os.getenv("BENCH_PLAN")
  for line in io.lines(path) do
    local m, p, t, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    if m then
      plan[#plan + 1] = { method = m, path = p, token = t, body = b }
    end
  end
end

function setup(thread)
  thread:set("id", thread_index)
  thread_index = thread_index + 1
  table.insert(threads, thread)
end

function init(args)
  load_plan()
  counter = id or 0
end

function request()
  counter = counter + 1
  local r = plan[(counter % #plan) + 1]
  local headers = {}
  if r.token ~= "" then headers["Authorization"] = r.token end
  local body = nil
  if r.body ~= "" then
    body = r.body
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(r.method, r.path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout + summary.errors.status
  io.write(string.format("BENCH {\"requests\":%d,\"duration_us\":%d,\"errors\":%d," ..
    "\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d}\n", summary.requests, summary.duration, errors,
    latency:percentile(50), latency:percentile(99), latency.max))
end
