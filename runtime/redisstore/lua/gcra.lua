-- gcra.lua mirrors runtime/algo_gcra.go. t = ⌈d/q⌉; bt = b·t. State: "tat".

local function gcra_decide(key, p, now, maxwait)
  local v = get(key)
  local tat = now
  if v then
    tat = tonumber(v)
    if tat < now then
      tat = now
    end
  end
  local nxt = tat + p.t
  local over = nxt - now - p.bt
  if maxwait >= 0 and over > maxwait then
    return false, REASON_QUOTA, 0, 0, over
  end
  return true, 0, floor_div(math.max(p.bt - (nxt - now), 0), p.t), math.max(over, 0), 0, nxt - now, nxt
end

local function gcra_commit(key, p, now, ttl, a)
  put(key, int(a), ttl)
end

-- gcra_cancel gives back one emission interval.
local function gcra_cancel(key, p, now)
  local v = get(key)
  if not v then
    return
  end
  local tat = math.max(tonumber(v) - p.t, now)
  put(key, int(tat), tat - now)
end
