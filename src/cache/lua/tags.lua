--[[
  cache-tags: invalidates every entry carrying any of the given tags by bumping the tags'
  versions: O(1) per tag whatever the number of entries (readers compare versions).
  The hash lives at least the tag retention, longer than any tagged entry.

  KEYS[1] the tag-version hash
  ARGV[1] the tags, escaped, separated by newlines
  ARGV[2] tag retention, ms
  ARGV[3] the cache's channel
  ARGV[4] the notification ('t|<origin>|<tags>')

  Returns the number of tags bumped.
]]
local count = 0
for tag in string.gmatch(ARGV[1], '[^\n]+') do
  redis.call('HINCRBY', KEYS[1], tag, 1)
  count = count + 1
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return count
