-- Shared by every workload: loads per-request lines from the file named by the BENCH_PLAN
-- environment variable (one request per line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY), spreads the
-- lines over the threads and connections, and prints one machine-readable summary line.
-- With BENCH_GROUP=n the plan is made of sessions of n lines that must run in order (join,
-- heartbeat, leave...): run wrk with one connection per thread (-tN -cN) and each thread walks
-- whole sessions, thread i taking sessions i, i+N, i+2N...
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

local group = tonumber(os.getenv("BENCH_GROUP") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local session, step = 0, 0

function init(args)
  load_plan()
  counter = id or 0
  session = id or 0
end

-- The next plan line: round robin, or the next step of this thread's current session.
local function next_line()
  if group <= 0 then
    counter = counter + 1
    return plan[(counter % #plan) + 1]
  end
  local nsessions = math.floor(#plan / group)
  local r = plan[(session % nsessions) * group + step + 1]
  step = step + 1
  if step == group then
    step = 0
    session = session + nthreads
  end
  return r
end

function request()
  local r = next_line()
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
