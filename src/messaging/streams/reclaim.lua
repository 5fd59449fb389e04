--[[
Recovers entries left pending too long and hands them to this consumer. An entry is pending
too long for one of two reasons, counted apart:
- its handler failed and it waited out the retry delay: a *failure*, counted in the failures
  hash by the failing consumer (fail.lua);
- its consumer died, was killed or blocked past claimIdleMs holding it: a *stall*, which Redis
  counts as one more delivery. Stalls = deliveries − 1 − failures.
An entry that failed maxDeliveries times, or stalled more than maxStalls times, goes to the
dead-letter stream instead: a poison entry that crashes every consumer must not circulate forever.
KEYS[1]  the stream
KEYS[2]  its dead-letter stream
KEYS[3]  the failures hash (field `<id>|<group>`: handler failures of a pending entry)
ARGV[1]  the consumer group
ARGV[2]  this consumer
ARGV[3]  min idle time, ms: only entries pending at least this long are claimed
ARGV[4]  XAUTOCLAIM cursor ('0-0' to start over)
ARGV[5]  at most this many entries
ARGV[6]  max deliveries: the handler fails at most this many times per entry
ARGV[7]  dead-letter stream MAXLEN ~
ARGV[8]  max stalls
Returns { next cursor, { { id, fields, deliveries, failures, stalls }, ... }, number dead-lettered }.
]]
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local maxDeliveries = tonumber(ARGV[6])
local maxStalls = tonumber(ARGV[8])
local out = {}
local dead = 0
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local fields = entry[2]
  local field = id .. '|' .. ARGV[1]
  if not fields then
    -- The entry was trimmed or deleted while pending: nothing left to process.
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('HDEL', KEYS[3], field)
  else
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = 1
    if pending[1] then deliveries = tonumber(pending[1][4]) end
    local failures = tonumber(redis.call('HGET', KEYS[3], field) or '0')
    local stalls = math.max(0, deliveries - 1 - failures)
    local reason = nil
    if failures >= maxDeliveries then
      reason = 'failed ' .. failures .. ' times'
    elseif stalls > maxStalls then
      reason = 'stalled ' .. stalls .. ' times (maxStalls ' .. maxStalls ..
        '): its consumer died, was killed or blocked past claimIdleMs each time'
    end
    if reason then
      local copy = {}
      for i = 1, #fields do copy[i] = fields[i] end
      table.insert(copy, 'source'); table.insert(copy, id)
      table.insert(copy, 'group'); table.insert(copy, ARGV[1])
      table.insert(copy, 'deliveries'); table.insert(copy, tostring(deliveries - 1))
      table.insert(copy, 'error'); table.insert(copy, reason)
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', unpack(copy))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('HDEL', KEYS[3], field)
      dead = dead + 1
    else
      out[#out + 1] = { id, fields, deliveries, failures, stalls }
    end
  end
end
return { claimed[1], out, dead }
