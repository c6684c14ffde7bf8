-- One decontaminated version's rows of the contamination report (the view's definition is
-- migrations/010_contamination_report.sql): per benchmark and generator, the rows removed and
-- what each detector fired on.
SELECT benchmark, generator_id, method, contaminated_rows, benchmark_items,
       array_to_string(
           list_transform(map_entries(by_detector), lambda e: e.key || ' ' || e.value), ', '
       ) AS detectors,
       judged, max_similarity
FROM contamination_report
WHERE version = $version
ORDER BY contaminated_rows DESC, benchmark, generator_id NULLS LAST
