--[[
A typed write and its TTL, all or nothing. The write commands run first and PEXPIRE only once
every one of them succeeded: a write that fails (WRONGTYPE on a legacy key, HINCRBY on a field
that is not an integer, XADD with a stale id) raises before PEXPIRE, so the key keeps its value
and its TTL — or its lack of one. (MULTI cannot do this: EXEC runs every queued command even
when one of them fails.)

KEYS[1]  the key written; further keys (PFMERGE's sources) follow it, same slot
ARGV[1]  the TTL in milliseconds, already jittered
ARGV[2]  how many commands follow
ARGV[2 + …] each command: its argument count n, its name, then its n arguments (the key, KEYS[1],
         is not repeated: each command takes it as its first argument; PFMERGE takes every
         key of KEYS)

Only the typed operations' commands are run (anything else is an error). Variadic commands are
run in chunks (Lua unpacks at most ~8000 values at once); the replies are combined as the
single command would have replied: a sum for HSET HDEL SADD SREM ZADD ZREM, the last length
for RPUSH LPUSH, 1 if any chunk changed the HyperLogLog for PFADD.

Returns the replies of the commands, in order.
]]
local SUM = { HSET = true, HDEL = true, SADD = true, SREM = true, ZADD = true, ZREM = true }
local LAST = { RPUSH = true, LPUSH = true }
local ANY = { PFADD = true }
local SINGLE = {
  HINCRBY = true, LTRIM = true, RPOP = true, LPOP = true, ZINCRBY = true, XADD = true,
  SETBIT = true, INCRBY = true, PFMERGE = true,
}
-- An even chunk size keeps HSET's field/value and ZADD's score/member pairs together.
local CHUNK = 4000

local count = tonumber(ARGV[2])
-- Every command is checked before the first one runs: nothing is half done by a bad request.
local at = 3
for c = 1, count do
  local name = ARGV[at + 1]
  if not (SUM[name] or LAST[name] or ANY[name] or SINGLE[name]) then
    return redis.error_reply('ERR typed write: ' .. tostring(name) .. ' is not a typed write command')
  end
  at = at + 2 + tonumber(ARGV[at])
end

local key = KEYS[1]
local replies = {}
at = 3
for c = 1, count do
  local n = tonumber(ARGV[at])
  local name = ARGV[at + 1]
  local first = at + 2
  local last = first + n - 1
  at = last + 1
  local reply
  if name == 'PFMERGE' then
    reply = redis.call('PFMERGE', unpack(KEYS))
  elseif SINGLE[name] then
    reply = redis.call(name, key, unpack(ARGV, first, last))
  else
    reply = 0
    local from = first
    repeat
      local to = math.min(from + CHUNK - 1, last)
      local r = redis.call(name, key, unpack(ARGV, from, to))
      if SUM[name] then
        reply = reply + r
      elseif LAST[name] then
        reply = r
      elseif r == 1 then
        reply = 1
      end
      from = to + 1
    until from > last
  end
  replies[c] = reply
end
redis.call('PEXPIRE', key, ARGV[1])
return replies
