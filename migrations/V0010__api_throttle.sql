-- V0010 — request throttling shared by all Lambda instances.
-- Spec: 03 §2 (60 public creates per hour per client IP), 05 §5.3 (`PUBLIC_THROTTLE_RATE`, 429 with
-- Retry-After).
--
-- The reference keeps Django REST framework's throttle history (the timestamps of the requests in
-- the window) in its cache. Lambda instances share no memory, so the history lives here: one row
-- per (scope, client), holding the timestamps of the allowed requests still inside the window —
-- a sliding log, exactly the reference's algorithm. One INSERT … ON CONFLICT DO UPDATE per request
-- prunes, decides and records under the row lock, so concurrent requests of one client cannot
-- both take the last slot.
--
-- Privacy: `ident` is a SHA-256 of the client address (keyed with PUBLIC_THROTTLE_KEY when set),
-- never the address. Rows whose window has passed are deleted a few at a time by the same
-- statement (index on updated_at), so the table holds about one row per client active in the
-- last window.

CREATE TABLE api_throttle (
    scope      text          NOT NULL,
    ident      bytea         NOT NULL,
    -- allowed requests inside the window, oldest first
    hits       timestamptz[] NOT NULL DEFAULT '{}',
    -- the decision on the latest request (RETURNING reads it)
    allowed    boolean       NOT NULL DEFAULT true,
    updated_at timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, ident),
    CONSTRAINT api_throttle_ident_length CHECK (octet_length(ident) = 32)
);
COMMENT ON TABLE api_throttle IS
    'Sliding-window request log per (scope, hashed client address), e.g. scope public-signal-create '
    '(05 §5.3). Never holds a raw IP address.';

CREATE INDEX api_throttle_updated_at_idx ON api_throttle (updated_at);
