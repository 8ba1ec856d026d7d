-- The installation's stable id, written once: a fresh store gets it here, and a store migrated
-- from an older release gets it on its next open. Signed provenance names it as the builder
-- (`urn:crucible:installation:<id>`), and `crucible verify` checks a statement against it.
INSERT INTO installation (id)
SELECT 'inst_' || replace(gen_random_uuid()::text, '-', '')
WHERE NOT EXISTS (SELECT 1 FROM installation);
