-- Finished and removed jobs are announced on the queue's events stream (a
-- STREAM key that waiters read with XREAD): one entry per script call, its
-- field `e` holding the call's records, as src/redis/protocol/events.ts
-- decodes them. A stream rather than pub/sub: an entry stays for a reader that
-- was busy or reconnecting, and only a client with write rights on the queue's
-- keys can add one. Trimmed to about `maxlen` entries (approximately: whole
-- nodes at a time, which is cheap), so its memory stays bounded at any speed.
local EVENT_CODES = { completed = 'c', failed = 'f', removed = 'x' }
local eventRecords = {}

-- A job `state`: 'completed', 'failed' or 'removed' (by removeJob, before it
-- finished). `payload` only for a job removed as it finished: its result or
-- error JSON, which nothing else holds any more.
local function jobEvent(id, state, batchId, index, payload)
  local record = { id, EVENT_CODES[state] }
  if (batchId and batchId ~= '') or payload then
    record[3] = batchId or ''
    record[4] = index and tostring(index) or ''
    if payload then record[5] = payload end
  end
  eventRecords[#eventRecords + 1] = record
end

-- The last job of a batch finished.
local function batchEvent(batchId)
  eventRecords[#eventRecords + 1] = { batchId, 'b' }
end

-- The call's one XADD, if it has anything to say.
local function emitEvents(key, maxlen)
  if #eventRecords == 0 then return end
  redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', 'e', cjson.encode(eventRecords))
end
