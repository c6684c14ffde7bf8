-- Batches of a provider and server not yet collected that hold any of the requests given:
-- the ones a run must poll (or adopt, while `submitting`) instead of submitting again.
SELECT *
FROM batches
WHERE provider = $provider AND base_url = $base_url AND collected_at IS NULL
  AND len(list_intersect(request_hashes, $request_hashes::VARCHAR[])) > 0
ORDER BY submitted_at
