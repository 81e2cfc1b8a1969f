--[[
  Pause or resume one group (see includes/groups.lua). A paused group keeps
  its jobs and its place in no ring: a claim that meets it sets it aside
  ('p'); resuming gives it its turns back and wakes an idle pool.

  KEYS[1] meta   KEYS[2] marker
  KEYS[3] the group's hash   KEYS[4] its waiting jobs   KEYS[5] the ring
  KEYS[6] the set-aside groups   KEYS[7] the parked groups
          (every key the script may touch is known before it runs, so all are
          declared; includes/groups.lua builds the same names from ARGV[1])
  ARGV[1] key prefix of job and group keys
  ARGV[2] 'pause' or 'resume'
  ARGV[3] the group
  Returns: 1
]]
--- @include "includes/now.lua"
--- @include "includes/groups.lua"

local base, g = ARGV[1], ARGV[3]
local key = KEYS[3]
-- Meta `gp` counts the paused groups: while none is, turns read no group's state.
if ARGV[2] == 'pause' then
  if redis.call('HSET', key, 'p', '1') == 1 then redis.call('HINCRBY', KEYS[1], 'gp', 1) end
  return 1
end
if redis.call('HDEL', key, 'p') == 1 then redis.call('HINCRBY', KEYS[1], 'gp', -1) end
if redis.call('HGET', key, 's') == 'p' then
  redis.call('HDEL', key, 's')
  redis.call('SREM', KEYS[6], g)
  if redis.call('EXISTS', KEYS[4]) == 1 then
    scheduleGroup(base, g)
    redis.call('ZADD', KEYS[2], 0, 'm')
    return 1
  end
end
tidyGroup(base, g, nowMs())
return 1
