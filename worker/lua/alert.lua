-- alert.lua: claim one (subscription, story) pair and append its alert, or do nothing if it was claimed.
--
-- KEYS[1] claim (ww:{ww}:alerted:<subscription>:<story>)  KEYS[2] alerts stream  KEYS[3] alert stats
-- ARGV[1] alert id  ARGV[2] AlertEvent JSON  ARGV[3] claim ttl s  ARGV[4] stream maxlen
-- Returns the stream entry id, or false when the pair had already alerted.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', tonumber(ARGV[3])) then
  return false
end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', tonumber(ARGV[4]), '*', 'id', ARGV[1], 'event', ARGV[2])
redis.call('HINCRBY', KEYS[3], 'alerted', 1)
return entry
