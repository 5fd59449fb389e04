--[[
rq/worker.py clean_registries for one queue, under RQ's own cleaning lock (rq/queue.py
acquire_cleaning_lock: SET NX EX 899, so Python workers and this one take turns).
StartedJobRegistry.cleanup (rq/registry.py): a job whose heartbeat expiry has passed belongs to a
worker that died; with retries_left > 0 it is retried (enqueued again, or scheduled after its
interval), otherwise it becomes 'failed' with exc_info "Moved to FailedJobRegistry at <time>",
EXPIRE failure_ttl and the FailedJobRegistry. Then the expired entries of the Finished and Failed
registries are dropped. At most 1000 abandoned jobs per call (RQ reads them all at once).
KEYS[1]  the StartedJobRegistry
KEYS[2]  the FailedJobRegistry
KEYS[3]  the FinishedJobRegistry
KEYS[4]  the queue list (retries)
KEYS[5]  the ScheduledJobRegistry (retries after an interval)
KEYS[6]  the set of queue keys
KEYS[7]  the cleaning lock (rq:clean_registries:<queue>)
ARGV[1]  now (unix s)
ARGV[2]  the job hash prefix ('rq:job:'); job hashes are named by the ids in the registry
ARGV[3]  exc_info: zlib("Moved to FailedJobRegistry at <time>")
ARGV[4]  the default failure_ttl (s)
ARGV[5]  now (utcformat), enqueued_at of a retried job
ARGV[6]  '1' to skip the lock (an explicit cleanup call)
Returns { jobs moved to failed, jobs retried }, or { -1, 0 } when another worker holds the lock.
]]
if ARGV[6] ~= '1' and not redis.call('SET', KEYS[7], '1', 'NX', 'EX', 899) then return { -1, 0 } end
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, now, 'LIMIT', 0, 1000)
local failed, retried = 0, 0
for _, id in ipairs(ids) do
  local job = ARGV[2] .. id
  if redis.call('EXISTS', job) == 1 then
    local left = tonumber(redis.call('HGET', job, 'retries_left') or '')
    if left and left > 0 then
      local interval = 0
      local raw = redis.call('HGET', job, 'retry_intervals')
      if raw then
        local ok, intervals = pcall(cjson.decode, raw)
        if ok and type(intervals) == 'table' and #intervals > 0 then
          interval = tonumber(intervals[math.max(#intervals - left, 0) + 1]) or 0
        end
      end
      redis.call('HSET', job, 'retries_left', left - 1)
      redis.call('SADD', KEYS[6], KEYS[4])
      if interval > 0 then
        redis.call('HSET', job, 'status', 'scheduled')
        redis.call('ZADD', KEYS[5], now + interval, id)
      else
        redis.call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[5])
        redis.call('RPUSH', KEYS[4], id)
      end
      retried = retried + 1
    else
      local ttl = tonumber(redis.call('HGET', job, 'failure_ttl') or '') or tonumber(ARGV[4])
      redis.call('HSET', job, 'status', 'failed', 'exc_info', ARGV[3])
      if ttl < 0 then
        redis.call('ZADD', KEYS[2], '+inf', id)
      else
        redis.call('EXPIRE', job, ttl)
        redis.call('ZADD', KEYS[2], now + ttl, id)
      end
      failed = failed + 1
    end
  end
  redis.call('ZREM', KEYS[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], 0, now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, now)
return { failed, retried }
