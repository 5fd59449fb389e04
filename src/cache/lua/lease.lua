--[[
  cache-lease: on a miss (or a stale or early-refreshed value), decides in one step who loads.
  Exactly one caller across all processes wins the lease; the others learn that a load is
  running and wait for its notification (or serve the stale value they already have).

  KEYS[1] the value key
  KEYS[2] the lease key (same slot)
  KEYS[3] the generation key (same slot)
  ARGV[1] this load's token
  ARGV[2] lease duration, ms
  ARGV[3] now, ms (server clock, as the caller tracks it)
  ARGV[4] the tag stamp a value must carry to count as fresh ('' without tags), or '-' to
          load regardless (early refresh)

  Returns {status, value, generation, leasePttl}:
    1: a fresh value exists (someone filled it meanwhile): {1, value}
    2: this caller holds the lease and must load: {2, current value or nil, generation}
    3: another caller holds it: {3, current value or nil, generation, its remaining ms}
]]
local value = redis.call('GET', KEYS[1])
if value and ARGV[4] ~= '-' then
  local fresh, stamp = string.match(value, '^~1|(%d+)|[^|]*|[^|]*|[^|]*|([^\n]*)\n')
  -- A value without our header (written by another tool) is fresh while it exists.
  if not fresh or (tonumber(fresh) > tonumber(ARGV[3]) and stamp == ARGV[4]) then
    return {1, value}
  end
end
local generation = redis.call('GET', KEYS[3]) or '0'
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {2, value or false, generation}
end
return {3, value or false, generation, redis.call('PTTL', KEYS[2])}
