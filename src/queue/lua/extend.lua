--[[
Renews the leases of a worker's running jobs, for their holder only: one call per renewal round.
The new deadline is the server's clock (TIME) + the lease: no worker clock enters it.
Job hashes are `<job prefix><id>` (same hash tag, same Cluster slot as the active set).
KEYS[1]  active jobs (zset: lease deadline, server ms)
ARGV[1]  job hash key prefix
ARGV[2]  lease, ms
ARGV[3]  n, the number of jobs; then n pairs, ARGV[4 + 2·i ...]: job id, its lease token
Per call: TIME; per job: HGET of the token; then one ZADD XX for every job still held. A job an
add handed over (token ending in '~') is received: its `handed` mark goes (one HDEL), and from
now on a lease that runs out is a stall (take.lua).
Returns the ids whose lease is no longer this worker's: it ran out and the job was recovered (a
stall), and may be running elsewhere now.
]]
local t = redis.call('TIME')
local deadline = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2]))
local leases = {}
local lost = {}
local n = tonumber(ARGV[3])
for i = 0, n - 1 do
  local id = ARGV[4 + i * 2]
  local token = ARGV[5 + i * 2]
  if redis.call('HGET', ARGV[1] .. id, 'token') == token then
    if string.sub(token, -1) == '~' then redis.call('HDEL', ARGV[1] .. id, 'handed') end
    leases[#leases + 1] = deadline
    leases[#leases + 1] = id
  else
    lost[#lost + 1] = id
  end
end
if #leases > 0 then redis.call('ZADD', KEYS[1], 'XX', unpack(leases)) end
return lost
