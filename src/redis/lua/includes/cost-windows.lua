--[[
  Cost windows: the `limiter` windows of a pool with `by: 'cost'` (a token
  budget). A window of `duration` ms keeps the cost units charged in it in one
  HASH, `<base>cost:<duration>` (built from `base`: a pool has any number of
  windows, and the script's KEYS are fixed), field = sub-bucket number
  (time / slot, slot = ceil(duration / COST_SLOTS)), value = units. Bounded:
  at most COST_SLOTS + 1 fields live, older ones are dropped when read, and the
  hash expires a window after its last charge. Pools with the same duration
  share the hash; each checks its own max.

  A window counts its current sub-bucket and the COST_SLOTS before it: all of
  the last `duration` ms and up to one slot more. It errs on the side of
  sending less: no rolling window of `duration` ms is ever charged more than
  `max` (about 1/COST_SLOTS of the budget is given up for that).

  A charge is settled (`ctx.reportCost(n)`) in the sub-bucket it went to (the
  job's `ct` field is the charge time): refund or extra, so estimates that run
  high or low do not drift. A sub-bucket that has left the window is not
  settled: it no longer counts.
]]
local COST_SLOTS = 60

-- `max:duration,...` (ARGV) into { { max, key, slot } ... }.
local function costWindows(base, packed)
  local list = {}
  for max, duration in string.gmatch(packed, '(%d+):(%d+)') do
    local d = tonumber(duration)
    list[#list + 1] = {
      max = tonumber(max), duration = d, key = base .. 'cost:' .. duration,
      slot = math.ceil(d / COST_SLOTS),
    }
  end
  return list
end

-- Read a window's sub-buckets that still count (dropping the rest): `w.used` is their sum.
local function loadCostWindow(w, now)
  local cur = math.floor(now / w.slot)
  local first = cur - COST_SLOTS
  local raw = redis.call('HGETALL', w.key)
  local buckets, stale, used = {}, {}, 0
  for i = 1, #raw, 2 do
    local b, v = tonumber(raw[i]), tonumber(raw[i + 1]) or 0
    if not b or b < first then
      stale[#stale + 1] = raw[i]
    else
      buckets[b] = v
      used = used + v
    end
  end
  if #stale > 0 then redis.call('HDEL', w.key, unpack(stale)) end
  w.cur, w.first, w.buckets, w.used, w.charged = cur, first, buckets, used, 0
end

-- When `need` more units fit in the window (besides those charged in this call): when
-- enough of its oldest sub-buckets have left it.
local function costRoomAt(w, need)
  local over = w.used + w.charged + need - w.max
  local b = w.first
  while over > 0 and b <= w.cur do
    over = over - (w.buckets[b] or 0)
    b = b + 1
  end
  -- Sub-bucket x stops counting once the current one is x + COST_SLOTS + 1.
  return (b - 1 + COST_SLOTS + 1) * w.slot
end

-- Write the units charged in this call to the current sub-bucket of each window.
local function chargeCostWindows(windows)
  for _, w in ipairs(windows) do
    if w.charged > 0 then
      redis.call('HINCRBY', w.key, w.cur, w.charged)
      redis.call('PEXPIRE', w.key, w.duration + w.slot)
    end
  end
end

-- Settle a job's charge: its real cost replaces the estimate (its `cu`, 1 when absent)
-- in the sub-bucket of each window it was charged to at `ct`. Nothing when it was not charged.
local function settleCost(windows, jobKey, real, now)
  local f = redis.call('HMGET', jobKey, 'cu', 'ct')
  local at = tonumber(f[2])
  if not at then return end
  local delta = real - (tonumber(f[1]) or 1)
  if delta == 0 then return end
  for _, w in ipairs(windows) do
    local b = math.floor(at / w.slot)
    if b >= math.floor(now / w.slot) - COST_SLOTS then
      local v = tonumber(redis.call('HGET', w.key, b))
      -- Gone (expired, or never charged by a window of this duration): nothing to settle.
      if v then redis.call('HSET', w.key, b, math.max(v + delta, 0)) end
    end
  end
end
