-- fixed_window.lua mirrors runtime/algo_fixed.go. State: "win count".

local function fixed_window_decide(key, p, now, maxwait)
  local v = redis.call('GET', key)
  local win, count = 0, 0
  local fresh = true
  if v then
    local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')
    win, count, fresh = tonumber(a), tonumber(b), false
  end
  local w = now - floor_mod(now, p.d)
  if fresh or win ~= w then
    win, count = w, 0
  end
  local e = w + p.d - now
  if count >= p.q then
    return { allowed = false, reason = REASON_QUOTA, retry = e, remaining = 0, delay = 0 }
  end
  count = count + 1
  return { allowed = true, remaining = p.q - count, delay = 0, ttl = e, a = win, b = count }
end

local function fixed_window_commit(key, p, o, now)
  put(key, int(o.a) .. ' ' .. int(o.b), o.ttl)
end
