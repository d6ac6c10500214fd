-- 1,000 samples per request: every series at one time step, steps increasing per request (line format).
local key = os.getenv("KEY")
local series = {}
for line in io.lines(os.getenv("SERIES_FILE")) do series[#series + 1] = line end
local threads = 0
local base = 1780000000000

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local n = 0
function request()
  n = n + 1
  local ts = base + (n * 16 + id) * 1000
  local lines = {}
  for i = 1, #series do lines[i] = series[i] .. " " .. ts .. " " .. ((n + i) % 5000) end
  return wrk.format("POST", nil, {["Content-Type"] = "text/plain", ["X-API-Key"] = key}, table.concat(lines, "\n"))
end
