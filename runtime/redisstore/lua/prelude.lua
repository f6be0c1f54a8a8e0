-- prelude.lua: constants every part of a script shares. The dispatcher is
-- assembled as prelude, common, state, every algorithm's bodies wrapped in
-- functions, the decide, commit and cancel that run them by number, then
-- dispatch; an algorithm's own script as prelude, common, then single
-- around the algorithm's body (see script.go).

local REASON_QUOTA = 1    -- runtime.ReasonQuota
local REASON_DEADLINE = 5 -- runtime.ReasonDeadline
local REASON_COST = 6     -- runtime.ReasonCost
local TTL_SLACK_MS = 0    -- set by dispatch; > 0 only when the caller passed "now"
