-- cancel.lua: giving back one admitted call's reservation (the dispatcher's
-- mode 2), the twins of runtime's cancel in runtime/algo.go. Only the
-- reserving algorithms have one; a window's count is not given back.

-- token_bucket_cancel puts back the token a reservation took.
local function token_bucket_cancel(key, p, now)
  local level, last = get_state(key, 2)
  if not level then
    return
  end
  level = math.min(p.c, level + p.d)
  put_state(key, level, last, 2, math.max(last + ceil_div(p.c - level, p.q) - now, 0))
end

-- gcra_cancel gives back one emission interval.
local function gcra_cancel(key, p, now)
  local tat = get_state(key, 1)
  if not tat then
    return
  end
  tat = math.max(tat - p.t, now)
  put_state(key, tat, nil, 1, tat - now)
end

-- leaky_bucket_cancel frees the latest turn when it is still in the future.
local function leaky_bucket_cancel(key, p, now)
  local last = get_state(key, 1)
  if not last then
    return
  end
  if last - p.t >= now then
    last = last - p.t
  end
  put_state(key, last, nil, 1, math.max(last - now + p.t, 0))
end
