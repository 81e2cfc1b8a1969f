--[[
  Read one job and its state. State is where the job is: leased (`active`),
  in `delayed`, `completed` or `failed`, else `waiting`.

  KEYS[1] active   KEYS[2] delayed   KEYS[3] completed   KEYS[4] failed   KEYS[5] leases
  ARGV[1] key prefix of job and batch hashes
  ARGV[2] job id
  Returns: false when there is no such job, else
    { state, n, d, o, a, t, ma, b, bi, r, e, p, f, due-or-deadline }
    with a batch job's result and error read from its batch, and for an
    active job `p` = when the running attempt was claimed (from its lease token).
]]
local jobKey = ARGV[1] .. 'job:' .. ARGV[2]
local f = redis.call('HMGET', jobKey, 'n', 'd', 'o', 'a', 't', 'ma', 'b', 'bi', 'r', 'e', 'p', 'f')
if not f[1] then return false end
-- The payload lives in the queue's data hash (see move-9.lua).
f[2] = redis.call('HGET', ARGV[1] .. 'data', ARGV[2])
local state, score = 'waiting', false
local names = { 'active', 'delayed', 'completed', 'failed' }
for i = 1, 4 do
  local s = redis.call('ZSCORE', KEYS[i], ARGV[2])
  if s then
    state, score = names[i], s
    break
  end
end
if state == 'active' then
  -- A lease token ends with its claim time (see move-9.lua): the running attempt's start.
  local token = redis.call('HGET', KEYS[5], ARGV[2])
  f[11] = token and string.match(token, '%.(%d+)$') or f[11]
end
if f[7] then
  local batch = redis.call('HMGET', ARGV[1] .. 'batch:' .. f[7], 'r:' .. f[8], 'e:' .. f[8])
  f[9] = batch[1] or f[9]
  f[10] = batch[2] or f[10]
end
return { state, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], score }
