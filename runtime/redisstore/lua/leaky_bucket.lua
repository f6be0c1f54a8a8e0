  -- leaky_bucket.lua: the twin of runtime/internal/ratemath/leaky_bucket.go,
  -- as a body (see script.go for its inputs and outputs). t = ⌈d/q⌉; k is
  -- the bucket. State: "last", the time the latest admitted unit runs. A
  -- call of cost units takes the turns nxt, nxt + t, ..., and runs at nxt.
  local last = now - t
  if sa then
    last = sa
  end
  local nxt = math.max(now, last + t)
  local ahead = 0
  if last > now then
    ahead = ceil_div(last - now, t)
  end
  local units = ahead + cost -- waiting once admitted
  if nxt == now then
    units = units - 1 -- its first unit runs at once
  end
  if units > k then
    reason, retry = REASON_QUOTA, (last - now) - (k - cost) * t
  elseif maxwait >= 0 and nxt - now > maxwait then
    reason, retry = REASON_DEADLINE, nxt - now
  else
    local fin = nxt + (cost - 1) * t
    ok, remaining, delay, ttl, na = true, k - units, nxt - now, fin - now + t, fin
  end
  --[[CANCEL]]
  -- cancel: free the cost latest turns, as many as are still in the future.
  local last = sa
  local n = math.min(cost, math.max(0, floor_div(last - now, t)))
  if n > 0 then
    last = last - n * t
  end
  na, ttl = last, math.max(last - now + t, 0)
