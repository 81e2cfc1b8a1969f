--[[
  Extend the leases this pool still holds; report the ones it lost.

  KEYS[1] active   KEYS[2] leases
  ARGV[1] lease duration (ms)
  ARGV[2 + 2i], ARGV[3 + 2i]: id and lease token of job i
  Returns: the tokens that no longer hold their job's lease (taken over,
  reclaimed or removed): those attempts can no longer be reported.
]]
--- @include "includes/now.lua"

local now = nowMs()
local deadline = now + tonumber(ARGV[1])
local ids = {}
for i = 2, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {} end
local holders = redis.call('HMGET', KEYS[2], unpack(ids))
local scores, lost = {}, {}
for i, id in ipairs(ids) do
  if holders[i] == ARGV[1 + i * 2] then
    scores[#scores + 1] = deadline
    scores[#scores + 1] = id
  else
    lost[#lost + 1] = ARGV[1 + i * 2]
  end
end
-- XX: only move deadlines of members still there, never re-add one.
if #scores > 0 then redis.call('ZADD', KEYS[1], 'XX', unpack(scores)) end
return lost
