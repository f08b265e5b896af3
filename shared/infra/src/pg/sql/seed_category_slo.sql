-- Seed: the service level objective (afhandeltermijn) of every sub category in
-- data/categories.json. Spec: 01-data-model §4.3, 16 §16.3.
--
-- ONE statement, ONE parameter: $1 = the whole categories.json document as text.
-- Run after seed_categories.sql (it looks the categories up by main slug + sub slug).
-- SLO rows are insert-only history: a row is added only when the sub category has no SLO yet, so
-- a second run is a no-op and a service level set through the admin API (new_sla) is never
-- reverted by a deploy. Subs without a service level in the document (sla_n_days null) are
-- skipped.
-- Returns the number of SLO rows inserted (as the command tag).
WITH doc AS (
    SELECT $1::jsonb AS j
),
slo_in AS (
    SELECT s ->> 'main_slug'                         AS main_slug,
           s ->> 'sub_slug'                          AS sub_slug,
           (s ->> 'sla_n_days')::integer             AS n_days,
           (s ->> 'sla_use_calendar_days')::boolean  AS use_calendar_days
    FROM doc, jsonb_array_elements(doc.j -> 'sub_categories') AS s
    WHERE jsonb_typeof(s -> 'sla_n_days') = 'number'
      AND jsonb_typeof(s -> 'sla_use_calendar_days') = 'boolean'
)
INSERT INTO signals_servicelevelobjective (category_id, n_days, use_calendar_days, created_at, created_by)
SELECT sub.id, i.n_days, i.use_calendar_days, now(), NULL
FROM slo_in i
JOIN signals_category main ON main.parent_id IS NULL AND main.slug = i.main_slug
JOIN signals_category sub  ON sub.parent_id = main.id AND sub.slug = i.sub_slug
WHERE NOT EXISTS (
    SELECT 1 FROM signals_servicelevelobjective o WHERE o.category_id = sub.id
)
