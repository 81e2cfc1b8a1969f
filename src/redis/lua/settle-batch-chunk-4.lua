--[[
  Settle one chunk of a batch whose add call got no reply (it failed, or was
  never sent because an earlier chunk failed), so the batch stays consistent:
  if the call ran, its jobs are in and nothing changes; else the call is
  marked as settled, so a late resend of it (ioredis resends after a
  reconnection) adds nothing, and each of the chunk's items is recorded as
  failed in the batch, so the batch still finishes. Only a batch that this
  addBatch created is touched: its first call ran.

  KEYS[1] the batch hash
  KEYS[2] this chunk's add call record (`<base>call:<token>`, see add-6+.lua)
  KEYS[3] the first chunk's add call record (the call that created the batch)
  KEYS[4] events (STREAM, see includes/events.lua)
  ARGV[1] about how many entries the events stream keeps
  ARGV[2] the batch id
  ARGV[3] error JSON stored for each item that was not added
  ARGV[4..] the chunk's indexes in the batch
  Returns: 1 the call had run (its jobs were added), 0 it had not
]]
--- @include "includes/now.lua"
--- @include "includes/batch-item.lua"
--- @include "includes/events.lua"

-- '[]' is a settled call's record: a reply of no jobs (add-6+.lua's replay returns it as is).
local SETTLED = '[]'
local ran = redis.call('GET', KEYS[2])
if ran and ran ~= SETTLED then return 1 end
if not ran then redis.call('SET', KEYS[2], SETTLED, 'EX', 300) end
local first = redis.call('GET', KEYS[3])
if not first or first == SETTLED then return 0 end
local now = nowMs()
for i = 4, #ARGV do
  if finishBatchItem(KEYS[1], ARGV[i], 'e', ARGV[3], 'failed', now) then batchEvent(ARGV[2]) end
end
emitEvents(KEYS[4], ARGV[1])
return 0
