-- The audit chain appended in one round trip (issue 20): take the chain's lock, read its head,
-- link and hash the transaction's rows and insert them, in one call. Before, the head came back
-- to the server, which hashed the rows and sent them in a second statement, and every writer
-- waited on the lock for that extra round trip.
--
-- A row's hash is SHA-256 (lowercase hex) of a JSON array of its fields as strings: seq,
-- occurred_at in microseconds since the epoch, actor, actor_participant_id ('' for none),
-- action, object_type, object_id, diff, request_id, prev_hash, with no spaces. PostgreSQL's
-- to_json of a text escapes exactly as the server's canonical JSON does (checked for every
-- ASCII character and for non-ASCII ones by the tests); `AuditLog.verify` recomputes every
-- hash in Swift, so the two stay checked against each other.
--
-- A NULL lock key appends nothing and returns NULL: the caller's idempotency key was not
-- settled, and its transaction rolls back. audit_chain_head stays for instances still
-- running the previous version during an upgrade.
CREATE FUNCTION audit_chain_append(
    lock_key bigint, genesis text, actors text[], participants text[], actions text[], object_types text[],
    object_ids text[], diffs text[], request_ids text[]
) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head_seq bigint;
    previous text;
    micros bigint;
    occurred timestamptz;
    row_hash text;
BEGIN
    IF lock_key IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(lock_key);
    -- A fresh snapshot for this statement (READ COMMITTED, VOLATILE): it sees every append
    -- committed before the lock was granted.
    SELECT a.seq, a.hash INTO head_seq, previous FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    previous := coalesce(previous, genesis);
    micros := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    occurred := 'epoch'::timestamptz + micros * interval '1 microsecond';
    FOR i IN 1 .. coalesce(array_length(actions, 1), 0) LOOP
        head_seq := head_seq + 1;
        row_hash := encode(sha256(convert_to(
            '[' || to_json(head_seq::text)::text || ',' || to_json(micros::text)::text || ','
                || to_json(actors[i])::text || ',' || to_json(participants[i])::text || ','
                || to_json(actions[i])::text || ',' || to_json(object_types[i])::text || ','
                || to_json(object_ids[i])::text || ',' || to_json(diffs[i])::text || ','
                || to_json(request_ids[i])::text || ',' || to_json(previous)::text || ']',
            'UTF8')), 'hex');
        INSERT INTO audit_log (seq, occurred_at, actor, actor_participant_id, action, object_type, object_id, diff,
                               request_id, prev_hash, hash)
        VALUES (head_seq, occurred, actors[i], nullif(participants[i], '')::uuid, actions[i], object_types[i],
                object_ids[i], diffs[i], request_ids[i], previous, row_hash);
        previous := row_hash;
    END LOOP;
    RETURN head_seq;
END
$$
