-- Incremental re-forecasting: every committed change to an account's
-- transactions sends NOTIFY headroom_transactions with the account_id.
-- A bank that feeds Headroom through its own view instead must send the same
-- notification itself (docs/operations.md); the daemon also polls as a fallback.

CREATE FUNCTION headroom.notify_transaction_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Statement-level: one notification per account per statement, de-duplicated
  -- again by PostgreSQL within the transaction.
  PERFORM pg_notify('headroom_transactions', account_id)
    FROM (SELECT DISTINCT account_id FROM new_rows) AS changed;
  RETURN NULL;
END;
$$;

CREATE TRIGGER transactions_notify_insert
  AFTER INSERT ON headroom.transactions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION headroom.notify_transaction_change();
