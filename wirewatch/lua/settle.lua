-- settle.lua: the one atomic end of every delivery.
--
-- mode "emit":   if neither the canonical URL nor the normalised text is claimed by another copy, claim both (the
--                article id), append the event to the events stream and store the article; otherwise the
--                article is a duplicate of the claim's holder. A claim holding "<article id> <delivery id>" of
--                this very delivery is its own reservation, taken by its alerts (worker/lua/alerts.lua): not
--                another copy (whichever payload version of the delivery reserved it: the latest wins). A
--                redelivered message finds its emitted claims and emits nothing twice. An emit that finds its
--                delivery settled already lets go of the claims it reserved and nobody emitted.
-- mode "settle": record a terminal outcome that emits nothing (a duplicate seen before enrichment, rejected,
--                dead); "dead" also goes to ww:dead with its payload kept.
-- mode "refuse": as "settle", for what a producer refused before it ever reached the ledger.
-- In every mode: clear the delivery from the ledger, write its status record, count the outcome, and clear the
-- record of the exact claims this delivery's alerts reserved (KEYS[13], field the delivery id: "<claim key>
-- <article id>" per line, written by worker/lua/alerts.lua), letting go of each claim that still holds that
-- reservation. Emitted, its claims hold the bare article id by then and stay; any other end (dead after its
-- alerts, unparsed by the attempts check, once its emit's script failed in the MULTI/EXEC that wrote them;
-- rejected; a duplicate) would otherwise leave them for the dedup window,
-- and every later exact copy would settle as a duplicate of an article never emitted. A claim another delivery
-- reserved or an emitted article holds is left alone. The claim keys come from the record, not KEYS (a dead
-- letter may never have been parsed in this attempt): they share the {ww} hash tag, and so KEYS[13]'s slot.
-- Except in
-- "refuse" mode, a delivery no longer in the ledger was settled already (by a concurrent or earlier delivery of
-- the same message): nothing is written, so an outcome is recorded and counted exactly once.
-- "superseded": the ledger holds a newer submission of the delivery id than the one processed (ARGV[13], the
-- version token read with the payload, differs from KEYS[12]'s; an empty ARGV[13] skips this check). The ledger
-- entry and the status are left to the newer payload, which its own trigger processes. An event is still
-- emitted, claimed and counted as usual (the alerts written with it in one MULTI/EXEC name it), a duplicate or a
-- terminal outcome records nothing.
--
-- KEYS[1] url claim   KEYS[2] text claim   KEYS[3] article    KEYS[4] events stream  KEYS[5] ledger pending
-- KEYS[6] ledger payload KEYS[7] ledger attempts KEYS[8] status  KEYS[9] stats         KEYS[10] dead stream
-- KEYS[11] dead payloads (kept for `wirewatch dead retry`)  KEYS[12] ledger versions
-- KEYS[13] reserved claims by delivery (hash)
-- ARGV[1] mode  ARGV[2] delivery id  ARGV[3] article id  ARGV[4] event JSON (emit) or reason (settle)
-- ARGV[5] outcome for settle ("rejected:<reason>" or "dead")  ARGV[6] has url ("1"/"0")  ARGV[7] window s
-- ARGV[8] article ttl s  ARGV[9] status ttl s  ARGV[10] events maxlen  ARGV[11] now (ms)  ARGV[12] source
-- ARGV[13] version of the payload processed ('' when unknown)
-- Optional, emit mode: the article's story (worker/stories.py), updated only when the article is emitted:
-- KEYS[14] story hash  KEYS[15] story sources  KEYS[16] story articles  KEYS[17] stories index
-- ARGV[14] story id  ARGV[15] title  ARGV[16] source name for the story  ARGV[17] story ttl s
-- ARGV[18] article ids the story keeps besides its first (the newest ones; its count goes on)
-- ARGV[19] sources the story keeps besides its first (those that carried it last; its source_count goes on)
local mode, delivery, article_id = ARGV[1], ARGV[2], ARGV[3]
local outcome, status
local current = true -- the ledger still holds the payload processed
-- A claim reserved by this delivery's alerts: "<article id> <this delivery id>", whichever version of the
-- delivery's payload reserved it (worker/dedup.py claim_holder: the same rule).
local function reserved_here(value)
  return value ~= nil and value ~= false and string.match(value, '^[^ ]+ (.*)$') == delivery
end
local first_claim = ARGV[6] == '1' and 1 or 2 -- the URL's claim first, when the article has a URL
-- Let go of the claims this delivery's alerts reserved and it still holds; clear their record.
local function release_reserved()
  local record = redis.call('HGET', KEYS[13], delivery)
  if not record then return end
  redis.call('HDEL', KEYS[13], delivery)
  local prefix = string.match(KEYS[13], '^(.*:)') -- the claims' own prefix: never touch another kind of key
  for key, reserver in string.gmatch(record, '([^ \n]+) ([^\n]+)') do
    if string.sub(key, 1, #prefix) == prefix and redis.call('GET', key) == reserver .. ' ' .. delivery then
      redis.call('DEL', key)
    end
  end
end
if mode ~= 'refuse' then
  if redis.call('HEXISTS', KEYS[6], delivery) == 0 then
    if mode == 'emit' then
      -- Another run of this delivery settled it (a newer payload, or the same message twice). Claims this run's
      -- alerts reserved and no run emitted are let go, so that no later copy is a duplicate of an article that
      -- was never emitted.
      local own = article_id .. ' ' .. delivery
      for k = first_claim, 2 do
        if redis.call('GET', KEYS[k]) == own then redis.call('DEL', KEYS[k]) end
      end
    end
    release_reserved()
    return {'already_settled', ''}
  end
  current = ARGV[13] == '' or redis.call('HGET', KEYS[12], delivery) == ARGV[13]
  if not current and mode ~= 'emit' then
    return {'superseded', ''}
  end
end

-- Unix time → "YYYY-MM-DDTHH:MM:SS.mmmZ" (days-to-civil, as in Howard Hinnant's date algorithms).
local function rfc3339_ms(sec, usec)
  local days = math.floor(sec / 86400)
  local rem = sec - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local day = doy - math.floor((153 * mp + 2) / 5) + 1
  local month = mp < 10 and mp + 3 or mp - 9
  local year = yoe + era * 400 + (month <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', year, month, day, math.floor(rem / 3600),
                       math.floor(rem % 3600 / 60), rem % 60, math.floor(usec / 1000))
end

local function finish()
  redis.call('ZREM', KEYS[5], delivery)
  redis.call('HDEL', KEYS[6], delivery)
  redis.call('HDEL', KEYS[7], delivery)
  redis.call('HDEL', KEYS[12], delivery)
  redis.call('SET', KEYS[8], status, 'EX', tonumber(ARGV[9]))
  redis.call('HINCRBY', KEYS[9], outcome, 1)
  release_reserved()
end

if mode == 'emit' then
  local holder = false
  for k = first_claim, 2 do
    local value = redis.call('GET', KEYS[k])
    if value and not reserved_here(value) then
      holder = string.match(value, '^[^ ]+')
      break
    end
  end
  if holder then
    if not current then return {'superseded', ''} end
    outcome = 'duplicate'
    status = cjson.encode({state = 'duplicate', of = holder, article_id = article_id})
    finish()
    return {outcome, holder}
  end
  local window = tonumber(ARGV[7])
  if ARGV[6] == '1' then redis.call('SET', KEYS[1], article_id, 'EX', window) end
  redis.call('SET', KEYS[2], article_id, 'EX', window)
  -- ingested_at is the server's time of this append, so it follows the stream's order across all workers.
  local clock = redis.call('TIME')
  local stamp = rfc3339_ms(tonumber(clock[1]), tonumber(clock[2]))
  local body = string.gsub(ARGV[4], '"ingested_at":"[^"]*"', '"ingested_at":"' .. stamp .. '"', 1)
  local entry = redis.call('XADD', KEYS[4], 'MAXLEN', '~', tonumber(ARGV[10]), '*',
                           'id', article_id, 'event', body)
  redis.call('SET', KEYS[3], body, 'EX', tonumber(ARGV[8]))
  if #KEYS >= 17 then
    -- The story's times are the server's, as ingested_at is: a worker's clock read before its emit was queued
    -- (ARGV[11]) could be behind another's, and last_seen came before first_seen when copies raced.
    local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
    local ttl = tonumber(ARGV[17])
    redis.call('HSETNX', KEYS[14], 'title', ARGV[15])
    local first_emit = redis.call('HSETNX', KEYS[14], 'first_article_id', article_id) == 1
    redis.call('HSETNX', KEYS[14], 'first_seen', now)
    redis.call('HSET', KEYS[14], 'last_seen', now)
    redis.call('HINCRBY', KEYS[14], 'article_count', 1)
    local source = ARGV[16]
    if source ~= '' then
      -- Sources: a sorted set, source -> when it last carried the story (ms); its first and the `kept` that carried
      -- it last stay (one ZREM when a new source comes past that), and source_count counts each source once while
      -- it is kept (worker/stories.py, docs/stories.md).
      if first_emit then redis.call('HSET', KEYS[14], 'first_source', source) end
      local added = redis.pcall('ZADD', KEYS[15], now, source)
      local migrated = type(added) == 'table' and added.err ~= nil
      if migrated then
        -- A plain set of every source, written before the bound: made a sorted set (its sources the oldest), and its
        -- size is the count. Once per story.
        local old = redis.call('SMEMBERS', KEYS[15])
        redis.call('DEL', KEYS[15])
        for _, name in ipairs(old) do redis.call('ZADD', KEYS[15], 0, name) end
        redis.call('HSET', KEYS[14], 'source_count', #old)
        -- Such a story has no first_source, and its set no order: the first source is its first article's, read from
        -- that article's record (KEYS[3]'s prefix, so the {ww} slot) while it is kept and names a source of the set;
        -- else the cut below goes by name alone, as before.
        local first_id = redis.call('HGET', KEYS[14], 'first_article_id')
        local record = first_id and redis.call('GET', string.sub(KEYS[3], 1, #KEYS[3] - #article_id) .. first_id)
        local ok, event = pcall(cjson.decode, record or '')
        if ok and type(event) == 'table' and type(event.source) == 'table' then
          local name, domain = event.source.name, event.source.domain
          local first = type(name) == 'string' and name ~= '' and name or type(domain) == 'string' and domain
          if first and redis.call('ZSCORE', KEYS[15], first) then
            redis.call('HSETNX', KEYS[14], 'first_source', first)
          end
        end
        added = redis.call('ZADD', KEYS[15], now, source)
      end
      if added == 1 then redis.call('HINCRBY', KEYS[14], 'source_count', 1) end
      local kept = tonumber(ARGV[19])
      if kept and (added == 1 or migrated) then
        local over = redis.call('ZCARD', KEYS[15]) - kept - 1
        if over > 0 then
          -- The oldest go, never the first (one in steady state; a set made before the bound is cut to it at once).
          local first = redis.call('HGET', KEYS[14], 'first_source')
          for _, name in ipairs(redis.call('ZRANGE', KEYS[15], 0, over)) do
            if over > 0 and name ~= first then
              redis.call('ZREM', KEYS[15], name)
              over = over - 1
            end
          end
        end
      end
    end
    local listed = redis.call('RPUSH', KEYS[16], article_id)
    local kept = tonumber(ARGV[18])
    if kept and listed > kept + 1 then
      -- Copies that keep coming keep the story alive: keep its first article and the newest `kept` (one LTRIM of
      -- what is over, usually a single id).
      local first = redis.call('LINDEX', KEYS[16], 0)
      redis.call('LTRIM', KEYS[16], -kept, -1)
      redis.call('LPUSH', KEYS[16], first)
    end
    redis.call('ZADD', KEYS[17], now, ARGV[14])
    redis.call('ZREMRANGEBYSCORE', KEYS[17], '-inf', now - ttl * 1000)
    for k = 14, 16 do redis.call('EXPIRE', KEYS[k], ttl) end
  end
  outcome = 'emitted'
  if not current then
    redis.call('HINCRBY', KEYS[9], outcome, 1)
    return {'superseded', entry}
  end
  status = cjson.encode({state = 'emitted', article_id = article_id, entry = entry})
  finish()
  return {outcome, entry}
end

-- settle
outcome = ARGV[5]
local state, reason = string.match(outcome, '^([^:]+):?(.*)$')
if reason == '' then reason = ARGV[4] end
if state == 'duplicate' then
  status = cjson.encode({state = state, of = ARGV[4], article_id = article_id})
else
  status = cjson.encode({state = state, reason = reason, detail = ARGV[4]})
end
if state == 'dead' then
  local payload = redis.call('HGET', KEYS[6], delivery)
  if payload then redis.call('HSET', KEYS[11], delivery, payload) end
  redis.call('XADD', KEYS[10], 'MAXLEN', '~', 100000, '*', 'delivery_id', delivery, 'reason', ARGV[4],
             'source', ARGV[12], 'at', ARGV[11])
end
finish()
return {outcome, ''}
