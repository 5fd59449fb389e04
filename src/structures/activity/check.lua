--[[
Whether a user (by id, mapped to its dense integer) has its bit set in a bitmap.
KEYS[1]  id map: hash, user id → dense integer
KEYS[2]  the bitmap (a day's, or a cohort's temporary one)
ARGV[1]  user id
Returns 1 or 0 (0 for a user never seen).
]]
local n = redis.call('HGET', KEYS[1], ARGV[1])
if not n then return 0 end
return redis.call('GETBIT', KEYS[2], n)
