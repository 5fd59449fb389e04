--[[
Releases the lock only for its holder: a holder whose lease expired (and whose lock someone
else may now hold) must not release the new holder's lock.
KEYS[1]  the lock
ARGV[1]  the holder's token
Returns 1 when released, 0 when the lock is not held with this token.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
