-- Reads core/tests/golden/messages.txt, the hand-checked vectors the C
-- tests use too.
local M = {}

function M.load(path)
  path = path or "core/tests/golden/messages.txt"
  local vecs, cur = {}, nil
  for line in io.lines(path) do
    line = line:gsub("#.*$", "")
    if line:match("^==") then
      local words = {}
      for w in line:sub(3):gmatch("%S+") do words[#words + 1] = w end
      cur = { name = words[1], hex = {} }
      for i = 2, #words do
        local w = words[i]
        if w == "control" then cur.control = true
        elseif w == "ip" then cur.over_ip = true
        elseif w == "decode-only" then cur.decode_only = true
        elseif w == "l2spec" then cur.l2spec = true
        elseif w:match("^cookie=") then cur.cookie_len = tonumber(w:sub(8))
        elseif w:match("^secret=") then cur.secret = w:sub(8) end
      end
      vecs[#vecs + 1] = cur
    elseif cur then
      cur.hex[#cur.hex + 1] = line:gsub("[^%x]", "")
    end
  end
  for _, v in ipairs(vecs) do
    v.bytes = table.concat(v.hex):gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
    v.hex = nil
    vecs[v.name] = v
  end
  return vecs
end

return M
