--[[
Sliding window, exact: a log of the hits of the last window in a sorted set scored by time.
Memory grows with the limit (one member per unit), so it suits small limits.
KEYS[1]  the id's log: sorted set, member "<ms>:<seq>", score = ms of the hit
ARGV[1]  limit: units allowed per sliding window
ARGV[2]  windowMs
ARGV[3]  cost: units this request consumes (1 ≤ cost ≤ limit)
ARGV[4]  now in ms, or '' to use the server's TIME
Returns {allowed 0|1, remaining, resetMs, retryAfterMs}. A refused request consumes nothing.
]]
--@include limit-args
--@include server-time
local now = now_ms(ARGV[4])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n + cost > limit then
  -- The (n + cost − limit)-th oldest hit must leave the window first.
  local k = n + cost - limit - 1
  local oldest = redis.call('ZRANGE', KEYS[1], k, k, 'WITHSCORES')
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local retry = tonumber(oldest[2]) + window - now
  if retry < 1 then retry = 1 end
  return {0, math.max(0, limit - n), tonumber(newest[2]) + window - now, retry}
end
-- Hits older than now are never removed at the same ms, so n + i is unique within this ms.
for i = 1, cost do
  redis.call('ZADD', KEYS[1], now, string.format('%d:%d', now, n + i))
end
redis.call('PEXPIRE', KEYS[1], window)
return {1, limit - n - cost, window, 0}
