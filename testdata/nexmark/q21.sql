-- Q21 (add channel id): each bid with a channel id, from its channel's name
-- for the four known channels and else from its URL's channel_id parameter;
-- bids with neither are left out. Flink's query; dialect change: CREATE
-- MATERIALIZED VIEW q21 AS in place of INSERT INTO a sink.
CREATE MATERIALIZED VIEW q21 AS
  SELECT auction, bidder, price, channel,
    CASE
      WHEN lower(channel) = 'apple' THEN '0'
      WHEN lower(channel) = 'google' THEN '1'
      WHEN lower(channel) = 'facebook' THEN '2'
      WHEN lower(channel) = 'baidu' THEN '3'
      ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2)
    END AS channel_id
  FROM bid
  WHERE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) IS NOT NULL OR
        lower(channel) IN ('apple', 'google', 'facebook', 'baidu')
