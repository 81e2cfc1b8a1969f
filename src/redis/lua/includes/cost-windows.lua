--[[
  Cost windows: the `limiter` windows of a pool with `by: 'cost'` (a token
  budget). A window of `duration` ms keeps the cost units charged in it in one
  HASH, `<base>cost:<duration>` (built from `base`: a pool has any number of
  windows, and the script's KEYS are fixed), field = sub-bucket number
  (time / slot, slot = ceil(duration / COST_SLOTS)), value = units; and its
  pacing, field `p<max>` (see below). Bounded: at most COST_SLOTS + 1
  sub-buckets live, older ones are dropped when read, and the hash expires once
  nothing charged in it counts any more. Pools with the same duration share the
  hash; each checks its own max (and keeps its own pacing field).

  Two rules, both checked for each job in the script that claims it:
  - The window (the hard cap). It counts its current sub-bucket and the
    COST_SLOTS before it: all of the last `duration` ms and up to one slot more.
    It errs on the side of sending less: no rolling window of `duration` ms is
    ever charged more than `max` (about 1/COST_SLOTS of the budget is given up
    for that).
  - Pacing (the smoothing). The window alone lets a whole budget through at
    once, then nothing until that burst leaves the window, then the whole budget
    again: bursts exactly one window apart, so a request of one burst that
    reaches the API a little late shares the API's window with the whole next
    burst (measured: up to 2x the max). So claims are also paced, GCRA style:
    `p<max>` is the time at which everything charged so far would have gone out
    at `max` units per `duration` + 3 slots; a job is claimed only while that
    time is at most PACE_AHEAD slots ahead, and moves it on by its cost. So after
    a quiet spell 2 slots' share of the budget (1/30) may go at once, and a
    claim that comes up to 2 slots late (a timer or a round trip on a busy
    machine) is caught up, not lost. Paced so that the window's span (up to
    `duration` + 1 slot) plus that lead hold no more than `max`, the window
    rarely has to hold anything back, so no burst builds up behind it (a lead
    of 3 slots at `duration` + 2 slots made the window bind once a window, and
    the bursts came back: 107 % at the API in the benchmark). The price: about
    3/60 of the budget.

  A charge is settled (`ctx.reportCost(n)`) in the sub-bucket it went to (the
  job's `ct` field is the charge time), and in the pacing: refund or extra, so
  estimates that run high or low do not drift. A sub-bucket that has left the
  window is not settled: it no longer counts.
]]
local COST_SLOTS = 60
local PACE_AHEAD = 2

-- `max:duration,...` (ARGV) into { { max, key, slot, rate, ahead, pace field } ... }.
local function costWindows(base, packed)
  local list = {}
  for max, duration in string.gmatch(packed, '(%d+):(%d+)') do
    local d, m = tonumber(duration), tonumber(max)
    local slot = math.ceil(d / COST_SLOTS)
    list[#list + 1] = {
      max = m, duration = d, key = base .. 'cost:' .. duration,
      slot = slot, rate = m / (d + (1 + PACE_AHEAD) * slot), ahead = PACE_AHEAD * slot,
      paceField = 'p' .. max,
    }
  end
  return list
end

-- Read a window's sub-buckets that still count (dropping the rest): `w.used` is their
-- sum; and its pacing time, `w.pace` (nil when nothing paced it yet).
local function loadCostWindow(w, now)
  local cur = math.floor(now / w.slot)
  local first = cur - COST_SLOTS
  local raw = redis.call('HGETALL', w.key)
  local buckets, stale, used, pace = {}, {}, 0, nil
  for i = 1, #raw, 2 do
    local field = raw[i]
    if field == w.paceField then
      pace = tonumber(raw[i + 1])
    elseif string.byte(field, 1) ~= 112 then -- 'p': another max's pacing, not ours to drop
      local b, v = tonumber(field), tonumber(raw[i + 1]) or 0
      if not b or b < first then
        stale[#stale + 1] = field
      else
        buckets[b] = v
        used = used + v
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', w.key, unpack(stale)) end
  w.cur, w.first, w.buckets, w.used, w.charged, w.pace = cur, first, buckets, used, 0, pace
end

-- When a job of `need` units may be claimed, or nil if now: when it fits in the window
-- (besides the units charged in this call), enough of its oldest sub-buckets having
-- left it, and the pacing lets it go. The pool's windows and a group's
-- (group-limits.lua) follow the same rules.
local function costRoomAt(w, need, now)
  local at = nil
  if w.pace and w.pace > now + w.ahead then at = math.ceil(w.pace - w.ahead) end
  local over = w.used + w.charged + need - w.max
  if over > 0 then
    local b = w.first
    while over > 0 and b <= w.cur do
      over = over - (w.buckets[b] or 0)
      b = b + 1
    end
    -- Sub-bucket x stops counting once the current one is x + COST_SLOTS + 1.
    at = math.max(at or 0, (b - 1 + COST_SLOTS + 1) * w.slot)
  end
  return at
end

-- Charge a claimed job's units in this call (written by chargeCostWindows).
local function chargeCost(w, cost, now)
  w.charged = w.charged + cost
  w.pace = math.max(w.pace or now, now) + cost / w.rate
end

-- Write the units charged in this call to the current sub-bucket of each window, and
-- the pacing they moved.
local function chargeCostWindows(windows)
  for _, w in ipairs(windows) do
    if w.charged > 0 then
      redis.call('HINCRBY', w.key, w.cur, w.charged)
      redis.call('HSET', w.key, w.paceField, string.format('%.3f', w.pace))
      -- Until nothing charged counts: the window, and the pacing (at most `ahead`
      -- ahead before a charge of at most max, which moves it on by duration + 3 slots).
      redis.call('PEXPIRE', w.key, w.duration + 3 * w.slot + w.ahead)
    end
  end
end

-- Settle a job's charge: its real cost replaces the estimate (its `cu`, 1 when absent)
-- in the sub-bucket of each window it was charged to at `ct`, and in the window's
-- pacing. Nothing when it was not charged.
local function settleCost(windows, jobKey, real, now)
  local f = redis.call('HMGET', jobKey, 'cu', 'ct')
  local at = tonumber(f[2])
  if not at then return end
  local delta = real - (tonumber(f[1]) or 1)
  if delta == 0 then return end
  for _, w in ipairs(windows) do
    local b = math.floor(at / w.slot)
    if b >= math.floor(now / w.slot) - COST_SLOTS then
      local got = redis.call('HMGET', w.key, b, w.paceField)
      local v, pace = tonumber(got[1]), tonumber(got[2])
      -- Gone (expired, or never charged by a window of this duration): nothing to settle.
      if v then
        redis.call('HSET', w.key, b, math.max(v + delta, 0))
        -- A refund lets the next claims go sooner, an extra holds them back; a pacing
        -- time in the past stands for now (the budget that idle time gave back is full).
        if pace then
          redis.call('HSET', w.key, w.paceField,
            string.format('%.3f', math.max(pace, now) + delta / w.rate))
        end
      end
    end
  end
end
