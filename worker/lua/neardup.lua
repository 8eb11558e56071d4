-- Near-duplicate check-and-insert, atomic: find candidate articles through the LSH bands, verify them
-- against the new article's signature, attach it to the best matching story or start a new one, and
-- index it - all in one script, so concurrent workers can never both start a story for copies of one text.
--
-- KEYS: pairs (records, bands) per time generation, newest first; all share one hash tag.
--   records: hash  digest(8 bytes) -> uint32 shingles | uint16 len | story id | packed signature
--   bands:   hash  band key(8 bytes) -> concatenated digests (8 bytes each, at most ARGV[10] of them)
-- ARGV: 1 digest, 2 article id, 3 shingles, 4 packed signature, 5 expire-at (unix s) for the newest keys,
--   6 jaccard min, 7 containment min, 8 short shingles, 9 short jaccard min, 10 bucket cap,
--   11 chance that two unequal stored values are equal (2^-bits), 12.. band keys.
-- Returns {story id, created (1/0), replay (1/0), score as a string}.

local digest, article_id = ARGV[1], ARGV[2]
local shingles = tonumber(ARGV[3])
local sig = ARGV[4]
local expire_at = tonumber(ARGV[5])
local j_min, c_min = tonumber(ARGV[6]), tonumber(ARGV[7])
local short_n, short_j = tonumber(ARGV[8]), tonumber(ARGV[9])
local cap = tonumber(ARGV[10])
local collide = tonumber(ARGV[11])
local ngen = #KEYS / 2

-- A redelivered article keeps the story it was given the first time.
for g = 1, ngen do
    local rec = redis.call('HGET', KEYS[2 * g - 1], digest)
    if rec then
        local _, len, pos = struct.unpack('<I4I2', rec)
        return {string.sub(rec, pos, pos + len - 1), 0, 1, '1'}
    end
end

local mine = {string.byte(sig, 1, -1)}
local width = #mine
local perms = width / 2

local best_story, best_score = nil, -1
if shingles > 0 then
    local seen = {}
    for g = 1, ngen do
        local recs, bands = KEYS[2 * g - 1], KEYS[2 * g]
        for i = 12, #ARGV do
            local bucket = redis.call('HGET', bands, ARGV[i])
            if bucket then
                for p = 1, #bucket, 8 do
                    local d = string.sub(bucket, p, p + 7)
                    if not seen[d] then
                        seen[d] = true
                        local rec = redis.call('HGET', recs, d)
                        if rec then
                            local n, len, pos = struct.unpack('<I4I2', rec)
                            local story = string.sub(rec, pos, pos + len - 1)
                            local other = {string.byte(rec, pos + len, -1)}
                            local match = 0
                            if #other == width then
                                for k = 1, width, 2 do
                                    if mine[k] == other[k] and mine[k + 1] == other[k + 1] then
                                        match = match + 1
                                    end
                                end
                            end
                            local j = (match / perms - collide) / (1 - collide)
                            if j < 0 then j = 0 end
                            local smaller = math.min(n, shingles)
                            local c = j / (1 + j) * (n + shingles) / smaller
                            if c > 1 then c = 1 end
                            local same
                            if smaller < short_n then
                                same = j >= short_j
                            else
                                same = j >= j_min or c >= c_min
                            end
                            if same then
                                local s = math.max(j, c)
                                if s > best_score or (s == best_score and story < best_story) then
                                    best_story, best_score = story, s
                                end
                            end
                        end
                    end
                end
            end
        end
    end
end

local created = 0
if not best_story then
    best_story, created, best_score = article_id, 1, 0
end

local recs, bands = KEYS[1], KEYS[2]
redis.call('HSET', recs, digest, struct.pack('<I4I2', shingles, #best_story) .. best_story .. sig)
local limit = (cap - 1) * 8
for i = 12, #ARGV do
    local bucket = redis.call('HGET', bands, ARGV[i]) or ''
    if #bucket > limit then
        bucket = string.sub(bucket, #bucket - limit + 1)  -- the newest cap-1 stay
    end
    redis.call('HSET', bands, ARGV[i], bucket .. digest)
end
redis.call('EXPIREAT', recs, expire_at)
redis.call('EXPIREAT', bands, expire_at)
return {best_story, created, 0, string.format('%.4f', best_score)}
