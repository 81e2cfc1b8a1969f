-- Tell the followers of a job, and of its batch, that its progress changed.
-- Only a hint to re-read the stored value (pub/sub can lose messages): on the
-- job's own channel an empty message, on its batch's `<id>\n<index>`, so a
-- batch follower knows which item to re-read. See src/redis/protocol/progress.ts.
local function publishProgressHint(jobChannel, batchChannel, id, index)
  redis.call('PUBLISH', jobChannel, '')
  if batchChannel ~= '' then redis.call('PUBLISH', batchChannel, id .. '\n' .. index) end
end
