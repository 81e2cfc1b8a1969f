--[[
  Send a failed job back to `wait` with its attempts reset.

  KEYS[1] wait   KEYS[2] failed   KEYS[3] marker   KEYS[4] completed
  ARGV[1] key prefix of job and batch hashes
  ARGV[2] job id
  Returns: 'retried'; 'missing' (no such job); 'completed'; or 'notFailed' (the
  job is waiting, delayed or running)
]]
--- @include "includes/now.lua"
--- @include "includes/groups.lua"

local id = ARGV[2]
local jobKey = ARGV[1] .. 'job:' .. id
if redis.call('EXISTS', jobKey) == 0 then return 'missing' end
if not redis.call('ZSCORE', KEYS[2], id) then
  if redis.call('ZSCORE', KEYS[4], id) then return 'completed' end
  return 'notFailed'
end
redis.call('ZREM', KEYS[2], id)
local f = redis.call('HMGET', jobKey, 'b', 'bi', 'g')
redis.call('HDEL', jobKey, 'e', 'f', 'fk', 'p')
redis.call('HSET', jobKey, 'a', 0)
if f[1] then
  -- The batch is running again until this job finishes.
  local batchKey = ARGV[1] .. 'batch:' .. f[1]
  if redis.call('EXISTS', batchKey) == 1 then
    redis.call('HINCRBY', batchKey, 'failed', -1)
    redis.call('HDEL', batchKey, 'e:' .. f[2], 'f')
    redis.call('PERSIST', batchKey)
  end
end
if f[3] then redis.call('HINCRBY', groupHash(ARGV[1], f[3]), 'f', -1) end
makeReady(ARGV[1], KEYS[1], { id }, f[3], false)
redis.call('ZADD', KEYS[3], 0, 'm')
return 'retried'
