-- lua/dnsoracle.lua - the dnsoracle hook for pdns-recursor 4.8 (LuaJIT).
--
-- In recursor.conf:   lua-dns-script=/usr/local/share/dnsoracle/dnsoracle.lua
--
-- Every query that misses the packet cache reaches preresolve(): the name is
-- judged (by the in-process engine, or by a round trip to dnsoracled, as
-- [hook] query says), and a bad name gets the configured action: NXDOMAIN
-- (default), REFUSED or Drop, logged with the client and query type.
-- Monitor mode only logs ("would block NAME (reason) from CLIENT qtype N",
-- and "would cut off DOMAIN (droplist)" once per domain the oracle cut off).
-- With query = local every name judged here is reported to the oracle with
-- its type and client, so that it can weigh each domain's
-- evidence and cut off a domain that acts as a channel; the cut comes back
-- as a published change of the lists within a second. Settings come from the
-- [hook] section of dnsoracle.conf ($DNSORACLE_CONF or
-- /etc/dnsoracle/dnsoracle.conf), so one file configures the whole product.
--
-- Each recursor thread runs its own copy of this script (its own Lua state):
-- its own connection to the oracle and verdict cache; the lists are one
-- read-only copy per process, shared by the threads.
-- The resolver never waits on the oracle for more than timeout_ms, and after
-- a timeout not at all for breaker_seconds: names then pass (fail = open,
-- the default) or are refused (fail = closed) until the oracle is back.
--
-- The hook's counters go to the recursor's own metrics (getMetric, 4.5 and
-- later): rec_control get-all lists them and the recursor's webserver
-- serves them at /metrics as pdns_recursor_dnsoracle_* (docs/metrics.md).
-- Metric objects are made once (a refusal reason's on its first refusal) and
-- shared by every thread; a refusal is one increment, the module's counters
-- are added in maintenance().

-- The module: $DNSORACLE_LUA_CPATH first (tests), then beside this script's
-- install prefix (PREFIX/share/dnsoracle/dnsoracle.lua ->
-- PREFIX/lib/lua/5.1/), then LuaJIT's own path.
local here = debug.getinfo(1, "S").source:match("^@(.*)/share/dnsoracle/[^/]*$")
if here then
    package.cpath = here .. "/lib/lua/5.1/?.so;" .. package.cpath
end
local cpath = os.getenv("DNSORACLE_LUA_CPATH")
if cpath and cpath ~= "" then
    package.cpath = cpath .. ";" .. package.cpath
end

local function log(level, msg)
    pdnslog("dnsoracle: " .. msg, level)
end

local loaded, oracle = pcall(require, "dnsoracle_c")
local h, err
if loaded then
    h, err = oracle.open(os.getenv("DNSORACLE_CONF"))
else
    err = tostring(oracle)
end
if not h then
    -- A broken hook must not take the resolver down: say why, let all pass.
    log(pdns.loglevels.Error, "disabled, every query passes: " .. tostring(err))
end

local S = h and h:settings() or {}
local now = os.time()

-- The recursor's metrics; without a recursor (tests/integration/
-- test_module.sh runs this in plain LuaJIT) nothing is counted.
local function metric(name)
    if type(getMetric) == "function" then
        return getMetric(name)
    end
    return { inc = function() end, incBy = function() end }
end

-- h:stats() key -> metric, added as deltas in maintenance().
local published = {
    judged = metric("dnsoracle-judged"),
    asked = metric("dnsoracle-asked"),
    timeouts = metric("dnsoracle-oracle-timeouts"),
    breaker_skips = metric("dnsoracle-breaker-skips"),
    report_dropped = metric("dnsoracle-reports-dropped"),
}
local published_last = {}
local breaker_open_seconds = metric("dnsoracle-breaker-open-seconds")
local breaker_checked = now

-- Refusals by reason ("charset:non-ldh" -> dnsoracle-refused-charset-non-ldh);
-- in monitor mode, the names that would have been refused.
local refused = {}
local function count_refused(reason)
    local m = refused[reason]
    if not m then
        m = metric("dnsoracle-refused-" .. reason:gsub("[^%w]+", "-"))
        refused[reason] = m
    end
    m:inc()
end

local function publish()
    local st = h:stats()
    for k, m in pairs(published) do
        local d = st[k] - (published_last[k] or 0)
        if d > 0 then
            m:incBy(d)
        end
        published_last[k] = st[k]
    end
    -- thread-seconds with the breaker open: its rate is the threads that
    -- do not ask the oracle
    if st.breaker_open and now > breaker_checked then
        breaker_open_seconds:incBy(now - breaker_checked)
    end
    breaker_checked = now
end

-- The verdict cache: two generations of at most cache_size/2 names each, so
-- it is bounded without bookkeeping; an entry also expires after
-- cache_seconds. Answers given while the oracle is away are not cached.
local cache_new, cache_old, cache_n = {}, {}, 0
local half = math.max(1, math.floor((S.cache_size or 0) / 2))

local function cache_get(q)
    local e = cache_new[q] or cache_old[q]
    if e and e[3] > now then
        return e
    end
    return nil
end

local function cache_put(q, good, reason)
    if (S.cache_size or 0) == 0 then
        return
    end
    if cache_n >= half then
        cache_old, cache_new, cache_n = cache_new, {}, 0
    end
    cache_new[q] = { good, reason, now + S.cache_seconds }
    cache_n = cache_n + 1
end

-- Rate-limited logging of what was blocked (per thread and second).
-- Returns true when the line was written.
local logged_second, logged, suppressed = 0, 0, 0
-- Logs "WHAT NAME (REASON)", and for a query "from CLIENT qtype N" after
-- it: the client address tells the operator which host to look at.
local function log_blocked(q, reason, what, dq)
    if now ~= logged_second then
        if suppressed > 0 then
            log(pdns.loglevels.Warning, suppressed .. " more bad names not logged")
        end
        logged_second, logged, suppressed = now, 0, 0
    end
    if logged < S.log_per_second then
        logged = logged + 1
        local from = ""
        if dq then
            -- the client as [events] client keeps it: full, its network, or "-"
            from = " from " .. oracle.client(dq.remoteaddr:toString(), S.events_client) ..
                " qtype " .. dq.qtype
        end
        log(pdns.loglevels.Warning, what .. " " .. q .. " (" .. reason .. ")" .. from)
        return true
    end
    suppressed = suppressed + 1
    return false
end

-- Monitor mode: a cut-off domain (on the drop list) is logged once per
-- registrable domain, not once per name (a tunnel asks thousands). The
-- table of domains already logged is bounded: cleared past 1000 entries.
local cut_logged, cut_logged_n = {}, 0
local function log_cut(q)
    local d = h:registrable(q) or q
    if cut_logged[d] then
        return
    end
    if log_blocked(d, "droplist", "would cut off") then
        if cut_logged_n >= 1000 then
            cut_logged, cut_logged_n = {}, 0
        end
        cut_logged[d] = true
        cut_logged_n = cut_logged_n + 1
    end
end

-- good, reason for the query dq, whose name is q (presentation form, no
-- final dot).
local function verdict(q, dq)
    local e = cache_get(q)
    if e then
        -- A name answered from this cache was judged, and reported to the
        -- oracle, at most cache_seconds ago: it is not reported again. The
        -- oracle counts distinct names per domain, so a repeat adds nothing
        -- ("not seen recently" is the domain layer's rule). A refusal is
        -- still an event (which host asked, how often), reported as one only.
        if not e[1] then
            h:refused(q, dq.qtype, dq.remoteaddr:toString(), e[2])
        end
        return e[1], e[2]
    end
    local good, reason
    if S.query == "local" then
        -- judge() also queues the name for a report with its type, the
        -- client's address (a ComboAddress; toString() gives it without the
        -- port) and its evidence; maintenance() flushes the queue. The
        -- address is made into text only here, on a cache miss.
        good, reason = h:judge(q, dq.qtype, dq.remoteaddr:toString())
    else
        -- query = oracle: the oracle judges, and observes, the names asked
        -- (ask() settles a name the lists cover without asking, as the
        -- oracle would), and keeps its refusals as events (without the
        -- client: the verdict protocol carries only the name). A refusal
        -- the lists settled here is reported as an event with the client.
        good, reason = h:ask(q)
        if good == false and reason ~= "oracle" then
            h:refused(q, dq.qtype, dq.remoteaddr:toString(), reason)
        end
        if good == nil then
            -- The oracle is away (reason: timeout, breaker...).
            return S.fail == "open", "oracle " .. reason
        end
    end
    cache_put(q, good, reason)
    return good, reason
end

-- The lists: one copy per recursor process, kept in step with the oracle's
-- published changes by whichever thread calls h:sync() first (the module's
-- lua/listsync.h). Each thread then forgets the cached verdicts a change
-- touches: the domain and the names under it, or everything after a
-- snapshot (start, restart of the oracle, a gap), never on every change.
local function forget(changed)
    if changed == true then
        cache_new, cache_old, cache_n = {}, {}, 0
        return
    end
    local set = {}
    for _, d in ipairs(changed) do
        set[d] = true
    end
    for _, c in ipairs({ cache_new, cache_old }) do
        for q in pairs(c) do
            local hit, at = set[q], q:find(".", 1, true)
            while not hit and at do
                hit = set[q:sub(at + 1)]
                at = q:find(".", at + 1, true)
            end
            if hit then
                c[q] = nil
            end
        end
    end
end

local function sync(budget_ms)
    local changed, line = h:sync(budget_ms)
    if changed then
        forget(changed)
    end
    if line then
        log(pdns.loglevels.Warning, line ..
            (S.curve == "yes" and line:find("does not answer", 1, true) and
             " (CURVE: is our public key in the oracle's curve_clients, and" ..
             " curve_server_key the oracle's key?)" or ""))
    end
end

if h then
    sync(1000) -- the first snapshot, or its first chunks (the rest in maintenance)
    log(pdns.loglevels.Info, string.format(
        "loaded: config %s, oracle %s (CURVE %s), query %s, mode %s, action %s, timeout %d ms, fail %s",
        S.config_path, S.endpoint, S.curve, S.query, S.mode, S.action, S.timeout_ms, S.fail))
end

function preresolve(dq)
    if not h then
        return false
    end
    now = os.time()
    sync(0) -- at most every 50 ms, never waits: changes apply on the next query
    local q = dq.qname:toStringNoDot()
    if q == "" then
        return false -- the root name (toStringNoDot gives "" for it)
    end
    local good, reason = verdict(q, dq)
    if good then
        return false
    end
    count_refused(reason)
    if S.mode == "monitor" then
        if reason == "droplist" then
            log_cut(q)
        else
            log_blocked(q, reason, "would block", dq)
        end
        return false
    end
    log_blocked(q, reason, S.action, dq)
    -- Not for the recursor's packet cache: an unlist or an allow must
    -- answer the name again at once, not after the cached refusal expires.
    dq.variable = true
    if S.action == "drop" then
        -- pdns.DROP does not drop in 4.8: the policy kind does.
        dq.appliedPolicy.policyKind = pdns.policykinds.Drop
        return false
    end
    dq.rcode = S.action == "refused" and pdns.REFUSED or pdns.NXDOMAIN
    return true
end

function maintenance()
    if not h then
        return
    end
    now = os.time()
    h:flush()
    sync(100)
    publish()
end
