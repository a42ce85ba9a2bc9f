-- Q5 (hot items): in each 10-second window sliding by 2 seconds, the
-- auctions with the most bids. Two window aggregates of bid, the top count
-- per window over the second, joined on the window.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q5 AS in place
-- of INSERT INTO a sink; HOP(TABLE bid, DESCRIPTOR(dateTime), ...) ...
-- GROUP BY auction, window_start, window_end is our GROUP BY auction,
-- HOP(date_time, ...). Flink's window aggregates give final rows; ours
-- update (EMIT ON WINDOW CLOSE is refused for windows under a join), so the
-- view shows open windows too, and ends as Flink ends a bounded run.
CREATE MATERIALIZED VIEW q5 AS
  SELECT AuctionBids.auction, AuctionBids.num
  FROM (
    SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM bid
    GROUP BY auction, HOP(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
  ) AS AuctionBids
  JOIN (
    SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
    FROM (
      SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
      FROM bid
      GROUP BY auction, HOP(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
    ) AS CountBids
    GROUP BY CountBids.starttime, CountBids.endtime
  ) AS MaxBids
  ON AuctionBids.starttime = MaxBids.starttime AND
     AuctionBids.endtime = MaxBids.endtime AND
     AuctionBids.num >= MaxBids.maxn
