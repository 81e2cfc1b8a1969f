--[[
  The tail of the queue's events stream: where a starting reader begins, and
  where a wait whose job is gone looks for the job's outcome (a job removed as
  it finished is known only by its record).

  KEYS[1] events stream
  ARGV[1] a job id to look for, or '' for none
  ARGV[2] how many of the last entries to look through (when looking)
  Returns: { tip, record }
    tip: the id of the stream's last entry, '0-0' when it is empty
    record: the newest record of that job among those entries (JSON), or nil
]]
local id = ARGV[1]
local entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', id == '' and 1 or tonumber(ARGV[2]))
local tip = entries[1] and entries[1][1] or '0-0'
if id == '' then return { tip } end
-- The id as a record spells it (cjson escapes the same way here as when it wrote
-- it): a plain search skips the entries that cannot hold it without decoding them.
local needle = cjson.encode(id)
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields - 1, 2 do
    if fields[i] == 'e' and string.find(fields[i + 1], needle, 1, true) then
      local records = cjson.decode(fields[i + 1])
      for j = #records, 1, -1 do
        local record = records[j]
        if record[1] == id and record[2] ~= 'b' then return { tip, cjson.encode(record) } end
      end
    end
  end
end
return { tip }
