-- The delivery ledger: one row per (submission, recipient, channel), written
-- before the broker message is acked, so a redelivery never alerts twice.
CREATE TABLE results (
    submission_id uuid PRIMARY KEY,
    urgency text NOT NULL,
    topic text NOT NULL,
    body jsonb NOT NULL,           -- the whole TriageResult: digests, held and bundled sends
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    submission_id uuid NOT NULL REFERENCES results (submission_id),
    recipient text NOT NULL,       -- staff name, team:<t>, digest, chat, submitter
    channel text NOT NULL,
    address text NOT NULL,
    urgency text NOT NULL,
    purpose text NOT NULL,
    status text NOT NULL,
    fallback text,                 -- voice: who is called if this call fails
    provider_id text,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    lease_until timestamptz,
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (submission_id, recipient, channel)
);
CREATE INDEX deliveries_waiting ON deliveries (status)
    WHERE status IN ('held', 'throttled', 'digest', 'flushing', 'digesting');
CREATE INDEX deliveries_window ON deliveries (recipient, channel, sent_at);
CREATE INDEX deliveries_provider ON deliveries (provider_id);

-- Every attempt and receipt, append-only: the audit trail.
CREATE TABLE delivery_events (
    id bigserial PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES deliveries (id),
    status text NOT NULL,
    provider_id text,
    error text,
    at timestamptz NOT NULL DEFAULT now()
);

-- One row per local day whose digest went out.
CREATE TABLE digest_runs (
    day date PRIMARY KEY,
    items integer NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
);
