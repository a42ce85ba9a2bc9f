-- Q19 (auction top-10 price): each auction's ten highest bids, with their
-- rank. A top-N: ROW_NUMBER() over the auction by price, descending, kept
-- up to 10; a higher bid enters and pushes the tenth out.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q19 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time; the subquery lists bid's
-- columns where Flink's has *, since our bid.sql also has p_time (for q12
-- and q13), a processing time.
CREATE MATERIALIZED VIEW q19 AS
  SELECT * FROM
    (SELECT auction, bidder, price, channel, url, date_time, extra,
            ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
     FROM bid)
  WHERE rank_number <= 10
