-- common.lua: integer helpers shared by the algorithms. Lua numbers are
-- doubles, exact for integers up to 2^53; every value here (microseconds
-- since the epoch, burst·duration) stays below that bound. Division is
-- corrected so that it is exact, not merely rounded.

-- floor_div is ⌊a/b⌋ for b > 0.
local function floor_div(a, b)
  local q = math.floor(a / b)
  if q * b > a then
    q = q - 1
  elseif (q + 1) * b <= a then
    q = q + 1
  end
  return q
end

-- ceil_div is ⌈a/b⌉ for b > 0 (Go: ceilDiv).
local function ceil_div(a, b)
  return -floor_div(-a, b)
end

-- floor_mod is a mod b in [0, b) for b > 0 (Go: floorMod).
local function floor_mod(a, b)
  return a - floor_div(a, b) * b
end

-- int renders an integer exactly (tostring would print %.14g).
local function int(x)
  return string.format('%d', x)
end

-- decode_state parses a string state of words (1 or 2) integers: "a" or
-- "a b". It returns nil for no value.
local function decode_state(v, words)
  if not v then
    return nil
  end
  if words == 1 then
    return tonumber(v)
  end
  local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')
  return tonumber(a), tonumber(b)
end

-- encode_state is decode_state's inverse.
local function encode_state(a, b, words)
  if words == 1 then
    return string.format('%d', a)
  end
  return string.format('%d %d', a, b)
end
