--[[
Adds a job, or returns the existing one when a job with this id exists (idempotency: the id is
the caller's key; the window lasts while the job's hash exists, i.e. until its result expires).
KEYS[1]  the job hash
KEYS[2]  waiting jobs (zset: priority · 2^42 + sequence, so FIFO within a priority)
KEYS[3]  delayed jobs (zset: due time, ms)
KEYS[4]  the sequence counter
ARGV[1]  job id
ARGV[2]  job name
ARGV[3]  encoded data
ARGV[4]  priority (0 = first)
ARGV[5]  delay, ms (0: ready now)
ARGV[6]  max attempts
ARGV[7]  backoff type ('fixed' | 'exponential')
ARGV[8]  backoff delay, ms
ARGV[9]  timeout, ms (0: none)
ARGV[10] now, ms
Returns { id, 1 } when added, { id, 0 } when the job already existed.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return { ARGV[1], 0 } end
local delay = tonumber(ARGV[5])
local state = 'wait'
if delay > 0 then state = 'delayed' end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'data', ARGV[3], 'priority', ARGV[4], 'attempts', ARGV[6],
  'backoffType', ARGV[7], 'backoffMs', ARGV[8], 'timeoutMs', ARGV[9], 'attemptsMade', 0,
  'createdAt', ARGV[10], 'state', state)
if delay > 0 then
  redis.call('ZADD', KEYS[3], string.format('%.0f', tonumber(ARGV[10]) + delay), ARGV[1])
else
  local seq = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[2], string.format('%.0f', tonumber(ARGV[4]) * 4398046511104 + seq), ARGV[1])
end
return { ARGV[1], 1 }
