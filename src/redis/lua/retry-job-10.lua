--[[
  Send a failed job back to `wait` with its attempts reset.

  KEYS[1] wait   KEYS[2] failed   KEYS[3] marker   KEYS[4] completed
  KEYS[5] the job's hash   KEYS[6] meta   KEYS[7] failed:sets (see includes/retention.lua)
  KEYS[8] the groups' ring   KEYS[9] parked groups   KEYS[10] set-aside groups
          (declared: the includes build the same names from ARGV[1]; the job's batch,
          group and retention set are named in its hash)
  ARGV[1] key prefix of job and batch hashes
  ARGV[2] job id
  (A finished job is in the set its retention keeps it in: includes/retention.lua.)
  Returns: 'retried'; 'missing' (no such job); 'completed'; or 'notFailed' (the
  job is waiting, delayed or running)
]]
--- @include "includes/now.lua"
--- @include "includes/retention.lua"
--- @include "includes/groups.lua"

local id = ARGV[2]
local jobKey = KEYS[5]
local f = redis.call('HMGET', jobKey, 'b', 'bi', 'kc', 'kf', 'n', 'g')
if not f[5] then return 'missing' end
local failedSet = keptIn(KEYS[2], 'failed', f[4])
if not redis.call('ZSCORE', failedSet, id) then
  if redis.call('ZSCORE', keptIn(KEYS[4], 'completed', f[3]), id) then return 'completed' end
  return 'notFailed'
end
redis.call('ZREM', failedSet, id)
dropIfEmpty(KEYS[2], failedSet)
redis.call('HDEL', jobKey, 'e', 'f', 'fk', 'p')
-- `w`: when it became ready again, for the queue lag.
redis.call('HSET', jobKey, 'a', 0, 'w', nowMs())
if f[1] then
  -- The batch is running again until this job finishes.
  local batchKey = ARGV[1] .. 'batch:' .. f[1]
  if redis.call('EXISTS', batchKey) == 1 then
    redis.call('HINCRBY', batchKey, 'failed', -1)
    redis.call('HDEL', batchKey, 'e:' .. f[2], 'f')
    redis.call('PERSIST', batchKey)
  end
end
if f[6] then redis.call('HINCRBY', groupHash(ARGV[1], f[6]), 'f', -1) end
makeReady(ARGV[1], KEYS[1], { id }, f[6], false)
redis.call('ZADD', KEYS[3], 0, 'm')
return 'retried'
