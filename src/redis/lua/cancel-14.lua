--[[
  Cancel one job, from any process. A waiting or delayed job ends `failed`
  with the cancel error at once. A running job ends `failed` too, and its lease
  is taken from the pool that holds it, so whatever the handler returns after
  is refused; that pool is told on the cancel channel to abort the handler's
  signal (and learns it from its next lease renewal if it missed the message).

  KEYS[1] wait   KEYS[2] active   KEYS[3] leases   KEYS[4] delayed
  KEYS[5] completed   KEYS[6] failed   KEYS[7] the job's hash
  KEYS[8] events (STREAM, see includes/events.lua)
  KEYS[9] data   KEYS[10] meta   KEYS[11] metrics (see includes/metrics.lua)
  KEYS[12] the groups' ring   KEYS[13] parked groups   KEYS[14] set-aside groups
          (declared: the includes build the same names from ARGV[1]; the job's batch,
          group and cache entry are found in its hash, and built from ARGV[1] too)
  ARGV[1] key prefix of job and batch hashes   ARGV[2] job id
  ARGV[3] the error JSON to store   ARGV[4] about how many entries the events stream keeps
  ARGV[5] cancel channel (pub/sub)   ARGV[6] the reason, for the holding pool ('' for none)
  Returns: the state the job was in ('waiting', 'delayed', 'active'), or
  'missing', 'completed' or 'failed' when there was nothing to cancel
]]
--- @include "includes/events.lua"
--- @include "includes/now.lua"
--- @include "includes/groups.lua"
--- @include "includes/cancel-job.lua"

local id = ARGV[2]
if redis.call('EXISTS', KEYS[7]) == 0 then return 'missing' end
if redis.call('ZSCORE', KEYS[5], id) then return 'completed' end
if redis.call('ZSCORE', KEYS[6], id) then return 'failed' end
local job = redis.call('HMGET', KEYS[7], 'a', 'g')
local attempts = tonumber(job[1]) or 0
-- A grouped job waits in its group's list, and holds one of its group's slots while active.
local group = job[2] or nil

local token = redis.call('HGET', KEYS[3], id)
if token then
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  -- The running attempt counts as one made.
  cancelJob(ARGV[1], KEYS[6], KEYS[11], id, KEYS[7], ARGV[3], attempts + 1, 'c:' .. token, group)
  -- Its slot is free again (an idle pool finds the group's next job on its next poll).
  if group then groupJobDone(ARGV[1], group, nowMs()) end
  emitEvents(KEYS[8], ARGV[4])
  redis.call('PUBLISH', ARGV[5], id .. '\n' .. token .. '\n' .. ARGV[6])
  return 'active'
end

local state = 'waiting'
if redis.call('ZREM', KEYS[4], id) == 1 then
  state = 'delayed'
  if group then groupCount(ARGV[1], group, 'd', -1, nowMs()) end
elseif group then
  if redis.call('LREM', groupWait(ARGV[1], group), 1, id) > 0 then
    redis.call('HINCRBY', KEYS[10], 'gw', -1)
  end
else
  redis.call('LREM', KEYS[1], 1, id)
end
cancelJob(ARGV[1], KEYS[6], KEYS[11], id, KEYS[7], ARGV[3], attempts, 'c:', group)
emitEvents(KEYS[8], ARGV[4])
return state
