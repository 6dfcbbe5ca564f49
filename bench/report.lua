-- wrk script: print one JSON line with the figures the bench records.
-- wrk counts as status errors the responses >= 400; bench.py checks with curl that
-- each target answers 200 before it loads it, so no 3xx hides among the successes.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
