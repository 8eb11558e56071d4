-- alerts.lua: claim (subscription, story) pairs and append their alerts, skipping pairs already claimed.
--
-- KEYS[1] alerts stream  KEYS[2] alert stats  KEYS[3..] claims (ww:{ww}:alerted:<subscription>:<story>)
-- ARGV[1] claim ttl s  ARGV[2] stream maxlen  then per claim KEYS[2 + i]: ARGV[1 + 2i] alert id,
-- ARGV[2 + 2i] AlertEvent JSON.
-- Returns one string: per claim, in order and separated by single spaces, the stream entry id, or nothing when
-- the pair had already alerted. One reply element instead of one per alert keeps the client's reply parsing
-- out of the per-alert cost.
local ttl, maxlen = tonumber(ARGV[1]), tonumber(ARGV[2])
local out, written = {}, 0
for i = 3, #KEYS do
  local arg = 2 * (i - 2) + 1
  if redis.call('SET', KEYS[i], ARGV[arg], 'NX', 'EX', ttl) then
    out[i - 2] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'id', ARGV[arg], 'event', ARGV[arg + 1])
    written = written + 1
  else
    out[i - 2] = ''
  end
end
if written > 0 then
  redis.call('HINCRBY', KEYS[2], 'alerted', written)
end
return table.concat(out, ' ')
