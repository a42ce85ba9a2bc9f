-- Q17 (auction statistics report): per auction and day, how many bids at
-- each of three price levels, and the least, greatest, average and total
-- price. An unbounded group aggregation.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q17 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time; `day` is quoted as
-- PostgreSQL quotes, "day". avg(price) of a BIGINT is an exact NUMERIC
-- here, as PostgreSQL's (Flink's is a BIGINT, the quotient truncated).
CREATE MATERIALIZED VIEW q17 AS
  SELECT
     auction,
     DATE_FORMAT(date_time, 'yyyy-MM-dd') as "day",
     count(*) AS total_bids,
     count(*) filter (where price < 10000) AS rank1_bids,
     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
     count(*) filter (where price >= 1000000) AS rank3_bids,
     min(price) AS min_price,
     max(price) AS max_price,
     avg(price) AS avg_price,
     sum(price) AS sum_price
  FROM bid
  GROUP BY auction, DATE_FORMAT(date_time, 'yyyy-MM-dd')
