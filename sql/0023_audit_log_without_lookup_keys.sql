-- The audit trail keeps only the indexes something reads by (issue 20). Nothing looks a row up
-- by its `id` or its `hash`: the chain is walked and verified in `seq` order, each row checked
-- against the one before it, and the admin's trail pages by `seq` too.
-- Both keys are random, so every append inserted into a random page of each index, and after
-- a checkpoint logged that page whole (measured in deploy/README.md, fourteenth round).
-- A hash stays unique in fact: it covers the row's `seq` and the hash before it.
-- The hash's key goes as the constraint the migrations made, or as a bare index where one was
-- rebuilt by hand.
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_hash_key
-- statement-break
DROP INDEX IF EXISTS audit_log_hash_key
-- statement-break
ALTER TABLE audit_log DROP COLUMN IF EXISTS id
