-- The OpenDTU push body of PERFORMANCE.md: 4 inverters x (6 AC values + 2 channels x 6 DC values), with a
-- timestamp that moves on every second so the samples are new (meterhub also stores reachable/producing and the
-- inverter's two energy sums: 88 samples a request).
local key = os.getenv("KEY")
local first = tonumber(os.getenv("FIRST_SERIAL"))

local function inverter(serial, n)
  local p = 100 + (n % 700)
  return '{"serial":"' .. serial .. '","name":"bench","reachable":true,"producing":true,"last_update":1,' ..
    '"measurements":{"power_ac":' .. p .. ',"voltage_ac":230.1,"current_ac":' .. (p / 230) ..
    ',"frequency":50.01,"power_factor":0.99,"power_dc":' .. (p + 8) .. '},"dc_channels":[' ..
    '{"channel":1,"name":"A","power":' .. (p / 2) .. ',"voltage":31.2,"current":1.6,"yield_day":' .. n ..
    ',"yield_total":1234.567,"irradiation":12.5},' ..
    '{"channel":2,"name":"B","power":' .. (p / 2 + 4) .. ',"voltage":30.8,"current":1.7,"yield_day":' .. n ..
    ',"yield_total":1200.001,"irradiation":13.1}]}'
end

local n = 0
function request()
  n = n + 1
  local body = '{"timestamp":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '","dtu_serial":"199980000001","inverters":[' ..
    inverter(first, n) .. ',' .. inverter(first + 1, n) .. ',' .. inverter(first + 2, n) .. ',' ..
    inverter(first + 3, n) .. ']}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
