-- attempts.lua: count one more delivery attempt for each delivery still in the ledger.
--
-- KEYS[1] ledger payload  KEYS[2] ledger attempts   ARGV: the delivery ids of one message.
-- Returns, per id in order, its new attempt count, or 0 for a delivery no longer in the ledger (settled by an
-- earlier delivery of its message). Counting those would leave a counter that no settle ever clears: a feed item
-- offered again later under its deterministic id would start with old attempts, and be dead-lettered untried.
local out = {}
for i, delivery in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], delivery) == 1 then
    out[i] = redis.call('HINCRBY', KEYS[2], delivery, 1)
  else
    out[i] = 0
  end
end
return out
