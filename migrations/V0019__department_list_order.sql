-- V0019 — a department's list in list order without walking everyone else's signals.
-- Spec: 01 §9.3 (a department sees the signals of its categories and those routed to it),
-- 04 §2.1 (the list, newest first); docs/data-model.md "Department lists", docs/benchmarks.md.
--
-- A department's employee sees a few per cent of all signals. The list's page was one backward
-- walk of signals_signal_list_idx, testing each entry's category and routing: page 34 of a
-- department that sees 7,460 of 100,000 signals walked 22,800 entries (3 ms). The page is now a
-- merge of ordered runs, one per visible category and one per department the user belongs to
-- (`DepartmentMerge` in shared/infra/src/pg/signal_read.rs), each of which reads only entries
-- that are visible, so a page costs its offset plus its length, whatever the share.
--
--   signals_signal_current_category_created_idx gains the id (the list's second key, so that a
--     category's run is in list order straight from the index) and the copies the filters read
--     (as signals_signal_list_idx has them), so that a filtered run stays index-only.
--   signals_signal_routing holds the current routing departments of each signal, one row per
--     department, keyed in list order: the runs of the routed signals. The copy of the category
--     lets a run leave out what a category run already yields without a visit to the signal.
--     Kept by a trigger on signals_signal's current columns (V0016), in the same transaction.
--   signals_signal_count (V0017) gets an index on its category and a GIN index on its routing
--     departments, so that a department's count reads the keys it sees (1,340 of 13,020 for
--     the department above: 2.3 → 0.4 ms) instead of testing every key. A compaction changes
--     only `n`, which neither index holds, so its updates stay HOT (V0018).
DROP INDEX signals_signal_current_category_created_idx;
CREATE INDEX signals_signal_current_category_created_idx
    ON signals_signal (current_category_id, created_at, id)
    INCLUDE (current_state, current_main_category_id, current_priority, current_type,
             current_routing_department_ids);

CREATE INDEX signals_signal_count_category_idx ON signals_signal_count (current_category_id);
CREATE INDEX signals_signal_count_routing_gin
    ON signals_signal_count USING gin (current_routing_department_ids);

CREATE TABLE signals_signal_routing (
    department_id integer     NOT NULL,
    created_at    timestamptz NOT NULL,
    signal_id     integer     NOT NULL REFERENCES signals_signal (id) ON DELETE CASCADE,
    category_id   integer,
    PRIMARY KEY (department_id, created_at, signal_id)
);
CREATE INDEX signals_signal_routing_signal_idx ON signals_signal_routing (signal_id);

COMMENT ON TABLE signals_signal_routing IS
    'One row per department of signals_signal.current_routing_department_ids, with the signal''s '
    'created_at and current_category_id: the routed signals of a department in list order (01 §9.3). '
    'Kept by triggers (V0019); never written otherwise.';

CREATE FUNCTION signals_signal_routing_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.current_routing_department_ids IS NOT DISTINCT FROM OLD.current_routing_department_ids
       AND NEW.created_at = OLD.created_at THEN
        UPDATE signals_signal_routing SET category_id = NEW.current_category_id
        WHERE signal_id = NEW.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM signals_signal_routing WHERE signal_id = NEW.id;
    END IF;
    INSERT INTO signals_signal_routing (department_id, created_at, signal_id, category_id)
    SELECT DISTINCT d, NEW.created_at, NEW.id, NEW.current_category_id
    FROM unnest(NEW.current_routing_department_ids) AS d;
    RETURN NULL;
END
$$;

CREATE TRIGGER signals_signal_routing_insert
    AFTER INSERT ON signals_signal
    FOR EACH ROW WHEN (cardinality(NEW.current_routing_department_ids) > 0)
    EXECUTE FUNCTION signals_signal_routing_track();

CREATE TRIGGER signals_signal_routing_update
    AFTER UPDATE ON signals_signal
    FOR EACH ROW WHEN (NEW.current_routing_department_ids IS DISTINCT FROM OLD.current_routing_department_ids
                       OR NEW.current_category_id IS DISTINCT FROM OLD.current_category_id
                       OR NEW.created_at IS DISTINCT FROM OLD.created_at)
    EXECUTE FUNCTION signals_signal_routing_track();

INSERT INTO signals_signal_routing (department_id, created_at, signal_id, category_id)
SELECT DISTINCT d, s.created_at, s.id, s.current_category_id
FROM signals_signal s, unnest(s.current_routing_department_ids) AS d;
