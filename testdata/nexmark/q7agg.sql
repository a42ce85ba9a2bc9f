-- The windowed aggregation inside Q7 (highest bid): the top price in each
-- 10-second window. Q7 in full joins it back to the bids, which needs joins.
CREATE MATERIALIZED VIEW q7agg EMIT ON WINDOW CLOSE AS
  SELECT window_start, window_end, MAX(price) AS maxprice
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
