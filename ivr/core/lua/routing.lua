-- Queue entries, agent presence and routing, changed atomically in Redis.
--
-- One library, prepended to each script of ivr/queue.py and ivr/centre/agents.py, so that every
-- change of a waiting caller or of an agent's presence, and every reservation of one for the
-- other, is one Lua call: two web processes, two workers or two agents freed at the same
-- instant can never give one caller two agents or one agent two callers.
--
-- Keys (the names match the constants of ivr/queue.py and ivr/centre/agents.py):
--   ivr:q:e:<entry>          hash   a caller (or callback) in a queue: state, place, reservation
--   ivr:q:line:<queue>       zset   entries waiting, by priority then arrival (the score)
--   ivr:q:pending            zset   entries reserved or ringing an agent, by deadline (ms)
--   ivr:q:seq                int    reservation ids
--   ivr:q:handled:<queue>    list   recent handle times (s), newest first, for wait estimates
--   ivr:q:left:<queue>       list   the recent callers who left the line, newest first:
--                                   "<ms waited>:<1 hung up | 0 answered or sent on>"
--   ivr:q:finished           list   entries done, not yet written as call records
--   ivr:agent:<id>           hash   an agent: roster fields and presence
--   ivr:agents:avail:<skill> zset   available agents of a skill, by idle-since (ms)
--   ivr:agents:staffed:<skill> set  agents of a skill who are signed in (not offline)
--   ivr:agents:wrapup        zset   agents in wrap-up, by its end (ms)
--
-- Entry states: joining (in the line, not yet heard waiting), waiting, reserved (an agent is
-- held for it, the call is being taken out of Twilio's queue), connecting (the agent's phone
-- rings), bridged, overflow (must leave the queue: reason), held (the caller asks for a
-- callback: their place is kept for it, nobody is routed to them), deferred (a callback out
-- of its line until it is due again), done (outcome).
-- A callback waits as an entry of its own (kind=callback, id cb-<callback id>); see the
-- callbacks section at the end and callbacks/store/.
-- Agent states: offline, available, ringing, busy, wrapup, break.

local E = 'ivr:q:e:'
local LINE = 'ivr:q:line:'
local PENDING = 'ivr:q:pending'
local SEQ = 'ivr:q:seq'
local HANDLED = 'ivr:q:handled:'
local A = 'ivr:agent:'
local AVAIL = 'ivr:agents:avail:'
local STAFFED = 'ivr:agents:staffed:'
local WRAPUP = 'ivr:agents:wrapup'
local FINISHED = 'ivr:q:finished'
local HANDLED_KEEP = 200
local LEFT = 'ivr:q:left:'
local LEFT_KEEP = 200
local SCAN = 50

local function split(text)
  local parts = {}
  for part in string.gmatch(text or '', '[^,]+') do parts[#parts + 1] = part end
  return parts
end

local function skills_of(agent)
  return split(redis.call('HGET', A .. agent, 'skills'))
end

-- presence --------------------------------------------------------------------------------

local function make_available(agent, since)
  local key = A .. agent
  redis.call('HSET', key, 'state', 'available', 'since', since, 'reason', '', 'entry', '',
             'wrap_until', '')
  redis.call('ZREM', WRAPUP, agent)
  for _, skill in ipairs(skills_of(agent)) do
    redis.call('ZADD', AVAIL .. skill, since, agent)
    redis.call('SADD', STAFFED .. skill, agent)
  end
end

local function not_available(agent)
  for _, skill in ipairs(skills_of(agent)) do redis.call('ZREM', AVAIL .. skill, agent) end
end

-- offline, break, busy, ringing, wrapup: out of the available sets; only offline is unstaffed
local function make_state(agent, state, now, reason)
  not_available(agent)
  if state ~= 'wrapup' then redis.call('ZREM', WRAPUP, agent) end
  redis.call('HSET', A .. agent, 'state', state, 'since', now, 'reason', reason or '')
  for _, skill in ipairs(skills_of(agent)) do
    if state == 'offline' then
      redis.call('SREM', STAFFED .. skill, agent)
    else
      redis.call('SADD', STAFFED .. skill, agent)
    end
  end
end

local function start_wrapup(agent, now, seconds)
  if seconds <= 0 then
    make_available(agent, now)
    return
  end
  local ends = now + seconds * 1000
  make_state(agent, 'wrapup', now, '')
  redis.call('HSET', A .. agent, 'wrap_until', ends, 'entry', '')
  redis.call('ZADD', WRAPUP, ends, agent)
end

-- wrap-ups that have ended make their agents available, idle since the end of the wrap-up
local function promote_wrapups(now)
  local ended = redis.call('ZRANGEBYSCORE', WRAPUP, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 50)
  for i = 1, #ended, 2 do
    local agent = ended[i]
    if redis.call('HGET', A .. agent, 'state') == 'wrapup' then
      make_available(agent, ended[i + 1])
    else
      redis.call('ZREM', WRAPUP, agent)
    end
  end
end

-- entries ---------------------------------------------------------------------------------

-- back to its own place in its line (its score never changes)
local function requeue(entry)
  local key = E .. entry
  local queue, score = unpack(redis.call('HMGET', key, 'queue', 'score'))
  redis.call('ZADD', LINE .. queue, score, entry)
  redis.call('HSET', key, 'state', 'waiting', 'agent', '', 'res', '')
  redis.call('ZREM', PENDING, entry)
end

-- the agent held for an entry goes back to available, if it is still held for that entry
local function free_agent(agent, entry, now)
  if agent and agent ~= '' then
    local state, held = unpack(redis.call('HMGET', A .. agent, 'state', 'entry'))
    if state == 'ringing' and held == entry then make_available(agent, now) end
  end
end

-- a reservation that did not connect: the caller keeps their place, the agent is free again
local function release(entry, now)
  local state, agent = unpack(redis.call('HMGET', E .. entry, 'state', 'agent'))
  if state ~= 'reserved' and state ~= 'connecting' then return false end
  requeue(entry)
  free_agent(agent, entry, now)
  return true
end

-- the caller has left the queue for good; ivr/centre/records.py takes the entry from FINISHED
local function finish(entry, outcome, now)
  local key = E .. entry
  local queue = redis.call('HGET', key, 'queue')
  if queue then redis.call('ZREM', LINE .. queue, entry) end
  redis.call('ZREM', PENDING, entry)
  redis.call('HSET', key, 'state', 'done', 'outcome', outcome, 'left', now)
  redis.call('RPUSH', FINISHED, entry)
end

-- a caller leaves the line: answered, sent on (overflow, callback) or hung up (`gone`); their
-- patience is estimated from these (ivr/waits.py). Callbacks and simulated calls never hang up.
local function note_left(entry, now, gone)
  local kind, trial, queue, enq = unpack(redis.call('HMGET', E .. entry, 'kind', 'trial', 'queue',
                                                    'enq'))
  if kind == 'callback' or trial == '1' or not queue or not enq then return end
  local waited = math.max(0, now - tonumber(enq))
  redis.call('LPUSH', LEFT .. queue, string.format('%d:%d', waited, gone and 1 or 0))
  redis.call('LTRIM', LEFT .. queue, 0, LEFT_KEEP - 1)
end

-- reservations past their deadline (a web process or worker died, Twilio never came back)
local function sweep(now)
  local late = redis.call('ZRANGEBYSCORE', PENDING, '-inf', now, 'LIMIT', 0, 50)
  for _, entry in ipairs(late) do
    if not release(entry, now) then redis.call('ZREM', PENDING, entry) end
  end
end

-- routing ---------------------------------------------------------------------------------

-- Give the first waiting entries of `queue` (priority, then arrival) the longest-idle available
-- agents of `skill`. An entry of an agency waits `agency_first` ms for its own agency's agents.
-- Appends {entry, agent, reservation, call sid} to `out` for each reservation made.
local function match(queue, skill, agency_first, now, grace, out)
  local line, avail = LINE .. queue, AVAIL .. skill
  while redis.call('ZCARD', avail) > 0 do
    local entries = redis.call('ZRANGE', line, 0, SCAN - 1)
    if #entries == 0 then break end
    local agents = redis.call('ZRANGE', avail, 0, SCAN - 1)
    local chosen_entry, chosen_agent
    for _, entry in ipairs(entries) do
      local state, agency, enq, trial = unpack(redis.call('HMGET', E .. entry, 'state', 'agency',
                                                         'enq', 'trial'))
      if not state then
        redis.call('ZREM', line, entry)  -- expired with its call
      elseif state == 'waiting' and trial ~= '1' then  -- a simulated call is never routed
        local only = nil
        if agency_first > 0 and agency and agency ~= '' and now - tonumber(enq) < agency_first then
          only = agency
        end
        for _, agent in ipairs(agents) do
          if only == nil or redis.call('HGET', A .. agent, 'agency') == only then
            chosen_entry, chosen_agent = entry, agent
            break
          end
        end
        if chosen_entry then break end
      end
    end
    if not chosen_entry then break end
    local res = tostring(redis.call('INCR', SEQ))
    redis.call('ZREM', line, chosen_entry)
    redis.call('HSET', E .. chosen_entry, 'state', 'reserved', 'agent', chosen_agent, 'res', res)
    redis.call('ZADD', PENDING, now + grace, chosen_entry)
    not_available(chosen_agent)
    redis.call('HSET', A .. chosen_agent, 'state', 'ringing', 'since', now, 'entry', chosen_entry,
               'reason', '')
    out[#out + 1] = {chosen_entry, chosen_agent, res, redis.call('HGET', E .. chosen_entry, 'sid')}
  end
  return out
end

-- Routing of every queue given in ARGV from index `first`: triples (queue, skill, agency_first ms),
-- after promoting ended wrap-ups and releasing late reservations.
local function route_all(first, now, grace)
  promote_wrapups(now)
  sweep(now)
  local out = {}
  for i = first, #ARGV, 3 do
    match(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), now, grace, out)
  end
  return out
end

-- callbacks ---------------------------------------------------------------------------------
-- callbacks/store/ changes a callback and its entry in one script, through these.

-- is `entry` held for reservation `res`, its client not yet put through?
local function reserved_for(entry, res)
  local state, held = unpack(redis.call('HMGET', E .. entry, 'state', 'res'))
  return state == 'reserved' and held == res
end

-- a callback takes its place in its line: its entry is (re)written from `fields` (pairs),
-- waiting for the next free agent; false when it is being put through already
local function join_callback(entry, queue, score, ttl, fields)
  local key = E .. entry
  local state = redis.call('HGET', key, 'state')
  if state == 'reserved' or state == 'connecting' or state == 'bridged' then return false end
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(fields))
  redis.call('HSET', key, 'kind', 'callback', 'queue', queue, 'score', score, 'state', 'waiting')
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', LINE .. queue, score, entry)
  return true
end

-- the place a caller hands to their callback (its score), or false: a caller who pressed the
-- callback key (held; their entry is then done, outcome 'callback') or who left for overflow
local function hand_place(entry, now)
  local state, score, outcome = unpack(redis.call('HMGET', E .. entry, 'state', 'score',
                                                  'outcome'))
  if state == 'held' then
    finish(entry, 'callback', now)
    return score
  end
  if state == 'overflow' or (state == 'done' and outcome == 'overflow') then return score end
  return false
end

-- a callback's reservation must outlast the ringing of its client's phone
local function extend(entry, res, deadline)
  if reserved_for(entry, res) then redis.call('ZADD', PENDING, deadline, entry) end
end

-- a callback leaves its line until it is due again; the agent held for it is freed
local function withdraw(entry, now)
  local key = E .. entry
  local state, agent, queue = unpack(redis.call('HMGET', key, 'state', 'agent', 'queue'))
  if not state or state == 'done' then return end
  if queue then redis.call('ZREM', LINE .. queue, entry) end
  redis.call('ZREM', PENDING, entry)
  redis.call('HSET', key, 'state', 'deferred', 'agent', '', 'res', '')
  free_agent(agent, entry, now)
end

-- a callback is over (failed, cancelled): its entry is done, the agent held for it freed
local function drop(entry, outcome, now)
  local state, agent = unpack(redis.call('HMGET', E .. entry, 'state', 'agent'))
  if not state or state == 'done' then return end
  finish(entry, outcome, now)
  free_agent(agent, entry, now)
end

-- an entry's state, outcome and reservation ({false, false, false} when it is gone)
local function entry_state(entry)
  return redis.call('HMGET', E .. entry, 'state', 'outcome', 'res')
end
