-- A claimed job goes back to the pool as CLAIMED_STRIDE values: its id, its
-- lease token, its name, its payload (from the queue's `data` hash), then the
-- rest of CLAIMED_FIELDS. src/redis/protocol/claimed-job.ts decodes them.
-- A job's group is not among them (a job with no group would pay a value for
-- it): the caller knows it, and sends the groups of the grouped jobs apart.
local CLAIMED_FIELDS = { 'n', 'o', 'a', 't', 'ma', 'kc', 'kf', 'b', 'bi', 'tp' }
local CLAIMED_STRIDE = #CLAIMED_FIELDS + 3

-- The payloads (one HMGET on the data hash) and the CLAIMED_FIELDS of each job in `ids`;
-- nil when one of those hashes cannot be read here (they are not in KEYS: during a Cluster
-- resharding of the queue's slot, one may already be on the other node), before any write.
local function readJobs(base, ids)
  local data = redis.pcall('HMGET', base .. 'data', unpack(ids))
  if data.err then return nil end
  local fields = {}
  for i, id in ipairs(ids) do
    local f = redis.pcall('HMGET', base .. 'job:' .. id, unpack(CLAIMED_FIELDS))
    if f.err then return nil end
    fields[i] = f
  end
  return data, fields
end

local function appendClaimed(out, id, token, f, payload)
  out[#out + 1] = id
  out[#out + 1] = token
  out[#out + 1] = f[1]
  out[#out + 1] = payload
  for j = 2, #CLAIMED_FIELDS do out[#out + 1] = f[j] end
end

-- Append the jobs of `pairs_` (id, token, id, token...) to `out`, and when
-- `grouped` (the queue may hold jobs with a group) the groups of those that
-- have one to `groupsOut`: { position in `out` (1-based), group, ... }.
local function describe(out, base, pairs_, grouped, groupsOut)
  if #pairs_ == 0 then return end
  local ids = {}
  for i = 1, #pairs_, 2 do ids[#ids + 1] = pairs_[i] end
  local data, fields = readJobs(base, ids)
  -- Nothing was written yet: fail the call, and the pool sends it again.
  if not data then return redis.error_reply('TRYAGAIN a job hash is being migrated') end
  for i, id in ipairs(ids) do
    appendClaimed(out, id, pairs_[i * 2], fields[i], data[i])
    local g = grouped and redis.call('HGET', base .. 'job:' .. id, 'g')
    if g then
      groupsOut[#groupsOut + 1] = i
      groupsOut[#groupsOut + 1] = g
    end
  end
end
