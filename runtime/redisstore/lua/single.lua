-- single.lua decides calls over one limit each, all of one algorithm: the
-- common case, run by that algorithm's own script (prelude, common,
-- state_one, the algorithm's file, then this driver, with ALG, decide and commit bound to
-- the algorithm), so that a run creates only the functions it needs.
-- dispatch.lua handles everything else (several limits, cancels, mixed
-- algorithms) with the same packing:
--
-- ARGV[1] packs little-endian int64s: m, then per call
--   mode (1), nowset, now (µs), maxwait (µs, < 0 unbounded), n (1),
--   alg q d b k t c bt
-- and KEYS holds one key per call. The reply packs, per call, six
-- little-endian int64s: allowed remaining delay retry rejected reason.

local CALL = '<i8i8i8i8i8i8i8i8i8i8i8i8i8'
local REPLY = '<i8i8i8i8i8i8'

local packed = ARGV[1]
local m, pos = struct.unpack('<i8', packed)
if m ~= #KEYS or #packed ~= 8 + 104 * m then
  return redis.error_reply('ERR throttle: malformed request')
end
local clock = nil -- the server's time, read once per script run
-- the limit's parameters, refilled for each call
local p = {q = 0, d = 0, b = 0, k = 0, t = 0, c = 0, bt = 0}
local replies = nil -- a run of several calls concatenates their replies
if m > 1 then
  replies = {}
end
local reply
for j = 1, m do
  local mode, nowset, now, maxwait, n, alg
  mode, nowset, now, maxwait, n, alg, p.q, p.d, p.b, p.k, p.t, p.c, p.bt, pos =
    struct.unpack(CALL, packed, pos)
  if mode ~= 1 or n ~= 1 or alg ~= ALG then
    return redis.error_reply('ERR throttle: malformed request')
  end
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
  local key = KEYS[j]
  local ok, reason, remaining, delay, retry, ttl, a, b = decide(key, p, now, maxwait)
  if ok then
    commit(key, p, now, ttl, a, b)
    reply = struct.pack(REPLY, 1, remaining, delay, 0, -1, 0)
  else
    reply = struct.pack(REPLY, 0, 0, 0, retry, 0, reason)
  end
  if replies then
    replies[j] = reply
  end
end
flush()
if replies then
  return table.concat(replies)
end
return reply
