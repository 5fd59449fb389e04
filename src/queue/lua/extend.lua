--[[
Renews a running job's lease, for its holder only.
KEYS[1]  the job hash
KEYS[2]  active jobs (zset: lease deadline)
ARGV[1]  job id
ARGV[2]  lease token
ARGV[3]  new deadline, ms
Returns 1 when renewed, 0 when the lease is no longer this worker's.
]]
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
return 1
