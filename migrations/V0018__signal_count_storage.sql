-- V0018 — storage settings for the per-key signal counts of V0017, so that the list's count
-- keeps reading about as many pages as the tables have live rows.
-- Spec: 04 §2.1 (the exact `count`); docs/data-model.md "Signal counts", docs/benchmarks.md.
--
-- Both tables are small and rewritten all the time: every compaction deletes all deltas and
-- updates the counts of the keys they named. With PostgreSQL's defaults (vacuum after 20 % of
-- a table is dead, pages filled to 100 %) the dead versions pile up between vacuums, and the
-- count, which reads both tables whole, reads their dead pages too: measured on the 100,000
-- signals of bench/private-signals after seeding, 1,036 pages of counts for 148 pages of live
-- rows and 2,552 pages of deltas for 30 live rows (1.9 ms per count instead of 1.2 ms).
--
--   signals_signal_count: pages filled to 70 %, so that a compaction's update of a key's `n`
--     (no indexed column changes) finds room on the same page (a HOT update: no new index
--     entry, the old version pruned in place); vacuumed after 2 % (+ 200) of its rows changed.
--   signals_signal_count_delta: vacuumed after every 1,000 deleted or inserted rows whatever
--     its size, so that its trailing empty pages are truncated soon after a compaction.
ALTER TABLE signals_signal_count SET (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 200
);

ALTER TABLE signals_signal_count_delta SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 1000
);
