  -- token_bucket.lua: the twin of runtime/internal/ratemath/token_bucket.go,
  -- as a body (see script.go for its inputs and outputs). One token is d
  -- units; the capacity is c = b·d units; the refill is q units per µs; a
  -- call takes cost·d units (<= c). State: "level last".
  local level, last = c, now
  if sa then
    level, last = sa, sb
  end
  local elapsed = now - last
  if elapsed > 0 then
    -- Clamp before multiplying: past full, the level is c (level may be
    -- negative after reservations).
    local full = ceil_div(c - level, q)
    if elapsed > full then
      elapsed = full
    end
    level = math.min(c, level + elapsed * q)
  end
  last = now
  local need = cost * d
  local wait = 0
  if level < need then
    wait = ceil_div(need - level, q)
  end
  if level < need and maxwait >= 0 and wait > maxwait then
    reason, retry = REASON_QUOTA, wait
  else
    level = level - need
    ok, remaining, delay, ttl, na, nb = true, floor_div(math.max(level, 0), d), wait, ceil_div(c - level, q), level, last
  end
  --[[CANCEL]]
  -- cancel: put back the cost tokens a reservation took.
  local level = math.min(c, sa + cost * d)
  na, nb, ttl = level, sb, math.max(sb + ceil_div(c - level, q) - now, 0)
