--[[
Extends one holder's lease, only while it still holds a permit.
KEYS[1]  the holders (see semaphore-acquire.lua)
ARGV[1]  holder id
ARGV[2]  new lease in ms, from now
ARGV[3]  now in ms, or '' to use the server's TIME
Returns 1 when extended, 0 when this holder no longer holds a permit.
]]
--@include server-time
local now = now_ms(ARGV[3])
local lease = tonumber(ARGV[2])
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[1])
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return 1
