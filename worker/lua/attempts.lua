-- attempts.lua: count one more delivery attempt for each delivery still in the ledger.
--
-- KEYS[1] ledger payload  KEYS[2] ledger attempts  KEYS[3] ledger versions  KEYS[4] ledger pending
-- ARGV: the delivery ids of one message.
-- Returns, per id in order, its new attempt count, or 0 for a delivery no longer in the ledger (settled by an
-- earlier delivery of its message); then, per id in order, the version of the payload those attempts counted
-- ('' when none): read in the same step, so that a dead letter for too many attempts is settled with it, and a
-- new submission landing meanwhile (which restarts the count) is not dead-lettered in the old one's place.
-- Counting a settled delivery would leave a counter that no settle ever clears: a feed item offered again later
-- under its deterministic id would start with old attempts, and be dead-lettered untried.
-- Each counted attempt also re-stamps the delivery's pending time: the reconciler re-sends what no message has
-- started for `reconcile_after`, not an article a worker is on right now (accepted long ago behind a backlog),
-- whose second message would count attempts it never failed and could dead-letter it untried.
local now = redis.call('TIME')
local stamp = tonumber(now[1]) + tonumber(now[2]) / 1000000
local counts, versions = {}, {}
for i, delivery in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], delivery) == 1 then
    counts[i] = redis.call('HINCRBY', KEYS[2], delivery, 1)
    redis.call('ZADD', KEYS[4], 'XX', stamp, delivery)
    versions[i] = redis.call('HGET', KEYS[3], delivery) or ''
  else
    counts[i] = 0
    versions[i] = ''
  end
end
for i = 1, #versions do counts[#ARGV + i] = versions[i] end
return counts
