  -- gcra.lua: the twin of runtime/internal/ratemath/gcra.go, as a body
  -- (see script.go for its inputs and outputs). t = ⌈d/q⌉, bt = b·t; a
  -- call takes cost·t. State: "tat".
  local tat = now
  if sa then
    tat = sa
    if tat < now then
      tat = now
    end
  end
  local nxt = tat + cost * t
  local over = nxt - now - bt
  if maxwait >= 0 and over > maxwait then
    reason, retry = REASON_QUOTA, over
  else
    ok, remaining, delay, ttl, na = true, floor_div(math.max(bt - (nxt - now), 0), t), math.max(over, 0), nxt - now, nxt
  end
  --[[CANCEL]]
  -- cancel: give back cost emission intervals, not below now.
  local tat = math.max(sa - cost * t, now)
  na, ttl = tat, tat - now
