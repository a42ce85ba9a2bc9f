-- Q16 (channel statistics report): per channel and day, how many bids,
-- bidders and auctions there are at each of three price levels, and the
-- last minute of the day with a bid. Distinct aggregates with filters, for
-- two grouping keys.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q16 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time; `day` and `minute` are
-- quoted as PostgreSQL quotes, "day" and "minute".
CREATE MATERIALIZED VIEW q16 AS
  SELECT
    channel,
    DATE_FORMAT(date_time, 'yyyy-MM-dd') as "day",
    max(DATE_FORMAT(date_time, 'HH:mm')) as "minute",
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
  GROUP BY channel, DATE_FORMAT(date_time, 'yyyy-MM-dd')
