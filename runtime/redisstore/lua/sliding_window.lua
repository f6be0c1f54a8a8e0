-- sliding_window.lua mirrors runtime/algo_sliding.go. State: a list of the
-- admitted times still inside the window, oldest first, at most q entries.

local function sliding_window_decide(key, p, now, maxwait)
  -- prune: drop every entry t with t + d <= now (never changes a decision).
  while true do
    local t = redis.call('LINDEX', key, 0)
    if not t or tonumber(t) + p.d > now then
      break
    end
    redis.call('LPOP', key)
  end
  local n = redis.call('LLEN', key)
  if n >= p.q then
    local oldest = tonumber(redis.call('LINDEX', key, n - p.q))
    return false, REASON_QUOTA, 0, 0, oldest + p.d - now
  end
  return true, 0, p.q - n - 1, 0, 0, p.d
end

local function sliding_window_commit(key, p, now, ttl)
  local n = redis.call('RPUSH', key, int(now))
  while n > p.q do
    redis.call('LPOP', key)
    n = n - 1
  end
  redis.call('PEXPIRE', key, int(ceil_div(ttl, 1000) + TTL_SLACK_MS))
end
