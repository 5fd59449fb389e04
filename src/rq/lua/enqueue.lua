--[[
Enqueues (or schedules) one RQ job as rq/queue.py enqueue_job / schedule_job do in their
pipeline: SADD rq:queues, the job hash as rq/job.py to_dict writes it, EXPIRE ttl (job.cleanup),
then RPUSH (LPUSH at front) or ZADD into the ScheduledJobRegistry. An existing hash with this id
is written over, as RQ does.
KEYS[1]  the job hash (rq:job:<id>)
KEYS[2]  the queue list (rq:queue:<name>); also the member added to rq:queues
KEYS[3]  the set of queue keys (rq:queues)
KEYS[4]  the ScheduledJobRegistry (rq:scheduled:<name>)
ARGV[1]  job id
ARGV[2]  data: zlib(JSON [func, null, args, kwargs])
ARGV[3]  created_at (utcformat)
ARGV[4]  origin: the queue name
ARGV[5]  description
ARGV[6]  timeout (s, -1 = none)
ARGV[7]  result_ttl (s) or '' when unset
ARGV[8]  failure_ttl (s) or '' when unset
ARGV[9]  ttl (s) or '' when unset
ARGV[10] meta: JSON, or '' for none
ARGV[11] '1' to enqueue at the front
ARGV[12] when to run (unix s) for a scheduled job, or '' to enqueue now
ARGV[13] retries_left or '' for no retry
ARGV[14] retry_intervals (JSON list) or ''
Returns the queue length after the push, or 0 for a scheduled job.
]]
local scheduled = ARGV[12] ~= ''
redis.call('SADD', KEYS[3], KEYS[2])
local fields = {
  'created_at', ARGV[3], 'data', ARGV[2], 'success_callback_name', '', 'failure_callback_name', '',
  'started_at', '', 'ended_at', '', 'last_heartbeat', '', 'worker_name', '',
  'origin', ARGV[4], 'description', ARGV[5], 'timeout', ARGV[6],
}
if scheduled then
  table.insert(fields, 'status'); table.insert(fields, 'scheduled')
  if ARGV[11] == '1' then table.insert(fields, 'enqueue_at_front'); table.insert(fields, '1') end
else
  table.insert(fields, 'status'); table.insert(fields, 'queued')
  table.insert(fields, 'enqueued_at'); table.insert(fields, ARGV[3])
end
local optional = { result_ttl = ARGV[7], failure_ttl = ARGV[8], ttl = ARGV[9], meta = ARGV[10],
  retries_left = ARGV[13], retry_intervals = ARGV[14] }
for name, value in pairs(optional) do
  if value ~= '' then table.insert(fields, name); table.insert(fields, value) end
end
redis.call('HSET', KEYS[1], unpack(fields))
if scheduled then
  redis.call('ZADD', KEYS[4], ARGV[12], ARGV[1])
  return 0
end
if ARGV[9] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[9]) end
if ARGV[11] == '1' then return redis.call('LPUSH', KEYS[2], ARGV[1]) end
return redis.call('RPUSH', KEYS[2], ARGV[1])
