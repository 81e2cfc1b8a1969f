-- The result cache (`add(..., { cache: { key, ttl } })`). A cache entry is the
-- HASH `<base>cache:<key>`: `i` the id of the job that runs (or ran) for the
-- key; `w` the batch items that joined it while it was unfinished (JSON list
-- of batch id, index); once it completed, `r` its result, `n` its name, `f`
-- when, `a` its attempts and `kc` its retention, and the entry expires `ttl`
-- ms after the completion. Only scripts that end a cached job (the report
-- says so, or the job's `ck` field) come here: a job without a cache pays
-- nothing. src/redis/protocol/add.ts and job-options.ts hold the other side.
--- @include "batch-item.lua"
--- @include "events.lua"

-- A cached job `id` ended: keep its result until `ttl` ms from `now`, or (failed,
-- cancelled, removed) forget the entry so the next add runs anew. The batch items
-- that joined it get its outcome. An entry taken over by another job is left alone.
local function settleCache(base, key, ttl, id, completed, payload, name, attempt, keep, now)
  local entry = base .. 'cache:' .. key
  local e = redis.call('HMGET', entry, 'i', 'w')
  if e[1] ~= id then return end
  if e[2] then
    local joined = cjson.decode(e[2])
    for i = 1, #joined, 2 do
      local done = finishBatchItem(base .. 'batch:' .. joined[i], joined[i + 1], completed and 'r' or 'e',
        payload, completed and 'completed' or 'failed', now)
      if done then batchEvent(joined[i]) end
    end
  end
  if completed and tonumber(ttl) then
    redis.call('HDEL', entry, 'w')
    redis.call('HSET', entry, 'r', payload, 'n', name or '', 'f', now, 'a', attempt, 'kc', keep or '')
    redis.call('PEXPIRE', entry, ttl)
  else
    redis.call('DEL', entry)
  end
end
