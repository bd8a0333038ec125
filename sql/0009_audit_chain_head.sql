-- The audit chain's head, read under the chain's lock in one round trip instead of two.
-- Every writer holds that lock from this read until it commits, so each round trip inside
-- it is paid by all writers in turn (make bench: writes were 5 % of pgbench's rate).
-- In READ COMMITTED a VOLATILE function takes a fresh snapshot for each statement it runs,
-- so the SELECT after the lock sees every append committed before the lock was granted.
CREATE FUNCTION audit_chain_head(lock_key bigint, genesis text)
RETURNS TABLE (head_seq bigint, head_hash text, now_micros bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
        SELECT coalesce((SELECT a.seq FROM audit_log a ORDER BY a.seq DESC LIMIT 1), 0::bigint),
               coalesce((SELECT a.hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1), genesis),
               (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
END
$$
