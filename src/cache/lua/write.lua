--[[
  cache-write: set / setMany / writeThrough. Stores the value and bumps the generation in one
  step, so that a load which started before this write cannot overwrite it with older data.

  KEYS[1] the value key
  KEYS[2] the generation key (same slot)
  ARGV[1] the envelope to store
  ARGV[2] its TTL, ms
  ARGV[3] generation TTL, ms
  ARGV[4] the cache's channel
  ARGV[5] the notification ('s|<origin>|<key>')

  Returns 1.
]]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
