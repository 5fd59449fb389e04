--[[
The entries around a member: up to `n` before it, the member, and up to `n` after it.
KEYS[1]  the board
ARGV[1]  order: 'high' or 'low'
ARGV[2]  ties: 'shared' or 'member'
ARGV[3]  member
ARGV[4]  n: entries on each side (bounded by the caller)
Returns {start index, rank of the first entry, member1, score1, member2, score2, ...}, or nil
when the member is not on the board.
]]
local high = ARGV[1] == 'high'
local r
if high then r = redis.call('ZREVRANK', KEYS[1], ARGV[3]) else r = redis.call('ZRANK', KEYS[1], ARGV[3]) end
if not r then return nil end
local n = tonumber(ARGV[4])
local start = r - n
if start < 0 then start = 0 end
local entries
if high then
  entries = redis.call('ZREVRANGE', KEYS[1], start, r + n, 'WITHSCORES')
else
  entries = redis.call('ZRANGE', KEYS[1], start, r + n, 'WITHSCORES')
end
local first = start + 1
if ARGV[2] == 'shared' and #entries > 0 then
  if high then
    first = redis.call('ZCOUNT', KEYS[1], '(' .. entries[2], '+inf') + 1
  else
    first = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. entries[2]) + 1
  end
end
table.insert(entries, 1, first)
table.insert(entries, 1, start)
return entries
