-- hopbidder without EMIT ON WINDOW CLOSE: every bid updates the rows of
-- the 10 windows it falls in.
CREATE MATERIALIZED VIEW hopbidderupd AS
  SELECT bidder, window_start, window_end, COUNT(*) AS bids, MAX(price) AS maxprice
  FROM bid GROUP BY bidder, HOP(date_time, INTERVAL '1' SECOND, INTERVAL '10' SECOND)
