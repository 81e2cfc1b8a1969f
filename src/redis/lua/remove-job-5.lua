--[[
  Remove a job that is not running. A batch job removed before it finished
  counts as failed in its batch, so the batch still finishes.

  KEYS[1] wait   KEYS[2] active   KEYS[3] delayed   KEYS[4] completed   KEYS[5] failed
  ARGV[1] key prefix of job and batch hashes
  ARGV[2] job id
  ARGV[3] events channel
  Returns: 1 removed, 0 no such job, -1 the job is active (not removed)
]]
local id = ARGV[2]
local jobKey = ARGV[1] .. 'job:' .. id
if redis.call('EXISTS', jobKey) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[2], id) then return -1 end
local finished = redis.call('ZREM', KEYS[4], id) + redis.call('ZREM', KEYS[5], id)
if finished == 0 then
  redis.call('LREM', KEYS[1], 0, id)
  redis.call('ZREM', KEYS[3], id)
  local f = redis.call('HMGET', jobKey, 'b', 'bi')
  if f[1] then
    local batchKey = ARGV[1] .. 'batch:' .. f[1]
    if redis.call('EXISTS', batchKey) == 1 then
      redis.call('HSET', batchKey, 'e:' .. f[2], cjson.encode({
        name = 'JobRemovedError', code = 'ERR_JOB_REMOVED', message = 'Job ' .. id .. ' was removed before it finished',
      }))
      redis.call('HINCRBY', batchKey, 'failed', 1)
      local b = redis.call('HMGET', batchKey, 'total', 'completed', 'failed', 'ttl')
      if tonumber(b[2]) + tonumber(b[3]) >= tonumber(b[1]) then
        redis.call('HSET', batchKey, 'f', redis.call('TIME')[1] * 1000)
        if (tonumber(b[4]) or -1) > 0 then redis.call('EXPIRE', batchKey, tonumber(b[4])) end
        redis.call('PUBLISH', ARGV[3], cjson.encode({ { f[1], 'batch', f[1], '' } }))
      end
    end
  end
end
redis.call('DEL', jobKey)
redis.call('HDEL', ARGV[1] .. 'data', id)
redis.call('PUBLISH', ARGV[3], cjson.encode({ { id, 'removed', '', '' } }))
return 1
