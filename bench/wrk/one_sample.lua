-- One sample per request, timestamps increasing per thread so every write is in time order.
local series = os.getenv("SERIES")
local key = os.getenv("KEY")
local threads = 0
local base = 1780000000000

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local n = 0
function request()
  n = n + 1
  local ts = base + n * 16 + id
  local body = '[{"series":"' .. series .. '","ts":' .. ts .. ',"value":' .. (n % 5000) .. '}]'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end
