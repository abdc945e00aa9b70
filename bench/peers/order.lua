-- wrk script for bench/compare: POSTs a ~210-byte order JSON to /v1/orders, keep-alive, with a
-- unique Idempotency-Key and a distinct buyer id per request (tag + thread + per-thread counter).
-- Arguments (after `--`): SHAPE TAG [NSKUS]
--   SHAPE  hot      every order is 1 x h0000000 (also what every peer receives)
--          uniform  1 x u<7 digits>, uniform over NSKUS SKUs (u0000000 .. u<NSKUS-1>)
--          multi    5 items u<7 digits>, distinct, spread evenly over NSKUS SKUs
--   TAG    4 characters, unique per run, so keys never repeat across runs of one server
-- done() prints one parseable line:
--   WRK_RESULT requests=N duration_us=N non2xx=N connect_err=N read_err=N write_err=N
--              timeouts=N p50_us=N p90_us=N p99_us=N p999_us=N mean_us=N max_us=N
-- non2xx is wrk's errors.status: responses with a status >= 400 (none of the servers sends 1xx/3xx).

local threads = {}
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
  table.insert(threads, thread)
end

local shape, tag, nskus, n, head
local contact = '],"payment_method":"card","contact":{"name":"Ana Ferreira",' ..
                '"phone":"+351 912 345 678","address":"Rua das Flores 12, 4050-262 Porto, Portugal"}}'

function init(args)
  shape = args[1] or "hot"
  tag = args[2] or "t000"
  nskus = tonumber(args[3] or "1000000")
  n = 0
  head = "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
  tag = tag .. tostring(tid or 1)
  math.randomseed(os.time() + (tid or 1) * 7919)
end

local fmt = string.format
local random = math.random

local function item(sku)
  return '{"sku_id":"' .. sku .. '","qty":1}'
end

function request()
  n = n + 1
  local key = tag .. fmt("-%09d", n)
  local items
  if shape == "uniform" then
    items = item(fmt("u%07d", random(0, nskus - 1)))
  elseif shape == "multi" then
    local step = math.floor(nskus / 5)
    local r = random(0, step - 1)
    items = item(fmt("u%07d", r)) .. "," .. item(fmt("u%07d", r + step)) .. "," ..
            item(fmt("u%07d", r + 2 * step)) .. "," .. item(fmt("u%07d", r + 3 * step)) .. "," ..
            item(fmt("u%07d", r + 4 * step))
  else
    items = item("h0000000")
  end
  local body = '{"buyer_id":"b' .. key .. '","items":[' .. items .. contact
  return head .. "Idempotency-Key: " .. key .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(fmt("WRK_RESULT requests=%d duration_us=%d non2xx=%d connect_err=%d read_err=%d " ..
               "write_err=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d mean_us=%d max_us=%d\n",
               summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
               latency:percentile(50), latency:percentile(90), latency:percentile(99),
               latency:percentile(99.9), latency.mean, latency.max))
end
