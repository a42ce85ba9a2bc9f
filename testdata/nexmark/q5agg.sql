-- The windowed aggregation inside Q5 (hot items): bids per auction in
-- 10-second windows sliding by 2 seconds. Q5 in full joins this with its
-- per-window maximum, which needs joins.
CREATE MATERIALIZED VIEW q5agg EMIT ON WINDOW CLOSE AS
  SELECT auction, window_start, window_end, COUNT(*) AS num
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
