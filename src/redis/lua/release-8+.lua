--[[
  Hand jobs back at once (a pool closing with jobs unfinished after its grace
  period), instead of leaving them to wait for their lease to expire. The
  attempt is not counted: the job did not fail, its pool stopped.

  KEYS[1] wait   KEYS[2] active   KEYS[3] leases   KEYS[4] marker
  KEYS[5] meta   KEYS[6] the groups' ring   KEYS[7] parked groups   KEYS[8] set-aside groups
  KEYS[9 + i] the hash of job i (declared: the script builds the same names from ARGV[1];
          a job's group is read from its hash)
  ARGV[1] key prefix of job and group keys
  ARGV[2 + 2i], ARGV[3 + 2i]: id and lease token of job i
  Returns: the ids handed back (those whose lease this pool still held)
]]
--- @include "includes/now.lua"
--- @include "includes/groups.lua"

local base = ARGV[1]
local ids = {}
for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {} end
local holders = redis.call('HMGET', KEYS[3], unpack(ids))
local released = {}
for i, id in ipairs(ids) do
  if holders[i] == ARGV[i * 2 + 1] then released[#released + 1] = id end
end
if #released > 0 then
  redis.call('ZREM', KEYS[2], unpack(released))
  redis.call('HDEL', KEYS[3], unpack(released))
  local now = nowMs()
  -- `w`: when each became ready again, for the queue lag (this runs when a pool closes, not per job).
  for _, id in ipairs(released) do redis.call('HSET', base .. 'job:' .. id, 'w', now) end
  -- Front of the line: these jobs were already started once.
  local meta = redis.call('HMGET', KEYS[5], 'gj', 'gn')
  if groupedJobsExist(meta[1], meta[2]) then
    for _, id in ipairs(released) do
      local g = redis.call('HGET', base .. 'job:' .. id, 'g')
      makeReady(base, KEYS[1], { id }, g, true)
      if g then groupJobDone(base, g, now, true) end
    end
  else
    makeReady(base, KEYS[1], released, nil, true)
  end
  redis.call('ZADD', KEYS[4], 0, 'm')
end
return released
