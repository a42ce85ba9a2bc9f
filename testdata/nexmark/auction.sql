-- The Nexmark auction stream: bid.sql's stream of events (the same seed,
-- events and event_rate), of which 3 in 50 are auctions, so that its ids
-- are the bids' auctions.
CREATE SOURCE auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
                       date_time TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
                       WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'auction', seed = 1, events = 2000, event_rate = 10)
