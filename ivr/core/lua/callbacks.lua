-- Callback records and their state machine, changed atomically in Redis.
--
-- Prepended, after routing.lua, to each script of callbacks/store/, so that a callback
-- and its entry in a queue's line (routing.lua's join_callback, withdraw, drop) change in one
-- step: two requests, two workers, a job run twice or a webhook repeated always find one
-- consistent state.
--
-- Keys (the names match the constants of callbacks/store/records.py):
--   ivr:cb:r:<id>          hash   a callback: state, client, number, queue, place, attempts...
--   ivr:cb:h:<id>          list   its history, JSON {at, state, reason}, oldest first
--   ivr:cb:seq             int    callback ids
--   ivr:cb:open            zset   callbacks not over yet, by creation (ms)
--   ivr:cb:sched           zset   scheduled callbacks, by when they are due (ms)
--   ivr:cb:jobless         zset   '<id>:<due ms>' of scheduled callbacks whose RQ job is yet
--                                 to be made (by a worker, off the request's path), by due
--   ivr:cb:watch           zset   callbacks dialling or connected, by when to check them (ms)
--   ivr:cb:ready           zset   '<id>:<reservation>' of callbacks an agent is held for, yet
--                                 to be dialled by a placer job, by when they were held (ms)
--   ivr:cb:placer          string set while a placer job is on its way (expires)
--   ivr:cb:failed          zset   failed callbacks, for agents to follow up, by failure (ms)
--   ivr:cb:done            zset   completed and cancelled callbacks, by end (ms)
--   ivr:cb:client:<id>     string the pending callback of a client
--   ivr:cb:number:<e164>   string the pending callback of a number
--   ivr:cb:cap:<day>:<e164> int   requests for a number that day (expires)
--
-- States: requested -> scheduled (closed: due at the next opening) or due (in its queue's line);
-- scheduled -> due; due -> dialling (an agent is held, the client's phone rings) or scheduled
-- (closed meanwhile); dialling -> connected (the client pressed 1), scheduled (busy, no answer,
-- no key: retried later) or failed (no attempt left); connected -> completed, or due (the agent
-- did not answer: back at its place). requested, scheduled, due -> cancelled.

local CB = 'ivr:cb:r:'
local CB_HISTORY = 'ivr:cb:h:'
local CB_SEQ = 'ivr:cb:seq'
local CB_OPEN = 'ivr:cb:open'
local CB_SCHED = 'ivr:cb:sched'
local CB_JOBLESS = 'ivr:cb:jobless'
local CB_WATCH = 'ivr:cb:watch'
local CB_READY = 'ivr:cb:ready'
local CB_PLACER = 'ivr:cb:placer'
local CB_FAILED = 'ivr:cb:failed'
local CB_DONE = 'ivr:cb:done'
local CB_CLIENT = 'ivr:cb:client:'
local CB_NUMBER = 'ivr:cb:number:'
local CB_KEEP = 30 * 86400  -- seconds a callback is kept once over
local CB_HISTORY_KEEP = 50
local CB_PENDING = {requested = true, scheduled = true, due = true, dialling = true,
                    connected = true}

local function cb_entry(id)
  return 'cb-' .. id
end

local function cb_note(id, state, now, reason)
  redis.call('HSET', CB .. id, 'state', state, 'updated', now, 'reason', reason or '')
  redis.call('RPUSH', CB_HISTORY .. id,
             cjson.encode({at = now, state = state, reason = reason or ''}))
  redis.call('LTRIM', CB_HISTORY .. id, -CB_HISTORY_KEEP, -1)
end

-- the pending callback an index names, or false (the index may outlive its callback)
local function cb_pending(index)
  local id = redis.call('GET', index)
  if id and CB_PENDING[redis.call('HGET', CB .. id, 'state') or ''] then return id end
  return false
end

local function cb_index(id, client, number)
  if client and client ~= '' then redis.call('SET', CB_CLIENT .. client, id) end
  redis.call('SET', CB_NUMBER .. number, id)
end

local function cb_unindex(id)
  local client, number = unpack(redis.call('HMGET', CB .. id, 'client_id', 'number'))
  if client and client ~= '' and redis.call('GET', CB_CLIENT .. client) == id then
    redis.call('DEL', CB_CLIENT .. client)
  end
  if number and redis.call('GET', CB_NUMBER .. number) == id then
    redis.call('DEL', CB_NUMBER .. number)
  end
end

-- the end of a callback: completed, failed (kept in sight of agents) or cancelled
local function cb_end(id, state, now, reason)
  cb_note(id, state, now, reason)
  cb_unindex(id)
  for _, key in ipairs({CB_OPEN, CB_SCHED, CB_WATCH}) do redis.call('ZREM', key, id) end
  redis.call('ZADD', state == 'failed' and CB_FAILED or CB_DONE, now, id)
  redis.call('EXPIRE', CB .. id, CB_KEEP)
  redis.call('EXPIRE', CB_HISTORY .. id, CB_KEEP)
end

-- what the callback's entry in the line shows of it (agents' whisper, the board, records)
-- (a simulated call's callback is marked trial: routing never gives it an agent)
local function cb_entry_fields(id, now)
  local f = redis.call('HMGET', CB .. id, 'client_id', 'company', 'agency', 'contract', 'number',
                       'lang', 'version', 'skill', 'trial')
  return {'client_id', f[1] or '', 'company', f[2] or '', 'agency', f[3] or '',
          'contract', f[4] or '', 'caller', f[5] or '', 'lang', f[6] or '',
          'version', f[7] or '', 'skill', f[8] or '', 'trial', f[9] or '', 'callback', id,
          'sid', '', 'enq', now}
end

-- due now: the callback joins its queue's line at `score`
local function cb_make_due(id, now, score, ttl)
  local queue = redis.call('HGET', CB .. id, 'queue')
  redis.call('HSET', CB .. id, 'score', score, 'due', now, 'res', '')
  redis.call('ZREM', CB_SCHED, id)
  join_callback(cb_entry(id), queue, score, ttl, cb_entry_fields(id, now))
  cb_note(id, 'due', now, '')
end

-- scheduled: due at `at` (ms); RQ's scheduler wakes it then, with a job a worker makes from
-- ivr:cb:jobless (ivr:cb:sched is the safety net)
local function cb_schedule(id, now, at, reason)
  redis.call('HSET', CB .. id, 'due', at, 'res', '')
  redis.call('ZADD', CB_SCHED, at, id)
  redis.call('ZADD', CB_JOBLESS, at, id .. ':' .. at)
  redis.call('ZREM', CB_WATCH, id)
  cb_note(id, 'scheduled', now, reason)
end

-- cancelled: out of its line too (an agent held for it is freed)
local function cb_cancel(id, now, reason)
  drop(cb_entry(id), 'cancelled', now)
  cb_end(id, 'cancelled', now, reason)
end

-- placing -----------------------------------------------------------------------------------
-- callbacks/store/dialling.py (one callback) and ready.py (a batch) place through these.

-- Claim the dialling of a due callback for reservation `res`: {'dial', attempt} for the one
-- caller who must dial now; {'dialling', ''} when claimed already (never dial again);
-- {'stale', state} when nobody can use the reservation (its agent goes back to work).
local function cb_claim(id, res, now, watch, hold)
  local entry = cb_entry(id)
  local state, held = unpack(redis.call('HMGET', CB .. id, 'state', 'res'))
  if state == 'dialling' and held == res then return {'dialling', ''} end
  if state == 'connected' and held ~= res and reserved_for(entry, res) then
    -- reserved again: the agent of its last attempt did not answer (not settled yet)
    state = 'due'
    cb_note(id, 'due', now, 'the agent did not answer')
  end
  if redis.call('HGET', CB .. id, 'trial') == '1' then state = 'trial' end  -- never dialled
  if state ~= 'due' or not reserved_for(entry, res) then
    -- nobody can use this reservation: its agent goes back to work
    if reserved_for(entry, res) then
      if CB_PENDING[state or ''] then withdraw(entry, now) else drop(entry, 'stale', now) end
    end
    return {'stale', state or ''}
  end
  local attempt = redis.call('HINCRBY', CB .. id, 'attempts', 1)
  redis.call('HSET', CB .. id, 'res', res, 'dialled', now, 'call_sid', '')
  redis.call('ZADD', CB_WATCH, watch, id)
  extend(entry, res, hold)
  cb_note(id, 'dialling', now, 'attempt ' .. attempt)
  return {'dial', tostring(attempt)}
end

-- reached while its schedule is closed: out of its line (agent freed), due at `next_open`;
-- false when it is no longer due for that reservation
local function cb_closed(id, res, now, next_open)
  if redis.call('HGET', CB .. id, 'state') ~= 'due' or not reserved_for(cb_entry(id), res) then
    return false
  end
  withdraw(cb_entry(id), now)
  cb_schedule(id, now, next_open, 'closed')
  return true
end

-- note the CallSid of the call placed for reservation `res`
local function cb_dialled(id, res, sid)
  local state, held = unpack(redis.call('HMGET', CB .. id, 'state', 'res'))
  if held ~= res or (state ~= 'dialling' and state ~= 'connected') then return false end
  redis.call('HSET', CB .. id, 'call_sid', sid)
  return true
end
