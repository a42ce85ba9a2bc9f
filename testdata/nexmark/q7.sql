-- Q7 (highest bid): the bids at the top price of each 10-second window.
-- A window aggregate of bid joined back to bid on the price, with a time
-- condition on the joined row.
-- Flink's query (its select list puts price before bidder, so does ours);
-- dialect changes: CREATE MATERIALIZED VIEW q7 AS in place of INSERT INTO a
-- sink; Flink's `dateTime` is date_time. With EMIT ON WINDOW CLOSE the
-- window gives final rows, as Flink's does, and the time condition bounds
-- the join: an interval join, whose bids go once the windows' watermark
-- passes them.
CREATE MATERIALIZED VIEW q7 EMIT ON WINDOW CLOSE AS
  SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
  FROM bid B
  JOIN (
    SELECT MAX(price) AS maxprice, window_end AS date_time
    FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end
  ) B1
  ON B.price = B1.maxprice
  WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time
