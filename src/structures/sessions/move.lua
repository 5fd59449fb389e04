--[[
Moves a session connect-redis wrote into the tagged layout, unless the store already holds a
newer copy (a save since the switch) or the session was destroyed (its tombstone).
KEYS[1]  the session in the tagged layout
KEYS[2]  its tombstone
ARGV[1]  the serialized session, as read from connect-redis's key
ARGV[2]  its remaining TTL in ms
Returns 1 when moved, 0 when the tagged copy or the tombstone exists.
]]
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
