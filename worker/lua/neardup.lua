-- Near-duplicate check-and-insert, atomic: find candidate articles through the LSH bands, verify them
-- against the new article's signature, attach it to the best matching story or start a new one, and
-- index it - all in one script, so concurrent workers can never both start a story for copies of one text.
--
-- KEYS: pairs (records, bands) per time generation, newest first; all share one hash tag.
--   records: hash  digest(8 bytes) -> uint32 shingles | uint16 len | story id | uint8 count | count x
--            uint16 number hashes (sorted bottom-k) | packed signature (one byte per min-hash) | head numbers
--            (uint8 count | count x (uint16 hash | uint8 len | digits); absent in records written before them,
--            which read as a head without numbers) | head template and names (8 bytes | uint8 count | count x
--            (uint8 len | name); absent for a head without a template and in records written before them) |
--            0x01 when the text carries a correction or update notice, which only both head rules at once hold
--            apart (absent otherwise and in records written before it; a script before it never reads it)
--   bands:   hash  band key(8 bytes) -> concatenated digests (8 bytes each, at most ARGV[14] of them)
-- ARGV: 1 digest, 2 article id, 3 shingles, 4 packed signature, 5 packed number sketch,
--   6 expire-at (unix s) for the newest keys, 7 jaccard min, 8 containment min, 9 short shingles,
--   10 short jaccard min, 11 numbers min, 12 numbers floor, 13 numbers kept (k), 14 bucket cap,
--   15 chance that two unequal stored values are equal (2^-bits), 16 lead containment min, 17 lead key ('' when
--   the body is too short to have one), 18 head rules on: numbers then names ('11', '10', ...; a lone '1' or '0'
--   is the numbers rule alone), 19 packed head numbers, then head template and names, then the notice mark (as
--   in records), 20.. band keys. The lead key is stored in the bands hash like a band
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
local head_rule, names_rule = string.sub(ARGV[18], 1, 1) == '1', string.sub(ARGV[18], 2, 2) == '1'
local my_head_packed = ARGV[19]
local FIRST_BAND = 20
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

-- Head numbers, packed as in worker/neardup.py pack_head_numbers: a list of {hash, text}, a set of the texts and
-- where what follows them starts.
local function head_list(s, from)
    local out, texts = {}, {}
    if from > #s then return out, texts, from end
    local count = string.byte(s, from)
    local p = from + 1
    for i = 1, count do
        local lo, hi, len = string.byte(s, p, p + 2)
        local text = string.sub(s, p + 3, p + 2 + len)
        out[i] = {lo + 256 * hi, text}
        texts[text] = true
        p = p + 3 + len
    end
    return out, texts, p
end

-- Head template and names, packed as in worker/neardup.py pack_head_names: the template (nil when absent), the
-- names in order and where what follows them starts.
local function names_list(s, from)
    local names = {}
    if from + 8 > #s then return nil, names, from end
    local template = string.sub(s, from, from + 7)
    local count = string.byte(s, from + 8)
    local p = from + 9
    for i = 1, count do
        local len = string.byte(s, p)
        names[i] = string.sub(s, p + 1, p + len)
        p = p + 1 + len
    end
    return template, names, p
end

-- The correction or update mark (worker/neardup.py REVISED_MARK) at where the head's names end.
local function revised_at(s, p)
    return p <= #s and string.byte(s, p) == 1
end

-- One dropped, added, changed or swapped character (byte) between two unequal numbers, one of them long (similarity.py
-- _one_slip); names pass 1 as `long`: any length.
local LONG_NUMBER = 4
local function one_slip(a, b, long)
    if math.max(#a, #b) < (long or LONG_NUMBER) or math.abs(#a - #b) > 1 then return false end
    if #a == #b then
        local d1, d2, n = nil, nil, 0
        for i = 1, #a do
            if string.byte(a, i) ~= string.byte(b, i) then
                n = n + 1
                if n == 1 then d1 = i elseif n == 2 then d2 = i else return false end
            end
        end
        if n == 1 then return true end
        return n == 2 and d2 == d1 + 1 and string.byte(a, d1) == string.byte(b, d2)
            and string.byte(a, d2) == string.byte(b, d1)
    end
    local short, long = a, b
    if #a > #b then short, long = b, a end
    local i = 1
    while i <= #short and string.byte(short, i) == string.byte(long, i) do i = i + 1 end
    return string.sub(short, i) == string.sub(long, i + 1)
end

-- Whether a number of one head is in the other text (similarity.py _head_number_found): in its number sketch (or
-- past the full sketch's cut), one slip from a long figure of its head, or cut in two there by another separator.
local function head_number_found(entry, sketch, their_list, their_texts)
    local h, text = entry[1], entry[2]
    if #sketch >= num_kept and h > sketch[#sketch] then return true end
    for _, x in ipairs(sketch) do
        if x == h then return true end
    end
    for _, other in ipairs(their_list) do
        if one_slip(text, other[2]) then return true end
    end
    local parts = 0
    for part in string.gmatch(text, '[^%.,:/%-]+') do
        if not their_texts[part] then return false end
        parts = parts + 1
    end
    return parts > 1
end

local function all_found(mine_list, sketch, their_list, their_texts)
    for _, entry in ipairs(mine_list) do
        if not head_number_found(entry, sketch, their_list, their_texts) then return false end
    end
    return true
end

local my_head, my_head_texts, my_names_at = head_list(my_head_packed, 1)
local my_template, my_names, my_mark_at = names_list(my_head_packed, my_names_at)
local my_revised = revised_at(my_head_packed, my_mark_at)

-- Both heads have the same template and, in some place, other names: not one slip apart, neither the other with words
-- before or after it, neither perhaps cut at the cap (similarity.py names_differ, _other_name; NAME_UNCUT is
-- _NAME_UNCUT: HEAD_NAME_LEN - 4 bytes).
local NAME_UNCUT = 28
local function names_differ(their_template, their_names)
    if my_template == nil or my_template ~= their_template then return false end
    for i = 1, math.min(#my_names, #their_names) do
        local a, b = my_names[i], their_names[i]
        if a ~= b and #a <= NAME_UNCUT and #b <= NAME_UNCUT and not one_slip(a, b, 1) then
            local short, long = a, b
            if #b < #a then short, long = b, a end
            if string.sub(long, 1, #short + 1) ~= short .. ' ' and string.sub(long, -#short - 1) ~= ' ' .. short then
                return true
            end
        end
    end
    return false
end

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
                            local sig_at = pos + len + 1 + 2 * count
                            local other = {string.byte(rec, sig_at, sig_at + width - 1)}
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
                            local heads_differ = false
                            if (head_rule and #my_head > 0) or (names_rule and my_template) then
                                local their_head, their_texts, names_at = head_list(rec, sig_at + width)
                                heads_differ = head_rule and #my_head > 0 and #their_head > 0
                                    and not all_found(my_head, their_nums, their_head, their_texts)
                                    and not all_found(their_head, my_nums, my_head, my_head_texts)
                                if heads_differ or (names_rule and my_template) then
                                    local their_template, their_names, mark_at = names_list(rec, names_at)
                                    if my_revised or revised_at(rec, mark_at) then
                                        -- A correction or an update changes a figure or a name of the head, not both:
                                        -- only the two rules at once hold a revised text apart (similarity.py
                                        -- same_story).
                                        heads_differ = heads_differ and names_rule and my_template ~= nil
                                            and names_differ(their_template, their_names)
                                    elseif not heads_differ then
                                        heads_differ = names_differ(their_template, their_names)
                                    end
                                end
                            end
                            if seen >= num_floor and num < num_min then
                                same = false
                            elseif heads_differ then
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
    struct.pack('<I4I2', shingles, #best_story) .. best_story .. string.char(#nums / 2) .. nums .. sig
    .. my_head_packed)
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
