--[[
Token bucket as GCRA (the generic cell rate algorithm): one number per id, the theoretical
arrival time (TAT) of the next unit. A full bucket holds `limit` units and refills one unit
every windowMs/limit ms, so bursts up to `limit` pass and the long-run rate is limit/window.
KEYS[1]  the id's TAT in ms (a number), expiring when the bucket is full again
ARGV[1]  limit: bucket capacity (the burst), refilled over windowMs
ARGV[2]  windowMs
ARGV[3]  cost: units this request consumes (1 ≤ cost ≤ limit)
ARGV[4]  now in ms, or '' to use the server's TIME
Returns {allowed 0|1, remaining, resetMs, retryAfterMs}. A refused request consumes nothing.
]]
--@include limit-args
--@include server-time
-- Microseconds kept: the TAT advances by fractions of a millisecond at high rates.
local now = now_ms(ARGV[4], true)

local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local nextTat = tat + cost * interval
local diff = now - (nextTat - window)
if diff < 0 then
  local remaining = math.floor((now - (tat - window)) / interval + 1e-9)
  return {0, math.max(0, remaining), math.ceil(tat - now), math.max(1, math.ceil(-diff))}
end
local ttl = math.max(1, math.ceil(nextTat - now))
redis.call('SET', KEYS[1], nextTat, 'PX', ttl)
return {1, math.floor(diff / interval + 1e-9), ttl, 0}
