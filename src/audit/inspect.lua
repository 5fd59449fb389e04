--[[ audit-inspect: what the audit records of each key of one SCAN page, in one call.
KEYS: none. The keys travel as ARGV because they are not known in advance: they come from a
SCAN on this very node, so on a Cluster every one of them is in a slot this node serves, and
the script reads no other key. It only reads (run as EVALSHA_RO / EVAL_RO, which the server
refuses to let write), O(1) per key; a page is kept small so the call stays short.
ARGV[1] samples: MEMORY USAGE SAMPLES
ARGV[2] memory: '1' to ask MEMORY USAGE, '0' not to (the user may not)
ARGV[3] encoding: '1' to ask OBJECT ENCODING, '0' not to
ARGV[4..]: the keys
Returns a flat array, five values per key: type ('none': gone since SCAN), PTTL, MEMORY USAGE,
OBJECT ENCODING, size (STRLEN, HLEN, LLEN, SCARD, ZCARD or XLEN); nil where not asked or not
applicable; a refused optional command's error in its place.
]]
local SIZE = { string = 'STRLEN', hash = 'HLEN', list = 'LLEN', set = 'SCARD', zset = 'ZCARD', stream = 'XLEN' }
-- Encodings that belong to one type: TYPE is asked only for the others (listpack, hashtable...).
local TYPE_OF = {
  int = 'string', embstr = 'string', raw = 'string', skiplist = 'zset', intset = 'set',
  quicklist = 'list', linkedlist = 'list', stream = 'stream',
}
local samples = ARGV[1]
local memory = ARGV[2] == '1'
local encoding = ARGV[3] == '1'
local out = {}
local n = 0
for i = 4, #ARGV do
  local key = ARGV[i]
  local ttl = redis.call('PTTL', key)
  local kind, bytes, enc, size = 'none', false, false, false
  if ttl ~= -2 then
    if memory then bytes = redis.pcall('MEMORY', 'USAGE', key, 'SAMPLES', samples) end
    local guessed = nil
    if encoding then
      enc = redis.pcall('OBJECT', 'ENCODING', key)
      if type(enc) == 'string' then guessed = TYPE_OF[enc] end
    end
    kind = guessed or redis.call('TYPE', key)['ok']
    local command = SIZE[kind]
    if command then
      size = redis.pcall(command, key)
      -- A module value reports encoding raw too: its size command fails, so ask what it is.
      if type(size) == 'table' and guessed then
        kind = redis.call('TYPE', key)['ok']
        size = false
        command = SIZE[kind]
        if command then size = redis.pcall(command, key) end
      end
      if type(size) == 'table' then size = false end
    end
  end
  out[n + 1] = kind
  out[n + 2] = ttl
  out[n + 3] = bytes
  out[n + 4] = enc
  out[n + 5] = size
  n = n + 5
end
return out
