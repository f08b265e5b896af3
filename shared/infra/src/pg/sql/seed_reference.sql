-- Seed: reference data every installation needs — sources, departments
-- fallback category, permission codenames. No parameters; several statements (batch_execute).
-- Idempotent: every statement is keyed on a natural key and skips (or only updates changed)
-- rows, so a second run changes nothing. Runs BEFORE seed_categories.sql / seed_category_slo.sql.
--
-- Provenance (Amsterdam/signals 2.50.12, commit adbe8fc7, the version categories.json comes from):
--   * departments: the reference's data migrations signals/0009 (16 departments), 0040 (VIS, OOV)
--     and 0087 (WON); nothing in later migrations renames or removes them.
--   * sources: the reference ships none (migration 0138 only copies distinct signal.source values).
--     `online` (public default, 01 §5.2 / 03 §2.7) and `Interne melding` (child signals and
--     internal reporters, 03 §2.7 / 02 §5) are required by the code paths; the other names are the
--     channels of the reference frontend's former hard-coded list
--     (signals-frontend src/signals/incident-management/definitions/sourceList.js, with
--     'Eigen organisatie' renamed to 'Interne melding' as migration signals/0119 did) and of the
--     Signalen user manual. Names use an EN DASH (U+2013), as the frontend does.
--   * permissions: the Meta.permissions of the reference models (01 §2.4, §9.2) plus the Django
--     auth built-ins the user/role endpoints check (04b §0, 05 §6).
--   * roles: the reference ships no roles (groups are created by administrators), so none here.

-- ---------------------------------------------------------------------------
-- Sources (01 §5.2). DO NOTHING: an installation's own settings (is_active, order, …) win.
-- ---------------------------------------------------------------------------
INSERT INTO signals_source (name, description, "order", is_active, can_be_selected, is_public)
VALUES
    ('online',                      'Publiek meldformulier',               0, true, false, true),
    ('Telefoon – Adoptant',         'Telefonische melding (adoptant)',     1, true, true,  false),
    ('Telefoon – ASC',              'Telefonische melding (ASC)',          2, true, true,  false),
    ('Telefoon – CCA',              'Telefonische melding (CCA)',          3, true, true,  false),
    ('Telefoon – CCTR',             'Telefonische melding (CCTR)',         4, true, true,  false),
    ('Telefoon – Interswitch',      'Telefonische melding (Interswitch)',  5, true, true,  false),
    ('Telefoon – Stadsdeel',        'Telefonische melding (stadsdeel)',    6, true, true,  false),
    ('E-mail – CCA',                'Melding per e-mail (CCA)',            7, true, true,  false),
    ('E-mail – ASC',                'Melding per e-mail (ASC)',            8, true, true,  false),
    ('E-mail – Stadsdeel',          'Melding per e-mail (stadsdeel)',      9, true, true,  false),
    ('Webcare – CCA',               'Melding via webcare (CCA)',          10, true, true,  false),
    ('Interne melding',             'Melding door de eigen organisatie',  11, true, true,  false),
    ('Fixi Weesp',                  'Melding via Fixi (Weesp)',           12, true, true,  false),
    ('Meldkamer burger/ondernemer', 'Meldkamer burger/ondernemer',        13, true, true,  false),
    ('Meldkamer Handhaver',         'Meldkamer Handhaver',                14, true, true,  false),
    ('Meldkamer Politie',           'Meldkamer Politie',                  15, true, true,  false),
    ('VerbeterDeBuurt',             'Melding via VerbeterDeBuurt',        16, true, true,  false),
    ('Waarnemingenapp',             'Melding via de Waarnemingenapp',     17, true, true,  false)
ON CONFLICT ((lower(name))) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Departments (01 §5.1). code is not unique in the schema (reference behaviour), so the natural
-- key is enforced here with NOT EXISTS instead of ON CONFLICT. Existing rows are left as they are.
-- ---------------------------------------------------------------------------
INSERT INTO signals_department (code, name, is_intern, can_direct)
SELECT v.code, v.name, v.is_intern, false
FROM (VALUES
    ('POA', 'Port of Amsterdam',          false),
    ('THO', 'THOR',                       true),
    ('WAT', 'Waternet',                   false),
    ('STW', 'Stadswerken',                true),
    ('AEG', 'Afval en Grondstoffen',      true),
    ('ASC', 'Actie Service Centrum',      true),
    ('POL', 'Politie',                    false),
    ('GGD', 'GGD',                        false),
    ('VOR', 'V&OR',                       true),
    ('OVL', 'V&OR OVL',                   true),
    ('VRI', 'V&OR VRI',                   true),
    ('CCA', 'CCA',                        true),
    ('STL', 'Stadsloket',                 true),
    ('OMG', 'Omgevingsdienst',            true),
    ('VTH', 'VTH',                        true),
    ('FB',  'FB',                         true),
    ('VIS', 'V&OR - VIS',                 true),
    ('OOV', 'Openbare Orde & Veiligheid', true),
    ('WON', 'Wonen',                      false)
) AS v (code, name, is_intern)
WHERE NOT EXISTS (SELECT 1 FROM signals_department d WHERE d.code = v.code);

-- ---------------------------------------------------------------------------
-- Permission codenames (01 §2.4, §3.10, §4.1, §5.1, §5.3, §6, §9.2; 05 §6; 16 §16.1).
-- Names are the reference's (Dutch) verbose names; they are code-owned, so changes are applied.
-- ---------------------------------------------------------------------------
INSERT INTO auth_permission AS p (codename, name, app_label, model, model_verbose_name)
VALUES
    -- signals | signal
    ('sia_read',                        'Leesrechten algemeen',                       'signals', 'signal', 'signal'),
    ('sia_write',                       'Schrijfrechten algemeen',                    'signals', 'signal', 'signal'),
    ('sia_split',                       'Splitsen van een melding',                   'signals', 'signal', 'signal'),
    ('sia_signal_create_initial',       'Melding aanmaken',                           'signals', 'signal', 'signal'),
    ('sia_signal_create_note',          'Notitie toevoegen bij een melding',          'signals', 'signal', 'signal'),
    ('sia_signal_change_status',        'Wijzigen van status van een melding',        'signals', 'signal', 'signal'),
    ('sia_signal_change_category',      'Wijzigen van categorie van een melding',     'signals', 'signal', 'signal'),
    ('sia_signal_export',               'Meldingen exporteren',                       'signals', 'signal', 'signal'),
    ('sia_signal_report',               'Rapportage beheren',                         'signals', 'signal', 'signal'),
    ('perform_sigmax_updates',          'Updates door CityControl uitvoeren',         'signals', 'signal', 'signal'),
    -- signals | status
    ('push_to_sigmax',                  'Doorsturen van een melding (THOR)',          'signals', 'status', 'status'),
    -- signals | category
    ('sia_can_view_all_categories',     'Bekijk all categorieën (overschrijft categorie rechten van afdeling)',
                                                                                      'signals', 'category', 'category'),
    ('sia_category_read',               'Inzien van categorieën',                     'signals', 'category', 'category'),
    ('sia_category_write',              'Wijzigen van categorieën',                   'signals', 'category', 'category'),
    -- signals | department
    ('sia_department_read',             'Inzien van afdeling instellingen',           'signals', 'department', 'department'),
    ('sia_department_write',            'Wijzigen van afdeling instellingen',         'signals', 'department', 'department'),
    -- signals | reporter
    ('sia_can_view_contact_details',    'Inzien van contactgegevens melder (in melding)',
                                                                                      'signals', 'reporter', 'reporter'),
    -- signals | attachment
    ('sia_add_attachment',                      'Kan bijlage aan een melding toevoegen.',                   'signals', 'attachment', 'attachment'),
    ('sia_change_attachment',                   'Kan gegevens van een bijlage bewerken.',                   'signals', 'attachment', 'attachment'),
    ('sia_delete_attachment_of_normal_signal',  'Kan bijlage bij standaard melding verwijderen.',           'signals', 'attachment', 'attachment'),
    ('sia_delete_attachment_of_parent_signal',  'Kan bijlage bij hoofdmelding verwijderen.',                'signals', 'attachment', 'attachment'),
    ('sia_delete_attachment_of_child_signal',   'Kan bijlage bij deelmelding verwijderen.',                 'signals', 'attachment', 'attachment'),
    ('sia_delete_attachment_of_other_user',     'Kan bijlage bij melding van andere gebruiker verwijderen.', 'signals', 'attachment', 'attachment'),
    ('sia_delete_attachment_of_anonymous_user', 'Kan bijlage toegevoegd door melder verwijderen.',          'signals', 'attachment', 'attachment'),
    -- signals | areas
    ('sia_areatype_write',              'Kan gebiedstypen schrijven.',                'signals', 'areatype', 'Gebiedstype'),
    ('sia_area_write',                  'Kan gebieden schrijven.',                    'signals', 'area', 'Gebied'),
    -- signals | expressions (routing rules)
    ('sia_expression_read',             'Inzien van expressies',                      'signals', 'expression', 'Expression'),
    ('sia_expression_write',            'Wijzigen van expressies',                    'signals', 'expression', 'Expression'),
    -- signals | standard texts
    ('sia_statusmessage_write',         'Wijzingen van standaardteksten',             'signals', 'statusmessage', 'Standaardtekst'),
    ('sia_statusmessagecategory_write', 'Toewijzen van standaardteksten aan categorieën',
                                                                                      'signals', 'statusmessagecategory', 'Standaardtekst categorietoewijzing'),
    ('sia_statusmessagetemplate_write', 'Wijzingen van standaardteksten',             'signals', 'statusmessagetemplate', 'Standaard afmeldtekst'),
    -- signals | custom permission (not bound to a model)
    ('sia_add_i18next_translation_file','Can create i18next translation file',        'signals', 'custompermission', 'custom permission'),
    -- auth built-ins used by /private/users/ and /private/roles/ (not exposed by /private/permissions/)
    ('view_user',                       'Can view user',                              'auth', 'user', 'user'),
    ('add_user',                        'Can add user',                               'auth', 'user', 'user'),
    ('change_user',                     'Can change user',                            'auth', 'user', 'user'),
    ('delete_user',                     'Can delete user',                            'auth', 'user', 'user'),
    ('view_group',                      'Can view group',                             'auth', 'group', 'group'),
    ('add_group',                       'Can add group',                              'auth', 'group', 'group'),
    ('change_group',                    'Can change group',                           'auth', 'group', 'group'),
    ('delete_group',                    'Can delete group',                           'auth', 'group', 'group')
ON CONFLICT (codename) DO UPDATE
    SET name               = EXCLUDED.name,
        app_label          = EXCLUDED.app_label,
        model              = EXCLUDED.model,
        model_verbose_name = EXCLUDED.model_verbose_name
    WHERE (p.name, p.app_label, p.model, p.model_verbose_name)
          IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.app_label, EXCLUDED.model, EXCLUDED.model_verbose_name);
