--[[
Records a failed execution as rq/worker.py handle_job_failure does on Redis >= 5. With
retries_left > 0 (rq/job.py retry): decrement it and enqueue the job again, or schedule it after
retry_intervals[max(n - retries_left, 0)] seconds. Otherwise: status 'failed' and ended_at on the
hash, EXPIRE failure_ttl (rq/registry.py FailedJobRegistry.add, job.cleanup), the
FailedJobRegistry, and a results-stream entry of type 2 with the exc_string (rq/results.py
create_failure). Out of the StartedJobRegistry either way; a vanished hash is not recreated.
KEYS[1]  the job hash
KEYS[2]  the StartedJobRegistry
KEYS[3]  the FailedJobRegistry
KEYS[4]  the job's results stream
KEYS[5]  the queue list (a retry)
KEYS[6]  the ScheduledJobRegistry (a retry after an interval)
KEYS[7]  the set of queue keys (rq:queues)
ARGV[1]  job id
ARGV[2]  ended_at, also enqueued_at of a retry (utcformat)
ARGV[3]  failure_ttl (s), -1 forever
ARGV[4]  now (unix s)
ARGV[5]  exc_string: base64(zlib(text))
ARGV[6]  '1' to honour retries_left, '0' to fail for good (undecodable job data)
Returns 'failed', 'queued' or 'scheduled'; 'gone' when the hash vanished.
]]
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local left = tonumber(redis.call('HGET', KEYS[1], 'retries_left') or '')
if ARGV[6] == '1' and left and left > 0 then
  local interval = 0
  local raw = redis.call('HGET', KEYS[1], 'retry_intervals')
  if raw then
    local ok, intervals = pcall(cjson.decode, raw)
    if ok and type(intervals) == 'table' and #intervals > 0 then
      interval = tonumber(intervals[math.max(#intervals - left, 0) + 1]) or 0
    end
  end
  redis.call('HSET', KEYS[1], 'retries_left', left - 1, 'ended_at', ARGV[2])
  redis.call('SADD', KEYS[7], KEYS[5])
  if interval > 0 then
    redis.call('HSET', KEYS[1], 'status', 'scheduled')
    redis.call('ZADD', KEYS[6], tonumber(ARGV[4]) + interval, ARGV[1])
    return 'scheduled'
  end
  redis.call('HSET', KEYS[1], 'status', 'queued', 'enqueued_at', ARGV[2])
  redis.call('RPUSH', KEYS[5], ARGV[1])
  return 'queued'
end
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'failed', 'ended_at', ARGV[2])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10, '*', 'type', 2, 'exc_string', ARGV[5])
if ttl < 0 then
  redis.call('ZADD', KEYS[3], '+inf', ARGV[1])
  redis.call('PERSIST', KEYS[4])
else
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[4], ttl)
  redis.call('ZADD', KEYS[3], tonumber(ARGV[4]) + ttl, ARGV[1])
end
return 'failed'
