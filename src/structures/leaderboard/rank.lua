--[[
A member's rank and score under the board's order and tie policy.
KEYS[1]  the board: sorted set, member → score
ARGV[1]  order: 'high' (higher scores rank first) or 'low'
ARGV[2]  ties: 'shared' (equal scores share a rank: 1, 2, 2, 4) or 'member' (Redis order: by member)
ARGV[3]  member
Returns {rank (1-based), score as text}, or nil when the member is not on the board.
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not score then return nil end
local high = ARGV[1] == 'high'
local rank
if ARGV[2] == 'shared' then
  if high then
    rank = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf') + 1
  else
    rank = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score) + 1
  end
elseif high then
  rank = redis.call('ZREVRANK', KEYS[1], ARGV[3]) + 1
else
  rank = redis.call('ZRANK', KEYS[1], ARGV[3]) + 1
end
return {rank, score}
