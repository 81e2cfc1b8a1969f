--[[
  The pool's hot path, one call per round trip: apply the reports of finished
  attempts, reclaim jobs whose lease expired, promote delayed jobs that are due,
  and claim up to `count` jobs with fresh leases, within the queue's limits.

  KEYS[1] wait   KEYS[2] active   KEYS[3] leases   KEYS[4] delayed
  KEYS[5] completed   KEYS[6] failed   KEYS[7] marker   KEYS[8] meta
  KEYS[9] limiter (ZSET of recent claims, for the shared rate limit)
  KEYS[10] events (STREAM of finished jobs, see includes/events.lua)
  KEYS[11] data (HASH of payloads)   KEYS[12] this call's replay record (`call:<ARGV[5]>`)
  KEYS[13] metrics (HASH of per-minute counters, see includes/metrics.lua)
  KEYS[14] the groups' ring   KEYS[15] parked groups   KEYS[16] set-aside groups
  KEYS[17] completed:sets   KEYS[18] failed:sets (see includes/retention.lua)
  KEYS[19 .. 18 + R] the hash of each reported job, in the order of the reports (the
          job's id is the key after `ARGV[1]job:`)
  KEYS[19 + R ..] the other keys the caller knows this call may touch, declared and
          otherwise unused: the batch of a reported job, the group hash and list of a
          reported job's group, the retention set of a reported job's policy, the cost
          windows (see includes/cost-windows.lua). The script builds the same names from
          ARGV[1]; keys it discovers (the hashes of the jobs it claims, reclaims,
          promotes or trims, and their batches, groups and cache entries) are built
          from ARGV[1] too, so they share the queue's hash tag.
  ARGV[1] key prefix of job and batch hashes (`rwp:{queue}:`, after the client's keyPrefix)
  ARGV[2] about how many entries the events stream keeps
  ARGV[3] lease duration (ms)
  ARGV[4] how many jobs to claim (0 to only report)
  ARGV[5] token prefix, unique to this call; the i-th claimed job gets `<prefix>.<i>`.
          A call sent again with the same prefix (ioredis resends a command
          whose reply was lost with the connection; the pool retries a failed
          call with the same prefix) is a replay: it changes nothing and returns
          the first run's statuses and claimed jobs, so nothing is applied or
          claimed twice and no claimed job is orphaned. The record of a call
          lives as long as a lease (at least 5 s): by then the leases it gave
          have run out, and a report sent again is still recognised by its
          job's `fk` field.
  ARGV[6] max attempts for jobs that set none (used when reclaiming stalled jobs),
          or 0 to skip looking for expired leases in this call (the pool looks
          about once a second: leases last far longer, and it saves a command)
  ARGV[7] rate limits on job starts, `max:window (ms)` joined by ',', or '0' for none
  ARGV[8] cost windows (`by: 'cost'`), `max:window (ms)` joined by ',', or '0' for none
          (see includes/cost-windows.lua)
  ARGV[9] number of reports R
  ARGV[10 + 3r .. 12 + 3r], for report r (its job's key is KEYS[19 + r]):
          `token|kind|attempt|started at (ms)|retry delay (ms)|retention|batch index`,
            then `|group` for a job in a group; the kind letter is followed by the
            attempt's real cost units when its handler reported one (`ctx.reportCost`)
            (packed: fewer arguments is less work on both sides), where kind is
            'c' completed, 'f' failed ('C', 'F': the same, for a job with a cache, see
            includes/cache.lua), 'r' retry, or 'l' rate limited: retry
            without spending the attempt, and hold every pool of the queue off
            until the delay passes ('g': the same, holding only the job's group),
            or 'q' quota exceeded: back to the front of the line without
            spending the attempt, and pause the queue (meta `paused`), recording
            the error's message (at most PAUSE_REASON_MAX bytes) as the reason
            (meta `pr`, with `pt` its time and `pj` the job; the first reason
            stays until the queue is resumed);
            retention is 'count:age' (see retention.ts);
          batch id or '';
          result or error JSON
  ARGV[10 + 3R] per-group limits, `concurrency|starts|costs` (concurrency 0: none; starts
          and costs: `group.limiter`'s windows of job starts and of cost units,
          `max:window (ms)` joined by ',', or '0' for none; see includes/group-limits.lua);
          absent for none
  Returns: { statuses, claimed, stalled, next due, now, held until, paused, over cost, groups }
    statuses: per report 'ok', 'stale' (token does not hold the lease: refused),
              'dup' (this lease's report was already applied: a resend) or
              'invalid' (its packed values do not parse: refused, nothing changed)
    claimed:  CLAIMED_STRIDE values per job, see includes/claimed-job.lua
    stalled:  3 values per reclaimed job: id, 'retry' or 'failed', job name
    next due: when a job may next become claimable (the earliest delayed job's
              due time or the earliest lease deadline), or -1
    held until: when claiming may resume, if the queue is rate limited; else -1
    paused: 1 if the queue is paused (`queue.pause()`), else 0
    over cost: 2 values per claimed job whose cost is over a cost window's max (the
              pool fails it at once): id, cost; only in calls with cost windows
    groups: for the claimed jobs that have a group, { position among the claimed
            jobs (1-based), group, ... }; absent when none has one
]]
--- @include "includes/now.lua"
--- @include "includes/batch-item.lua"
--- @include "includes/claimed-job.lua"
--- @include "includes/retention.lua"
--- @include "includes/events.lua"
--- @include "includes/groups.lua"
--- @include "includes/cache.lua"
--- @include "includes/cost-windows.lua"
--- @include "includes/metrics.lua"
--- @include "includes/group-limits.lua"

local base = ARGV[1]
local now = nowMs()
-- Formatted once: a number handed to redis.call or joined to a string is printed
-- with sprintf every time, and these go out once per job.
local nowText = tostring(now)

-- Job payloads live in one hash for the whole queue (`data`, field = job id), not
-- in each job's hash: a payload over 64 bytes would turn a job's small hash from
-- a compact listpack into a hashtable and double its memory.
local dataKey = KEYS[11]
-- The reported jobs' hashes: KEYS[FIRST_REPORT + r], r counted from 0.
local FIRST_REPORT = 19
local jobKeyPrefixLength = #base + #'job:'

-- The k-th job a call claims gets the token `<prefix>.<k>.<claim time>`, so a
-- call's record (see the end) needs only its statuses, its time and the ids.
local function claimToken(k, at) return ARGV[5] .. '.' .. k .. '.' .. at end
local STATUS_LETTER = { ok = 'o', stale = 's', dup = 'd', invalid = 'i' }
local LETTER_STATUS = { o = 'ok', s = 'stale', d = 'dup', i = 'invalid' }

-- Cost windows: parsed only for a pool that has them.
local costWins = ARGV[8] ~= '0' and costWindows(base, ARGV[8]) or nil

local callKey = KEYS[12]
local replay = redis.call('GET', callKey)
if replay then
  -- { status letters, claim time, claimed id... }
  local first = cjson.decode(replay)
  local statuses = {}
  for i = 1, #first[1] do statuses[i] = LETTER_STATUS[string.sub(first[1], i, i)] end
  local held = {}
  for k = 3, #first do
    local id, token = first[k], claimToken(k - 2, first[2])
    -- Only jobs this call's lease still holds: one reclaimed since then belongs to someone else.
    if redis.call('HGET', KEYS[3], id) == token then
      held[#held + 1] = id
      held[#held + 1] = token
    end
  end
  local claimed, claimedGroups = {}, {}
  local meta = redis.call('HMGET', KEYS[8], 'gj', 'gn')
  describe(claimed, base, held, groupedJobsExist(meta[1], meta[2]), claimedGroups)
  if claimedGroups[1] then return { statuses, claimed, {}, -1, now, -1, 0, {}, claimedGroups } end
  return { statuses, claimed, {}, -1, now, -1, 0 }
end

-- The meta hash's flags, read once, when first needed (see includes/groups.lua for g, gj).
local metaFlags
local function flags()
  if not metaFlags then
    local m = redis.call('HMGET', KEYS[8], 'paused', 'held', 'g', 'gj', 'gn', 'gp', 'gt')
    metaFlags = {
      paused = m[1],
      held = m[2],
      ring = m[3],
      grouped = groupedJobsExist(m[4], m[5]),
      pausedGroups = m[6],
      groupsHeldUntil = m[7],
    }
  end
  return metaFlags
end

-- Bytes of an error message kept as the pause reason: enough to read, bounded for the meta hash.
local PAUSE_REASON_MAX = 500

-- `text` cut to at most `max` bytes, never inside a UTF-8 character, with '...' when cut.
local function bounded(text, max)
  if #text <= max then return text end
  local cut = max
  -- A continuation byte (10xxxxxx) after the cut means a character was split: step back.
  while cut > 0 do
    local b = string.byte(text, cut + 1)
    if b < 0x80 or b >= 0xC0 then break end
    cut = cut - 1
  end
  return string.sub(text, 1, cut) .. '...'
end

-- A job's quota ran out: pause the queue, as `queue.pause()` does, and say why.
local function pauseForQuota(id, payload)
  local ok, stored = pcall(cjson.decode, payload)
  local reason = 'Quota exceeded'
  if ok and type(stored) == 'table' and type(stored.message) == 'string' then reason = stored.message end
  redis.call('HSET', KEYS[8], 'paused', '1')
  if redis.call('HSETNX', KEYS[8], 'pr', bounded(reason, PAUSE_REASON_MAX)) == 1 then
    redis.call('HSET', KEYS[8], 'pt', nowText, 'pj', id)
  end
  -- Claims later in this call must see the pause.
  if metaFlags then metaFlags.paused = '1' end
end

local wake = false
-- Jobs that reached each final state in this call, for the per-minute metrics.
local done = { completed = 0, failed = 0 }
-- Jobs finished in this call, by the set that keeps them (see includes/retention.lua).
local finishedIn = {}
-- Jobs finished in this call with nothing kept (retention count 0): deleted in one go.
local removedKeys, removedIds = {}, {}
-- Jobs with a group deleted in this call: counted down from meta `gn` at the end.
local groupedGone = 0

-- Record a final state. Batch jobs keep their result in the batch hash, so
-- that the job's own retention can never lose a page of an ebook.
local function finish(id, jobKey, completed, payload, attempt, startedAt, keep, token, batchId, index, group, cached)
  if cached then
    -- Read before the job's hash may go (retention count 0), and only for a job with a cache.
    local c = redis.call('HMGET', jobKey, 'ck', 'ct', 'n')
    if c[1] then settleCache(base, c[1], c[2], id, completed, payload, c[3], attempt, keep, now) end
  end
  local set = completed and KEYS[5] or KEYS[6]
  local state = completed and 'completed' or 'failed'
  done[state] = done[state] + 1
  local field = completed and 'r' or 'e'
  local count = tonumber(string.match(keep, '^(-?%d+)')) or -1
  local removed = count == 0
  -- Whether the batch holds the payload: not once it has expired (a job retried after that).
  local inBatch = false
  if batchId and batchId ~= '' then
    local batchDone = finishBatchItem(base .. 'batch:' .. batchId, index, field, payload, state, now)
    inBatch = batchDone ~= nil
    if batchDone then batchEvent(batchId) end
  end
  if removed then
    -- Deleted together at the end of step 2: one DEL and one HDEL a call, not two a job.
    removedKeys[#removedKeys + 1] = jobKey
    removedIds[#removedIds + 1] = id
    -- The job is gone: a waiter can only learn its outcome from the event.
    jobEvent(id, state, batchId, index, payload)
    if group then groupedGone = groupedGone + 1 end
  else
    if inBatch then
      redis.call('HSET', jobKey, 'a', attempt, 'f', nowText, 'p', startedAt, 'fk', token)
    else
      redis.call('HSET', jobKey, field, payload, 'a', attempt, 'f', nowText, 'p', startedAt, 'fk', token)
    end
    local kept = keptIn(set, state, keep)
    local entry = finishedIn[kept]
    if not entry then
      entry = { list = {}, keep = keep, stateKey = set }
      finishedIn[kept] = entry
    end
    entry.list[#entry.list + 1] = nowText
    entry.list[#entry.list + 1] = id
    jobEvent(id, state, batchId, index)
  end
  if group then groupJobFinished(group, not removed and (completed and 'c' or 'f') or nil) end
end

-- 1. Reports of finished attempts. A report counts only if its token still
-- holds the lease: a worker whose lease was taken over cannot overwrite the
-- outcome of the worker that took over.
local statuses = {}
local reportCount = tonumber(ARGV[9])
-- The pool's limits for each group (nothing to do for a pool without them).
local groupLimits = groupPolicy(base, ARGV[10 + 3 * reportCount], now)
if reportCount > 0 then
  local ids = {}
  for r = 0, reportCount - 1 do
    ids[#ids + 1] = string.sub(KEYS[FIRST_REPORT + r], jobKeyPrefixLength + 1)
  end
  local holders = redis.call('HMGET', KEYS[3], unpack(ids))
  local released = {}
  for r = 0, reportCount - 1 do
    local a = 10 + r * 3
    local id, batchId, payload = ids[r + 1], ARGV[a + 1], ARGV[a + 2]
    local token, kind, realCost, attempt, startedAt, delay, keep, batchIndex, group =
      string.match(ARGV[a], '^([^|]+)|(%a)(%d*)|(%d+)|(%d+)|(%d+)|([^|]+)|(%d*)|?(.*)$')
    if group == '' then group = nil end
    local cached = kind == 'C' or kind == 'F'
    if cached then kind = string.lower(kind) end
    local jobKey = KEYS[FIRST_REPORT + r]
    if not token then
      -- Never "stale": that would tell the pool another pool took the job over.
      statuses[r + 1] = 'invalid'
    elseif holders[r + 1] ~= token then
      if redis.call('HGET', jobKey, 'fk') == token then
        statuses[r + 1] = 'dup'
      else
        statuses[r + 1] = 'stale'
      end
    else
      statuses[r + 1] = 'ok'
      released[#released + 1] = id
      -- Before the job's hash may be deleted (retention 0) below.
      if realCost ~= '' then
        if group and groupLimits.costs then
          groupLimits.settle(group, jobKey, tonumber(realCost), costWins)
        elseif costWins then
          settleCost(costWins, jobKey, tonumber(realCost), now)
        end
      end
      if kind == 'q' then
        -- The attempt does not count; `w`: when it became ready (read by the queue-lag script).
        redis.call('HSET', jobKey, 'e', payload, 'a', tonumber(attempt) - 1, 'p', startedAt, 'fk', token, 'w', nowText)
        -- Front of the line: it runs first when the queue is resumed.
        makeReady(base, KEYS[1], { id }, group, true)
        if group then groupJobDone(base, group, now, true) end
        pauseForQuota(id, payload)
      elseif kind == 'r' or kind == 'l' or kind == 'g' then
        delay = tonumber(delay)
        attempt = tonumber(attempt)
        if kind == 'g' and group then
          -- Rate limited, for this job's group only (the model or tenant behind it).
          attempt = attempt - 1
          holdGroup(base, group, now + delay)
          -- Claims later in this call must read the groups' holds.
          if metaFlags then metaFlags.groupsHeldUntil = now + delay end
        elseif kind ~= 'r' then
          -- Rate limited by the service the handler calls: the attempt does not count,
          -- and no pool of this queue claims again before the service's delay passes.
          attempt = attempt - 1
          local heldUntil = tonumber(redis.call('HGET', KEYS[8], 'held')) or 0
          if now + delay > heldUntil then redis.call('HSET', KEYS[8], 'held', now + delay) end
        end
        -- `w`: when it becomes ready again (read by the queue-lag script, never on this path).
        redis.call('HSET', jobKey, 'e', payload, 'a', attempt, 'p', startedAt, 'fk', token, 'w', now + delay)
        if delay > 0 then
          redis.call('ZADD', KEYS[4], now + delay, id)
          if group then redis.call('HINCRBY', groupHash(base, group), 'd', 1) end
        else
          makeReady(base, KEYS[1], { id }, group, false)
        end
        if group then groupJobDone(base, group, now, true) end
        wake = true
      else
        finish(id, jobKey, kind == 'c', payload, attempt, startedAt, keep, token, batchId, batchIndex, group, cached)
      end
    end
  end
  if #released > 0 then
    redis.call('ZREM', KEYS[2], unpack(released))
    redis.call('HDEL', KEYS[3], unpack(released))
  end
end

-- 2. Reclaim jobs whose lease expired (their pool crashed, hung, or lost
-- Redis for longer than the lease). The lost run counts as an attempt.
local stalled = {}
local expired = {}
if ARGV[6] ~= '0' then expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100) end
-- Read every expired job first: if one's hash is not on this node (a Cluster resharding
-- of the queue's slot), leave them all active for a later call, with nothing written.
local expiredFields = {}
for i, id in ipairs(expired) do
  local f = redis.pcall('HMGET', base .. 'job:' .. id, 'n', 'a', 'ma', 'kf', 'b', 'bi', 'g', 'ck')
  if f.err then
    expired = {}
    break
  end
  expiredFields[i] = f
end
if #expired > 0 then
  redis.call('ZREM', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[3], unpack(expired))
  local defaultMax = tonumber(ARGV[6])
  for i, id in ipairs(expired) do
    local jobKey = base .. 'job:' .. id
    local f = expiredFields[i]
    if f[1] then
      local attempt = (tonumber(f[2]) or 0) + 1
      local max = tonumber(f[3]) or defaultMax
      local err = cjson.encode({
        name = 'StalledJobError',
        code = 'ERR_JOB_STALLED',
        message = 'Job ' .. id .. ' stalled: its lease expired before attempt ' .. attempt .. ' finished',
      })
      if attempt >= max then
        finish(id, jobKey, false, err, attempt, '', f[4] or DEFAULT_KEEP.failed, '', f[5], f[6], f[7], f[8])
        stalled[#stalled + 1] = id
        stalled[#stalled + 1] = 'failed'
        stalled[#stalled + 1] = f[1]
      else
        redis.call('HSET', jobKey, 'a', attempt, 'e', err, 'w', nowText)
        -- Back to the front of the line: this job was already someone's turn.
        makeReady(base, KEYS[1], { id }, f[7], true)
        if f[7] then groupJobDone(base, f[7], now, true) end
        wake = true
        stalled[#stalled + 1] = id
        stalled[#stalled + 1] = 'retry'
        stalled[#stalled + 1] = f[1]
      end
    end
  end
end

-- The jobs finished in steps 1 and 2, counted in their groups (before trimming
-- counts the forgotten ones down).
if flushFinishedInGroups(base, now) then wake = true end

if #removedIds > 0 then
  redis.call('DEL', unpack(removedKeys))
  redis.call('HDEL', dataKey, unpack(removedIds))
end

-- Finished jobs enter their policy's set, then that policy trims that set only
-- (at most 1000 jobs a call, so a lowered limit is caught up over a few calls).
local function forget(set, ids, stateKey)
  if #ids == 0 then return end
  local jobKeys = {}
  for i = 1, #ids do jobKeys[i] = base .. 'job:' .. ids[i] end
  if flags().grouped then
    -- A retained job counts in its group until it is forgotten: counted down
    -- once per group, in the order the groups were met.
    local field = stateKey == KEYS[5] and 'c' or 'f'
    local gone, order = {}, {}
    for i = 1, #ids do
      local g = redis.call('HGET', jobKeys[i], 'g')
      if g then
        if not gone[g] then order[#order + 1] = g end
        gone[g] = (gone[g] or 0) + 1
        groupedGone = groupedGone + 1
      end
    end
    for _, g in ipairs(order) do groupCount(base, g, field, -gone[g], now) end
  end
  redis.call('DEL', unpack(jobKeys))
  redis.call('HDEL', dataKey, unpack(ids))
  redis.call('ZREM', set, unpack(ids))
end
for set, entry in pairs(finishedIn) do
  local added = redis.call('ZADD', set, unpack(entry.list))
  local count, age = string.match(entry.keep, '^(-?%d+):(-?%d+)$')
  count, age = tonumber(count), tonumber(age)
  if age and age >= 0 then
    forget(set, redis.call('ZRANGEBYSCORE', set, '-inf', now - age * 1000, 'LIMIT', 0, 1000), entry.stateKey)
  end
  local card
  if count and count > 0 then
    card = redis.call('ZCARD', set)
    local excess = card - count
    if excess > 0 then
      forget(set, redis.call('ZRANGE', set, 0, math.min(excess, 1000) - 1), entry.stateKey)
    end
  end
  -- A policy's own set is listed for readers when it is new: the ZCARD above
  -- tells (it holds only this call's jobs); without one, SADD costs no more than asking.
  if set ~= entry.stateKey and age ~= 0 and (not card or card <= added) then
    redis.call('SADD', entry.stateKey .. ':sets', entry.keep)
  end
end

-- 3. Promote delayed jobs that are due, to the back of the line.
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('ZREM', KEYS[4], unpack(due))
  promoteDue(base, KEYS[1], due, flags().grouped, now)
  wake = true
end

-- 4. Claim. Each claimed job gets a lease: a token only this claim knows, and
-- a deadline the holder must keep pushing back.
local claimed = {}
-- The groups of the claimed jobs that have one: { position (1-based), group, ... }.
local claimedGroups = {}
local requested = tonumber(ARGV[4])
local count = requested
local nextDue = -1
local heldUntil = -1
local paused = 0
local parkedUntil
-- The longest job-start window (ms): how long the set of claim times keeps them.
local limiterSpan = 0
if count > 0 then
  local meta = flags()
  if meta.paused then
    count = 0
    paused = 1
  end
  local held = tonumber(meta.held)
  if held and held > now then
    count = 0
    heldUntil = held
  end
  if count > 0 and ARGV[7] ~= '0' then
    -- Shared rate limits: at most `max` claims in any window of `window` ms, over every
    -- pool. One set of claim times serves every window: it keeps the longest one.
    local windows = {}
    for max, window in string.gmatch(ARGV[7], '(%d+):(%d+)') do
      windows[#windows + 1] = { tonumber(max), tonumber(window) }
      limiterSpan = math.max(limiterSpan, tonumber(window))
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now - limiterSpan)
    for _, w in ipairs(windows) do
      local max, window = w[1], w[2]
      local inWindow = window == limiterSpan and redis.call('ZCARD', KEYS[9])
        or redis.call('ZCOUNT', KEYS[9], now - window + 1, '+inf')
      local room = max - inWindow
      if room < count then
        count = math.max(room, 0)
        -- Room comes back when the oldest claim in the window leaves it.
        local oldest = redis.call('ZRANGEBYSCORE', KEYS[9], now - window + 1, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        heldUntil = math.max(heldUntil, (tonumber(oldest[2]) or now) + window)
      end
    end
  end
end
-- Jobs over a cost window's max (id, cost), failed at once by the pool.
local overCost = {}
if count > 0 then
  local ids, groups, data, fields
  local meta = flags()
  if meta.ring then
    groupLimits.readState =
      turnsReadState(meta.pausedGroups, meta.groupsHeldUntil, groupLimits.concurrency, now)
    ids, groups, parkedUntil = claimFair(base, KEYS[1], count, now, groupLimits, ARGV[5])
    if #ids == 0 then ids = nil end
  else
    ids = redis.call('RPOP', KEYS[1], count)
  end
  if ids then
    data, fields = readJobs(base, ids)
    if not data then
      -- A hash of these jobs is on another node (their slot is migrating): put the ids
      -- back where they were, in their order, and claim nothing in this call.
      for i = #ids, 1, -1 do
        local g = groups and groups[i] or nil
        makeReady(base, KEYS[1], { ids[i] }, g, true)
        if g then
          groupJobDone(base, g, now, true)
          groupUnclaim(base, groupLimits, ids[i])
        end
      end
      ids = nil
    end
  end
  if ids and groupLimits.costs then
    -- Over a cost window of its group: never fits, fails at once (not charged anywhere).
    for i, id in ipairs(ids) do
      local cost = groupOverCost(groupLimits, id)
      if cost and fields[i][1] then
        overCost[#overCost + 1] = id
        overCost[#overCost + 1] = cost
        fields[i].overCost = true
      end
    end
  end
  if ids and costWins then
    -- Cost windows: take jobs in order while each fits in every window; the first that
    -- does not goes back, with the rest, to where it was, and the pool waits for room.
    for _, w in ipairs(costWins) do loadCostWindow(w, now) end
    local kept = #ids
    for i, id in ipairs(ids) do
      if fields[i][1] and not fields[i].overCost then
        local cost = tonumber(redis.call('HGET', base .. 'job:' .. id, 'cu')) or 1
        local over, fits, roomAt = false, true, -1
        for _, w in ipairs(costWins) do
          if cost > w.max then
            over = true
          else
            local at = costRoomAt(w, cost, now)
            if at then
              fits = false
              roomAt = math.max(roomAt, at)
            end
          end
        end
        if over then
          -- Can never fit: claimed (not charged) so that the pool fails it at once.
          overCost[#overCost + 1] = id
          overCost[#overCost + 1] = cost
          fields[i].overCost = true
          -- It will not run: its group gets back what it was charged.
          groupUnclaim(base, groupLimits, id)
        elseif not fits then
          kept = i - 1
          heldUntil = math.max(heldUntil, roomAt)
          break
        else
          for _, w in ipairs(costWins) do chargeCost(w, cost, now) end
          fields[i].charged = true
        end
      end
    end
    for i = #ids, kept + 1, -1 do
      local g = groups and groups[i] or nil
      makeReady(base, KEYS[1], { ids[i] }, g, true)
      if g then
        groupJobDone(base, g, now, true)
        groupUnclaim(base, groupLimits, ids[i])
      end
      ids[i] = nil
    end
  end
  if ids then
    local deadline = tostring(now + tonumber(ARGV[3]))
    local scores, tokens = {}, {}
    for i, id in ipairs(ids) do
      -- A job removed while it waited leaves its id behind: skip it.
      if not fields[i][1] and groups and groups[i] then
        groupJobDone(base, groups[i], now)
        groupUnclaim(base, groupLimits, id)
      elseif fields[i][1] then
        -- The claim time rides in the token, so `getJob()` can tell how long an attempt has run.
        local token = claimToken(#tokens / 2 + 1, nowText)
        scores[#scores + 1] = deadline
        scores[#scores + 1] = id
        tokens[#tokens + 1] = id
        tokens[#tokens + 1] = token
        appendClaimed(claimed, id, token, fields[i], data[i])
        -- The sub-bucket a settle of this attempt goes to.
        if fields[i].charged or groupCharged(groupLimits, id) then
          redis.call('HSET', base .. 'job:' .. id, 'ct', nowText)
        end
        if groups and groups[i] then
          claimedGroups[#claimedGroups + 1] = #tokens / 2
          claimedGroups[#claimedGroups + 1] = groups[i]
        end
      end
    end
    if #scores > 0 then
      redis.call('ZADD', KEYS[2], unpack(scores))
      redis.call('HSET', KEYS[3], unpack(tokens))
      if limiterSpan > 0 then
        local stamps = {}
        for i = 2, #tokens, 2 do
          stamps[#stamps + 1] = nowText
          stamps[#stamps + 1] = tokens[i]
        end
        redis.call('ZADD', KEYS[9], unpack(stamps))
        redis.call('PEXPIRE', KEYS[9], limiterSpan)
      end
      if costWins then chargeCostWindows(costWins) end
    end
    chargeGroupWindows(groupLimits)
    -- This pool took all it asked for and more is waiting: wake the next idle pool.
    if #ids == requested and (groups or redis.call('LLEN', KEYS[1]) > 0) then wake = true end
  end
end
-- Found less than asked for: tell the pool when a job may next become claimable (the
-- earliest delayed job is due, or the earliest lease runs out), so it can sleep until then.
if requested > 0 and heldUntil < 0 and paused == 0 and #claimed < requested * CLAIMED_STRIDE then
  local delayedFirst = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  local leaseFirst = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local a, b = tonumber(delayedFirst[2]), tonumber(leaseFirst[2])
  if a and b then nextDue = math.min(a, b) else nextDue = a or b or -1 end
  -- A parked group (held or over its limiter) may run again then.
  if parkedUntil and (nextDue < 0 or parkedUntil < nextDue) then nextDue = parkedUntil end
end

-- Per-minute counters of finished jobs, for `getMetrics()`.
for state, n in pairs(done) do
  if n > 0 then countMinute(KEYS[13], state, n, now) end
end

-- Remember what this call did, for a replay of it (see ARGV[5]), packed: one
-- letter per status, the claim time, the claimed ids (their tokens follow).
if #statuses > 0 or #claimed > 0 then
  local letters = {}
  for i, status in ipairs(statuses) do letters[i] = STATUS_LETTER[status] end
  local record = { table.concat(letters), now }
  for i = 1, #claimed, CLAIMED_STRIDE do record[#record + 1] = claimed[i] end
  redis.call('SET', callKey, cjson.encode(record), 'PX', math.max(tonumber(ARGV[3]), 5000))
end

if groupedGone > 0 then redis.call('HINCRBY', KEYS[8], 'gn', -groupedGone) end
if wake then redis.call('ZADD', KEYS[7], 0, 'm') end
emitEvents(KEYS[10], ARGV[2])
-- The last two only when needed: over cost (cost windows) and the groups (a
-- claimed job has one); nothing for jobs that use neither.
local claimedGroupsOrNil = claimedGroups[1] and claimedGroups or nil
if overCost[1] or claimedGroupsOrNil then
  return { statuses, claimed, stalled, nextDue, now, heldUntil, paused, overCost, claimedGroupsOrNil }
end
return { statuses, claimed, stalled, nextDue, now, heldUntil, paused }
