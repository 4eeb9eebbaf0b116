-- wrk script of bench/open311.py and bench/load.py: a varied request mix, counted answers.
--
--   wrk -t1 -c16 -d10s -s bench/lua/requests.lua http://127.0.0.1:PORT -- REQUESTS_FILE [ids]
--
-- REQUESTS_FILE holds one request a line, fields separated by a tab:
--   METHOD <tab> PATH [<tab> BODY]
-- (a BODY is sent form-encoded: the benchmark writes it already URL-encoded). Each request
-- picks a line at random. With "ids", the service_request_id of every 2xx answer is kept,
-- so the caller can check each acknowledged write against the database.
--
-- done() prints one line "WRK_JSON {...}": answers per status code, the ids, and the
-- latency quantiles (1000 of them, in microseconds) so that runs can be merged.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local lines = {}
local collect_ids = false
statuses = {}
ids = {}

local form_headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  local path = args[1]
  collect_ids = args[2] == "ids"
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    local method, target, body = line:match("^([A-Z]+)\t([^\t]+)\t?(.*)$")
    if method then
      table.insert(lines, wrk.format(method, target, body ~= "" and form_headers or nil, body ~= "" and body or nil))
    end
  end
  file:close()
  assert(#lines > 0, "no request in " .. path)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function request()
  return lines[math.random(#lines)]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if collect_ids and status >= 200 and status < 300 and body then
    local id = body:match('"service_request_id"%s*:%s*"([^"]+)"')
    if id then
      table.insert(ids, id)
    end
  end
end

local function number(x)
  if x ~= x or x == math.huge or x == -math.huge then
    return 0
  end
  return x
end

local function quote(text)
  return '"' .. tostring(text):gsub('[%c"\\]', "") .. '"'
end

function done(summary, latency, requests)
  local merged, all_ids = {}, {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
    for _, id in ipairs(thread:get("ids") or {}) do
      table.insert(all_ids, quote(id))
    end
  end
  local status_parts = {}
  for status, n in pairs(merged) do
    table.insert(status_parts, quote(status) .. ":" .. n)
  end
  local quantiles = {}
  for i = 1, 1000 do
    quantiles[i] = number(latency:percentile(i / 10))
  end
  local errors = summary.errors
  io.write(
    "WRK_JSON {",
    '"requests":', summary.requests, ",",
    '"duration_us":', summary.duration, ",",
    '"socket_errors":{"connect":', errors.connect, ',"read":', errors.read, ',"write":', errors.write,
    ',"timeout":', errors.timeout, ',"status":', errors.status, "},",
    '"statuses":{', table.concat(status_parts, ","), "},",
    '"ids":[', table.concat(all_ids, ","), "],",
    '"latency_us":{"min":', number(latency.min), ',"max":', number(latency.max), ',"mean":', number(latency.mean),
    ',"quantiles":[', table.concat(quantiles, ","), "]}",
    "}\n"
  )
end
