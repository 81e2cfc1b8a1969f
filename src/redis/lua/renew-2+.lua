--[[
  Extend the leases this pool still holds; report the ones it lost.

  KEYS[1] active   KEYS[2] leases
  KEYS[3 + i] the hash of job i (declared: the script builds the same names from ARGV[2])
  ARGV[1] lease duration (ms)
  ARGV[2] key prefix of job hashes (`rwp:{queue}:`)
  ARGV[3 + 2i], ARGV[4 + 2i]: id and lease token of job i
  Returns: the tokens that no longer hold their job's lease (taken over,
  reclaimed, removed or cancelled): those attempts can no longer be reported.
  A token whose job was cancelled (see cancel-14.lua) comes back as `c:<token>`.
]]
--- @include "includes/now.lua"

local now = nowMs()
local deadline = now + tonumber(ARGV[1])
local ids = {}
for i = 3, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {} end
local holders = redis.call('HMGET', KEYS[2], unpack(ids))
local scores, lost = {}, {}
for i, id in ipairs(ids) do
  local token = ARGV[2 + i * 2]
  if holders[i] == token then
    scores[#scores + 1] = deadline
    scores[#scores + 1] = id
  elseif redis.call('HGET', ARGV[2] .. 'job:' .. id, 'fk') == 'c:' .. token then
    lost[#lost + 1] = 'c:' .. token
  else
    lost[#lost + 1] = token
  end
end
-- XX: only move deadlines of members still there, never re-add one.
if #scores > 0 then redis.call('ZADD', KEYS[1], 'XX', unpack(scores)) end
return lost
