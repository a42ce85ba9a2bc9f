-- q5agg written as a user writes it first, without EMIT ON WINDOW CLOSE:
-- every bid updates the count of each of the 5 windows it falls in, and
-- the view shows windows still open.
CREATE MATERIALIZED VIEW q5upd AS
  SELECT auction, window_start, window_end, COUNT(*) AS num
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
