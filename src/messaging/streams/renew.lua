--[[
Resets the idle time of the entries this consumer is still handling, so that no other consumer
reclaims them while they run — of those it still owns only: XCLAIM alone would take back an
entry another consumer claimed meanwhile, and both would then run it, each renewing it from the
other. JUSTID: a renewal is not a delivery.
KEYS[1]  the stream
ARGV[1]  the consumer group
ARGV[2]  this consumer
ARGV[3]  n, the number of ids; then n entry ids, ARGV[4 ...]
Per id: XPENDING of that id for this consumer (O(log N)); then one XCLAIM per 1000 still owned.
Returns the ids that are no longer this consumer's (acknowledged, or claimed by another).
]]
--@include owned
local n = tonumber(ARGV[3])
local keep = {}
local gone = {}
for i = 4, 3 + n do
  if owned(KEYS[1], ARGV[1], ARGV[2], ARGV[i]) then keep[#keep + 1] = ARGV[i] else gone[#gone + 1] = ARGV[i] end
end
for s = 1, #keep, 1000 do
  local claim = { KEYS[1], ARGV[1], ARGV[2], 0 }
  for i = s, math.min(s + 999, #keep) do claim[#claim + 1] = keep[i] end
  claim[#claim + 1] = 'JUSTID'
  redis.call('XCLAIM', unpack(claim))
end
return gone
