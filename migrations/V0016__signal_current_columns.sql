-- V0016 — copies of the current aspects the back office's list filters, orders and counts by,
-- on signals_signal itself, kept by triggers.
-- Spec: 01 §1 (current pointers), 04 §2.1 (filters, orderings, counts), 01 §9.3 (visibility by
-- category); docs/data-model.md "Current columns", docs/benchmarks.md (why).
--
-- Every filter on a current aspect used to join the aspect table through the signal's pointer,
-- so an exact count over many signals was a join over whole tables. The columns below are
-- copies of the rows the pointers name; NULL when the pointer is NULL (or names no row yet).
--
-- Who keeps them right, whatever the writer (public create, PATCH, retention, SQL in tests and
-- seeds) — no writer sets them itself:
--   1. BEFORE INSERT OR UPDATE OF <pointers> ON signals_signal: when a pointer is set or moves,
--      the copy is read from the row it names (the usual order: sub-record first, then the
--      pointer).
--   2. AFTER INSERT OR UPDATE ON each aspect table (and INSERT, UPDATE or DELETE on the routing
--      relation's departments): if the signal's pointer already names this row (the public
--      create writes the signal with pre-allocated pointer ids in the same statement as its
--      sub-records, in an order PostgreSQL does not promise), the copy is written onto the
--      signal. When the copy is already right nothing is written.
--   3. AFTER UPDATE OF parent_id ON signals_category: the main category of the signals in a
--      sub category that moved.
-- A deleted aspect row clears its pointer (ON DELETE SET NULL), which is an UPDATE of the
-- pointer and so goes through (1).

ALTER TABLE signals_signal
    ADD COLUMN current_state             varchar(20),
    ADD COLUMN current_state_at          timestamptz,
    ADD COLUMN current_category_id       integer,
    ADD COLUMN current_main_category_id  integer,
    ADD COLUMN current_deadline          timestamptz,
    ADD COLUMN current_deadline_factor_3 timestamptz,
    ADD COLUMN current_priority          varchar(10),
    ADD COLUMN current_type              varchar(3),
    ADD COLUMN current_routing_department_ids integer[];

COMMENT ON COLUMN signals_signal.current_state IS
    'Copy of signals_status.state of status_id (NULL: no status). Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_state_at IS
    'Copy of signals_status.created_at of status_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_category_id IS
    'Copy of signals_categoryassignment.category_id of category_assignment_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_main_category_id IS
    'signals_category.parent_id of current_category_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_deadline IS
    'Copy of signals_categoryassignment.deadline of category_assignment_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_deadline_factor_3 IS
    'Copy of signals_categoryassignment.deadline_factor_3 of category_assignment_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_priority IS
    'Copy of signals_priority.priority of priority_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_type IS
    'Copy of signals_type.name of type_assignment_id. Kept by triggers (V0016).';
COMMENT ON COLUMN signals_signal.current_routing_department_ids IS
    'The department ids of the routing relation routing_assignment_id, ascending (NULL: no '
    'routing relation, {}: an empty one). For list visibility (01 §9.3). Kept by triggers (V0016).';

-- (1) the signal's side
CREATE FUNCTION signals_signal_current_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status_id IS DISTINCT FROM OLD.status_id THEN
        SELECT st.state, st.created_at INTO NEW.current_state, NEW.current_state_at
        FROM signals_status st WHERE st.id = NEW.status_id AND st._signal_id = NEW.id;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.category_assignment_id IS DISTINCT FROM OLD.category_assignment_id THEN
        SELECT ca.category_id, c.parent_id, ca.deadline, ca.deadline_factor_3
        INTO NEW.current_category_id, NEW.current_main_category_id, NEW.current_deadline,
             NEW.current_deadline_factor_3
        FROM signals_categoryassignment ca JOIN signals_category c ON c.id = ca.category_id
        WHERE ca.id = NEW.category_assignment_id AND ca._signal_id = NEW.id;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.priority_id IS DISTINCT FROM OLD.priority_id THEN
        SELECT pr.priority INTO NEW.current_priority
        FROM signals_priority pr WHERE pr.id = NEW.priority_id AND pr._signal_id = NEW.id;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.type_assignment_id IS DISTINCT FROM OLD.type_assignment_id THEN
        SELECT ty.name INTO NEW.current_type
        FROM signals_type ty WHERE ty.id = NEW.type_assignment_id AND ty._signal_id = NEW.id;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.routing_assignment_id IS DISTINCT FROM OLD.routing_assignment_id THEN
        NEW.current_routing_department_ids := CASE WHEN NEW.routing_assignment_id IS NOT NULL THEN
            ARRAY(SELECT rd.department_id FROM signals_signaldepartments_departments rd
                  WHERE rd.signaldepartments_id = NEW.routing_assignment_id ORDER BY rd.department_id)
        END;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER signals_signal_current_columns
    BEFORE INSERT OR UPDATE OF status_id, category_assignment_id, priority_id, type_assignment_id,
                               routing_assignment_id
    ON signals_signal
    FOR EACH ROW EXECUTE FUNCTION signals_signal_current_columns();

-- (2) the aspects' side: only when the signal already points at the new (or changed) row and
-- its copy is not right yet. Then every copy of that signal is read again in one UPDATE: in
-- the public create's statement all its rows exist by the time these AFTER triggers run, so
-- the first of them brings every copy up to date and the others find nothing to do (one
-- UPDATE of the new signal instead of one per aspect).
CREATE FUNCTION signals_signal_refresh_current_columns(signal integer) RETURNS void
LANGUAGE sql AS $$
    UPDATE signals_signal s SET
        (current_state, current_state_at) =
            (SELECT st.state, st.created_at FROM signals_status st
             WHERE st.id = s.status_id AND st._signal_id = s.id),
        (current_category_id, current_main_category_id, current_deadline, current_deadline_factor_3) =
            (SELECT ca.category_id, c.parent_id, ca.deadline, ca.deadline_factor_3
             FROM signals_categoryassignment ca JOIN signals_category c ON c.id = ca.category_id
             WHERE ca.id = s.category_assignment_id AND ca._signal_id = s.id),
        current_priority =
            (SELECT pr.priority FROM signals_priority pr WHERE pr.id = s.priority_id AND pr._signal_id = s.id),
        current_type =
            (SELECT ty.name FROM signals_type ty WHERE ty.id = s.type_assignment_id AND ty._signal_id = s.id)
    WHERE s.id = signal
$$;

CREATE FUNCTION signals_status_current_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM signals_signal s
               WHERE s.id = NEW._signal_id AND s.status_id = NEW.id
                 AND (s.current_state, s.current_state_at) IS DISTINCT FROM (NEW.state, NEW.created_at)) THEN
        PERFORM signals_signal_refresh_current_columns(NEW._signal_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_status_current_columns
    AFTER INSERT OR UPDATE OF state, created_at ON signals_status
    FOR EACH ROW EXECUTE FUNCTION signals_status_current_columns();

CREATE FUNCTION signals_categoryassignment_current_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM signals_signal s
               WHERE s.id = NEW._signal_id AND s.category_assignment_id = NEW.id
                 AND (s.current_category_id, s.current_deadline, s.current_deadline_factor_3)
                     IS DISTINCT FROM (NEW.category_id, NEW.deadline, NEW.deadline_factor_3)) THEN
        PERFORM signals_signal_refresh_current_columns(NEW._signal_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_categoryassignment_current_columns
    AFTER INSERT OR UPDATE OF category_id, deadline, deadline_factor_3 ON signals_categoryassignment
    FOR EACH ROW EXECUTE FUNCTION signals_categoryassignment_current_columns();

CREATE FUNCTION signals_priority_current_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM signals_signal s
               WHERE s.id = NEW._signal_id AND s.priority_id = NEW.id
                 AND s.current_priority IS DISTINCT FROM NEW.priority) THEN
        PERFORM signals_signal_refresh_current_columns(NEW._signal_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_priority_current_columns
    AFTER INSERT OR UPDATE OF priority ON signals_priority
    FOR EACH ROW EXECUTE FUNCTION signals_priority_current_columns();

CREATE FUNCTION signals_type_current_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM signals_signal s
               WHERE s.id = NEW._signal_id AND s.type_assignment_id = NEW.id
                 AND s.current_type IS DISTINCT FROM NEW.name) THEN
        PERFORM signals_signal_refresh_current_columns(NEW._signal_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_type_current_columns
    AFTER INSERT OR UPDATE OF name ON signals_type
    FOR EACH ROW EXECUTE FUNCTION signals_type_current_columns();

-- the departments of a routing relation that is (already) current
CREATE FUNCTION signals_signaldepartments_departments_current_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    relation integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.signaldepartments_id ELSE NEW.signaldepartments_id END;
    departments integer[] := ARRAY(SELECT rd.department_id FROM signals_signaldepartments_departments rd
                                   WHERE rd.signaldepartments_id = relation ORDER BY rd.department_id);
BEGIN
    UPDATE signals_signal s SET current_routing_department_ids = departments
    WHERE s.routing_assignment_id = relation
      AND s.current_routing_department_ids IS DISTINCT FROM departments;
    IF TG_OP = 'UPDATE' AND OLD.signaldepartments_id IS DISTINCT FROM NEW.signaldepartments_id THEN
        UPDATE signals_signal s
        SET current_routing_department_ids =
            ARRAY(SELECT rd.department_id FROM signals_signaldepartments_departments rd
                  WHERE rd.signaldepartments_id = OLD.signaldepartments_id ORDER BY rd.department_id)
        WHERE s.routing_assignment_id = OLD.signaldepartments_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_signaldepartments_departments_current_columns
    AFTER INSERT OR UPDATE OR DELETE ON signals_signaldepartments_departments
    FOR EACH ROW EXECUTE FUNCTION signals_signaldepartments_departments_current_columns();

-- (3) a sub category moved to another main category
CREATE FUNCTION signals_category_current_main_category() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE signals_signal s SET current_main_category_id = NEW.parent_id
    WHERE s.current_category_id = NEW.id
      AND s.current_main_category_id IS DISTINCT FROM NEW.parent_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_category_current_main_category
    AFTER UPDATE OF parent_id ON signals_category
    FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION signals_category_current_main_category();

-- Backfill. The pointer columns are not in the SET list, so trigger (1) does not fire.
UPDATE signals_signal s SET
    current_state = st.state,
    current_state_at = st.created_at,
    current_category_id = ca.category_id,
    current_main_category_id = c.parent_id,
    current_deadline = ca.deadline,
    current_deadline_factor_3 = ca.deadline_factor_3,
    current_priority = pr.priority,
    current_type = ty.name,
    current_routing_department_ids = CASE WHEN s2.routing_assignment_id IS NOT NULL THEN
        ARRAY(SELECT rd.department_id FROM signals_signaldepartments_departments rd
              WHERE rd.signaldepartments_id = s2.routing_assignment_id ORDER BY rd.department_id)
    END
FROM signals_signal s2
LEFT JOIN signals_status st ON st.id = s2.status_id AND st._signal_id = s2.id
LEFT JOIN signals_categoryassignment ca ON ca.id = s2.category_assignment_id AND ca._signal_id = s2.id
LEFT JOIN signals_category c ON c.id = ca.category_id
LEFT JOIN signals_priority pr ON pr.id = s2.priority_id AND pr._signal_id = s2.id
LEFT JOIN signals_type ty ON ty.id = s2.type_assignment_id AND ty._signal_id = s2.id
WHERE s2.id = s.id;

-- The list's pages and counts (04 §2.1) on the copies.
--   * signals_signal_list_idx replaces signals_signal_created_at_idx: the default order
--     (-created_at, then -id) is one backward walk of it, and the copies INCLUDEd in it let the
--     filters on them and the department visibility be tested in the index, without a visit to
--     the table per row (an index-only scan); created_before/after still use its leading column.
--   * status is the most used filter: its counts are one range of
--     signals_signal_current_state_created_idx, also index-only with the other copies included.
--   * category and main category (filters, and the visible categories of a department) are
--     selective: a range each; routing departments by GIN (&&).
--   Priority and type have three and six values: filtered in signals_signal_list_idx.
DROP INDEX signals_signal_created_at_idx;
CREATE INDEX signals_signal_list_idx ON signals_signal (created_at, id)
    INCLUDE (current_state, current_category_id, current_main_category_id, current_priority, current_type,
             current_routing_department_ids);
CREATE INDEX signals_signal_current_state_created_idx ON signals_signal (current_state, created_at)
    INCLUDE (current_category_id, current_main_category_id, current_priority, current_type,
             current_routing_department_ids);
CREATE INDEX signals_signal_current_category_created_idx ON signals_signal (current_category_id, created_at);
CREATE INDEX signals_signal_current_main_category_created_idx
    ON signals_signal (current_main_category_id, created_at);
CREATE INDEX signals_signal_current_routing_departments_gin
    ON signals_signal USING gin (current_routing_department_ids);
