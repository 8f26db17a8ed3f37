-- bench/setup's LNS: listens on arg[1], writes arg[2] when ready.
local l2tp = require "l2tp"
local ctx = l2tp.context{ log_level = "error" }
local l = assert(ctx:listen("bench", { ["local"] = "127.0.0.1:" .. arg[1], window_size = 32, hello_timeout = 1000 }))
local f = io.open(arg[2], "w")
f:write(l:address(), "\n")
f:close()
