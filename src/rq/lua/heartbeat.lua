--[[
A running job's heartbeat, as rq/job.py heartbeat(xx=True) in rq/worker.py maintain_heartbeats:
HSET last_heartbeat and push its StartedJobRegistry score forward, only while it is still there
(ZADD XX), and only while the hash exists (HSET would otherwise create a ghost job).
KEYS[1]  the job hash
KEYS[2]  the StartedJobRegistry
ARGV[1]  job id
ARGV[2]  now (utcformat)
ARGV[3]  new expiry (unix s)
Returns 1 when the job is still registered as started, else 0.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
return redis.call('ZSCORE', KEYS[2], ARGV[1]) and 1 or 0
