--[[
  Add jobs: store each job's hash and put it in `wait`, or in `delayed` when
  it has a delay. One call adds a whole chunk of `addBulk()`.

  KEYS[1] wait      KEYS[2] delayed   KEYS[3] marker   KEYS[4] meta
  KEYS[5] data      KEYS[6] this call's replay record (`call:<ARGV[7]>`)
  KEYS[7 ..] the other keys the caller knows this call may touch, declared and
          otherwise unused (the script builds the same names from ARGV[1]): the
          batch, the hash of each job added with a `jobId`, each cache entry, and
          for a call with a cache or a group the events stream, the metrics hash, the
          finished sets, the groups' ring, parked and set-aside keys and each group's
          hash and list. The hashes of numbered jobs (their ids are taken from the
          queue's sequence as the script runs) and of jobs a cache entry names are
          built from ARGV[1], in the queue's slot.
  ARGV[1] key prefix of job and batch hashes (`rwp:{queue}:`)
  ARGV[2] number of jobs N
  ARGV[3] batch id, or '' when the jobs are not a batch
  ARGV[4] batch total (the whole batch, which may span several calls)
  ARGV[5] batch ttl in seconds, applied when the batch finishes
  ARGV[6] '0' when this call adds to a batch another call started; when it
          starts the batch (which must not exist yet), '1', or the spec of the
          batch's `then` job (JSON, see includes/then-job.lua), stored in it as
          `th`: a batch without one sends nothing more for it
  ARGV[7] a token unique to this call: a resent call (the connection dropped
          after the script ran) returns the first run's reply instead of adding
          the jobs again
  ARGV[8] the batch's meta JSON, or ''
  ARGV[9]  which of a job's nine values (id ('' = next number), name, data JSON,
          options JSON ('' = none), max attempts ('' = the pool's default),
          keep-completed, keep-failed, delay in ms, index in the batch) differ
          between the jobs of the call: nine characters, in that order, '1' for a
          value sent for each job, '0' for one sent once for all of them
  ARGV[10 ..] the shared values ('0'), in that order; then for each job i the
          values that differ ('1'), in that order. T is the first argument after them:
          T = 10 + S + N * V, with S shared and V differing values
  ARGV[T], only when the caller was in a trace or a job has a group: its W3C
          traceparent ('' for none), stored on every job of the call as `tp`
  ARGV[T + 1 + i] the group of job i ('' for none); absent when no job of the call has
          a group, a cost or a cache
  ARGV[T + 1 + N + i] the cost units of job i ('' for the default, 1), stored as `cu`;
          absent when no job of the call has a cost or a cache
  Only when a job of the call has a cache (`{ cache: { key, ttl } }`, see includes/cache.lua),
  after the costs (then always sent, '' for none):
  ARGV[T + 1 + 2N] about how many entries the events stream keeps
  ARGV[T + 2 + 2N + i] job i's cache, `ttl|key` ('' for none)
  Returns: a flat list { id, created (1; 0 when a job with that id exists; 2 when the
  cache gave an existing job) ... }; when every job of the call is numbered and has no
  cache (so each is created, numbered in turn), the first job's id alone, an integer;
  or the error ERR_BATCH_EXISTS
]]
--- @include "includes/now.lua"
--- @include "includes/groups.lua"
--- @include "includes/retention.lua"
--- @include "includes/batch-item.lua"
--- @include "includes/events.lua"
--- @include "includes/cache.lua"
--- @include "includes/metrics.lua"

local base = ARGV[1]
local n = tonumber(ARGV[2])
local batchId = ARGV[3]
-- Where value c of job i is (see ARGV[9] above): ARGV[at + i * step], step 0 for a shared one.
local mask = ARGV[9]
local sharedCount = 0
for c = 1, 9 do
  if string.byte(mask, c) == 48 then sharedCount = sharedCount + 1 end
end
local perJob = 9 - sharedCount
local nextShared, nextVarying = 10, 10 + sharedCount
local function column(c)
  if string.byte(mask, c) == 48 then
    nextShared = nextShared + 1
    return nextShared - 1, 0
  end
  nextVarying = nextVarying + 1
  return nextVarying - 1, perJob
end
local idAt, idStep = column(1)
local nameAt, nameStep = column(2)
local dataAt, dataStep = column(3)
local optionsAt, optionsStep = column(4)
local attemptsAt, attemptsStep = column(5)
local keepCompletedAt, keepCompletedStep = column(6)
local keepFailedAt, keepFailedStep = column(7)
local delayAt, delayStep = column(8)
local indexAt, indexStep = column(9)
-- After the jobs' values; nil when absent.
local tail = 10 + sharedCount + n * perJob
local traceparent = ARGV[tail]
if traceparent == '' then traceparent = nil end
local callKey = KEYS[6]
local replay = redis.call('GET', callKey)
if replay then return cjson.decode(replay) end
if batchId ~= '' and ARGV[6] ~= '0' and redis.call('EXISTS', base .. 'batch:' .. batchId) == 1 then
  return redis.error_reply('ERR_BATCH_EXISTS')
end
local now = nowMs()
-- The cache section comes last (see above): a call without one pays nothing for it.
local cacheAt = tail + 1 + n * 2
local cached = ARGV[cacheAt + 1] ~= nil
local grouped = ARGV[tail + 1] ~= nil
local costed = ARGV[tail + 1 + n] ~= nil
-- Formatted once, not with sprintf for every job (see move-18+.lua).
local nowText = tostring(now)

-- Number all the new jobs with one HINCRBY. Custom ids can never be integers
-- (the client refuses them), so numbered ids never collide with them.
local numbered = 0
if idStep == 0 then
  if ARGV[idAt] == '' then numbered = n end
else
  for i = 0, n - 1 do
    if ARGV[idAt + i * idStep] == '' then numbered = numbered + 1 end
  end
end
local nextId = 0
if numbered > 0 then
  nextId = redis.call('HINCRBY', KEYS[4], 'seq', numbered) - numbered
end
-- Every job numbered and none with a cache: each is created, with the next number, so
-- the first id says them all (no list of n ids to build, store for a replay and read).
local consecutive = numbered == n and not cached
local firstId = nextId + 1

-- Created before the jobs: a job the cache gives may finish its batch item now.
if batchId ~= '' and redis.call('EXISTS', base .. 'batch:' .. batchId) == 0 then
  redis.call('HSET', base .. 'batch:' .. batchId, 'total', ARGV[4], 'completed', 0, 'failed', 0, 't', now, 'ttl', ARGV[5])
  if ARGV[8] ~= '' then redis.call('HSET', base .. 'batch:' .. batchId, 'm', ARGV[8]) end
  if #ARGV[6] > 1 then redis.call('HSET', base .. 'batch:' .. batchId, 'th', ARGV[6]) end
end

-- The job the cache entry `e` (HMGET i r n f a kc w) gives, or nil to run anew. A
-- job trimmed by its retention since it completed is put back from the entry, as a
-- completed job (so getJob and waitForResult find it), kept by its retention again
-- (the default one if that kept nothing).
local function cachedJob(e, payload, keepFailed)
  local id = e[1]
  if not id then return nil end
  local jobKey = base .. 'job:' .. id
  local kf = redis.call('HMGET', jobKey, 'n', 'kf')
  if kf[1] then
    -- Whatever fails a cached job forgets its key; this guards against one that was not told.
    if redis.call('ZSCORE', keptIn(base .. 'failed', 'failed', kf[2]), id) then return nil end
    return id
  end
  if not e[2] then return nil end
  local keep = e[6]
  if not keep or keep == '' or tonumber(string.match(keep, '^(-?%d+)')) == 0 then
    keep = DEFAULT_KEEP.completed
  end
  redis.call('HSET', jobKey, 'n', e[3], 't', nowText, 'r', e[2], 'f', e[4], 'a', e[5], 'kc', keep, 'kf', keepFailed)
  redis.call('HSET', KEYS[5], id, payload)
  local stateKey = base .. 'completed'
  local set = keptIn(stateKey, 'completed', keep)
  redis.call('ZADD', set, now, id)
  if set ~= stateKey then redis.call('SADD', stateKey .. ':sets', keep) end
  return id
end
local hits, misses = 0, 0

local ready, delayed, out, payloads = {}, {}, {}, {}
local readyCount, outCount, payloadCount = 0, 0, 0
-- Grouped jobs: the ready ones of each group in order, and delayed ones counted per group.
local readyIn, groupOrder, delayedIn = {}, {}, {}
local freshGrouped = 0
local jobPrefix = base .. 'job:'
-- One table for every job's HSET, its first four fields' names in place: only the values
-- and the optional fields after them are written for each job (unpack takes the count).
local fields = { 'n', '', 't', nowText, 'kc', '', 'kf', '' }
for i = 0, n - 1 do
  local id = ARGV[idAt + i * idStep]
  local data = ARGV[dataAt + i * dataStep]
  local keepFailed = ARGV[keepFailedAt + i * keepFailedStep]
  local batchIndex = ARGV[indexAt + i * indexStep]
  local group = grouped and ARGV[tail + 1 + i] or ''
  local fresh = 1
  local ttl, cacheKey
  if cached then ttl, cacheKey = string.match(ARGV[cacheAt + 1 + i], '^(%d+)|(.+)$') end
  if id ~= '' and redis.call('EXISTS', jobPrefix .. id) == 1 then
    -- The jobId dedup comes first: that job is the answer, whatever its cache.
    fresh = 0
  elseif cacheKey then
    local entry = base .. 'cache:' .. cacheKey
    local e = redis.call('HMGET', entry, 'i', 'r', 'n', 'f', 'a', 'kc', 'w')
    local hit = cachedJob(e, data, keepFailed)
    if hit then
      fresh = 2
      id = hit
      hits = hits + 1
      if batchId ~= '' then
        if e[2] then
          if finishBatchItem(base .. 'batch:' .. batchId, batchIndex, 'r', e[2], 'completed', now) then
            batchEvent(batchId)
          end
        else
          -- Unfinished: this item gets its outcome when it ends (see includes/cache.lua).
          local joined = e[7] and cjson.decode(e[7]) or {}
          joined[#joined + 1] = batchId
          joined[#joined + 1] = batchIndex
          redis.call('HSET', entry, 'w', cjson.encode(joined))
        end
      end
    else
      misses = misses + 1
    end
  end
  if fresh == 1 and id == '' then
    nextId = nextId + 1
    id = tostring(nextId)
  end
  if fresh == 1 then
    fields[2] = ARGV[nameAt + i * nameStep]
    fields[6] = ARGV[keepCompletedAt + i * keepCompletedStep]
    fields[8] = keepFailed
    local k = 8
    if cacheKey then
      fields[k + 1] = 'ck'; fields[k + 2] = cacheKey
      fields[k + 3] = 'ct'; fields[k + 4] = ttl
      k = k + 4
      -- No expiry while the job is unfinished: whatever ends it settles the entry.
      local entry = base .. 'cache:' .. cacheKey
      redis.call('DEL', entry)
      redis.call('HSET', entry, 'i', id)
    end
    -- The payload goes to the queue's data hash (see move-18+.lua): the job's own hash stays small.
    payloads[payloadCount + 1] = id
    payloads[payloadCount + 2] = data
    payloadCount = payloadCount + 2
    local options = ARGV[optionsAt + i * optionsStep]
    if options ~= '' then fields[k + 1] = 'o'; fields[k + 2] = options; k = k + 2 end
    local attempts = ARGV[attemptsAt + i * attemptsStep]
    if attempts ~= '' then fields[k + 1] = 'ma'; fields[k + 2] = attempts; k = k + 2 end
    if traceparent then fields[k + 1] = 'tp'; fields[k + 2] = traceparent; k = k + 2 end
    if batchId ~= '' then
      fields[k + 1] = 'b'; fields[k + 2] = batchId
      fields[k + 3] = 'bi'; fields[k + 4] = batchIndex
      k = k + 4
    end
    if group ~= '' then
      fields[k + 1] = 'g'; fields[k + 2] = group; k = k + 2
      freshGrouped = freshGrouped + 1
    end
    if costed and ARGV[tail + 1 + n + i] ~= '' then
      fields[k + 1] = 'cu'; fields[k + 2] = ARGV[tail + 1 + n + i]; k = k + 2
    end
    local delay = tonumber(ARGV[delayAt + i * delayStep])
    -- `w`: when a delayed job becomes ready, for the queue lag (a job added ready has `t`).
    if delay > 0 then fields[k + 1] = 'w'; fields[k + 2] = now + delay; k = k + 2 end
    redis.call('HSET', jobPrefix .. id, unpack(fields, 1, k))
    if delay > 0 then
      delayed[#delayed + 1] = now + delay
      delayed[#delayed + 1] = id
      if group ~= '' then delayedIn[group] = (delayedIn[group] or 0) + 1 end
    elseif group ~= '' then
      if not readyIn[group] then
        readyIn[group] = {}
        groupOrder[#groupOrder + 1] = group
      end
      readyIn[group][#readyIn[group] + 1] = id
    else
      readyCount = readyCount + 1
      ready[readyCount] = id
    end
  end
  if not consecutive then
    out[outCount + 1] = id
    out[outCount + 2] = fresh
    outCount = outCount + 2
  end
end

if #payloads > 0 then redis.call('HSET', KEYS[5], unpack(payloads)) end
if freshGrouped > 0 then
  redis.call('HSET', KEYS[4], 'gj', '1')
  redis.call('HINCRBY', KEYS[4], 'gn', freshGrouped)
end
for group, count in pairs(delayedIn) do redis.call('HINCRBY', groupHash(base, group), 'd', count) end
for _, group in ipairs(groupOrder) do makeReady(base, KEYS[1], readyIn[group], group, false) end
if #ready > 0 then makeReady(base, KEYS[1], ready, nil, false) end
if #delayed > 0 then redis.call('ZADD', KEYS[2], unpack(delayed)) end
-- Wake one idle pool (it cascades the wake-up if there is more work than it can take).
-- Delayed jobs wake it too, so that it can shorten its wait to their due time.
if #ready > 0 or #groupOrder > 0 or #delayed > 0 then redis.call('ZADD', KEYS[3], 0, 'm') end
if cached then
  for name, count in pairs({ ['cache-hits'] = hits, ['cache-misses'] = misses }) do
    if count > 0 then countMinute(base .. 'metrics', name, count, now) end
  end
  emitEvents(base .. 'events', ARGV[cacheAt])
end
-- Five minutes covers a resend after any reconnection ioredis would still make.
local reply = out
if consecutive then reply = firstId end
redis.call('SET', callKey, cjson.encode(reply), 'EX', 300)
return reply
