--[[
  Record that a pool is alive (or, with ARGV[3] = '1', that it left), and
  forget pools not seen for an hour (they crashed without saying goodbye).

  KEYS[1] pools (HASH pool id -> JSON info)   KEYS[2] pools seen (ZSET pool id -> last seen, ms)
  ARGV[1] pool id
  ARGV[2] the pool's info, JSON
  ARGV[3] '1' when the pool is closing
  Returns: Redis time (ms)
]]
--- @include "includes/now.lua"

local now = nowMs()
if ARGV[3] == '1' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return now
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - 3600000, 'LIMIT', 0, 100)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
return now
