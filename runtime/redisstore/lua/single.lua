-- single.lua decides calls over one limit each, all of one algorithm: the
-- common case, run by that algorithm's own script. The script is prelude,
-- common, a line binding ALG and STATE_WORDS, and this driver
-- with the algorithm's body (lua/<algorithm>.lua) spliced in at the
-- ALGORITHM mark below, and its commit, if it has one, at the COMMIT mark:
-- a run defines no function of the algorithm and creates no table for one
-- call. dispatch.lua handles everything else (several limits, cancels)
-- with the same bodies and the same packing:
--
-- ARGV[1] packs little-endian int64s: m, then per call
--   mode (1), nowset, now (µs), maxwait (µs, < 0 unbounded), n (1),
--   alg q d b k t c bt cost
-- and KEYS holds one key per call. A call of cost 0 is admitted without
-- reading or writing its key (Remaining 0); a cost above the algorithm's
-- bound (MAXCOST below, ratemath's CostBound) is rejected at once for
-- REASON_COST with retry 0, nothing read. Here, and not in dispatch.lua, a call
-- identical to the one before it (same key, same words: concurrent
-- callers of one hot key) may instead be a repeat mark, one word 0, with
-- no key in KEYS: the batcher sends a run of such calls as one call and
-- marks, and the script unpacks it once. The reply packs, per call, six
-- little-endian int64s: allowed remaining delay retry rejected reason.
--
-- The state of the string-valued algorithms goes through a cache of one
-- key: a run of calls on one key (a hot key under load) reads it once and
-- writes it once. A write is deferred while the next call is on the same
-- key, and made after the key's last call of a run of such calls (before
-- the next key is read, or the script returns); nothing else runs while a
-- script runs and every read of the cached key goes through the cache, so
-- the deferral is invisible. The write is in the loop, not in a function:
-- every function a script defines is a closure created again on each run,
-- which the common case (one call) would pay for. The cache holds
-- the state decoded, as STATE_WORDS integers (0: the algorithm keeps no
-- string state and uses no cache): a body reads
-- sa (nil when the key is absent) and sb, and writes na and nb; the string
-- is parsed once when read and formatted once when written.

local CALL = '<i8i8i8i8i8i8i8i8i8i8i8i8i8i8'
local REPLY = '<i8i8i8i8i8i8'

local packed = ARGV[1]
local m, pos = struct.unpack('<i8', packed)
-- The run's shape is checked before anything is decided: m entries, each
-- a call (112 bytes, mode 1, with its key next in KEYS) or a repeat mark
-- (8 zero bytes: the previous call again, on the same key).
do
  local p, calls = pos, 0
  for j = 1, m do
    local mode = string.byte(packed, p)
    if mode == 1 then
      p, calls = p + 112, calls + 1
    elseif mode == 0 and j > 1 then
      p = p + 8
    else
      return redis.error_reply('ERR throttle: malformed request')
    end
  end
  if p ~= #packed + 1 or calls ~= #KEYS then
    return redis.error_reply('ERR throttle: malformed request')
  end
end

local cached_key = nil -- the cached key
local ca, cb = nil, nil -- its state, decoded; ca is nil when the key is absent
local cached_ttl = nil  -- nil: clean; <= 0: delete; else TTL (µs) of the pending write
local cached_slack = 0  -- ms added to that TTL

local clock = nil -- the server's time, read once per script run
local slack = 0   -- ms added to TTLs: > 0 only when the caller passed "now"
local replies = nil -- a run of several calls concatenates their replies
if m > 1 then
  replies = {}
end
local reply
local mode, nowset, at, maxwait, n, alg, q, d, b, k, t, c, bt, cost -- the latest call
local key, ki = nil, 0 -- its key, KEYS[ki]
for j = 1, m do
  if string.byte(packed, pos) == 0 then
    pos = pos + 8
  else
    mode, nowset, at, maxwait, n, alg, q, d, b, k, t, c, bt, cost, pos = struct.unpack(CALL, packed, pos)
    if mode ~= 1 or n ~= 1 or alg ~= ALG then
      return redis.error_reply('ERR throttle: malformed request')
    end
    ki = ki + 1
    key = KEYS[ki]
  end
  local now = at
  if nowset == 0 then
    if not clock then
      local tm = redis.call('TIME')
      clock = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
    end
    now, slack = clock, 0
  else
    slack = 60000 -- a trace's time need not follow the server's clock
  end
  if cost == 0 then
    reply = struct.pack(REPLY, 1, 0, 0, 0, -1, 0) -- skipped: nothing read or written
  elseif cost > --[[MAXCOST]] then
    reply = struct.pack(REPLY, 0, 0, 0, 0, 0, REASON_COST) -- never admissible
  else
    if STATE_WORDS > 0 and key ~= cached_key then
      cached_key = key
      ca, cb = decode_state(redis.call('GET', key), STATE_WORDS)
    end
    local sa, sb = ca, cb -- the state under key (sa nil: none)
    -- The body decides: ok, and then remaining, delay, ttl and the state to
    -- write (na, nb), or else reason and retry.
    local ok, reason, remaining, delay, retry, ttl, na, nb = false, 0, 0, 0, 0, 0, nil, nil
    --[[ALGORITHM]]
    if ok then
      --[[COMMIT]]
      if STATE_WORDS > 0 then
        if ttl <= 0 then
          ca, cb = nil, nil
        else
          ca, cb = na, nb
        end
        cached_ttl, cached_slack = ttl, slack
      end
      reply = struct.pack(REPLY, 1, remaining, delay, 0, -1, 0)
    else
      reply = struct.pack(REPLY, 0, 0, 0, retry, 0, reason)
    end
  end
  if replies then
    replies[j] = reply
  end
  -- The pending write is the cached key's (a call of cost 0 on another key
  -- in between leaves it pending).
  if cached_ttl and (j == m or (string.byte(packed, pos) ~= 0 and KEYS[ki + 1] ~= cached_key)) then
    if cached_ttl <= 0 then
      redis.call('DEL', cached_key)
    else
      redis.call('SET', cached_key, encode_state(ca, cb, STATE_WORDS), 'PX',
        int(ceil_div(cached_ttl, 1000) + cached_slack))
    end
    cached_ttl = nil
  end
end
if replies then
  return table.concat(replies)
end
return reply
