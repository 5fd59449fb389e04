--[[
Records a session in its user's index (for "log out everywhere") and keeps the index bounded:
entries are scored by the session's expiry, expired ones are dropped, and past `max` the
sessions closest to expiry go first.
KEYS[1]  the user's index: member = session id, score = expiry (ms, server clock)
ARGV[1]  session id
ARGV[2]  the session's TTL in ms
ARGV[3]  max sessions kept per user
Returns the number of sessions indexed for the user.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[3])
if n > max then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1)
  n = max
end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return n
