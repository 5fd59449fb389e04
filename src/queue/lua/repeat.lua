--[[
Schedules one occurrence of a repeatable job: the job for one scheduled time (a slot), as a
delayed job due at that time. Its id is derived from the schedule's key and the slot by the
caller, so that every producer and worker that schedules the same slot names the same job:
whoever comes first adds it, the others find it (one job per slot).
Two modes:
- 'set' (queue.repeat): stores the schedule (`spec:<key>` in the schedules hash). A schedule
  that replaces a different one under the same key also removes that one's pending occurrence.
- 'next' (a worker took an occurrence): schedules the following slot only if the schedule is
  still the one that occurrence belongs to (not removed, not replaced), copying its fields.
The pending occurrence's id is kept in `next:<key>`, for removal and listing.
Job hashes are `<job prefix><id>` (same hash tag, same Cluster slot as the keys below).
KEYS[1]  the schedules hash
KEYS[2]  delayed jobs (zset: due time, server ms)
KEYS[3]  the wake-up signal (list)
KEYS[4]  waiting jobs (zset): a pending occurrence may already be there
ARGV[1]  job hash key prefix
ARGV[2]  the schedule's key
ARGV[3]  the schedule (JSON text, compared as is)
ARGV[4]  'set' | 'next'
ARGV[5]  the occurrence's job id
ARGV[6]  its slot (ms since the epoch): its due time
ARGV[7]  'next': the id of the occurrence taken ('set': '')
ARGV[8]  'set': the job's name ('next': '', copied from the occurrence taken, as the next two)
ARGV[9]  'set': the encoded data
ARGV[10] 'set': the packed job options (see add.lua)
Per call: TIME, HGET of the schedule, EXISTS; when it adds: HSET, ZADD delayed, HSET of
`next:<key>`, LLEN of the signal (+ RPUSH).
Returns 1 when the occurrence was added, 0 when it existed already, -1 when the schedule is gone
or was replaced ('next').
]]
local specField = 'spec:' .. ARGV[2]
local nextField = 'next:' .. ARGV[2]
local prefix = ARGV[1]
local t = redis.call('TIME')
local nowText = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local current = redis.call('HGET', KEYS[1], specField)
local fields
if ARGV[4] == 'next' then
  if current ~= ARGV[3] then return -1 end
  local f = redis.call('HMGET', prefix .. ARGV[7], 'name', 'data', 'opts')
  if not f[1] then return -1 end
  fields = f
else
  if current ~= ARGV[3] then
    if current then
      -- Replaced: the old schedule's pending occurrence goes if it has not started.
      local old = redis.call('HGET', KEYS[1], nextField)
      if old and old ~= ARGV[5] then
        local state = redis.call('HGET', prefix .. old, 'state')
        if state == 'delayed' or state == 'wait' then
          redis.call('ZREM', KEYS[2], old)
          redis.call('ZREM', KEYS[4], old)
          redis.call('UNLINK', prefix .. old)
        end
      end
    end
    redis.call('HSET', KEYS[1], specField, ARGV[3])
  end
  fields = { ARGV[8], ARGV[9], ARGV[10] }
end
local job = prefix .. ARGV[5]
if redis.call('EXISTS', job) == 1 then return 0 end
redis.call('HSET', job, 'name', fields[1], 'data', fields[2], 'opts', fields[3], 'createdAt', nowText,
  'state', 'delayed', 'repeat', ARGV[2], 'rspec', ARGV[3], 'slot', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
redis.call('HSET', KEYS[1], nextField, ARGV[5])
if redis.call('LLEN', KEYS[3]) == 0 then redis.call('RPUSH', KEYS[3], '1') end
return 1
