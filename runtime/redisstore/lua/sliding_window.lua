  -- sliding_window.lua: the twin of
  -- runtime/internal/ratemath/sliding_window.go, as a body (see script.go
  -- for its inputs and outputs). State: a list, oldest first, of the
  -- admitted calls still inside the window, one entry per call whatever
  -- its cost: "ts" for a call of one unit (the common case stays a bare
  -- time), "ts:u" for a call of u > 1 units; then, last, a header "=s",
  -- s the units of the entries (at most q, so at most q entries). A
  -- decision reads the header and the oldest entry, a commit sets the last
  -- element to the entry and pushes the new header: O(1) whatever the
  -- cost. A list without a header (written before costs existed) holds
  -- unit entries only: s is its length, and the next commit adds the
  -- header. The decision hands the commit s (na) and whether the header
  -- exists (nb).
  local tail = redis.call('LINDEX', key, -1)
  local sum, hdr = 0, 0
  if tail then
    if string.byte(tail, 1) == 61 then -- '='
      sum, hdr = tonumber(string.sub(tail, 2)), 1
    else
      sum = redis.call('LLEN', key)
    end
  end
  -- prune: drop every entry ts with ts + d <= now (never changes a decision).
  local pruned = false
  while sum > 0 do
    local e = redis.call('LINDEX', key, 0)
    local ts, u = e, 1
    local i = string.find(e, ':', 1, true)
    if i then
      ts, u = string.sub(e, 1, i - 1), tonumber(string.sub(e, i + 1))
    end
    if tonumber(ts) + d > now then
      break
    end
    redis.call('LPOP', key)
    sum, pruned = sum - u, true
  end
  if pruned and hdr == 1 then
    if sum == 0 then
      redis.call('DEL', key)
      hdr = 0
    else
      redis.call('LSET', key, -1, '=' .. int(sum))
    end
  end
  if sum + cost > q then
    -- need <= sum units must leave the window (cost <= q); each entry holds
    -- at least one unit, so the entry whose expiry frees them is among the
    -- need oldest.
    local need = sum + cost - q
    local es = redis.call('LRANGE', key, 0, need - 1)
    local freed, at = 0, 0
    for j = 1, #es do
      local ts, u = es[j], 1
      local i = string.find(ts, ':', 1, true)
      if i then
        ts, u = string.sub(ts, 1, i - 1), tonumber(string.sub(ts, i + 1))
      end
      freed, at = freed + u, tonumber(ts)
      if freed >= need then
        break
      end
    end
    reason, retry = REASON_QUOTA, at + d - now
  else
    ok, remaining, ttl, na, nb = true, q - sum - cost, d, sum, hdr
  end
  --[[COMMIT]]
  local e = int(now)
  if cost > 1 then
    e = e .. ':' .. int(cost)
  end
  if nb == 1 then
    redis.call('LSET', key, -1, e)
    redis.call('RPUSH', key, '=' .. int(na + cost))
  else
    redis.call('RPUSH', key, e, '=' .. int(na + cost))
  end
  redis.call('PEXPIRE', key, int(ceil_div(d, 1000) + slack))
