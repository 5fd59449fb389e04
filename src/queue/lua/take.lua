--[[
A worker's one call per batch: it ends the attempts that finished since its last call, then
hands over the next jobs — so a busy worker makes one call per batch, not two per job.

1. Finish: each attempt is ended for the worker that holds its lease only (a worker whose lease
   expired and whose job was handed to another must not overwrite the new attempt's outcome).
   Outcomes: 'completed' (result kept with a TTL), 'failed' → retry (back to waiting, or delayed
   by the backoff) or dead (that was its last attempt). Their events go to the capped events
   stream as one entry for the whole call (each event starting with its 'event' field).
2. Housekeeping, atomically with the hand-over: delayed jobs that are due move to the waiting
   set, and jobs whose lease expired (their worker crashed or stalled) go back to waiting — or
   to the dead set when that was their last attempt.
3. Take: up to `count` jobs (the worker's free slots) are leased to this call's token.

Job hashes are `<job prefix><id>`: built here because ids come out of the sets or the caller;
they share the queue's hash tag, so they live in the same Cluster slot as every key below.
A job's `token` field holds its lease token while it runs and '' otherwise.
KEYS[1]  waiting jobs (zset)
KEYS[2]  delayed jobs (zset: due time)
KEYS[3]  active jobs (zset: lease deadline)
KEYS[4]  dead jobs (zset: time of death)
KEYS[5]  the sequence counter
KEYS[6]  the paused flag (present: hand out nothing; housekeeping still runs)
KEYS[7]  completed counter
KEYS[8]  events stream (capped)
ARGV[1]  now, ms
ARGV[2]  lease, ms
ARGV[3]  the lease token for this hand-over
ARGV[4]  job hash key prefix
ARGV[5]  how many jobs to hand over at most (the worker's free slots); 0: finish only
ARGV[6]  completed job TTL, ms
ARGV[7]  events stream cap, in events (MAXLEN ~ of the entry count, see flushEvents); 0: no event
ARGV[8]  n, the number of attempts to finish; then n groups of 5 arguments, ARGV[9 + 5·i ...]:
         job id, its lease token, outcome ('completed' | 'failed'), encoded result or error
         message, retry delay ms (backoff with jitter, computed by the caller)
Returns { outcomes, jobs, wait }: outcomes has one entry per finished attempt, 'completed',
'retry', 'dead' or 'lost' (the lease is no longer this worker's); jobs is
{ { id, name, data, attemptsMade, attempts, backoffType, backoffMs, timeoutMs }, ... }; wait is,
when no job was handed over, the ms until the next delayed job is due, or -1 (none, or paused).
]]
-- Numbers go to Redis as the caller's strings where they can: Lua formats a number with printf.
local nowText = ARGV[1]
local now = tonumber(nowText)
local prefix = ARGV[4]
local count = tonumber(ARGV[5])
local maxLen = tonumber(ARGV[7])
local P = 4398046511104

-- unpack() is bounded by Lua's C stack (8000): long argument lists go in slices.
local function inSlices(command, key, t)
  for s = 1, #t, 4000 do
    redis.call(command, key, unpack(t, s, math.min(s + 3999, #t)))
  end
end

-- The events of this call: one XADD (one entry) per slice of 4000 fields (~ 600 events), not
-- one per event. The cap stays about maxLen events: MAXLEN ~ maxLen ÷ the events in this entry.
local events = {}
local eventCount = 0
local function flushEvents()
  if eventCount > 0 then
    local cap = math.max(1, math.floor(maxLen / eventCount))
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', cap, '*', unpack(events))
    events = {}
    eventCount = 0
  end
end
local function event(...)
  if maxLen <= 0 then return end
  for _, v in ipairs({ ... }) do events[#events + 1] = v end
  eventCount = eventCount + 1
  if #events >= 4000 then flushEvents() end
end

local function requeue(job, id, priority, fields)
  local seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[1], string.format('%d', (tonumber(priority) or 0) * P + seq), id)
  redis.call('HSET', job, 'state', 'wait', unpack(fields))
end

-- 1. Finish.
local outcomes = {}
local ended = {}
local completed = 0
local n = tonumber(ARGV[8])
for i = 0, n - 1 do
  local b = 9 + i * 5
  local id = ARGV[b]
  local job = prefix .. id
  local value = ARGV[b + 3]
  if redis.call('HGET', job, 'token') ~= ARGV[b + 1] then
    outcomes[i + 1] = 'lost'
  else
    ended[#ended + 1] = id
    if ARGV[b + 2] == 'completed' then
      redis.call('HSET', job, 'state', 'completed', 'token', '', 'result', value, 'finishedAt', nowText)
      redis.call('PEXPIRE', job, ARGV[6])
      completed = completed + 1
      event('event', 'completed', 'job', id, 'result', value)
      outcomes[i + 1] = 'completed'
    else
      local f = redis.call('HMGET', job, 'attemptsMade', 'attempts', 'priority')
      local made = tonumber(f[1])
      local final = 0
      if made >= tonumber(f[2]) then final = 1 end
      event('event', 'failed', 'job', id, 'error', value, 'attempt', made, 'final', final)
      local delay = tonumber(ARGV[b + 4])
      if final == 1 then
        redis.call('ZADD', KEYS[4], nowText, id)
        redis.call('HSET', job, 'state', 'dead', 'token', '', 'error', value, 'finishedAt', nowText)
        outcomes[i + 1] = 'dead'
      elseif delay > 0 then
        redis.call('ZADD', KEYS[2], now + delay, id)
        redis.call('HSET', job, 'state', 'delayed', 'token', '', 'error', value)
        outcomes[i + 1] = 'retry'
      else
        requeue(job, id, f[3], { 'token', '', 'error', value })
        outcomes[i + 1] = 'retry'
      end
    end
  end
end
flushEvents()
if #ended > 0 then inSlices('ZREM', KEYS[3], ended) end
if completed > 0 then redis.call('INCRBY', KEYS[7], completed) end
if count <= 0 then return { outcomes, {}, -1 } end

-- 2. Housekeeping.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', nowText, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[2], id)
  local job = prefix .. id
  requeue(job, id, redis.call('HGET', job, 'priority'), {})
end

for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', nowText, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[3], id)
  local job = prefix .. id
  local f = redis.call('HMGET', job, 'attemptsMade', 'attempts', 'priority')
  if (tonumber(f[1]) or 0) >= (tonumber(f[2]) or 1) then
    redis.call('ZADD', KEYS[4], now, id)
    redis.call('HSET', job, 'state', 'dead', 'token', '', 'error', 'lease expired: the worker crashed or stalled',
      'finishedAt', now)
  else
    requeue(job, id, f[3], { 'token', '' })
  end
end

-- 3. Take.
if redis.call('EXISTS', KEYS[6]) == 1 then return { outcomes, {}, -1 } end
local popped = redis.call('ZPOPMIN', KEYS[1], count)
if not popped[1] then
  local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if next[2] then return { outcomes, {}, math.max(0, tonumber(next[2]) - now) } end
  return { outcomes, {}, -1 }
end
local deadline = string.format('%d', now + tonumber(ARGV[2]))
local taken = {}
local leases = {}
for i = 1, #popped, 2 do
  local id = popped[i]
  local job = prefix .. id
  local f = redis.call('HMGET', job, 'name', 'data', 'attempts', 'backoffType', 'backoffMs', 'timeoutMs',
    'attemptsMade')
  local made = '1'
  if f[7] and f[7] ~= '0' then made = string.format('%d', tonumber(f[7]) + 1) end
  redis.call('HSET', job, 'state', 'active', 'token', ARGV[3], 'attemptsMade', made)
  leases[#leases + 1] = deadline
  leases[#leases + 1] = id
  taken[#taken + 1] = { id, f[1], f[2], made, f[3], f[4], f[5], f[6] }
end
inSlices('ZADD', KEYS[3], leases)
return { outcomes, taken, 0 }
