--[[
Deletes the group's consumers that have been idle longer than a limit and hold no pending
entries. Checked and deleted in one step: XGROUP DELCONSUMER drops a consumer's pending
entries, so a consumer that received entries between a check and the delete would lose them.
KEYS[1]  the stream
ARGV[1]  the consumer group
ARGV[2]  idle limit, ms
ARGV[3]  the calling consumer (never deleted)
Returns the names of the deleted consumers.
]]
local deleted = {}
local limit = tonumber(ARGV[2])
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and tonumber(info['idle']) > limit then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    deleted[#deleted + 1] = info['name']
  end
end
return deleted
