-- Q15 (bidding statistics report): per day, how many bids, bidders and
-- auctions there are at each of three price levels. Distinct aggregates
-- with filters, one group a day.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q15 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time; `day` is quoted as
-- PostgreSQL quotes, "day".
CREATE MATERIALIZED VIEW q15 AS
  SELECT
     DATE_FORMAT(date_time, 'yyyy-MM-dd') as "day",
     count(*) AS total_bids,
     count(*) filter (where price < 10000) AS rank1_bids,
     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
     count(*) filter (where price >= 1000000) AS rank3_bids,
     count(distinct bidder) AS total_bidders,
     count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
     count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,
     count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,
     count(distinct auction) AS total_auctions,
     count(distinct auction) filter (where price < 10000) AS rank1_auctions,
     count(distinct auction) filter (where price >= 10000 and price < 1000000) AS rank2_auctions,
     count(distinct auction) filter (where price >= 1000000) AS rank3_auctions
  FROM bid
  GROUP BY DATE_FORMAT(date_time, 'yyyy-MM-dd')
