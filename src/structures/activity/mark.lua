--[[
Marks a user active on a day, mapping the user's id to a dense integer first (the bit offset),
so that sparse or string ids never allocate a huge bitmap.
KEYS[1]  id map: hash, user id → dense integer (never expires: offsets must stay stable)
KEYS[2]  the next dense integer (counter)
KEYS[3]  the day's bitmap: bit n set = user n active
ARGV[1]  user id
ARGV[2]  maxId: dense integers allowed (the bitmap's bound, in bits)
ARGV[3]  when the day's bitmap expires (ms since the epoch)
Returns the user's dense integer, or -1 when the map is full (maxId users mapped).
]]
local n = redis.call('HGET', KEYS[1], ARGV[1])
if not n then
  n = redis.call('INCR', KEYS[2]) - 1
  if n >= tonumber(ARGV[2]) then
    redis.call('DECR', KEYS[2])
    return -1
  end
  redis.call('HSET', KEYS[1], ARGV[1], n)
end
redis.call('SETBIT', KEYS[3], n, 1)
redis.call('PEXPIREAT', KEYS[3], ARGV[3])
return tonumber(n)
