--[[
Stores a task's outcome the way Celery's Redis backend does, and acks its message, atomically:
the result is stored if and only if the message leaves `unacked`, so a crash can never leave a
stored result with a message that runs again, nor an acked message without its result.
Like Celery's BaseKeyValueStoreBackend._store_result, an outcome never overwrites a SUCCESS
already stored (a redelivered duplicate must not turn a success into a failure). Like
RedisBackend._set, the meta is SET (with the result TTL) and PUBLISHed on the key's own name,
which is the channel AsyncResult.get() listens on.
KEYS[1]  the result key, celery-task-meta-<task id>
KEYS[2]  unacked (hash)
KEYS[3]  unacked_index (zset)
ARGV[1]  the result meta, json
ARGV[2]  the result TTL, seconds (0: no TTL)
ARGV[3]  the message's delivery tag
ARGV[4]  '1' to store the result, '0' to ack only (ignore_result)
Returns { stored (1, or 0 when skipped), acked (1, or 0 when the message was no longer held) }.
]]
local stored = 0
if ARGV[4] == '1' then
  local current = redis.call('GET', KEYS[1])
  local done = false
  if current then
    local ok, meta = pcall(cjson.decode, current)
    done = ok and type(meta) == 'table' and meta.status == 'SUCCESS'
  end
  if not done then
    local ttl = tonumber(ARGV[2])
    if ttl > 0 then
      redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
    else
      redis.call('SET', KEYS[1], ARGV[1])
    end
    redis.call('PUBLISH', KEYS[1], ARGV[1])
    stored = 1
  end
end
redis.call('ZREM', KEYS[3], ARGV[3])
local acked = redis.call('HDEL', KEYS[2], ARGV[3])
return { stored, acked }
