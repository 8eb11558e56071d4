-- alerts.lua: claim (subscription, story) pairs and append their alerts, skipping pairs already claimed.
--
-- KEYS[1] alerts stream  KEYS[2] alert stats  KEYS[3] webhook outbox  KEYS[4..] the claims of the chunk's
-- stories (ww:{ww}:claims:<story>: a string, each subscription id that alerted on the story followed by a newline).
-- ARGV[1] claim ttl s  ARGV[2] stream maxlen, then five lists joined by newlines, one line per alert in the
-- same order: ARGV[3] which story (1 for KEYS[4], 2 for KEYS[5], …), ARGV[4] the subscription id, ARGV[5] the
-- alert id, ARGV[6] the AlertEvent JSON, ARGV[7] its story id when its subscription has a webhook, else empty;
-- ARGV[8] now (unix s). An alert written for a webhook is written to the outbox too, in this same step: the
-- worker clears it once the webhook message is on the broker, so a worker dying in between loses no webhook.
-- A story's claims grow by one APPEND per call and live ttl seconds after its latest alert.
-- Joined lists keep the client's command packing (redis-py packs every argument in Python) out of the
-- per-alert cost; what is joined never holds a raw newline (ids, and JSON, which escapes it).
-- Returns one string: per alert, in order and separated by single spaces, the stream entry id, or nothing when
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
local story, sids, ids, bodies = lines(ARGV[3]), lines(ARGV[4]), lines(ARGV[5]), lines(ARGV[6])
local hooks, now = lines(ARGV[7]), ARGV[8]
if #sids ~= #story or #ids ~= #story or #bodies ~= #story or #hooks ~= #story then
  return redis.error_reply('alerts.lua: ' .. #story .. ' stories, ' .. #sids .. ' subscriptions, ' .. #ids
    .. ' ids, ' .. #bodies .. ' bodies')
end
for i = 1, #story do -- all checked before the first write: a script's writes are not rolled back
  local k = tonumber(story[i])
  if not k or k < 1 or not KEYS[k + 3] then
    return redis.error_reply('alerts.lua: no claims key for story ' .. story[i])
  end
  story[i] = k + 3
end
local claimed, added = {}, {} -- per claims key: the set of subscription ids, the ids claimed now
for k = 4, #KEYS do
  local set, known = {}, redis.call('GET', KEYS[k])
  if known then
    for sid in string.gmatch(known, '[^\n]+') do
      set[sid] = true
    end
  end
  claimed[k], added[k] = set, {}
end
local out, written = {}, 0
for i = 1, #ids do
  local k, sid = story[i], sids[i]
  if claimed[k][sid] then
    out[i] = ''
  else
    claimed[k][sid] = true
    local new = added[k]
    new[#new + 1] = sid
    out[i] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'id', ids[i], 'event', bodies[i])
    written = written + 1
    if hooks[i] ~= '' then
      redis.call('HSET', KEYS[3], sid .. ' ' .. hooks[i], now .. ' ' .. bodies[i])
    end
  end
end
for k = 4, #KEYS do
  if #added[k] > 0 then
    redis.call('APPEND', KEYS[k], table.concat(added[k], '\n') .. '\n')
    redis.call('EXPIRE', KEYS[k], ttl)
  end
end
if written > 0 then
  redis.call('HINCRBY', KEYS[2], 'alerted', written)
end
return table.concat(out, ' ')
