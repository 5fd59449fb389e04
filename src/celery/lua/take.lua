--[[
Takes up to ARGV[3] messages from one Celery queue, highest priority first, and records each in
kombu's ack emulation in the same atomic step. kombu does this in two steps (BRPOP, then the
ZADD/HSET pipeline of QoS.append), so a consumer that dies between them loses the message; here
the message is never outside Redis.
Lists are tried in kombu's BRPOP order: the queue itself (priorities 0-2, kombu's highest), then
its '\x06\x16'3, 6 and 9 lists; each is popped from the right (producers LPUSH: FIFO).
The unacked value is what kombu's QoS.append writes, json [envelope, exchange, routing key]; the
envelope is spliced in as the exact bytes taken, never re-encoded (cjson would turn [] into {}
and round big integers).
A message that is not a kombu envelope (not JSON, or no properties.delivery_tag, which is its
field in `unacked`) moves to the dead-letter list instead and is returned for the worker to report.
KEYS[1]  unacked (hash: delivery tag -> json [envelope, exchange, routing key])
KEYS[2]  unacked_index (zset: delivery tag -> time taken, seconds)
KEYS[3]  the queue's own list (priorities 0-2)
KEYS[4]  its priority 3-5 list
KEYS[5]  its priority 6-8 list
KEYS[6]  its priority 9 list
KEYS[7]  the dead-letter list
ARGV[1]  now, seconds since the epoch (a float, like kombu's time())
ARGV[2]  the queue's name: the routing key recorded when the envelope has none
ARGV[3]  how many messages at most
Returns a flat array { 'ok' | 'dead', message, ... } in the order taken.
]]
local out = {}
local want = tonumber(ARGV[3])
local taken = 0
for i = 3, 6 do
  while taken < want do
    local raw = redis.call('RPOP', KEYS[i])
    if not raw then break end
    taken = taken + 1
    local ok, message = pcall(cjson.decode, raw)
    local tag = nil
    local props = nil
    if ok and type(message) == 'table' and type(message.properties) == 'table' then
      props = message.properties
      tag = props.delivery_tag
    end
    if type(tag) == 'string' and tag ~= '' then
      local exchange, routing = '', ARGV[2]
      local info = props.delivery_info
      if type(info) == 'table' then
        if type(info.exchange) == 'string' then exchange = info.exchange end
        if type(info.routing_key) == 'string' and info.routing_key ~= '' then routing = info.routing_key end
      end
      redis.call('ZADD', KEYS[2], ARGV[1], tag)
      redis.call('HSET', KEYS[1], tag, '[' .. raw .. ', ' .. cjson.encode(exchange) .. ', ' .. cjson.encode(routing) .. ']')
      out[#out + 1] = 'ok'
    else
      redis.call('LPUSH', KEYS[7], raw)
      out[#out + 1] = 'dead'
    end
    out[#out + 1] = raw
  end
end
return out
