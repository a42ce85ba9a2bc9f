-- Many keys, a small cache: bids and the top price per (auction, bidder),
-- updating, with the state cache held to 10,000 groups, so that nearly
-- all of the state (about 2.7M groups at 10M events) lives in the backend
-- and peak RSS shows what the cache bounds.
SET state_cache_size = 10000;
CREATE MATERIALIZED VIEW manykeys AS
  SELECT auction, bidder, COUNT(*) AS bids, MAX(price) AS maxprice FROM bid GROUP BY auction, bidder
