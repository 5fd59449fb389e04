--[[
Puts one message whose visibility timeout passed back on a queue, as kombu's
QoS.restore_by_tag does, but as a compare-and-set instead of WATCH/MULTI: only when `unacked`
still holds exactly the value the caller read (so a worker that acked meanwhile, or another
restorer, kombu's included, wins and nothing is pushed twice). RPUSH, like kombu's
_do_restore_message: the restored message is the next one taken.
KEYS[1]  unacked (hash)
KEYS[2]  unacked_index (zset)
KEYS[3]  the list to push to (the queue; the dead-letter list for an unreadable entry)
ARGV[1]  the delivery tag
ARGV[2]  the unacked value read for it
ARGV[3]  the message to push (the envelope, marked redelivered)
Returns 1 when restored, 0 when the entry changed or is gone (only its index entry is dropped).
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
if current ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[3])
return 1
