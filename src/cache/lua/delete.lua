--[[
  cache-delete: removes a value, cancels any lease on it and bumps its generation, so that a
  load already in flight does not write its (now stale) result back. Notifies the other
  processes (their L1 drops the key; waiters retry).

  KEYS[1] the value key
  KEYS[2] the lease key (same slot)
  KEYS[3] the generation key (same slot)
  ARGV[1] generation TTL, ms
  ARGV[2] the cache's channel
  ARGV[3] the notification ('d|<origin>|<key>')

  Returns 1 when a value was removed, else 0.
]]
local removed = redis.call('UNLINK', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return removed
