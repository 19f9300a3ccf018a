-- tests/e2e/trivial.lua - a Lua hook that does nothing: every query resolves
-- as without a hook. The baseline for the end-to-end tests.
function preresolve(dq)
    return false
end
