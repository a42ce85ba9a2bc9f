-- A high-cardinality tumble: bids and their total price per bidder bucket
-- (bidder % 1000) in 1-second windows, emitted when a window closes. At
-- bid.sql's 10,000 events per second of event time a window holds about
-- 9,200 bids in 840-890 of the 1,000 buckets.
CREATE MATERIALIZED VIEW tumblekeys EMIT ON WINDOW CLOSE AS
  SELECT bidder % 1000 AS bucket, window_start, window_end, COUNT(*) AS bids, SUM(price) AS total
  FROM bid GROUP BY bidder % 1000, TUMBLE(date_time, INTERVAL '1' SECOND)
