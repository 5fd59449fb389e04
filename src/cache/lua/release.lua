--[[
  cache-release: a load that failed or was skipped gives its lease back and wakes the waiters,
  so that one of them can load at once instead of waiting out the lease.

  KEYS[1] the lease key
  ARGV[1] this load's token
  ARGV[2] the cache's channel
  ARGV[3] the notification ('r|<origin>|<key>')

  Returns 1 when the lease was still ours, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
