-- Between the phases, as the owner: each user's token, as enter_queue gave
-- it (the same entry always has the same token).
\set ON_ERROR_STOP on
INSERT INTO bench_queue.tokens (n, user_id, token)
SELECT e.user_id - l.first_user + 1, e.user_id, boxoffice._queue_token(e.id, e.token_secret)
  FROM boxoffice.queue_entries e, bench_queue.layout l
 WHERE e.performance_id = l.performance_id;
VACUUM ANALYZE bench_queue.tokens;
