--[[
One page of the board after a cursor (the last entry of the previous page). The page goes on
from the cursor member's current position while it still has the cursor's score; when it moved
or left, from where (score, member) would stand, found by binary search among the members tied
at that score (Redis orders ties by member bytes). So no entry is repeated or skipped except
members whose own score moved across the cursor while paging.
KEYS[1]  the board
ARGV[1]  order: 'high' or 'low'
ARGV[2]  ties: 'shared' or 'member'
ARGV[3]  cursor score, or '' for the first page
ARGV[4]  cursor member
ARGV[5]  limit: entries per page (bounded by the caller)
Returns {start index, rank of the first entry, member1, score1, ...}.
]]
local key = KEYS[1]
local high = ARGV[1] == 'high'
local limit = tonumber(ARGV[5])

-- Byte order, as Redis orders equal scores (Lua's own < follows the locale).
local function before(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function memberAt(i)
  local got
  if high then got = redis.call('ZREVRANGE', key, i, i) else got = redis.call('ZRANGE', key, i, i) end
  return got[1]
end

local start = 0
if ARGV[3] ~= '' then
  local s, m = ARGV[3], ARGV[4]
  local score = redis.call('ZSCORE', key, m)
  if score and tonumber(score) == tonumber(s) then
    if high then start = redis.call('ZREVRANK', key, m) + 1 else start = redis.call('ZRANK', key, m) + 1 end
  else
    local lo
    if high then lo = redis.call('ZCOUNT', key, '(' .. s, '+inf') else lo = redis.call('ZCOUNT', key, '-inf', '(' .. s) end
    local hi = lo + redis.call('ZCOUNT', key, s, s)
    -- First index among the ties that comes after m in the board's order.
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      local x = memberAt(mid)
      local ahead
      if high then ahead = before(m, x) else ahead = before(x, m) end
      if ahead then lo = mid + 1 else hi = mid end
    end
    start = lo
  end
end

local entries
if high then
  entries = redis.call('ZREVRANGE', key, start, start + limit - 1, 'WITHSCORES')
else
  entries = redis.call('ZRANGE', key, start, start + limit - 1, 'WITHSCORES')
end
local first = start + 1
if ARGV[2] == 'shared' and #entries > 0 then
  if high then
    first = redis.call('ZCOUNT', key, '(' .. entries[2], '+inf') + 1
  else
    first = redis.call('ZCOUNT', key, '-inf', '(' .. entries[2]) + 1
  end
end
table.insert(entries, 1, first)
table.insert(entries, 1, start)
return entries
