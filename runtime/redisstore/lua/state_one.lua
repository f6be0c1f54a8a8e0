-- state_one.lua: the state cache of the single-limit scripts, which holds
-- one key: a run of calls on one key (a hot key under load) reads it once and
-- writes it once, and a run of one call creates no table. Writes are
-- deferred until another key is read or the run ends; nothing else runs
-- while a script runs and every read of the cached key goes through the
-- cache, so the deferral is invisible. Same interface as lua/state.lua.

local cached_key = nil   -- the cached key, or nil
local cached = nil       -- its value, or false when the key is absent
local cached_px = nil    -- nil: clean; < 0: delete; else PX in ms of the pending write

-- flush writes what put changed.
local function flush()
  if cached_px then
    if cached_px < 0 then
      redis.call('DEL', cached_key)
    else
      redis.call('SET', cached_key, cached, 'PX', int(cached_px))
    end
    cached_px = nil
  end
end

-- get returns the value under key, or nil.
local function get(key)
  if key ~= cached_key then
    flush()
    cached_key, cached = key, redis.call('GET', key)
  end
  return cached or nil
end

-- put writes value under key with a TTL of ttl µs (rounded up to ms, plus
-- the test slack), or deletes the key when the state is fresh already.
local function put(key, value, ttl)
  if key ~= cached_key then
    flush()
    cached_key = key
  end
  if ttl <= 0 then
    cached, cached_px = false, -1
  else
    cached, cached_px = value, ceil_div(ttl, 1000) + TTL_SLACK_MS
  end
end
