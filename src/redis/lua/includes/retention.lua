-- Finished jobs are kept in one ZSET (id -> finish time) per state and
-- retention policy, so that a job's policy trims only jobs that share it: a
-- job kept forever is never trimmed by jobs kept two at a time. Jobs with the
-- default policy use the state's own key (`completed`, `failed`), so the
-- common case costs what one set did; others use `<state key>:<count:age>`,
-- their policies listed in the SET `<state key>:sets` for readers.
-- src/redis/protocol/retention-sets.ts holds the same names and defaults.
local DEFAULT_KEEP = { completed = '1000:86400', failed = '10000:604800' }

-- The ZSET that keeps the finished jobs of `state` with retention `keep`;
-- `stateKey` is the state's own key.
local function keptIn(stateKey, state, keep)
  if not keep or keep == DEFAULT_KEEP[state] then return stateKey end
  return stateKey .. ':' .. keep
end

-- Forget `setKey` in its state's list once it is empty (after a ZREM). The list
-- holds policies (`count:age`), not key names: a client's keyPrefix stays out of it.
local function dropIfEmpty(stateKey, setKey)
  if setKey ~= stateKey and redis.call('EXISTS', setKey) == 0 then
    redis.call('SREM', stateKey .. ':sets', string.sub(setKey, #stateKey + 2))
  end
end
