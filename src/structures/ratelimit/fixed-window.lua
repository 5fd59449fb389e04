--[[
Fixed window, anchored at the window's first hit (no synchronised burst at a wall-clock boundary).
KEYS[1]  the id's window. On the server's clock: the count, and the key's TTL is what is left of
         the window (the server's expiry is the clock). On an injected clock: "<start ms> <count>".
ARGV[1]  limit: units allowed per window
ARGV[2]  windowMs
ARGV[3]  cost: units this request consumes (1 ≤ cost ≤ limit)
ARGV[4]  now in ms, or '' to use the server's clock (application clocks then never matter)
Returns {allowed 0|1, remaining, resetMs, retryAfterMs}. A refused request consumes nothing.
]]
--@include limit-args

if ARGV[4] == '' then
  -- The common path: two commands, no clock read, no parsing.
  local count = redis.call('INCRBY', KEYS[1], cost)
  if count == cost then
    redis.call('PEXPIRE', KEYS[1], window)
    return {1, limit - count, window, 0}
  end
  local reset = redis.call('PTTL', KEYS[1])
  if reset < 0 then
    -- Never left without a TTL, but repair rather than count forever.
    redis.call('PEXPIRE', KEYS[1], window)
    reset = window
  end
  if count > limit then
    redis.call('DECRBY', KEYS[1], cost)
    return {0, limit - count + cost, reset, reset}
  end
  return {1, limit - count, reset, 0}
end

-- An injected clock (tests): the same policy, with the window's start kept in the value.
local now = tonumber(ARGV[4])
local start, count = now, 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local s, c = string.match(stored, '^(%d+) (%d+)$')
  s = tonumber(s)
  if s and now >= s and now < s + window then
    start, count = s, tonumber(c)
  end
end
local reset = start + window - now
if count + cost > limit then
  return {0, limit - count, reset, reset}
end
count = count + cost
redis.call('SET', KEYS[1], string.format('%d %d', start, count), 'PX', reset)
return {1, limit - count, reset, 0}
