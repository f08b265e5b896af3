-- V0012 — one attachment row per stored object.
-- Spec: 17 §17.2 (objects are never overwritten; deleting an attachment deletes its object),
-- 01 §3.10. docs/attachments.md.
--
-- Deleting an attachment now deletes its object in S3 after the row is gone (the reference
-- leaves it). That is only safe when no other row names the same object: uploads and copies
-- always write a new key, and this index makes it a rule. It also serves the retention sweep
-- that looks up objects by key to find orphans.
CREATE UNIQUE INDEX signals_attachment_file_key ON signals_attachment (file);
