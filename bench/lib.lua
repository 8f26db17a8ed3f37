-- Shared by the benchmarks' Lua processes: what they read of themselves
-- from /proc, and listener or tunnel keys from the environment.
local M = {}

-- The number pattern captures in the file at path.
local function proc_number(path, pattern)
  local f = assert(io.open(path))
  local n = tonumber(f:read("*a"):match(pattern))
  f:close()
  return n
end

-- This process's CPU time in ns (/proc/self/schedstat: exact, where the
-- tick counts of /proc/self/stat are 10 ms apart).
function M.cpu_ns() return proc_number("/proc/self/schedstat", "^(%d+)") end

function M.rss_kb() return proc_number("/proc/self/status", "VmRSS:%s*(%d+)") end

-- cfg with PREFIX_KEY=value from the environment (numbers as numbers).
function M.env_keys(prefix, cfg)
  local p = io.popen("env")
  for line in p:lines() do
    local k, v = line:match("^" .. prefix .. "([%w_]+)=(.*)$")
    if k then cfg[k:lower()] = tonumber(v) or v end
  end
  p:close()
  return cfg
end

return M
