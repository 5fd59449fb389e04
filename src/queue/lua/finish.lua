--[[
Ends one attempt of a job, for the worker that holds its lease only (a worker whose lease
expired and whose job was handed to another must not overwrite the new attempt's outcome).
Outcomes: 'completed' (result kept with a TTL), 'retry' (back to waiting, or delayed by the
backoff), 'dead' (failed on its last attempt).
KEYS[1]  the job hash
KEYS[2]  active jobs (zset)
KEYS[3]  waiting jobs (zset)
KEYS[4]  delayed jobs (zset)
KEYS[5]  dead jobs (zset)
KEYS[6]  the sequence counter
KEYS[7]  completed counter
KEYS[8]  events stream (capped)
ARGV[1]  job id
ARGV[2]  lease token
ARGV[3]  outcome: 'completed' or 'failed'
ARGV[4]  encoded result, or the error message
ARGV[5]  now, ms
ARGV[6]  completed job TTL, ms
ARGV[7]  retry delay, ms (backoff with jitter, computed by the caller)
ARGV[8]  events stream MAXLEN (~); 0: write no event
Returns 'completed', 'retry', 'dead', or false when the lease is no longer this worker's.
]]
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return false end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], 'token')
local now = tonumber(ARGV[5])
local maxLen = tonumber(ARGV[8])
local function event(...)
  if maxLen > 0 then redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxLen, '*', ...) end
end
if ARGV[3] == 'completed' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'result', ARGV[4], 'finishedAt', now)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('INCR', KEYS[7])
  event('event', 'completed', 'job', ARGV[1], 'result', ARGV[4])
  return 'completed'
end
local made = tonumber(redis.call('HGET', KEYS[1], 'attemptsMade'))
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts'))
redis.call('HSET', KEYS[1], 'error', ARGV[4])
local final = 0
if made >= attempts then final = 1 end
event('event', 'failed', 'job', ARGV[1], 'error', ARGV[4], 'attempt', made, 'final', final)
if made >= attempts then
  redis.call('ZADD', KEYS[5], now, ARGV[1])
  redis.call('HSET', KEYS[1], 'state', 'dead', 'finishedAt', now)
  return 'dead'
end
local delay = tonumber(ARGV[7])
if delay > 0 then
  redis.call('ZADD', KEYS[4], now + delay, ARGV[1])
  redis.call('HSET', KEYS[1], 'state', 'delayed')
else
  local priority = tonumber(redis.call('HGET', KEYS[1], 'priority') or '0')
  local seq = redis.call('INCR', KEYS[6])
  redis.call('ZADD', KEYS[3], string.format('%.0f', priority * 4398046511104 + seq), ARGV[1])
  redis.call('HSET', KEYS[1], 'state', 'wait')
end
return 'retry'
