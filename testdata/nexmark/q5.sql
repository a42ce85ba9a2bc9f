-- Q5 (hot items): in each 10-second window sliding by 2 seconds, the
-- auctions with the most bids. Two window aggregates of bid, the top count
-- per window over the second, joined on the window.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q5 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time; EMIT ON WINDOW CLOSE
-- makes the view's windows give final rows, as Flink's window aggregates
-- do. The MAX per window is a plain GROUP BY of the window columns, so the
-- join is a regular one.
CREATE MATERIALIZED VIEW q5 EMIT ON WINDOW CLOSE AS
  SELECT AuctionBids.auction, AuctionBids.num
  FROM (
    SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end
  ) AS AuctionBids
  JOIN (
    SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
    FROM (
      SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
      FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
      GROUP BY auction, window_start, window_end
    ) AS CountBids
    GROUP BY CountBids.starttime, CountBids.endtime
  ) AS MaxBids
  ON AuctionBids.starttime = MaxBids.starttime AND
     AuctionBids.endtime = MaxBids.endtime AND
     AuctionBids.num >= MaxBids.maxn
