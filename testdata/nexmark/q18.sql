-- Q18 (find last bid): each bidder's last bid on each auction. A dedup:
-- ROW_NUMBER() over (bidder, auction) by time, descending, kept at 1; as
-- later bids arrive the view replaces the pair's row.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q18 AS in place
-- of INSERT INTO a sink; `dateTime` is date_time; the subquery lists bid's
-- columns where Flink's has *, since our bid.sql also has p_time (for q12
-- and q13), a processing time.
CREATE MATERIALIZED VIEW q18 AS
  SELECT auction, bidder, price, channel, url, date_time, extra
  FROM (SELECT auction, bidder, price, channel, url, date_time, extra,
               ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) AS rank_number
        FROM bid)
  WHERE rank_number <= 1
