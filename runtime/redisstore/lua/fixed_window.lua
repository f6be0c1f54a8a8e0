-- fixed_window.lua mirrors runtime/algo_fixed.go. State: "win count".
--
-- Every *_decide function returns: allowed, reason, remaining, delay,
-- retry, ttl and the state to commit (a, b) when allowed. Every *_commit
-- writes that state with its TTL.

local function fixed_window_decide(key, p, now, maxwait)
  local v = get(key)
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
    return false, REASON_QUOTA, 0, 0, e
  end
  count = count + 1
  return true, 0, p.q - count, 0, 0, e, win, count
end

local function fixed_window_commit(key, p, now, ttl, a, b)
  put(key, int(a) .. ' ' .. int(b), ttl)
end
