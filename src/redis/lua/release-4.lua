--[[
  Hand jobs back at once (a pool closing with jobs unfinished after its grace
  period), instead of leaving them to wait for their lease to expire. The
  attempt is not counted: the job did not fail, its pool stopped.

  KEYS[1] wait   KEYS[2] active   KEYS[3] leases   KEYS[4] marker
  ARGV[1 + 2i], ARGV[2 + 2i]: id and lease token of job i
  Returns: the ids handed back (those whose lease this pool still held)
]]
local ids = {}
for i = 1, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {} end
local holders = redis.call('HMGET', KEYS[3], unpack(ids))
local released = {}
for i, id in ipairs(ids) do
  if holders[i] == ARGV[i * 2] then released[#released + 1] = id end
end
if #released > 0 then
  redis.call('ZREM', KEYS[2], unpack(released))
  redis.call('HDEL', KEYS[3], unpack(released))
  -- Front of the line: these jobs were already started once.
  redis.call('RPUSH', KEYS[1], unpack(released))
  redis.call('ZADD', KEYS[4], 0, 'm')
end
return released
