--[[
  Read one job and its state. State is where the job is: leased (`active`),
  in `delayed`, `completed` or `failed` (the set its retention keeps it in,
  see includes/retention.lua), else `waiting`.

  KEYS[1] active   KEYS[2] delayed   KEYS[3] completed   KEYS[4] failed   KEYS[5] leases
  KEYS[6] the job's hash   KEYS[7] data (its batch, named in its hash, is built from ARGV[1])
  ARGV[1] key prefix of job and batch hashes
  ARGV[2] job id
  Returns: false when there is no such job, else
    { state, due-or-deadline, payload, fields }
    fields: the job hash's INFO_FIELDS (false where absent), with a batch job's
    result and error read from its batch, and for an active job `p` = when the
    running attempt was claimed (from its lease token).
    src/redis/protocol/get-job.ts decodes it.
]]
--- @include "includes/retention.lua"

local INFO_FIELDS = { 'n', 'a', 't', 'ma', 'b', 'bi', 'r', 'e', 'p', 'f', 'kc', 'kf', 'pg', 'g', 'o' }
local jobKey = KEYS[6]
local f = redis.call('HMGET', jobKey, unpack(INFO_FIELDS))
if not f[1] then return false end
-- The payload lives in the queue's data hash (see move-18+.lua), not in the job's.
local data = redis.call('HGET', KEYS[7], ARGV[2])
local state, score = 'waiting', false
local names = { 'active', 'delayed', 'completed', 'failed' }
local sets = { KEYS[1], KEYS[2], keptIn(KEYS[3], 'completed', f[11]), keptIn(KEYS[4], 'failed', f[12]) }
for i = 1, 4 do
  local s = redis.call('ZSCORE', sets[i], ARGV[2])
  if s then
    state, score = names[i], s
    break
  end
end
if state == 'active' then
  -- A lease token ends with its claim time (see move-18+.lua): the running attempt's start.
  local token = redis.call('HGET', KEYS[5], ARGV[2])
  f[9] = token and string.match(token, '%.(%d+)$') or f[9]
end
if f[5] then
  local batch = redis.call('HMGET', ARGV[1] .. 'batch:' .. f[5], 'r:' .. f[6], 'e:' .. f[6])
  f[7] = batch[1] or f[7]
  f[8] = batch[2] or f[8]
end
return { state, score, data, f }
