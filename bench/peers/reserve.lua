-- The peers' reserve script, run inside Redis by EVALSHA (nginx+Lua+Redis and Redis alone).
-- KEYS[1] = idempotency key (idem:<key>), KEYS[2] = the orders stream, KEYS[3..] = stock:<sku>
-- ARGV[1] = buyer id, ARGV[2] = the order JSON as received, ARGV[3..] = qty per stock key.
-- Returns {201, stream id} when every item was held, {200, id} for a repeated key,
-- {409, sku} when one item is short, {404, sku} for an unknown SKU. All or nothing.
local prev = redis.call('GET', KEYS[1])
if prev then return {200, prev} end
local n = #KEYS
for i = 3, n do
  local avail = redis.call('GET', KEYS[i])
  if not avail then return {404, KEYS[i]} end
  if tonumber(avail) < tonumber(ARGV[i]) then return {409, KEYS[i]} end
end
for i = 3, n do
  redis.call('DECRBY', KEYS[i], ARGV[i])
end
local id = redis.call('XADD', KEYS[2], '*', 'key', KEYS[1], 'buyer', ARGV[1], 'order', ARGV[2])
redis.call('SET', KEYS[1], id, 'NX')
return {201, id}
