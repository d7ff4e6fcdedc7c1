-- wrk script: POSTs Twilio-signed webhook bodies read from a data file written by
-- bench/webhooks.py, one "<signature> <form body>" per line. The lines are split between
-- threads so that no two requests carry the same CallSid; a thread that runs out of lines
-- starts over and counts a wrap (replayed calls take a cheaper path in the app). Answers
-- other than 200, and 200s without a TwiML <Response>, are counted: the bench fails on any.
-- Usage: wrk -s bench/signed.lua URL -- DATA_FILE THREADS
-- done() prints one line: BENCH_JSON {...} with latency percentiles in microseconds.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  requests_ready = {}
  non200 = 0
  not_twiml = 0
  wraps = 0
  index = 0
  local line_number = 0
  for line in io.lines(path) do
    if line_number % count == id then
      local signature, body = line:match("^(%S+) (%S+)$")
      local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }
      table.insert(requests_ready, wrk.format("POST", nil, headers, body))
    end
    line_number = line_number + 1
  end
  if #requests_ready == 0 then
    error("no request lines for thread " .. id .. " in " .. path)
  end
end

function request()
  index = index + 1
  if index > #requests_ready then
    index = 1
    wraps = wraps + 1
  end
  return requests_ready[index]
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif not body:find("<Response>", 1, true) then
    not_twiml = not_twiml + 1
  end
end

function done(summary, latency, requests)
  local bad, untwiml, wrapped = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    untwiml = untwiml + thread:get("not_twiml")
    wrapped = wrapped + thread:get("wraps")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, "not_twiml": %d, '
    .. '"wraps": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, bad, untwiml, wrapped,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
