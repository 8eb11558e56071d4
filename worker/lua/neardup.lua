-- Near-duplicate check-and-insert, atomic: find candidate articles through the LSH bands, verify them
-- against the new article's signature, attach it to the best matching story or start a new one, and
-- index it - all in one script, so concurrent workers can never both start a story for copies of one text.
--
-- KEYS: pairs (records, bands) per time generation, newest first; all share one hash tag.
--   records: hash  digest(8 bytes) -> uint32 shingles | uint16 len | story id | uint8 count | count x
--            uint16 number hashes (sorted bottom-k) | packed signature (one byte per min-hash)
--   bands:   hash  band key(8 bytes) -> concatenated digests (8 bytes each, at most ARGV[14] of them)
-- ARGV: 1 digest, 2 article id, 3 shingles, 4 packed signature, 5 packed number sketch,
--   6 expire-at (unix s) for the newest keys, 7 jaccard min, 8 containment min, 9 short shingles,
--   10 short jaccard min, 11 numbers min, 12 numbers floor, 13 numbers kept (k), 14 bucket cap,
--   15 chance that two unequal stored values are equal (2^-bits), 16 lead containment min, 17 lead key ('' when
--   the body is too short to have one), 18.. band keys. The lead key is stored in the bands hash like a band
--   key (its first byte, 0xFF, is no band number); a candidate found through it is held to the lead rule.
-- The verdict mirrors worker/similarity.py same_story(); a test checks they agree.
-- Returns {story id, created (1/0), replay (1/0), score as a string}.

local digest, article_id = ARGV[1], ARGV[2]
local shingles = tonumber(ARGV[3])
local sig, nums = ARGV[4], ARGV[5]
local expire_at = tonumber(ARGV[6])
local j_min, c_min = tonumber(ARGV[7]), tonumber(ARGV[8])
local short_n, short_j = tonumber(ARGV[9]), tonumber(ARGV[10])
local num_min, num_floor, num_kept = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local cap = tonumber(ARGV[14])
local collide = tonumber(ARGV[15])
local head_min, head = tonumber(ARGV[16]), ARGV[17]
local FIRST_BAND = 18
local ngen = #KEYS / 2

local function u16list(s, from, count)
    local out = {}
    for i = 0, count - 1 do
        local lo, hi = string.byte(s, from + 2 * i, from + 2 * i + 1)
        out[i + 1] = lo + 256 * hi
    end
    return out
end

-- Containment of the smaller number sketch in the other, both cut at the smaller full sketch's largest
-- hash (see numbers_containment in similarity.py); returns containment and how many numbers it rests on.
local function numbers_containment(a, b)
    local cut = 65535
    if #a >= num_kept then cut = math.min(cut, a[#a]) end
    if #b >= num_kept then cut = math.min(cut, b[#b]) end
    local inb, nb, na, both = {}, 0, 0, 0
    for _, h in ipairs(b) do
        if h <= cut then inb[h] = true; nb = nb + 1 end
    end
    for _, h in ipairs(a) do
        if h <= cut then
            na = na + 1
            if inb[h] then both = both + 1 end
        end
    end
    local smaller = math.min(na, nb)
    if smaller == 0 then return 1, 0 end
    return both / smaller, smaller
end

local my_nums = u16list(nums, 1, #nums / 2)

-- A redelivered article keeps the story it was given the first time.
for g = 1, ngen do
    local rec = redis.call('HGET', KEYS[2 * g - 1], digest)
    if rec then
        local _, len, pos = struct.unpack('<I4I2', rec)
        return {string.sub(rec, pos, pos + len - 1), 0, 1, '1'}
    end
end

local mine = {string.byte(sig, 1, -1)}
local width = #mine  -- one byte per min-hash (b-bit MinHash, b = 8)

-- The buckets to look in: the lead's first (so a candidate found there is known to share the lead), then the bands.
local lookups = {}
if head ~= '' then lookups[1] = head end
for i = FIRST_BAND, #ARGV do lookups[#lookups + 1] = ARGV[i] end
local lead_from = head ~= '' and 1 or 0  -- lookups[1] is the lead's bucket when this is 1

local best_story, best_score = nil, -1
if shingles > 0 then
    local seen = {}
    for g = 1, ngen do
        local recs, bands = KEYS[2 * g - 1], KEYS[2 * g]
        for li = 1, #lookups do
            local via_head = li == lead_from
            local bucket = redis.call('HGET', bands, lookups[li])
            if bucket then
                for p = 1, #bucket, 8 do
                    local d = string.sub(bucket, p, p + 7)
                    if not seen[d] then
                        seen[d] = true
                        local rec = redis.call('HGET', recs, d)
                        if rec then
                            local n, len, pos = struct.unpack('<I4I2', rec)
                            local story = string.sub(rec, pos, pos + len - 1)
                            local count = string.byte(rec, pos + len)
                            local their_nums = u16list(rec, pos + len + 1, count)
                            local other = {string.byte(rec, pos + len + 1 + 2 * count, -1)}
                            local match = 0
                            if #other == width then
                                for k = 1, width do
                                    if mine[k] == other[k] then match = match + 1 end
                                end
                            end
                            local j = (match / width - collide) / (1 - collide)
                            if j < 0 then j = 0 end
                            local smaller = math.min(n, shingles)
                            local c = j / (1 + j) * (n + shingles) / smaller
                            if c > 1 then c = 1 end
                            local num, seen = numbers_containment(my_nums, their_nums)
                            local same
                            if seen >= num_floor and num < num_min then
                                same = false
                            elseif via_head and c >= head_min then
                                same = true
                            elseif smaller < short_n then
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
redis.call('HSET', recs, digest,
    struct.pack('<I4I2', shingles, #best_story) .. best_story .. string.char(#nums / 2) .. nums .. sig)
local limit = (cap - 1) * 8
for li = 1, #lookups do
    local bucket = redis.call('HGET', bands, lookups[li]) or ''
    if #bucket > limit then
        bucket = string.sub(bucket, #bucket - limit + 1)  -- the newest cap-1 stay
    end
    redis.call('HSET', bands, lookups[li], bucket .. digest)
end
redis.call('EXPIREAT', recs, expire_at)
redis.call('EXPIREAT', bands, expire_at)
return {best_story, created, 0, string.format('%.4f', best_score)}
