-- Bids and top price per bidder in 10-second windows sliding by 1 second
-- (every bid is in 10 windows), emitted when a window closes.
CREATE MATERIALIZED VIEW hopbidder EMIT ON WINDOW CLOSE AS
  SELECT bidder, window_start, window_end, COUNT(*) AS bids, MAX(price) AS maxprice
  FROM bid GROUP BY bidder, HOP(date_time, INTERVAL '1' SECOND, INTERVAL '10' SECOND)
