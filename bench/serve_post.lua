-- wrk script: POST the multipart body in $BODY_FILE to /v1/predict; prints one JSON line at the end.
-- $STOP_AFTER (per thread, optional): stop each thread after that many responses.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*all")
f:close()
wrk.method = "POST"
wrk.path = "/v1/predict"
wrk.body = body
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. os.getenv("BOUNDARY")

local stop_after = tonumber(os.getenv("STOP_AFTER") or "0")
local seen = 0
response = function(status, headers, body)
  seen = seen + 1
  if stop_after > 0 and seen >= stop_after then wrk.thread:stop() end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %.2f, "rps": %.2f, "p50_ms": %.1f, "p99_ms": %.1f, "socket_errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
