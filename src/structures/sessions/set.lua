--[[
Saves a session unless it was destroyed: a slow request that loaded the session before a logout
and saves after it must not bring it back (the tombstone outlives any such request).
KEYS[1]  the session: JSON, expiring with the cookie
KEYS[2]  the session's tombstone: present while a destroyed session must stay destroyed
ARGV[1]  the serialized session
ARGV[2]  TTL in ms (from the cookie's expiry)
Returns 1 when saved, 0 when refused because the session was destroyed.
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
