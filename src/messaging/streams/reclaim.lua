--[[
Recovers entries left pending too long (a consumer died, or a handler failed) and hands them
to this consumer, moving those delivered too often to the dead-letter stream instead: a
poison entry that crashes every consumer that reads it must not circulate forever.
KEYS[1]  the stream
KEYS[2]  its dead-letter stream
ARGV[1]  the consumer group
ARGV[2]  this consumer
ARGV[3]  min idle time, ms: only entries pending at least this long are claimed
ARGV[4]  XAUTOCLAIM cursor ('0-0' to start over)
ARGV[5]  at most this many entries
ARGV[6]  max deliveries: an entry claimed for the (max+1)th time is dead-lettered
ARGV[7]  dead-letter stream MAXLEN ~
Returns { next cursor, { { id, fields, deliveries }, ... }, number dead-lettered }.
]]
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local maxDeliveries = tonumber(ARGV[6])
local out = {}
local dead = 0
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local fields = entry[2]
  if not fields then
    -- The entry was trimmed or deleted while pending: nothing left to process.
    redis.call('XACK', KEYS[1], ARGV[1], id)
  else
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = 1
    if pending[1] then deliveries = tonumber(pending[1][4]) end
    if deliveries > maxDeliveries then
      local copy = {}
      for i = 1, #fields do copy[i] = fields[i] end
      table.insert(copy, 'source'); table.insert(copy, id)
      table.insert(copy, 'group'); table.insert(copy, ARGV[1])
      table.insert(copy, 'deliveries'); table.insert(copy, tostring(deliveries - 1))
      table.insert(copy, 'error'); table.insert(copy, 'delivered ' .. (deliveries - 1) .. ' times without being acknowledged')
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', unpack(copy))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      dead = dead + 1
    else
      out[#out + 1] = { id, fields, deliveries }
    end
  end
end
return { claimed[1], out, dead }
