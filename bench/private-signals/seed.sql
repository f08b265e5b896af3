-- Seeds :n synthetic signals with every sub-record the back office reads:
-- location (Amsterdam area, address), status (a spread over the workflow),
-- category assignment (every sub category, deadlines), reporter (half with
-- e-mail), priority, type, a note on every fifth, routing to a department
-- on every third, an assignee on every seventh. Deterministic (setseed).
--   psql -v n=100000 -f bench/private-signals/seed.sql
\set ON_ERROR_STOP on
SELECT setseed(0.42);

BEGIN;
CREATE TEMP TABLE bench_sub AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM signals_category WHERE parent_id IS NOT NULL;
CREATE TEMP TABLE bench_state (k int, state text);
INSERT INTO bench_state VALUES
    (0, 'm'), (1, 'm'), (2, 'i'), (3, 'b'), (4, 'b'), (5, 'ingepland'), (6, 'o'), (7, 'o'), (8, 'o'),
    (9, 'a'), (10, 'reaction requested'), (11, 'forward to external');

INSERT INTO signals_signal (uuid, source, text, incident_date_start, created_at, updated_at)
SELECT gen_random_uuid(), CASE WHEN g % 4 = 0 THEN 'Telefoon' ELSE 'online' END,
       'Melding ' || g || ': ' || (ARRAY['Er ligt grofvuil naast de container',
                                         'De container is vol en stinkt',
                                         'Lantaarnpaal brandt niet meer',
                                         'Losliggende stoeptegel voor de deur',
                                         'Geluidsoverlast van een terras'])[1 + g % 5],
       now() - make_interval(mins => g * 5), now() - make_interval(mins => g * 5),
       now() - make_interval(mins => g * 5) + interval '1 hour'
FROM generate_series(1, :n) AS g;

CREATE TEMP TABLE bench_signal AS
    SELECT id, row_number() OVER (ORDER BY id) AS g, created_at FROM signals_signal;

INSERT INTO signals_location (_signal_id, geometrie, stadsdeel, buurt_code, area_type_code, area_code, area_name,
                              address, address_text, postcode, created_at, updated_at)
SELECT s.id, ST_SetSRID(ST_MakePoint(4.85 + random() * 0.1, 52.33 + random() * 0.07), 4326),
       (ARRAY['A', 'B', 'E', 'M', 'N', 'T', 'K', 'F'])[1 + s.g % 8], 'A0' || (s.g % 10), 'district',
       'district-' || (s.g % 8), 'Stadsdeel ' || (s.g % 8),
       jsonb_build_object('openbare_ruimte', 'Straat ' || (s.g % 500), 'huisnummer', 1 + s.g % 200,
                          'postcode', '10' || lpad((s.g % 100)::text, 2, '0') || 'AB', 'woonplaats', 'Amsterdam'),
       'Straat ' || (s.g % 500) || ' ' || (1 + s.g % 200) || ' 10' || lpad((s.g % 100)::text, 2, '0') || 'AB Amsterdam',
       '10' || lpad((s.g % 100)::text, 2, '0') || 'AB', s.created_at, s.created_at
FROM bench_signal s;

INSERT INTO signals_status (_signal_id, state, text, created_at, updated_at)
SELECT s.id, st.state, CASE WHEN st.state IN ('o', 'reaction requested', 'forward to external') THEN 'Afgehandeld.' END,
       s.created_at, s.created_at
FROM bench_signal s JOIN bench_state st ON st.k = s.g % 12;

INSERT INTO signals_categoryassignment (_signal_id, category_id, deadline, deadline_factor_3, created_at, updated_at)
SELECT s.id, c.id, s.created_at + interval '5 days', s.created_at + interval '15 days', s.created_at, s.created_at
FROM bench_signal s JOIN bench_sub c ON c.k = s.g % (SELECT count(*) FROM bench_sub);

INSERT INTO signals_reporter (_signal_id, email, phone, state, created_at, updated_at)
SELECT s.id, CASE WHEN s.g % 2 = 0 THEN 'melder' || s.g || '@example.com' END,
       CASE WHEN s.g % 3 = 0 THEN '06' || lpad(s.g::text, 8, '0') END, 'approved', s.created_at, s.created_at
FROM bench_signal s;

INSERT INTO signals_priority (_signal_id, priority, created_at, updated_at)
SELECT s.id, (ARRAY['normal', 'normal', 'high', 'low'])[1 + s.g % 4], s.created_at, s.created_at FROM bench_signal s;

INSERT INTO signals_type (_signal_id, name, created_at)
SELECT s.id, (ARRAY['SIG', 'SIG', 'SIG', 'REQ', 'QUE', 'COM'])[1 + s.g % 6], s.created_at FROM bench_signal s;

INSERT INTO signals_note (_signal_id, text, created_by, created_at, updated_at)
SELECT s.id, 'Notitie bij melding ' || s.g, 'bench@example.org', s.created_at, s.created_at
FROM bench_signal s WHERE s.g % 5 = 0;

WITH relation AS (
    INSERT INTO signals_signaldepartments (_signal_id, relation_type, created_at, updated_at)
    SELECT s.id, 'routing', s.created_at, s.created_at FROM bench_signal s WHERE s.g % 3 = 0
    RETURNING id, _signal_id
)
INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
SELECT r.id, d.id FROM relation r
JOIN LATERAL (SELECT id FROM signals_department ORDER BY (id + r._signal_id) % 19 LIMIT 1) d ON true;

INSERT INTO auth_user (username, email, first_name, is_active, is_superuser)
VALUES ('behandelaar@example.org', 'behandelaar@example.org', 'Bench', true, false)
ON CONFLICT DO NOTHING;
INSERT INTO signals_signaluser (_signal_id, user_id, created_at, updated_at)
SELECT s.id, (SELECT id FROM auth_user WHERE email = 'behandelaar@example.org'), s.created_at, s.created_at
FROM bench_signal s WHERE s.g % 7 = 0;

UPDATE signals_signal s SET
    location_id = (SELECT max(id) FROM signals_location l WHERE l._signal_id = s.id),
    status_id = (SELECT max(id) FROM signals_status l WHERE l._signal_id = s.id),
    category_assignment_id = (SELECT max(id) FROM signals_categoryassignment l WHERE l._signal_id = s.id),
    reporter_id = (SELECT max(id) FROM signals_reporter l WHERE l._signal_id = s.id),
    priority_id = (SELECT max(id) FROM signals_priority l WHERE l._signal_id = s.id),
    type_assignment_id = (SELECT max(id) FROM signals_type l WHERE l._signal_id = s.id),
    routing_assignment_id = (SELECT max(id) FROM signals_signaldepartments l WHERE l._signal_id = s.id),
    user_assignment_id = (SELECT max(id) FROM signals_signaluser l WHERE l._signal_id = s.id);

INSERT INTO history_log (object_type, object_pk, action, extra, created_at, _signal_id)
SELECT 'status', s.status_id::text, 'UPDATE', 'm', s.created_at, s.id FROM signals_signal s;
COMMIT;

-- The employees the benchmark acts as: a superuser (sees everything), and
-- a department's employee who sees the signals of the categories linked to
-- STW and those routed to it (spec 01 §9.3).
INSERT INTO auth_user (username, email, first_name, is_active, is_superuser)
VALUES ('bench@example.org', 'bench@example.org', 'Bench', true, true),
       ('afdeling@example.org', 'afdeling@example.org', 'Afdeling', true, false)
ON CONFLICT DO NOTHING;
INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
SELECT c.id, d.id, true, true FROM signals_category c
JOIN LATERAL (SELECT id FROM signals_department ORDER BY (id + c.id) % 19 LIMIT 1) d ON true
WHERE c.parent_id IS NOT NULL
ON CONFLICT DO NOTHING;
WITH role AS (INSERT INTO auth_group (name) VALUES ('Bench behandelaar') RETURNING id),
     granted AS (INSERT INTO auth_group_permissions (group_id, permission_id)
                 SELECT role.id, p.id FROM role, auth_permission p
                 WHERE p.codename IN ('sia_read', 'sia_write', 'sia_signal_change_status', 'sia_signal_create_note',
                                      'sia_signal_change_category', 'sia_can_view_contact_details'))
INSERT INTO auth_user_groups (user_id, group_id)
SELECT u.id, role.id FROM role, auth_user u WHERE u.email = 'afdeling@example.org';
WITH profile AS (INSERT INTO users_profile (user_id) SELECT id FROM auth_user WHERE email = 'afdeling@example.org'
                 RETURNING id)
INSERT INTO users_profile_departments (profile_id, department_id)
SELECT profile.id, d.id FROM profile, signals_department d WHERE d.code = 'STW';
-- The pointer UPDATE above left a dead version of every signal. Autovacuum
-- would clean it up within a minute of such a change (and set the
-- visibility map that index-only counts need); doing it here makes the
-- measured state that steady state instead of depending on when autovacuum
-- happens to run during the benchmark.
VACUUM ANALYZE;
-- The seed wrote in a minute the ≈ 300,000 count deltas (V0017) that a
-- municipality writes over years, and the compactions' dead versions with
-- them. In service, autovacuum with V0018's settings keeps the two count
-- tables near their live size (the counts at 70 % fill); rewriting them
-- once here measures that state, not the seed's burst.
SELECT signals_signal_count_compact();
VACUUM FULL ANALYZE signals_signal_count, signals_signal_count_delta;
