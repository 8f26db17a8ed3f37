-- Shared by the benchmarks' Lua processes: what they read of themselves
-- from /proc, and listener or tunnel keys from the environment.
local M = {}

-- This process's CPU time in ns (/proc/self/schedstat: exact, where the
-- tick counts of /proc/self/stat are 10 ms apart).
function M.cpu_ns()
  local f = assert(io.open("/proc/self/schedstat"))
  local ns = tonumber(f:read("*l"):match("^(%d+)"))
  f:close()
  return ns
end

function M.rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local kb = tonumber(f:read("*a"):match("VmRSS:%s*(%d+)"))
  f:close()
  return kb
end

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
