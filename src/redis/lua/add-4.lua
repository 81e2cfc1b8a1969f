--[[
  Add jobs: store each job's hash and put it in `wait`, or in `delayed` when
  it has a delay. One call adds a whole chunk of `addBulk()`.

  KEYS[1] wait      KEYS[2] delayed   KEYS[3] marker   KEYS[4] meta
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
  ARGV[9 + 9i .. 17 + 9i], for job i:
          id ('' = next number), name, data JSON, options JSON ('' = none),
          max attempts ('' = the pool's default), keep-completed, keep-failed,
          delay in ms, index in the batch
  ARGV[9 + 9N], only when the caller was in a trace or a job has a group: its W3C
          traceparent ('' for none), stored on every job of the call as `tp`
  ARGV[10 + 9N + i] the group of job i ('' for none); absent when no job of the call has one
  Returns: a flat list { id, created (1, or 0 when a job with that id exists) ... },
  or the error ERR_BATCH_EXISTS
]]
--- @include "includes/now.lua"
--- @include "includes/groups.lua"

local base = ARGV[1]
local n = tonumber(ARGV[2])
local batchId = ARGV[3]
-- After the jobs' arguments (9 per job, as in the loops below); nil when absent.
local traceparent = ARGV[9 + n * 9]
if traceparent == '' then traceparent = nil end
local callKey = base .. 'call:' .. ARGV[7]
local replay = redis.call('GET', callKey)
if replay then return cjson.decode(replay) end
if batchId ~= '' and ARGV[6] ~= '0' and redis.call('EXISTS', base .. 'batch:' .. batchId) == 1 then
  return redis.error_reply('ERR_BATCH_EXISTS')
end
local now = nowMs()
local grouped = ARGV[10 + n * 9] ~= nil
-- Formatted once, not with sprintf for every job (see move-9.lua).
local nowText = tostring(now)

-- Number all the new jobs with one HINCRBY. Custom ids can never be integers
-- (the client refuses them), so numbered ids never collide with them.
local numbered = 0
for i = 0, n - 1 do
  if ARGV[9 + i * 9] == '' then numbered = numbered + 1 end
end
local nextId = 0
if numbered > 0 then
  nextId = redis.call('HINCRBY', KEYS[4], 'seq', numbered) - numbered
end

local ready, delayed, out, payloads = {}, {}, {}, {}
-- Grouped jobs: the ready ones of each group in order, and delayed ones counted per group.
local readyIn, groupOrder, delayedIn = {}, {}, {}
for i = 0, n - 1 do
  local a = 9 + i * 9
  local id = ARGV[a]
  local group = grouped and ARGV[10 + n * 9 + i] or ''
  local fresh = 1
  if id == '' then
    nextId = nextId + 1
    id = tostring(nextId)
  elseif redis.call('EXISTS', base .. 'job:' .. id) == 1 then
    fresh = 0
  end
  if fresh == 1 then
    local fields = { 'n', ARGV[a + 1], 't', nowText, 'kc', ARGV[a + 5], 'kf', ARGV[a + 6] }
    -- The payload goes to the queue's data hash (see move-9.lua): the job's own hash stays small.
    payloads[#payloads + 1] = id
    payloads[#payloads + 1] = ARGV[a + 2]
    if ARGV[a + 3] ~= '' then fields[#fields + 1] = 'o'; fields[#fields + 1] = ARGV[a + 3] end
    if ARGV[a + 4] ~= '' then fields[#fields + 1] = 'ma'; fields[#fields + 1] = ARGV[a + 4] end
    if traceparent then fields[#fields + 1] = 'tp'; fields[#fields + 1] = traceparent end
    if batchId ~= '' then
      fields[#fields + 1] = 'b'; fields[#fields + 1] = batchId
      fields[#fields + 1] = 'bi'; fields[#fields + 1] = ARGV[a + 8]
    end
    if group ~= '' then fields[#fields + 1] = 'g'; fields[#fields + 1] = group end
    local delay = tonumber(ARGV[a + 7])
    -- `w`: when a delayed job becomes ready, for the queue lag (a job added ready has `t`).
    if delay > 0 then fields[#fields + 1] = 'w'; fields[#fields + 1] = now + delay end
    redis.call('HSET', base .. 'job:' .. id, unpack(fields))
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
      ready[#ready + 1] = id
    end
  end
  out[#out + 1] = id
  out[#out + 1] = fresh
end

if batchId ~= '' and redis.call('EXISTS', base .. 'batch:' .. batchId) == 0 then
  redis.call('HSET', base .. 'batch:' .. batchId, 'total', ARGV[4], 'completed', 0, 'failed', 0, 't', now, 'ttl', ARGV[5])
  if ARGV[8] ~= '' then redis.call('HSET', base .. 'batch:' .. batchId, 'm', ARGV[8]) end
  if #ARGV[6] > 1 then redis.call('HSET', base .. 'batch:' .. batchId, 'th', ARGV[6]) end
end
if #payloads > 0 then redis.call('HSET', base .. 'data', unpack(payloads)) end
if grouped and #payloads > 0 then redis.call('HSET', KEYS[4], 'gj', '1') end
for group, count in pairs(delayedIn) do redis.call('HINCRBY', groupHash(base, group), 'd', count) end
for _, group in ipairs(groupOrder) do makeReady(base, KEYS[1], readyIn[group], group, false) end
if #ready > 0 then makeReady(base, KEYS[1], ready, nil, false) end
if #delayed > 0 then redis.call('ZADD', KEYS[2], unpack(delayed)) end
-- Wake one idle pool (it cascades the wake-up if there is more work than it can take).
-- Delayed jobs wake it too, so that it can shorten its wait to their due time.
if #ready > 0 or #groupOrder > 0 or #delayed > 0 then redis.call('ZADD', KEYS[3], 0, 'm') end
-- Five minutes covers a resend after any reconnection ioredis would still make.
redis.call('SET', callKey, cjson.encode(out), 'EX', 300)
return out
