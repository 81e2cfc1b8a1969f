--[[
  Remove a job that is not running. A batch job removed before it finished
  counts as failed in its batch, so the batch still finishes. A job with a
  cache takes its cache entry with it: the next add with that key runs anew.

  KEYS[1] wait   KEYS[2] active   KEYS[3] delayed   KEYS[4] completed   KEYS[5] failed
  KEYS[6] events (STREAM, see includes/events.lua)
  KEYS[7] the job's hash   KEYS[8] data   KEYS[9] meta
  KEYS[10] completed:sets   KEYS[11] failed:sets (see includes/retention.lua)
  KEYS[12] the groups' ring   KEYS[13] parked groups   KEYS[14] set-aside groups
          (declared: the includes build the same names from ARGV[1]; the job's batch,
          group, cache entry and retention sets are named in its hash)
  ARGV[1] key prefix of job and batch hashes (after the client's keyPrefix)
  ARGV[2] job id
  ARGV[3] about how many entries the events stream keeps
  Returns: 1 removed, 0 no such job, -1 the job is active (not removed)
]]
--- @include "includes/now.lua"
--- @include "includes/batch-item.lua"
--- @include "includes/retention.lua"
--- @include "includes/events.lua"
--- @include "includes/groups.lua"
--- @include "includes/cache.lua"

local id = ARGV[2]
local jobKey = KEYS[7]
if redis.call('EXISTS', jobKey) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[2], id) then return -1 end
local read = redis.call('HMGET', jobKey, 'g', 'ck', 'ct')
local group = read[1]
local cache = { read[2], read[3] }
if cache[1] then
  local err = cjson.encode({
    name = 'JobRemovedError', code = 'ERR_JOB_REMOVED', message = 'Job ' .. id .. ' was removed before it finished',
  })
  settleCache(ARGV[1], cache[1], cache[2], id, false, err, nil, 0, nil, nowMs())
end
local keep = redis.call('HMGET', jobKey, 'kc', 'kf')
local completedSet = keptIn(KEYS[4], 'completed', keep[1])
local failedSet = keptIn(KEYS[5], 'failed', keep[2])
local completed = redis.call('ZREM', completedSet, id)
local finished = completed + redis.call('ZREM', failedSet, id)
if finished > 0 then
  dropIfEmpty(KEYS[4], completedSet)
  dropIfEmpty(KEYS[5], failedSet)
  if group then groupCount(ARGV[1], group, completed > 0 and 'c' or 'f', -1, nowMs()) end
end
if finished == 0 then
  if group then
    if redis.call('LREM', groupWait(ARGV[1], group), 0, id) > 0 then
      redis.call('HINCRBY', KEYS[9], 'gw', -1)
    end
    if redis.call('ZREM', KEYS[3], id) > 0 then groupCount(ARGV[1], group, 'd', -1, nowMs()) end
  else
    redis.call('LREM', KEYS[1], 0, id)
    redis.call('ZREM', KEYS[3], id)
  end
  local f = redis.call('HMGET', jobKey, 'b', 'bi')
  if f[1] then
    local err = cjson.encode({
      name = 'JobRemovedError', code = 'ERR_JOB_REMOVED', message = 'Job ' .. id .. ' was removed before it finished',
    })
    if finishBatchItem(ARGV[1] .. 'batch:' .. f[1], f[2], 'e', err, 'failed', nowMs()) then
      batchEvent(f[1])
    end
  end
  jobEvent(id, 'removed', f[1], f[2])
else
  jobEvent(id, 'removed')
end
redis.call('DEL', jobKey)
redis.call('HDEL', KEYS[8], id)
if group then redis.call('HINCRBY', KEYS[9], 'gn', -1) end
emitEvents(KEYS[6], ARGV[3])
return 1
