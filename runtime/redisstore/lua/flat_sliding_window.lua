  -- flat_sliding_window.lua: the body of sliding_window's own script (see
  -- single.lua), the twin of runtime/algo_sliding.go and of
  -- sliding_window.lua. State: a list of the admitted times still inside
  -- the window, oldest first, at most q entries; written here, not cached.
  -- prune: drop every entry ts with ts + d <= now (never changes a decision).
  while true do
    local ts = redis.call('LINDEX', key, 0)
    if not ts or tonumber(ts) + d > now then
      break
    end
    redis.call('LPOP', key)
  end
  local cnt = redis.call('LLEN', key)
  if cnt >= q then
    local oldest = tonumber(redis.call('LINDEX', key, cnt - q))
    reason, retry = REASON_QUOTA, oldest + d - now
  else
    ok, remaining = true, q - cnt - 1
    cnt = redis.call('RPUSH', key, int(now))
    while cnt > q do
      redis.call('LPOP', key)
      cnt = cnt - 1
    end
    redis.call('PEXPIRE', key, int(ceil_div(d, 1000) + slack))
  end
