--[[
Hands the next job to a worker, after two housekeeping steps that must happen atomically with
the hand-over: delayed jobs that are due move to the waiting set, and jobs whose lease expired
(their worker crashed or stalled) go back to waiting — or to the dead set when that was their
last attempt.
Job hashes are `<job prefix><id>`: built here because ids come out of the sets; they share the
queue's hash tag, so they live in the same Cluster slot as every key below.
KEYS[1]  waiting jobs (zset)
KEYS[2]  delayed jobs (zset: due time)
KEYS[3]  active jobs (zset: lease deadline)
KEYS[4]  dead jobs (zset: time of death)
KEYS[5]  the sequence counter
KEYS[6]  the paused flag (present: hand out nothing; housekeeping still runs)
ARGV[1]  now, ms
ARGV[2]  lease, ms
ARGV[3]  the lease token for this hand-over
ARGV[4]  job hash key prefix
ARGV[5]  how many jobs to hand over at most (the worker's free slots)
Returns { { id, name, data, attemptsMade, attempts, backoffType, backoffMs, timeoutMs }, ... } or
{ false, <ms until the next delayed job is due, or -1 (none, or the queue is paused)> }.
]]
local now = tonumber(ARGV[1])
local prefix = ARGV[4]
local function requeue(id)
  local priority = tonumber(redis.call('HGET', prefix .. id, 'priority') or '0')
  local seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[1], string.format('%.0f', priority * 4398046511104 + seq), id)
  redis.call('HSET', prefix .. id, 'state', 'wait')
end

for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[2], id)
  requeue(id)
end

for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[3], id)
  local job = prefix .. id
  local made = tonumber(redis.call('HGET', job, 'attemptsMade') or '0')
  local attempts = tonumber(redis.call('HGET', job, 'attempts') or '1')
  redis.call('HDEL', job, 'token')
  if made >= attempts then
    redis.call('ZADD', KEYS[4], now, id)
    redis.call('HSET', job, 'state', 'dead', 'error', 'lease expired: the worker crashed or stalled', 'finishedAt', now)
  else
    requeue(id)
  end
end

if redis.call('EXISTS', KEYS[6]) == 1 then return { false, -1 } end
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[5]))
if not popped[1] then
  local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if next[2] then return { false, math.max(0, tonumber(next[2]) - now) } end
  return { false, -1 }
end
local deadline = now + tonumber(ARGV[2])
local taken = {}
for i = 1, #popped, 2 do
  local id = popped[i]
  local job = prefix .. id
  redis.call('ZADD', KEYS[3], deadline, id)
  local made = redis.call('HINCRBY', job, 'attemptsMade', 1)
  redis.call('HSET', job, 'state', 'active', 'token', ARGV[3], 'startedAt', now)
  local f = redis.call('HMGET', job, 'name', 'data', 'attempts', 'backoffType', 'backoffMs', 'timeoutMs')
  taken[#taken + 1] = { id, f[1], f[2], made, f[3], f[4], f[5], f[6] }
end
return taken
