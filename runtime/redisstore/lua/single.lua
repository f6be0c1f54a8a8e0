-- single.lua decides calls over one limit each, all of one algorithm: the
-- common case, run by that algorithm's own script. The script is prelude,
-- common, a line binding ALG and STRING_STATE, this driver, and the
-- algorithm's flat body (lua/flat_<algorithm>.lua) spliced in at the
-- ALGORITHM mark below: a run defines no function of the algorithm and
-- creates no table for one call. dispatch.lua handles everything else
-- (several limits, cancels) with the same packing:
--
-- ARGV[1] packs little-endian int64s: m, then per call
--   mode (1), nowset, now (µs), maxwait (µs, < 0 unbounded), n (1),
--   alg q d b k t c bt
-- and KEYS holds one key per call. The reply packs, per call, six
-- little-endian int64s: allowed remaining delay retry rejected reason.
--
-- The state of the string-valued algorithms goes through a cache of one
-- key: a run of calls on one key (a hot key under load) reads it once and
-- writes it once. A write is deferred until another key is read or the run
-- ends; nothing else runs while a script runs and every read of the cached
-- key goes through the cache, so the deferral is invisible.

local CALL = '<i8i8i8i8i8i8i8i8i8i8i8i8i8'
local REPLY = '<i8i8i8i8i8i8'

local packed = ARGV[1]
local m, pos = struct.unpack('<i8', packed)
if m ~= #KEYS or #packed ~= 8 + 104 * m then
  return redis.error_reply('ERR throttle: malformed request')
end

local cached_key = nil -- the cached key
local cached = nil     -- its value, or false when the key is absent
local cached_px = nil  -- nil: clean; < 0: delete; else PX (ms) of the pending write

-- flush writes the cached key's pending state.
local function flush()
  if cached_px < 0 then
    redis.call('DEL', cached_key)
  else
    redis.call('SET', cached_key, cached, 'PX', int(cached_px))
  end
  cached_px = nil
end

local clock = nil -- the server's time, read once per script run
local slack = 0   -- ms added to TTLs: > 0 only when the caller passed "now"
local replies = nil -- a run of several calls concatenates their replies
if m > 1 then
  replies = {}
end
local reply
for j = 1, m do
  local mode, nowset, now, maxwait, n, alg, q, d, b, k, t, c, bt
  mode, nowset, now, maxwait, n, alg, q, d, b, k, t, c, bt, pos = struct.unpack(CALL, packed, pos)
  if mode ~= 1 or n ~= 1 or alg ~= ALG then
    return redis.error_reply('ERR throttle: malformed request')
  end
  if nowset == 0 then
    if not clock then
      local tm = redis.call('TIME')
      clock = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
    end
    now, slack = clock, 0
  else
    slack = 60000 -- a trace's time need not follow the server's clock
  end
  local key = KEYS[j]
  local v = nil -- the state under key, or nil
  if STRING_STATE then
    if key ~= cached_key then
      if cached_px then
        flush()
      end
      cached_key, cached = key, redis.call('GET', key)
    end
    v = cached or nil
  end
  -- The body decides: ok, and then remaining, delay, ttl and the state to
  -- write (string-valued algorithms), or else reason and retry.
  local ok, reason, remaining, delay, retry, ttl, state = false, 0, 0, 0, 0, 0, nil
  --[[ALGORITHM]]
  if ok then
    if STRING_STATE then
      if ttl <= 0 then
        cached, cached_px = false, -1
      else
        cached, cached_px = state, ceil_div(ttl, 1000) + slack
      end
    end
    reply = struct.pack(REPLY, 1, remaining, delay, 0, -1, 0)
  else
    reply = struct.pack(REPLY, 0, 0, 0, retry, 0, reason)
  end
  if replies then
    replies[j] = reply
  end
end
if cached_px then
  flush()
end
if replies then
  return table.concat(replies)
end
return reply
