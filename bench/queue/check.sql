-- What the entries must be, as one row of numbers (psql -At -F ' '):
--   entries  users  numbered  first_line  last_line  distinct_lines  invariant_violations
-- after phase 1: entries = users = the number of users; after the polls
-- (which move the line) also numbered = distinct_lines = last_line = users,
-- first_line = 1.
SELECT count(*) AS entries,
       count(DISTINCT e.user_id) AS users,
       count(e.line) AS numbered,
       coalesce(min(e.line), 0) AS first_line,
       coalesce(max(e.line), 0) AS last_line,
       count(DISTINCT e.line) AS distinct_lines,
       (SELECT count(*) FROM boxoffice.check_invariants()) AS invariant_violations
  FROM boxoffice.queue_entries e
 WHERE e.performance_id = (SELECT performance_id FROM bench_queue.layout);
