-- Q22 (get URL directories): each bid's first three directories of its URL.
-- Flink's query; dialect change: CREATE MATERIALIZED VIEW q22 AS in place of
-- INSERT INTO a sink. SPLIT_INDEX is Flink's (0-based; NULL past the end).
CREATE MATERIALIZED VIEW q22 AS
  SELECT auction, bidder, price, channel,
         SPLIT_INDEX(url, '/', 3) AS dir1,
         SPLIT_INDEX(url, '/', 4) AS dir2,
         SPLIT_INDEX(url, '/', 5) AS dir3
  FROM bid
