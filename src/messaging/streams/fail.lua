--[[
A handler failed on an entry that has deliveries left: counts the failure and leaves the entry
pending, but looking idle for claimIdleMs − retryDelayMs, so the next recovery pass after
retryDelayMs claims it (from whichever consumer runs it first). JUSTID: this claim must not count
as a delivery — deliveries beyond failures are stalls.
KEYS[1]  the stream
KEYS[2]  the failures hash (field `<id>|<group>`), kept for failuresTtlMs after its last write
ARGV[1]  the consumer group
ARGV[2]  this consumer
ARGV[3]  the entry id
ARGV[4]  idle time to set, ms
ARGV[5]  failures hash TTL, ms
Returns the entry's failures so far, or false when the entry is no longer this consumer's:
another consumer reclaimed it (and runs it, and decides), or it was acknowledged.
]]
--@include owned
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return false end
local failures = redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|' .. ARGV[1], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
return failures
