-- wrk script of benchmarks/web_bench.py: one signed-in session per connection (wrk -t N -c N),
-- GET requests cycling through the paths of one scenario, and a summary line in JSON.
-- Environment: WEB_BENCH_PATHS (a file: one path per line), WEB_BENCH_COOKIES (a file: one
-- Cookie header value per line, one per thread).

local threads = {}
local cookies = {}

function setup(thread)
  if #cookies == 0 then
    for line in io.lines(os.getenv("WEB_BENCH_COOKIES")) do cookies[#cookies + 1] = line end
  end
  local n = #threads + 1
  thread:set("id", n)
  thread:set("cookie", cookies[(n - 1) % #cookies + 1])
  threads[n] = thread
end

local paths = {}
local i = 0
bad = 0

function init(args)
  for line in io.lines(os.getenv("WEB_BENCH_PATHS")) do paths[#paths + 1] = line end
  wrk.headers["Cookie"] = cookie
  i = id * 97
end

function request()
  i = i + 1
  return wrk.format("GET", paths[i % #paths + 1])
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do bad_total = bad_total + thread:get("bad") end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"not_200": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
