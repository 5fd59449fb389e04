--[[
Removes a repeatable job's schedule and its pending occurrence (if it has not started: a running
one finishes, and schedules nothing after it since its schedule is gone).
KEYS[1]  the schedules hash
KEYS[2]  delayed jobs (zset)
KEYS[3]  waiting jobs (zset)
ARGV[1]  job hash key prefix
ARGV[2]  the schedule's key
Returns 1 when the schedule existed, else 0.
]]
local pending = redis.call('HGET', KEYS[1], 'next:' .. ARGV[2])
local existed = redis.call('HDEL', KEYS[1], 'spec:' .. ARGV[2], 'next:' .. ARGV[2])
if pending then
  local job = ARGV[1] .. pending
  local state = redis.call('HGET', job, 'state')
  if state == 'delayed' or state == 'wait' then
    redis.call('ZREM', KEYS[2], pending)
    redis.call('ZREM', KEYS[3], pending)
    redis.call('UNLINK', job)
  end
end
if existed > 0 then return 1 end
return 0
