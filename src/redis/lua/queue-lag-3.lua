--[[
  The queue lag, read on demand (by `getMetrics()`, `worker-pool status` and
  `/metrics`; never by a pool): how many jobs wait, and since when the longest
  waiting of the jobs next in line has been ready to run.

  A job became ready when it was added (its hash's `t`), or, when it was not
  ready then, at the time in its `w`: the due time of a delayed job or a retry,
  or when it was handed back or reclaimed (see protocol/job-fields.ts). The
  writers set `w` inside commands they send anyway, so the hot path pays
  nothing for this read.

  KEYS[1] wait   KEYS[2] meta   KEYS[3] groups (the ring, see includes/groups.lua)
  ARGV[1] key prefix of job and group keys
  Returns: { waiting, oldest ready at (ms, Redis clock) or -1, now }
]]
--- @include "includes/now.lua"

local base = ARGV[1]
-- Jobs looked at from the head of the line (and groups from the ring): a job handed back
-- goes to the very front, so the oldest is near it, not always at it.
local LOOK = 20
local oldest = -1

local function consider(ids)
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', base .. 'job:' .. id, 't', 'w')
    local at = tonumber(f[2]) or tonumber(f[1])
    if at and (oldest < 0 or at < oldest) then oldest = at end
  end
end

-- The head of the line is the list's tail (pools RPOP).
consider(redis.call('LRANGE', KEYS[1], -LOOK, -1))
local m = redis.call('HMGET', KEYS[2], 'g', 'gw')
local grouped = tonumber(m[2]) or 0
if m[1] and grouped > 0 then
  for _, g in ipairs(redis.call('LRANGE', KEYS[3], 0, LOOK - 1)) do
    if g ~= '' then consider(redis.call('LRANGE', base .. 'gw:' .. g, -1, -1)) end
  end
end
return { redis.call('LLEN', KEYS[1]) + grouped, oldest, nowMs() }
