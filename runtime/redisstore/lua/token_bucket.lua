-- token_bucket.lua mirrors runtime/algo_token.go. One token is d units; the
-- capacity is c = b·d units; the refill is q units per µs. State:
-- "level last".

local function token_bucket_decide(key, p, now, maxwait)
  local level, last = p.c, now
  local v = get(key)
  if v then
    local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')
    level, last = tonumber(a), tonumber(b)
  end
  local elapsed = now - last
  if elapsed > 0 then
    -- Clamp before multiplying: past full, the level is c (level may be
    -- negative after reservations).
    local full = ceil_div(p.c - level, p.q)
    if elapsed > full then
      elapsed = full
    end
    level = math.min(p.c, level + elapsed * p.q)
  end
  last = now
  local delay = 0
  if level < p.d then
    delay = ceil_div(p.d - level, p.q)
    if maxwait >= 0 and delay > maxwait then
      return false, REASON_QUOTA, 0, 0, delay
    end
  end
  level = level - p.d
  return true, 0, floor_div(math.max(level, 0), p.d), delay, 0, ceil_div(p.c - level, p.q), level, last
end

local function token_bucket_commit(key, p, now, ttl, a, b)
  put(key, int(a) .. ' ' .. int(b), ttl)
end

-- token_bucket_cancel puts back the token a reservation took.
local function token_bucket_cancel(key, p, now)
  local v = get(key)
  if not v then
    return
  end
  local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')
  local level, last = math.min(p.c, tonumber(a) + p.d), tonumber(b)
  put(key, int(level) .. ' ' .. int(last), math.max(last + ceil_div(p.c - level, p.q) - now, 0))
end
