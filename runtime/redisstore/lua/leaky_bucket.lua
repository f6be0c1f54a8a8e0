-- leaky_bucket.lua mirrors runtime/algo_leaky.go. t = ⌈d/q⌉; k is the
-- bucket. State: "last", the time the latest admitted call runs.

local function leaky_bucket_decide(key, p, now, maxwait)
  local v = get(key)
  local last = now - p.t
  if v then
    last = tonumber(v)
  end
  local nxt = math.max(now, last + p.t)
  local ahead = 0
  if last > now then
    ahead = ceil_div(last - now, p.t)
  end
  if nxt ~= now and ahead >= p.k then
    return false, REASON_QUOTA, 0, 0, (last - now) - (p.k - 1) * p.t
  end
  if maxwait >= 0 and nxt - now > maxwait then
    return false, REASON_DEADLINE, 0, 0, nxt - now
  end
  local rem = p.k
  if nxt ~= now then
    rem = p.k - (ahead + 1)
  end
  return true, 0, rem, nxt - now, 0, nxt - now + p.t, nxt
end

local function leaky_bucket_commit(key, p, now, ttl, a)
  put(key, int(a), ttl)
end

-- leaky_bucket_cancel frees the latest turn when it is still in the future.
local function leaky_bucket_cancel(key, p, now)
  local v = get(key)
  if not v then
    return
  end
  local last = tonumber(v)
  if last - p.t >= now then
    last = last - p.t
  end
  put(key, int(last), math.max(last - now + p.t, 0))
end
