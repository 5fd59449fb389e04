--[[
  cache-commit: stores a loaded value unless the key was invalidated while the load ran
  (a delete, a set, a writeThrough bumped the generation): the stale-set guard. Releases this
  load's lease and notifies the waiters either way.

  KEYS[1] the value key
  KEYS[2] the lease key (same slot)
  KEYS[3] the generation key (same slot)
  ARGV[1] this load's token ('' for a load that holds no lease)
  ARGV[2] the generation the load started from
  ARGV[3] the envelope to store
  ARGV[4] its TTL, ms (fresh TTL + grace)
  ARGV[5] the cache's channel
  ARGV[6] the notification ('s|<origin>|<key>')

  Returns 1 when written, 0 when skipped (invalidated meanwhile).
]]
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
local written = 0
if (redis.call('GET', KEYS[3]) or '0') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  written = 1
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return written
