-- Q9 (winning bids): each auction with its winning bid, the highest made
-- while it was open (the earliest of equal ones). A join of auction and bid
-- with a time condition on the joined row, under a top-N: ROW_NUMBER()
-- over the auction by price descending, then time, kept at 1.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q9 AS in place
-- of INSERT INTO a sink; Flink's camel-case columns are our connector's
-- names (date_time, item_name, initial_bid).
CREATE MATERIALIZED VIEW q9 AS
  SELECT id, item_name, description, initial_bid, reserve, date_time, expires, seller, category, extra,
         auction, bidder, price, bid_date_time, bid_extra
  FROM (
    SELECT A.*, B.auction, B.bidder, B.price, B.date_time AS bid_date_time, B.extra AS bid_extra,
      ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time ASC) AS rownum
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires
  )
  WHERE rownum <= 1
