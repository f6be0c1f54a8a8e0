  -- sliding_window.lua: the twin of
  -- runtime/internal/ratemath/sliding_window.go, as a body (see script.go
  -- for its inputs and outputs). State: a list of the
  -- admitted times still inside the window, oldest first, at most q
  -- entries; the commit, after the COMMIT mark, writes it.
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
    ok, remaining, ttl = true, q - cnt - 1, d
  end
  --[[COMMIT]]
  local len = redis.call('RPUSH', key, int(now))
  while len > q do
    redis.call('LPOP', key)
    len = len - 1
  end
  redis.call('PEXPIRE', key, int(ceil_div(d, 1000) + slack))
