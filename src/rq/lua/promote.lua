--[[
rq/scheduler.py for one queue: holds RQ's scheduler lock (SET NX EX interval + 60, value = who
holds it; RQ's own scheduler and this one take turns per queue), then enqueues every job of the
ScheduledJobRegistry that is due (enqueue_scheduled_jobs → Queue.enqueue_job: status 'queued',
enqueued_at, SADD rq:queues, EXPIRE ttl, RPUSH — LPUSH when enqueue_at_front — and ZREM).
At most 1000 jobs per call. With ARGV[6] = '1' it only releases the lock (if held).
KEYS[1]  the ScheduledJobRegistry
KEYS[2]  the queue list
KEYS[3]  the set of queue keys (rq:queues)
KEYS[4]  the scheduler lock (rq:scheduler-lock:<queue>)
ARGV[1]  now (unix s)
ARGV[2]  now (utcformat): enqueued_at
ARGV[3]  the job hash prefix ('rq:job:')
ARGV[4]  this scheduler's token (the lock value)
ARGV[5]  lock TTL (s)
ARGV[6]  '1' to release the lock instead
Returns the number of jobs enqueued, or -1 when another scheduler holds the lock.
]]
local holder = redis.call('GET', KEYS[4])
if ARGV[6] == '1' then
  if holder == ARGV[4] then redis.call('DEL', KEYS[4]) end
  return 0
end
if holder == ARGV[4] then
  redis.call('EXPIRE', KEYS[4], ARGV[5])
elseif not redis.call('SET', KEYS[4], ARGV[4], 'NX', 'EX', ARGV[5]) then
  return -1
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, ARGV[1], 'LIMIT', 0, 1000)
local moved = 0
for _, id in ipairs(ids) do
  local job = ARGV[3] .. id
  if redis.call('EXISTS', job) == 1 then
    redis.call('SADD', KEYS[3], KEYS[2])
    redis.call('HSET', job, 'status', 'queued', 'enqueued_at', ARGV[2])
    local ttl = tonumber(redis.call('HGET', job, 'ttl') or '')
    if ttl and ttl > 0 then redis.call('EXPIRE', job, ttl) end
    if redis.call('HGET', job, 'enqueue_at_front') == '1' then
      redis.call('LPUSH', KEYS[2], id)
    else
      redis.call('RPUSH', KEYS[2], id)
    end
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[1], id)
end
return moved
