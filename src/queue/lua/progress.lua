--[[
Records a running job's progress, for the worker that holds its lease only, and appends a
'progress' event to the queue's capped events stream.
KEYS[1]  the job hash
KEYS[2]  events stream (capped)
ARGV[1]  job id
ARGV[2]  lease token
ARGV[3]  encoded progress (JSON)
ARGV[4]  events stream MAXLEN (~); 0: write no event
Returns 1 when recorded, 0 when the lease is no longer this worker's.
]]
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[3])
local maxLen = tonumber(ARGV[4])
if maxLen > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxLen, '*', 'event', 'progress', 'job', ARGV[1], 'progress', ARGV[3])
end
return 1
