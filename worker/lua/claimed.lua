-- claimed.lua: which (subscription, story) pairs have alerted already.
--
-- KEYS: the claims (ww:{ww}:alerted:<subscription>:<story>).
-- Returns one string with one character per key, '1' when the claim exists and '0' when not. MGET would say
-- the same, but as one reply element per key; this is one element whatever the count, and a copy of a story
-- that already alerted (every claim taken) is the common case.
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('EXISTS', KEYS[i]) == 1 and '1' or '0'
end
return table.concat(out)
