-- alerts.lua: claim (subscription, story) pairs and append their alerts, skipping pairs already claimed.
--
-- KEYS[1] alerts stream  KEYS[2] alert stats  KEYS[3..] claims (ww:{ww}:alerted:<subscription>:<story>)
-- ARGV[1] claim ttl s  ARGV[2] stream maxlen  ARGV[3] the alert ids, ARGV[4] the AlertEvent JSON, one per claim
-- in the claims' order, each list joined by newlines (an id has none, and JSON never holds a raw newline).
-- Two joined arguments instead of two per alert keep the client's command packing (redis-py packs every
-- argument in Python, copying its buffer as it grows) out of the per-alert cost.
-- Returns one string: per claim, in order and separated by single spaces, the stream entry id, or nothing when
-- the pair had already alerted. One reply element instead of one per alert keeps the client's reply parsing
-- out of the per-alert cost too.
local function lines(s)
  local out, pos = {}, 1
  while true do
    local stop = string.find(s, '\n', pos, true)
    if not stop then
      out[#out + 1] = string.sub(s, pos)
      return out
    end
    out[#out + 1] = string.sub(s, pos, stop - 1)
    pos = stop + 1
  end
end

local ttl, maxlen = tonumber(ARGV[1]), tonumber(ARGV[2])
local ids, bodies = lines(ARGV[3]), lines(ARGV[4])
if #ids ~= #KEYS - 2 or #bodies ~= #ids then
  return redis.error_reply('alerts.lua: ' .. (#KEYS - 2) .. ' claims, ' .. #ids .. ' ids, ' .. #bodies .. ' bodies')
end
local out, written = {}, 0
for i = 1, #ids do
  if redis.call('SET', KEYS[i + 2], ids[i], 'NX', 'EX', ttl) then
    out[i] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'id', ids[i], 'event', bodies[i])
    written = written + 1
  else
    out[i] = ''
  end
end
if written > 0 then
  redis.call('HINCRBY', KEYS[2], 'alerted', written)
end
return table.concat(out, ' ')
