--[[
  `group.limiter`: the same windows as a pool's `limiter`, counted for each
  group on its own, across every pool: windows of job starts and windows of
  cost units (`by: 'cost'`, charged at claim, settled by `ctx.reportCost(n)`).
  A group with no room is parked until there is (groups.lua), the others go on.

  - `<base>gl:<group>`            ZSET  its job starts (stamp -> claim time), kept for
                                        its longest window of job starts, expiring then
  - `<base>gc:<duration>:<group>` HASH  cost units charged to it per sub-bucket of its
                                        window of `duration` ms, and its pacing
                                        (cost-windows.lua's layout and rules), expiring
                                        once nothing charged in it counts
  Both keys are built by groups.lua's helpers, and die with the group's work.

  The policy comes from the pool as `concurrency|starts|costs`, where starts
  and costs are `max:duration` joined by ',', or '0' for none.
]]
--- @include "groups.lua"
--- @include "cost-windows.lua"

-- `max:duration,...` into { { max, duration } ... } and the longest duration.
local function startWindows(packed)
  local list, span = {}, 0
  for max, duration in string.gmatch(packed, '(%d+):(%d+)') do
    list[#list + 1] = { max = tonumber(max), duration = tonumber(duration) }
    span = math.max(span, tonumber(duration))
  end
  return list, span
end

--[[
  The policy groupTurn (groups.lua) applies, from the pool's packed one (nil:
  the pool has no group limits). Per call, it keeps what it charged each job
  it admitted in `claims` (id -> { group, stamp, cost charged, or over:
  its cost when over a window's max }), so a job put
  back before it starts is refunded (groupUnclaim), and the cost windows it
  loaded, written once at the end (chargeGroupWindows).
]]
local function groupPolicy(base, packed, now)
  local policy = { concurrency = 0, claims = {}, loaded = {} }
  if not packed then return policy end
  local c, starts, costs = string.match(packed, '^(%d+)|([%d:,]+)|([%d:,]+)$')
  policy.concurrency = tonumber(c) or 0
  local startList, span = {}, 0
  if starts and starts ~= '0' then startList, span = startWindows(starts) end
  if costs == '0' then costs = nil end
  if span == 0 and not costs then return policy end
  policy.costs = costs

  -- The group's cost windows, read once per call (nil: none).
  local function costWindowsOf(g)
    if not costs then return nil end
    local windows = policy.loaded[g]
    if not windows then
      windows = costWindows(base, costs)
      for _, w in ipairs(windows) do
        w.key = groupCostWindow(base, g, w.duration)
        loadCostWindow(w, now)
      end
      policy.loaded[g] = windows
    end
    return windows
  end

  if span > 0 then
    -- When every window of job starts has room again, or nil if they have now.
    policy.gate = function(g)
      local limiter = groupLimiter(base, g)
      redis.call('ZREMRANGEBYSCORE', limiter, '-inf', now - span)
      local until_
      for _, w in ipairs(startList) do
        local inWindow = w.duration == span and redis.call('ZCARD', limiter)
          or redis.call('ZCOUNT', limiter, now - w.duration + 1, '+inf')
        if inWindow >= w.max then
          -- Room comes back when the oldest start in the window leaves it.
          local oldest = redis.call('ZRANGEBYSCORE', limiter, now - w.duration + 1, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
          until_ = math.max(until_ or 0, (tonumber(oldest[2]) or now) + w.duration)
        end
      end
      return until_
    end
  end

  -- Job `id` of group `g` may start: count it (nil), or say when its cost fits.
  policy.admit = function(g, id, stamp)
    local claim = { group = g }
    local windows = costWindowsOf(g)
    if windows then
      -- pcall: a job hash being migrated (Cluster) errs here; readJobs then puts the job back.
      local cu = redis.pcall('HGET', base .. 'job:' .. id, 'cu')
      local cost = type(cu) == 'string' and tonumber(cu) or 1
      local over, roomAt = false, nil
      for _, w in ipairs(windows) do
        if cost > w.max then
          over = true
        else
          -- The window and its pacing, as for the pool's own cost windows.
          local at = costRoomAt(w, cost, now)
          if at then roomAt = math.max(roomAt or 0, at) end
        end
      end
      if over then
        -- Can never fit: claimed, not charged, and failed at once by the pool.
        claim.over = cost
      elseif roomAt then
        return roomAt
      else
        for _, w in ipairs(windows) do chargeCost(w, cost, now) end
        claim.cost = cost
      end
    end
    if span > 0 then
      local limiter = groupLimiter(base, g)
      redis.call('ZADD', limiter, now, stamp)
      redis.call('PEXPIRE', limiter, span)
      claim.stamp = stamp
    end
    policy.claims[id] = claim
    return nil
  end

  -- Settle a job's charge in its group's cost windows (with the pool's `poolWindows`, if any).
  policy.settle = function(g, jobKey, real, poolWindows)
    local windows = {}
    for _, w in ipairs(poolWindows or {}) do windows[#windows + 1] = w end
    for _, w in ipairs(costWindows(base, costs)) do
      w.key = groupCostWindow(base, g, w.duration)
      windows[#windows + 1] = w
    end
    settleCost(windows, jobKey, real, now)
  end
  return policy
end

-- Job `id` was admitted but goes back (or fails unrun): take back what its group was charged.
local function groupUnclaim(base, policy, id)
  local claim = policy.claims[id]
  if not claim then return end
  policy.claims[id] = nil
  if claim.cost then
    -- chargeCost undone: the units, and the pacing they moved on (a pacing time
    -- that falls back into the past stands for now, as it did before the charge).
    for _, w in ipairs(policy.loaded[claim.group]) do
      w.charged = w.charged - claim.cost
      w.pace = w.pace - claim.cost / w.rate
    end
  end
  if claim.stamp then redis.call('ZREM', groupLimiter(base, claim.group), claim.stamp) end
end

-- Whether job `id` was charged to its group's cost windows in this call.
local function groupCharged(policy, id)
  local claim = policy.claims[id]
  return claim ~= nil and claim.cost ~= nil
end

-- Job `id`'s cost when it is over a window of its group's (it fails without running), else nil.
local function groupOverCost(policy, id)
  local claim = policy.claims[id]
  return claim and claim.over
end

-- Write what the jobs claimed in this call cost their groups.
local function chargeGroupWindows(policy)
  for _, windows in pairs(policy.loaded) do chargeCostWindows(windows) end
end
