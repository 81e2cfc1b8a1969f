-- Record one job's outcome in its batch: `payload` under `field:index` ('r' a
-- result, 'e' an error) and one more job counted as `state`. The batch's ttl
-- starts when its last job finishes. Returns true when this finished the batch,
-- false when it did not, and nil when the batch is gone (expired): nothing was
-- recorded there, so the caller must keep the payload on the job itself.
-- The batch's `then` job, if it has one, is added when it finishes.
--- @include "then-job.lua"
local function finishBatchItem(batchKey, index, field, payload, state, now)
  if redis.call('EXISTS', batchKey) == 0 then return nil end
  redis.call('HSET', batchKey, field .. ':' .. index, payload)
  redis.call('HINCRBY', batchKey, state, 1)
  local b = redis.call('HMGET', batchKey, 'total', 'completed', 'failed', 'ttl')
  if tonumber(b[2]) + tonumber(b[3]) < tonumber(b[1]) then return false end
  redis.call('HSET', batchKey, 'f', now)
  local ttl = tonumber(b[4]) or -1
  if ttl > 0 then redis.call('EXPIRE', batchKey, ttl) end
  -- The queue's prefix is the key up to its hash tag: a batch id has no braces.
  addThenJob(string.match(batchKey, '^(.*}:)batch:'), batchKey, now)
  return true
end
