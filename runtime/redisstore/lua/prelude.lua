-- prelude.lua: constants every part of the script shares. The script is
-- assembled as prelude, common, the five algorithms, then dispatch.

local REASON_QUOTA = 1    -- runtime.ReasonQuota
local REASON_DEADLINE = 5 -- runtime.ReasonDeadline
local TTL_SLACK_MS = 0    -- set by dispatch; > 0 only when the caller passed "now"
