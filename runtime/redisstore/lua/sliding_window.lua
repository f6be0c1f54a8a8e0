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
    return { allowed = false, reason = REASON_QUOTA, retry = oldest + p.d - now, remaining = 0, delay = 0 }
  end
  return { allowed = true, remaining = p.q - n - 1, delay = 0, ttl = p.d }
end

local function sliding_window_commit(key, p, o, now)
  local n = redis.call('RPUSH', key, int(now))
  while n > p.q do
    redis.call('LPOP', key)
    n = n - 1
  end
  redis.call('PEXPIRE', key, int(ceil_div(o.ttl, 1000) + TTL_SLACK_MS))
end
