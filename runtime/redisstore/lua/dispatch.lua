-- dispatch.lua decides (or cancels) one call over every limit of one
-- request, all-or-nothing, in one script run.
--
-- One script run carries m calls (m is 1 unless the batcher coalesced
-- several calls whose keys share a slot); each is decided on its own, in
-- order, all-or-nothing over its limits. ARGV[1] packs little-endian int64s:
-- m, then per call
--   mode (1 decide, 2 cancel), nowset (0: use TIME, 1: use now), now (µs),
--   maxwait (µs, < 0 unbounded), n, then per limit: alg q d b k t c bt cost
-- where alg is runtime.Algorithm, d is in µs, b is defaulted to q,
-- t = ⌈d/q⌉, c = b·d and bt = b·t (as ratemath.Derive derives them), and
-- cost the units the call takes from the limit (>= 0). A limit of cost 0
-- is skipped: admitted, nothing read or written, counted in neither
-- remaining nor delay (remaining is 0 when every limit is skipped). A cost
-- above its algorithm's bound (max_cost, ratemath's CostBound) rejects the
-- call at once, for REASON_COST with retry 0, before anything is read; it
-- wins over every other reason.
-- KEYS holds the calls' keys in order, one per limit.
--
-- The reply packs, per call, six little-endian int64s: allowed remaining
-- delay retry rejected reason (µs); a cancel's are ignored.
--
-- decide, commit, cancel and max_cost run a limit's algorithm by its
-- number; script.go writes them from the runtime's algorithm table, before
-- this file, with ALGORITHMS, the number of algorithms. A call naming another algorithm is
-- malformed.

local HEAD = '<i8i8i8i8i8'
local LIMIT = '<i8i8i8i8i8i8i8i8i8'
local REPLY = '<i8i8i8i8i8i8'

local packed = ARGV[1]
local clock = nil -- the server's time, read once per script run

-- run decides (or cancels) the call packed at pos whose keys start after
-- KEYS[base]; it returns the packed reply, the position of the next call
-- and the number of keys it used, or nil when the request is malformed.
local function run(pos, base)
  local mode, nowset, now, maxwait, n
  mode, nowset, now, maxwait, n, pos = struct.unpack(HEAD, packed, pos)
  if nowset == 0 then
    if not clock then
      local t = redis.call('TIME')
      clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
    end
    now = clock
    TTL_SLACK_MS = 0
  else
    TTL_SLACK_MS = 60000 -- a trace's time need not follow the server's clock
  end
  if base + n > #KEYS or #packed < pos - 1 + 72 * n then
    return nil
  end
  local limits = {}
  for i = 1, n do
    local p = {}
    p.alg, p.q, p.d, p.b, p.k, p.t, p.c, p.bt, p.cost, pos = struct.unpack(LIMIT, packed, pos)
    if p.alg < 1 or p.alg > ALGORITHMS or p.cost < 0 then
      return nil
    end
    limits[i] = p
  end

  if mode == 2 then
    for i = 1, n do
      if limits[i].cost > 0 then
        cancel(limits[i].alg, KEYS[base + i], limits[i], now)
      end
    end
    return struct.pack(REPLY, 0, 0, 0, 0, -1, 0), pos, n
  end

  -- A cost no state can admit rejects at once; cost 0 skips its limit.
  local active = 0
  for i = 1, n do
    local p = limits[i]
    if p.cost > max_cost(p.alg, p) then
      return struct.pack(REPLY, 0, 0, 0, 0, i - 1, REASON_COST), pos, n
    end
    if p.cost > 0 then
      active = active + 1
    end
  end
  if active == 0 then
    return struct.pack(REPLY, 1, 0, 0, 0, -1, 0), pos, n
  end

  if n == 1 then
    local p, key = limits[1], KEYS[base + 1]
    local ok, reason, remaining, delay, retry, ttl, a, b = decide(p.alg, key, p, now, maxwait)
    if not ok then
      return struct.pack(REPLY, 0, 0, 0, retry, 0, reason), pos, n
    end
    commit(p.alg, key, p, now, ttl, a, b)
    return struct.pack(REPLY, 1, remaining, delay, 0, -1, 0), pos, n
  end

  -- Several limits: decide each on its own state, commit all or none.
  local oks, reasons, rems, delays, retries, ttls, as, bs = {}, {}, {}, {}, {}, {}, {}, {}
  local allowed = true
  for i = 1, n do
    if limits[i].cost > 0 then
      oks[i], reasons[i], rems[i], delays[i], retries[i], ttls[i], as[i], bs[i] =
        decide(limits[i].alg, KEYS[base + i], limits[i], now, maxwait)
      if not oks[i] then
        allowed = false
      end
    else
      oks[i] = true
    end
  end
  if allowed then
    local remaining, delay = nil, 0
    for i = 1, n do
      if limits[i].cost > 0 then
        commit(limits[i].alg, KEYS[base + i], limits[i], now, ttls[i], as[i], bs[i])
        if not remaining or rems[i] < remaining then
          remaining = rems[i]
        end
        delay = math.max(delay, delays[i])
      end
    end
    return struct.pack(REPLY, 1, remaining, delay, 0, -1, 0), pos, n
  end
  local retry, rejected, reason = 0, -1, 0
  for i = 1, n do
    if not oks[i] then
      if rejected < 0 or retries[i] > retry then
        retry, rejected = retries[i], i - 1
      end
      if reason ~= REASON_QUOTA then
        reason = reasons[i]
      end
    end
  end
  return struct.pack(REPLY, 0, 0, 0, retry, rejected, reason), pos, n
end

-- ARGV[1] holds m calls, each decided (or cancelled) on its own, in order.
local m, pos = struct.unpack('<i8', packed)
if m == 1 then
  local reply = run(pos, 0)
  if not reply then
    return redis.error_reply('ERR throttle: malformed request')
  end
  flush()
  return reply
end
local replies, base = {}, 0
for j = 1, m do
  local reply, n
  reply, pos, n = run(pos, base)
  if not reply then
    return redis.error_reply('ERR throttle: malformed request')
  end
  replies[j] = reply
  base = base + n
end
flush()
return table.concat(replies)
