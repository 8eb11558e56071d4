-- lines.lua: put in front of the scripts that take lists joined by newlines (worker/alerts.py).
-- Joined lists keep the client's command packing (redis-py packs every argument in Python) out of the
-- per-item cost; what is joined never holds a raw newline (ids, and JSON, which escapes it).
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
