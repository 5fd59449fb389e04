--[[
Marks a job taken from its queue (BLPOP) as running, as rq/worker.py prepare_job_execution and
rq/job.py perform do: HSET last_heartbeat, status 'started', started_at, worker_name; ZADD it to
the StartedJobRegistry with the heartbeat expiry; PERSIST the hash (a job with a ttl must not
expire while it runs). A job whose hash is gone is skipped, as RQ's dequeue_any skips it.
KEYS[1]  the job hash
KEYS[2]  the StartedJobRegistry (rq:wip:<queue>)
ARGV[1]  job id
ARGV[2]  now (utcformat)
ARGV[3]  worker name
ARGV[4]  heartbeat expiry (unix s): the registry score
Returns false when the job does not exist, else its data, timeout, result_ttl, failure_ttl,
description, origin, meta, created_at, enqueued_at, retries_left.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[2], 'status', 'started', 'started_at', ARGV[2],
  'worker_name', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('PERSIST', KEYS[1])
return redis.call('HMGET', KEYS[1], 'data', 'timeout', 'result_ttl', 'failure_ttl', 'description',
  'origin', 'meta', 'created_at', 'enqueued_at', 'retries_left')
