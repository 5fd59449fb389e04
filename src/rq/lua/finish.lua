--[[
Records a successful execution as rq/worker.py handle_job_success does on Redis >= 5
(rq/job.py _handle_success and cleanup, rq/results.py Result.save): status 'finished' and
ended_at on the hash; one results-stream entry (XADD MAXLEN ~ 10) with the result TTL; the
FinishedJobRegistry; EXPIRE result_ttl on the hash (result_ttl 0 deletes job and result, -1 keeps
them); out of the StartedJobRegistry. A job whose hash vanished while it ran (deleted or
cancelled) only leaves the StartedJobRegistry: writing would resurrect a partial hash.
KEYS[1]  the job hash
KEYS[2]  the StartedJobRegistry
KEYS[3]  the FinishedJobRegistry
KEYS[4]  the job's results stream (rq:results:<id>)
ARGV[1]  job id
ARGV[2]  ended_at (utcformat)
ARGV[3]  result_ttl (s): -1 forever, 0 discard
ARGV[4]  now (unix s)
ARGV[5]  the entry's return_value (base64 JSON), or '' for None
Returns 1, or 0 when the job was gone.
]]
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = tonumber(ARGV[3])
if ttl == 0 then
  redis.call('UNLINK', KEYS[1], KEYS[4])
  return 1
end
redis.call('HSET', KEYS[1], 'status', 'finished', 'ended_at', ARGV[2])
if ARGV[5] == '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10, '*', 'type', 1)
else
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10, '*', 'type', 1, 'return_value', ARGV[5])
end
if ttl < 0 then
  redis.call('PERSIST', KEYS[4])
  redis.call('ZADD', KEYS[3], '+inf', ARGV[1])
else
  redis.call('EXPIRE', KEYS[4], ttl)
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[3], tonumber(ARGV[4]) + ttl, ARGV[1])
end
return 1
