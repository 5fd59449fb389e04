--[[
Destroys a session and leaves a tombstone, so that a save racing the destroy is refused.
KEYS[1]  the session
KEYS[2]  the session's tombstone
ARGV[1]  minimum tombstone life in ms (longer than any request); it also covers the session's
         remaining TTL, after which the cookie can no longer bring the session id back
Returns 1 when a session was destroyed, 0 when there was none.
]]
local ttl = redis.call('PTTL', KEYS[1])
local existed = redis.call('DEL', KEYS[1])
local grace = tonumber(ARGV[1])
if ttl < grace then ttl = grace end
redis.call('SET', KEYS[2], '1', 'PX', ttl)
return existed
