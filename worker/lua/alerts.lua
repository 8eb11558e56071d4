-- alerts.lua: claim (subscription, story) pairs and append their alerts, skipping pairs already claimed.
--
-- KEYS[1] alerts stream  KEYS[2] alert stats  KEYS[3] webhook outbox  KEYS[4..] the claims of the chunk's
-- stories (ww:{ww}:claims:<story>: a string, each subscription id that alerted on the story followed by a newline),
-- then the exact-duplicate claims of the articles the chunk's alerts name (ww:{ww}:dedup:url|text:<hash>).
-- ARGV[1] claim ttl s  ARGV[2] stream maxlen, then five lists joined by newlines, one line per alert in the
-- same order: ARGV[3] which story (1 for KEYS[4], 2 for KEYS[5], …), ARGV[4] the subscription id, ARGV[5] the
-- alert id, ARGV[6] the AlertEvent JSON, ARGV[7] its story id when its subscription has a webhook, else empty;
-- ARGV[8] now (unix s); ARGV[9] per alert again, which article it names (1 for the first of ARGV[10], …), or
-- empty for an alert bound to no article's claims; ARGV[10] per article, its owner "<article id> <delivery id>";
-- ARGV[11] per article, the positions in KEYS of its exact claims (canonical URL if any, then normalised text),
-- comma-separated, all after the stories' claims; ARGV[12] their ttl s (the dedup window). With articles
-- (ARGV[10] not empty), two more KEYS follow their exact claims: the record of reserved claims by delivery
-- (ww:{ww}:dedup:reserved) and the ledger's payloads.
-- Optional: ARGV[13] the version of the subscriptions the worker matched with, and then the last two KEYS are the
-- subscriptions hash and their version counter. When the version has moved since (a subscription was added,
-- changed or deleted after the worker's last look), each alert's subscription must still be stored: one deleted
-- meanwhile writes nothing (answered "-"), so no alert is written after its subscription's deletion.
-- An alert is written only for an article that holds its exact claims: free ones it takes (SET to its owner),
-- its own reservation it keeps; one held by another copy (emitted, or reserved by that copy's alerts) means
-- the article will settle as a duplicate, so its alert is skipped like a claimed pair (the pair stays free
-- for the copy that is emitted). So every alert names the copy the settle script then emits: it honours the
-- reservation (wirewatch/lua/settle.lua), and no other copy can take the claims in between.
-- A reservation is recorded under its delivery id ("<claim key> <article id>" per line, in the same step), so
-- that the delivery's settle, whatever its outcome, finds it. The worker runs this script and the emits of the
-- articles it names in one MULTI/EXEC, so the emit normally follows at once; the record is for an emit whose
-- script failed after this one ran: a delivery then dead-lettered after its alerts (unparsed
-- by the attempts check) lets go of the claims it reserved instead of holding them for the dedup window. Only a
-- delivery still in the ledger reserves: one settled already (by another run of its message) will not be emitted
-- by this run, and no settle would come to let go of what it took, so its alerts are skipped.
-- An alert written for a webhook is written to the outbox too, in this same step: the worker clears it once
-- the webhook message is on the broker, so a worker dying in between loses no webhook.
-- A story's claims grow by one APPEND per call and live ttl seconds after its latest alert.
-- Joined lists keep the client's command packing (redis-py packs every argument in Python) out of the
-- per-alert cost; what is joined never holds a raw newline (ids, and JSON, which escapes it).
-- Returns one string: per alert, in order and separated by single spaces, the stream entry id, or nothing when
-- the pair had already alerted or its article is another copy's duplicate, or "-" when its subscription is gone. One reply element instead of one per
-- alert keeps the client's reply parsing out of the per-alert cost too.
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
local hooks, now, named = lines(ARGV[7]), ARGV[8], lines(ARGV[9])
local owners, exact = {}, {} -- per article: its owner, the KEYS positions of its exact claims
local nkeys, live = #KEYS, nil -- live: the subscriptions hash, when the worker's view of it may be stale
if ARGV[13] and ARGV[13] ~= '' then
  nkeys = nkeys - 2
  if nkeys < 3 then return redis.error_reply('alerts.lua: no subscription keys') end
  if redis.call('GET', KEYS[nkeys + 2]) ~= ARGV[13] then live = KEYS[nkeys + 1] end
end
local reserved, ledger -- the record of reservations by delivery, the ledger's payloads: with articles only
if ARGV[10] ~= '' then
  reserved, ledger = KEYS[nkeys - 1], KEYS[nkeys]
  nkeys = nkeys - 2
  if nkeys < 3 then return redis.error_reply('alerts.lua: no reservation keys') end
end
local exact_ttl, last_story = tonumber(ARGV[12]), nkeys
if ARGV[10] ~= '' then
  owners = lines(ARGV[10])
  for a, positions in ipairs(lines(ARGV[11])) do
    exact[a] = {}
    for p in string.gmatch(positions, '[^,]+') do
      local k = tonumber(p)
      if not k then
        return redis.error_reply('alerts.lua: exact claims of article ' .. a .. ' outside KEYS')
      end
      exact[a][#exact[a] + 1] = k
      if k <= last_story then last_story = k - 1 end -- the stories' claims end where these begin
    end
  end
end
if #sids ~= #story or #ids ~= #story or #bodies ~= #story or #hooks ~= #story or #named ~= #story
    or #exact ~= #owners then
  return redis.error_reply('alerts.lua: ' .. #story .. ' stories, ' .. #sids .. ' subscriptions, ' .. #ids
    .. ' ids, ' .. #bodies .. ' bodies, ' .. #named .. ' articles named, ' .. #owners .. ' owners')
end
for i = 1, #story do -- all checked before the first write: a script's writes are not rolled back
  local k = tonumber(story[i])
  if not k or k < 1 or k + 3 > last_story then
    return redis.error_reply('alerts.lua: no claims key for story ' .. story[i])
  end
  story[i] = k + 3
  if named[i] ~= '' then
    local a = tonumber(named[i])
    if not a or not owners[a] then
      return redis.error_reply('alerts.lua: no owner for article ' .. named[i])
    end
    named[i] = a
  end
end
for a = 1, #exact do
  for _, k in ipairs(exact[a]) do
    if k <= last_story or k > nkeys then
      return redis.error_reply('alerts.lua: exact claims of article ' .. a .. ' outside KEYS')
    end
  end
end

local holds = {} -- per article: whether it holds its exact claims (decided, and taken, at its first alert)
local function holding(a)
  if holds[a] == nil then
    -- Its own delivery's reservation, whichever payload version of the delivery took it, is its own: the latest
    -- submission of a delivery id wins (worker/dedup.py claim_holder: the same rule). A delivery settled already
    -- (by another run of its message) takes nothing.
    local article, delivery = string.match(owners[a], '^([^ ]+) (.*)$')
    holds[a] = delivery ~= nil and redis.call('HEXISTS', ledger, delivery) == 1
    for _, k in ipairs(holds[a] and exact[a] or {}) do
      local value = redis.call('GET', KEYS[k])
      if value and string.match(value, '^[^ ]+ (.*)$') ~= delivery then
        holds[a] = false
      end
    end
    if holds[a] then
      local known = redis.call('HGET', reserved, delivery) -- a redelivery finds its lines there already
      local record = known and ('\n' .. known .. '\n') or '\n'
      local fresh = {}
      for _, k in ipairs(exact[a]) do
        redis.call('SET', KEYS[k], owners[a], 'EX', exact_ttl)
        local line = KEYS[k] .. ' ' .. article
        if not string.find(record, '\n' .. line .. '\n', 1, true) then fresh[#fresh + 1] = line end
      end
      if #fresh > 0 then
        redis.call('HSET', reserved, delivery, (known and known .. '\n' or '') .. table.concat(fresh, '\n'))
        redis.call('EXPIRE', reserved, exact_ttl)
      end
    end
  end
  return holds[a]
end

local claimed, added = {}, {} -- per claims key: the set of subscription ids, the ids claimed now
for k = 4, last_story do
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
  elseif live and redis.call('HEXISTS', live, sid) == 0 then
    out[i] = '-' -- deleted since the worker last looked: checked before its article takes any claim
  elseif named[i] ~= '' and not holding(named[i]) then
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
for k = 4, last_story do
  if #added[k] > 0 then
    redis.call('APPEND', KEYS[k], table.concat(added[k], '\n') .. '\n')
    redis.call('EXPIRE', KEYS[k], ttl)
  end
end
if written > 0 then
  redis.call('HINCRBY', KEYS[2], 'alerted', written)
end
return table.concat(out, ' ')
