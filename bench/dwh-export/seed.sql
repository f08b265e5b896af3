-- N synthetic reports (psql variable :n) with every aspect row the export
-- reads: location (with address), two statuses, category assignment,
-- reporter (e-mail and/or phone), priority, type; a note on every fifth.
-- Ids are set explicitly (id = the series number) so one pass per table
-- suffices; the pointer FKs are deferred to the COMMIT.
\set ON_ERROR_STOP on
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO signals_signal (id, text, text_extra, incident_date_start, created_at, updated_at, location_id,
                            status_id, category_assignment_id, reporter_id, priority_id, type_assignment_id,
                            extra_properties)
SELECT g,
       'Synthetische melding ' || g || ': de container bij ' || md5(g::text) || ' is vol, zakken ernaast',
       CASE WHEN g % 4 = 0 THEN 'Al twee dagen, graag snel ophalen' ELSE '' END,
       timestamptz '2024-01-01' + g * interval '17 seconds',
       timestamptz '2024-01-01' + g * interval '17 seconds',
       timestamptz '2024-01-01' + g * interval '17 seconds' + interval '2 days',
       g, 2 * g, g, g, g, g,
       CASE WHEN g % 3 = 0 THEN jsonb_build_array(jsonb_build_object('id', 'extra_container', 'answer', 'ja')) END
FROM generate_series(1, :n) AS g;
INSERT INTO signals_location (id, _signal_id, geometrie, stadsdeel, area_code, area_name, buurt_code, address,
                              address_text, postcode, created_at, updated_at)
SELECT g, g, ST_SetSRID(ST_MakePoint(4.85 + (g % 100) * 0.001, 52.33 + (g % 77) * 0.001), 4326),
       (ARRAY['A', 'B', 'E', 'M', 'N', 'T', 'K', 'F'])[1 + g % 8], NULL, NULL, 'A00a',
       jsonb_build_object('openbare_ruimte', 'Amstel', 'huisnummer', 1 + g % 300, 'postcode', '1011PN',
                          'woonplaats', 'Amsterdam'),
       'Amstel ' || (1 + g % 300) || ', 1011PN Amsterdam', '1011PN',
       timestamptz '2024-01-01' + g * interval '17 seconds', timestamptz '2024-01-01' + g * interval '17 seconds'
FROM generate_series(1, :n) AS g;
INSERT INTO signals_status (id, _signal_id, state, text, created_by, created_at, updated_at)
SELECT 2 * g - 1, g, 'm', NULL, NULL, timestamptz '2024-01-01' + g * interval '17 seconds',
       timestamptz '2024-01-01' + g * interval '17 seconds'
FROM generate_series(1, :n) AS g
UNION ALL
SELECT 2 * g, g, (ARRAY['b', 'o', 'a', 'i'])[1 + g % 4], 'Wij hebben de melding bekeken.', 'medewerker@example.org',
       timestamptz '2024-01-01' + g * interval '17 seconds' + interval '1 day',
       timestamptz '2024-01-01' + g * interval '17 seconds' + interval '1 day'
FROM generate_series(1, :n) AS g;
WITH sub AS (SELECT array_agg(id ORDER BY id) AS ids FROM signals_category WHERE parent_id IS NOT NULL)
INSERT INTO signals_categoryassignment (id, _signal_id, category_id, created_at, updated_at, deadline,
                                        deadline_factor_3)
SELECT g, g, sub.ids[1 + g % array_length(sub.ids, 1)],
       timestamptz '2024-01-01' + g * interval '17 seconds', timestamptz '2024-01-01' + g * interval '17 seconds',
       timestamptz '2024-01-01' + g * interval '17 seconds' + interval '3 days',
       timestamptz '2024-01-01' + g * interval '17 seconds' + interval '9 days'
FROM generate_series(1, :n) AS g, sub;
INSERT INTO signals_reporter (id, _signal_id, email, phone, sharing_allowed, state, created_at, updated_at)
SELECT g, g, CASE WHEN g % 2 = 0 THEN 'melder' || g || '@example.org' END,
       CASE WHEN g % 3 = 0 THEN '06' || lpad((g % 100000000)::text, 8, '0') END, g % 5 = 0, 'approved',
       timestamptz '2024-01-01' + g * interval '17 seconds', timestamptz '2024-01-01' + g * interval '17 seconds'
FROM generate_series(1, :n) AS g;
INSERT INTO signals_priority (id, _signal_id, priority, created_at, updated_at)
SELECT g, g, CASE WHEN g % 10 = 0 THEN 'high' ELSE 'normal' END,
       timestamptz '2024-01-01' + g * interval '17 seconds', timestamptz '2024-01-01' + g * interval '17 seconds'
FROM generate_series(1, :n) AS g;
INSERT INTO signals_type (id, _signal_id, name, created_at)
SELECT g, g, 'SIG', timestamptz '2024-01-01' + g * interval '17 seconds'
FROM generate_series(1, :n) AS g;
INSERT INTO signals_note (_signal_id, text, created_at, updated_at)
SELECT g, 'Melder gebeld, "container" wordt morgen geleegd', timestamptz '2024-01-02' + g * interval '17 seconds',
       timestamptz '2024-01-02' + g * interval '17 seconds'
FROM generate_series(5, :n, 5) AS g;
COMMIT;
ANALYZE;
