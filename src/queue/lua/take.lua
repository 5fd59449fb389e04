--[[
A worker's one call per batch: it settles what happened since its last call, then hands over
the next jobs — so a busy worker makes one call per batch, not two per job. Every time here is
the server's clock (TIME): no worker clock enters a lease, a deadline, a delay or a backoff.

0. Lost replies: each token in `revoke` names an earlier call of this worker whose reply never
   arrived (a timeout, a dropped connection). Its jobs never reached a handler: they go back to
   waiting, in their place, with nothing counted. If that call has not run yet (it may still be
   on its way), a marker makes it hand out nothing when it does. Tokens in `confirm` are calls
   whose reply did arrive: their take records are deleted.
1. Finish: each attempt is ended for the worker that holds its lease only (a worker whose lease
   expired and whose job was handed to another must not overwrite the new attempt's outcome).
   An attempt is counted here, when it ends with a handler's outcome: 'completed' (result kept
   with a TTL), or 'failed' → retry (back to waiting, or delayed by the backoff) or dead (that was
   its last attempt). Their events go to the capped events stream as one entry for the call.
2. Housekeeping, atomically with the hand-over: delayed jobs that are due move to the waiting
   set; a job whose lease expired (its worker crashed, was killed or stalled) *stalled*: that is
   not a failed attempt — it goes back to waiting (or delayed by its backoff) and counts a stall,
   and only a job that stalls more than its maxStalls times is dead. A job an add handed to an
   idle worker that never renewed it (still marked `handed`) goes back in its place, uncounted,
   when it is still on the worker's list at the end of its first lease (the worker died while it
   waited), or at the end of the worker's own lease from the add once the wait took it (the
   wait's reply was lost, or the worker died then; until then, a handler holding the event loop
   keeps it: its renewal is not written before the handler yields).
3. Take: up to `count` jobs (the worker's free slots) are leased to this call's token, and the
   take is recorded under the token (`<take prefix><token>`: the job ids, for the lease's time)
   so that a lost reply can be given back (step 0). A call that leaves jobs waiting pushes a
   wake-up signal (when there is none) for the next idle worker, and drops every registration
   as idle: an add hands a job over only while nothing waits (add.lua relies on it).

Job hashes are `<job prefix><id>`: built here because ids come out of the sets or the caller;
they share the queue's hash tag, so they live in the same Cluster slot as every key below, as do
the take records. A job's `token` field holds its lease token while it runs and '' otherwise.
KEYS[1]  waiting jobs (zset)
KEYS[2]  delayed jobs (zset: due time, server ms)
KEYS[3]  active jobs (zset: lease deadline, server ms)
KEYS[4]  dead jobs (zset: time of death)
KEYS[5]  the sequence counter
KEYS[6]  the paused flag (present: hand out nothing; housekeeping still runs)
KEYS[7]  completed counter
KEYS[8]  events stream (capped)
KEYS[9]  the wake-up signal (list, at most one element)
KEYS[10] idle workers (zset: member = a registration's lease token, score = the end of its wait,
         server ms); a registered worker blocks on its own list, KEYS[10] .. ':' .. token
ARGV[1]  lease, ms
ARGV[2]  the lease token for this hand-over
ARGV[3]  job hash key prefix
ARGV[4]  take record key prefix
ARGV[5]  how many jobs to hand over at most (the worker's free slots); 0: settle only
ARGV[6]  completed job TTL, ms
ARGV[7]  events stream cap, in events (MAXLEN ~ of the entry count, see flushEvents); 0: no event
ARGV[8]  a random number in [0, 1) for the jitter of the backoffs of stalls in this call
ARGV[9]  tokens of calls whose reply was lost, space-separated ('' for none)
ARGV[10] tokens of calls whose reply arrived, space-separated ('' for none)
ARGV[11] n, the number of attempts to finish
ARGV[12] this worker's registration as idle, a token of its own ending in '.<lease ms>~' (the
         lease of a job handed to it): made when the call hands over fewer jobs than asked ('' for
         none)
ARGV[13] its earlier registration, to withdraw ('' for none)
ARGV[14] the worker's pollMs: the longest it waits, hence the longest a registration lasts
         then n groups of 5 arguments, ARGV[15 + 5·i ...]:
         job id, its lease token, outcome ('completed' | 'failed'), encoded result or error
         message, a random number in [0, 1) for the jitter of its backoff
Returns { outcomes, jobs, wait, returned, now }: outcomes has one entry per finished attempt,
'completed', 'retry', 'dead' or 'lost' (the lease is no longer this worker's); jobs is
{ { id, name, data, attempt, packed options, stalls, repeat key, schedule, slot }, ... }
(the last three '' / '' / '0' unless it is an occurrence of a repeatable job); wait is, when
fewer than `count` were handed over, the ms until the next delayed job is due or the next lease
expires (-1: none, or paused), else 0; returned is the number of jobs of lost replies given back;
now is the server's time (ms) of the call: the leases began then, and the worker maps it to its own
clock to know when they may run out (kit/lease-clock.ts).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowText = string.format('%d', now)
local leaseMs = tonumber(ARGV[1])
local token = ARGV[2]
local prefix = ARGV[3]
local takePrefix = ARGV[4]
local count = tonumber(ARGV[5])
local maxLen = tonumber(ARGV[7])
local stallJitter = tonumber(ARGV[8])
local G = 5
local P = 4398046511104
-- A history keeps the newest entries only: at most this many bytes of JSON.
local HISTORY_MAX = 4000

-- unpack() is bounded by Lua's C stack (8000): long argument lists go in slices.
local function inSlices(command, key, list)
  for s = 1, #list, 4000 do
    redis.call(command, key, unpack(list, s, math.min(s + 3999, #list)))
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

-- The job's history (a JSON array) with one more entry; the oldest go past HISTORY_MAX bytes.
local function withEntry(history, kind, attempt, err)
  local entry = '{"at":' .. nowText .. ',"event":"' .. kind .. '","attempt":' .. attempt
  if err then entry = entry .. ',"error":' .. cjson.encode(string.sub(err, 1, 500)) end
  entry = entry .. '}'
  if not history or history == '' then return '[' .. entry .. ']' end
  local text = string.sub(history, 1, -2) .. ',' .. entry .. ']'
  if #text > HISTORY_MAX then
    local list = cjson.decode(text)
    local keep = {}
    local size = 2
    for i = #list, 1, -1 do
      local one = cjson.encode(list[i])
      size = size + #one + 1
      if size > HISTORY_MAX and #keep > 0 then break end
      table.insert(keep, 1, one)
    end
    text = '[' .. table.concat(keep, ',') .. ']'
  end
  return text
end

-- The wait before the next run after `n` failures (or stalls): fixed or doubling, ±50 % jitter.
local function backoff(kind, baseMs, n, jitter)
  local ms = tonumber(baseMs) or 0
  if ms <= 0 then return 0 end
  if kind == 'exponential' then ms = ms * 2 ^ math.min(n - 1, 30) end
  return math.floor(ms * (0.5 + jitter) + 0.5)
end

-- A job's options, packed by the add: 'priority|attempts|backoff type|backoff ms|timeout ms|max stalls'.
local function unpackOptions(text)
  local p, a, bt, bm, _, ms = string.match(text or '', '^(%d+)|(%d+)|(%a+)|(%d+)|(%d+)|(%d+)$')
  return tonumber(p) or 0, tonumber(a) or 1, bt or 'fixed', tonumber(bm) or 0, tonumber(ms) or 1
end

local function requeue(job, id, priority, fields)
  local seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[1], string.format('%d', (tonumber(priority) or 0) * P + seq), id)
  redis.call('HSET', job, 'state', 'wait', unpack(fields))
end

local returned = 0
-- A job no handler saw goes back to waiting in its place (`score`: where it was taken from, or
-- where a hand-over would have put it), with nothing counted.
local function backInPlace(job, id, score)
  redis.call('ZADD', KEYS[1], score, id)
  redis.call('HSET', job, 'state', 'wait', 'token', '')
  returned = returned + 1
end

-- 0. Lost and arrived replies.
for lost in string.gmatch(ARGV[9], '%S+') do
  local record = takePrefix .. lost
  local ids = redis.call('GET', record)
  if not ids then
    -- Not run yet: when it runs, its SET NX fails and it hands out nothing.
    redis.call('SET', record, '', 'PX', math.max(2 * leaseMs, 600000))
  elseif ids ~= '' then
    for id in string.gmatch(ids, '%S+') do
      local job = prefix .. id
      local f = redis.call('HMGET', job, 'token', 'score')
      if f[1] == lost then
        redis.call('ZREM', KEYS[3], id)
        backInPlace(job, id, f[2])
      end
    end
    redis.call('SET', record, '', 'PX', math.max(2 * leaseMs, 600000))
  end
end
-- The ids of the jobs handed over still on a registered worker's list: its wait has not taken
-- them. A job's id is the second line of its element (add.lua); close()'s wake-up has none.
local function stillListed(wake)
  local ids = {}
  for _, element in ipairs(redis.call('LRANGE', wake, 0, -1)) do
    local id = string.match(element, '^[^\n]*\n([^\n]*)\n')
    if id then ids[id] = true end
  end
  return ids
end

-- This worker's registration as idle (add.lua) is withdrawn. Gone already: an add spent it. A
-- job it handed over that is still on the worker's list (its wait ended first) goes back in its
-- place, uncounted; one the wait took but whose reply was lost goes back when the worker's lease
-- from the add runs out (housekeeping, below). The list's other element, close()'s wake-up, is
-- stale by now.
if ARGV[13] ~= '' and redis.call('ZREM', KEYS[10], ARGV[13]) == 0 then
  local handedTo = ARGV[13]
  local wake = KEYS[10] .. ':' .. handedTo
  for id in pairs(stillListed(wake)) do
    local f = redis.call('HMGET', prefix .. id, 'token', 'score')
    if f[1] == handedTo then
      redis.call('ZREM', KEYS[3], id)
      backInPlace(prefix .. id, id, f[2])
    end
  end
  redis.call('DEL', wake)
end
local arrived = {}
for done in string.gmatch(ARGV[10], '%S+') do arrived[#arrived + 1] = takePrefix .. done end
if #arrived > 0 then redis.call('DEL', unpack(arrived)) end

-- 1. Finish.
local outcomes = {}
local ended = {}
local completed = 0
local n = tonumber(ARGV[11])
for i = 0, n - 1 do
  local b = 15 + i * G
  local id = ARGV[b]
  local job = prefix .. id
  local value = ARGV[b + 3]
  local f = redis.call('HMGET', job, 'token', 'attemptsMade')
  if f[1] ~= ARGV[b + 1] then
    outcomes[i + 1] = 'lost'
  else
    ended[#ended + 1] = id
    local made = string.format('%d', (tonumber(f[2]) or 0) + 1)
    if ARGV[b + 2] == 'completed' then
      redis.call('HSET', job, 'state', 'completed', 'token', '', 'attemptsMade', made, 'result', value,
        'finishedAt', nowText)
      redis.call('PEXPIRE', job, ARGV[6])
      completed = completed + 1
      event('event', 'completed', 'job', id, 'result', value)
      outcomes[i + 1] = 'completed'
    else
      local g = redis.call('HMGET', job, 'opts', 'history')
      local priority, attempts, backoffType, backoffMs = unpackOptions(g[1])
      local final = 0
      if tonumber(made) >= attempts then final = 1 end
      event('event', 'failed', 'job', id, 'error', value, 'attempt', made, 'final', final)
      local history = withEntry(g[2], 'failed', made, value)
      local delay = backoff(backoffType, backoffMs, tonumber(made), tonumber(ARGV[b + 4]) or 0.5)
      if final == 1 then
        redis.call('ZADD', KEYS[4], nowText, id)
        redis.call('HSET', job, 'state', 'dead', 'token', '', 'attemptsMade', made, 'error', value,
          'finishedAt', nowText, 'history', history)
        outcomes[i + 1] = 'dead'
      elseif delay > 0 then
        redis.call('ZADD', KEYS[2], string.format('%d', now + delay), id)
        redis.call('HSET', job, 'state', 'delayed', 'token', '', 'attemptsMade', made, 'error', value,
          'history', history)
        outcomes[i + 1] = 'retry'
      else
        requeue(job, id, priority, { 'token', '', 'attemptsMade', made, 'error', value, 'history', history })
        outcomes[i + 1] = 'retry'
      end
    end
  end
end
if #ended > 0 then inSlices('ZREM', KEYS[3], ended) end
if completed > 0 then redis.call('INCRBY', KEYS[7], completed) end
if count <= 0 then
  flushEvents()
  return { outcomes, {}, -1, returned, now }
end

-- 2. Housekeeping.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', nowText, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[2], id)
  local job = prefix .. id
  requeue(job, id, unpackOptions(redis.call('HGET', job, 'opts')), {})
end

-- A job whose lease ran out stalled: back to waiting (or delayed by its backoff), one more stall
-- counted; dead past its maxStalls. f: its stalls, opts, attemptsMade, history, score.
local function stalled(job, id, f)
  local priority, _, backoffType, backoffMs, maxStalls = unpackOptions(f[2])
  local stalls = (tonumber(f[1]) or 0) + 1
  local stallsText = string.format('%d', stalls)
  local history = withEntry(f[4], 'stalled', string.format('%d', (tonumber(f[3]) or 0) + 1), nil)
  if stalls > maxStalls then
    local message = 'stalled ' .. stalls .. ' times (maxStalls ' .. maxStalls ..
      '): its lease expired each time — the worker crashed, was killed, or blocked its event loop'
    redis.call('ZADD', KEYS[4], nowText, id)
    redis.call('HSET', job, 'state', 'dead', 'token', '', 'stalls', stallsText, 'error', message,
      'finishedAt', nowText, 'history', history)
    event('event', 'stalled', 'job', id, 'stalls', stallsText, 'final', 1)
    return
  end
  event('event', 'stalled', 'job', id, 'stalls', stallsText, 'final', 0)
  local delay = backoff(backoffType, backoffMs, stalls, stallJitter)
  if delay > 0 then
    redis.call('ZADD', KEYS[2], string.format('%d', now + delay), id)
    redis.call('HSET', job, 'state', 'delayed', 'token', '', 'stalls', stallsText, 'history', history)
  elseif f[5] then
    -- Back in its place: it was at the head of the line when it was taken.
    redis.call('ZADD', KEYS[1], f[5], id)
    redis.call('HSET', job, 'state', 'wait', 'token', '', 'stalls', stallsText, 'history', history)
  else
    requeue(job, id, priority, { 'token', '', 'stalls', stallsText, 'history', history })
  end
end

for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', nowText, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[3], id)
  local job = prefix .. id
  local f = redis.call('HMGET', job, 'stalls', 'opts', 'attemptsMade', 'history', 'score', 'handed', 'token',
    'createdAt')
  if f[6] and string.sub(f[7] or '', -1) == '~' then
    -- Handed over (the token of a registration ends in '~', which a key parameter keeps as is)
    -- and never renewed. (A later lease is a take's: the mark no longer counts.)
    local wake = KEYS[10] .. ':' .. f[7]
    local leaseEnd = (tonumber(f[8]) or 0) + (tonumber(string.match(f[7], '%.(%d+)~$')) or 0)
    if f[6] == '1' and leaseEnd > now and not stillListed(wake)[id] then
      -- The first lease ran out, but the worker's wait took the job: it may be running there, its
      -- handler holding the event loop before the renewal is written. Leased until the worker's
      -- own lease from the add runs out, as the worker counts it; once.
      redis.call('HSET', job, 'handed', '2')
      redis.call('ZADD', KEYS[3], leaseEnd, id)
    else
      -- No handler has it: the worker died while it waited, or the wait's reply was lost, or its
      -- whole lease passed unrenewed. Back in its place, nothing counted; the worker's list,
      -- which may still hold the job, goes with it.
      backInPlace(job, id, f[5])
      redis.call('UNLINK', wake)
    end
  else
    stalled(job, id, f)
  end
end
flushEvents()

-- 3. Take.
local function nextWake()
  local wait = -1
  local d = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if d[2] then wait = math.max(0, tonumber(d[2]) - now) end
  local a = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if a[2] then
    local expires = math.max(0, tonumber(a[2]) - now)
    if wait < 0 or expires < wait then wait = expires end
  end
  return wait
end
-- Fewer jobs than asked: the worker will wait for more (BLPOP, for the hint returned, at most
-- pollMs), and registers as idle for as long, so that an add can hand it a job (add.lua).
local function idle()
  local wait = nextWake()
  if ARGV[12] ~= '' then
    local ms = tonumber(ARGV[14])
    if wait >= 0 and wait < ms then ms = math.max(1, wait) end
    -- Registrations whose wait is over (a worker killed while idle) go first.
    redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', '(' .. nowText)
    redis.call('ZADD', KEYS[10], string.format('%d', now + ms), ARGV[12])
  end
  return wait
end
-- Jobs left waiting: an idle worker is woken to take them, and no worker stays registered as
-- idle (add.lua hands a job over only while nothing waits). Not while paused: the workers would
-- only wake to find the queue paused, again and again.
local function leftWaiting()
  if redis.call('ZCARD', KEYS[1]) > 0 then
    redis.call('UNLINK', KEYS[10])
    if redis.call('LLEN', KEYS[9]) == 0 then redis.call('RPUSH', KEYS[9], '1') end
  end
end
if redis.call('EXISTS', KEYS[6]) == 1 then return { outcomes, {}, -1, returned, now } end
local popped = count > 0 and redis.call('ZPOPMIN', KEYS[1], count) or {}
if not popped[1] then
  -- Settling only (no free slot), what it gave back or retried may be left waiting.
  if count == 0 then leftWaiting() end
  return { outcomes, {}, idle(), returned, now }
end
local ids = {}
for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
if not redis.call('SET', takePrefix .. token, table.concat(ids, ' '), 'PX', leaseMs, 'NX') then
  -- This call's reply was already given up as lost (step 0 of a later call ran first).
  local back = {}
  for i = 1, #popped, 2 do
    back[#back + 1] = popped[i + 1]
    back[#back + 1] = popped[i]
  end
  inSlices('ZADD', KEYS[1], back)
  leftWaiting()
  return { outcomes, {}, 0, returned, now }
end
local deadline = string.format('%d', now + leaseMs)
local taken = {}
local leases = {}
for i = 1, #popped, 2 do
  local id = popped[i]
  local job = prefix .. id
  local f = redis.call('HMGET', job, 'name', 'data', 'opts', 'attemptsMade', 'stalls', 'repeat', 'rspec',
    'slot')
  redis.call('HSET', job, 'state', 'active', 'token', token, 'score', popped[i + 1])
  leases[#leases + 1] = deadline
  leases[#leases + 1] = id
  taken[#taken + 1] = { id, f[1], f[2], (tonumber(f[4]) or 0) + 1, f[3] or '', f[5] or '0', f[6] or '',
    f[7] or '', f[8] or '0' }
end
inSlices('ZADD', KEYS[3], leases)
if #taken == count then
  leftWaiting()
  return { outcomes, taken, 0, returned, now }
end
return { outcomes, taken, idle(), returned, now }
