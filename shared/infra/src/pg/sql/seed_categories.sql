-- Seed: the category taxonomy (13 main + 155 sub categories) from data/categories.json.
-- Spec: 01-data-model §4.1 (no API creates categories; the seed does), 03 §6 / 04b §5.
--
-- ONE statement, ONE parameter: $1 = the whole categories.json document as text.
-- Idempotent and insert-only: rows are keyed on (parent_id, slug); a category that exists is
-- left as it is. db-migrate seeds on every deploy, and a municipality edits its categories
-- through the admin API: the shipped taxonomy fills in what is missing, it never reverts an
-- edit. Categories absent from the document are left alone. Service levels:
-- seed_category_slo.sql (run after this one).
-- Returns one row: how many main and sub categories were inserted.
WITH doc AS (
    SELECT $1::jsonb AS j
),
main_in AS (
    SELECT m ->> 'main_slug'               AS slug,
           m ->> 'main_name'               AS name,
           (m ->> 'is_active')::boolean    AS is_active,
           m ->> 'handling_message'        AS handling_message
    FROM doc, jsonb_array_elements(doc.j -> 'main_categories') AS m
),
main_upsert AS (
    INSERT INTO signals_category AS c (parent_id, slug, name, is_active, handling_message)
    SELECT NULL::integer, slug, name, is_active, handling_message
    FROM main_in
    ON CONFLICT (parent_id, slug) DO NOTHING
    RETURNING c.id, c.slug
),
-- main ids: rows this statement inserted (RETURNING) plus the ones that already existed and were
-- unchanged (the statement snapshot does not see its own inserts, hence the union).
main_ids AS (
    SELECT id, slug FROM main_upsert
    UNION
    SELECT id, slug FROM signals_category WHERE parent_id IS NULL
),
sub_in AS (
    SELECT s ->> 'main_slug'               AS main_slug,
           s ->> 'sub_slug'                AS slug,
           s ->> 'sub_name'                AS name,
           (s ->> 'is_active')::boolean    AS is_active,
           coalesce(s ->> 'handling', 'REST') AS handling,
           s ->> 'handling_message'        AS handling_message,
           s ->> 'description'             AS description,
           s ->> 'public_name'             AS public_name
    FROM doc, jsonb_array_elements(doc.j -> 'sub_categories') AS s
),
sub_upsert AS (
    INSERT INTO signals_category AS c
        (parent_id, slug, name, is_active, handling, handling_message, description, public_name)
    SELECT m.id, s.slug, s.name, s.is_active, s.handling, s.handling_message, s.description, s.public_name
    FROM sub_in s
    JOIN main_ids m ON m.slug = s.main_slug
    ON CONFLICT (parent_id, slug) DO NOTHING
    RETURNING c.id
)
SELECT (SELECT count(*) FROM main_upsert) AS main_categories_inserted,
       (SELECT count(*) FROM sub_upsert)  AS sub_categories_inserted
