-- Q12 (processing-time windows): bids per bidder in 10-second windows of
-- processing time, the time each bid is ingested (p_time AS PROCTIME() in
-- bid.sql). Its rows depend on when the engine runs, so TestNexmark checks
-- it with a clock it moves, not with a .slt file.
CREATE MATERIALIZED VIEW q12 EMIT ON WINDOW CLOSE AS
  SELECT bidder, COUNT(*) AS bid_count, window_start AS starttime, window_end AS endtime
  FROM bid GROUP BY bidder, TUMBLE(p_time, INTERVAL '10' SECOND)
