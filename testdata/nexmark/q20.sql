-- Q20 (expand bid with auction): the bids on category-10 auctions, with
-- their auction's columns. A regular join of bid and auction.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q20 AS in place
-- of INSERT INTO a sink; a view's columns need distinct names, so the two
-- streams' dateTime and extra are named as Flink's sink names them
-- (bid_date_time, bid_extra, auction_date_time, auction_extra); Flink's
-- camel-case columns are our connector's names (date_time, item_name,
-- initial_bid).
CREATE MATERIALIZED VIEW q20 AS
  SELECT auction, bidder, price, channel, url, B.date_time AS bid_date_time, B.extra AS bid_extra,
         item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller,
         category, A.extra AS auction_extra
  FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id
  WHERE A.category = 10
