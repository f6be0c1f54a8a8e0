  -- fixed_window.lua: the twin of runtime/internal/ratemath/fixed_window.go,
  -- as a body (see script.go for its inputs and outputs). State: "win
  -- count", count in units; a call takes cost units.
  local win, count = 0, 0
  local fresh = true
  if sa then
    win, count, fresh = sa, sb, false
  end
  local w = now - floor_mod(now, d)
  if fresh or win ~= w then
    win, count = w, 0
  end
  local e = w + d - now
  if count + cost > q then
    reason, retry = REASON_QUOTA, e
  else
    count = count + cost
    ok, remaining, ttl, na, nb = true, q - count, e, win, count
  end
