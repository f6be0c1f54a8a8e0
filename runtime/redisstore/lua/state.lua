-- state.lua: the dispatcher's state cache (lua/single.lua keeps its own,
-- of one key).
--
-- State of the string-valued algorithms is read and written through a
-- per-run cache, so that a run carrying several calls on one key (a hot key
-- under load) reads it once and writes it once; flush writes every changed
-- key at the end of the run. Nothing else runs while a script runs, so the
-- deferral is invisible.
local cache = {}   -- key -> value, or false when the key is absent
local ttls = {}    -- key -> PX in ms of its latest write, or -1: delete
local written = {} -- changed keys, in first-write order

-- get returns the value under key, or nil.
local function get(key)
  local v = cache[key]
  if v == nil then
    v = redis.call('GET', key)
    cache[key] = v
  end
  return v or nil
end

-- put writes value under key with a TTL of ttl µs (rounded up to ms, plus
-- the test slack), or deletes the key when the state is fresh already.
local function put(key, value, ttl)
  if ttls[key] == nil then
    written[#written + 1] = key
  end
  if ttl <= 0 then
    cache[key], ttls[key] = false, -1
  else
    cache[key], ttls[key] = value, ceil_div(ttl, 1000) + TTL_SLACK_MS
  end
end

-- flush writes what put changed.
local function flush()
  for i = 1, #written do
    local key = written[i]
    local px = ttls[key]
    if px < 0 then
      redis.call('DEL', key)
    else
      redis.call('SET', key, cache[key], 'PX', int(px))
    end
  end
end

-- get_state returns the state under key decoded (see decode_state).
local function get_state(key, words)
  return decode_state(get(key), words)
end

-- put_state writes the state a (and b, with 2 words) under key, fresh
-- again in ttl µs (see put).
local function put_state(key, a, b, words, ttl)
  put(key, encode_state(a, b, words), ttl)
end
