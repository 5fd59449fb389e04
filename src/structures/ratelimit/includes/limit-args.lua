-- The arguments every limiter takes, in the same order (ARGV[4], the clock, is read by now_ms).
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
