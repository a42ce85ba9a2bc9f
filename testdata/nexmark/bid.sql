-- The Nexmark bid stream. The tests and `streamsql bench` set events and
-- event_rate; 10,000 events per second of event time is the reference's.
-- p_time is processing time, for q12.
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                   date_time TIMESTAMP(3), extra VARCHAR, p_time AS PROCTIME(),
                   WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'bid', seed = 1, events = 2000, event_rate = 10)
