--[[
Adds a batch of jobs (one or many: `add` is a batch of one, `addBulk` sends batches of up to
1000 in one pipeline). A job whose id already exists is left alone (idempotency: the id is the
caller's key; the window lasts while the job's hash exists, i.e. until its result expires).
Times come from the server's clock (TIME), never the producer's: a delay is added to it here.
Job hashes are `<job prefix><id>`: built here, as the take script does; they share the queue's
hash tag, so they live in the same Cluster slot as every key below.
KEYS[1]  waiting jobs (zset: priority · 2^42 + sequence, so FIFO within a priority)
KEYS[2]  delayed jobs (zset: due time, server ms)
KEYS[3]  the sequence counter
KEYS[4]  the wake-up signal (list, at most one element): idle workers block on it
KEYS[5]  active jobs (zset: lease deadline, server ms)
KEYS[6]  idle workers (zset: member = a registration's lease token, score = the end of its wait,
         server ms); a registered worker blocks on its own list, KEYS[6] .. ':' .. token
ARGV[1]  job hash key prefix
ARGV[2]  n, the number of jobs
ARGV[3]  1 when a job of the call carries an id its caller gave (it may exist: EXISTS), 0 when
         every id is the producer's own (a random prefix and a counter: new, no EXISTS)
ARGV[4]  the first lease of a job handed over, ms (RECEIPT_MS)
         then n groups of 6 arguments, ARGV[5 + 6·i ...]:
         id, name, encoded data, priority (0 = first), delay ms (0: ready now), and the job's
         options packed in one field (`opts`: 'priority|attempts|backoff type|backoff ms|timeout
         ms|max stalls', read by the other scripts; attemptsMade and stalls are absent until
         they are not 0: fewer fields, less work per job)
Hand-over: a ready job goes straight to an idle worker while one is registered (its take script
registered it as it found the queue empty). Registrations exist only while nothing waits — a
take that leaves jobs waiting drops them all (take.lua), and this script puts a job in the
waiting set only once none is left — so a job handed over never overtakes one that waits. The
job is leased to that registration's token (state active, its deadline in the active set), and
its fields are pushed to the worker's own list, on which it blocks: the wait's reply is the job,
and no take runs between the add and the handler. Its first lease is short (ARGV[4]), and the job
is marked `handed` until the worker renews it, which it does on receipt (extend.lua). A job still
on the list when that first lease runs out (the worker died while it waited) reached no handler:
the take script's housekeeping gives it back uncounted, not as a stall (and at once, if the
worker withdraws its registration with the job still on its list). One the wait took stays the
worker's for the lease its registration carries, counted from this add, before it goes back so.
Per hand-over (after TIME, and EXISTS for a given id): ZPOPMAX of the idle set, HSET, ZADD to the
active set, RPUSH to the worker's list. A registration whose wait is over is dropped (all of them:
ZPOPMAX found the latest), and the job waits as any other.
Otherwise, per call: TIME; per job: HSET (and EXISTS first for a given id); per batch: one INCRBY
of the sequence and one ZADD for the ready jobs (one ZADD for the delayed ones), then LLEN of the
signal and, when it is empty, one RPUSH: an idle worker wakes at once (for a delayed job, to
learn when it is due).
Returns n integers: 1 when that job was added, 0 when it already existed.
]]
local G = 6
local prefix = ARGV[1]
local n = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Lua prints a number with 14 significant digits: server ms are exact (13) until year 5138. On
-- the hand-over's path every library function counts (a cold string.format costs ~5 µs).
local nowText = tostring(now)
local P = 4398046511104
local givenIds = ARGV[3] == '1'
local receiptMs = tonumber(ARGV[4])
-- Until a hand-over finds no live registration: from then on, ready jobs wait.
local handing = true

-- Leases the job to an idle worker and pushes it to that worker's list; false when none waits.
local function handOver(job, id, b)
  local idle = redis.call('ZPOPMAX', KEYS[6])
  if not idle[1] then
    handing = false
    return false
  end
  if tonumber(idle[2]) < now then
    redis.call('UNLINK', KEYS[6])
    handing = false
    return false
  end
  local token = idle[1]
  -- Its place in the line, should it be given back: the head of its priority (nothing waited).
  local priority = ARGV[b + 3]
  local score = priority == '0' and '0' or string.format('%d', tonumber(priority) * P)
  local name, opts = ARGV[b + 1], ARGV[b + 5]
  redis.call('HSET', job, 'name', name, 'data', ARGV[b + 2], 'opts', opts, 'createdAt', nowText,
    'state', 'active', 'token', token, 'score', score, 'handed', '1')
  redis.call('ZADD', KEYS[5], now + receiptMs, id)
  -- Lines: 'token now opts' (no space in any), the id (no newline: ids are A-Z a-z 0-9 . _ ~ -),
  -- the data (JSON as Queue encodes it: no raw newline), and last the name, which may hold any
  -- character. Concatenation, no encoder; the worker splits at the first three newlines.
  redis.call('RPUSH', KEYS[6] .. ':' .. token, token .. ' ' .. nowText .. ' ' .. opts .. '\n' .. id .. '\n' ..
    ARGV[b + 2] .. '\n' .. name)
  return true
end

local added = {}
local ready = {}
local delayed = {}
for i = 0, n - 1 do
  local b = 5 + i * G
  local id = ARGV[b]
  local job = prefix .. id
  if givenIds and redis.call('EXISTS', job) == 1 then
    added[i + 1] = 0
  elseif handing and tonumber(ARGV[b + 4]) <= 0 and handOver(job, id, b) then
    added[i + 1] = 1
  else
    added[i + 1] = 1
    local delay = tonumber(ARGV[b + 4])
    local state = 'wait'
    if delay > 0 then
      state = 'delayed'
      delayed[#delayed + 1] = string.format('%d', now + delay)
      delayed[#delayed + 1] = id
    else
      ready[#ready + 1] = tonumber(ARGV[b + 3])
      ready[#ready + 1] = id
    end
    redis.call('HSET', job, 'name', ARGV[b + 1], 'data', ARGV[b + 2], 'opts', ARGV[b + 5],
      'createdAt', nowText, 'state', state)
  end
end
if #ready > 0 then
  local seq = redis.call('INCRBY', KEYS[3], #ready / 2) - #ready / 2
  for i = 1, #ready, 2 do
    seq = seq + 1
    ready[i] = string.format('%d', ready[i] * P + seq)
  end
  redis.call('ZADD', KEYS[1], unpack(ready))
end
if #delayed > 0 then redis.call('ZADD', KEYS[2], unpack(delayed)) end
if (#ready > 0 or #delayed > 0) and redis.call('LLEN', KEYS[4]) == 0 then redis.call('RPUSH', KEYS[4], '1') end
return added
