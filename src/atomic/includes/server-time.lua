-- now_ms(given[, fraction]): the time a decision is made at, in ms. `given` is an injected
-- clock (tests, or a caller with its own); when it is '' the server's TIME is read, so that
-- application clocks never matter. With `fraction`, the microseconds are kept as a fraction
-- of a millisecond.
local function now_ms(given, fraction)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  if fraction then return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 end
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
