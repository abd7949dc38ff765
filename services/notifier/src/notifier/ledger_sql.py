"""The ledger's SQL statements (notifier.ledger runs them).

Each writes what one ledger call needs in one round trip: data-modifying CTEs
insert or update the delivery rows and append their audit events together.
"""

from __future__ import annotations

# Upsert of one claimed delivery: a new row, or a retryable row / a lapsed lease
# taken over. Rows come from unnest(recipient, channel, address, purpose, fallback).
CLAIM_ROWS = """
    INSERT INTO deliveries AS d
        (submission_id, recipient, channel, address, urgency, purpose, status, fallback,
         attempts, lease_until)
    SELECT $1, a.recipient, a.channel, a.address, $2, a.purpose, 'claimed', a.fallback,
           1, now() + $3::interval
    FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
        AS a(recipient, channel, address, purpose, fallback)
    ON CONFLICT (submission_id, recipient, channel) DO UPDATE
        SET status = 'claimed', attempts = d.attempts + 1, lease_until = EXCLUDED.lease_until,
            address = EXCLUDED.address, updated_at = now()
        WHERE d.status = ANY($9::text[]) OR (d.status = 'claimed' AND d.lease_until < now())
    RETURNING id, recipient, channel
"""

# One alert: the claim and its 'claimed' audit event in one statement.
CLAIM = f"""
WITH claimed AS ({CLAIM_ROWS}),
event AS (
    INSERT INTO delivery_events (delivery_id, status) SELECT id, 'claimed' FROM claimed
)
SELECT id FROM claimed
"""

# A whole result at once: the result row, the parked alerts (held, throttled,
# digest), the claims and their audit events; one statement, one round-trip,
# atomic. The foreign keys are checked at the end of the statement, when the
# result row exists.
RECORD_AND_CLAIM = f"""
WITH result AS (
    INSERT INTO results (submission_id, urgency, topic, body) VALUES ($1, $2, $10, $11)
    ON CONFLICT (submission_id) DO NOTHING
),
parked AS (
    INSERT INTO deliveries
        (submission_id, recipient, channel, address, urgency, purpose, status, fallback)
    SELECT $1, p.recipient, p.channel, p.address, $2, p.purpose, p.status, NULL
    FROM unnest($12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
        AS p(recipient, channel, address, purpose, status)
    ON CONFLICT (submission_id, recipient, channel) DO NOTHING
),
claimed AS ({CLAIM_ROWS}),
event AS (
    INSERT INTO delivery_events (delivery_id, status) SELECT id, 'claimed' FROM claimed
)
SELECT id, recipient, channel FROM claimed
"""

# The same count for each row of a key list (k): used as a scalar subquery.
SENT_IN_WINDOW_SUB = """
SELECT count(*) FROM (
    SELECT DISTINCT provider_id FROM deliveries
    WHERE recipient = k.recipient AND channel = k.channel AND sent_at >= k.since
        AND provider_id IS NOT NULL
    LIMIT k.cap
) AS sent
"""

PARK = """
INSERT INTO deliveries
    (submission_id, recipient, channel, address, urgency, purpose, status, fallback)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (submission_id, recipient, channel) DO NOTHING
"""

# Outcomes of several finishes at once (group commit): one row per delivery
# id, each with its own outcome, and one audit event per row, in order.
FINISH = """
WITH outcome AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
        WITH ORDINALITY AS o(id, status, provider_id, error, sent_at, n)
),
updated AS (
    UPDATE deliveries AS d SET status = o.status,
        provider_id = COALESCE(o.provider_id, d.provider_id), error = o.error,
        lease_until = NULL, updated_at = now(), sent_at = COALESCE(o.sent_at, d.sent_at)
    FROM outcome AS o WHERE d.id = o.id
)
INSERT INTO delivery_events (delivery_id, status, provider_id, error)
SELECT id, status, provider_id, error FROM outcome ORDER BY n
"""

# Messages (a bundle counts once) sent to one recipient on one channel since $3,
# counted only up to $4 (the throttle limit: every caller compares with it), so
# the scan stops early on a busy inbox. Served by deliveries_sent_window.
SENT_IN_WINDOW = """
SELECT count(*) FROM (
    SELECT DISTINCT provider_id FROM deliveries
    WHERE recipient = $1 AND channel = $2 AND sent_at >= $3 AND provider_id IS NOT NULL
    LIMIT $4
) AS sent
"""

ROW = "id, submission_id, recipient, channel, address, urgency, status, fallback"

RESULTS = "SELECT submission_id, body::text AS body FROM results WHERE submission_id = ANY($1)"

STATUS = """
SELECT status FROM deliveries WHERE submission_id = $1 AND recipient = $2 AND channel = $3
"""

STATUSES = "SELECT recipient, channel, status FROM deliveries WHERE submission_id = $1"

# SENT_IN_WINDOW for several (recipient, channel, since, cap) at once, in order.
SENT_IN_WINDOWS = f"""
SELECT k.n, ({SENT_IN_WINDOW_SUB}) AS sent
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[])
    WITH ORDINALITY AS k(recipient, channel, since, cap, n)
ORDER BY k.n
"""

# Parked rows ($1: their statuses) and flushes whose taker's lease ran out.
WAITING = f"""
SELECT {ROW} FROM deliveries
WHERE status = ANY($1::text[]) OR (status = 'flushing' AND lease_until < now())
ORDER BY id
"""

# Take rows $1 in statuses $2 as $3 for a lease of $4; a lapsed $3 lease too.
TAKE = f"""
UPDATE deliveries SET status = $3, lease_until = now() + $4::interval, updated_at = now()
WHERE id = ANY($1) AND (status = ANY($2::text[]) OR (status = $3 AND lease_until < now()))
RETURNING {ROW}
"""

DIGEST_IDS = """
SELECT id FROM deliveries
WHERE status = 'digest' OR (status = 'digesting' AND lease_until < now())
ORDER BY id
"""
