-- The Nexmark person stream: bid.sql's stream of events (the same seed,
-- events and event_rate), of which every 50th event is a person, so that
-- its ids are the bids' bidders and the auctions' sellers.
CREATE SOURCE person (id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR,
                      state VARCHAR, date_time TIMESTAMP(3), extra VARCHAR,
                      WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'person', seed = 1, events = 2000, event_rate = 10)
