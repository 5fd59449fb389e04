--[[
Counts a semaphore's holders whose lease has not run out, by the server's clock: a caller whose
own clock is off counts the same holders as the acquiring script sees.
KEYS[1]  the holders: member = holder id, score = lease expiry (ms, server clock)
ARGV[1]  now in ms, or '' to use the server's TIME
Returns the number of holders. Only reads (TIME, ZCOUNT: O(log N)); not EVALSHA_RO, which Redis 6
lacks.
]]
--@include server-time
return redis.call('ZCOUNT', KEYS[1], '(' .. now_ms(ARGV[1]), '+inf')
