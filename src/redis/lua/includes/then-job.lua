-- A batch's `then` job (`addBatch(items, { then })`): its spec waits in the
-- batch hash as `th` (JSON, written by add-6+.lua, encoded by
-- src/redis/protocol/then-job.ts) and is added here, in the script that
-- finishes the batch's last item, whichever script that is (a report in
-- move-18+.lua, a stalled job reclaimed there, a cancel, a removal, a chunk
-- settled after a failed add). `th` is then replaced by `tj`, the then job's
-- id, so a batch that finishes again (an item sent back by `retryJob()`)
-- never adds it twice. A batch without `then` pays one HGET, once, when it
-- finishes.
--
-- Its queue keys are built from `base` rather than passed in KEYS: they are
-- needed only when the batch has a then job, which the script learns from the
-- batch hash, and `base` carries the queue's hash tag (and the client's
-- keyPrefix), so they stay in the queue's slot, as groups.lua's keys do.
--- @include "groups.lua"
local function addThenJob(base, batchKey, now)
  local spec = redis.call('HGET', batchKey, 'th')
  if not spec then return end
  local s = cjson.decode(spec)
  local id = s.id
  if not id then
    id = tostring(redis.call('HINCRBY', base .. 'meta', 'seq', 1))
  end
  redis.call('HDEL', batchKey, 'th')
  redis.call('HSET', batchKey, 'tj', id)
  local jobKey = base .. 'job:' .. id
  -- A `then.opts.jobId` already in use: like add(), the existing job stands.
  if redis.call('EXISTS', jobKey) == 1 then return end
  local fields = { 'n', s.n, 't', tostring(now), 'kc', s.kc, 'kf', s.kf, 'o', s.o }
  if s.ma then fields[#fields + 1] = 'ma'; fields[#fields + 1] = tostring(s.ma) end
  if s.g then fields[#fields + 1] = 'g'; fields[#fields + 1] = s.g end
  local delay = tonumber(s.dl) or 0
  -- `w`: when a delayed job becomes ready, for the queue lag (as add-6+.lua does).
  if delay > 0 then fields[#fields + 1] = 'w'; fields[#fields + 1] = tostring(now + delay) end
  redis.call('HSET', jobKey, unpack(fields))
  redis.call('HSET', base .. 'data', id, s.d)
  if s.g then
    -- Counted among the grouped jobs that exist (meta `gn`, see groups.lua).
    redis.call('HSET', base .. 'meta', 'gj', '1')
    redis.call('HINCRBY', base .. 'meta', 'gn', 1)
  end
  if delay > 0 then
    redis.call('ZADD', base .. 'delayed', now + delay, id)
    if s.g then redis.call('HINCRBY', groupHash(base, s.g), 'd', 1) end
  else
    makeReady(base, base .. 'wait', { id }, s.g, false)
  end
  -- Wake one idle pool (as add-6+.lua does).
  redis.call('ZADD', base .. 'marker', 0, 'm')
end
