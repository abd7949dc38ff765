-- The throttle count (ledger_sql.SENT_IN_WINDOW) reads only rows that were sent:
-- an index of just those, by (recipient, channel, sent_at), with the provider
-- id carried along so the count can be answered from the index alone. It
-- replaces deliveries_window, which also held every unsent row (sent_at NULL)
-- and made the count visit the table for each provider id.
CREATE INDEX deliveries_sent_window ON deliveries (recipient, channel, sent_at)
    INCLUDE (provider_id) WHERE sent_at IS NOT NULL;
DROP INDEX deliveries_window;
