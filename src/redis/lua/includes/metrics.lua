--[[
  Per-minute counters for `getMetrics()`: one HASH per queue, `<base>metrics`
  (a fixed name, so every script that counts declares it in KEYS), field
  `<counter>:<minute>` (counter: completed, failed, cache-hits, cache-misses;
  minute: ms since the epoch / 60000), kept an hour. The first count of a
  counter's minute drops that counter's fields more than an hour old, so the
  hash holds at most about 61 fields per counter, and the whole hash expires
  an hour after its last new minute.
]]
local METRICS_MINUTES = 60

local function countMinute(key, counter, n, now)
  local minute = math.floor(now / 60000)
  if redis.call('HINCRBY', key, counter .. ':' .. minute, n) ~= n then return end
  local old = {}
  local prefix = counter .. ':'
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, #prefix) == prefix then
      local m = tonumber(string.sub(field, #prefix + 1))
      if m and m < minute - METRICS_MINUTES then old[#old + 1] = field end
    end
  end
  if #old > 0 then redis.call('HDEL', key, unpack(old)) end
  redis.call('EXPIRE', key, (METRICS_MINUTES + 1) * 60)
end
