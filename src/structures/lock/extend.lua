--[[
Extends the lease only for its holder (auto-renewal while work runs).
KEYS[1]  the lock
ARGV[1]  the holder's token
ARGV[2]  new lease in ms, from now
Returns 1 when extended, 0 when the lock is not held with this token.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
