--[[
A counting semaphore: holders in a sorted set scored by their lease's expiry, so a holder that
dies is dropped when its lease runs out instead of holding a permit forever.
KEYS[1]  the holders: member = holder id, score = lease expiry (ms, server clock)
ARGV[1]  holder id (random)
ARGV[2]  limit: permits
ARGV[3]  lease in ms
ARGV[4]  now in ms, or '' to use the server's TIME
Returns {1, holders after} when acquired, {0, ms until the earliest lease expires} otherwise.
]]
--@include server-time
local now = now_ms(ARGV[4])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or held < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
  return {1, redis.call('ZCARD', KEYS[1])}
end
local earliest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(earliest[2]) - now}
