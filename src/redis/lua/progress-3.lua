--[[
  Store the latest progress of a running job, if the caller still holds its
  lease, and tell its followers to re-read it. Only jobs whose handler calls
  `ctx.progress()` ever run this script.

  KEYS[1] leases   KEYS[2] the job's hash
  KEYS[3] its batch's hash (the job's hash again when it is in no batch)
  ARGV[1] job id   ARGV[2] lease token   ARGV[3] progress JSON
  ARGV[4] position in its batch, or '' when it is in no batch
  ARGV[5] the job's progress channel   ARGV[6] its batch's progress channel, or ''
  Returns: 1 when stored, 0 when refused (the lease is gone: the attempt was
  taken over, reclaimed, cancelled or finished)
]]
--- @include "includes/progress-hint.lua"

if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'pg', ARGV[3])
if ARGV[4] ~= '' then
  -- Kept in the batch too, so a follower of the batch that connects late
  -- reads every item's latest progress in the one HGETALL it makes anyway.
  redis.call('HSET', KEYS[3], 'pg:' .. ARGV[4], ARGV[1] .. '\n' .. ARGV[3])
end
publishProgressHint(ARGV[5], ARGV[6], ARGV[1], ARGV[4])
return 1
