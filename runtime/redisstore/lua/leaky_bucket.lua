  -- leaky_bucket.lua: the twin of runtime/internal/ratemath/leaky_bucket.go,
  -- as a body (see script.go for its inputs and outputs). t = ⌈d/q⌉; k is
  -- the bucket. State: "last", the time the latest admitted call runs.
  local last = now - t
  if sa then
    last = sa
  end
  local nxt = math.max(now, last + t)
  local ahead = 0
  if last > now then
    ahead = ceil_div(last - now, t)
  end
  if nxt ~= now and ahead >= k then
    reason, retry = REASON_QUOTA, (last - now) - (k - 1) * t
  elseif maxwait >= 0 and nxt - now > maxwait then
    reason, retry = REASON_DEADLINE, nxt - now
  else
    remaining = k
    if nxt ~= now then
      remaining = k - (ahead + 1)
    end
    ok, delay, ttl, na = true, nxt - now, nxt - now + t, nxt
  end
  --[[CANCEL]]
  -- cancel: free the latest turn when it is still in the future.
  local last = sa
  if last - t >= now then
    last = last - t
  end
  na, ttl = last, math.max(last - now + t, 0)
