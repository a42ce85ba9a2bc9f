-- q7agg without EMIT ON WINDOW CLOSE: the top price of each 10-second
-- window, updated as bids arrive.
CREATE MATERIALIZED VIEW q7upd AS
  SELECT window_start, window_end, MAX(price) AS maxprice
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
