-- Q11 (user sessions): bids per bidder in sessions that end after 10
-- seconds without a bid.
CREATE MATERIALIZED VIEW q11 EMIT ON WINDOW CLOSE AS
  SELECT bidder, COUNT(*) AS bid_count, window_start AS starttime, window_end AS endtime
  FROM bid GROUP BY bidder, SESSION(date_time, INTERVAL '10' SECOND)
