-- V0017 — exact counts of signals per combination of the current columns the back office's
-- list filters most, kept by triggers, so that the list's count does not read one index entry
-- per matching signal.
-- Spec: 04 §2.1 (filters, the exact `count` of the HAL page), 01 §9.3 (visibility);
-- docs/private-signals.md "Counting", docs/benchmarks.md (why).
--
-- A key is (current_state, current_category_id, current_main_category_id, current_priority,
-- current_type, source, current_routing_department_ids): the columns of signals_signal that the
-- list's status, category, main category, priority, type and source filters and the department
-- visibility rule read (V0016). The columns have the same names as on signals_signal, so the
-- list's WHERE clause over `s` works unchanged over `signals_signal_counts s`.
--
-- Two tables:
--   signals_signal_count        one row per key with its number of signals (compacted);
--   signals_signal_count_delta  append-only +1 / -1 rows written by the trigger below.
-- The count of a filter is the sum of `n` over both tables, read in one statement (one
-- snapshot), so it is exact for the snapshot it is read in. Writers only ever INSERT deltas:
-- no writer waits for another on a shared counter row, and no two writers can deadlock on one.
--
-- Compaction moves the deltas into the counts in one statement (DELETE … RETURNING, then the
-- summed upsert): a writer's transaction does it with probability 1/64 per delta row it adds,
-- and only when it gets the transaction-level advisory lock (so at most one compaction at a
-- time; the counts table has no other writer). A reader sees either all of a compaction or
-- none of it. Rows whose count reaches 0 are deleted.

CREATE TABLE signals_signal_count (
    current_state                  varchar(20),
    current_category_id            integer,
    current_main_category_id       integer,
    current_priority               varchar(10),
    current_type                   varchar(3),
    source                         varchar(128),
    current_routing_department_ids integer[],
    n                              bigint NOT NULL,
    CONSTRAINT signals_signal_count_key UNIQUE NULLS NOT DISTINCT (
        current_state, current_category_id, current_main_category_id, current_priority,
        current_type, source, current_routing_department_ids)
);
COMMENT ON TABLE signals_signal_count IS
    'Number of signals per key of current columns (compacted part; see V0017). Only the '
    'compaction in signals_signal_count_compact() writes it.';

CREATE TABLE signals_signal_count_delta (
    current_state                  varchar(20),
    current_category_id            integer,
    current_main_category_id       integer,
    current_priority               varchar(10),
    current_type                   varchar(3),
    source                         varchar(128),
    current_routing_department_ids integer[],
    n                              integer NOT NULL
);
COMMENT ON TABLE signals_signal_count_delta IS
    'Changes of signals_signal_count not compacted yet: +1 for a signal that got a key, -1 for '
    'one that left it (append-only; see V0017).';

-- Both parts as one relation: what the list's count reads.
CREATE VIEW signals_signal_counts AS
    SELECT current_state, current_category_id, current_main_category_id, current_priority,
           current_type, source, current_routing_department_ids, n
    FROM signals_signal_count
    UNION ALL
    SELECT current_state, current_category_id, current_main_category_id, current_priority,
           current_type, source, current_routing_department_ids, n::bigint
    FROM signals_signal_count_delta;

-- Advisory lock key of the compaction: 'SGCT' as an integer.
CREATE FUNCTION signals_signal_count_compact() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(1397179220) THEN
        RETURN;
    END IF;
    WITH moved AS (
        DELETE FROM signals_signal_count_delta
        RETURNING current_state, current_category_id, current_main_category_id, current_priority,
                  current_type, source, current_routing_department_ids, n
    ), summed AS (
        SELECT current_state, current_category_id, current_main_category_id, current_priority,
               current_type, source, current_routing_department_ids, sum(n) AS n
        FROM moved
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        HAVING sum(n) <> 0
    )
    INSERT INTO signals_signal_count AS c
    SELECT * FROM summed
    ON CONFLICT ON CONSTRAINT signals_signal_count_key DO UPDATE SET n = c.n + excluded.n;
    DELETE FROM signals_signal_count WHERE n = 0;
END;
$$;

CREATE FUNCTION signals_signal_count_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO signals_signal_count_delta
        VALUES (OLD.current_state, OLD.current_category_id, OLD.current_main_category_id,
                OLD.current_priority, OLD.current_type, OLD.source,
                OLD.current_routing_department_ids, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO signals_signal_count_delta
        VALUES (NEW.current_state, NEW.current_category_id, NEW.current_main_category_id,
                NEW.current_priority, NEW.current_type, NEW.source,
                NEW.current_routing_department_ids, 1);
    END IF;
    IF random() < 1.0 / 64 THEN
        PERFORM signals_signal_count_compact();
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER signals_signal_count_insert_delete
    AFTER INSERT OR DELETE ON signals_signal
    FOR EACH ROW EXECUTE FUNCTION signals_signal_count_track();

-- The current columns are set by a BEFORE trigger (V0016), not named in the UPDATE, so no column
-- list: the WHEN clause sees the final row and lets only key changes through.
CREATE TRIGGER signals_signal_count_update
    AFTER UPDATE ON signals_signal
    FOR EACH ROW
    WHEN ((OLD.current_state, OLD.current_category_id, OLD.current_main_category_id,
           OLD.current_priority, OLD.current_type, OLD.source, OLD.current_routing_department_ids)
          IS DISTINCT FROM
          (NEW.current_state, NEW.current_category_id, NEW.current_main_category_id,
           NEW.current_priority, NEW.current_type, NEW.source, NEW.current_routing_department_ids))
    EXECUTE FUNCTION signals_signal_count_track();

CREATE FUNCTION signals_signal_count_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE signals_signal_count, signals_signal_count_delta;
    RETURN NULL;
END;
$$;

CREATE TRIGGER signals_signal_count_truncate
    AFTER TRUNCATE ON signals_signal
    FOR EACH STATEMENT EXECUTE FUNCTION signals_signal_count_truncate();

-- The signals that exist now.
INSERT INTO signals_signal_count
SELECT current_state, current_category_id, current_main_category_id, current_priority,
       current_type, source, current_routing_department_ids, count(*)
FROM signals_signal
GROUP BY 1, 2, 3, 4, 5, 6, 7;
