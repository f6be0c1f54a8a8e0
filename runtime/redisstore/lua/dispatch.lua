-- dispatch.lua decides (or cancels) one call over every limit of one
-- request, all-or-nothing, in one script run.
--
-- KEYS[i] is the state of limit i. ARGV[1] packs integers separated by
-- spaces:
--   mode (1 decide, 2 cancel), nowset (0: use TIME, 1: use now), now (µs),
--   maxwait (µs, < 0 unbounded), n, then per limit: alg q d b k
-- where alg is runtime.Algorithm, d is in µs and b is already defaulted.
--
-- The reply is "allowed remaining delay retry rejected reason" (µs), or
-- "ok" for a cancel.

local ALGS = {
  [1] = { decide = fixed_window_decide, commit = fixed_window_commit },
  [2] = { decide = sliding_window_decide, commit = sliding_window_commit },
  [3] = { decide = token_bucket_decide, commit = token_bucket_commit, cancel = token_bucket_cancel },
  [4] = { decide = gcra_decide, commit = gcra_commit, cancel = gcra_cancel },
  [5] = { decide = leaky_bucket_decide, commit = leaky_bucket_commit, cancel = leaky_bucket_cancel },
}

local args = {}
for w in string.gmatch(ARGV[1], '%S+') do
  args[#args + 1] = tonumber(w)
end
local mode, nowset, now, maxwait, n = args[1], args[2], args[3], args[4], args[5]
if nowset == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  TTL_SLACK_MS = 60000 -- a trace's time need not follow the server's clock
end
if n ~= #KEYS or #args ~= 5 + 5 * n then
  return redis.error_reply('ERR throttle: malformed request')
end

local limits = {}
for i = 1, n do
  local j = 5 + 5 * (i - 1)
  local p = { alg = args[j + 1], q = args[j + 2], d = args[j + 3], b = args[j + 4], k = args[j + 5] }
  p.t = ceil_div(p.d, p.q)
  p.c = p.b * p.d
  p.bt = p.b * p.t
  if not ALGS[p.alg] then
    return redis.error_reply('ERR throttle: unknown algorithm')
  end
  limits[i] = p
end

if mode == 2 then
  for i = 1, n do
    local cancel = ALGS[limits[i].alg].cancel
    if cancel then
      cancel(KEYS[i], limits[i], now)
    end
  end
  return 'ok'
end

local outs = {}
local allowed = true
for i = 1, n do
  outs[i] = ALGS[limits[i].alg].decide(KEYS[i], limits[i], now, maxwait)
  if not outs[i].allowed then
    allowed = false
  end
end

local remaining, delay, retry, rejected, reason = nil, 0, 0, -1, 0
for i = 1, n do
  local o = outs[i]
  if allowed then
    ALGS[limits[i].alg].commit(KEYS[i], limits[i], o, now)
    if remaining == nil or o.remaining < remaining then
      remaining = o.remaining
    end
    delay = math.max(delay, o.delay)
  elseif not o.allowed then
    if rejected < 0 or o.retry > retry then
      retry, rejected = o.retry, i - 1
    end
    if reason ~= REASON_QUOTA then
      reason = o.reason
    end
  end
end
if not allowed then
  remaining = 0
end
return string.format('%d %d %d %d %d %d', allowed and 1 or 0, remaining, delay, retry, rejected, reason)
