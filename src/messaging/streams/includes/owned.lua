-- owned(stream, group, consumer, id): whether the entry is pending for this consumer. Only the
-- consumer that still owns an entry keeps it or decides its fate: another may have reclaimed it
-- (this one's renewals stopped reaching Redis for claimIdleMs), and runs it now.
local function owned(stream, group, consumer, id)
  return redis.call('XPENDING', stream, group, id, id, 1, consumer)[1] ~= nil
end
