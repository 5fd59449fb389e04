--[[
  cache-write: set / setMany / writeThrough. Stores the value and bumps the generation in one
  step, so that a load which started before this write cannot overwrite it with older data.

  A write that names no tags keeps the entry's tags (ARGV[6] = '1'): when the stored value's
  header carries a stamp (tag=version,...), nothing is written and the stamp is returned, so that
  the caller writes again with those tags at their current versions (the tag-version hash is in
  another Cluster slot, out of this script's reach). A value stored without tags (or none at all)
  is written at once: the common case stays one round trip.

  KEYS[1] the value key
  KEYS[2] the generation key (same slot)
  ARGV[1] the envelope to store
  ARGV[2] its TTL, ms
  ARGV[3] generation TTL, ms
  ARGV[4] the cache's channel
  ARGV[5] the notification ('s|<origin>|<key>')
  ARGV[6] '1': keep the stored value's tags (see above); '0': write as given

  Returns 1 when written, or {0, stamp} when the stored value has tags to keep.
]]
if ARGV[6] == '1' then
  -- The header is '~1|freshUntil|createdAt|loadMs|flags|stamp' up to the first newline.
  local head = redis.call('GETRANGE', KEYS[1], 0, 65535)
  if string.sub(head, 1, 3) == '~1|' then
    local newline = string.find(head, '\n', 4, true)
    if newline then
      local stamp = string.match(string.sub(head, 4, newline - 1), '^[^|]*|[^|]*|[^|]*|[^|]*|(.*)$')
      if stamp and stamp ~= '' then
        return { 0, stamp }
      end
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
