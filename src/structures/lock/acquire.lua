--[[
Takes the lock when it is free and, in the same atomic step, draws the next fencing token, so a
token is never handed to anyone but the holder it belongs to.
KEYS[1]  the lock: holds the holder's random token, expires after the lease (PX)
KEYS[2]  the lock's fencing counter: INCR per acquisition, never expires (tokens must only grow)
ARGV[1]  the holder's random token
ARGV[2]  lease in ms
Returns {1, fencing token} when acquired, {0, ms until the current lease expires} otherwise.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
