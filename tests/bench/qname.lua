-- tests/bench/qname.lua - a hook that only reads the query name, the
-- least any name-based hook must do (a yardstick in tests/bench/recursor.sh).
function preresolve(dq)
    local q = dq.qname:toStringNoDot()
    return q == nil
end
