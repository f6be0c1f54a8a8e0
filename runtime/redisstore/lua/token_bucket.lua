-- token_bucket.lua mirrors runtime/algo_token.go. One token is d units; the
-- capacity is c = b·d units; the refill is q units per µs. State:
-- "level last".

local function token_bucket_state(key, p, now)
  local v = redis.call('GET', key)
  if not v then
    return p.c, now, true
  end
  local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')
  return tonumber(a), tonumber(b), false
end

local function token_bucket_decide(key, p, now, maxwait)
  local level, last = token_bucket_state(key, p, now)
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
      return { allowed = false, reason = REASON_QUOTA, retry = delay, remaining = 0, delay = 0 }
    end
  end
  level = level - p.d
  return { allowed = true, remaining = floor_div(math.max(level, 0), p.d), delay = delay,
    ttl = ceil_div(p.c - level, p.q), a = level, b = last }
end

local function token_bucket_commit(key, p, o, now)
  put(key, int(o.a) .. ' ' .. int(o.b), o.ttl)
end

-- token_bucket_cancel puts back the token a reservation took.
local function token_bucket_cancel(key, p, now)
  local v = redis.call('GET', key)
  if not v then
    return
  end
  local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')
  local level, last = math.min(p.c, tonumber(a) + p.d), tonumber(b)
  put(key, int(level) .. ' ' .. int(last), math.max(last + ceil_div(p.c - level, p.q) - now, 0))
end
