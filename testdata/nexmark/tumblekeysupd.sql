-- tumblekeys without EMIT ON WINDOW CLOSE: every bid updates its bucket's
-- row of the open window.
CREATE MATERIALIZED VIEW tumblekeysupd AS
  SELECT bidder % 1000 AS bucket, window_start, window_end, COUNT(*) AS bids, SUM(price) AS total
  FROM bid GROUP BY bidder % 1000, TUMBLE(date_time, INTERVAL '1' SECOND)
