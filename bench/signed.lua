-- wrk script: POSTs Twilio-signed webhooks read from a data file written by the bench, one
-- "<signature> <path?query> <form body>" per line. The lines are split between threads so that
-- no request is sent twice; a thread that runs out of lines starts over, and every request it
-- sends again is counted as replayed (a replayed step takes a cheaper path in the app).
-- Each answer gets a cheap check: HTTP 200, an XML content type, a body that opens a
-- <Response> and ends it. Also counted: <Leave> (a waiting caller sent to overflow), <Dial>
-- (routing put a caller through to someone), and the apology of an internal error (MARKER).
-- Usage: wrk -s bench/signed.lua URL -- DATA_FILE THREADS MARKER
-- done() prints one line: BENCH_JSON {...} with latency percentiles in microseconds.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  marker = args[3] or ""
  requests_ready = {}
  non200, not_twiml, leaves, dials, apologies = 0, 0, 0, 0, 0
  replayed = 0
  wrapped = false
  index = 0
  local line_number = 0
  for line in io.lines(path) do
    if line_number % count == id then
      local signature, target, body = line:match("^(%S+) (%S+) (%S+)$")
      if not signature then
        error("bad line " .. (line_number + 1) .. " in " .. path)
      end
      local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }
      table.insert(requests_ready, wrk.format("POST", target, headers, body))
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
    wrapped = true
  end
  if wrapped then
    replayed = replayed + 1
  end
  return requests_ready[index]
end

local function is_twiml(headers, body)
  local kind = headers["Content-Type"] or headers["content-type"] or ""
  if not kind:find("xml", 1, true) or not body:find("<Response", 1, true) then
    return false
  end
  return body:sub(-24):find("</Response>", 1, true) ~= nil
      or body:find("<Response%s*/>%s*$") ~= nil
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    return
  end
  if not is_twiml(headers, body) then
    not_twiml = not_twiml + 1
  end
  if body:find("<Leave", 1, true) then leaves = leaves + 1 end
  if body:find("<Dial", 1, true) then dials = dials + 1 end
  if marker ~= "" and body:find(marker, 1, true) then apologies = apologies + 1 end
end

function done(summary, latency, requests)
  local totals = {non200 = 0, not_twiml = 0, leaves = 0, dials = 0, apologies = 0, replayed = 0}
  for _, thread in ipairs(threads) do
    for name, value in pairs(totals) do
      totals[name] = value + thread:get(name)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, '
    .. '"not_twiml": %d, "leaves": %d, "dials": %d, "apologies": %d, "replayed": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, totals.non200, totals.not_twiml,
    totals.leaves, totals.dials, totals.apologies, totals.replayed,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
