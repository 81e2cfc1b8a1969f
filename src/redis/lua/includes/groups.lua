--[[
  Groups: fair turns across groups of jobs, per-group limits and holds.

  Jobs with no group live in the queue's `wait` list, as they always have: while
  no group has ready work, nothing here runs and a claim is one RPOP. A job with
  a group waits in its group's own list, and the group takes turns in a ring:

  - `<base>groups`         LIST  the ring: groups with ready work, plus GROUP_NONE
                                 standing for the jobs with no group. A claim
                                 rotates it (LMOVE): one job per group per turn.
  - `<base>groups:parked`  ZSET  group -> when it may run again (held by a
                                 group-scoped 429, or over its limiter)
  - `<base>groups:aside`   SET   groups with work set aside: paused, or waiting for
                                 one of their jobs to finish (at `group.concurrency`);
                                 read by `getGroups()`
  - `<base>gh:<group>`     HASH  a: jobs active, d: delayed, c / f: completed /
                                 failed jobs still retained, p: paused,
                                 h: held until (ms), s: where it is scheduled
                                 ('r' ring, 'z' parked, 'c' waiting for a slot,
                                 'p' set aside while paused; none: idle)
  - `<base>gw:<group>`     LIST  its waiting jobs (LPUSH to add, RPOP to claim)
  - `<base>gl:<group>`     ZSET  its recent job starts, for `group.limiter`'s windows of
                                 job starts (see group-limits.lua)
  - `<base>gc:<duration>:<group>` HASH  cost units it was charged per sub-bucket of a
                                 `group.limiter` window with `by: 'cost'` (see
                                 group-limits.lua and cost-windows.lua)
  - meta `g`: the ring is running; `gj`: jobs with a group were ever added;
    `gp`: how many groups are paused; `gt`: the latest time any group-scoped 429
    holds a group until (both only grow with use: while `gp` is 0, `gt` is past
    and the pool sets no `group.concurrency`, a group's turn reads nothing of its
    hash, see groupTurn);
    `gn`: how many jobs with a group exist (in any state, retained ones too:
    every script that adds one counts it, and the scripts that delete one
    count it down; one deleted uncounted only leaves `gn` high, which costs
    lookups, never correctness). Paths that must find a job's group (delayed
    jobs, trimmed finished jobs, released jobs) look it up only while `gn` is
    above 0, so a queue whose grouped jobs are gone costs a plain job nothing
    more (see groupedJobsExist); `gw`: jobs waiting in group lists (for the counts).

  The group's name comes last in each key, after a prefix of its own, so no
  name can collide with another group's keys. A group's hash is deleted when it
  holds nothing (no job waiting, delayed, active or retained, not paused, not
  held), and its list and limiter vanish with their last member or expire: a
  million one-off groups leave nothing behind. No step scans the groups.
]]
local GROUP_NONE = ''

local function groupHash(base, g) return base .. 'gh:' .. g end
local function groupWait(base, g) return base .. 'gw:' .. g end
local function groupLimiter(base, g) return base .. 'gl:' .. g end
-- The duration is digits and ends at the first ':', so no two (duration, group) pairs share a key.
local function groupCostWindow(base, g, duration) return base .. 'gc:' .. duration .. ':' .. g end

-- Whether a job of the queue may have a group, from the meta fields `gj` and
-- `gn` (see above): only then must a path look a job's group up.
local function groupedJobsExist(gj, gn)
  return gj ~= nil and gj ~= false and (tonumber(gn) or 1) > 0
end

-- Start the ring (with the no-group turn) if it is not running.
local function startRing(base)
  if redis.call('HSETNX', base .. 'meta', 'g', '1') == 1 then
    redis.call('DEL', base .. 'groups')
    redis.call('LPUSH', base .. 'groups', GROUP_NONE)
  end
end

-- Give an idle group its turns in the ring (a scheduled one is left where it is).
local function scheduleGroup(base, g)
  if redis.call('HSETNX', groupHash(base, g), 's', 'r') == 0 then return end
  startRing(base)
  redis.call('LPUSH', base .. 'groups', g)
end

-- Delete a group's hash once it holds nothing. A hold still running on an
-- otherwise empty group is parked until it ends, so it is forgotten then.
local function tidyGroup(base, g, now)
  local key = groupHash(base, g)
  local f = redis.call('HMGET', key, 'a', 'd', 'c', 'f', 'p', 's', 'h')
  for i = 1, 4 do
    if (tonumber(f[i]) or 0) > 0 then return end
  end
  if f[5] or f[6] then return end
  local held = tonumber(f[7])
  if held and held > now then
    redis.call('HSET', key, 's', 'z')
    redis.call('ZADD', base .. 'groups:parked', held, g)
    startRing(base)
    return
  end
  redis.call('DEL', key)
end

-- Change one of a group's counters; a group whose count dropped to 0 may be empty.
local function groupCount(base, g, field, n, now)
  local left = redis.call('HINCRBY', groupHash(base, g), field, n)
  if n < 0 and left <= 0 then tidyGroup(base, g, now) end
end

-- How many groups are set aside (paused, or waiting for a slot), read once per
-- script run and kept current by setAside: while there are none, a job that
-- stops being active needs no look at its group's state.
local asideCount
local function setAside(base, g)
  redis.call('SADD', base .. 'groups:aside', g)
  -- Not read yet: SCARD will count this one.
  if asideCount then asideCount = asideCount + 1 end
end

-- Every path that makes jobs ready goes through here: add, delayed promotion,
-- retries, reclaimed and released jobs, retryJob. `front`: to the head of the
-- line (jobs whose turn had already come). No group: today's `wait`, one command.
local function makeReady(base, wait, ids, group, front)
  local list = wait
  if group and group ~= '' then list = groupWait(base, group) end
  -- Each command written out: an ACL that allows the scripts' commands is read from these lines.
  if front then
    redis.call('RPUSH', list, unpack(ids))
  else
    redis.call('LPUSH', list, unpack(ids))
  end
  if list == wait then return end
  redis.call('HINCRBY', base .. 'meta', 'gw', #ids)
  scheduleGroup(base, group)
end

-- `n` jobs (default 1) of group `g` stopped being active (finished, retried,
-- reclaimed or handed back). A group that waited for a free slot gets its
-- turns back. `kept`: the caller just counted the jobs in another of the
-- group's states (kept finished, delayed, waiting), so the group is not empty.
-- Returns true when it did, so the caller wakes an idle pool.
local function groupJobDone(base, g, now, kept, n)
  local key = groupHash(base, g)
  local active = redis.call('HINCRBY', key, 'a', -(n or 1))
  if asideCount == nil then asideCount = redis.call('SCARD', base .. 'groups:aside') end
  if asideCount > 0 and redis.call('HGET', key, 's') == 'c' then
    redis.call('HDEL', key, 's')
    redis.call('SREM', base .. 'groups:aside', g)
    scheduleGroup(base, g)
    return true
  end
  -- With jobs still active the group cannot be empty: no need to look.
  if active <= 0 and not kept then tidyGroup(base, g, now) end
  return false
end

-- Finished jobs, counted in their groups once per group and call rather than
-- once per job (two commands a group: the kept count and the active count).
local finishedInGroups, finishedGroupOrder = {}, {}

-- A job of group `g` finished: kept as completed or failed ('c' / 'f'), or
-- deleted (nil). Counted by flushFinishedInGroups.
local function groupJobFinished(g, field)
  local e = finishedInGroups[g]
  if not e then
    e = { n = 0, c = 0, f = 0 }
    finishedInGroups[g] = e
    finishedGroupOrder[#finishedGroupOrder + 1] = g
  end
  e.n = e.n + 1
  if field then e[field] = e[field] + 1 end
end

-- Count the finished jobs of each group, in the order the groups were met.
-- Returns true when a group that waited for a free slot got its turns back.
local function flushFinishedInGroups(base, now)
  local woke = false
  for _, g in ipairs(finishedGroupOrder) do
    local e = finishedInGroups[g]
    if e.c > 0 then redis.call('HINCRBY', groupHash(base, g), 'c', e.c) end
    if e.f > 0 then redis.call('HINCRBY', groupHash(base, g), 'f', e.f) end
    if groupJobDone(base, g, now, e.c + e.f > 0, e.n) then woke = true end
  end
  finishedInGroups, finishedGroupOrder = {}, {}
  return woke
end

-- Due delayed jobs, in due order, to their lines. `grouped`: look up each
-- job's group (only in queues that ever had grouped jobs).
local function promoteDue(base, wait, ids, grouped, now)
  if not grouped then
    makeReady(base, wait, ids, nil, false)
    return
  end
  local none = {}
  for _, id in ipairs(ids) do
    local g = redis.call('HGET', base .. 'job:' .. id, 'g')
    if g then
      redis.call('HINCRBY', groupHash(base, g), 'd', -1)
      makeReady(base, wait, { id }, g, false)
    else
      none[#none + 1] = id
    end
  end
  if #none > 0 then makeReady(base, wait, none, nil, false) end
end

-- A group-scoped 429: hold group `g` until `until_` (never shortening a hold).
-- Meta `gt` keeps the latest hold of any group, so that turns can tell that no
-- group is held without reading each group's hash.
local function holdGroup(base, g, until_)
  local key = groupHash(base, g)
  local held = tonumber(redis.call('HGET', key, 'h')) or 0
  if until_ > held then redis.call('HSET', key, 'h', until_) end
  local latest = tonumber(redis.call('HGET', base .. 'meta', 'gt')) or 0
  if until_ > latest then redis.call('HSET', base .. 'meta', 'gt', until_) end
end

-- Whether a group's turn must read its hash: some group is paused (meta `gp`),
-- some group may be held (meta `gt` not past), or the pool limits how many of a
-- group's jobs run at once. Otherwise a turn is the ring's LMOVE and the
-- group's RPOP, and the hash is only written.
local function turnsReadState(gp, gt, concurrency, now)
  return (tonumber(gp) or 0) > 0 or (tonumber(gt) or 0) > now or concurrency > 0
end

-- Take group `g` (at the ring's head: LMOVE put it there) out of the ring, as
-- `state` ('z' parked, 'c' waiting for a slot, 'p' set aside; nil: idle).
local function leaveRing(base, g, state)
  redis.call('LPOP', base .. 'groups')
  if state then
    redis.call('HSET', groupHash(base, g), 's', state)
  else
    redis.call('HDEL', groupHash(base, g), 's')
  end
end

local function parkGroup(base, g, until_)
  leaveRing(base, g, 'z')
  redis.call('ZADD', base .. 'groups:parked', until_, g)
end

--[[
  One turn of group `g` (just rotated to the ring's head): take its next jobs
  (up to `want`) if it may run, else take it out of the ring. `policy`:
  { concurrency (0: no limit), readState (see turnsReadState), and for a
  `group.limiter` (see group-limits.lua) gate(g): when the group may start a
  job again if not now, admit(g, id, stamp): nil when job `id` may start
  (counted in the group's windows), else when it may }; `stamp`: a member for
  its limiter, built only for a group with one (which takes one job a turn)
  from `stampPrefix` and `k`. Returns the job ids, or nil.
]]
local function groupTurn(base, g, now, policy, stampPrefix, k, want)
  local key = groupHash(base, g)
  if policy.readState then
    local f = redis.call('HMGET', key, 'a', 'p', 'h')
    if f[2] then
      leaveRing(base, g, 'p')
      setAside(base, g)
      return nil
    end
    local held = tonumber(f[3])
    if held and held > now then
      parkGroup(base, g, held)
      return nil
    end
    if policy.concurrency > 0 then
      local room = policy.concurrency - (tonumber(f[1]) or 0)
      if room <= 0 then
        -- Back in the ring when one of its jobs stops being active (groupJobDone).
        leaveRing(base, g, 'c')
        setAside(base, g)
        return nil
      end
      want = math.min(want, room)
    end
  end
  local until_ = policy.gate and policy.gate(g)
  if until_ then
    parkGroup(base, g, until_)
    return nil
  end
  local wait = groupWait(base, g)
  if policy.admit then want = 1 end
  -- One more than wanted: when it comes, it goes back to the head of the line
  -- (as many commands as asking LLEN); when it does not, the line is empty.
  local ids = redis.call('RPOP', wait, want + 1)
  if not ids then
    leaveRing(base, g, nil)
    tidyGroup(base, g, now)
    return nil
  end
  local more = #ids > want
  if more then
    redis.call('RPUSH', wait, ids[#ids])
    ids[#ids] = nil
  end
  until_ = policy.admit and policy.admit(g, ids[1], stampPrefix .. '.' .. k)
  if until_ then
    -- Does not fit in the group's cost windows: back to the head of its line.
    redis.call('RPUSH', wait, ids[1])
    parkGroup(base, g, until_)
    return nil
  end
  redis.call('HINCRBY', key, 'a', #ids)
  if not more then leaveRing(base, g, nil) end
  return ids
end

--[[
  Claim up to `count` jobs, one per group per turn of the ring (the jobs with
  no group take one turn as a group of their own); when the ring holds fewer
  groups than the jobs asked for, each turn takes an even share of what is
  left to claim (a group with a `group.limiter` still one), so a few groups
  cost a few turns per call, not one per job, and each still gets its share.
  Runs only while the ring runs (meta `g`). Returns the ids, their groups
  (false for none), and when the earliest parked group may run again (or nil).
]]
local function claimFair(base, wait, count, now, policy, stampPrefix)
  local ring = base .. 'groups'
  local parked = base .. 'groups:parked'
  -- Groups whose hold or limit has run out take turns again.
  local due = redis.call('ZRANGEBYSCORE', parked, '-inf', now, 'LIMIT', 0, 100)
  if #due > 0 then
    redis.call('ZREM', parked, unpack(due))
    for _, g in ipairs(due) do
      redis.call('HDEL', groupHash(base, g), 's')
      if redis.call('EXISTS', groupWait(base, g)) == 1 then
        scheduleGroup(base, g)
      else
        tidyGroup(base, g, now)
      end
    end
  end
  local ids, groups = {}, {}
  -- A whole round of the ring without a job ends the claim: every group left is out of work or limited.
  local idleRound = false
  -- Once `wait` came back empty it stays so for this call: no need to ask again each round.
  local noneEmpty = false
  local fromGroups = 0
  -- Groups in the ring, read once: with at least as many as `count`, one job a turn.
  local turns = count > 1 and redis.call('LLEN', ring) or count
  while #ids < count do
    local g = redis.call('LMOVE', ring, ring, 'RIGHT', 'LEFT')
    if not g then break end
    local want = math.max(1, math.floor((count - #ids) / turns))
    local taken
    if g == GROUP_NONE then
      if not noneEmpty then
        taken = want > 1 and redis.call('RPOP', wait, want) or redis.call('RPOP', wait)
        if taken and want == 1 then taken = { taken } end
      end
      noneEmpty = not taken
    else
      taken = groupTurn(base, g, now, policy, stampPrefix, #ids + 1, want)
      if taken then fromGroups = fromGroups + #taken end
    end
    if taken then
      for _, id in ipairs(taken) do
        ids[#ids + 1] = id
        groups[#groups + 1] = g ~= GROUP_NONE and g
      end
      idleRound = false
    elseif g == GROUP_NONE then
      if idleRound then break end
      idleRound = true
    end
  end
  -- The jobs taken from group lists, counted once for the call.
  if fromGroups > 0 then redis.call('HINCRBY', base .. 'meta', 'gw', -fromGroups) end
  local first = redis.call('ZRANGE', parked, 0, 0, 'WITHSCORES')
  if not first[1] and redis.call('LLEN', ring) <= 1 then
    -- Only the no-group turn is left (even when this claim was full of jobs with
    -- no group): stop the ring, claims are one RPOP again. A group that gets
    -- work, or whose slot frees, starts it again (scheduleGroup).
    redis.call('DEL', ring)
    redis.call('HDEL', base .. 'meta', 'g')
  end
  return ids, groups, tonumber(first[2])
end
