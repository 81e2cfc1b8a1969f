-- End a job that was cancelled: `failed` with the cancel error, never retried.
-- `finishedBy` marks it for the renewal of the lease it had, if it was running
-- (`c:<token>`: see renew-2+.lua). Like a failure in move-18+.lua, a batch job's
-- error goes to its batch, the per-minute counter counts it, and waiters hear
-- of it on the events stream (with the error when the job is removed at once,
-- as its retention asks). The caller runs emitEvents() after.
--- @include "now.lua"
--- @include "batch-item.lua"
--- @include "events.lua"
--- @include "cache.lua"
--- @include "groups.lua"
--- @include "metrics.lua"
-- `group`: the job's group, or nil. Its counts move as a failure's do in
-- move-18+.lua: one more failed job retained, or one grouped job fewer.
local function cancelJob(base, failedKey, metricsKey, id, jobKey, err, attempt, finishedBy, group)
  local now = nowMs()
  local f = redis.call('HMGET', jobKey, 'kf', 'b', 'bi', 'ck', 'ct')
  -- A cancelled job is never reused: the next add with its cache key runs anew.
  if f[4] then settleCache(base, f[4], f[5], id, false, err, nil, attempt, nil, now) end
  local batchId = f[2] or ''
  if batchId ~= '' then
    if finishBatchItem(base .. 'batch:' .. batchId, f[3], 'e', err, 'failed', now) then
      batchEvent(batchId)
    end
  end
  local count = tonumber(string.match(f[1] or '', '^(-?%d+)')) or -1
  if count == 0 then
    redis.call('DEL', jobKey)
    redis.call('HDEL', base .. 'data', id)
    jobEvent(id, 'failed', batchId, f[3], err)
    if group then redis.call('HINCRBY', base .. 'meta', 'gn', -1) end
  else
    if batchId == '' then redis.call('HSET', jobKey, 'e', err) end
    redis.call('HSET', jobKey, 'a', attempt, 'f', now, 'fk', finishedBy)
    redis.call('ZADD', failedKey, now, id)
    jobEvent(id, 'failed', batchId, f[3])
    if group then groupCount(base, group, 'f', 1, now) end
  end
  countMinute(metricsKey, 'failed', 1, now)
end
