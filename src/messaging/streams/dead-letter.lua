--[[
Moves one entry whose handler failed on its last allowed delivery to the dead-letter stream
and acknowledges it, in one step: it is never both lost and unacknowledged, nor copied twice.
Only the consumer that still owns the entry moves it: if another consumer reclaimed it meanwhile,
that one decides.
KEYS[1]  the stream
KEYS[2]  its dead-letter stream
KEYS[3]  the failures hash (field `<id>|<group>`): the entry's field goes
ARGV[1]  the consumer group
ARGV[2]  this consumer
ARGV[3]  the entry id
ARGV[4]  the handler's error message
ARGV[5]  dead-letter stream MAXLEN ~
Returns the dead letter's id, or false when the entry is not pending for this consumer.
]]
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if not pending[1] then return false end
local entries = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3], 'COUNT', 1)
local copy = {}
if entries[1] then
  for i, value in ipairs(entries[1][2]) do copy[i] = value end
end
table.insert(copy, 'source'); table.insert(copy, ARGV[3])
table.insert(copy, 'group'); table.insert(copy, ARGV[1])
table.insert(copy, 'deliveries'); table.insert(copy, tostring(pending[1][4]))
table.insert(copy, 'error'); table.insert(copy, ARGV[4])
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(copy))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3] .. '|' .. ARGV[1])
return id
